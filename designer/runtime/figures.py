"""A deployed flow's live figures, in the shape of a backtest's, for the editor's Results views.

The figures are the backtest's interpreter over the runtime's own store, for
the version now deployed, from its deploy to the runtime's clock, with every
deployed flow beside it (they share smart sending live, so they do here):
what the runtime decided is what this replays (the equivalence the runtime
is built on), and the per-node counts, paths and in-progress journeys come in
the one shape every Results view reads (``SimulationResult.to_json``). Beside
them, ``outbox``: the runtime's own messages per node and status, from its
outbox, so a reader can check the two agree.
"""

from __future__ import annotations

from sqlalchemy import func, select

from designer.engine.simulate import simulate_together
from designer.runtime import tables as t


def live_figures(runtime, flow_id: str) -> dict:
    from designer.runtime.runtime import RuntimeError_

    with runtime.engine.connect() as conn:
        live = runtime._live(conn)
        now = runtime.now(conn)
        counts = conn.execute(select(t.outbox.c.node, t.outbox.c.status, func.count())
                              .where(t.outbox.c.flow_id == flow_id).group_by(t.outbox.c.node, t.outbox.c.status)
                              ).all()
    current = {v.flow_id: v for v in live if v.entries_to is None}
    version = current.get(flow_id)
    if version is None:
        raise RuntimeError_("not_found", f"no deployed flow {flow_id!r}", 404, "id")
    flows = [version.flow] + [v.flow for k, v in sorted(current.items()) if k != flow_id]
    window = (version.entries_from, max(now, version.entries_from + 1))
    result = simulate_together(flows, runtime.engine, window=window, workers=1, save=False)[0]
    outbox: dict[str, dict[str, int]] = {}
    for node, status, n in counts:
        outbox.setdefault(node, {})[status] = int(n)
    return {"flow": flow_id, "version": version.version, "paused": version.paused, "now": now,
            "figures": result.to_json(), "outbox": outbox}
