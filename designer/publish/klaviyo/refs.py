"""Names a flow refers to (metrics, templates, lists) and the Klaviyo ids they get.

The compiler asks a resolver for each id. Offline the resolver hands out
placeholders and remembers what was asked, which is also how the publisher
learns what to look up or create before it compiles again with real ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PLACEHOLDER_PREFIX = "$"


@dataclass
class Refs:
    """Resolved ids by name; a name without one gets a ``$kind:name`` placeholder."""

    metrics: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    lists: dict[str, str] = field(default_factory=dict)
    #: What the last compile asked for, by kind: the names to resolve.
    wanted: dict[str, set[str]] = field(default_factory=lambda: {"metric": set(), "template": set(), "list": set()})

    def _id(self, kind: str, table: dict[str, str], name: str) -> str:
        self.wanted[kind].add(name)
        return table.get(name) or f"{PLACEHOLDER_PREFIX}{kind}:{name}"

    def metric(self, metric_name: str) -> str:
        return self._id("metric", self.metrics, metric_name)

    def template(self, name: str) -> str:
        return self._id("template", self.templates, name)

    def list(self, name: str) -> str:
        return self._id("list", self.lists, name)

    def unresolved(self) -> dict[str, list[str]]:
        tables = {"metric": self.metrics, "template": self.templates, "list": self.lists}
        return {k: sorted(n for n in names if n not in tables[k]) for k, names in self.wanted.items()}
