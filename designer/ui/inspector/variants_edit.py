"""A/B split variants: name and percent per row, with a visible check that they add up to 100."""

from __future__ import annotations

import string

from PySide6.QtWidgets import QDoubleSpinBox, QLineEdit, QPushButton, QWidget

from designer.ui.inspector.base import label, set_invalid
from designer.ui.inspector.row_list import Row, RowList


class PercentSpin(QDoubleSpinBox):
    """0-100 with one decimal, shown without a trailing ".0"."""

    def __init__(self) -> None:
        super().__init__()
        self.setRange(0, 100)
        self.setDecimals(1)
        self.setSuffix(" %")
        self.setMaximumWidth(90)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        return f"{value:g}"


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 1)


def even_split(count: int) -> list[int]:
    """Whole percents adding up to 100, the remainder going to the first variants."""
    base, extra = divmod(100, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


class VariantsEdit(RowList):
    """Value: ``[{"name": "A", "percent": 50}, ...]``. A sum other than 100 is committed (the
    flow's validation reports it too) and shown in red under the rows; an empty or repeated
    name is not committed, since names are the split's output ports."""

    stretch = [1, 0]
    min_rows = 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("+ Variant", parent)
        self.total = label("", "ok")
        self.even = QPushButton("Split evenly")
        self.even.setFlat(True)
        self.footer.insertWidget(1, self.even)
        self.footer.addWidget(self.total)
        self.even.clicked.connect(self._split_evenly)

    def create_fields(self) -> list[QWidget]:
        name = QLineEdit()
        name.setPlaceholderText("variant name")
        percent = PercentSpin()
        name.textEdited.connect(lambda _t: self.emit_edit(True))
        percent.valueChanged.connect(lambda _v: self.emit_edit(True))
        return [name, percent]

    def fill_row(self, row: Row, item: object) -> None:
        item = item if isinstance(item, dict) else {}
        row.fields[0].setText(str(item.get("name") or ""))
        percent = item.get("percent")
        row.fields[1].setValue(float(percent) if isinstance(percent, (int, float)) else 0.0)

    def new_item(self) -> dict:
        used = {r.fields[0].text() for r in self.rows}
        name = next((c for c in string.ascii_uppercase if c not in used), f"V{len(self.rows) + 1}")
        return {"name": name, "percent": 0}

    def _split_evenly(self) -> None:
        with self.loading():
            for row, percent in zip(self.rows, even_split(len(self.rows))):
                row.fields[1].setValue(percent)
        self.emit_edit(False)

    def sum(self) -> float:
        return sum(r.fields[1].value() for r in self.rows)

    def _name_problems(self) -> dict[int, str]:
        out, seen = {}, set()
        for i, row in enumerate(self.rows):
            name = row.fields[0].text().strip()
            if not name:
                out[i] = "Each variant needs a name"
            elif name in seen:
                out[i] = f"{name!r} is used twice; names must differ"
            seen.add(name)
        return out

    def problem(self) -> str | None:
        problems = self._name_problems()
        return next(iter(problems.values())) if problems else None

    def sum_ok(self) -> bool:
        return abs(self.sum() - 100) < 1e-6

    def refresh_problem(self) -> None:
        problems = self._name_problems()
        for i, row in enumerate(self.rows):
            set_invalid(row.fields[0], problems.get(i))
        total = self.sum()
        ok = self.sum_ok()
        self.total.setText(f"Total {total:g} % \u2713" if ok else f"Total {total:g} %, must be 100 %")
        self.total.setProperty("role", "ok" if ok else "error")
        self.total.style().unpolish(self.total)
        self.total.style().polish(self.total)
        tip = "" if ok else f"The variants add up to {total:g} %, not 100 %"
        for row in self.rows:
            row.fields[1].setToolTip(tip)  # the total under the rows is the visible check

    def value(self) -> list[dict] | None:
        if self.problem() is not None:
            return None
        return [{"name": r.fields[0].text().strip(), "percent": _number(r.fields[1].value())} for r in self.rows]

    def set_value(self, value: object) -> None:
        items = value if isinstance(value, list) else []
        if items == self.value():
            return
        self.load_items(items)
