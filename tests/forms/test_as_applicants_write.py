"""Answers as a Vietnamese (or English) applicant writes them: numbers and dates per language,
errors inside a group that say which entry and question, help and examples next to every
question, and no attribute that reads "None". Driven through the real step pages."""

from __future__ import annotations

import pytest

from app.dossiers.models import Dossier
from app.extensions import db
from tests.conftest import page
from tests.forms.test_validation import messages_for, post_step, step_url


def switch(client, locale: str) -> None:
    client.get(f"/language/{locale}")


def stored_answers(app) -> dict:
    with app.app_context():
        return db.session.scalars(db.select(Dossier)).one().answers


def samples(weight: str, second: str | None = None) -> dict[str, list[str]]:
    rows = {"samples-0-species": ["Panthera tigris"], "samples-0-weight_kg": [weight]}
    if second is not None:
        rows |= {"samples-1-species": ["Elephas maximus"], "samples-1-weight_kg": [second]}
    return rows


@pytest.mark.parametrize(
    ("locale", "typed", "kept"),
    [
        ("vi", "1.200", "1200"),  # one thousand two hundred, not 1.2
        ("vi", "12,5", "12.5"),
        ("vi", "1.234,5", "1234.5"),
        ("vi", "1 200", "1200"),
        ("en", "1,200", "1200"),
        ("en", "12.5", "12.5"),
        ("en", "1.200", "1.200"),
        ("en", "1,234.5", "1234.5"),
    ],
)
def test_numbers_are_read_in_the_language_of_the_page(test_client, test_app, locale, typed, kept):
    switch(test_client, locale)
    url = step_url(test_client, "contact")
    response = post_step(test_client, url, "contact", samples(typed))
    assert response.status_code == 302, page(response).select(".error-summary")
    assert stored_answers(test_app)["samples"][0]["weight_kg"] == kept


@pytest.mark.parametrize(
    ("locale", "typed", "message"),
    [
        ("vi", "12.5", "Viết số như 1.234,5"),  # English writing on a Vietnamese page
        ("vi", "1,234.5", "Viết số như 1.234,5"),
        ("en", "12,5", "Write the number like 1,234.5"),
        ("en", "1.234,5", "Write the number like 1,234.5"),
        ("vi", "abc", "Nhập một số, ví dụ 12,5"),
        ("en", "abc", "Enter a number, like 12.5"),
    ],
)
def test_a_number_that_could_mean_two_things_is_refused_with_the_form_expected(
    test_client, locale, typed, message
):
    switch(test_client, locale)
    url = step_url(test_client, "contact")
    response = post_step(test_client, url, "contact", samples(typed))
    assert response.status_code == 400
    assert messages_for(response, "samples-0-weight_kg") == [message]


@pytest.mark.parametrize(("locale", "shown"), [("vi", "1.500"), ("en", "1,500")])
def test_a_number_shown_can_be_sent_back_as_shown(test_client, test_app, locale, shown):
    switch(test_client, locale)
    url = step_url(test_client, "contact")
    assert post_step(test_client, url, "contact", samples("1500")).status_code == 302
    refilled = page(test_client.get(url)).select_one("#samples-0-weight_kg")["value"]
    assert refilled == shown
    assert post_step(test_client, url, "contact", samples(refilled)).status_code == 302
    assert stored_answers(test_app)["samples"][0]["weight_kg"] == "1500"
    review = page(test_client.get(url.rsplit("/steps/", 1)[0] + "/review"))
    assert shown in [dd.get_text(strip=True) for dd in review.select(".group-row dd")]


def test_number_inputs_bring_the_right_keyboard(test_client):
    doc = page(test_client.get(step_url(test_client, "basics")))
    assert doc.select_one("#staff")["inputmode"] == "numeric"
    assert doc.select_one("#area_ha")["inputmode"] == "decimal"


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_dates_are_shown_as_day_month_year(test_client, locale):
    switch(test_client, locale)
    url = step_url(test_client, "basics")
    assert post_step(test_client, url, "basics", {"founded_on": ["2020-03-05"]}).status_code == 302
    review = page(test_client.get(url.rsplit("/steps/", 1)[0] + "/review"))
    shown = {
        a.select_one("dt").get_text(strip=True): a.select_one("dd").get_text(strip=True)
        for a in review.select(".answer")
    }
    assert shown["Ngày thành lập" if locale == "vi" else "Founded on"] == "05/03/2020"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("vi", "Mẫu vật, mục 2, Khối lượng (kg): Nhập số không nhỏ hơn 0,001"),
        ("en", "Samples, entry 2, Weight (kg): Enter a number of at least 0.001"),
    ],
)
def test_an_error_in_a_group_names_the_entry_and_the_question(test_client, locale, expected):
    switch(test_client, locale)
    url = step_url(test_client, "contact")
    response = post_step(test_client, url, "contact", samples("3", second="-1"))
    assert response.status_code == 400
    summary = page(response).select(".error-summary a")
    assert [(a["href"], a.get_text(strip=True)) for a in summary] == [("#samples-1-weight_kg", expected)]


@pytest.mark.parametrize(
    ("locale", "example", "group_help"),
    [
        ("vi", "Ví dụ: 12/GP-BTNMT", "Mỗi mẫu vật một mục"),
        ("en", "For example: 12/GP-BTNMT", "One entry for each sample"),
    ],
)
def test_help_and_example_are_shown_and_linked(test_client, locale, example, group_help):
    switch(test_client, locale)
    basics = page(test_client.get(step_url(test_client, "basics")))
    assert basics.select_one("#licence_no-example").get_text(strip=True) == example
    assert "licence_no-example" in basics.select_one("#licence_no")["aria-describedby"].split()
    assert "staff-hint" in basics.select_one("#staff")["aria-describedby"].split()
    contact = page(test_client.get(step_url(test_client, "contact")))
    assert contact.select_one("#samples-hint").get_text(strip=True) == group_help
    assert "samples-hint" in contact.select_one("fieldset#samples")["aria-describedby"].split()


def attributes_reading_none(doc) -> list[str]:
    return [
        f"{element.name}#{element.get('id')} {attr}"
        for element in doc.find_all(True)
        for attr, value in element.attrs.items()
        if (value if isinstance(value, list) else [value]).count("None")
    ]


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("step", ["basics", "choices", "contact"])
def test_no_attribute_reads_none(test_client, locale, step):
    switch(test_client, locale)
    url = step_url(test_client, step)
    assert attributes_reading_none(page(test_client.get(url))) == []
    everything_wrong = {
        "basics": {"full_name": [""], "staff": ["x"], "founded_on": ["31/02/2020"]},
        "choices": {"province_kind": [""], "topics": []},
        "contact": {"email": ["an@"], "address-ward": [""], "samples-0-weight_kg": ["-1"]},
    }[step]
    response = post_step(test_client, url, step, everything_wrong)
    assert response.status_code == 400
    assert attributes_reading_none(page(response)) == []
