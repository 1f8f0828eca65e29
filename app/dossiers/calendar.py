"""Working days in Viet Nam, as the one-stop-shop rules count them: no weekends, no public
holidays (python-holidays, Tết included), plus the days off and compensatory working days the
government sets each year; a dossier submitted outside working hours is received the next
working morning."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal

import holidays
from flask import Flask, current_app

from app.clock import VIETNAM
from app.config import Settings

Unit = Literal["working_days", "calendar_days"]


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


@dataclass(frozen=True)
class WorkingCalendar:
    opens: time = time(7, 30)
    closes: time = time(17, 0)
    days_off: frozenset[date] = field(default_factory=frozenset)  # added by the government
    working_days: frozenset[date] = field(default_factory=frozenset)  # compensatory, e.g. a Saturday

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        return day.weekday() < 5 and day not in _holidays(day.year)

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def received(self, at: datetime) -> datetime:
        """When a dossier submitted at `at` counts as received (ngày tiếp nhận): at once within
        working hours, at opening time earlier that working day, else the next working morning."""
        local = at.astimezone(VIETNAM)
        day = local.date()
        if self.is_working_day(day) and local.time() < self.closes:
            return max(local, datetime.combine(day, self.opens, VIETNAM))
        return datetime.combine(self.next_working_day(day), self.opens, VIETNAM)

    def due(self, received: date, days: int, *, unit: Unit = "working_days") -> date:
        """The due date (ngày hẹn trả) of a dossier received on `received`.

        In working days, the day of receipt is not counted: received on a Friday with one
        working day, it is due on Monday. In calendar days, a period whose last day is a day
        off ends on the next working day (Civil Code 2015, art. 148).
        """
        if days < 1:
            raise ValueError("a processing time is at least one day")
        if unit == "calendar_days":
            day = received + timedelta(days=days)
            return day if self.is_working_day(day) else self.next_working_day(day)
        day = received
        for _ in range(days):
            day = self.next_working_day(day)
        return day


def calendar_from(settings: Settings) -> WorkingCalendar:
    opens, closes = settings.WORKING_HOURS.split("-")
    return WorkingCalendar(
        opens=time.fromisoformat(opens),
        closes=time.fromisoformat(closes),
        days_off=frozenset(settings.DAYS_OFF),
        working_days=frozenset(settings.WORKING_DAYS),
    )


def init_app(app: Flask) -> None:
    app.extensions["opendvc.calendar"] = calendar_from(app.config["OPENDVC"])


def get_calendar() -> WorkingCalendar:
    return current_app.extensions["opendvc.calendar"]
