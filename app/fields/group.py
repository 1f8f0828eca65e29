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
    """A repeatable group. Entirely blank rows are dropped before validation. In each entry, a
    question whose condition (`show_if`, on its siblings) does not hold is neither checked nor
    kept, and the group's rules are checked across the entry's answers."""

    def __init__(self, *args: Any, spec: Spec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec

    def validate(self, form: BaseForm, extra_validators: Any = ()) -> bool:
        self.entries = [e for e in self.entries if not blank(e)]
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
            if not _validate_entry(self.spec, entry, form):
                valid = False
                self.errors.append(entry.errors)
        return valid


def entry_shown(spec: Spec, entry: WTFormField[Form]) -> list[str]:
    """The sub-questions of an entry whose conditions hold, from its input (checked or not)."""
    lookup: dict[str, Any] = {}
    shown = []
    checked = getattr(entry, "checked_answers", None)
    for sub in spec.fields or []:
        field = entry.form[sub.name]
        if sub.show_if is not None and not sub.show_if.holds(lookup):
            lookup[sub.name] = None
            continue
        shown.append(sub.name)
        lookup[sub.name] = checked[sub.name] if checked is not None else kind_of(sub.type).reading(field)
    return shown


def _validate_entry(spec: Spec, entry: WTFormField[Form], form: BaseForm) -> bool:
    lookup: dict[str, Any] = {}
    valid = True
    entry.form._errors = None  # type: ignore[attr-defined]  # WTForms caches a form's errors
    for sub in spec.fields or []:
        field = entry.form[sub.name]
        if sub.show_if is not None and not sub.show_if.holds(lookup):
            field.errors = []
            lookup[sub.name] = None
            continue
        ok = field.validate(entry.form)
        lookup[sub.name] = kind_of(sub.type).answer(field) if ok else None
        valid = valid and ok
    for rule in spec.rules or []:
        if rule.broken(lookup):
            field = entry.form[rule.field]
            field.errors = [*field.errors, str(Localized(rule.message))]
            valid = False
    entry.checked_answers = lookup  # type: ignore[attr-defined]
    return valid


def blank(entry: WTFormField[Form]) -> bool:
    """Whether nothing was typed in an entry (nor in the entries of a group inside it)."""
    for sub in entry.form:
        if isinstance(sub, GroupList):
            if not all(blank(inner) for inner in sub.entries):
                return False
        elif not is_blank(sub.data):
            return False
    return True


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
            if sub.name in names[:index]:
                yield f"fields[{index}].name", f"field {sub.name!r} is defined twice in this group"
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
        found = []
        for entry in field.entries:
            shown = set(entry_shown(field.spec, entry))
            found.append({name: subs[name].answer(entry[name]) if name in shown else None for name in subs})
        return found

    def formdata(self, spec: Spec, key: str, value: Any) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for index, row in enumerate(value or []):
            for sub in spec.fields or []:
                pairs.extend(kind_of(sub.type).formdata(sub, f"{key}-{index}-{sub.name}", row.get(sub.name)))
        return pairs

    def display(self, spec: Spec, value: Any) -> str:
        """Each entry on one line: how a group inside a group reads (a top-level one: rows())."""
        return "; ".join(
            f"{number}. " + ", ".join(f"{label}: {shown}" for label, shown in row if shown)
            for number, row in enumerate(self.rows(spec, value), 1)
        )

    def rows(self, spec: Spec, value: Any) -> list[list[tuple[str, str]]]:
        """(label, answer) of each sub-field shown in that entry, for each entry."""
        return [
            [
                (str(Localized(sub.label)), kind_of(sub.type).display(sub, row.get(sub.name)))
                for sub in spec.fields or []
                if sub.show_if is None or sub.show_if.holds(row)
            ]
            for row in value or []
        ]

    def entry_label(self, spec: Spec, value: Any, index: int) -> str:
        """How one entry is named to a person: "Well 2: GK-02" (its first answer)."""
        rows = self.rows(spec, value)
        first = next((shown for _label, shown in rows[index] if shown), "") if index < len(rows) else ""
        name = str(_l("%(group)s %(num)d", group=Localized(spec.label), num=index + 1))
        return f"{name}: {first}" if first else name

    def sample(self, spec: Spec) -> list[dict[str, Any]]:
        row: dict[str, Any] = {}
        for sub in spec.fields or []:
            shown = sub.show_if is None or sub.show_if.holds(row)
            row[sub.name] = kind_of(sub.type).sample(sub) if shown else None
        return [dict(row) for _ in range(max(spec.min_entries, 1))]
