"""Slot maths (BK3) as a property: whatever the hours, exceptions, bookings, buffers and notice,
no offered slot overlaps a booking with buffers, each lies inside working hours, after the notice,
on the service's step — in zones without daylight saving, including at the shop's midnight."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from smo_app.services.bookings.slots import Busy, Rules, day_intervals, free_slots, local_moment

ZONES = ["UTC", "Europe/Moscow", "Asia/Vladivostok", "Asia/Kolkata", "Pacific/Kiritimati", "America/Lima"]
DAY = date(2026, 12, 14)


@st.composite
def intervals(draw):
    cuts = sorted(set(draw(st.lists(st.integers(0, 24 * 60), min_size=2, max_size=6))))
    return [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]


@st.composite
def busy_ranges(draw, tz):
    out = []
    for _ in range(draw(st.integers(0, 6))):
        start = local_moment(DAY, draw(st.integers(-120, 24 * 60 + 120)), tz)
        out.append(Busy(start=start, end=start + timedelta(minutes=draw(st.integers(5, 240)))))
    return out


@settings(max_examples=300, deadline=None)
@given(data=st.data(), zone=st.sampled_from(ZONES), hours=intervals(), exception=st.none() | intervals(),
       off=st.booleans(), duration=st.integers(5, 180), step=st.sampled_from([5, 10, 15, 30, 60]),
       before=st.integers(0, 60), after=st.integers(0, 60), notice=st.integers(-2000, 2000))
def test_no_slot_overlaps_a_booking_with_buffers_and_each_lies_in_hours_after_notice(
        data, zone, hours, exception, off, duration, step, before, after, notice):
    tz = ZoneInfo(zone)
    busy = data.draw(busy_ranges(tz))
    rules = Rules(duration_min=duration, step_min=step, buffer_before_min=before, buffer_after_min=after)
    day_iv = day_intervals(hours, exception, off=off)
    earliest = local_moment(DAY, 0, tz) + timedelta(minutes=notice)
    # when the free slots are computed
    slots = free_slots(day=DAY, tz=tz, intervals=day_iv, rules=rules, busy=busy, earliest=earliest)
    for s in slots:
        assert s.tzinfo is not None and s.utcoffset() == timedelta(0) or s.tzinfo == timezone.utc
        local = s.astimezone(tz)
        minute = (s - local_moment(DAY, 0, tz)) // timedelta(minutes=1)
        # then the service's time lies inside one working interval, on its step from the opening
        assert any(a <= minute and minute + duration <= b and (minute - a) % step == 0 for a, b in day_iv)
        assert local.date() == DAY or minute == 24 * 60  # the shop's own date
        # and after the notice
        assert s >= earliest
        # and the buffered range overlaps no booking
        lo, hi = s - timedelta(minutes=before), s + timedelta(minutes=duration + after)
        assert all(not (b.start < hi and lo < b.end) for b in busy)
    # a day off (or a holiday) has no slots at all
    if off:
        assert slots == []
    # and nothing was left out: every step start that passes all the rules is offered
    expected = []
    for a, b in day_iv:
        m = a
        while m + duration <= b:
            s = local_moment(DAY, m, tz)
            lo, hi = s - timedelta(minutes=before), s + timedelta(minutes=duration + after)
            if s >= earliest and all(not (x.start < hi and lo < x.end) for x in busy):
                expected.append(s)
            m += step
    assert slots == expected


def test_the_shops_midnight_is_its_own_not_utcs():
    # given a shop in Vladivostok (UTC+10) open from midnight to 02:00
    tz = ZoneInfo("Asia/Vladivostok")
    rules = Rules(duration_min=60, step_min=60)
    # when a customer anywhere asks for that local day's slots
    slots = free_slots(day=DAY, tz=tz, intervals=[(0, 120)], rules=rules, busy=[],
                       earliest=datetime(2000, 1, 1, tzinfo=timezone.utc))
    # then the first slot is the shop's midnight, which is 14:00 UTC the day before
    assert [s.isoformat() for s in slots] == ["2026-12-13T14:00:00+00:00", "2026-12-13T15:00:00+00:00"]
    assert [s.astimezone(tz).strftime("%H:%M") for s in slots] == ["00:00", "01:00"]


def test_a_class_fills_up_to_its_capacity_and_blocks_overlapping_starts():
    tz = ZoneInfo("Europe/Moscow")
    rules = Rules(duration_min=90, step_min=30, capacity=3, service_id=7)
    ten = local_moment(DAY, 600, tz)
    seats = [Busy(start=ten, end=ten + timedelta(minutes=90), exclusive=False, service_id=7, starts_at=ten)] * 2
    # given two of three seats taken at 10:00
    slots = free_slots(day=DAY, tz=tz, intervals=[(600, 780)], rules=rules, busy=seats,
                       earliest=datetime(2000, 1, 1, tzinfo=timezone.utc))
    # then 10:00 is still offered, no other start overlapping that class is, 11:30 (after it) is
    assert [s.astimezone(tz).strftime("%H:%M") for s in slots] == ["10:00", "11:30"]
    # and with the third seat taken, 10:00 is full
    slots = free_slots(day=DAY, tz=tz, intervals=[(600, 780)], rules=rules, busy=seats + seats[:1],
                       earliest=datetime(2000, 1, 1, tzinfo=timezone.utc))
    assert [s.astimezone(tz).strftime("%H:%M") for s in slots] == ["11:30"]
