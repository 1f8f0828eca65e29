"""Working days in Viet Nam: no weekends, no public holidays (Tết included)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(received: date, days: int) -> date:
    """The due date (ngày hẹn trả): the `days`-th working day after the day received.

    The day of receipt itself is not counted, so a dossier received on a Friday with one
    working day to process is due on Monday; one received on a holiday is counted from the
    next working day, like one received on the following morning.
    """
    if days < 1:
        raise ValueError("a processing time is at least one working day")
    day = received
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day
