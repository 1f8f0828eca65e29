"""Helpers for the payment tests: a dossier with a charge, as the services make them."""

from __future__ import annotations

from pathlib import Path

from app.payments import services as payments
from app.payments.models import Charge
from app.payments.providers import Item

ITEMS = [
    Item(code="LP01", kind="le_phi", name="Lệ phí cấp giấy phép", amount=500_000),
    Item(code="P02", kind="phi", name="Phí thẩm định hồ sơ", amount=1_200_000),
]
TOTAL = sum(item.amount for item in ITEMS)


def requested_charge(dossier, items=ITEMS) -> Charge:
    """A charge the agency asked for (as a status 6 event opens one), committed."""
    from app.extensions import db  # import here: tests reach the session only through the app

    charge = payments.open_charge(dossier, list(items), origin=payments.REQUESTED)
    assert charge is not None
    db.session.commit()
    return charge


def decided_later(catalog: Path, folder: Path) -> Path:
    """A copy of the test catalog in `folder` whose T.000001 fee is fixed later by the agency's
    decision (nothing is charged at submission; the agency asks with status 6)."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in catalog.iterdir():
        text = source.read_text("utf-8")
        if source.name == "all-fields.yaml":
            fixed = "  - {name: {vi: Lệ phí, en: Fee}, amount: 1500000}\n"
            assert fixed in text
            text = text.replace(fixed, "  - {name: {vi: Lệ phí, en: Fee}, decided_later: true}\n")
        (folder / source.name).write_text(text, "utf-8")
    return folder
