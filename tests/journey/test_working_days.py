"""A submission is received and promised by the working calendar (issue 10 §2): the next working
morning outside working hours, a procedure's time in working or calendar days."""

from __future__ import annotations

from app.clock import VIETNAM
from app.dossiers.calendar import get_calendar
from app.dossiers.status import Status
from tests.conftest import TEST_CATALOG, page
from tests.factories import SubmittedFactory


def calendar_days_catalog(tmp_path):
    folder = tmp_path / "catalog"
    folder.mkdir()
    source = (TEST_CATALOG / "all-fields.yaml").read_text(encoding="utf-8")
    assert "\nprocessing_days: 3\n" in source
    changed = source.replace(
        "\nprocessing_days: 3\n", "\nprocessing_days: 3\nprocessing_unit: calendar_days\n"
    )
    (folder / "all-fields.yaml").write_text(changed, encoding="utf-8")
    return folder


def test_a_submission_is_received_and_promised_by_the_working_calendar(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG)
    with app.test_request_context():
        dossier = SubmittedFactory(key=citizen_key).dossier
        submitted_at = next(e.at for e in dossier.events if e.to_status == Status.NEW)
        office = get_calendar()
        received = office.received(submitted_at)
        assert dossier.received_at == received
        assert office.is_working_day(received.astimezone(VIETNAM).date())
        assert dossier.due_on == office.due(received.astimezone(VIETNAM).date(), 3)
        # The code carries the day of receipt: <agency>-YYMMDD-NNNN.
        assert dossier.code.split("-")[1] == f"{received.astimezone(VIETNAM):%y%m%d}"


def test_a_time_in_calendar_days_is_counted_and_said_so(make_app, citizen_key, tmp_path):
    app = make_app(CATALOG_DIR=calendar_days_catalog(tmp_path))
    with app.test_request_context():
        dossier = SubmittedFactory(key=citizen_key).dossier
        received = dossier.received_at.astimezone(VIETNAM).date()
        assert dossier.due_on == get_calendar().due(received, 3, unit="calendar_days")
    client = app.test_client()
    for locale, said in (("en", "3 days"), ("vi", "3 ngày")):
        client.get(f"/language/{locale}")
        times = page(client.get("/procedures/T.000001")).find_all("dd")
        assert any(dd.get_text(strip=True) == said for dd in times), [dd.get_text() for dd in times]
    detail = client.get("/api/v1/procedures/T.000001").json
    assert detail["definition"]["processing_unit"] == "calendar_days"
    listed = client.get("/api/v1/procedures").json["procedures"]
    assert [p["processing_unit"] for p in listed if p["code"] == "T.000001"] == ["calendar_days"]
