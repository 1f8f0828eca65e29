"""The clock: Vietnam time (Asia/Ho_Chi_Minh), which dates every dossier, receipt and deadline."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> datetime:
    return datetime.now(VIETNAM)


def today() -> date:
    return now().date()
