"""Local time: zone offsets (cached per day) agree with zoneinfo, through daylight-saving changes."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from designer.engine import clock

ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham", "UTC"]


def ms(text: str) -> int:
    return clock.parse_moment(text)


@settings(max_examples=300)
@given(st.sampled_from(ZONES), st.integers(1_600_000_000_000, 1_800_000_000_000))
def test_offset_matches_zoneinfo(zone, moment):
    tz = ZoneInfo(zone)
    expected = datetime.fromtimestamp(moment / 1000, tz).utcoffset().total_seconds() * 1000
    assert clock.offset_ms(moment, tz) == expected


def test_offset_changes_at_the_exact_moment():
    # Paris springs forward at 2025-03-30 01:00 UTC (02:00 local -> 03:00).
    paris = ZoneInfo("Europe/Paris")
    change = ms("2025-03-30T01:00:00Z")
    assert clock.offset_ms(change - 1, paris) == 3_600_000
    assert clock.offset_ms(change, paris) == 7_200_000


def test_delay_until_local_time_across_a_dst_change():
    # Saturday 2025-03-29 12:00 UTC, until 10:00 Paris on Sunday: CEST (UTC+2) by then -> 08:00 UTC.
    paris = ZoneInfo("Europe/Paris")
    assert clock.next_local_time(ms("2025-03-29T12:00Z"), paris, "10:00", ["sun"]) == ms("2025-03-30T08:00Z")
    # Same wall time the Saturday before: CET (UTC+1) -> 09:00 UTC.
    assert clock.next_local_time(ms("2025-03-22T12:00Z"), paris, "10:00", ["sun"]) == ms("2025-03-23T09:00Z")


def test_quiet_hours_wrap_midnight_and_end_at_local_end():
    ny = ZoneInfo("America/New_York")  # UTC-5 in January
    assert clock.quiet_until(ms("2025-01-10T03:00Z"), ny, "21:00", "08:00") == ms("2025-01-10T13:00Z")  # 22:00 local
    assert clock.quiet_until(ms("2025-01-10T15:00Z"), ny, "21:00", "08:00") is None  # 10:00 local
    assert clock.quiet_until(ms("2025-01-10T15:00Z"), timezone.utc, "12:00", "16:00") == ms("2025-01-10T16:00Z")
    assert clock.quiet_until(ms("2025-01-10T15:00Z"), timezone.utc, "09:00", "09:00") is None
