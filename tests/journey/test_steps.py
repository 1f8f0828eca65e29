"""The form journey's behaviour: repeatable groups without JavaScript, drafts, review, pinning."""

from __future__ import annotations

import shutil

from werkzeug.datastructures import MultiDict

from app.dossiers.models import Dossier
from app.extensions import db
from tests import files
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.forms.test_validation import post_step
from tests.journey import sign_with_pkcs12, start, upload


def base_of(step_url: str) -> str:
    return step_url.split("?")[0].rsplit("/steps/", 1)[0]


def test_rows_are_added_and_removed_without_javascript(test_client):
    url = start(test_client, "T.000001").split("?")[0].rsplit("/", 1)[0] + "/contact"
    form_page = test_client.get(url)
    data = MultiDict(
        [
            ("csrf_token", csrf_token(form_page)),
            ("samples-0-species", "Panthera tigris"),
            ("samples-0-weight_kg", "12,5"),
            ("action", "add:samples"),
        ]
    )
    added = test_client.post(url, data=data)
    assert added.status_code == 200
    doc = page(added)
    assert len(doc.select("fieldset.row")) == 2
    assert doc.select_one("#samples-0-species")["value"] == "Panthera tigris"
    assert not doc.select(".error-summary")  # adding a row is not a submission

    data = MultiDict(
        [
            ("csrf_token", csrf_token(added)),
            ("samples-0-species", "Panthera tigris"),
            ("samples-0-weight_kg", "12,5"),
            ("samples-1-species", "Elephas maximus"),
            ("samples-1-weight_kg", "3"),
            ("action", "remove:samples:0"),
        ]
    )
    removed = page(test_client.post(url, data=data))
    assert len(removed.select("fieldset.row")) == 1
    assert removed.select_one("#samples-0-species")["value"] == "Elephas maximus"


def test_a_group_stops_at_its_largest_number_of_rows(test_client):
    url = start(test_client, "T.000001").split("?")[0].rsplit("/", 1)[0] + "/contact"
    data = MultiDict([("csrf_token", csrf_token(test_client.get(url))), ("action", "add:samples")])
    for i in range(3):
        data.add(f"samples-{i}-species", f"Loài {i}")
    response = page(test_client.post(url, data=data))
    assert len(response.select("fieldset.row")) == 3
    assert response.select_one("#field-samples .error").get_text(strip=True) == "Add at most 3 entries"


def test_each_step_is_saved_and_the_draft_resumes_where_it_stopped(test_app, test_client):
    url = start(test_client, "T.000001")
    link = page(test_client.get(url)).select_one("a.resume-link")["href"]
    response = post_step(test_client, url, "basics", {})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/steps/choices")
    elsewhere = test_app.test_client()
    resumed = elsewhere.get(link, follow_redirects=True)
    assert resumed.request.path.endswith("/steps/choices")
    back = page(elsewhere.get(base_of(url) + "/steps/basics"))
    assert back.select_one("#full_name")["value"] == "Nguyễn Thị Thu Hà"


def test_save_and_come_back_later_stays_on_the_step(test_client):
    url = start(test_client, "T.000001").split("?")[0]
    response = post_step(test_client, url, "basics", {}, action="save")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/steps/basics")
    assert (
        "Your answers are saved"
        in page(test_client.get(response.headers["Location"])).select_one(".notice").text
    )


def fill_all(client, url, overrides: dict | None = None):
    for step in ("basics", "choices", "contact"):
        response = post_step(client, base_of(url) + f"/steps/{step}", step, (overrides or {}).get(step, {}))
        assert response.status_code == 302


def test_review_shows_answers_in_the_language_chosen_and_links_back(test_client):
    url = start(test_client, "T.000001")
    fill_all(test_client, url, {"basics": {"area_ha": ["500.25"]}})
    review = page(test_client.get(base_of(url) + "/review"))
    answers = {
        a.select_one("dt").get_text(strip=True): a.select_one("dd").get_text(" ", strip=True)
        for a in review.select(".answer")
    }
    assert answers["Kind of unit"] == "City"
    assert answers["Topics"] == "Water; Air"
    assert answers["Phone"] == "0912345678"
    assert answers["Address"] == "12 Lê Thánh Tông, Phường Hoàn Kiếm, Hà Nội"
    assert answers["Area (ha)"] == "500.25"
    assert answers["Staff"] == "250"
    assert "Tax code" not in answers  # hidden by its condition
    change = review.select_one('.answer a[href*="/steps/choices"]')["href"]
    response = post_step(test_client, change, "choices", {"province_kind": ["province"]})
    assert response.headers["Location"].endswith("/review")
    test_client.get("/language/vi")
    review_vi = page(test_client.get(base_of(url) + "/review"))
    answers_vi = {
        a.select_one("dt").get_text(strip=True): a.select_one("dd").text.strip()
        for a in review_vi.select(".answer")
    }
    assert answers_vi["Loại đơn vị"] == "Tỉnh"
    assert answers_vi["Diện tích (ha)"] == "500,25"


def test_an_incomplete_dossier_is_not_submitted(test_app, test_client, citizen_key):
    url = start(test_client, "T.000001")
    fill_all(test_client, url)
    review = test_client.get(base_of(url) + "/review")
    summary = [a.get_text(strip=True) for a in page(review).select(".error-summary a")]
    assert summary == ["Attach: Written request"]
    assert not page(review).select("main form")  # nothing to submit or sign yet
    assert test_client.get(base_of(url) + "/sign").headers["Location"].endswith("/review")
    token = csrf_token(test_client.get(base_of(url) + "/documents"))
    response = test_client.post(base_of(url) + "/review", data={"csrf_token": token})
    assert response.status_code == 400
    upload(test_client, base_of(url) + "/documents", "DOC", "a.pdf", files.pdf())
    review = test_client.get(base_of(url) + "/review")
    assert not page(review).select(".error-summary")
    # Complete, but not signed: the page leads to signing, and so does a submission.
    assert page(review).select_one('main a.button[href$="/sign"]') is not None
    response = test_client.post(base_of(url) + "/review", data={"csrf_token": token})
    assert response.headers["Location"].endswith("/sign")
    assert sign_with_pkcs12(test_client, base_of(url), *citizen_key).status_code == 302
    review = test_client.get(base_of(url) + "/review")
    response = test_client.post(base_of(url) + "/review", data={"csrf_token": csrf_token(review)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/acknowledgement")


def test_a_dossier_keeps_the_definition_it_was_started_with(make_app, tmp_path):
    catalog = tmp_path / "catalog"
    shutil.copytree(TEST_CATALOG, catalog)
    app = make_app(CATALOG_DIR=catalog)
    client = app.test_client()
    client.get("/language/en")
    url = start(client, "T.000001").split("?")[0]
    source = catalog / "all-fields.yaml"
    source.write_text(
        source.read_text(encoding="utf-8").replace("en: Full name}", "en: Name of the applicant}")
    )
    restarted = make_app(CATALOG_DIR=catalog)  # the operator edits the file and restarts
    with restarted.test_client() as same_browser:
        with client.session_transaction() as old, same_browser.session_transaction() as new:
            new.update(old)
        assert (
            page(same_browser.get(url)).select_one('label[for="full_name"]').get_text(strip=True)
            == "Full name"
        )
        fresh = start(same_browser, "T.000001")
        assert page(same_browser.get(fresh)).select_one('label[for="full_name"]').get_text(strip=True) == (
            "Name of the applicant"
        )
    with restarted.app_context():
        versions = {d.procedure_version for d in db.session.scalars(db.select(Dossier))}
    assert len(versions) == 2
