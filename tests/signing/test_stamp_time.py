"""The visible signature stamp gives the signing time in Viet Nam's time, not the server's."""

from __future__ import annotations

from datetime import UTC, datetime

from app.signing import pades


def test_the_stamp_shows_vietnam_time():
    at = datetime(2026, 12, 22, 18, 30, tzinfo=UTC)  # already the 23rd in Ha Noi
    assert pades.stamp_params(at) == {"vn_ts": "23/12/2026 01:30:00 +0700"}
    assert pades.stamp_params()["vn_ts"].endswith("+0700")
