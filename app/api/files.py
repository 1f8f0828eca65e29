"""A dossier's file by a signed, expiring link (app/backoffice/files.py): what the national
portal fetches at the `DuongDanTaiTepTin` of a record. The link is the only credential; the file
is served only if it belongs to the dossier the link names. Anything else, an expired or forged
link included, is a 404 that says no more."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, current_app
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from app import clock
from app.api.problems import problem
from app.backoffice import files as links
from app.dossiers.models import Attachment, Dossier
from app.extensions import db
from app.signing.models import DossierSignature
from app.storage import send_blob
from app.supplements.models import Supplement, SupplementFile

bp = Blueprint("files_api", __name__, url_prefix=links.PATH.rstrip("/"))


@dataclass(frozen=True)
class Found:
    filename: str
    media_type: str


def _of_dossier(dossier: Dossier, sha256: str) -> Found | None:
    """The file of this dossier with these bytes: an attachment, the signed declaration, or a
    supplement's file or signed declaration; None when the dossier has no such file."""
    attachment = db.session.scalars(
        select(Attachment).where(Attachment.dossier_id == dossier.id, Attachment.sha256 == sha256).limit(1)
    ).first()
    if attachment is not None:
        return Found(attachment.filename, attachment.media_type)
    declaration = db.session.scalars(
        select(DossierSignature.id)
        .where(DossierSignature.dossier_id == dossier.id, DossierSignature.signed_sha256 == sha256)
        .limit(1)
    ).first()
    if declaration is not None:
        return Found("don-de-nghi-da-ky.pdf", "application/pdf")
    supplement_file = db.session.scalars(
        select(SupplementFile)
        .join(Supplement, SupplementFile.supplement_id == Supplement.id)
        .where(Supplement.dossier_id == dossier.id, SupplementFile.sha256 == sha256)
        .limit(1)
    ).first()
    if supplement_file is not None:
        return Found(supplement_file.filename, supplement_file.media_type)
    supplement = db.session.scalars(
        select(Supplement)
        .where(Supplement.dossier_id == dossier.id, Supplement.signed_sha256 == sha256)
        .limit(1)
    ).first()
    if supplement is not None:
        return Found(f"don-bo-sung-da-ky-{supplement.number}.pdf", "application/pdf")
    return None


def _not_found() -> tuple[Response, int]:
    return problem(404, "Not Found", "no such file, or the link has expired")


@bp.get("/<path:token>")
def download(token: str) -> Response | tuple[Response, int]:
    link = links.read(current_app.config["SECRET_KEY"], token, now=clock.now())
    if link is None:
        return _not_found()
    dossier = db.session.scalars(select(Dossier).where(Dossier.code == link.dossier_code)).first()
    found = _of_dossier(dossier, link.sha256) if dossier is not None else None
    if found is None:
        return _not_found()
    try:
        response = send_blob(
            link.sha256, mimetype=found.media_type, as_attachment=True, download_name=found.filename
        )
    except NotFound:  # recorded but gone from the store (purged): nothing to serve
        return _not_found()
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
