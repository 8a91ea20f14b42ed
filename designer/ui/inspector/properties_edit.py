"""Profile updates: properties to set (name = value rows) and names to remove."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QWidget

from designer.model.kinds import Field
from designer.ui.inspector.base import set_invalid
from designer.ui.inspector.row_list import Row, RowList
from designer.ui.inspector.values import ValueTextError, format_scalar, parse_scalar


class PropertiesEdit(RowList):
    """Value: ``{"name": value, ...}``; values are typed as in conditions (50, true, "50")."""

    stretch = [1, 1]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("+ Property", parent)

    def create_fields(self) -> list[QWidget]:
        name, value = QLineEdit(), QLineEdit()
        name.setPlaceholderText("property")
        value.setPlaceholderText("value")
        name.textEdited.connect(lambda _t: self.emit_edit(True))
        value.textEdited.connect(lambda _t: self.emit_edit(True))
        return [name, value]

    def fill_row(self, row: Row, item: object) -> None:
        name, value = item if isinstance(item, tuple) else ("", "")
        row.fields[0].setText(str(name))
        row.fields[1].setText(format_scalar(value) if name else "")

    def _problems(self) -> dict[QWidget, str]:
        out: dict[QWidget, str] = {}
        seen: set[str] = set()
        for row in self.rows:
            name = row.fields[0].text().strip()
            if not name:
                out[row.fields[0]] = "Enter a property name"
            elif name in seen:
                out[row.fields[0]] = f"{name!r} is set twice"
            seen.add(name)
            try:
                parse_scalar(row.fields[1].text())
            except ValueTextError as exc:
                out[row.fields[1]] = str(exc)
        return out

    def problem(self) -> str | None:
        problems = self._problems()
        return next(iter(problems.values())) if problems else None

    def refresh_problem(self) -> None:
        problems = self._problems()
        for row in self.rows:
            for widget in row.fields:
                set_invalid(widget, problems.get(widget))

    def value(self) -> dict | None:
        if self.problem() is not None:
            return None
        return {r.fields[0].text().strip(): parse_scalar(r.fields[1].text()) for r in self.rows}

    def set_value(self, value: object) -> None:
        items = value if isinstance(value, dict) else {}
        if items == self.value():
            return
        self.load_items(list(items.items()))

    def write(self, config: dict, field: Field) -> None:
        value = self.value()
        if value:
            config[field.name] = value
        else:
            config.pop(field.name, None)


class NamesEdit(RowList):
    """Value: a list of property names."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("+ Name", parent)

    def create_fields(self) -> list[QWidget]:
        name = QLineEdit()
        name.setPlaceholderText("property")
        name.textEdited.connect(lambda _t: self.emit_edit(True))
        return [name]

    def fill_row(self, row: Row, item: object) -> None:
        row.fields[0].setText(str(item or ""))

    def new_item(self) -> str:
        return ""

    def problem(self) -> str | None:
        return "Enter a property name" if any(not r.fields[0].text().strip() for r in self.rows) else None

    def refresh_problem(self) -> None:
        for row in self.rows:
            set_invalid(row.fields[0], None if row.fields[0].text().strip() else "Enter a property name")

    def value(self) -> list[str] | None:
        if self.problem() is not None:
            return None
        return [r.fields[0].text().strip() for r in self.rows]

    def set_value(self, value: object) -> None:
        items = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        if items == self.value():
            return
        self.load_items(items)

    def write(self, config: dict, field: Field) -> None:
        value = self.value()
        if value:
            config[field.name] = value
        else:
            config.pop(field.name, None)
