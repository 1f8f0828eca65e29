"""Every shipped procedure, filled and submitted end to end through HTTP, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.catalog.cases import processing_time
from app.catalog.loader import load_folder
from app.clock import VIETNAM
from app.config import PACKAGE_DIR
from app.dossiers.calendar import get_calendar
from app.dossiers.models import Dossier
from app.dossiers.status import Status
from app.extensions import db
from app.forms.components import slots
from tests.conftest import page
from tests.journey import apply

SHIPPED = sorted(
    load_folder(Path(PACKAGE_DIR / "catalog" / "procedures")).values(), key=lambda p: p.definition.code
)


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("procedure", SHIPPED, ids=lambda p: p.definition.code)
def test_each_procedure_submits_end_to_end(app, client, procedure, locale, citizen_key):
    definition = procedure.definition
    client.get(f"/language/{locale}")
    acknowledgement = apply(client, definition, citizen_key)
    assert acknowledgement.status_code == 200
    doc = page(acknowledgement)
    assert doc.html["lang"] == locale
    code = doc.select_one(".dossier-code").get_text(strip=True)
    assert re.fullmatch(rf"{re.escape(definition.agency.code)}-\d{{6}}-\d{{4}}", code)
    with app.app_context():
        # Received at once in working hours, else the next working morning (issue 10 §2).
        dossier = db.session.scalars(db.select(Dossier).where(Dossier.code == code)).one()
        submitted = next(e.at for e in dossier.events if e.to_status == Status.NEW)
        received = get_calendar().received(submitted).astimezone(VIETNAM).date()
        # The chosen case's processing time and documents (issue 10 §4).
        days, unit = processing_time(definition, dossier.answers)
        due = get_calendar().due(received, days, unit=unit)
    assert code.split("-")[1] == received.strftime("%y%m%d")
    assert doc.select_one("h1").get_text(strip=True) == (
        "Acknowledgement of submission" if locale == "en" else "Xác nhận đã nộp hồ sơ"
    )
    assert definition.name.get(locale) in doc.get_text()
    with app.test_request_context():
        dossier = db.session.scalars(db.select(Dossier).where(Dossier.code == code)).one()
        wanted = sum(1 for s in slots(definition, dossier.answers) if s.required)
    # The date is expected only, and says so: the agency promises one when it accepts the dossier.
    expected = doc.select_one(".expected")
    assert expected.get_text(" ", strip=True).startswith(due.strftime("%d/%m/%Y"))  # in both languages
    assert expected.select_one(".meta")
    assert doc.select_one(".checking") is not None  # the agency will check it
    sent = doc.select(".sent-documents li .meta")
    assert len(sent) == wanted
    assert len(doc.select(".sent-documents li")) == len(sent) + 1  # and the signed declaration
    assert doc.select_one("a.receipt-pdf") is None  # no receipt before acceptance
