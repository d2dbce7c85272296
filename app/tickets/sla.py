"""SLA due times: first response and resolution, on a working-hours calendar.

Default policy (``KB_SLA_POLICY``)::

    priority  first response   resolution       clock
    P1        15 minutes       4 hours          around the clock (24×7, calendars ignored)
    P2        2 hours          1 working day    working hours
    P3        1 working day    3 working days   working hours
    P4        2 working days   5 working days   working hours

A *working day* is the length of the working hours (default 09:00–18:00 = 9 hours), so
"1 working day" from Tuesday 15:00 is Wednesday 15:00, and from Friday 15:00 is Monday 15:00.
Working hours count Monday–Friday (``KB_WORKING_DAYS``, ISO weekday numbers 1–7) between
``KB_WORKING_HOURS`` (``("09:00", "18:00")``) in ``KB_TIMEZONE`` (``Asia/Shanghai``), minus
``KB_HOLIDAYS`` (dates) plus ``KB_EXTRA_WORKDAYS`` (make-up working days such as a 调休
Saturday). A request submitted out of hours starts counting at the next working minute.

Durations in the policy are ``"15m"``, ``"2h"``, ``"1d"`` (a working day on the working-hours
clock, 24 hours on the 24×7 clock) or a number of minutes. Override per priority and per key:
``KB_SLA_POLICY = {"P3": {"response": "4h"}}``.

Every function here takes and returns timezone-aware datetimes; due times come back in UTC
(what the database stores); convert with :func:`to_local` for display.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.timezone.utc

DEFAULT_POLICY: dict[str, dict[str, object]] = {
    "P1": {"response": "15m", "resolve": "4h", "clock": "24x7"},
    "P2": {"response": "2h", "resolve": "1d", "clock": "business"},
    "P3": {"response": "1d", "resolve": "3d", "clock": "business"},
    "P4": {"response": "2d", "resolve": "5d", "clock": "business"},
}
CLOCKS = ("24x7", "business")
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_WORKING_HOURS = ("09:00", "18:00")
DEFAULT_WORKING_DAYS = (1, 2, 3, 4, 5)
_MAX_DAYS_SEARCHED = 3700  # ten years without a working day means the calendar is broken


class SLAConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Calendar:
    """Working hours in one time zone, with holidays and make-up working days."""

    tz: ZoneInfo
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(18, 0)
    workdays: frozenset[int] = frozenset(DEFAULT_WORKING_DAYS)
    holidays: frozenset[dt.date] = frozenset()
    extra_workdays: frozenset[dt.date] = frozenset()

    @property
    def day_length(self) -> dt.timedelta:
        return dt.datetime.combine(dt.date.min, self.end) - dt.datetime.combine(dt.date.min, self.start)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.holidays:
            return False
        if day in self.extra_workdays:
            return True
        return day.isoweekday() in self.workdays

    def _at(self, day: dt.date, wall: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, wall, tzinfo=self.tz).astimezone(UTC)

    def next_working_instant(self, when: dt.datetime) -> dt.datetime:
        """``when`` itself if it is inside working hours, else the start of the next working period."""
        local = when.astimezone(self.tz)
        day = local.date()
        if self.is_working_day(day) and local.time() < self.end:
            return when.astimezone(UTC) if local.time() >= self.start else self._at(day, self.start)
        for _ in range(_MAX_DAYS_SEARCHED):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                return self._at(day, self.start)
        raise SLAConfigError("工作日历中找不到任何工作日，请检查 KB_WORKING_DAYS / KB_HOLIDAYS")

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The instant ``amount`` of working time after ``start`` (counting from the next working minute)."""
        current = self.next_working_instant(start)
        remaining = amount
        while True:
            local_day = current.astimezone(self.tz).date()
            period_end = self._at(local_day, self.end)
            available = period_end - current
            if remaining <= available:
                return current + remaining
            remaining -= available
            current = self.next_working_instant(period_end)


@dataclass(frozen=True)
class Target:
    """One SLA target: an amount of time on a clock (``24x7`` or ``business``)."""

    amount: dt.timedelta
    clock: str
    spec: str  # as configured, for display ("2h", "1d")

    def due(self, start: dt.datetime, calendar: Calendar) -> dt.datetime:
        if self.clock == "24x7":
            return start.astimezone(UTC) + self.amount
        return calendar.add_working_time(start, self.amount)


@dataclass(frozen=True)
class Policy:
    calendar: Calendar
    response: dict[str, Target]
    resolve: dict[str, Target]

    def due_times(self, priority: str, created: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """(first response due, resolution due) in UTC for a ticket created at ``created``."""
        if created.tzinfo is None:
            raise ValueError("created must be timezone-aware")
        return (
            self.response[priority].due(created, self.calendar),
            self.resolve[priority].due(created, self.calendar),
        )


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd]?)\s*$", re.IGNORECASE)


