"""Nothing but a signature between the portal's declaration and the applicant's signature
(issue 8.1), for the dossier's declaration and a supplement's alike: every forgery below is
signed with the applicant's own trusted key, covers the whole file and keeps the declaration's
bytes, and is still refused; genuine signatures, made the ways signing software makes them, are
accepted."""

from __future__ import annotations

import hashlib

import pytest

from app.extensions import db
from app.signing import get_signing
from app.signing.services import declaration_of as dossier_declaration
from app.signing.validation import check_declaration, declaration_prefix
from app.supplements.models import Supplement
from app.supplements.services import declaration_of as supplement_declaration
from tests.signing import forgeries
from tests.signing.kinds import ToSign, dossier_of
from tests.signing.test_signatures import refusal

WRONG = "This is not the declaration of this dossier."
CHANGED = "The document was changed after it was signed."
MISPLACED = (
    "The signature is shown over the declaration's text. Sign invisibly, or place the visible "
    "signature in the space under “NGƯỜI ĐỀ NGHỊ (ký số)” on the last page."
)


def verdict_of(to_sign: ToSign, signed: bytes, original: bytes):
    with to_sign.app.test_request_context():
        signing = get_signing()
        return check_declaration(
            signed, declaration=original, context=signing.context(), not_signers=signing.not_signers
        )


def assert_nothing_signed(to_sign: ToSign) -> None:
    assert to_sign.signed_pdf() is None
    assert to_sign.signed_by() is None


@pytest.mark.parametrize("forgery", list(forgeries.BEFORE_SIGNING))
def test_a_change_before_the_signature_is_refused(to_sign: ToSign, citizen_key, forgery):
    original = to_sign.declaration()
    forged = forgeries.sign(forgeries.update(original, forgeries.BEFORE_SIGNING[forgery]), citizen_key[0])
    assert forged.startswith(original)
    assert verdict_of(to_sign, forged, original).problem == "wrong_document"
    assert refusal(to_sign.upload_signed(forged)) == WRONG
    assert_nothing_signed(to_sign)


def test_a_second_signature_before_the_applicants_is_refused(to_sign: ToSign, pki, citizen_key):
    original = to_sign.declaration()
    first = forgeries.sign(original, pki.pkcs12("rogue_citizen"), field="Signature0")
    forged = forgeries.sign(first, citizen_key[0])
    assert verdict_of(to_sign, forged, original).problem == "wrong_document"
    assert refusal(to_sign.upload_signed(forged)) == WRONG
    assert_nothing_signed(to_sign)


def test_hidden_objects_revealed_after_signing_are_refused(to_sign: ToSign, citizen_key):
    original = to_sign.declaration()
    prepared = forgeries.sign(forgeries.update(original, forgeries.hidden_objects), citizen_key[0])
    revealed = forgeries.reveal(prepared)
    assert verdict_of(to_sign, revealed, original).ok is False
    assert refusal(to_sign.upload_signed(revealed)) in (WRONG, CHANGED)
    assert_nothing_signed(to_sign)


def test_a_reveal_after_a_clean_signature_is_refused(to_sign: ToSign, citizen_key):
    original = to_sign.declaration()
    revealed = forgeries.reveal(forgeries.sign(original, citizen_key[0]))
    assert verdict_of(to_sign, revealed, original).problem in ("changed", "wrong_document")
    assert refusal(to_sign.upload_signed(revealed)) in (WRONG, CHANGED)


@pytest.mark.parametrize(
    ("how", "before", "options"),
    [
        ("invisible, new field", None, {}),
        ("visible, new field", None, {"box": forgeries.IN_THE_SPACE}),
        ("with a timestamp", None, {"box": forgeries.IN_THE_SPACE, "tsa": True}),
        *((f"into {name}", name, {}) for name in forgeries.GENUINE),
    ],
)
def test_genuine_signatures_are_accepted(to_sign: ToSign, citizen_key, pki, how, before, options):
    original = to_sign.declaration()
    unsigned = forgeries.update(original, forgeries.GENUINE[before]) if before else original
    tsa_url = pki.tsa_url if options.get("tsa") else None
    signed = forgeries.sign(unsigned, citizen_key[0], box=options.get("box"), tsa_url=tsa_url)
    verdict = verdict_of(to_sign, signed, original)
    assert (verdict.ok, verdict.problem) == (True, None), (how, verdict)
    assert verdict.level == ("B-T" if tsa_url else "B-B")
    assert to_sign.upload_signed(signed).status_code == 302
    assert to_sign.signed_pdf() == signed


@pytest.mark.parametrize("how", ["a stamp drawn over the text", "a widget with its own /V over the text"])
def test_a_signature_appearance_over_the_text_is_refused(to_sign: ToSign, citizen_key, how):
    """The appearance is the one thing signing may draw: it may not cover the declaration."""
    original = to_sign.declaration()
    if how == "a stamp drawn over the text":
        over_the_text = forgeries.sign(original, citizen_key[0], box=(40, 300, 560, 800))
    else:
        over_the_text = forgeries.sign(
            forgeries.update(original, forgeries.widget_over_the_text), citizen_key[0]
        )
    assert refusal(to_sign.upload_signed(over_the_text)) == MISPLACED
    assert_nothing_signed(to_sign)


def test_a_signature_in_the_signature_box_is_accepted(to_sign: ToSign, citizen_key):
    with to_sign.app.test_request_context():
        dossier = dossier_of(to_sign)
        if to_sign.kind == "dossier":
            box = dossier_declaration(dossier).signature_box
        else:
            supplement = db.session.scalars(db.select(Supplement)).one()
            box = supplement_declaration(dossier, supplement).signature_box
    signed = forgeries.sign(to_sign.declaration(), citizen_key[0], box=box)
    assert to_sign.upload_signed(signed).status_code == 302
    assert to_sign.signed_pdf() == signed


def test_the_declaration_is_found_in_a_signed_file_by_its_hash(to_sign: ToSign, citizen_key):
    """`package verify` has the signed file and the declaration's SHA-256 only."""
    original = to_sign.declaration()
    signed = forgeries.sign(original, citizen_key[0])
    assert declaration_prefix(signed, hashlib.sha256(original).hexdigest()) == original
    assert declaration_prefix(signed, hashlib.sha256(b"other").hexdigest()) is None
