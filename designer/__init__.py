"""Trigger Flow Designer: draw, backtest and publish behavioural-trigger flows."""

from pathlib import Path

__version__ = "0.1.0"

#: The repository's top-level folders the program ships with.
ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
EXAMPLE_FLOWS = ROOT / "flows"
