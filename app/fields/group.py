"""A repeatable group: a table of entries, each answering the same few questions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, FieldList, Form
from wtforms import FormField as WTFormField
from wtforms.form import BaseForm

from app.fields.base import FieldType, Problem, Spec, field_type, is_blank, kind_of
from app.texts import Localized

# Its entries are the rows, each a FormField. WTForms' classes are generic only in their stubs:
# subscripted at run time they would raise.
if TYPE_CHECKING:
    RowList = FieldList[WTFormField[Form]]
else:
    RowList = FieldList


class GroupList(RowList):
    """A repeatable group. Entirely blank rows are dropped before validation."""

    def __init__(self, *args: Any, spec: Spec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec

    def validate(self, form: BaseForm, extra_validators: Any = ()) -> bool:
        self.entries = [e for e in self.entries if not _row_blank(e)]
        for index, entry in enumerate(self.entries):  # keep names in step with positions
            entry.name = entry.id = f"{self.name}-{index}"
        self.errors = []
        least = max(self.spec.min_entries, 1) if self.spec.required else 0
        if len(self.entries) < least:
            self.errors.append(str(_l("Add at least %(num)d entries", num=least)))
            return False
        if len(self.entries) > self.spec.max_entries:
            self.errors.append(str(_l("Add at most %(num)d entries", num=self.spec.max_entries)))
            return False
        valid = True
        for entry in self.entries:
            if not entry.validate(form):
                valid = False
                self.errors.append(entry.errors)
        return valid


def _row_blank(entry: WTFormField[Form]) -> bool:
    return all(is_blank(sub.data) for sub in entry.form)


@field_type
class GroupType(FieldType):
    name = "group"
    template = "fields/group.html"
    demo = {
        "fields": [
            {
                "name": "item",
                "type": "text",
                "required": True,
                "label": {"vi": "Thiết bị", "en": "Equipment"},
            },
            {"name": "quantity", "type": "integer", "label": {"vi": "Số lượng", "en": "Quantity"}},
        ]
    }

    def problems(self, spec: Spec) -> Iterator[Problem]:
        if spec.options:
            yield "options", "a group takes no options"
        if not spec.fields:
            yield "fields", "a group needs fields"
            return
        names = [sub.name for sub in spec.fields]
        for index, sub in enumerate(spec.fields):
            if sub.type == "group":
                yield f"fields[{index}].type", "groups do not nest"
            if sub.name in names[:index]:
                yield f"fields[{index}].name", f"field {sub.name!r} is defined twice in this group"
            if sub.show_if is not None:
                yield f"fields[{index}].show_if", "conditions inside groups are not supported"
        if spec.min_entries > spec.max_entries:
            yield (
                "min_entries",
                f"min_entries {spec.min_entries} is larger than max_entries {spec.max_entries}",
            )

    def build(self, spec: Spec) -> Any:
        parts = {sub.name: kind_of(sub.type).build(sub) for sub in spec.fields or []}
        row_form = type(f"{spec.name.title()}Row", (Form,), parts)
        return GroupList(
            WTFormField(row_form),
            spec=spec,
            label=Localized(spec.label),
            description=Localized(spec.help) if spec.help else "",
            min_entries=spec.min_entries,
            max_entries=spec.max_entries,
        )

    def answer(self, field: Field) -> Any:
        assert isinstance(field, GroupList)  # what build() made
        subs = {sub.name: kind_of(sub.type) for sub in field.spec.fields or []}
        return [{name: subs[name].answer(entry[name]) for name in subs} for entry in field.entries]

    def formdata(self, spec: Spec, key: str, value: Any) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for index, row in enumerate(value or []):
            for sub in spec.fields or []:
                pairs.extend(kind_of(sub.type).formdata(sub, f"{key}-{index}-{sub.name}", row.get(sub.name)))
        return pairs

    def display(self, spec: Spec, value: Any) -> str:
        return ""  # shown as a table of entries: see rows()

    def rows(self, spec: Spec, value: Any) -> list[list[tuple[str, str]]]:
        """(label, answer) of each sub-field, for each entry."""
        return [
            [
                (str(Localized(sub.label)), kind_of(sub.type).display(sub, row.get(sub.name)))
                for sub in spec.fields or []
            ]
            for row in value or []
        ]

    def sample(self, spec: Spec) -> list[dict[str, Any]]:
        row = {sub.name: kind_of(sub.type).sample(sub) for sub in spec.fields or []}
        return [dict(row) for _ in range(max(spec.min_entries, 1))]
