"""What a dossier owes: each fee of its procedure that is due for its answers, with the amount
computed from them (a tier, an amount per unit) or left to the agency's decision (None).

Here, above app.forms, because a fee's `when:` is a condition on the answers and conditions are
evaluated by app.catalog.conditions.condition_holds, the one evaluation the form uses too."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from app.catalog.conditions import condition_holds
from app.catalog.fees import Band
from app.catalog.schema import Fee, Procedure
from app.fields.numbers import shown


@dataclass(frozen=True)
class FeeDue:
    fee: Fee
    amount: int | None  # VND; None when fixed later by decision, or the number is not answered
    quantity: Decimal | None = None  # the number the amount was computed from
    band: int | None = None  # the tier it fell in

    def explanation(self) -> str:
        """How the amount was set, in the current language."""
        fee = self.fee
        if fee.tiers is not None and self.band is not None and self.quantity is not None:
            return _(
                "%(band)s (declared: %(num)s)",
                band=fee.tiers.label(self.band),
                num=shown(self.quantity.normalize()),
            )
        if fee.per_unit is not None and self.quantity is not None:
            return _("%(num)s × %(rate)s", num=shown(self.quantity.normalize()), rate=fee.per_unit.rate())
        if fee.decided_later:
            return _("Fixed later by the agency's decision")
        if fee.tiers is not None or fee.per_unit is not None:
            return _("Set from a number not answered yet")
        return _("Fixed amount")

    def as_manifest(self) -> dict[str, Any]:
        """The entry of manifest.json's procedure.fees (docs/package-format.md), in Vietnamese."""
        fee = self.fee
        unit = fee.tiers.unit if fee.tiers else fee.per_unit.unit if fee.per_unit else None
        return {
            "code": fee.code,
            "kind": fee.kind.value,
            "name": fee.name.vi,
            "amount": self.amount,
            "basis": fee.basis,
            "quantity": None if self.quantity is None else format(self.quantity, "f"),
            "unit": unit.vi if unit else None,
            "note": fee.note.vi if fee.note else None,
        }


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def amount_of(fee: Fee, answers: dict[str, Any]) -> FeeDue:
    if fee.amount is not None:
        return FeeDue(fee, fee.amount)
    if fee.tiers is not None:
        quantity = _number(answers.get(fee.tiers.field))
        if quantity is None:
            return FeeDue(fee, None)
        band: Band = fee.tiers.band_for(quantity)
        return FeeDue(fee, band.amount, quantity, fee.tiers.bands.index(band))
    if fee.per_unit is not None:
        per = fee.per_unit
        quantity = _number(answers.get(per.field))
        if quantity is None:
            return FeeDue(fee, None)
        amount = max(0, int((quantity * per.amount).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
        if per.minimum is not None:
            amount = max(amount, per.minimum)
        if per.maximum is not None:
            amount = min(amount, per.maximum)
        return FeeDue(fee, amount, quantity)
    return FeeDue(fee, None)  # decided later


def fees_due(definition: Procedure, answers: dict[str, Any]) -> list[FeeDue]:
    """The fees due for these answers, in the order of the definition."""
    return [amount_of(fee, answers) for fee in definition.fees if condition_holds(fee.when, answers)]


def total(due: list[FeeDue]) -> int:
    """What is known now; fees decided later come on top."""
    return sum(d.amount for d in due if d.amount is not None)
