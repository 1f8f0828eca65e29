"""Signing a declaration, the dossier's or a supplement's, and everything that must refuse a
signature: the portal's own validation, with poppler's pdfsig and the pyHanko command line as
independent judges. Tests taking `to_sign` run for both kinds of declaration."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import NameObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.conftest import page
from tests.journey import sign_with_pkcs12
from tests.journey.test_steps import base_of, fill_all
from tests.pki import PASSPHRASE
from tests.signing.conftest import sign_elsewhere
from tests.signing.kinds import ToSign
from tests.signing.kinds import refusal as shown_refusal
from tests.signing.verifiers import missing_tools, pdfsig, pyhanko_validate


@pytest.fixture(autouse=True)
def _verifiers_installed():
    import os

    missing = missing_tools()
    if missing:
        message = f"needs {missing} (make test installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def refusal(response) -> str:
    assert response.status_code == 422, response.status_code
    return shown_refusal(response)


def test_a_signed_declaration_passes_the_portal_and_both_verifiers(
    to_sign: ToSign, citizen_key, pki, tmp_path
):
    response = to_sign.sign_with_key_file(*citizen_key)
    assert response.status_code == 302
    assert "Nguyễn Thị Thu Hà" in to_sign.signed_by()
    path = tmp_path / "signed.pdf"
    path.write_bytes(to_sign.signed_pdf())
    report = pdfsig(path)
    assert report.valid, report.text
    assert report.whole_document, report.text
    checked = pyhanko_validate(path, pki.root_pem)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_wrong_passphrase_is_refused_and_nothing_is_signed(to_sign: ToSign, citizen_key):
    response = to_sign.sign_with_key_file(citizen_key[0], "not the passphrase")
    assert response.status_code == 400
    assert shown_refusal(response).startswith("The key file could not be opened")
    assert to_sign.signed_by() is None
    assert to_sign.signed_pdf() is None


def test_a_file_too_large_to_be_a_key_file_is_refused(to_sign: ToSign):
    response = to_sign.sign_with_key_file(b"0" * (65 * 1024), "x")
    assert response.status_code == 413
    assert shown_refusal(response) == "This is too large to be a key file"
    assert to_sign.signed_by() is None


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("rogue_citizen", "The certificate was not issued by a trusted certification authority."),
        ("expired", "The certificate had expired when the document was signed."),
        ("revoked", "The certificate has been revoked."),
    ],
)
def test_bad_certificates_are_refused(to_sign: ToSign, pki, label, reason):
    response = to_sign.sign_with_key_file(pki.pkcs12(label), PASSPHRASE)
    assert refusal(response) == reason
    assert to_sign.signed_pdf() is None


def declaration(client, base: str) -> bytes:
    response = client.get(f"{base}/declaration.pdf")
    data = response.data
    response.close()
    return data


def test_a_declaration_signed_elsewhere_is_accepted(to_sign: ToSign, citizen_key):
    signed = sign_elsewhere(to_sign.declaration(), citizen_key[0])
    response = to_sign.upload_signed(signed)
    assert response.status_code == 302
    assert "Nguyễn Thị Thu Hà" in to_sign.signed_by()


def flip_one_byte(signed: bytes) -> bytes:
    """A byte inside the signed range: in the page content, far from the signature itself."""
    position = signed.index(b"stream") + 20
    return signed[:position] + bytes([signed[position] ^ 0x01]) + signed[position + 1 :]


def draw_over_the_page(signed: bytes) -> bytes:
    """An incremental update that adds a drawing to the first page after signing."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    drawing = writer.add_object(generic.StreamObject(stream_data=b"q 1 0 0 RG 5 w 60 60 m 500 700 l S Q"))
    writer.add_stream_to_page(0, drawing)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_flipped_byte_is_refused_by_everyone(to_sign: ToSign, citizen_key, pki, tmp_path):
    tampered = flip_one_byte(sign_elsewhere(to_sign.declaration(), citizen_key[0]))
    assert refusal(to_sign.upload_signed(tampered)) in (
        "The document was changed after it was signed.",
        "This is not the declaration of this dossier.",
    )
    path = tmp_path / "tampered.pdf"
    path.write_bytes(tampered)
    report = pdfsig(path)
    assert not report.valid
    assert report.digest_mismatch, report.text
    assert pyhanko_validate(path, pki.root_pem).returncode != 0


def test_a_byte_changed_inside_the_signature_revision_breaks_integrity(to_sign: ToSign, citizen_key):
    """The declaration's bytes intact (the prefix check passes) but the signature dictionary
    changed: pyHanko reports intact=False, and the portal refuses it as changed."""
    from app.signing import get_signing
    from app.signing.validation import check_declaration

    original = to_sign.declaration()
    signed = sign_elsewhere(original, citizen_key[0])
    position = signed.index(b"(Signature1)", len(original)) + len(b"(Signature")  # the field's name
    tampered = signed[:position] + bytes([signed[position] ^ 0x01]) + signed[position + 1 :]
    assert tampered[: len(original)] == original
    with to_sign.app.test_request_context():
        verdict = check_declaration(tampered, declaration=original, context=get_signing().context())
    assert (verdict.ok, verdict.intact, verdict.problem) == (False, False, "changed")
    assert refusal(to_sign.upload_signed(tampered)) == "The document was changed after it was signed."


def test_a_drawing_added_after_signing_is_refused(to_sign: ToSign, citizen_key, pki, tmp_path):
    tampered = draw_over_the_page(sign_elsewhere(to_sign.declaration(), citizen_key[0]))
    assert refusal(to_sign.upload_signed(tampered)) == "The document was changed after it was signed."
    path = tmp_path / "drawn.pdf"
    path.write_bytes(tampered)
    report = pdfsig(path)
    # pdfsig still finds the signature valid, but not over the whole file: it can tell that much.
    assert not report.whole_document, report.text
    assert pyhanko_validate(path, pki.root_pem).returncode != 0


