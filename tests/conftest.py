"""Shared test set-up: run Qt offscreen, import the checkout (installed or not), and keep the
app's data folder (sample shop, recovery files, crash reports, store keys) and the keyring
out of the user's own,
for this process and the ``python main.py`` processes tests start."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TRIGGER_FLOW_DATA_DIR", tempfile.mkdtemp(prefix="trigger-flow-test-data-"))
# Never the developer's own keyring: no keyring at all, so store keys go to the (temporary) data
# folder; tests that need one install an in-memory keyring themselves.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ.pop("FLOW_STORE_KEY_FILE", None)
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def qapp(qapp_args):
    """The application as the program makes it (names, shared GL contexts, cycles collected on
    the GUI thread only), for every test that uses pytest-qt."""
    from designer.ui.app import application

    return application(qapp_args)


_exit_status = {"code": None}


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    _exit_status["code"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """End the process with pytest's own status once everything is reported.

    PySide6 sometimes crashes while the interpreter tears down Qt objects left to
    the garbage collector after the last test (exit 139 after a fully passed and
    reported run); the status pytest decided is the run's result, so it is the
    process's exit code too.
    """
    if _exit_status["code"] is not None and "PySide6" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status["code"])
