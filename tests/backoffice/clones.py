"""Many submitted dossiers fast: copies of one really submitted (signed, sealed) dossier, each
with its own code and its own outbox message, sharing the same stored files."""

from __future__ import annotations

import secrets

from flask import Flask
from sqlalchemy import select

from app.dossiers.models import Attachment, Dossier
from app.extensions import db
from app.outbox.queue import enqueue_submission
from app.signing.models import DossierSignature

SKIP = {"id", "public_id", "secret_hash", "code", "dossier_id", "version_id"}


def _copy(row: object, **values: object) -> dict:
    columns = row.__table__.columns.keys()  # type: ignore[attr-defined]
    return {c: getattr(row, c) for c in columns if c not in SKIP} | values


def clone_submitted(app: Flask, count: int, first_number: int = 1000) -> list[str]:
    with app.app_context():
        original = db.session.scalars(select(Dossier).where(Dossier.code.is_not(None))).first()
        signature = db.session.scalars(
            select(DossierSignature).where(DossierSignature.dossier_id == original.id)
        ).one()
        prefix = original.code.rsplit("-", 1)[0]
        codes = []
        for number in range(first_number, first_number + count):
            code = f"{prefix}-{number:04d}"
            clone = Dossier(
                **_copy(
                    original, code=code, public_id=secrets.token_hex(8), secret_hash=secrets.token_hex(32)
                )
            )
            db.session.add(clone)
            db.session.flush()
            for attachment in original.attachments:
                db.session.add(Attachment(**_copy(attachment, dossier_id=clone.id)))
            db.session.add(DossierSignature(**_copy(signature, dossier_id=clone.id)))
            enqueue_submission(clone)
            codes.append(code)
        db.session.commit()
        return codes
