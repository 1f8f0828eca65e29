"""A dossier's package, read from the database: the plain inputs app/packaging takes, from the
dossier, its pinned procedure, its signature and (for a supplement) the supplement. Reads only."""

from __future__ import annotations

from flask_babel import force_locale

from app.dossiers.models import Dossier
from app.dossiers.records import procedure_of
from app.forms.answers import shown_answers
from app.forms.components import slots
from app.packaging import package
from app.packaging.inputs import (
    Applicant,
    DeclarationFacts,
    Fee,
    PackageFile,
    PackageInputs,
    ProcedureFacts,
    RequiredDocument,
    SupplementFacts,
)
from app.signing import get_signing
from app.signing.providers import SealProvider
from app.signing.services import current_signature
from app.storage import get_blobs
from app.supplements.models import Supplement


def _declaration(dossier: Dossier) -> DeclarationFacts | None:
    signature = current_signature(dossier)
    if signature is None:
        return None
    return DeclarationFacts(
        path="don-de-nghi-da-ky.pdf",
        sha256=signature.signed_sha256,
        unsigned_sha256=signature.declaration_sha256,
        signer_name=signature.signer_name,
        certificate_serial=signature.certificate_serial,
        certificate_issuer=signature.certificate_issuer,
        signing_time=signature.signing_time,
        level=signature.level,
        signer_match=(signature.report or {}).get("signer_match"),
    )


def _supplement_declaration(supplement: Supplement) -> DeclarationFacts:
    return DeclarationFacts(
        path="don-bo-sung-da-ky.pdf",
        sha256=supplement.signed_sha256 or "",
        unsigned_sha256=supplement.declaration_sha256 or "",
        signer_name=supplement.signer_name,
        certificate_serial=supplement.certificate_serial,
        signing_time=supplement.signing_time,
        level=supplement.level,
        signer_match=(supplement.report or {}).get("signer_match"),
        names_issuer=False,
    )


def inputs_of(dossier: Dossier, supplement: Supplement | None = None) -> PackageInputs:
    loaded = procedure_of(dossier)
    d = loaded.definition
    procedure = ProcedureFacts(
        code=d.code,
        name=d.name.vi,
        version=loaded.version,
        agency_code=d.agency.code,
        field_code=d.field.code,
        field_name=d.field.name.vi,
        fees=tuple(Fee(fee.name.vi, fee.amount) for fee in d.fees),
        component_names={c.code: c.name.vi for c in d.components},
    )
    given = dossier.attachments if supplement is None else supplement.files
    with force_locale("vi"):  # entry labels, as the agency reads them
        wanted = slots(d, dossier.answers)
    labels = {(s.code, s.entry): s.entry_label for s in wanted}
    files = tuple(
        PackageFile(
            component_code=a.component_code,
            filename=a.filename,
            media_type=a.media_type,
            size=a.size,
            sha256=a.sha256,
            signatures=tuple(getattr(a, "signatures", None) or ()),
            entry=getattr(a, "entry", None),
            entry_label=labels.get((a.component_code, getattr(a, "entry", None))),
        )
        for a in given
    )
    documents = tuple(
        RequiredDocument(s.code, s.component.name.vi, s.required, s.entry, s.entry_label) for s in wanted
    )
    if supplement is None:
        declaration = _declaration(dossier)
        sealed_at = dossier.received_at or dossier.created_at
        facts = None
    else:
        if supplement.submitted_at is None:  # queued when it is submitted, never before
            raise ValueError(f"supplement BS{supplement.number} of {dossier.code} is not submitted")
        declaration = _supplement_declaration(supplement)
        sealed_at = supplement.submitted_at
        facts = SupplementFacts(
            number=supplement.number,
            requested_note=supplement.requested_note,
            requested_at=supplement.requested_at,
            submitted_at=supplement.submitted_at,
        )
    return PackageInputs(
        dossier_code=dossier.code or "",
        procedure=procedure,
        applicant=Applicant(
            name=dossier.applicant_name,
            identifier=dossier.applicant_identifier,
            email=dossier.applicant_email,
            phone=dossier.applicant_phone,
        ),
        answers=shown_answers(d, dossier.answers),
        received_at=dossier.received_at,
        due_on=dossier.due_on,
        files=files,
        declaration=declaration,
        sealed_at=sealed_at,
        supplement=facts,
        documents=documents if supplement is None else (),
    )


def build(dossier: Dossier, supplement: Supplement | None = None) -> package.DossierPackage:
    """The package of a submitted, signed dossier, or of one of its supplements; sealed with
    the portal's seal when one is configured."""
    seal = get_signing().provider("seal")
    signer = seal.signer() if isinstance(seal, SealProvider) and seal.configured else None
    return package.build(inputs_of(dossier, supplement), open_blob=get_blobs().open, seal=signer)
