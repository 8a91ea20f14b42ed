"""The interpreter of flow semantics and the simulator that backtests a flow over the store.

Modules, each with one job:

* :mod:`~designer.engine.simulate`: ``simulate(flow, store, window=, progress=, cancel=)``,
  the entry point for the editor and the CLI (and ``simulate_together`` for
  several flows sharing smart sending);
* :mod:`~designer.engine.interpreter`: what happens to a customer's journeys at
  each node, on a virtual clock; the semantics are written down there;
* :mod:`~designer.engine.figures`: the result dataclasses (per node, per send,
  totals, charts, trace) with ``to_json``, the counter identity they keep, and the
  ``Tally`` of counters a run keeps until it adds them in;
* :mod:`~designer.engine.reader`: the SQL that reads only what a flow can look at;
* :mod:`~designer.engine.plan`: a flow compiled for the interpreter;
* :mod:`~designer.engine.evaluate`: the condition tree evaluated (value semantics);
* :mod:`~designer.engine.clock`: local time, delays until a time of day, quiet hours;
* :mod:`~designer.engine.history`, :mod:`~designer.engine.facts`: one customer's
  events and profile, and the derived facts as of a moment;
* :mod:`~designer.engine.runs`: stored runs, for comparing flows on the same history;
* :mod:`~designer.engine.cores`: how many cores other programs leave free (whether a
  run starts helper processes).

Import from the modules (``from designer.engine.simulate import simulate``):
the package re-exports nothing, so ``designer.engine.simulate`` stays the module.
"""
