"""Who may see a dossier: whoever holds its secret. A browser keeps the secrets it was given
in its (signed) session; nothing about a dossier is shown without one."""

from __future__ import annotations

import hmac

from flask import abort, session

from app.dossiers.models import Dossier
from app.dossiers.records import find_by_public_id, hash_secret

MAX_REMEMBERED = 10


def grant(dossier: Dossier, secret: str) -> None:
    held = dict(session.get("dossiers", {}))
    held.pop(dossier.public_id, None)
    held[dossier.public_id] = secret
    session["dossiers"] = dict(list(held.items())[-MAX_REMEMBERED:])


def secret_for(dossier: Dossier) -> str | None:
    return session.get("dossiers", {}).get(dossier.public_id)


def dossier_or_404(public_id: str) -> Dossier:
    """The dossier, if this browser holds its secret; otherwise a 404 that tells nothing."""
    secret = session.get("dossiers", {}).get(public_id)
    dossier = find_by_public_id(public_id) if secret else None
    if dossier is None or not hmac.compare_digest(dossier.secret_hash, hash_secret(secret)):
        abort(404)
    return dossier
