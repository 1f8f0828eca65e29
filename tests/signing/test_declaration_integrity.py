"""Nothing but a signature between the portal's declaration and the applicant's signature
(issue 8.1): every forgery below is signed with the applicant's own trusted key, covers the
whole file and keeps the declaration's bytes, and is still refused; genuine signatures, made
the ways signing software makes them, are accepted."""

from __future__ import annotations

import hashlib

import pytest

from app.signing import get_signing
from app.signing.validation import check_declaration, declaration_prefix
from tests.conftest import page
from tests.signing import forgeries
from tests.signing.conftest import upload_signed
from tests.signing.test_signatures import declaration, refusal

WRONG = "This is not the declaration of this dossier."
CHANGED = "The document was changed after it was signed."


def verdict_of(app, signed: bytes, original: bytes):
    with app.test_request_context():
        signing = get_signing()
        return check_declaration(
            signed, declaration=original, context=signing.context(), not_signers=signing.not_signers
        )


@pytest.mark.parametrize("kind", list(forgeries.BEFORE_SIGNING))
def test_a_change_before_the_signature_is_refused(test_app, test_client, ready, citizen_key, kind):
    original = declaration(test_client, ready)
    forged = forgeries.sign(forgeries.update(original, forgeries.BEFORE_SIGNING[kind]), citizen_key[0])
    assert forged.startswith(original)
    assert verdict_of(test_app, forged, original).problem == "wrong_document"
    assert refusal(upload_signed(test_client, ready, forged)) == WRONG
    assert test_client.get(f"{ready}/signed.pdf").status_code == 404
    assert page(test_client.get(f"{ready}/review")).select_one(".signed") is None


def test_a_second_signature_before_the_applicants_is_refused(test_app, test_client, ready, pki, citizen_key):
    original = declaration(test_client, ready)
    first = forgeries.sign(original, pki.pkcs12("rogue_citizen"), field="Signature0")
    forged = forgeries.sign(first, citizen_key[0])
    assert verdict_of(test_app, forged, original).problem == "wrong_document"
    assert refusal(upload_signed(test_client, ready, forged)) == WRONG


def test_hidden_objects_revealed_after_signing_are_refused(test_app, test_client, ready, citizen_key):
    original = declaration(test_client, ready)
    prepared = forgeries.sign(forgeries.update(original, forgeries.hidden_objects), citizen_key[0])
    revealed = forgeries.reveal(prepared)
    assert verdict_of(test_app, revealed, original).ok is False
    assert refusal(upload_signed(test_client, ready, revealed)) in (WRONG, CHANGED)
    assert test_client.get(f"{ready}/signed.pdf").status_code == 404


def test_a_reveal_after_a_clean_signature_is_refused_as_changed(test_app, test_client, ready, citizen_key):
    original = declaration(test_client, ready)
    revealed = forgeries.reveal(forgeries.sign(original, citizen_key[0]))
    assert verdict_of(test_app, revealed, original).problem in ("changed", "wrong_document")
    assert refusal(upload_signed(test_client, ready, revealed)) in (WRONG, CHANGED)


@pytest.mark.parametrize(
    "how",
    ["invisible, new field", "visible, new field", "visible, into an empty field", "with a timestamp"],
)
def test_genuine_signatures_are_accepted(test_app, test_client, ready, citizen_key, pki, how):
    original = declaration(test_client, ready)
    unsigned, options = original, {}
    if how == "visible, new field":
        options = {"box": (350, 60, 560, 120)}
    elif how == "visible, into an empty field":
        unsigned = forgeries.update(original, forgeries.empty_signature_field)
    elif how == "with a timestamp":
        options = {"tsa_url": pki.tsa_url, "box": (350, 60, 560, 120)}
    signed = forgeries.sign(unsigned, citizen_key[0], **options)
    verdict = verdict_of(test_app, signed, original)
    assert (verdict.ok, verdict.problem) == (True, None), verdict
    assert verdict.level == ("B-T" if "timestamp" in how else "B-B")
    assert upload_signed(test_client, ready, signed).status_code == 302
    assert page(test_client.get(f"{ready}/review")).select_one(".signed") is not None


def test_the_declaration_is_found_in_a_signed_file_by_its_hash(test_client, ready, citizen_key):
    """`package verify` has the signed file and the declaration's SHA-256 only."""
    original = declaration(test_client, ready)
    signed = forgeries.sign(original, citizen_key[0])
    assert declaration_prefix(signed, hashlib.sha256(original).hexdigest()) == original
    assert declaration_prefix(signed, hashlib.sha256(b"other").hexdigest()) is None


MISPLACED = (
    "The signature is shown over the declaration's text. Sign invisibly, or place the visible "
    "signature in the space under “NGƯỜI ĐỀ NGHỊ (ký số)” on the last page."
)


def test_a_signature_appearance_over_the_answers_is_refused(test_client, ready, citizen_key):
    """The appearance is the one thing signing may draw: it may not cover the declaration."""
    original = declaration(test_client, ready)
    over_the_answers = forgeries.sign(original, citizen_key[0], box=(40, 300, 560, 800))
    assert refusal(upload_signed(test_client, ready, over_the_answers)) == MISPLACED
    assert test_client.get(f"{ready}/signed.pdf").status_code == 404


def test_a_signature_in_the_signature_box_is_accepted(test_app, test_client, ready, citizen_key):
    from app.dossiers.models import Dossier
    from app.extensions import db
    from app.signing.services import declaration_of

    with test_app.test_request_context():
        box = declaration_of(db.session.scalars(db.select(Dossier)).one()).signature_box
    signed = forgeries.sign(declaration(test_client, ready), citizen_key[0], box=box)
    assert upload_signed(test_client, ready, signed).status_code == 302
