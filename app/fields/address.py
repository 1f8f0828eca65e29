"""An address: street, ward and province, the two-level local government in force since July 2025."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, Form, StringField
from wtforms import FormField as WTFormField
from wtforms.validators import ValidationError

from app.fields.base import FieldType, Optional, Required, Spec, field_type, lazy_text

PARTS = (
    ("street", _l("House number and street")),
    ("ward", _l("Ward or commune")),
    ("province", _l("Province or city")),
)


def _limit(most: int) -> Callable[[Form, Field], None]:
    def check(form: Form, field: Field) -> None:
        if field.data and len(field.data.strip()) > most:
            raise ValidationError(str(_l("Enter at most %(num)d characters", num=most)))

    return check


@field_type
class AddressType(FieldType):
    name = "address"
    template = "fields/address.html"

    def build(self, spec: Spec) -> Any:
        parts = {
            key: StringField(
                label=label,
                validators=[Required(_l("Enter an answer")) if spec.required else Optional(), _limit(255)],
            )
            for key, label in PARTS
        }
        return WTFormField(
            type("AddressForm", (Form,), parts),
            label=lazy_text(spec.label),
            description=lazy_text(spec.help) if spec.help else "",
            separator="-",
        )

    def answer(self, field: Field) -> Any:
        assert isinstance(field, WTFormField)  # what build() made
        data = {key: (field[key].data or "").strip() for key, _ in PARTS}
        return data if any(data.values()) else None

    def formdata(self, spec: Spec, key: str, value: Any) -> list[tuple[str, str]]:
        return [(f"{key}-{part}", value.get(part, "")) for part, _ in PARTS] if value else []

    def display(self, spec: Spec, value: Any) -> str:
        return ", ".join(value[p] for p, _ in PARTS if value.get(p)) if value else ""

    def sample(self, spec: Spec) -> dict[str, str]:
        return {"street": "12 Lê Thánh Tông", "ward": "Phường Hoàn Kiếm", "province": "Hà Nội"}
