"""Showing stored text (ids, event names, file names) on a terminal safely.

Imported values are the shop's data, not ours: a control character could move
the cursor or clear the screen, and a bidirectional override (U+202E) makes a
line read backwards. :func:`terminal_text` writes such characters as
``\\u202e``-style escapes and leaves all other text as it is.
"""

from __future__ import annotations

import unicodedata

#: Format characters that reorder or hide text (bidi embeddings, overrides,
#: isolates and marks), escaped although some count as "printable".
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def terminal_text(value: object) -> str:
    """``value`` as text with control, format and bidi characters escaped."""
    text = str(value)
    if text.isprintable() and not _BIDI.intersection(text):
        return text
    return "".join(
        _escape(ch) if ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") else ch
        for ch in text
    )
