"""Who may sign a declaration (issue 8.2-8.4): only a person's or an organisation's
certificate from a trusted applicant CA, never the portal's seal nor a CA's certificate; each
refusal names its true reason; and the signer is compared with the applicant in the form."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.signing.models import DossierSignature
from tests import files
from tests.conftest import TEST_CATALOG, page
from tests.journey import sign_with_pkcs12, start, upload
from tests.journey.test_steps import base_of, fill_all
from tests.pki import BUSINESS_TAX_CODE, PASSPHRASE, PERSON_ID
from tests.signing import forgeries
from tests.signing.kinds import ToSign
from tests.signing.test_signatures import refusal


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("seal", "The portal's own seal cannot sign in an applicant's name."),
        (
            "sub_ca",
            "The certificate belongs to a certification authority: it cannot sign as a person or an "
            "organisation.",
        ),
        ("future", "The certificate was not yet valid when the document was signed."),
        (
            "no_usage",
            "The certificate is not meant for signing documents: its key usage allows neither digital "
            "signature nor non-repudiation.",
        ),
    ],
)
def test_certificates_that_cannot_sign_for_an_applicant_are_refused_for_their_reason(
    to_sign: ToSign, pki, label, reason
):
    assert refusal(to_sign.sign_with_key_file(pki.pkcs12(label), PASSPHRASE)) == reason
    assert to_sign.signed_pdf() is None


def test_a_sha1_signature_is_refused_as_weak(to_sign: ToSign, citizen_key):
    signed = forgeries.sign(to_sign.declaration(), citizen_key[0], md_algorithm="sha1")
    assert (
        refusal(to_sign.upload_signed(signed))
        == "The signature uses a digest algorithm that is no longer safe, such as SHA-1."
    )


def test_the_seal_is_refused_on_the_upload_path_too(to_sign: ToSign, pki):
    signed = forgeries.sign(to_sign.declaration(), pki.pkcs12("seal"))
    assert refusal(to_sign.upload_signed(signed)) == (
        "The portal's own seal cannot sign in an applicant's name."
    )


def dossier_for(
    client, *, business: bool, name: str = "Phạm Minh Khôi", representative_id: str = "079190005678"
) -> str:
    url = start(client, "T.000001")
    basics = {"full_name": [name]}
    choices = (
        {
            "applicant_type": ["business"],
            "tax_code": [BUSINESS_TAX_CODE],
            "representative_name": ["Phạm Minh Khôi"],
            "representative_id": [representative_id],
        }
        if business
        else {"applicant_type": ["citizen"], "personal_id": [PERSON_ID]}
    )
    fill_all(client, url, overrides={"basics": basics, "choices": choices})
    upload(client, base_of(url) + "/documents", "DOC", "a.pdf", files.pdf())
    return base_of(url)


def stored_match(app) -> dict | None:
    with app.app_context():
        signature = db.session.scalars(db.select(DossierSignature)).one()
        return signature.report.get("signer_match")


@pytest.mark.parametrize(
    ("business", "representative_id", "label", "outcome", "basis"),
    [
        (False, None, "person", "match", "applicant_id"),  # CCCD in the certificate
        (False, None, "citizen", "mismatch", "applicant_name"),  # no number; another name
        (True, None, "business", "match", "tax_code"),  # MST in an organisation certificate
        (True, PERSON_ID, "person", "match", "representative_id"),  # the representative's own
        (True, None, "person", "mismatch", "representative_id"),  # not the representative named
        (True, None, "citizen", "mismatch", "representative_name"),
    ],
)
def test_the_signer_is_compared_with_the_applicant_and_recorded(
    make_app, pki, business, representative_id, label, outcome, basis
):
    app = make_app(CATALOG_DIR=TEST_CATALOG, SIGNER_MATCH="warn")
    client = app.test_client()
    client.get("/language/en")
    base = dossier_for(
        client, business=business, **({"representative_id": representative_id} if representative_id else {})
    )
    assert sign_with_pkcs12(client, base, pki.pkcs12(label), PASSPHRASE).status_code == 302
    assert stored_match(app) == {"policy": "warn", "outcome": outcome, "basis": basis}
    warning = page(client.get(f"{base}/review")).select_one(".signer-mismatch")
    assert (warning is not None) == (outcome == "mismatch")


def test_a_name_matches_without_diacritics_or_case(make_app, pki):
    app = make_app(CATALOG_DIR=TEST_CATALOG, SIGNER_MATCH="require")
    client = app.test_client()
    base = dossier_for(client, business=False, name="NGUYEN THI  THU HA")
    # The citizen's certificate carries no number: the name decides.
    assert sign_with_pkcs12(client, base, pki.pkcs12("citizen"), PASSPHRASE).status_code == 302
    assert stored_match(app)["outcome"] == "match"


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("en", "The certificate does not belong to the applicant named in the form."),
        ("vi", "Chứng thư số không phải của người nộp hồ sơ có tên trong đơn."),
    ],
)
def test_require_refuses_a_signer_who_is_not_the_applicant(make_app, pki, locale, message):
    app = make_app(CATALOG_DIR=TEST_CATALOG, SIGNER_MATCH="require")
    client = app.test_client()
    client.get(f"/language/{locale}")
    base = dossier_for(client, business=True)
    assert refusal(sign_with_pkcs12(client, base, pki.pkcs12("person"), PASSPHRASE)) == message
    assert client.get(f"{base}/signed.pdf").status_code == 404


def test_off_compares_nothing(make_app, pki):
    app = make_app(CATALOG_DIR=TEST_CATALOG, SIGNER_MATCH="off")
    client = app.test_client()
    base = dossier_for(client, business=True)
    assert sign_with_pkcs12(client, base, pki.pkcs12("person"), PASSPHRASE).status_code == 302
    assert stored_match(app) is None


def test_a_supplement_keeps_its_validation_report_and_shows_a_mismatch(make_app, pki, citizen_key):
    """Under warn, a supplement signed by someone else is sent, recorded and shown as such."""
    from app.supplements.models import Supplement
    from tests.signing.kinds import app_config, prepare

    app = make_app(**app_config(SIGNER_MATCH="warn"))
    to_sign = prepare("supplement", app, citizen_key)
    assert to_sign.sign_with_key_file(pki.pkcs12("person"), PASSPHRASE).status_code == 302
    with app.app_context():
        report = db.session.scalars(db.select(Supplement)).one().report
    assert report["signer_match"]["outcome"] == "mismatch"
    assert report["signer_name"] == "Phạm Minh Khôi"
    status = page(to_sign.client.get(f"{to_sign.dossier_url}/status"))
    assert status.select_one(".signer-mismatch") is not None
