"""`@upload_limit`: every view that takes files is refused the same way, in the applicant's
language, when the body is larger than a request may be or comes without its CSRF token, and
nothing of what was sent is kept."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.dossiers.models import Attachment, Dossier
from app.extensions import db
from app.signing.models import DossierSignature
from app.supplements.models import Supplement, SupplementFile
from tests import files
from tests.conftest import csrf_token, page
from tests.signing.kinds import ToSign, app_config, prepare

MB = 1024 * 1024
VI_TOO_LARGE = "Dung lượng tệp quá lớn"
VI_EXPIRED = "Trang này đã hết hạn hoặc được gửi từ nơi khác. Vui lòng tải lại trang và thử lại."
VI_SIGNING_EXPIRED = "Trang đã hết hạn. Vui lòng tải lại trang và thử lại."


@dataclass(frozen=True)
class Route:
    """One view that takes files: where it is under /dossiers/<public id>, for which kind of
    dossier (a complete draft, or a submitted one with a supplement asked for), what it takes."""

    kind: str
    path: str
    file_field: str
    expired: str  # what its page says when the CSRF token is missing
    fields: dict[str, str] = field(default_factory=dict)


ROUTES = {
    "documents": Route("dossier", "/documents/DOC", "file", VI_EXPIRED),
    "signed PDF": Route("dossier", "/sign/upload", "signed", VI_SIGNING_EXPIRED),
    "key file": Route("dossier", "/sign/pkcs12", "key_file", VI_SIGNING_EXPIRED, {"passphrase": "x"}),
    "supplement documents": Route(
        "supplement", "/supplement/files", "file", VI_EXPIRED, {"component": "DOC"}
    ),
    "supplement signed PDF": Route("supplement", "/supplement/sign/upload", "signed", VI_SIGNING_EXPIRED),
    "supplement key file": Route(
        "supplement", "/supplement/sign/pkcs12", "key_file", VI_SIGNING_EXPIRED, {"passphrase": "x"}
    ),
}


def kept(app: Flask) -> tuple[object, ...]:
    """Everything an upload could leave behind: blobs, rows, states."""
    blobs = sorted(p.relative_to(app.config["BLOB_DIR"]) for p in Path(app.config["BLOB_DIR"]).rglob("*"))
    with app.app_context():
        rows = tuple(
            db.session.query(model).count()
            for model in (Attachment, SupplementFile, DossierSignature, Supplement)
        )
        states = tuple(db.session.scalars(db.select(Dossier.status)))
        sent = tuple(db.session.scalars(db.select(Supplement.signed_sha256)))
    return blobs, rows, states, sent


def send(to_sign: ToSign, route: Route, content: bytes, *, token: str | None):
    fields: dict[str, object] = {
        **route.fields,
        route.file_field: FileStorage(io.BytesIO(content), "tep.pdf", content_type="application/pdf"),
    }
    if token is not None:
        fields["csrf_token"] = token
    boundary, body = encode_multipart(MultiDict(fields))
    return to_sign.client.post(
        to_sign.dossier_url + route.path,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


@pytest.mark.parametrize("route", ROUTES.values(), ids=ROUTES.keys())
def test_every_upload_is_refused_alike_and_keeps_nothing(route, make_app, citizen_key):
    # A request may carry DOSSIER_MAX_TOTAL_MB + 1 MB: 2 MB here.
    to_sign = prepare(route.kind, make_app(**app_config(DOSSIER_MAX_TOTAL_MB=1)), citizen_key)
    to_sign.client.get("/language/vi")
    before = kept(to_sign.app)

    token = csrf_token(to_sign.client.get(to_sign.page_url))
    too_large = send(to_sign, route, files.pdf() + b"%" * (3 * MB), token=token)
    assert too_large.status_code == 413
    assert page(too_large).select_one("h1").get_text(strip=True) == VI_TOO_LARGE
    assert kept(to_sign.app) == before

    without_token = send(to_sign, route, files.pdf(), token=None)
    assert without_token.status_code == 400
    summary = page(without_token).select_one(".error-summary li")
    assert summary is not None
    assert summary.get_text(strip=True).endswith(route.expired)
    assert kept(to_sign.app) == before

    wrong_token = send(to_sign, route, files.pdf(), token="not-the-token")
    assert wrong_token.status_code == 400
    assert kept(to_sign.app) == before
