"""Shared test set-up: run Qt offscreen, import the checkout (installed or not), and keep the
app's data folder (sample shop, recovery files, crash reports) out of the user's own,
for this process and the ``python main.py`` processes tests start."""

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TRIGGER_FLOW_DATA_DIR", tempfile.mkdtemp(prefix="trigger-flow-test-data-"))
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
