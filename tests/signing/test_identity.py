"""The certificate's identity against the applicant's (OPENDVC_SIGNER_MATCH), case by case, as
Vietnamese CAs write identifiers into the subject."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.signing.identity import Applicant, compare, fold
from app.signing.validation import failed

TAX = "0100109106"
CCCD = "001090001234"


def signer(name: str, *identifiers: str):
    return replace(failed("", "x"), signer_name=name, identifiers=identifiers)


CITIZEN = Applicant(name="Nguyễn Thị Thu Hà", identifier=CCCD)
BUSINESS = Applicant(
    name="Công ty TNHH Sông Hồng", identifier=TAX, representative_name="Phạm Minh Khôi",
    representative_identifier="079190005678",
)  # fmt: skip


@pytest.mark.parametrize(
    ("applicant", "certificate", "outcome", "basis"),
    [
        (CITIZEN, signer("Nguyễn Thị Thu Hà", f"CCCD:{CCCD}"), "match", "applicant_id"),
        (CITIZEN, signer("Nguyễn Thị Thu Hà", "CCCD:079190005678"), "mismatch", "applicant_id"),
        (CITIZEN, signer("NGUYEN THI THU HA"), "match", "applicant_name"),
        (CITIZEN, signer("Nguyễn Thị Thu"), "mismatch", "applicant_name"),
        (CITIZEN, signer("Nguyễn Thị Thu Hà", f"CMND:{CCCD}"), "match", "applicant_id"),
        (BUSINESS, signer("Công ty TNHH Sông Hồng", f"MST:{TAX}"), "match", "tax_code"),
        (BUSINESS, signer("Công ty TNHH Sông Hồng", f"MST:{TAX[:9]}7"), "mismatch", "tax_code"),
        # A person's certificate within the company carries the company's MST and their CCCD:
        # it is the person's, compared as the representative, not the company's.
        (
            BUSINESS,
            signer("Trần Văn Nhân Viên", f"MST:{TAX}", f"CCCD:{CCCD}"),
            "mismatch",
            "representative_id",
        ),
        (BUSINESS, signer("Phạm Minh Khôi", f"MST:{TAX}", "CCCD:079190005678"), "match", "representative_id"),
        (BUSINESS, signer("pham minh khoi"), "match", "representative_name"),
        (Applicant("Công ty A", TAX), signer("Phạm Minh Khôi", f"CCCD:{CCCD}"), "unknown", "representative"),
    ],
)
def test_the_signer_is_compared_with_the_applicant(applicant, certificate, outcome, basis):
    assert compare(certificate, applicant, policy="warn") == {
        "policy": "warn",
        "outcome": outcome,
        "basis": basis,
    }


def test_a_branch_tax_code_matches_however_it_is_written():
    branch = Applicant(name="Chi nhánh Sông Hồng", identifier=f"{TAX}-001")
    assert compare(signer("Chi nhánh", f"MST:{TAX}001"), branch, policy="warn")["outcome"] == "match"


def test_names_fold_without_diacritics_case_or_spacing():
    assert fold("  Đặng   Thị  Ánh ") == fold("DANG THI ANH") == "dang thi anh"


def test_an_authorised_person_may_sign_with_their_own_certificate():
    """Người được ủy quyền (issue 10 §4): the dossier is filed, and signed, by the person the
    applicant authorised; anyone else still does not match."""
    proxy = replace(BUSINESS, submitter_name="Trần Văn Nam", submitter_identifier="001088001234")
    assert (
        compare(signer("Trần Văn Nam", "CCCD:001088001234"), proxy, policy="warn")["basis"] == "submitter_id"
    )
    assert (
        compare(signer("Trần Văn Nam", "CCCD:001088001234"), BUSINESS, policy="warn")["outcome"] == "mismatch"
    )
    assert compare(signer("Lê Thị Khác", f"CCCD:{CCCD}"), proxy, policy="warn") == {
        "policy": "warn",
        "outcome": "mismatch",
        "basis": "representative_id",
    }
    assert compare(signer("Phạm Minh Khôi", "CCCD:079190005678"), proxy, policy="warn")["basis"] == (
        "representative_id"
    )
