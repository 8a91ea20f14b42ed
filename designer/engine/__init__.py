"""The interpreter of flow semantics and the simulator that backtests a flow over the store.

Modules, each with one job:

* :mod:`~designer.engine.simulate`: ``simulate(flow, store, window=, progress=, cancel=)``,
  the entry point for the editor and the CLI (and ``simulate_together`` for
  several flows sharing smart sending);
* :mod:`~designer.engine.interpreter`: runs a customer's journeys on a virtual clock;
  the semantics are written down there. Its jobs have their own modules:
  :mod:`~designer.engine.journey` (customer and journey state),
  :mod:`~designer.engine.entry` (re-entry and entry keys),
  :mod:`~designer.engine.behaviours` (what each node kind does, a registry by kind),
  :mod:`~designer.engine.sending` (the send gates: quiet hours, consent, smart sending),
  :mod:`~designer.engine.profile_updates`, :mod:`~designer.engine.attribution`
  (conversions credited per entry key, converting recipients);
* :mod:`~designer.engine.horizon`: the warning for a wait the history is too short for;
* :mod:`~designer.engine.versions`: a flow's hash, and its validation once per version;
* :mod:`~designer.engine.figures`: the result dataclasses (per node, per send,
  totals, charts, trace) with ``to_json``, the counter identity they keep, and the
  ``Tally`` of counters a run keeps until it adds them in;
* :mod:`~designer.engine.reader`: the SQL that reads only what a flow can look at;
* :mod:`~designer.engine.plan`: a flow compiled for the interpreter;
* :mod:`~designer.engine.evaluate`: the condition tree evaluated (value semantics);
* :mod:`~designer.engine.clock`: local time, delays until a time of day, quiet hours;
* :mod:`~designer.engine.history`, :mod:`~designer.engine.facts`: one customer's
  events and profile; the derived facts as of a moment and an order's value, one
  definition for conditions and revenue, driven by the flow's conversion settings;
* :mod:`~designer.engine.runs`: stored runs, for comparing flows on the same history;
* :mod:`~designer.engine.cores`: how many cores other programs leave free (whether a
  run starts helper processes).

Import from the modules (``from designer.engine.simulate import simulate``):
the package re-exports nothing, so ``designer.engine.simulate`` stays the module.
"""
