"""The backtest in the editor: the event store, background runs, results on the canvas and in a dock.

* :mod:`~designer.ui.backtest.worker`: QThreadPool tasks that report through Qt signals;
* :mod:`~designer.ui.backtest.store_panel`: which store the window uses, its figures in the status bar;
* :mod:`~designer.ui.backtest.import_dialog`: File > Import Events...;
* :mod:`~designer.ui.backtest.controller`: runs a backtest of the open flow, keeps its result and the one before;
* :mod:`~designer.ui.backtest.overlay`: the counts on the cards and edges (view state, never in the flow);
* :mod:`~designer.ui.backtest.results_dock`: totals, per-step and per-send tables, charts, window, trace;
* :mod:`~designer.ui.backtest.charts`: messages per day and per local hour;
* :mod:`~designer.ui.backtest.numbers`: how counts and money are written.
"""
