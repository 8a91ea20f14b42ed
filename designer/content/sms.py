"""SMS length in segments: GSM-7 (160 characters, 153 per part when split) or UCS-2 (70, 67 per part)."""

from __future__ import annotations

from dataclasses import dataclass

_GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
            "¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" | "UCS-2"
    units: int  # characters as the encoding counts them (extended GSM characters count twice)
    count: int  # parts the message is sent as (each billed as one SMS)
    per_segment: int

    def describe(self) -> str:
        return f"{self.units} {self.encoding} characters, {self.count} segment{'s' if self.count != 1 else ''}"


def segments(text: str) -> Segments:
    if all(c in _GSM7 or c in _GSM7_EXTENDED for c in text):
        units = sum(2 if c in _GSM7_EXTENDED else 1 for c in text)
        single, multi, enc = 160, 153, "GSM-7"
    else:
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)  # UTF-16 code units
        single, multi, enc = 70, 67, "UCS-2"
    count = 1 if units <= single else -(-units // multi)
    return Segments(enc, units, max(count, 1 if units else 0), single if count <= 1 else multi)
