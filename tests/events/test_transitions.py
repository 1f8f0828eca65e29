"""Every transition of docs/status-transitions.md a back office makes, through the events API,
and some it may not make; the promised date (NgayHenTra) events carry, and its history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.clock import VIETNAM, now
from app.dossiers.models import Dossier
from app.dossiers.status import TRANSITIONS, Status
from app.extensions import db
from tests.conftest import page
from tests.events import event_body, post_event

# How a dossier reaches each state from 1 (mới đăng ký), as status codes of events.
PATHS = {1: [], 2: [2], 4: [2, 4], 5: [2, 5], 6: [2, 6], 9: [2, 4, 9]}
ALLOWED = [
    (1, 2), (1, 3), (1, 5), (1, 7),
    (2, 4), (2, 5), (2, 6), (2, 7), (2, 8),
    (4, 5), (4, 6), (4, 7), (4, 8), (4, 9),
    (5, 4), (5, 7), (5, 8),
    (6, 4), (6, 7), (6, 8),
    (9, 10),
]  # fmt: skip
REFUSED = [(1, 4), (1, 6), (1, 9), (1, 10), (2, 9), (2, 10), (4, 2), (6, 9), (9, 4)]


def reach(client, code: str, path: list[int]) -> int:
    """Post the events of `path`; the next sequence number."""
    for sequence, status in enumerate(path, 1):
        answer = post_event(client, event_body(code, sequence, status, "lý do" if status == 3 else None))
        assert answer.json["title"] == "applied", (path, answer.json)
    return len(path) + 1


def dossier_of(app, code: str) -> Dossier:
    with app.app_context():
        found = db.session.scalars(db.select(Dossier).where(Dossier.code == code)).one()
        found.events  # noqa: B018 (loaded while the session is open)
        return found


def status_of(app, code: str) -> Status:
    return Status(dossier_of(app, code).status)


def test_the_table_is_the_state_machine():
    """Every national transition the state machine allows is tested below, and no other."""
    national = {
        (a.national_code, b.national_code)
        for a, following in TRANSITIONS.items()
        for b in following
        if a.national_code and b.national_code
    }
    assert national == {*ALLOWED, (5, 2)}


@pytest.mark.parametrize(("start", "wanted"), ALLOWED, ids=lambda v: str(v))
def test_each_allowed_transition_is_applied(tracked, start, wanted):
    app, client, code, _status_url = tracked
    sequence = reach(client, code, PATHS[start])
    note = "Hồ sơ không đủ điều kiện tiếp nhận" if wanted == 3 else None
    answer = post_event(client, event_body(code, sequence, wanted, note))
    assert (answer.status_code, answer.json["title"]) == (200, "applied")
    assert status_of(app, code) == Status.from_national_code(wanted)


def test_a_supplement_asked_at_reception_is_followed_by_the_acceptance(tracked):
    app, client, code, status_url = tracked
    assert post_event(client, event_body(code, 1, 5, "Thiếu bản sao giấy phép")).json["title"] == "applied"
    doc = page(client.get(status_url))
    asked = doc.select_one(".supplement-requested .requested").get_text(strip=True)
    assert asked == "Thiếu bản sao giấy phép"
    assert dossier_of(app, code).receipt_sha256 is None  # not accepted yet
    assert post_event(client, event_body(code, 2, 2)).json["title"] == "applied"
    assert status_of(app, code) == Status.ACCEPTED
    assert dossier_of(app, code).receipt_sha256
    # Accepted once: asked for a supplement again later, it cannot be accepted a second time.
    assert post_event(client, event_body(code, 3, 5)).json["title"] == "applied"
    again = post_event(client, event_body(code, 4, 2))
    assert again.status_code == 409
    assert "accepted already" in again.json["title"]


@pytest.mark.parametrize(("start", "wanted"), REFUSED, ids=lambda v: str(v))
def test_transitions_outside_the_table_are_refused(tracked, start, wanted):
    app, client, code, _status_url = tracked
    sequence = reach(client, code, PATHS[start])
    answer = post_event(client, event_body(code, sequence, wanted))
    assert answer.status_code == 409
    assert "not allowed" in answer.json["title"]
    assert status_of(app, code) == Status.from_national_code(start)


@pytest.mark.parametrize("final", [3, 7, 8, 10])
def test_nothing_follows_a_final_state(tracked, final):
    _app, client, code, _status_url = tracked
    path = {3: [3], 7: [7], 8: [2, 8], 10: [2, 4, 9, 10]}[final]
    sequence = reach(client, code, path)
    for wanted in (2, 4, final):
        assert post_event(client, event_body(code, sequence, wanted, "lý do")).status_code == 409


def test_a_refusal_at_reception_must_give_its_reason(tracked):
    app, client, code, status_url = tracked
    for note in (None, "", "   "):
        answer = post_event(client, event_body(code, 1, 3, note))
        assert answer.status_code == 400
        assert "reason" in answer.json["title"]
    assert status_of(app, code) == Status.NEW
    assert post_event(client, event_body(code, 1, 3, "Hồ sơ không thuộc thẩm quyền")).status_code == 200
    history = page(client.get(status_url)).select_one(".history").get_text(" ", strip=True)
    assert "Not accepted: Hồ sơ không thuộc thẩm quyền" in history


def _today() -> date:
    return now().astimezone(VIETNAM).date()


def test_the_promised_date_is_set_on_acceptance_changed_after_a_supplement_and_extended(tracked):
    app, client, code, status_url = tracked
    expected = dossier_of(app, code).due_on
    first, second, third = (_today() + timedelta(days=d) for d in (20, 30, 45))
    accepted = post_event(client, event_body(code, 1, 2, promised_on=first.isoformat()))
    assert accepted.json["title"] == "applied"
    assert dossier_of(app, code).due_on == first
    assert post_event(client, event_body(code, 2, 5, "Bổ sung bản đồ")).json["title"] == "applied"
    resumed = post_event(client, event_body(code, 3, 4, promised_on=second.isoformat()))
    assert resumed.json["title"] == "applied"
    apology = "Cơ quan xin lỗi vì chậm trả kết quả do phải lấy ý kiến liên ngành."
    extended = post_event(client, event_body(code, 4, 4, promised_on=third.isoformat(), apology=apology))
    assert extended.json["title"] == "applied"
    dossier = dossier_of(app, code)
    assert dossier.due_on == third
    assert dossier.status == Status.PROCESSING  # an extension keeps the state
    assert [(e.to_status, e.promised_on) for e in dossier.events if e.to_status == Status.NEW] == [
        (Status.NEW, expected)  # the expected date, kept with the submission
    ]
    assert [(e.from_status, e.to_status, e.promised_on) for e in dossier.events if e.promised_on][1:] == [
        (Status.NEW, Status.ACCEPTED, first),
        (Status.SUPPLEMENT_REQUESTED, Status.PROCESSING, second),
        (Status.PROCESSING, Status.PROCESSING, third),
    ]

    doc = page(client.get(status_url))  # in English (the fixture's browser)
    assert doc.select_one(".promised-on strong").get_text(strip=True) == third.strftime("%d/%m/%Y")
    rows = [li.get_text(" ", strip=True) for li in doc.select(".promised-history li")]
    assert len(rows) == 4
    assert f"extended by the agency to {third:%d/%m/%Y}" in rows[0]
    assert apology in rows[0]
    assert f"changed by the agency to {second:%d/%m/%Y}" in rows[1]
    assert f"promised at acceptance: {first:%d/%m/%Y}" in rows[2]
    assert f"expected at submission: {expected:%d/%m/%Y}" in rows[3]
    client.get("/language/vi")
    doc = page(client.get(status_url))
    rows = [li.get_text(" ", strip=True) for li in doc.select(".promised-history li")]
    assert f"cơ quan gia hạn đến ngày {third:%d/%m/%Y}" in rows[0]
    assert apology in rows[0]
    assert f"cơ quan đổi thành ngày {second:%d/%m/%Y}" in rows[1]
    assert f"hẹn khi tiếp nhận: ngày {first:%d/%m/%Y}" in rows[2]
    assert f"dự kiến khi nộp: ngày {expected:%d/%m/%Y}" in rows[3]
    assert doc.select_one(".promised-on").get_text(" ", strip=True).startswith("Ngày hẹn trả kết quả")


def test_without_a_date_the_acceptance_promises_the_calendar_s(tracked):
    app, client, code, status_url = tracked
    doc = page(client.get(status_url))
    assert doc.select_one(".expected-on .meta")  # expected only, before acceptance
    assert doc.select_one(".promised-on") is None
    assert post_event(client, event_body(code, 1, 2)).json["title"] == "applied"
    with app.app_context():
        from app.dossiers.calendar import get_calendar
        from app.dossiers.records import procedure_of

        dossier = db.session.scalars(db.select(Dossier).where(Dossier.code == code)).one()
        definition = procedure_of(dossier).definition
        calendar = get_calendar()
        due = calendar.due(
            calendar.received(now()).date(), definition.processing_days, unit=definition.processing_unit
        )
        assert dossier.due_on == due
        assert dossier.events[-1].promised_on == due
    doc = page(client.get(status_url))
    assert doc.select_one(".promised-on strong").get_text(strip=True) == due.strftime("%d/%m/%Y")
    assert doc.select_one(".expected-on") is None


@pytest.mark.parametrize(
    ("path", "extra", "status", "title"),
    [
        ([], {"status": 2, "promised_on": "2026-13-01"}, 400, "not a calendar day"),
        ([], {"status": 2, "promised_on": "01/02/2027"}, 400, "invalid event"),
        ([], {"status": 2, "promised_on": 20270102}, 400, "invalid event"),
        ([], {"status": 2, "promised_on": "2000-01-01"}, 400, "in the past"),
        ([], {"status": 2, "apology": "xin lỗi"}, 400, "apology comes with"),
        ([2], {"status": 5, "promised_on": "2099-01-01"}, 400, "promised_on comes with"),
        ([2], {"status": 2}, 409, "not allowed"),  # the same status, no date: not an extension
        ([2], {"status": 4, "promised_on": "2099-01-01"}, 400, "promised_on comes with"),
        ([2], {"status": 2, "promised_on": "2099-01-01"}, 400, "needs the apology"),
        ([2, 4, 9], {"status": 9, "promised_on": "2099-01-01", "apology": "x"}, 409, "cannot be extended"),
        ([], {"status": 1, "promised_on": "2099-01-01", "apology": "x"}, 409, "cannot be extended"),
    ],
)
def test_bad_promised_dates_are_refused_and_change_nothing(tracked, path, extra, status, title):
    app, client, code, _status_url = tracked
    sequence = reach(client, code, path)
    before = dossier_of(app, code)
    answer = post_event(client, {**event_body(code, sequence, 0), **extra})
    assert answer.status_code == status, answer.json
    assert title in answer.json["title"]
    after = dossier_of(app, code)
    assert (after.status, after.due_on) == (before.status, before.due_on)
    assert len(after.events) == len(before.events)


def test_an_extension_must_promise_a_later_date(tracked):
    app, client, code, _status_url = tracked
    promised = _today() + timedelta(days=20)
    post_event(client, event_body(code, 1, 2, promised_on=promised.isoformat()))
    receipt = dossier_of(app, code).receipt_sha256
    same = post_event(client, event_body(code, 2, 2, promised_on=promised.isoformat(), apology="Xin lỗi"))
    assert same.status_code == 400
    assert "later date" in same.json["title"]
    later = (promised + timedelta(days=5)).isoformat()
    assert post_event(client, event_body(code, 2, 2, promised_on=later, apology="Xin lỗi")).status_code == 200
    assert dossier_of(app, code).status == Status.ACCEPTED
    assert dossier_of(app, code).receipt_sha256 == receipt  # issued once, at acceptance
