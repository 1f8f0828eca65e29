"""Whether the certificate that signed is the applicant's (OPENDVC_SIGNER_MATCH).

Vietnamese CA certificates carry the holder's identifiers in the subject: `CCCD:<12 digits>`,
`CMND:…` or `HC:…` for a person, `MST:<tax code>` for an organisation. A citizen matches by
personal identification number (the name, folded for diacritics, when the certificate has none);
a business by its tax code in an organisation certificate, or by a personal certificate of the
legal representative named in the form. A dossier filed by an authorised person (người được ủy
quyền) may also be signed with that person's own certificate.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from app.fields.identifiers import holder_kind
from app.signing.validation import Verdict

PERSONAL = ("CCCD", "CMND", "HC")


@dataclass(frozen=True)
class Applicant:
    """The applicant as the form names them (chủ hồ sơ), and a business's representative."""

    name: str | None
    identifier: str | None
    representative_name: str | None = None
    representative_identifier: str | None = None
    # Người được ủy quyền: the person filing for the applicant, who may sign in their own name.
    submitter_name: str | None = None
    submitter_identifier: str | None = None

    @property
    def is_business(self) -> bool:
        return holder_kind(self.identifier) == "business"


def fold(name: str) -> str:
    """A name compared without diacritics, case or spacing: "Nguyễn  Thị" ~ "NGUYEN THI"."""
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def _plain(identifier: str) -> str:
    """An identifier compared as digits and letters only: "0101234567-001" ~ "0101234567001"."""
    return re.sub(r"[\s.\-]", "", identifier).upper()


def _identifiers(verdict: Verdict, kinds: tuple[str, ...]) -> set[str]:
    found = set()
    for entry in verdict.identifiers:
        kind, _, value = entry.partition(":")
        if kind in kinds:
            found.add(_plain(value))
    return found


def _person(verdict: Verdict, name: str | None, identifier: str | None, *, who: str) -> tuple[str, str]:
    ids = _identifiers(verdict, PERSONAL)
    identifier = _plain(identifier) if identifier else None
    if identifier and identifier in ids:
        return "match", f"{who}_id"
    if identifier and ids:
        return "mismatch", f"{who}_id"
    if name and verdict.signer_name and fold(name) == fold(verdict.signer_name):
        return "match", f"{who}_name"
    if not name and not identifier:
        return "unknown", who
    return "mismatch", f"{who}_name"


def compare(verdict: Verdict, applicant: Applicant, *, policy: str) -> dict[str, str]:
    """The outcome (match, mismatch or unknown) and what it rests on, for the stored report."""
    if applicant.is_business:
        tax_codes = _identifiers(verdict, ("MST",))
        # An organisation's certificate carries its tax code and no person's number; one that
        # carries both is a person's within the organisation, compared as its representative.
        if tax_codes and not _identifiers(verdict, PERSONAL):
            outcome = "match" if _plain(applicant.identifier or "") in tax_codes else "mismatch"
            basis = "tax_code"
        else:
            outcome, basis = _person(
                verdict,
                applicant.representative_name,
                applicant.representative_identifier,
                who="representative",
            )
    else:
        outcome, basis = _person(verdict, applicant.name, applicant.identifier, who="applicant")
    if outcome != "match" and (applicant.submitter_name or applicant.submitter_identifier):
        # Filed by an authorised person: their own certificate signs (the authorisation is attached).
        proxy, proxy_basis = _person(
            verdict, applicant.submitter_name, applicant.submitter_identifier, who="submitter"
        )
        if proxy == "match":
            outcome, basis = proxy, proxy_basis
    return {"policy": policy, "outcome": outcome, "basis": basis}
