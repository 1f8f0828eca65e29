"""Helpers for the payment tests: a dossier with a charge, as the services make them."""

from __future__ import annotations

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
