"""The procedure definition schema (one YAML file per procedure).

A definition carries what the national TTHC database publishes about a procedure
(mã thủ tục, cơ quan thực hiện, lĩnh vực, thành phần hồ sơ, phí, căn cứ pháp lý…)
plus the online form itself. Every text a person reads is given in Vietnamese and
English (`vi`, `en`).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Circular 10/2016/TT-BTTTT agency code, e.g. 000.00.01.H22 or 000.00.12.G09.
AGENCY_CODE_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")

# File kinds a dossier component may accept, by the media types sniffed from content.
FILE_KINDS: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf",),
    "jpg": ("image/jpeg",),
    "png": ("image/png",),
    "tiff": ("image/tiff",),
    "doc": ("application/msword", "application/x-ole-storage", "application/CDFV2"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
    "xls": ("application/vnd.ms-excel", "application/x-ole-storage", "application/CDFV2"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
    "zip": ("application/zip",),
    "shp": ("application/zip",),  # shapefiles travel zipped
    "xml": ("text/xml", "application/xml"),
    "txt": ("text/plain",),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in both languages; Vietnamese is the reference."""

    vi: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.vi


class Level(StrEnum):
    FULL = "full"  # toàn trình (formerly level 4)
    PARTIAL = "partial"  # một phần (formerly level 3)


