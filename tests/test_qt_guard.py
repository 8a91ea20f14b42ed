"""Guard against the PySide6 6.12.0 bug that corrupts None's reference count.

In that release every binding call returning None lowered None's refcount by
one, and after ~20,000 calls CPython aborted with ``none_dealloc``. If an
upgrade brings it back, this test fails instead of users losing work.
"""

import sys

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QWidget

CALLS = 30_000
SLACK = 50


def test_none_returning_bindings_keep_none_refcount(qapp):
    point = QPointF()
    widget = QWidget()
    before = sys.getrefcount(None)
    for i in range(CALLS):
        point.setX(float(i))          # returns None
        widget.setToolTip("")         # returns None
    after = sys.getrefcount(None)
    assert abs(after - before) < SLACK, f"None's refcount drifted by {after - before} over {2 * CALLS} calls"


def test_pinned_version_is_outside_the_broken_release():
    import PySide6

    major, minor, *_ = (int(p) for p in PySide6.__version__.split(".")[:3])
    assert (major, minor) < (6, 12) or PySide6.__version__ != "6.12.0"