def test_the_declaration_of_another_dossier_is_refused(to_sign: ToSign, citizen_key):
    other = start_other(to_sign.client)
    signed_for_other = sign_elsewhere(declaration(to_sign.client, other), citizen_key[0])
    assert refusal(to_sign.upload_signed(signed_for_other)) == "This is not the declaration of this dossier."
    assert to_sign.signed_by() is None


def start_other(client) -> str:
    from tests import files
    from tests.journey import start, upload

    url = start(client, "T.000001")
    fill_all(client, url, overrides={"basics": {"full_name": ["Phạm Minh Khôi"]}})
    upload(client, base_of(url) + "/documents", "DOC", "b.pdf", files.pdf(pages=2))
    return base_of(url)


def test_an_unsigned_pdf_is_refused(to_sign: ToSign):
    assert refusal(to_sign.upload_signed(to_sign.declaration())) == "The document carries no signature."


def test_changing_an_answer_after_signing_withdraws_the_signature(test_client, ready, citizen_key):
    from tests.forms.test_validation import post_step

    assert sign_with_pkcs12(test_client, ready, *citizen_key).status_code == 302
    response = post_step(test_client, f"{ready}/steps/basics", "basics", {"staff": ["7"]})
    assert response.status_code == 302
    review = page(test_client.get(f"{ready}/review"))
    assert review.select_one(".signed") is None
    assert review.select_one('main a.button[href$="/sign"]') is not None


def test_the_refusal_is_in_the_applicants_language(to_sign: ToSign, pki):
    to_sign.client.get("/language/vi")
    response = to_sign.sign_with_key_file(pki.pkcs12("revoked"), PASSPHRASE)
    assert refusal(response) == "Chứng thư số đã bị thu hồi."


def test_the_stamp_is_drawn_on_the_page(to_sign: ToSign, citizen_key, tmp_path):
    import subprocess

    (tmp_path / "unsigned.pdf").write_bytes(to_sign.declaration())
    assert to_sign.sign_with_key_file(*citizen_key).status_code == 302
    (tmp_path / "signed.pdf").write_bytes(to_sign.signed_pdf())
    reader = PdfFileReader(io.BytesIO((tmp_path / "signed.pdf").read_bytes()))
    last = len(reader.root["/Pages"]["/Kids"])
    for name in ("signed", "unsigned"):
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "50",
                "-gray",
                "-f",
                str(last),
                "-l",
                str(last),
                "-singlefile",
                str(tmp_path / f"{name}.pdf"),
                str(tmp_path / name),
            ],
            check=True,
        )
    signed_pixels = (tmp_path / "signed.pgm").read_bytes()
    unsigned_pixels = (tmp_path / "unsigned.pgm").read_bytes()
    differing = sum(1 for a, b in zip(signed_pixels, unsigned_pixels, strict=True) if a != b)
    assert differing > 500  # the stamp's border and text
    field = reader.embedded_signatures[0].sig_field
    assert field["/FT"] == NameObject("/Sig")
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "signed.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "Ký bởi: Nguyễn Thị Thu Hà" in text


def test_the_pyhanko_cli_also_refuses_untrusted_and_expired_signers(to_sign: ToSign, pki, tmp_path):
    for label in ("rogue_citizen", "expired"):
        path = tmp_path / f"{label}.pdf"
        path.write_bytes(sign_elsewhere(to_sign.declaration(), pki.pkcs12(label)))
        assert pyhanko_validate(path, pki.root_pem).returncode != 0, label


def test_after_signing_the_declaration_still_reads_the_same(test_app, test_client, ready, citizen_key):
    import hashlib
    from datetime import timedelta

    from app.clock import now
    from app.dossiers.models import Dossier
    from app.extensions import db
    from app.signing.services import current_signature

    with test_app.app_context():  # the last change was two days ago; signing happens today
        dossier = db.session.scalars(db.select(Dossier)).one()
        dossier.created_at = dossier.content_changed_at = dossier.updated_at = now() - timedelta(days=2)
        for attachment in dossier.attachments:
            attachment.created_at = now() - timedelta(days=2)
        db.session.commit()
    assert sign_with_pkcs12(test_client, ready, *citizen_key).status_code == 302
    with test_app.app_context():
        dossier = db.session.scalars(db.select(Dossier)).one()
        recorded = current_signature(dossier).declaration_sha256
    assert hashlib.sha256(declaration(test_client, ready)).hexdigest() == recorded


def test_a_document_slipped_in_beside_the_signature_blocks_submission(
    test_app, test_client, ready, citizen_key
):
    """As when another window uploads while signing: the signature does not list the file."""
    from app.dossiers.models import Attachment, Dossier
    from app.extensions import db
    from tests.conftest import csrf_token

    assert sign_with_pkcs12(test_client, ready, *citizen_key).status_code == 302
    with test_app.app_context():
        dossier = db.session.scalars(db.select(Dossier)).one()
        other = dossier.attachments[0]
        dossier.attachments.append(
            Attachment(
                component_code="IMG",
                filename="late.png",
                media_type="image/png",
                size=other.size,
                sha256=other.sha256,
            )
        )
        db.session.commit()
    review = test_client.get(f"{ready}/review")
    response = test_client.post(f"{ready}/review", data={"csrf_token": csrf_token(review)})
    assert response.headers["Location"].endswith("/sign")
