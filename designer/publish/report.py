"""What a target cannot express, node by node, found before anything is sent.

A gap is an *error* when the target would run the flow with a different
meaning (quiet hours dropped, a condition it has no filter for), and a
*warning* when the target approximates it closely (a per-account smart-sending
window instead of the flow's). Errors stop an export or a publish unless the
marketer accepts them explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Gap:
    severity: str
    node: str | None
    reason: str
    #: Where in the node's config (or the flow settings) the gap sits.
    path: str | None = None

    def to_json(self) -> dict:
        return {"severity": self.severity, "node": self.node, "reason": self.reason, "path": self.path}

    def line(self, target: str) -> str:
        where = f"node {self.node}" if self.node else "flow"
        at = f" ({self.path})" if self.path else ""
        return f"{target}: {where}{at}: {self.severity}: {self.reason}"


@dataclass
class Report:
    """The capability report of one compile."""

    target: str
    gaps: list[Gap] = field(default_factory=list)

    def error(self, node: str | None, reason: str, path: str | None = None) -> None:
        self.gaps.append(Gap(ERROR, node, reason, path))

    def warn(self, node: str | None, reason: str, path: str | None = None) -> None:
        self.gaps.append(Gap(WARNING, node, reason, path))

    @property
    def errors(self) -> list[Gap]:
        return [g for g in self.gaps if g.severity == ERROR]

    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        return [g.line(self.target) for g in self.gaps]
