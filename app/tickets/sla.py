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
_MAX_DAYS_SEARCHED = 3700
# A ticket is "at risk" when less than this share of its current target is left.
AT_RISK_SHARE = 0.25
# 「需要更新进展」: an open ticket without a public update for this much working time.
UPDATE_DUE_AFTER = dt.timedelta(hours=4)
# Tier-2 escalation target, from the ticket's creation (wall clock).
ESCALATION_TARGET = dt.timedelta(hours=1)
ACTIVE_STATUSES = ("new", "open")        # the SLA clock runs
PAUSED_STATUSES = ("pending",)           # waiting for the requester: the clock stops
DONE_STATUSES = ("resolved", "closed")  # ten years without a working day means the calendar is broken


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

    def previous_working_instant(self, when: dt.datetime) -> dt.datetime:
        """``when`` itself if inside working hours (or at a period's end), else the end of the previous working period."""
        local = when.astimezone(self.tz)
        day = local.date()
        if self.is_working_day(day) and local.time() > self.start:
            return when.astimezone(UTC) if local.time() <= self.end else self._at(day, self.end)
        for _ in range(_MAX_DAYS_SEARCHED):
            day -= dt.timedelta(days=1)
            if self.is_working_day(day):
                return self._at(day, self.end)
        raise SLAConfigError("工作日历中找不到任何工作日，请检查 KB_WORKING_DAYS / KB_HOLIDAYS")

    def subtract_working_time(self, end: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The instant ``amount`` of working time before ``end``."""
        current = self.previous_working_instant(end)
        remaining = amount
        while True:
            local_day = current.astimezone(self.tz).date()
            period_start = self._at(local_day, self.start)
            available = current - period_start
            if remaining <= available:
                return current - remaining
            remaining -= available
            current = self.previous_working_instant(period_start)

    def working_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time from ``start`` to ``end`` (zero when ``end`` is not later)."""
        total = dt.timedelta(0)
        current = self.next_working_instant(start)
        end = end.astimezone(UTC)
        for _ in range(_MAX_DAYS_SEARCHED):
            if current >= end:
                return total
            period_end = self._at(current.astimezone(self.tz).date(), self.end)
            total += min(period_end, end) - current
            if end <= period_end:
                return total
            current = self.next_working_instant(period_end)
        return total


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

    def add(self, start: dt.datetime, amount: dt.timedelta, calendar: Calendar) -> dt.datetime:
        """``amount`` of this target's clock after ``start``."""
        if self.clock == "24x7":
            return start.astimezone(UTC) + amount
        return calendar.add_working_time(start, amount)

    def between(self, start: dt.datetime, end: dt.datetime, calendar: Calendar) -> dt.timedelta:
        """Time on this target's clock from ``start`` to ``end`` (zero when not later)."""
        if end <= start:
            return dt.timedelta(0)
        if self.clock == "24x7":
            return end - start
        return calendar.working_between(start, end)

    def warn_at(self, due: dt.datetime, calendar: Calendar) -> dt.datetime:
        """When less than ``AT_RISK_SHARE`` of the target is left before ``due``."""
        left = self.amount * AT_RISK_SHARE
        if self.clock == "24x7":
            return due.astimezone(UTC) - left
        return calendar.subtract_working_time(due, left)


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


# --- A ticket's SLA: the clock it runs against, pauses, state ---------------------------------
# These take any object with the Ticket columns (status, priority, first_response_at,
# sla_response_due, sla_resolve_due, pending_since, paused_seconds, resolved_at,
# response_breached_at, resolve_breached_at, sla_due_at, sla_warn_at) and never touch a database.


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def current_target(ticket, policy: Policy) -> tuple[str, Target, dt.datetime]:
    """("response"|"resolve", its Target, its due time) the ticket now runs against."""
    if ticket.first_response_at is None:
        return "response", policy.response[ticket.priority], _aware(ticket.sla_response_due)
    return "resolve", policy.resolve[ticket.priority], _aware(ticket.sla_resolve_due)


def refresh_schedule(ticket, policy: Policy) -> None:
    """Set ``sla_due_at`` / ``sla_warn_at`` from the status and due times (None unless the clock runs)."""
    if ticket.status not in ACTIVE_STATUSES:
        ticket.sla_due_at = None
        ticket.sla_warn_at = None
        return
    _, target, due = current_target(ticket, policy)
    ticket.sla_due_at = due
    ticket.sla_warn_at = target.warn_at(due, policy.calendar)


def pause(ticket, now: dt.datetime) -> None:
    """The ticket starts waiting for the requester: the clock stops at ``now``."""
    if ticket.pending_since is None:
        ticket.pending_since = now


def resume(ticket, policy: Policy, now: dt.datetime) -> dt.timedelta:
    """The wait is over: each due time not yet passed when the pause began moves by the time
    paused (on its own clock). Returns the wall time paused."""
    since = _aware(ticket.pending_since)
    if since is None:
        return dt.timedelta(0)
    now = _aware(now)
    for attr, targets in (("sla_response_due", policy.response), ("sla_resolve_due", policy.resolve)):
        if attr == "sla_response_due" and ticket.first_response_at is not None:
            continue
        due = _aware(getattr(ticket, attr))
        if due is None or due <= since:
            continue  # already breached before the pause: stays breached
        target = targets[ticket.priority]
        left = target.between(since, due, policy.calendar)
        setattr(ticket, attr, target.add(now, left, policy.calendar))
    paused = max(now - since, dt.timedelta(0))
    ticket.paused_seconds = int(ticket.paused_seconds or 0) + int(paused.total_seconds())
    ticket.pending_since = None
    return paused


def pause_intervals(events) -> list[tuple[dt.datetime, dt.datetime]]:
    """The finished waits of a ticket, from its events' status changes: [(paused at, resumed at)],
    oldest first. A wait still running (the ticket is pending now) is not included."""
    out, since = [], None
    for event in sorted(events, key=lambda e: (_aware(e.created_at), e.id or 0)):
        change = (event.changes or {}).get("status") if isinstance(event.changes, dict) else None
        if not change or len(change) != 2:
            continue
        before, after = change
        if after in PAUSED_STATUSES and before not in PAUSED_STATUSES:
            since = _aware(event.created_at)
        elif before in PAUSED_STATUSES and after not in PAUSED_STATUSES and since is not None:
            out.append((since, _aware(event.created_at)))
            since = None
    return out


def replay_pauses(due: dt.datetime, target: Target, intervals, calendar: Calendar) -> dt.datetime:
    """``due`` moved by each finished wait exactly as :func:`resume` moved it: a due time not yet
    passed when the wait began moves by the time waited on the target's own clock (working hours
    on the business calendar, wall time on 24×7); one already passed stays (breached)."""
    due = _aware(due)
    for since, until in intervals:
        if due <= since:
            continue
        due = target.add(until, target.between(since, due, calendar), calendar)
    return due


def state(ticket, now: dt.datetime) -> str:
    """ok | at_risk | breached | paused | met (INTERFACES.md)."""
    now = _aware(now)
    if ticket.status in DONE_STATUSES:
        resolved = _aware(ticket.resolved_at)
        due = _aware(ticket.sla_resolve_due)
        if ticket.resolve_breached_at or ticket.response_breached_at or (resolved and due and resolved > due):
            return "breached"
        return "met"
    if ticket.status in PAUSED_STATUSES:
        return "paused"
    due = _aware(ticket.sla_due_at)
    if due is None:
        return "ok"
    if due <= now:
        return "breached"
    warn = _aware(ticket.sla_warn_at)
    if warn is not None and warn <= now:
        return "at_risk"
    return "ok"


def needs_update(ticket, calendar: Calendar, now: dt.datetime) -> bool:
    """「需要更新进展」: new/open and more than UPDATE_DUE_AFTER working time since the last public update."""
    if ticket.status not in ACTIVE_STATUSES:
        return False
    since = _aware(ticket.last_public_update_at or ticket.created_at)
    return calendar.working_between(since, _aware(now)) > UPDATE_DUE_AFTER


def describe_left(due: dt.datetime | None, now: dt.datetime) -> str:
    """「还剩 1 小时 20 分」 / 「已超时 35 分钟」 (wall time)."""
    if due is None:
        return ""
    seconds = int((_aware(due) - _aware(now)).total_seconds())
    minutes = abs(seconds) // 60
    if minutes >= 1440:
        days, rest = divmod(minutes, 1440)
        text = f"{days} 天 {rest // 60} 小时" if rest // 60 else f"{days} 天"
    elif minutes >= 60:
        text = f"{minutes // 60} 小时 {minutes % 60} 分" if minutes % 60 else f"{minutes // 60} 小时"
    else:
        text = f"{max(minutes, 1) if seconds < 0 else minutes} 分钟"
    return f"已超时 {text}" if seconds < 0 else f"还剩 {text}"
