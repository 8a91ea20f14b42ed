"""Our event names to the ESP's metric names, editable per account.

The defaults are the names Klaviyo's shop integrations record, so a flow drawn
on our canonical events finds the metrics an account already has. A marketer
whose shop sends other names edits the mapping file (``metric-names.json`` in
the app's data folder) or passes one with ``--metric-map``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from designer.publish.appdata import data_dir

DEFAULT_METRIC_NAMES: dict[str, str] = {
    "view": "Viewed Product",
    "add_to_cart": "Added to Cart",
    "checkout_started": "Started Checkout",
    "purchase": "Placed Order",
    "email_open": "Opened Email",
    "email_click": "Clicked Email",
    "signup": "Subscribed to List",
}
FILE_NAME = "metric-names.json"


class MetricMapError(ValueError):
    """A mapping file that is not an object of event names to metric names."""


@dataclass
class MetricNames:
    """Event name <-> metric name; names not in the mapping map to themselves."""

    names: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_METRIC_NAMES))

    def metric(self, event: str) -> str:
        return self.names.get(event, event)

    def event(self, metric: str) -> str:
        for ev, name in self.names.items():
            if name == metric:
                return ev
        return metric

    @classmethod
    def load(cls, path: str | Path | None = None) -> "MetricNames":
        """The defaults overlaid with a mapping file (the app's own when ``path`` is None)."""
        file = Path(path) if path is not None else data_dir() / FILE_NAME
        out = cls()
        if path is None and not file.exists():
            return out
        try:
            raw = json.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise MetricMapError(f"{file}: cannot read: {exc.strerror or exc}") from None
        except json.JSONDecodeError as exc:
            raise MetricMapError(f"{file}:{exc.lineno}: not valid JSON: {exc.msg}") from None
        if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
            raise MetricMapError(f"{file}: expected an object of event names to metric names")
        out.names.update(raw)
        return out
