from datetime import date

import pytest

from app.dossiers.calendar import add_working_days, is_working_day


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
    assert add_working_days(received, days) == due


def test_tet_is_not_a_working_day():
    assert not is_working_day(date(2026, 2, 17))  # Lunar New Year 2026
    assert is_working_day(date(2026, 2, 23))


def test_processing_time_must_be_positive():
    with pytest.raises(ValueError, match="at least one working day"):
        add_working_days(date(2025, 6, 2), 0)
