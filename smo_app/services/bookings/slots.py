"""Free slots, as a pure function of one resource's day: working intervals − busy ranges (with
buffers) − minimum notice, at the service's step. No database here: ``availability`` loads the
inputs and the booking use case runs the same function under the resource's lock.

Working intervals are the shop's local wall time (minutes from local midnight); every datetime in
and out is UTC-aware.
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

Interval = tuple[int, int]  # local minutes from midnight, [start, end)


@dataclass(frozen=True, slots=True)
class Busy:
    """A live booking's buffered range ``[start, end)``. A class booking (not exclusive) of the same
    service at the same start shares its time with others up to the capacity."""

    start: datetime
    end: datetime
    exclusive: bool = True
    service_id: int | None = None
    starts_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Rules:
    duration_min: int
    step_min: int
    buffer_before_min: int = 0
    buffer_after_min: int = 0
    capacity: int = 1
    service_id: int | None = None


def day_intervals(weekday_hours: Iterable[Interval], exception: Sequence[Interval] | None, *, off: bool) -> list[Interval]:
    """The day's working intervals: none on a day off or holiday, the exception's on an extra or
    shorter day, else the weekday's; sorted, empty ones dropped."""
    if off:
        return []
    chosen = exception if exception is not None else list(weekday_hours)
    return sorted((s, e) for s, e in chosen if 0 <= s < e <= 24 * 60)


def local_moment(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """``minute`` minutes after local midnight of ``day``, in UTC (minute 1440 is the next midnight)."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    return wall.replace(tzinfo=tz).astimezone(timezone.utc)


def free_slots(*, day: date, tz: ZoneInfo, intervals: Sequence[Interval], rules: Rules, busy: Sequence[Busy],
               earliest: datetime, latest: datetime | None = None) -> list[datetime]:
    """UTC starts of the slots free on ``day``: the service's time lies within one working interval,
    starts no earlier than ``earliest`` (now + notice) and no later than ``latest``; its buffered
    range overlaps no exclusive busy range and no other service's class; a class start already
    holding ``capacity`` bookings is full."""
    step = max(1, rules.step_min)
    before, after = timedelta(minutes=rules.buffer_before_min), timedelta(minutes=rules.buffer_after_min)
    length = timedelta(minutes=rules.duration_min)
    taken_at: dict[datetime, int] = {}
    blocking: list[tuple[datetime, datetime]] = []
    for b in busy:
        if not b.exclusive and rules.capacity > 1 and b.service_id == rules.service_id and b.starts_at is not None:
            taken_at[b.starts_at] = taken_at.get(b.starts_at, 0) + 1
        else:
            blocking.append((b.start, b.end))
    blocking.sort()
    # an overlap with [lo, hi) exists iff some range starting before hi ends after lo: the largest
    # end among the ranges starting before hi says it (the starts sorted, the ends' running maximum)
    starts = [b[0] for b in blocking]
    reach: list[datetime] = []
    for _, end in blocking:
        reach.append(end if not reach or end > reach[-1] else reach[-1])
    classes = [b for b in busy if not b.exclusive and b.service_id == rules.service_id] if rules.capacity > 1 else []
    out: list[datetime] = []
    for start_min, end_min in intervals:
        m = start_min
        while m + rules.duration_min <= end_min:
            start = local_moment(day, m, tz)
            m += step
            if start < earliest or (latest is not None and start > latest):
                continue
            lo, hi = start - before, start + length + after
            i = bisect_left(starts, hi)
            if i and reach[i - 1] > lo:
                continue
            if taken_at.get(start, 0) >= rules.capacity:
                continue
            if any(b.starts_at != start and b.start < hi and lo < b.end for b in classes):
                continue  # another start of the same class overlapping this one
            out.append(start)
    return out
