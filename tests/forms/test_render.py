"""The questions of a step, written in Python (app/forms/render.py), are the HTML their Jinja
macros wrote: every step of every shipped procedure, in both languages, blank and refilled
with hostile input that fails validation; and a hostile answer is shown escaped."""

from __future__ import annotations

from typing import Any

import pytest
from flask import session
from werkzeug.datastructures import MultiDict

from app.catalog.loader import load_folder
from app.config import PACKAGE_DIR
from app.forms.builder import condition_texts, step_form_class
from app.forms.render import render_field, render_with_macro
from tests.conftest import page

SHIPPED = load_folder(PACKAGE_DIR / "catalog" / "procedures")
HOSTILE = "<script>alert('x')</script> & \"quoted\""
STEPS = [(code, step.id) for code, loaded in sorted(SHIPPED.items()) for step in loaded.definition.form.steps]


def leaves(field: Any, first_choice: bool) -> list[tuple[str, str]]:
    """Input for every answerable box of `field`, a group given an entry if it has none."""
    if field.type == "GroupList":
        if not field.entries:
            field.append_entry()
        return [pair for entry in field.entries for sub in entry.form for pair in leaves(sub, first_choice)]
    if field.type == "FormField":
        return [pair for sub in field for pair in leaves(sub, first_choice)]
    choices = getattr(field, "choices", None)
    if first_choice and choices:
        first = choices[0]
        return [(field.name, str(first[0] if isinstance(first, tuple | list) else first))]
    return [(field.name, HOSTILE)]


@pytest.mark.parametrize(("code", "step_id"), STEPS)
@pytest.mark.parametrize("locale", ["vi", "en"])
def test_python_and_macro_write_the_same_question(app, code, step_id, locale):
    loaded = SHIPPED[code]
    form_class = step_form_class(loaded, step_id)
    with app.test_request_context():
        session["locale"] = locale
        step = form_class.step
        conditions = condition_texts(loaded, step)
        for first_choice in (None, False, True):
            if first_choice is None:
                form = form_class(formdata=None, meta={"csrf": False})
            else:
                blank = form_class(formdata=None, meta={"csrf": False})
                pairs = [pair for name in blank._fields for pair in leaves(blank[name], first_choice)]
                form = form_class(formdata=MultiDict(pairs), meta={"csrf": False})
                form.validate_step({})
            for spec in step.fields:
                field, condition = form[spec.name], conditions.get(spec.name)
                assert render_field(field, spec, condition) == render_with_macro(field, spec, condition)


def test_a_hostile_answer_is_shown_escaped(app):
    loaded = SHIPPED["1.010734"]
    step = loaded.definition.form.steps[0]
    form_class = step_form_class(loaded, step.id)
    with app.test_request_context():
        blank = form_class(formdata=None, meta={"csrf": False})
        pairs = [pair for name in blank._fields for pair in leaves(blank[name], False)]
        form = form_class(formdata=MultiDict(pairs), meta={"csrf": False})
        html = "".join(render_field(form[spec.name], spec) for spec in step.fields)
    doc = page(type("Response", (), {"text": html}))
    assert doc.find("script") is None
    assert HOSTILE in [i.get("value") for i in doc.find_all("input")] + [
        t.text for t in doc.find_all("textarea")
    ]
