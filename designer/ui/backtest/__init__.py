"""The backtest in the editor: the event store, background runs, results on the canvas and in a dock.

* :mod:`~designer.ui.backtest.worker`: QThreadPool tasks that report through Qt signals;
* :mod:`~designer.ui.backtest.store_panel`: which store the window uses, its figures in the status bar;
* :mod:`~designer.ui.backtest.import_dialog`: File > Import Events...;
* :mod:`~designer.ui.backtest.controller`: runs a backtest of the open flow, keeps its result and the one before;
* :mod:`~designer.ui.backtest.overlay`: the counts on the cards and edges (view state, never in the flow);
* :mod:`~designer.ui.backtest.results_dock`: the Results dock, composed of the pieces below and the
  per-step and per-send tables;
* :mod:`~designer.ui.backtest.window_picker`: all history or a from/to pair of days;
* :mod:`~designer.ui.backtest.compare_picker`: what the totals are compared with (previous, nothing, a saved run);
* :mod:`~designer.ui.backtest.totals`: the tiles and the line that says what changed;
* :mod:`~designer.ui.backtest.trace_view`: one customer's journeys step by step;
* :mod:`~designer.ui.backtest.charts`: messages per day and per local hour;
* :mod:`~designer.ui.backtest.numbers`: how counts and money are written.
"""
