"""The report period: whole local days in ``KB_TIMEZONE``, half-open ``[start, end)`` in UTC."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

UTC = dt.timezone.utc
MAX_DAYS = 366
# The days a report may cover: past the edges of the calendar (0001-01-01 at UTC+8 is before year
# 1 in UTC, the day after 9999-12-31 does not exist) a period's bounds cannot be computed.
EARLIEST, LATEST = dt.date(1970, 1, 1), dt.date(9998, 12, 31)
OUT_OF_RANGE = f"日期应在 {EARLIEST.isoformat()} 到 {LATEST.isoformat()} 之间。"
RANGES = ("this_month", "last_month", "custom")


class PeriodError(ValueError):
    """A bad range from a form, a URL or the command line; ``message`` is Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Period:
    first: dt.date  # first local day (inclusive)
    last: dt.date  # last local day (inclusive)
    tz: ZoneInfo
    kind: str = "custom"

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, self.tz).astimezone(UTC)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, self.tz).astimezone(UTC)

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def local_iso(self, when: dt.datetime | None) -> str | None:
        """``when`` as ISO 8601 in the period's zone (``2026-12-05T09:46:00+08:00``): the pages and
        CSV files show its first 16 characters, which must be the local time, not UTC's."""
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone(self.tz).isoformat()

    def day_of(self, when: dt.datetime) -> dt.date:
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone(self.tz).date()

    def day_end(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, self.tz).astimezone(UTC)

    @property
    def label(self) -> str:
        if self.first.day == 1 and (self.last + dt.timedelta(days=1)).day == 1 and self.first.month == self.last.month:
            return f"{self.first.year} 年 {self.first.month} 月"
        return f"{self.first.isoformat()} 至 {self.last.isoformat()}"


def month(year: int, month_no: int, tz: ZoneInfo, kind: str = "custom") -> Period:
    if not EARLIEST.year <= year <= LATEST.year:
        raise PeriodError(OUT_OF_RANGE)
    first = dt.date(year, month_no, 1)
    nxt = dt.date(year + (month_no == 12), month_no % 12 + 1, 1)
    return Period(first, nxt - dt.timedelta(days=1), tz, kind)


def this_month(tz: ZoneInfo, today: dt.date | None = None) -> Period:
    today = today or dt.datetime.now(tz).date()
    return month(today.year, today.month, tz, "this_month")


def last_month(tz: ZoneInfo, today: dt.date | None = None) -> Period:
    today = today or dt.datetime.now(tz).date()
    prev = today.replace(day=1) - dt.timedelta(days=1)
    return month(prev.year, prev.month, tz, "last_month")


_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(value: str, tz: ZoneInfo) -> Period:
    m = _MONTH.match(value or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise PeriodError(f"月份格式应为 YYYY-MM（例如 2026-11），收到「{value}」。")
    return month(int(m.group(1)), int(m.group(2)), tz)


def parse_day(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise PeriodError(f"{name}的格式应为 YYYY-MM-DD（例如 2026-11-01），收到「{value}」。") from None


def custom(first: str, last: str, tz: ZoneInfo) -> Period:
    a, b = parse_day(first, "开始日期"), parse_day(last, "结束日期")
    if a > b:
        raise PeriodError("开始日期晚于结束日期。")
    if (b - a).days + 1 > MAX_DAYS:
        raise PeriodError(f"时间范围最长 {MAX_DAYS} 天。")
    if a < EARLIEST or b > LATEST:
        raise PeriodError(OUT_OF_RANGE)
    return Period(a, b, tz, "custom")


def from_args(args, tz: ZoneInfo, today: dt.date | None = None) -> Period:
    """``range=this_month|last_month|custom`` with ``from``/``to`` (custom; without ``range`` either
    date implies custom, a preset ``range`` ignores the dates). A missing ``from`` is the first
    day of the ``to`` month (of this month without either); a missing ``to`` is today."""
    kind = (args.get("range") or "").strip()
    if kind == "custom" or (kind == "" and (args.get("from") or args.get("to"))):
        today = today or dt.datetime.now(tz).date()
        last = args.get("to") or today.isoformat()
        first = args.get("from") or (parse_day(last, "结束日期").replace(day=1).isoformat())
        return custom(first, last, tz)
    if kind == "last_month":
        return last_month(tz, today)
    if kind in ("", "this_month"):
        return this_month(tz, today)
    raise PeriodError(f"未知的时间范围「{kind}」（可用：this_month、last_month、custom）。")


# --- Grouping by local day in the database ----------------------------------------------------
# Local days do not have one SQL spelling on both databases (nor a fixed offset under DST), so
# queries GROUP BY the quarter hour of the UTC instant — every real UTC offset and DST change
# falls on a quarter hour — and Python maps each of the (≤ 96 a day) groups to its local day.

QUARTER = 900  # seconds


class quarter_hour(FunctionElement):
    """Whole quarter hours since 1970-01-01 UTC of a timestamp column (an integer)."""

    type = Integer()
    inherit_cache = True
    name = "quarter_hour"


@compiles(quarter_hour)
def _quarter_hour_sqlite(element, compiler, **kw):
    # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC); the fraction is cut off first because
    # strftime rounds to milliseconds (23:59:59.9999 would become the next day)
    col = compiler.process(element.clauses, **kw)
    return f"(CAST(strftime('%s', substr({col}, 1, 19)) AS INTEGER) / {QUARTER})"


@compiles(quarter_hour, "postgresql")
def _quarter_hour_pg(element, compiler, **kw):  # timestamptz: the epoch is absolute
    return f"CAST(floor(extract(epoch from {compiler.process(element.clauses, **kw)}) / {QUARTER}) AS INTEGER)"


def quarter_start(q: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(q) * QUARTER, UTC)
