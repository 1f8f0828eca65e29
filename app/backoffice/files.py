"""Signed, expiring links to a dossier's files, for back offices that fetch the files rather than
take them from the package: the national portal's `DuongDanTaiTepTin` (docs/dvcqg-mapping.md).

    GET /api/v1/files/<token>        (served by app/api/files.py)

The token carries the dossier code, the file's sha256 and when the link expires, signed with the
portal's SECRET_KEY (itsdangerous, its own salt). The route serves the file only while the link
holds and only if the file is one of that dossier's (an attachment, the signed declaration, a
supplement's file or declaration); anything else is 404. The link grants that one file, nothing
more, and it ends after OPENDVC_FILE_LINK_HOURS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from app import clock

PATH = "/api/v1/files/"
SALT = "opendvc.file-link"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_TOKEN = 512  # a real token is about 200 characters; longer is not one of ours


@dataclass(frozen=True)
class FileLink:
    dossier_code: str
    sha256: str
    expires_at: datetime


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def token(secret: str, link: FileLink) -> str:
    payload = {"d": link.dossier_code, "h": link.sha256, "e": int(link.expires_at.timestamp())}
    return str(_serializer(secret).dumps(payload))


def read(secret: str, given: str, *, now: datetime) -> FileLink | None:
    """The link a token stands for; None when it is not one the portal signed, or has expired."""
    if len(given) > MAX_TOKEN:
        return None
    try:
        payload = _serializer(secret).loads(given)
    except BadData:
        return None
    if not isinstance(payload, dict):
        return None
    code, sha256, expires = payload.get("d"), payload.get("h"), payload.get("e")
    if not (isinstance(code, str) and code and isinstance(sha256, str) and SHA256.match(sha256)):
        return None
    if not isinstance(expires, int) or isinstance(expires, bool):
        return None
    try:
        expires_at = datetime.fromtimestamp(expires, tz=clock.VIETNAM)
    except (OverflowError, OSError, ValueError):
        return None
    if expires_at <= now:
        return None
    return FileLink(code, sha256, expires_at)


class Links:
    """Makes the links of one delivery: `links(dossier_code, sha256)` is an absolute URL on the
    portal's public address, valid for `hours` from `now`."""

    def __init__(self, *, secret: str, public_url: str, hours: int, now: datetime) -> None:
        self.secret = secret
        self.base = public_url.rstrip("/") + PATH
        self.expires_at = now + timedelta(hours=hours)

    def __call__(self, dossier_code: str, sha256: str) -> str:
        return self.base + token(self.secret, FileLink(dossier_code, sha256, self.expires_at))


def links() -> Links:
    """The links of a delivery made now, with the application's secret and public address."""
    settings = current_app.config["OPENDVC"]
    return Links(
        secret=current_app.config["SECRET_KEY"],
        public_url=settings.PUBLIC_URL,
        hours=settings.FILE_LINK_HOURS,
        now=clock.now(),
    )