class Channel(StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
    POST = "post"


class ApplicantKind(StrEnum):
    CITIZEN = "citizen"  # LoaiDoiTuong 1
    BUSINESS = "business"  # LoaiDoiTuong 2


class Agency(Strict):
    code: str
    name: Text

    @field_validator("code")
    @classmethod
    def _code_form(cls, v: str) -> str:
        if not AGENCY_CODE_RE.match(v):
            raise ValueError("agency code must look like 000.00.01.H22 (Circular 10/2016/TT-BTTTT)")
        return v


class ProcedureField(Strict):
    """Lĩnh vực: the domain a procedure belongs to."""

    code: Annotated[str, Field(pattern=r"^[A-Z0-9_.-]{1,20}$")]
    name: Text


class Fee(Strict):
    name: Text
    amount: Annotated[int, Field(ge=0)]  # VND
    note: Text | None = None


class LegalBasis(Strict):
    reference: Annotated[str, Field(min_length=1)]  # e.g. "Nghị định 08/2022/NĐ-CP"
    title: Text


class SampleForm(Strict):
    name: Text
    url: Annotated[str, Field(pattern=r"^(https?://|/)")]


class Component(Strict):
    """Thành phần hồ sơ: one document the applicant supplies."""

    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    name: Text
    description: Text | None = None
    required: bool = True
    accepted_types: Annotated[list[str], Field(min_length=1)] = ["pdf"]
    max_size_mb: Annotated[int, Field(ge=1, le=2048)] = 20
    max_files: Annotated[int, Field(ge=1, le=50)] = 1
    copies: Annotated[int, Field(ge=1)] = 1  # số lượng bản
    original: bool = False  # bản chính (True) or bản sao (False)
    sample: SampleForm | None = None

    @field_validator("accepted_types")
    @classmethod
    def _known_types(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - FILE_KINDS.keys())
        if unknown:
            raise ValueError(f"unknown file types {unknown}; known: {sorted(FILE_KINDS)}")
        return v


class ResultDocument(Strict):
    name: Text


class Option(Strict):
    value: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    label: Text


class Condition(Strict):
    """Show a field only when another answer matches."""

    field: str
    equals: str | None = None
    any_of: list[str] | None = None
    checked: str | None = None  # for a checkboxes field: this value is ticked

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        given = [x for x in (self.equals, self.any_of, self.checked) if x is not None]
        if len(given) != 1:
            raise ValueError("a condition needs exactly one of equals, any_of, checked")
        return self


FieldType = Literal[
    "text",
    "textarea",
    "integer",
    "decimal",
    "date",
    "select",
    "radio",
    "checkboxes",
    "email",
    "phone",
    "personal_id",
    "tax_code",
    "address",
    "group",
]


class Validation(Strict):
    min_length: Annotated[int, Field(ge=0)] | None = None
    max_length: Annotated[int, Field(ge=1)] | None = None
    pattern: str | None = None
    pattern_message: Text | None = None
    min: float | None = None
    max: float | None = None
    places: Annotated[int, Field(ge=0, le=6)] | None = None  # decimals
    not_future: bool = False
    not_past: bool = False
    min_choices: Annotated[int, Field(ge=0)] | None = None
    max_choices: Annotated[int, Field(ge=1)] | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from exc
        return v


class FormField(Strict):
    name: str
    type: FieldType
    label: Text
    help: Text | None = None
    example: str | None = None  # a valid answer, shown as a hint; required with a pattern
    required: bool = False
    validation: Validation = Validation()
    options: list[Option] | None = None
    show_if: Condition | None = None
    # Repeatable groups only.
    fields: list[FormField] | None = None
    min_entries: Annotated[int, Field(ge=0, le=50)] = 1
    max_entries: Annotated[int, Field(ge=1, le=200)] = 20
    add_label: Text | None = None

    @field_validator("name")
    @classmethod
    def _name_form(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError("field names are lower_snake_case ASCII, starting with a letter")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> FormField:
        if self.validation.pattern:
            if self.example is None:
                raise ValueError("a field with a pattern needs an example that matches it")
            if not re.fullmatch(self.validation.pattern, self.example):
                raise ValueError(f"the example {self.example!r} does not match the pattern")
        if self.type in ("select", "radio", "checkboxes"):
            if not self.options:
                raise ValueError(f"a {self.type} field needs options")
            values = [o.value for o in self.options]
            if len(values) != len(set(values)):
                raise ValueError("option values must be unique")
        elif self.options:
            raise ValueError(f"a {self.type} field takes no options")
        if self.type == "group":
            if not self.fields:
                raise ValueError("a group needs fields")
            if any(f.type == "group" for f in self.fields):
                raise ValueError("groups do not nest")
            if self.min_entries > self.max_entries:
                raise ValueError("min_entries is larger than max_entries")
        elif self.fields:
            raise ValueError(f"a {self.type} field takes no sub-fields")
        return self


class Step(Strict):
    id: str
    title: Text
    intro: Text | None = None
    fields: Annotated[list[FormField], Field(min_length=1)]

    @field_validator("id")
    @classmethod
    def _id_form(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError("step ids are lower_snake_case ASCII, starting with a letter")
        return v


class ApplicantMapping(Strict):
    """Which answers identify the applicant (chủ hồ sơ) on receipts and to back offices.

    Each entry names one field, or several: the first one answered is used.
    """

    name: list[str]
    identifier: list[str] = []
    email: list[str] = []
    phone: list[str] = []
    address: list[str] = []
    # A business's legal representative, whose personal certificate may sign for it.
    representative_name: list[str] = []
    representative_identifier: list[str] = []

    @field_validator(
        "name",
        "identifier",
        "email",
        "phone",
        "address",
        "representative_name",
        "representative_identifier",
        mode="before",
    )
    @classmethod
    def _listify(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v


class Form(Strict):
    steps: Annotated[list[Step], Field(min_length=1)]
    applicant: ApplicantMapping


class Procedure(Strict):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9.\-]{3,32}$")]  # mã TTHC, e.g. 1.004249
    name: Text
    summary: Text | None = None
    agency: Agency
    field: ProcedureField
    level: Level
    channels: Annotated[list[Channel], Field(min_length=1)]
    applicant_kinds: Annotated[list[ApplicantKind], Field(min_length=1)]
    processing_days: Annotated[int, Field(ge=1, le=365)]  # working days
    fees: list[Fee] = []
    legal_basis: Annotated[list[LegalBasis], Field(min_length=1)]
    requirements: list[Text] = []  # điều kiện thực hiện
    components: Annotated[list[Component], Field(min_length=1)]
    results: Annotated[list[ResultDocument], Field(min_length=1)]
    form: Form

    @model_validator(mode="after")
    def _references(self) -> Procedure:
        codes = [c.code for c in self.components]
        if len(codes) != len(set(codes)):
            raise ValueError("component codes must be unique")
        step_ids = [s.id for s in self.form.steps]
        if len(step_ids) != len(set(step_ids)):
            raise ValueError("step ids must be unique")
        seen: dict[str, FormField] = {}
        for step in self.form.steps:
            for f in step.fields:
                if f.name in seen:
                    raise ValueError(f"field {f.name!r} is defined twice")
                if f.show_if is not None:
                    _check_condition(f, f.show_if, seen, step.fields)
                seen[f.name] = f
                for sub in f.fields or []:
                    if sub.show_if is not None:
                        raise ValueError(f"{f.name}.{sub.name}: conditions inside groups are not supported")
        top_level = {n: f for n, f in seen.items() if f.type != "group"}
        mapping = self.form.applicant
        for key in ApplicantMapping.model_fields:
            for ref in getattr(mapping, key):
                if ref not in top_level:
                    raise ValueError(f"form.applicant.{key} names unknown field {ref!r}")
        return self

    def field_named(self, name: str) -> FormField:
        for step in self.form.steps:
            for f in step.fields:
                if f.name == name:
                    return f
        raise KeyError(name)


def _check_condition(
    field: FormField, cond: Condition, earlier: dict[str, FormField], same_step: list[FormField]
) -> None:
    target = earlier.get(cond.field) or next((f for f in same_step if f.name == cond.field), None)
    if target is None:
        raise ValueError(f"{field.name}.show_if refers to {cond.field!r}, which is not defined before it")
    if target.type not in ("select", "radio", "checkboxes"):
        raise ValueError(f"{field.name}.show_if must refer to a select, radio or checkboxes field")
    allowed = {o.value for o in target.options or []}
    wanted = [cond.equals] if cond.equals is not None else (cond.any_of or [cond.checked])
    for value in wanted:
        if value not in allowed:
            raise ValueError(f"{field.name}.show_if: {value!r} is not an option of {cond.field!r}")
    if cond.checked is not None and target.type != "checkboxes":
        raise ValueError(f"{field.name}.show_if.checked needs a checkboxes field")
