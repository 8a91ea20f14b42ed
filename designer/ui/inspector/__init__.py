"""The inspector: a form for the selected node (built from its kind's typed fields) or for
the flow's settings, one small module per editor."""

from designer.ui.inspector.inspector import Inspector

__all__ = ["Inspector"]
