"""Working time between two instants in O(1) per call: cached calendar arithmetic for reports.

:meth:`app.tickets.sla.Calendar.working_between` walks the calendar day by day (a local-time
conversion and two UTC conversions per day), which is right for one ticket and slow for the
thousands of durations of a monthly report. ``WorkClock`` computes the same value as a difference
of a cumulative function: ``W(t)`` = working time from a fixed anchor day to ``t``, built from
each local day's working period ``[start, end)`` (``Calendar._at``, ``Calendar.is_working_day``)
and cached per day — so the rule stays the calendar's, only the walking is shared. Results are
``timedelta`` (exact integer microseconds), equal to ``working_between`` for every pair of
instants (``tests/reports/test_workclock.py`` compares them on random pairs, with holidays,
make-up days and a daylight-saving time zone).

One ``WorkClock`` per report build (a calendar is configuration; keep no global state).
"""

from __future__ import annotations

import datetime as dt

from ..tickets.sla import Calendar, Target

UTC = dt.timezone.utc
ZERO = dt.timedelta(0)


class WorkClock:
    def __init__(self, calendar: Calendar):
        self.calendar = calendar
        self._days: dict[dt.date, tuple[dt.datetime, dt.datetime] | None] = {}
        self._before: dict[dt.date, dt.timedelta] = {}  # working time from the anchor to the day's start
        self._lo: dt.date | None = None
        self._hi: dt.date | None = None

    def _period(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The day's working period in UTC, or None on a day off."""
        try:
            return self._days[day]
        except KeyError:
            cal = self.calendar
            span = (cal._at(day, cal.start), cal._at(day, cal.end)) if cal.is_working_day(day) else None
            self._days[day] = span
            return span

    def _length(self, day: dt.date) -> dt.timedelta:
        span = self._period(day)
        return span[1] - span[0] if span else ZERO

    def _cumulative(self, day: dt.date) -> dt.timedelta:
        before = self._before
        if self._lo is None:
            self._lo = self._hi = day
            before[day] = ZERO
        one = dt.timedelta(days=1)
        while day > self._hi:
            before[self._hi + one] = before[self._hi] + self._length(self._hi)
            self._hi += one
        while day < self._lo:
            before[self._lo - one] = before[self._lo] - self._length(self._lo - one)
            self._lo -= one
        return before[day]

    def worked_until(self, when: dt.datetime) -> dt.timedelta:
        """W(when): working time from the anchor to ``when`` (only differences are meaningful)."""
        day = when.astimezone(self.calendar.tz).date()
        total = self._cumulative(day)
        span = self._period(day)
        if span is not None:
            start, end = span
            if when > start:
                total += (end if when > end else when) - start
        return total

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """= ``Calendar.working_between(start, end)``."""
        if end <= start:
            return ZERO
        return self.worked_until(end) - self.worked_until(start)

    def on(self, target: Target, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """= ``target.between(start, end, calendar)``: wall clock for 24×7 targets."""
        if end <= start:
            return ZERO
        if target.clock == "24x7":
            return end - start
        return self.worked_until(end) - self.worked_until(start)
