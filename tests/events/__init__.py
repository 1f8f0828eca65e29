"""Posting status events as a back office does: signed with its secret, through the events API."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from tests.backoffice.fixtures import SECRET


def post_event(
    client, body: dict, *, secret: str = SECRET, name: str = "filesystem", stamp: int | None = None
):
    raw = json.dumps(body).encode()
    stamp = int(time.time()) if stamp is None else stamp
    signature = hmac.new(secret.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return client.post(
        "/api/v1/backoffice/events",
        data=raw,
        content_type="application/json",
        headers={
            "X-OpenDVC-BackOffice": name,
            "X-OpenDVC-Timestamp": str(stamp),
            "X-OpenDVC-Signature": signature,
        },
    )


def event_body(code: str, sequence: int, status: int, note: str | None = None, **extra: Any) -> dict:
    return {
        "event_id": f"evt-{code}-{sequence}",
        "dossier_code": code,
        "sequence": sequence,
        "status": status,
        "note": note,
        **extra,
    }


def accept(client, code: str, *, sequence: int = 1, **extra: Any):
    """The back office accepts the dossier (status 2): its receipt is sealed."""
    return post_event(client, event_body(code, sequence, 2, **extra))
