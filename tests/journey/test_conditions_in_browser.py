"""site.js mirrors the server's conditions: the step pages as the server renders them (with the
stored answers), opened in a real browser (Debian's headless chromium) running the real
app/static/site.js; every conditional question is hidden exactly when the server hides it."""

from __future__ import annotations

import pytest

from app.catalog import get_catalog
from app.forms.builder import answers_formdata, step_form_class
from tests.browser.dumped import in_browser
from tests.journey.test_water_licence import CODE, fill_to_documents, stored


def server_hidden(app, step_id: str, locale: str) -> set[str]:
    """The ids of the question boxes the server leaves out of this step, for the stored answers."""
    answers = stored(app).answers
    with app.test_request_context(headers={"Accept-Language": locale}):
        loaded = get_catalog().get(CODE)
        step = next(s for s in loaded.definition.form.steps if s.id == step_id)
        form = step_form_class(loaded, step_id)(
            formdata=answers_formdata(step, answers), meta={"csrf": False}
        )
        hidden = {f"field-{name}" for name in form.specs if name not in form.visible(answers)}
        for spec in step.fields:  # inside each entry of a group: its siblings decide
            for index, row in enumerate(answers.get(spec.name) or [] if spec.type == "group" else []):
                for sub in spec.fields or []:
                    if sub.show_if is not None and not sub.show_if.holds(row):
                        hidden.add(f"field-{spec.name}-{index}-{sub.name}")
    return hidden


@pytest.mark.parametrize(
    ("step_id", "locale"), [("works", "vi"), ("works", "en"), ("wells", "en"), ("owner", "vi")]
)
def test_the_browser_hides_what_the_server_hides(app, client, tmp_path, step_id, locale):
    client.get("/language/en")
    base = fill_to_documents(client)
    client.get(f"/language/{locale}")
    html = client.get(f"{base}/steps/{step_id}").get_data(as_text=True)
    doc = in_browser(html, tmp_path)
    boxes = doc.select("[data-condition]")
    assert boxes
    hidden = {box["id"] for box in boxes if box.has_attr("hidden")}
    assert hidden == server_hidden(app, step_id, locale) & {box["id"] for box in boxes}
    if step_id == "works":  # 25.000 m³ (or 25,000) is more than 20 000: typed the page's way
        assert "field-subsidence_measures" not in hidden
        assert "field-exploration_licence" in hidden
        assert "field-previous_licence" not in hidden
    if step_id == "wells":
        assert "field-wells-1-well_flow" in hidden  # a monitoring well
        assert "field-wells-0-flow_meter" not in hidden  # 1,500 m³ a day from the first
    # Once the browser hides them, the notes for readers without JavaScript go.
    assert all(note.has_attr("hidden") for note in doc.select("[data-condition] .condition"))
