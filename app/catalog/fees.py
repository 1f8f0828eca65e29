"""Phí and lệ phí as a procedure's record publishes them: a fixed amount, tiers by a declared
number (diện tích, lưu lượng, tổng vốn đầu tư…), an amount per unit, or an amount fixed later by
the agency's decision. The `Fee` model itself is in app/catalog/schema.py (it may carry a `when:`
condition); what is here needs no condition. What a dossier owes is computed from its answers
in app/dossiers/fees.py.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.fields.numbers import shown
from app.i18n import current_locale, vnd
from app.texts import Text

FEE_CODE = r"^[A-Za-z0-9_.-]{1,32}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeeKind(StrEnum):
    """Phí pays for a service (thẩm định…); lệ phí is a state charge for the act (cấp giấy phép).
    The national portal tells them apart (LoaiPhiLePhi)."""

    PHI = "phi"
    LE_PHI = "le_phi"


def kind_label(kind: FeeKind) -> str:
    """Phí or lệ phí, in the current language."""
    return _("Fee (phí)") if kind == FeeKind.PHI else _("Charge (lệ phí)")


class Band(_Strict):
    """One tier: the amount due when the number is below `below` (strictly) or at most `up_to`;
    the last tier gives neither (everything above)."""

    below: Decimal | None = None
    up_to: Decimal | None = None
    amount: Annotated[int, Field(ge=0)]  # VND

    @model_validator(mode="after")
    def _one_bound(self) -> Band:
        if self.below is not None and self.up_to is not None:
            raise ValueError("a tier gives below or up_to, not both")
        return self

    @property
    def bound(self) -> Decimal | None:
        return self.below if self.below is not None else self.up_to

    def holds(self, value: Decimal) -> bool:
        if self.below is not None:
            return value < self.below
        if self.up_to is not None:
            return value <= self.up_to
        return True


class Tiers(_Strict):
    """The amount is that of the first tier the answer to `field` (a number field) falls in."""

    field: str
    unit: Text | None = None  # of the number: ha, m³/ngày đêm, tỷ đồng
    bands: Annotated[list[Band], Field(min_length=1)]

    def problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        last = len(self.bands) - 1
        previous: Decimal | None = None
        for index, band in enumerate(self.bands):
            if index < last and band.bound is None:
                found.append((f".bands[{index}]", "only the last tier may leave out below and up_to"))
            if index == last and band.bound is not None:
                found.append(
                    (f".bands[{index}]", "the last tier takes everything above: leave out its bound")
                )
            if band.bound is not None:
                if previous is not None and band.bound <= previous:
                    found.append(
                        (f".bands[{index}]", "tiers go upwards: this bound is not above the one before")
                    )
                previous = band.bound
        return found

    def band_for(self, value: Decimal) -> Band:
        return next(band for band in self.bands if band.holds(value))

    def label(self, index: int) -> str:
        """A tier as a person reads it, in the current language: "from 100 to 50,000 ha"."""
        band = self.bands[index]
        before = self.bands[index - 1] if index else None
        unit = f" {self.unit.get(current_locale())}" if self.unit else ""
        if before is None:
            if band.below is not None:
                return _("under %(num)s", num=_number(band.below)) + unit
            return _("up to %(num)s", num=_number(band.up_to or 0)) + unit
        low = before.bound or Decimal(0)
        if band.bound is None:
            if before.below is not None:
                return _("%(num)s or more", num=_number(low)) + unit
            return _("over %(num)s", num=_number(low)) + unit
        if before.below is not None:
            text = (
                _("from %(low)s to %(high)s", low=_number(low), high=_number(band.bound))
                if band.up_to is not None
                else _("from %(low)s to under %(high)s", low=_number(low), high=_number(band.bound))
            )
        else:
            text = (
                _("over %(low)s up to %(high)s", low=_number(low), high=_number(band.bound))
                if band.up_to is not None
                else _("over %(low)s to under %(high)s", low=_number(low), high=_number(band.bound))
            )
        return text + unit


class PerUnit(_Strict):
    """The amount is `amount` for each unit of the answer to `field` (a number field), rounded
    to the đồng, then kept within `minimum` and `maximum` when they are given."""

    field: str
    amount: Annotated[int, Field(ge=0)]  # VND per unit
    unit: Text  # m³, ha, bản
    minimum: Annotated[int, Field(ge=0)] | None = None
    maximum: Annotated[int, Field(ge=0)] | None = None

    def rate(self) -> str:
        """ "5.000 ₫ per m³", in the current language."""
        return _("%(amount)s per %(unit)s", amount=vnd(self.amount), unit=self.unit.get(current_locale()))

    def problems(self) -> list[tuple[str, str]]:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            return [(".minimum", "minimum is larger than maximum")]
        return []


def _number(value: Decimal | int) -> str:
    return shown(Decimal(value).normalize() if isinstance(value, Decimal) else value)
