"""The procedure definition schema (one YAML file per procedure).

A definition carries what the national TTHC database publishes about a procedure
(mã thủ tục, cơ quan thực hiện, lĩnh vực, thành phần hồ sơ, phí, căn cứ pháp lý…)
plus the online form itself. Every text a person reads is given in Vietnamese and
English (`vi`, `en`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from app.catalog.cases import Case
from app.catalog.conditions import Condition as Condition  # re-exported: definitions' condition language
from app.catalog.conditions import Problem, Rule, Target, condition_problems, rule_problems
from app.catalog.document_types import known_type
from app.catalog.fees import FEE_CODE, FeeKind, PerUnit, Tiers
from app.catalog.record import CoApplicants, Filing, ProcessStep
from app.fields import Options, field_types, kind_of
from app.fields.base import FieldType as Kind
from app.texts import Text as Text  # lives in app.texts (below the field types); re-exported

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


# A document type's code, checked against the known ones (app/catalog/document_types.py).
DocumentType = Annotated[str, AfterValidator(known_type)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(StrEnum):
    FULL = "full"  # toàn trình (formerly level 4)
    PARTIAL = "partial"  # một phần (formerly level 3)


class Channel(StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
    POST = "post"


class ApplicantKind(StrEnum):
    CITIZEN = "citizen"  # công dân Việt Nam; LoaiDoiTuong 1
    BUSINESS = "business"  # doanh nghiệp, hộ kinh doanh; LoaiDoiTuong 2
    ORGANISATION = "organisation"  # cơ quan, tổ chức khác (hợp tác xã, tổ chức KH&CN…); LoaiDoiTuong 2
    FOREIGNER = "foreigner"  # người nước ngoài, by passport; LoaiDoiTuong 1


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
    """Phí or lệ phí, with its code. Exactly one of: a fixed `amount` (VND), `tiers` by a number
    answered in the form, an amount `per_unit` of such a number, or `decided_later` (fixed by
    the agency's decision: the dossier owes it, the amount is not known at submission). Due
    only `when` its condition holds, if one is given (app/dossiers/fees.py computes it)."""

    code: Annotated[str, Field(pattern=FEE_CODE)] | None = None  # MaPhiLePhi; old definitions have none
    kind: FeeKind = FeeKind.LE_PHI
    name: Text
    amount: Annotated[int, Field(ge=0)] | None = None  # VND
    tiers: Tiers | None = None
    per_unit: PerUnit | None = None
    decided_later: bool = False
    when: Condition | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _one_basis(self) -> Fee:
        given = [
            self.amount is not None,
            self.tiers is not None,
            self.per_unit is not None,
            self.decided_later,
        ]
        if sum(given) != 1:
            raise ValueError("a fee needs exactly one of amount, tiers, per_unit, decided_later: true")
        return self

    @property
    def basis(self) -> str:
        if self.tiers is not None:
            return "tiers"
        if self.per_unit is not None:
            return "per_unit"
        return "decided_later" if self.decided_later else "fixed"


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
    # Required only when this holds (the component is optional otherwise).
    required_when: Condition | None = None
    # One upload slot for each entry of this repeatable group (a diploma per staff member).
    per_entry_of: str | None = None
    # The kind of document this is, shared by procedures (app/catalog/document_types.py), and
    # the other kinds it takes in its place: what the applicant's store may offer for it.
    type: DocumentType | None = None
    accepts: list[DocumentType] = []

    @property
    def document_types(self) -> frozenset[str]:
        """Every document type this component takes: its own and those it accepts."""
        return frozenset(([self.type] if self.type else []) + list(self.accepts))

    @field_validator("accepted_types")
    @classmethod
    def _known_types(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - FILE_KINDS.keys())
        if unknown:
            raise ValueError(f"unknown file types {unknown}; known: {sorted(FILE_KINDS)}")
        return v

    @model_validator(mode="after")
    def _required_when(self) -> Component:
        if self.required_when is not None and not self.required:
            raise Problems([("required", "a component with required_when is required only when it holds")])
        return self


class ResultDocument(Strict):
    name: Text
    # The kind of document issued (app/catalog/document_types.py): kept in the applicant's store
    # with it, so that a later procedure asking for that kind is offered the electronic copy.
    type: DocumentType | None = None


class Option(Strict):
    value: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    label: Text


# What `validation:` may say depends on the field's type (each type's options schema).
OPTIONS_JSON_SCHEMA = {
    "type": "object",
    "title": "Options",
    "description": "The limits of the field's type: min_length, max_length, pattern and pattern_message "
    "for text; min, max (and places for decimals) for numbers; not_future and not_past for dates; "
    "min_choices and max_choices for checkboxes.",
}


class Problems(ValueError):
    """Several problems, each at its own path inside the model that raised them; the loader
    joins each path to the model's place in the file."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {reason}" for path, reason in problems))
        self.problems = problems


def _names(names: list[str]) -> str:
    quoted = [repr(n) for n in names]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}"


