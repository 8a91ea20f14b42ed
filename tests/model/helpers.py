"""Small builders for flows in tests, so each test reads as the flow it draws."""

from __future__ import annotations

from designer.model.flow import Edge, Flow, Node
from designer.model.settings import Settings


def chain(*kinds_configs, settings: Settings | None = None) -> Flow:
    """A straight flow n1 -> n2 -> ... from (kind, config) pairs."""
    flow = Flow("test", "Test", settings or Settings())
    prev = None
    for i, (kind, config) in enumerate(kinds_configs, start=1):
        node = flow.add_node(Node(f"n{i}", kind, 0, i * 100, dict(config)))
        if prev is not None:
            flow.add_edge(Edge(prev, node.id, "next"))
        prev = node.id
    return flow


TRIGGER = ("trigger", {"event": "signup"})
EMAIL = ("send_email", {"template": "t", "subject": "s"})
