"""The interpreter of flow semantics and the simulator that backtests a flow over the store."""
