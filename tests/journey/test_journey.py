"""Every shipped procedure, filled and submitted end to end through HTTP, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.catalog.loader import load_folder
from app.clock import today
from app.config import PACKAGE_DIR
from app.dossiers.calendar import add_working_days
from tests.conftest import page
from tests.journey import apply

SHIPPED = sorted(
    load_folder(Path(PACKAGE_DIR / "catalog" / "procedures")).values(), key=lambda p: p.definition.code
)


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("procedure", SHIPPED, ids=lambda p: p.definition.code)
def test_each_procedure_submits_end_to_end(client, procedure, locale, citizen_key):
    definition = procedure.definition
    client.get(f"/language/{locale}")
    receipt = apply(client, definition, citizen_key)
    assert receipt.status_code == 200
    doc = page(receipt)
    assert doc.html["lang"] == locale
    code = doc.select_one(".dossier-code").get_text(strip=True)
    assert re.fullmatch(rf"{re.escape(definition.agency.code)}-\d{{6}}-\d{{4}}", code)
    assert code.split("-")[1] == today().strftime("%y%m%d")
    assert doc.select_one("h1").get_text(strip=True) == (
        "Receipt and appointment for the result"
        if locale == "en"
        else "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    )
    assert definition.name.get(locale) in doc.get_text()
    due = add_working_days(today(), definition.processing_days)
    assert doc.select_one(".due").get_text(strip=True) == due.strftime("%d/%m/%Y")  # in both languages
    received = doc.select(".received-documents li .meta")
    assert len(received) == sum(1 for c in definition.components if c.required)
