"""The filter builder: the condition builder limited to tests on an event's own properties.

Used for the ``where`` of triggers and waits (and inside "did event" rows); an
empty filter means "any such event".
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from designer.ui.inspector.condition_builder import ConditionBuilder
from designer.ui.inspector.event_combo import EventNames


class FilterBuilder(ConditionBuilder):
    def __init__(self, events: EventNames, parent: QWidget | None = None, *, nesting: int = 0) -> None:
        super().__init__(events, parent, filter_only=True, optional=True, nesting=nesting)
