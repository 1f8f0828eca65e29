from datetime import UTC, date, datetime, time

import pytest

from app import ConfigError
from app.clock import VIETNAM
from app.config import load_settings
from app.dossiers.calendar import WorkingCalendar, calendar_from

NATIONAL = WorkingCalendar()  # the national holidays alone, no configured days


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        (date(2025, 6, 2), 1, date(2025, 6, 3)),  # Monday → Tuesday
        (date(2025, 6, 6), 1, date(2025, 6, 9)),  # Friday → Monday
        (date(2025, 6, 7), 1, date(2025, 6, 9)),  # received on a Saturday
        (date(2025, 6, 2), 5, date(2025, 6, 9)),
        # 30/4 and 1/5/2025 (Wednesday, Thursday) and the swapped day off on Friday 2/5 are skipped.
        (date(2025, 4, 29), 2, date(2025, 5, 6)),
        # Tết Ất Tỵ: 25/1–2/2/2025 off; 24/1 is a Friday.
        (date(2025, 1, 24), 1, date(2025, 2, 3)),
        # National Day 2/9/2025 (Tuesday) and 1/9 (Monday) off.
        (date(2025, 8, 29), 1, date(2025, 9, 3)),
    ],
)
def test_due_dates_skip_weekends_and_holidays(received, days, due):
    assert NATIONAL.due(received, days) == due


def test_tet_is_not_a_working_day():
    assert not NATIONAL.is_working_day(date(2026, 2, 17))  # Lunar New Year 2026
    assert NATIONAL.is_working_day(date(2026, 2, 23))


def test_processing_time_must_be_positive():
    with pytest.raises(ValueError, match="at least one day"):
        NATIONAL.due(date(2025, 6, 2), 0)


# -- received the next working morning; configured days; calendar days (issue 10 §2) ---------

OFFICE = WorkingCalendar(opens=time(7, 30), closes=time(17, 0))


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


@pytest.mark.parametrize(
    ("submitted", "received"),
    [
        (at(2025, 6, 6, 12), at(2025, 6, 6, 12)),  # Friday noon: at once
        (at(2025, 6, 6, 23, 30), at(2025, 6, 9, 7, 30)),  # Friday night: Monday morning
        (at(2025, 6, 6, 17), at(2025, 6, 9, 7, 30)),  # at closing time: the next working day
        (at(2025, 6, 7, 10), at(2025, 6, 9, 7, 30)),  # Saturday: Monday morning
        (at(2025, 6, 9, 6, 15), at(2025, 6, 9, 7, 30)),  # Monday before opening: at opening
        (at(2025, 9, 1, 9), at(2025, 9, 3, 7, 30)),  # National Day holidays: the next working day
    ],
)
def test_a_dossier_outside_working_hours_is_received_the_next_working_morning(submitted, received):
    assert OFFICE.received(submitted) == received


def test_friday_night_is_promised_a_day_later_than_friday_noon():
    noon, night = OFFICE.received(at(2025, 6, 6, 12)), OFFICE.received(at(2025, 6, 6, 23, 30))
    assert OFFICE.due(noon.date(), 1) == date(2025, 6, 9)
    assert OFFICE.due(night.date(), 1) == date(2025, 6, 10)


def test_a_moment_in_utc_is_read_in_viet_nam_s_time():
    # 16:30 UTC on Friday is 23:30 in Hà Nội: after closing.
    assert OFFICE.received(datetime(2025, 6, 6, 16, 30, tzinfo=UTC)) == at(2025, 6, 9, 7, 30)


def test_configured_days_off_and_compensatory_working_days_count(tmp_path):
    settings = load_settings(
        tmp_path,
        environ={
            "OPENDVC_WORKING_HOURS": "08:00-16:30",
            "OPENDVC_DAYS_OFF": "2025-06-09",  # a Monday given off
            "OPENDVC_WORKING_DAYS": "2025-06-14",  # the Saturday worked in exchange
        },
    )
    office = calendar_from(settings)
    assert office.received(at(2025, 6, 6, 16, 45)) == at(2025, 6, 10, 8, 0)
    assert not office.is_working_day(date(2025, 6, 9))
    assert office.is_working_day(date(2025, 6, 14))
    # Received Friday 13/6 with one working day: the compensatory Saturday 14/6.
    assert office.due(date(2025, 6, 13), 1) == date(2025, 6, 14)


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        (date(2025, 6, 2), 3, date(2025, 6, 5)),  # Monday + 3 days: Thursday
        (date(2025, 6, 4), 3, date(2025, 6, 9)),  # would end on Saturday: the next working day
        (date(2025, 4, 25), 5, date(2025, 5, 5)),  # ends on 30/4: after the 30/4–4/5 days off
    ],
)
def test_a_time_in_calendar_days_ends_on_a_working_day(received, days, due):
    assert OFFICE.due(received, days, unit="calendar_days") == due


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"OPENDVC_WORKING_HOURS": "17:00-07:30"}, "OPENDVC_WORKING_HOURS"),
        ({"OPENDVC_WORKING_HOURS": "7h30-17h"}, "OPENDVC_WORKING_HOURS"),
        ({"OPENDVC_DAYS_OFF": "2025-02-30"}, "OPENDVC_DAYS_OFF"),
        ({"OPENDVC_WORKING_DAYS": "next saturday"}, "OPENDVC_WORKING_DAYS"),
    ],
)
def test_a_wrong_calendar_setting_is_named(tmp_path, environ, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path, environ=environ)
