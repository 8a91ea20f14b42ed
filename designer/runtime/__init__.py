"""The flow runtime: deployed flows run live with the backtest's interpreter (see DESIGN.md)."""
