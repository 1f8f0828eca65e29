"""Every registered field type, one contract: it builds its WTForms field, takes back its own
sample answer, shows it in both languages, and renders its macro with its help and example
linked and no attribute reading "None"."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict
from wtforms import Form

from app.catalog.schema import FormField
from app.fields import FieldType, field_type, field_types
from app.fields.group import GroupType

RENDER = '{% from "macros.html" import render_field %}{{ render_field(form.q, spec) }}'


def spec_of(name: str, **extra: object) -> FormField:
    kind = field_types()[name]
    return FormField.model_validate(
        {
            "name": "q",
            "type": name,
            "required": True,
            "label": {"vi": "Câu hỏi", "en": "Question"},
            "help": {"vi": "Lời chỉ dẫn", "en": "Some help"},
            "example": "ví dụ",
            **kind.demo,
            **extra,
        }
    )


def form_of(spec: FormField, pairs: list[tuple[str, str]]) -> Form:
    cls = type("ContractForm", (Form,), {"q": spec.kind.build(spec)})
    return cls(formdata=MultiDict(pairs))


def no_none_attributes(html: str) -> BeautifulSoup:
    doc = BeautifulSoup(html, "html.parser")
    for element in doc.find_all(True):
        for attr, value in element.attrs.items():
            values = value if isinstance(value, list) else [value]
            assert "None" not in values, f"{element.name} {attr}={value!r}"
    return doc


def test_the_registry_holds_every_type_the_catalogs_use():
    assert set(field_types()) == {
        "text", "textarea", "integer", "decimal", "date", "select", "radio", "checkboxes",
        "email", "phone", "personal_id", "tax_code", "address", "group", "point", "polygon",
    }  # fmt: skip


def test_a_second_type_of_the_same_name_is_refused():
    with pytest.raises(RuntimeError, match="two field types are named 'text'"):

        @field_type
        class AnotherText(FieldType):
            name = "text"

    assert type(field_types()["text"]).__name__ == "TextType"


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("name", list(field_types()))
def test_every_field_type_keeps_its_contract(app, name, locale):
    spec = spec_of(name)
    kind = spec.kind
    with app.test_request_context(), force_locale(locale):
        sample = kind.sample(spec)
        form = form_of(spec, kind.formdata(spec, "q", sample))
        assert form.q.validate(form), form.q.errors
        assert kind.answer(form.q) == sample  # what is typed back in this language means the same

        shown = kind.rows(spec, sample) if isinstance(kind, GroupType) else kind.display(spec, sample)
        assert shown, "the answer shows as something"
        assert kind.display(spec, None) == ""
        assert kind.figure(spec, None) is None
        drawing = kind.figure(spec, sample)
        if drawing is not None:  # a drawing is escaped markup, its shape and a row per vertex
            no_none_attributes(str(drawing.html()))
            assert len(drawing.table) == len(drawing.outline) == len(drawing.names)

        doc = no_none_attributes(render_template_string(RENDER, form=form, spec=spec))
        assert doc.find(id="q-hint").get_text(strip=True) == spec.help.get(locale)
        assert "ví dụ" in doc.find(id="q-example").get_text()
        described = doc.select_one("[aria-describedby]")["aria-describedby"].split()
        assert {"q-hint", "q-example"} <= set(described)

        empty = form_of(spec, [])
        assert not empty.q.validate(empty)  # required, not answered
        doc = no_none_attributes(render_template_string(RENDER, form=empty, spec=spec))
        assert doc.select(".error"), "the error is shown next to the question"
        for element in doc.select("[aria-describedby]"):
            for ref in element["aria-describedby"].split():
                assert doc.find(id=ref) is not None, f"aria-describedby names a missing {ref}"
