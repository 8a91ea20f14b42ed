"""The other flows the editor's backtest runs with the open one, as one programme.

A marketer backtests a flow "with welcome, browse and win-back": those flow
files, a frequency cap, and (when a programme file sits beside the flows) its
priority and collision window. The choice is view state, like the backtest
window: nothing of it goes into the open flow's file. The files are read
again at each run, so an edit saved in another window counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from designer.model import documents, io, programme as programmes
from designer.model.flow import Flow
from designer.model.errors import FlowFormatError
from designer.model.programme import DEFAULT_COLLISION, Cap, Programme, ProgrammeError


class OtherFlowsError(ValueError):
    """A chosen flow file cannot join the backtest: the message names the file and why."""


@dataclass(frozen=True)
class OtherFlows:
    #: The other flow files, in the order chosen.
    paths: tuple[str, ...] = ()
    cap: Cap | None = None
    #: Who goes first when two flows would message a customer at once (flow ids), from a programme file.
    priority: tuple[str, ...] = ()
    collision_window: str = DEFAULT_COLLISION

    def __bool__(self) -> bool:
        return bool(self.paths)

    def load(self, open_flow: Flow) -> list[Flow]:
        """The other flows as they are on disk now; a file that cannot join raises OtherFlowsError."""
        flows: list[Flow] = []
        seen = {open_flow.id: "the open flow"}
        for path in self.paths:
            name = Path(path).name
            try:
                flow = io.load(path)
            except FlowFormatError as exc:
                raise OtherFlowsError(f"{name}: {exc}") from None
            if flow.id in seen:
                raise OtherFlowsError(f"{name}: its id {flow.id!r} is also {seen[flow.id]}'s; a programme tells "
                                      "flows apart by id, so leave one of them out")
            seen[flow.id] = name
            flows.append(flow)
        return flows

    def programme(self) -> Programme:
        return Programme(self.cap, self.priority, self.collision_window)

    def describe(self) -> str:
        """'welcome_series.json, winback.json; cap 3 per P7D' for a status line."""
        names = ", ".join(Path(p).name for p in self.paths) or "no other flow"
        return names + (f"; cap {self.cap.text()}" if self.cap is not None else "; no cap")


def folder_programme(folder: Path) -> tuple[Programme | None, str | None]:
    """The programme file in ``folder`` (its cap and priority are the dialog's starting point), and
    why it could not be read when it could not."""
    files = [p for p in sorted(folder.glob("*.json")) if documents.format_of(p) == documents.PROGRAMME] \
        if folder.is_dir() else []
    if not files:
        return None, None
    try:
        return programmes.load(files[0]), None
    except ProgrammeError as exc:
        return None, str(exc)
