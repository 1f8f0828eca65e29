"""The clock: Viet Nam's time zone, now and today."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> datetime:
    return datetime.now(VIETNAM)


def today() -> date:
    return now().date()
