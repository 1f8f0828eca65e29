"""The profile fills the applicant section of a form; what the identity provider vouched for is
read-only and a POST cannot change it (the verified value is kept)."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app.catalog import get_catalog
from app.dossiers.models import Dossier
from app.extensions import db
from tests.accounts import make_account, signed_in
from tests.conftest import csrf_token, page
from tests.journey import start, step_pairs

CODE = "T.000001"


@pytest.fixture
def applicant(test_app):
    with test_app.app_context():
        return make_account(
            name="Trần Thị Bình",
            personal_id="001190012345",
            email="binh@example.vn",
            phone="+84912345678",
            verified=["name", "personal_id"],
        )


def _dossier(app, url: str) -> Dossier:
    public_id = url.split("/dossiers/", 1)[1].split("/", 1)[0]
    with app.app_context():
        return db.session.query(Dossier).filter_by(public_id=public_id).one()


def _step(app, name: str):
    with app.app_context():
        definition = get_catalog().get(CODE).definition
        return next(s for s in definition.form.steps if s.id == name)


def test_the_profile_fills_the_applicant_section(test_app, applicant):
    client = signed_in(test_app, applicant)
    client.get("/language/en")
    first = start(client, CODE)
    basics = page(client.get(first))
    name = basics.find("input", attrs={"name": "full_name"})
    assert name["value"] == "Trần Thị Bình"
    assert name.has_attr("readonly")
    assert name["data-verified"] == "true"
    assert "Verified by the identity provider" in basics.select_one("#field-full_name").text
    contact_url = first.replace("/steps/basics", "/steps/contact")
    contact = page(client.get(contact_url))
    email = contact.find("input", attrs={"name": "email"})
    assert email["value"] == "binh@example.vn"
    assert not email.has_attr("readonly")
    assert contact.find("input", attrs={"name": "phone"})["value"] == "+84912345678"


def test_a_post_cannot_change_a_verified_particular(test_app, applicant):
    client = signed_in(test_app, applicant)
    first = start(client, CODE)
    form_page = client.get(first)
    data = [(k, "Người Khác" if k == "full_name" else v) for k, v in step_pairs(_step(test_app, "basics"))]
    response = client.post(
        first, data=MultiDict([("csrf_token", csrf_token(form_page)), ("action", "continue"), *data])
    )
    assert response.status_code == 302
    assert _dossier(test_app, first).answers["full_name"] == "Trần Thị Bình"


def test_an_unverified_prefilled_answer_can_be_changed(test_app, applicant):
    client = signed_in(test_app, applicant)
    first = start(client, CODE)
    contact_url = first.replace("/steps/basics", "/steps/contact")
    form_page = client.get(contact_url)
    data = [(k, "khac@example.vn" if k == "email" else v) for k, v in step_pairs(_step(test_app, "contact"))]
    response = client.post(
        contact_url, data=MultiDict([("csrf_token", csrf_token(form_page)), ("action", "continue"), *data])
    )
    assert response.status_code == 302
    assert _dossier(test_app, first).answers["email"] == "khac@example.vn"


def test_an_anonymous_applicant_gets_an_empty_form(test_app, applicant):
    client = test_app.test_client()
    first = start(client, CODE)
    name = page(client.get(first)).find("input", attrs={"name": "full_name"})
    assert not name.get("value")
    assert not name.has_attr("readonly")


ACCESS = "1.005114"  # a licence to access genetic resources: open to persons and organisations


@pytest.mark.parametrize(
    ("particulars", "filled", "empty"),
    [
        (
            {"kind": "citizen", "name": "Trần Thị Bình", "personal_id": "001190012345"},
            {"applicant_type": "citizen", "full_name": "Trần Thị Bình", "personal_id": "001190012345"},
            "organisation_name",
        ),
        (
            {"kind": "business", "name": "Công ty TNHH Gen Việt", "tax_code": "0100109106"},
            {
                "applicant_type": "business",
                "organisation_name": "Công ty TNHH Gen Việt",
                "enterprise_code": "0100109106",
            },
            "full_name",
        ),
    ],
)
def test_the_kind_chooses_which_fields_are_filled(app, particulars, filled, empty):
    with app.app_context():
        account = make_account(**particulars, verified=["kind", "name"])
    client = signed_in(app, account)
    first = start(client, ACCESS)
    shown = page(client.get(first))
    for name, value in filled.items():
        found = shown.find("input", attrs={"name": name, "value": value})
        assert found is not None, name
        assert found.has_attr("checked") or found["value"] == value
    kind = shown.find("input", attrs={"name": "applicant_type", "value": particulars["kind"]})
    assert kind.has_attr("disabled")  # verified: a radio cannot be changed
    assert kind.has_attr("checked")
    assert not shown.find("input", attrs={"name": empty}).get("value")


def test_a_disabled_verified_radio_keeps_its_value_when_the_post_leaves_it_out(app):
    with app.app_context():
        account = make_account(
            kind="business", name="Công ty TNHH Gen Việt", tax_code="0100109106", verified=["kind"]
        )
        step = get_catalog().get(ACCESS).definition.form.steps[0]
    client = signed_in(app, account)
    first = start(client, ACCESS)
    form_page = client.get(first)
    data = [(k, v) for k, v in step_pairs(step) if k != "applicant_type"]
    data += [("organisation_name", "Công ty TNHH Gen Việt"), ("enterprise_code", "0100109106")]
    response = client.post(
        first, data=MultiDict([("csrf_token", csrf_token(form_page)), ("action", "continue"), *data])
    )
    assert response.status_code == 302, page(response).select(".error-summary")
    assert _dossier(app, first).answers["applicant_type"] == "business"


def test_a_draft_started_by_someone_else_is_not_filled_with_the_profile(test_app, applicant):
    """A signed-in applicant who opens another's anonymous draft with its resume link (helping a
    relative, say) sees that draft's own answers: neither their profile nor its locks."""
    helped = test_app.test_client()
    first = start(helped, CODE)
    public_id = first.split("/dossiers/", 1)[1].split("/", 1)[0]
    with helped.session_transaction() as held:
        secret = held["dossiers"][public_id]
    helper = signed_in(test_app, applicant)
    assert helper.get(f"/resume/{secret}").status_code == 302
    name = page(helper.get(first)).find("input", attrs={"name": "full_name"})
    assert not name.get("value")
    assert not name.has_attr("readonly")
    assert _dossier(test_app, first).account_id is None
