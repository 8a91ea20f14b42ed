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
    night = clock.QuietHours.between("21:00", "08:00")  # the send gate's rule (sending.py)
    assert night.until(ms("2025-01-10T03:00Z"), ny) == ms("2025-01-10T13:00Z")  # 22:00 local
    assert night.until(ms("2025-01-10T15:00Z"), ny) is None  # 10:00 local
    assert night.until(ms("2025-01-10T12:59Z"), ny) == ms("2025-01-10T13:00Z")  # 07:59 local
    noon = clock.QuietHours.between("12:00", "16:00")
    assert noon.until(ms("2025-01-10T15:00Z"), timezone.utc) == ms("2025-01-10T16:00Z")
    assert noon.until(ms("2025-01-10T16:00Z"), timezone.utc) is None  # the end is not quiet
    assert clock.QuietHours.between("09:00", "09:00") is None  # an empty period holds nothing


def reference_next_local_time(moment, tz, at, weekdays):
    """The rule stated plainly with datetime objects, day by day, to check the cached arithmetic."""
    from datetime import time as wall, timedelta

    from designer.model.kinds import WEEKDAYS

    today = datetime.fromtimestamp(moment / 1000, tz).date()
    for offset in range(8):
        day = today + timedelta(days=offset)
        if weekdays and WEEKDAYS[day.weekday()] not in weekdays:
            continue
        if at is None:
            return moment if offset == 0 else clock.to_ms(datetime.combine(day, wall(0, 0), tzinfo=tz))
        hours, minutes = map(int, at.split(":"))
        candidate = clock.to_ms(datetime.combine(day, wall(hours, minutes), tzinfo=tz))
        if candidate >= moment:
            return candidate
    raise AssertionError("no allowed day in a week")


@settings(max_examples=300)
@given(st.sampled_from(ZONES), st.integers(1_600_000_000_000, 1_800_000_000_000),
       st.one_of(st.none(), st.sampled_from(["00:00", "01:30", "02:30", "08:00", "10:00", "23:59"])),
       st.one_of(st.none(), st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                                     min_size=1, max_size=3, unique=True)))
def test_next_local_time_matches_the_plain_rule(zone, moment, at, weekdays):
    # Wall times are cached per zone and local day; the answer must be what datetime gives,
    # including in DST gaps (02:30 on a spring-forward night) and on the shortest and longest days.
    tz = ZoneInfo(zone)
    expected = reference_next_local_time(moment, tz, at, weekdays)
    assert clock.next_local_time(moment, tz, at, weekdays) == expected
    assert clock.next_local_time(moment, tz, at, weekdays) == expected  # from the cache


def test_next_local_time_near_a_change_of_offset():
    # Moments around Paris's spring-forward (2025-03-30 01:00 UTC) and fall-back (2025-10-26 01:00 UTC).
    paris = ZoneInfo("Europe/Paris")
    for change in (ms("2025-03-30T01:00:00Z"), ms("2025-10-26T01:00:00Z")):
        for delta in (-3_600_001, -1, 0, 1, 3_599_999, 3_600_000, 86_399_999):
            for at in ("00:00", "02:30", "03:00", "08:00"):
                moment = change + delta
                assert clock.next_local_time(moment, paris, at, None) == \
                    reference_next_local_time(moment, paris, at, None), (moment, at)