class FormField(Strict):
    """One question. What `validation:` may say depends on the type: each field type in
    app.fields brings its options schema, and its own checks of the definition."""

    name: str
    type: str
    label: Text
    help: Text | None = None
    example: str | None = None  # a valid answer, shown as a hint; required with a pattern
    required: bool = False
    validation: Annotated[
        SerializeAsAny[Options], Field(validate_default=True), WithJsonSchema(OPTIONS_JSON_SCHEMA)
    ] = Options()
    options: list[Option] | None = None
    show_if: Condition | None = None
    # Repeatable groups only.
    fields: list[FormField] | None = None
    min_entries: Annotated[int, Field(ge=0, le=50)] = 1
    max_entries: Annotated[int, Field(ge=1, le=200)] = 20
    add_label: Text | None = None
    rules: list[Rule] = []  # checked on each entry of a group

    @field_validator("name")
    @classmethod
    def _name_form(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError("field names are lower_snake_case ASCII, starting with a letter")
        return v

    @field_validator("type")
    @classmethod
    def _known_type(cls, v: str) -> str:
        if v not in field_types():
            raise ValueError(f"Input should be {_names(list(field_types()))}")
        return v

    @field_validator("validation", mode="before")
    @classmethod
    def _options_of_type(cls, v: object, info: ValidationInfo) -> object:
        name = info.data.get("type")
        if name not in field_types():
            return Options()  # the type is refused on its own
        try:
            raw = v.model_dump(exclude_unset=True) if isinstance(v, BaseModel) else v
            return kind_of(name).options.model_validate(raw if raw is not None else {})
        except ValidationError as exc:
            raise Problems(
                [(_relative(e["loc"]), e["msg"].removeprefix("Value error, ")) for e in exc.errors()]
            ) from None

    @model_validator(mode="after")
    def _consistent(self) -> FormField:
        problems = [(f"validation.{path}", reason) for path, reason in self.validation.problems()]
        problems.extend(self.kind.problems(self))
        if problems:
            raise Problems(problems)
        return self

    @property
    def kind(self) -> Kind:
        """The field type: how this question is built, checked, shown and rendered."""
        return kind_of(self.type)


def _relative(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


class Step(Strict):
    id: str
    title: Text
    intro: Text | None = None
    fields: Annotated[list[FormField], Field(min_length=1)]
    rules: list[Rule] = []  # across this step's answers (and earlier steps')

    @field_validator("id")
    @classmethod
    def _id_form(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError("step ids are lower_snake_case ASCII, starting with a letter")
        return v

    @model_validator(mode="after")
    def _step_references(self) -> Step:
        """A field that refers to earlier questions of its step (a polygon's declared area)."""
        problems = [
            (f"fields[{index}].{path}", reason)
            for index, field in enumerate(self.fields)
            for path, reason in field.kind.step_problems(field, self.fields[:index])
        ]
        if problems:
            raise Problems(problems)
        return self


class SubmitterMapping(Strict):
    """Người được ủy quyền: the dossier filed on the applicant's behalf, `when` the condition
    holds; then the authorisation (giấy ủy quyền, component `document`) is required."""

    when: Condition
    name: list[str]
    identifier: list[str] = []
    phone: list[str] = []
    document: str  # component code of the authorisation

    @field_validator("name", "identifier", "phone", mode="before")
    @classmethod
    def _listify(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v


# The applicant mapping's lists of answers (each names fields; the first answered is used).
LISTED_ANSWERS = (
    "name",
    "identifier",
    "email",
    "phone",
    "address",
    "representative_name",
    "representative_identifier",
)


class ApplicantMapping(Strict):
    """Which answers identify the applicant (chủ hồ sơ) on receipts and to back offices.

    Each entry names one field, or several: the first one answered is used. `kind` names a
    radio or select whose options are applicant kinds (for a procedure open to several);
    `submitter` the authorised person who files for the applicant; `co_applicants` the other
    members of a liên danh.
    """

    name: list[str]
    identifier: list[str] = []
    email: list[str] = []
    phone: list[str] = []
    address: list[str] = []
    # A business's legal representative, whose personal certificate may sign for it.
    representative_name: list[str] = []
    representative_identifier: list[str] = []
    kind: str | None = None
    # The kind each option of `kind` stands for, where the option's value is not a kind itself
    # (foreign_organisation: organisation).
    kind_values: dict[str, ApplicantKind] = {}
    submitter: SubmitterMapping | None = None
    co_applicants: CoApplicants | None = None

    @field_validator(*LISTED_ANSWERS, mode="before")
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
    processing_days: Annotated[int, Field(ge=1, le=365)]
    # Thời hạn giải quyết: in working days unless the procedure's record says calendar days.
    processing_unit: Literal["working_days", "calendar_days"] = "working_days"
    fees: list[Fee] = []
    # When the fees known at submission are paid online (when payment providers are offered):
    # before the dossier is sent (it waits, AWAITING_PAYMENT, and goes out when paid), or after
    # (it goes out at once; the back office is told when they are paid). Fees decided later are
    # never charged at submission: the agency asks for them (status 6).
    fees_paid: Literal["before_sending", "after_sending"] = "before_sending"
    legal_basis: Annotated[list[LegalBasis], Field(min_length=1)]
    requirements: list[Text] = []  # điều kiện thực hiện
    components: Annotated[list[Component], Field(min_length=1)]
    results: Annotated[list[ResultDocument], Field(min_length=1)]
    form: Form
    # The rest of the published record.
    deciding_agency: Agency | None = None  # cơ quan có thẩm quyền quyết định, where not `agency`
    process_steps: list[ProcessStep] = []  # trình tự thực hiện
    filing: Filing | None = None
    result_validity: Text | None = None  # thời hạn hiệu lực của kết quả
    # Trường hợp: the answer to `case_field` picks one (app/catalog/cases.py).
    cases: list[Case] = []
    case_field: str | None = None

    @model_validator(mode="after")
    def _references(self) -> Procedure:
        problems: list[tuple[str, str]] = []
        codes = [c.code for c in self.components]
        for index, code in enumerate(codes):
            if code in codes[:index]:
                problems.append((f"components[{index}].code", f"component code {code!r} is given twice"))
        step_ids = [s.id for s in self.form.steps]
        for index, step_id in enumerate(step_ids):
            if step_id in step_ids[:index]:
                problems.append((f"form.steps[{index}].id", f"step id {step_id!r} is given twice"))
        seen: dict[str, FormField] = {}
        for s, step in enumerate(self.form.steps):
            for f, field in enumerate(step.fields):
                where = f"form.steps[{s}].fields[{f}]"
                if field.name in seen:
                    problems.append((f"{where}.name", f"field {field.name!r} is defined twice"))
                if field.show_if is not None:
                    problems.extend(
                        _at(f"{where}.show_if", _checked(field.show_if, seen, "defined before it"))
                    )
                seen.setdefault(field.name, field)
                if field.type == "group":
                    problems.extend(_group_problems(field, where))
            for r, rule in enumerate(step.rules):
                step_fields = {n: x for n, x in seen.items() if x.type != "group"}
                found = rule_problems(rule, _finder(step_fields), "defined by then")
                own = {f.name for f in step.fields}
                if not found and rule.field not in own and rule.other not in own:
                    found = [(".field", "a step's rule compares at least one answer of that step")]
                problems.extend(_at(f"form.steps[{s}].rules[{r}]", found))
        for index, component in enumerate(self.components):
            problems.extend(_component_problems(component, f"components[{index}]", seen))
        top_level = {n: f for n, f in seen.items() if f.type != "group"}
        mapping = self.form.applicant
        for key in LISTED_ANSWERS:
            for index, ref in enumerate(getattr(mapping, key)):
                if ref not in top_level:
                    problems.append((f"form.applicant.{key}[{index}]", f"names unknown field {ref!r}"))
        problems.extend(_record_problems(self, seen))
        if problems:
            raise Problems(problems)
        return self

    def field_named(self, name: str) -> FormField:
        for step in self.form.steps:
            for f in step.fields:
                if f.name == name:
                    return f
        raise KeyError(name)


NUMBER_TYPES = ("integer", "decimal")


def _record_problems(p: Procedure, seen: dict[str, FormField]) -> list[tuple[str, str]]:
    """Fees, cases, applicant kinds, the authorised submitter, co-applicants and the deciding
    agency, checked against the form and the components, at paths in the file."""
    problems: list[tuple[str, str]] = []
    top = {n: f for n, f in seen.items() if f.type != "group"}
    component_codes = {c.code: c for c in p.components}
    fee_codes = [f.code for f in p.fees if f.code is not None]
    for index, fee in enumerate(p.fees):
        where = f"fees[{index}]"
        if fee.code is not None and fee.code in fee_codes[: fee_codes.index(fee.code)]:
            problems.append((f"{where}.code", f"fee code {fee.code!r} is given twice"))
        for key, basis in (("tiers", fee.tiers), ("per_unit", fee.per_unit)):
            if basis is None:
                continue
            target = top.get(basis.field)
            if target is None:
                problems.append((f"{where}.{key}.field", f"names unknown field {basis.field!r}"))
            elif target.type not in NUMBER_TYPES:
                problems.append(
                    (f"{where}.{key}.field", f"{basis.field!r} is not an integer or decimal field")
                )
            problems.extend((f"{where}.{key}{path}", reason) for path, reason in basis.problems())
        if fee.when is not None:
            problems.extend(
                (f"{where}.when{path}", reason)
                for path, reason in _checked(fee.when, seen, "a field of the form")
            )
    if p.deciding_agency is not None and p.deciding_agency.code == p.agency.code:
        problems.append(("deciding_agency.code", "is the receiving agency: leave deciding_agency out"))
    problems.extend(_case_problems(p, top, component_codes))
    problems.extend(_applicant_problems(p, seen, top, component_codes))
    return problems


def _case_problems(
    p: Procedure, top: dict[str, FormField], components: dict[str, Component]
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not p.cases:
        if p.case_field is not None:
            problems.append(("case_field", "is given without cases"))
        return problems
    codes = [c.code for c in p.cases]
    for index, case in enumerate(p.cases):
        if case.code in codes[:index]:
            problems.append((f"cases[{index}].code", f"case code {case.code!r} is given twice"))
        for c, code in enumerate(case.components):
            if code not in components:
                problems.append((f"cases[{index}].components[{c}]", f"names unknown component {code!r}"))
    if p.case_field is None:
        problems.append(("case_field", "cases need the field whose answer picks the case"))
        return problems
    target = top.get(p.case_field)
    if target is None or target.type not in ("radio", "select"):
        problems.append(("case_field", f"{p.case_field!r} is not a radio or select field of the form"))
        return problems
    if not target.required or target.show_if is not None:
        problems.append(("case_field", f"{p.case_field!r} must be required and always shown"))
    options = [o.value for o in target.options or []]
    for index, code in enumerate(codes):
        if code not in options:
            problems.append((f"cases[{index}].code", f"{code!r} is not an option of {p.case_field!r}"))
    problems.extend(
        ("case_field", f"option {value!r} of {p.case_field!r} is no case")
        for value in options
        if value not in codes
    )
    return problems


def _applicant_problems(
    p: Procedure, seen: dict[str, FormField], top: dict[str, FormField], components: dict[str, Component]
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    mapping = p.form.applicant
    if mapping.kind is not None:
        target = top.get(mapping.kind)
        if target is None or target.type not in ("radio", "select"):
            problems.append(
                ("form.applicant.kind", f"{mapping.kind!r} is not a radio or select field of the form")
            )
        else:
            allowed = {k.value for k in p.applicant_kinds}
            options = [o.value for o in target.options or []]
            problems.extend(
                ("form.applicant.kind", f"option {value!r} of {mapping.kind!r} is not one of applicant_kinds")
                for value in options
                if mapping.kind_values.get(value, value) not in allowed
            )
            problems.extend(
                (f"form.applicant.kind_values.{value}", f"{value!r} is not an option of {mapping.kind!r}")
                for value in mapping.kind_values
                if value not in options
            )
    elif mapping.kind_values:
        problems.append(("form.applicant.kind_values", "is given without kind"))
    submitter = mapping.submitter
    if submitter is not None:
        where = "form.applicant.submitter"
        problems.extend(
            (f"{where}.when{path}", r) for path, r in _checked(submitter.when, seen, "a field of the form")
        )
        for key in ("name", "identifier", "phone"):
            for index, ref in enumerate(getattr(submitter, key)):
                if ref not in top:
                    problems.append((f"{where}.{key}[{index}]", f"names unknown field {ref!r}"))
        document = components.get(submitter.document)
        if document is None:
            problems.append((f"{where}.document", f"names unknown component {submitter.document!r}"))
        elif document.required:
            problems.append(
                (
                    f"{where}.document",
                    f"{submitter.document!r} must be required: false (asked only when authorised)",
                )
            )
    co = mapping.co_applicants
    if co is not None:
        where = "form.applicant.co_applicants"
        group = seen.get(co.group)
        if group is None or group.type != "group":
            problems.append((f"{where}.group", f"{co.group!r} is not a repeatable group of the form"))
        else:
            inside = {f.name for f in group.fields or []}
            for key in ("name", "identifier", "address"):
                ref = getattr(co, key)
                if ref is not None and ref not in inside:
                    problems.append((f"{where}.{key}", f"{ref!r} is not a field of the group {co.group!r}"))
    return problems


def _at(where: str, problems: list[Problem]) -> list[Problem]:
    return [(f"{where}{path}", reason) for path, reason in problems]


def _finder(fields: dict[str, FormField]) -> Callable[[str], Target | None]:
    def find(name: str) -> Target | None:
        spec = fields.get(name)
        if spec is None:
            return None
        return Target(spec.type, [o.value for o in spec.options or []])

    return find


def _checked(cond: Condition, fields: dict[str, FormField], where: str) -> list[Problem]:
    return condition_problems(cond, _finder(fields), where)


def _group_problems(group: FormField, where: str) -> list[Problem]:
    """Conditions and rules inside a group test the sibling questions of the same entry."""
    problems: list[Problem] = []
    before: dict[str, FormField] = {}
    for index, sub in enumerate(group.fields or []):
        at = f"{where}.fields[{index}]"
        if sub.show_if is not None:
            problems.extend(
                _at(f"{at}.show_if", _checked(sub.show_if, before, "a sibling before it in the group"))
            )
        before.setdefault(sub.name, sub)
        if sub.type == "group":
            problems.extend(_group_problems(sub, at))
    siblings = {n: x for n, x in before.items() if x.type != "group"}
    for r, rule in enumerate(group.rules):
        problems.extend(
            _at(f"{where}.rules[{r}]", rule_problems(rule, _finder(siblings), "a field of the group"))
        )
    return problems


def _component_problems(component: Component, where: str, fields: dict[str, FormField]) -> list[Problem]:
    problems: list[Problem] = []
    known = {n: x for n, x in fields.items() if x.type != "group"}
    if component.per_entry_of is not None:
        group = fields.get(component.per_entry_of)
        if group is None or group.type != "group":
            problems.append(
                (f"{where}.per_entry_of", f"{component.per_entry_of!r} is not a repeatable group")
            )
        else:  # a condition on a document per entry may also test the entry's own answers
            known |= {sub.name: sub for sub in group.fields or [] if sub.type != "group"}
    if component.required_when is not None:
        problems.extend(
            _at(f"{where}.required_when", _checked(component.required_when, known, "a field of the form"))
        )
    return problems
