"""Who may reach a dossier. An unowned dossier (started anonymously, as at a kiosk): whoever
holds its secret; a browser keeps the secrets it was given in its (signed) session. An owned
dossier (started signed in, or claimed with its secret): its signed-in account only; the
secret alone no longer opens it, and the owner needs none. Nothing about a dossier is shown to
anyone else, and every refusal is the same 404, so that nobody learns whether it exists.

Every way in from outside input goes through here: a dossier's address (`dossier_or_404`), its
resume link and the tracking form (`by_secret`)."""

from __future__ import annotations

import hmac

from flask import abort, session

from app.accounts.sessions import current_account
from app.dossiers.models import Dossier
from app.dossiers.records import find_by_public_id, find_by_secret, hash_secret

MAX_REMEMBERED = 10
PUBLIC_ID_MAX = 32  # Dossier.public_id's column


def grant(dossier: Dossier, secret: str) -> None:
    """Remember the secret of an unowned dossier in this browser. An owned one is reached by
    signing in: its secret is not kept."""
    if dossier.account_id is not None:
        return
    held = dict(session.get("dossiers", {}))
    held.pop(dossier.public_id, None)
    held[dossier.public_id] = secret
    session["dossiers"] = dict(list(held.items())[-MAX_REMEMBERED:])


def release(dossier: Dossier) -> None:
    """Forget a secret this browser held (the dossier is now reached by signing in)."""
    held = dict(session.get("dossiers", {}))
    if held.pop(dossier.public_id, None) is not None:
        session["dossiers"] = held


def held_secrets() -> dict[str, str]:
    """What this browser holds: public id -> secret (perhaps stale: check with `holds`)."""
    held = session.get("dossiers", {})
    return {k: v for k, v in held.items() if isinstance(k, str) and isinstance(v, str)}


def holds(dossier: Dossier) -> bool:
    """Whether this browser holds the dossier's secret."""
    secret = held_secrets().get(dossier.public_id)
    return secret is not None and hmac.compare_digest(dossier.secret_hash, hash_secret(secret))


def secret_for(dossier: Dossier) -> str | None:
    """The secret to show again (resume link, slip): only an unowned dossier's."""
    if dossier.account_id is not None or not holds(dossier):
        return None
    return held_secrets()[dossier.public_id]


def may_reach(dossier: Dossier) -> bool:
    if dossier.account_id is not None:
        account = current_account()
        return account is not None and account.id == dossier.account_id
    return holds(dossier)


def dossier_or_404(public_id: str) -> Dossier:
    """The dossier, if this browser may reach it; otherwise a 404 that tells nothing."""
    dossier = find_by_public_id(public_id) if len(public_id) <= PUBLIC_ID_MAX else None
    if dossier is None or not may_reach(dossier):
        abort(404)
    return dossier


def by_secret(secret: str) -> Dossier | None:
    """The dossier a secret opens for this browser (resume link, tracking form): an unowned
    one, or an owned one for its signed-in owner; None otherwise, whatever the reason."""
    dossier = find_by_secret(secret)
    if dossier is None:
        return None
    if dossier.account_id is not None:
        account = current_account()
        if account is None or account.id != dossier.account_id:
            return None
    return dossier
