"""The requester side's settings, read from the app config and checked at start-up.

* ``KB_AUTO_CLOSE_DAYS`` (default 3): a resolved ticket nobody confirms or reopens closes by
  itself this many **working days** after it was resolved (working days of ``KB_WORKING_DAYS`` /
  ``KB_WORKING_HOURS`` / ``KB_HOLIDAYS``, the SLA calendar) …
* ``KB_AUTO_CLOSE_REMIND_DAYS`` (default 2): … after one reminder sent this many working days
  after resolving. The ticket never closes sooner than one working day after its reminder, even
  when the worker was stopped for a while.
* ``KB_PENDING_REMIND_DAYS`` (default 2): a ticket waiting for the requester's answer
  (``pending``) gets one reminder this many working days after it started waiting.

Each accepts a whole or decimal number (``"0.5"`` = half a working day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULTS = {"KB_AUTO_CLOSE_DAYS": 3, "KB_AUTO_CLOSE_REMIND_DAYS": 2, "KB_PENDING_REMIND_DAYS": 2}


class RequesterSettingsError(ValueError):
    """A wrong setting; the message is Chinese and names it."""


def _days(config: Mapping, name: str) -> float:
    raw = config.get(name)
    if raw is None or raw == "":
        return float(DEFAULTS[name])
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise RequesterSettingsError(f"{name}：{raw!r} 不是数字（工作日数，例如 3 或 0.5）") from None
    if not 0 < value <= 365:
        raise RequesterSettingsError(f"{name}：必须大于 0、不超过 365 个工作日（现在是 {raw!r}）")
    return value


@dataclass(frozen=True)
class RequesterSettings:
    auto_close_days: float = 3
    auto_close_remind_days: float = 2
    pending_remind_days: float = 2

    @classmethod
    def from_config(cls, config: Mapping) -> RequesterSettings:
        close = _days(config, "KB_AUTO_CLOSE_DAYS")
        remind = _days(config, "KB_AUTO_CLOSE_REMIND_DAYS")
        if remind >= close:
            raise RequesterSettingsError(
                f"KB_AUTO_CLOSE_REMIND_DAYS（{remind:g}）必须小于 KB_AUTO_CLOSE_DAYS（{close:g}）："
                "提醒要在自动关闭之前发出"
            )
        return cls(close, remind, _days(config, "KB_PENDING_REMIND_DAYS"))

    def working(self, days: float, day_length: dt.timedelta) -> dt.timedelta:
        """``days`` working days as working time on the SLA calendar."""
        return day_length * days

    @staticmethod
    def describe(days: float) -> str:
        """「3 个工作日」, 「半个工作日」, 「1.5 个工作日」."""
        if days == 0.5:
            return "半个工作日"
        return f"{days:g} 个工作日"


def current() -> RequesterSettings:
    from flask import current_app

    return RequesterSettings.from_config(current_app.config)