def parse_duration(value, clock: str, day_length: dt.timedelta) -> dt.timedelta:
    """``"15m"``, ``"2h"``, ``"1d"`` or minutes (int) → timedelta; ``d`` is a working day on the business clock."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, bool):
        raise SLAConfigError(f"无法识别的时长 {value!r}")
    if isinstance(value, (int, float)):
        return dt.timedelta(minutes=value)
    match = _DURATION.match(str(value))
    if not match:
        raise SLAConfigError(f"无法识别的时长 {value!r}（例如 \"15m\"、\"2h\"、\"1d\"）")
    number, unit = float(match.group(1)), match.group(2).lower() or "m"
    if unit == "m":
        return dt.timedelta(minutes=number)
    if unit == "h":
        return dt.timedelta(hours=number)
    return (day_length if clock == "business" else dt.timedelta(days=1)) * number


def _parse_time(value) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise SLAConfigError(f"KB_WORKING_HOURS: 无法识别的时间 {value!r}（例如 \"09:00\"）") from exc


def _parse_dates(values: Iterable | None, name: str) -> frozenset[dt.date]:
    days = set()
    for value in values or ():
        if isinstance(value, dt.datetime):
            days.add(value.date())
        elif isinstance(value, dt.date):
            days.add(value)
        else:
            try:
                days.add(dt.date.fromisoformat(str(value).strip()))
            except ValueError as exc:
                raise SLAConfigError(f"{name}: 无法识别的日期 {value!r}（格式 YYYY-MM-DD）") from exc
    return frozenset(days)


def timezone_from_config(config: Mapping) -> ZoneInfo:
    name = config.get("KB_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SLAConfigError(f"KB_TIMEZONE: 未知的时区 {name!r}（例如 \"Asia/Shanghai\"）") from exc


def calendar_from_config(config: Mapping) -> Calendar:
    hours = config.get("KB_WORKING_HOURS") or DEFAULT_WORKING_HOURS
    if len(hours) != 2:
        raise SLAConfigError("KB_WORKING_HOURS 必须是 (开始, 结束)，例如 (\"09:00\", \"18:00\")")
    start, end = _parse_time(hours[0]), _parse_time(hours[1])
    if end <= start:
        raise SLAConfigError("KB_WORKING_HOURS: 下班时间必须晚于上班时间")
    days = config.get("KB_WORKING_DAYS") or DEFAULT_WORKING_DAYS
    try:
        workdays = frozenset(int(d) for d in days)
    except (TypeError, ValueError) as exc:
        raise SLAConfigError("KB_WORKING_DAYS 必须是 1（周一）到 7（周日）的数字列表") from exc
    if not workdays <= set(range(1, 8)):
        raise SLAConfigError("KB_WORKING_DAYS 必须是 1（周一）到 7（周日）的数字列表")
    return Calendar(
        tz=timezone_from_config(config),
        start=start,
        end=end,
        workdays=workdays,
        holidays=_parse_dates(config.get("KB_HOLIDAYS"), "KB_HOLIDAYS"),
        extra_workdays=_parse_dates(config.get("KB_EXTRA_WORKDAYS"), "KB_EXTRA_WORKDAYS"),
    )


def policy_from_config(config: Mapping) -> Policy:
    calendar = calendar_from_config(config)
    overrides = config.get("KB_SLA_POLICY") or {}
    if not isinstance(overrides, Mapping):
        raise SLAConfigError("KB_SLA_POLICY 必须是 {\"P1\": {\"response\": \"15m\", …}} 形式的字典")
    unknown = set(overrides) - set(DEFAULT_POLICY)
    if unknown:
        raise SLAConfigError(f"KB_SLA_POLICY: 未知的优先级 {sorted(unknown)}（可用：P1–P4）")
    response, resolve = {}, {}
    for priority, default in DEFAULT_POLICY.items():
        entry = {**default, **(overrides.get(priority) or {})}
        clock = entry["clock"]
        if clock not in CLOCKS:
            raise SLAConfigError(f"KB_SLA_POLICY[{priority!r}]: clock 只能是 \"24x7\" 或 \"business\"")
        for key, out in (("response", response), ("resolve", resolve)):
            amount = parse_duration(entry[key], clock, calendar.day_length)
            if amount <= dt.timedelta(0):
                raise SLAConfigError(f"KB_SLA_POLICY[{priority!r}][{key!r}] 必须大于 0")
            out[priority] = Target(amount=amount, clock=clock, spec=str(entry[key]))
    return Policy(calendar=calendar, response=response, resolve=resolve)


def to_local(when: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    """``when`` in ``tz``; naive values (SQLite hands them back) are taken as UTC."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(tz)


def describe_target(target: Target, calendar: Calendar) -> str:
    """Plain Chinese for a target: "15 分钟", "2 小时", "1 个工作日", "4 小时"."""
    minutes = round(target.amount.total_seconds() / 60)
    day_minutes = round(calendar.day_length.total_seconds() / 60)
    if target.clock == "business" and day_minutes and minutes % day_minutes == 0:
        return f"{minutes // day_minutes} 个工作日"
    if target.clock == "24x7" and minutes % 1440 == 0:
        return f"{minutes // 1440} 天"
    if minutes % 60 == 0:
        return f"{minutes // 60} 小时"
    if minutes > 60:
        return f"{minutes // 60} 小时 {minutes % 60} 分钟"
    return f"{minutes} 分钟"


def describe_calendar(calendar: Calendar) -> str:
    """E.g. "工作时间：周一至周五 09:00–18:00（法定节假日除外）"."""
    names = "一二三四五六日"
    days = sorted(calendar.workdays)
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 1:
        span = f"周{names[days[0] - 1]}至周{names[days[-1] - 1]}"
    else:
        span = "、".join(f"周{names[d - 1]}" for d in days)
    return f"工作时间：{span} {calendar.start:%H:%M}–{calendar.end:%H:%M}（法定节假日除外，调休工作日照常）"
