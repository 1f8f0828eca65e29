"""A question of a form step as HTML, written in Python for the built-in field types.

Their Jinja macros (templates/fields/*.html, on macros.html's helpers) were four fifths of a
step's time: a macro call per piece of each question. These functions write the same HTML, byte
for byte (tests/forms/test_render.py renders every shipped step both ways), and escape every
value they did not write themselves with markupsafe, as Jinja's autoescape did. A field type of
a plugin, with a macro of its own, is still rendered by its macro."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from flask import current_app
from flask_babel import get_translations
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape
from wtforms import Field

from app.catalog.schema import FormField as Spec
from app.forms.builder import sibling_condition
from app.i18n import current_locale

Renderer = Callable[[Field, Spec, "str | None"], Markup]


def _(message: str, **variables: Any) -> Markup:
    """As Jinja's `_()` in a template: the translation trusted, the values escaped."""
    text = Markup(get_translations().ugettext(message))  # noqa: S704 (our own catalog, as Jinja trusts it)
    return text % variables if variables else text


def _errors(field: Field) -> str:
    found: Any = field.errors  # an address's are per part, in a dict
    return "".join(
        f'<p class="error" id="{escape(field.id)}-error">{escape(e)}</p>' for e in found if isinstance(e, str)
    )


def _hint(field: Field, spec: Spec) -> str:
    out = ""
    if spec.help:
        out += f'<p class="hint" id="{escape(field.id)}-hint">{escape(spec.help.get(current_locale()))}</p>'
    if spec.example:
        example = _("For example: %(example)s", example=spec.example)
        out += f'<p class="hint example" id="{escape(field.id)}-example">{example}</p>'
    return out


def _optional(spec: Spec) -> str:
    return "" if spec.required else f' <span class="optional">({_("optional")})</span>'


def _condition_note(condition: str | None) -> str:
    return f'<p class="condition">{escape(condition)}</p>' if condition else ""


def _box(field: Field, spec: Spec, condition: str | None, inner: str) -> Markup:
    """The box around one question; a conditional question says which answers show it, for
    site.js to mirror (names inside a group's entry are its siblings')."""
    out = f'\n<div class="field{" has-error" if field.errors else ""}" id="field-{escape(field.id)}"'
    if condition and spec.show_if:
        shown = spec.show_if.model_dump(mode="json", by_alias=True, exclude_none=True)
        kwargs = current_app.jinja_env.policies["json.dumps_kwargs"]
        out += f" data-condition='{htmlsafe_json_dumps(shown, dumps=current_app.json.dumps, **kwargs)}'"
    out += ">\n" + inner
    if field.render_kw and field.render_kw.get("data-verified"):
        verified = _("Verified by the identity provider: it cannot be changed here.")
        out += f'\n<p class="verified-mark">✓ {verified}</p>'
    return Markup(out + "\n</div>\n")  # noqa: S704 (every value above is escaped or Markup already)


def _described(aria: dict[str, str]) -> str:
    described = aria.get("aria-describedby")
    return f' aria-describedby="{escape(described)}"' if described else ""


def _input(field: Field, spec: Spec, condition: str | None) -> Markup:
    """One input (or list, or text area): text, numbers, dates, identifiers, select."""
    inner = (
        f"\n  {field.label()}{_optional(spec)}\n  {_condition_note(condition)}\n"
        f"  {_hint(field, spec)}{_errors(field)}\n  {field(**spec.kind.aria(field, spec))}\n"
    )
    return _box(field, spec, condition, inner)


def _choices(field: Any, spec: Spec, condition: str | None) -> Markup:
    """Radio buttons or tick boxes: one fieldset, its legend the question."""
    disabled = bool(field.render_kw and field.render_kw.get("disabled"))
    options = "".join(
        f"<li>{option(disabled=True) if disabled else option()} {option.label()}</li>" for option in field
    )
    inner = (
        f'\n  <fieldset id="{escape(field.id)}"{_described(spec.kind.aria(field, spec))}>\n'
        f"    <legend>{escape(field.label.text)}{_optional(spec)}</legend>\n"
        f"    {_condition_note(condition)}\n    {_hint(field, spec)}{_errors(field)}\n"
        f'    <ul class="choices">{options}</ul>\n  </fieldset>\n'
    )
    return _box(field, spec, condition, inner)


def _address(field: Any, spec: Spec, condition: str | None) -> Markup:
    """An address: its parts, each with its own label and error."""
    parts = "".join(
        f'\n      <div class="subfield{" has-error" if part.errors else ""}">'
        f"{part.label()}{_errors(part)}{part(**spec.kind.aria(part))}</div>\n    "
        for part in field
    )
    inner = (
        f'\n  <fieldset id="{escape(field.id)}"{_described(spec.kind.aria(field, spec))}>\n'
        f"    <legend>{escape(field.label.text)}{_optional(spec)}</legend>\n"
        f"    {_condition_note(condition)}\n    {_hint(field, spec)}\n    {parts}\n  </fieldset>\n"
    )
    return _box(field, spec, condition, inner)


def _group(field: Any, spec: Spec, condition: str | None) -> Markup:
    """A repeatable group: one fieldset per entry, each sub-question rendered by its own type."""
    name = escape(field.name)
    rows = ""
    for number, row in enumerate(field, start=1):
        subs = "".join(
            render_field(sub, sub_spec, sibling_condition(sub_spec, spec))
            for sub, sub_spec in zip(row.form, spec.fields or [], strict=False)
        )
        remove = _("Remove entry %(num)d", num=number)
        rows += (
            f'\n      <fieldset class="row" id="{escape(row.id)}" data-entry="{escape(row.name)}-">'
            f"<legend>{_('Entry %(num)d', num=number)}</legend>\n        {subs}\n"
            f'        <button type="submit" name="action" value="remove:{name}:{number - 1}"'
            f' class="secondary" formnovalidate>{remove}</button>\n      </fieldset>\n    '
        )
    add = escape(spec.add_label.get(current_locale())) if spec.add_label else _("Add another")
    inner = (
        f'\n  <fieldset id="{escape(field.id)}" class="group"{_described(spec.kind.aria(field, spec))}>\n'
        f"    <legend>{escape(field.label.text)}{_optional(spec)}</legend>\n"
        f"    {_condition_note(condition)}\n    {_hint(field, spec)}{_errors(field)}\n    {rows}\n"
        f'    <button type="submit" name="action" value="add:{name}" class="secondary" formnovalidate>'
        f"{add}</button>\n  </fieldset>\n"
    )
    return _box(field, spec, condition, inner)


BUILT_IN: dict[str, Renderer] = {
    "fields/input.html": _input,
    "fields/choices.html": _choices,
    "fields/address.html": _address,
    "fields/group.html": _group,
}


def render_field(field: Field, spec: Spec, condition: str | None = None) -> Markup:
    """One question, as its field type's macro (FieldType.template) renders it."""
    render = BUILT_IN.get(spec.kind.template)
    if render is not None:
        return render(field, spec, condition)
    macro = current_app.jinja_env.get_template(spec.kind.template).module.render  # type: ignore[attr-defined]
    return cast(Markup, macro(field, spec, condition))  # an autoescaping macro's output is Markup


def render_with_macro(field: Field, spec: Spec, condition: str | None = None) -> Markup:
    """The same question through its Jinja macro, as before: what the tests compare with."""
    macro = current_app.jinja_env.get_template(spec.kind.template).module.render  # type: ignore[attr-defined]
    return cast(Markup, macro(field, spec, condition))  # an autoescaping macro's output is Markup
