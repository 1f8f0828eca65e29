"""A GET never writes: reading every page of a dossier, in every state, changes no row and no
stored file (the staff sessions' last-seen time is the one documented exception, not here)."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select, text

from app.catalog.loader import load_folder
from app.dossiers.models import Attachment, Dossier
from app.extensions import db
from tests.backoffice.fixtures import SECRET
from tests.conftest import TEST_CATALOG, page
from tests.events import accept
from tests.journey import apply, attach_required, fill_steps, start

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition


def _snapshot(app: Flask) -> dict[str, object]:
    with app.app_context():
        counts = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
        dossiers = db.session.execute(
            text("SELECT id, updated_at, version_id, status FROM dossiers ORDER BY id")
        ).all()
    blobs = sorted(str(p) for p in Path(app.config["OPENDVC"].BLOB_DIR or "").rglob("*") if p.is_file())
    return {"counts": counts, "dossiers": [tuple(map(str, row)) for row in dossiers], "blobs": blobs}


def _dossier_gets(app: Flask, public_id: str) -> list[str]:
    """Every GET address of a dossier, its parameters filled in from the dossier itself."""
    with app.app_context():
        dossier = db.session.scalar(select(Dossier).where(Dossier.public_id == public_id))
        attachment = db.session.scalar(select(Attachment.id).where(Attachment.dossier_id == dossier.id))
    values = {
        "public_id": public_id,
        "step_id": DEFINITION.form.steps[0].id,
        "attachment_id": str(attachment),
        "number": "1",
        "reference": "NOPAYMENT",  # a payment's receipt (tests/payments/test_journey.py pays some)
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or not rule.rule.startswith("/dossiers/<public_id>"):
            continue
        urls.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m[1]], rule.rule))
    return [*urls, f"/dossiers/{public_id}/steps/{values['step_id']}?check=1"]


def test_reading_every_dossier_page_changes_nothing(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET})
    client = app.test_client()
    client.get("/language/en")
    submitted = apply(client, DEFINITION, citizen_key)  # one dossier submitted, then accepted
    submitted_id = submitted.request.path.split("/")[2]
    code = page(submitted).select_one(".dossier-code").get_text(strip=True)
    assert accept(client, code).json["title"] == "applied"  # its receipt is sealed
    documents = fill_steps(client, DEFINITION, start(client, DEFINITION.code))  # and a draft
    attach_required(client, DEFINITION, documents)
    draft_id = documents.split("/")[2]

    before = _snapshot(app)
    answered = {}
    for public_id in (submitted_id, draft_id):
        for url in _dossier_gets(app, public_id):
            with client.get(url) as response:  # downloads stream from a file: closed here
                answered[url] = response.status_code
    assert _snapshot(app) == before, answered
    assert answered[f"/dossiers/{submitted_id}/receipt.pdf"] == 200
    assert answered[f"/dossiers/{submitted_id}/receipt"] == 200
    assert answered[f"/dossiers/{draft_id}/receipt.pdf"] == 404
    assert len(answered) >= 20
