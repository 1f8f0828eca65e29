"""Agencies are trusted apart from applicants (issue 8.2): a result is checked against the
roots configured for the back office that sends it, and against its pinned certificates."""

from __future__ import annotations

import pytest

from tests.backoffice.fixtures import DEFINITION, SECRET
from tests.conftest import TEST_CATALOG, page
from tests.events.test_events import event, post
from tests.journey import apply
from tests.results.test_results import result, signed_by, state

AGENCY_SUBJECT = "CN=Sở Tài nguyên và Môi trường Hà Nội,O=UBND Thành phố Hà Nội,C=VN"


def finished_with(make_app, citizen_key, **trust: object):
    app = make_app(CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET}, **trust)
    client = app.test_client()
    client.get("/language/en")
    code = page(apply(client, DEFINITION, citizen_key)).select_one(".dossier-code").get_text(strip=True)
    for sequence, status in enumerate((2, 4, 9), 1):
        assert post(client, event(code, sequence, status)).json["title"] == "applied"
    return app, client, code


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("citizen", "untrusted"),  # an applicant's certificate is no agency's
        ("seal", "portal_seal"),
        ("sub_ca", "ca_certificate"),
    ],
)
def test_a_result_signed_by_anyone_but_an_agency_is_refused(make_app, citizen_key, pki, label, reason):
    app, client, code = finished_with(make_app, citizen_key)
    answer = post(client, {**event(code, 4, 10), "results": [result(signed_by(pki, label))]})
    assert answer.status_code == 422
    assert f"({reason})" in answer.json["title"]
    assert state(app) == ("finished", [])


def test_pinned_subjects_allow_only_those_certificates(make_app, citizen_key, pki):
    trust = {"filesystem": {"roots": [pki.agency_root_pem], "subjects": [AGENCY_SUBJECT]}}
    app, client, code = finished_with(make_app, citizen_key, AGENCY_TRUST=trust)
    other = post(client, {**event(code, 4, 10), "results": [result(signed_by(pki, "other_agency"))]})
    assert (other.status_code, "(not_allowed_signer)" in other.json["title"]) == (422, True)
    pinned = post(client, {**event(code, 4, 10), "results": [result(signed_by(pki, "agency"))]})
    assert (pinned.status_code, pinned.json["title"]) == (200, "applied")
    assert state(app) == ("result_returned", [f"{code}-KQ1"])


def test_pinned_issuers_refuse_other_issuers(make_app, citizen_key, pki):
    trust = {"filesystem": {"roots": [pki.agency_root_pem], "issuers": ["CN=Some Other CA,C=VN"]}}
    app, client, code = finished_with(make_app, citizen_key, AGENCY_TRUST=trust)
    answer = post(client, {**event(code, 4, 10), "results": [result(signed_by(pki, "agency"))]})
    assert answer.status_code == 422
    assert "(not_allowed_signer)" in answer.json["title"]
    assert state(app) == ("finished", [])


def test_a_back_office_without_agency_trust_cannot_return_results(make_app, citizen_key, pki):
    app, client, code = finished_with(make_app, citizen_key, AGENCY_TRUST={})
    answer = post(client, {**event(code, 4, 10), "results": [result(signed_by(pki, "agency"))]})
    assert answer.status_code == 422
    assert "no agency trust is configured" in answer.json["title"]
    assert state(app) == ("finished", [])


def test_agency_trust_with_an_unreadable_root_stops_start_up(make_app, tmp_path):
    from app.config import ConfigError

    with pytest.raises(ConfigError, match=r"AGENCY_TRUST\[http\]\.roots"):
        make_app(AGENCY_TRUST={"http": {"roots": [tmp_path / "missing.pem"]}})
