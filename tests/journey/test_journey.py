"""Every shipped procedure, filled and submitted end to end through HTTP, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
    receipt = apply(client, definition, citizen_key)
    assert receipt.status_code == 200
    doc = page(receipt)
    assert doc.html["lang"] == locale
    code = doc.select_one(".dossier-code").get_text(strip=True)
    assert re.fullmatch(rf"{re.escape(definition.agency.code)}-\d{{6}}-\d{{4}}", code)
    with app.app_context():
        # Received at once in working hours, else the next working morning (issue 10 §2).
        dossier = db.session.scalars(db.select(Dossier).where(Dossier.code == code)).one()
        submitted = next(e.at for e in dossier.events if e.to_status == Status.NEW)
        received = get_calendar().received(submitted).astimezone(VIETNAM).date()
        due = get_calendar().due(received, definition.processing_days, unit=definition.processing_unit)
    assert code.split("-")[1] == received.strftime("%y%m%d")
    assert doc.select_one("h1").get_text(strip=True) == (
        "Receipt and appointment for the result"
        if locale == "en"
        else "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    )
    assert definition.name.get(locale) in doc.get_text()
    assert doc.select_one(".due").get_text(strip=True) == due.strftime("%d/%m/%Y")  # in both languages
    with app.test_request_context():
        dossier = db.session.scalars(db.select(Dossier).where(Dossier.code == code)).one()
        wanted = sum(1 for s in slots(definition, dossier.answers) if s.required)
    received = doc.select(".received-documents li .meta")
    assert len(received) == wanted
