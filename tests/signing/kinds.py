"""The two kinds of declaration an applicant signs, driven as the applicant would: the dossier's
(a complete draft) and a supplement's (a submitted dossier the agency asked for more, with one
document attached). Signing tests take a `ToSign` and hold for both."""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.dossiers.models import Dossier
from app.extensions import db
from app.storage import get_blobs
from app.supplements.models import Supplement
from tests import files
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.factories import DraftFactory, SubmittedFactory, resume_url

KINDS = ("dossier", "supplement")


@dataclass
class ToSign:
    kind: str
    app: Flask
    client: FlaskClient
    dossier_url: str  # /dossiers/<public id>

    @property
    def base(self) -> str:
        """Where this declaration's signing addresses start."""
        return self.dossier_url + ("/supplement" if self.kind == "supplement" else "")

    @property
    def page_url(self) -> str:
        """The page that offers the ways to sign."""
        return self.base + ("/sign" if self.kind == "dossier" else "")

    def declaration(self) -> bytes:
        response = self.client.get(f"{self.base}/declaration.pdf")
        assert response.status_code == 200, response.status_code
        data = response.data
        response.close()
        return data

    def signed_by(self) -> str | None:
        """What the applicant is shown once it is signed: the signer on the review page, or the
        supplement marked as sent on the tracking page."""
        if self.kind == "dossier":
            found = page(self.client.get(f"{self.dossier_url}/review")).select_one(".signed")
            return found.get_text(" ", strip=True) if found else None
        sent = page(self.client.get(f"{self.dossier_url}/status")).select_one(".supplement-sent")
        if sent is None:
            return None
        with self.app.app_context():
            return db.session.scalars(db.select(Supplement)).one().signer_name

    def signed_pdf(self) -> bytes | None:
        if self.kind == "dossier":
            response = self.client.get(f"{self.dossier_url}/signed.pdf")
            data = response.data if response.status_code == 200 else None
            response.close()
            return data
        with self.app.app_context():
            supplement = db.session.scalars(db.select(Supplement)).one()
            return get_blobs().read(supplement.signed_sha256) if supplement.signed_sha256 else None

    def reopened(self, app: Flask) -> ToSign:
        """The same applicant (same browser session) in another app on the same database, such
        as one configured with other ways to sign."""
        client = app.test_client()
        client.set_cookie("session", self.client.get_cookie("session").value)
        return ToSign(self.kind, app, client, self.dossier_url)

    def post(self, path: str, fields: dict):
        """A form of the signing page, sent as the browser sends it (multipart)."""
        token = csrf_token(self.client.get(self.page_url))
        boundary, body = encode_multipart(MultiDict({"csrf_token": token, **fields}))
        return self.client.post(
            f"{self.base}{path}", data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )

    def sign_with_key_file(self, pkcs12: bytes, passphrase: str):
        return self.post(
            "/sign/pkcs12",
            {"passphrase": passphrase, "key_file": FileStorage(io.BytesIO(pkcs12), "chu-ky.p12")},
        )

    def upload_signed(self, pdf: bytes):
        return self.post("/sign/upload", {"signed": FileStorage(io.BytesIO(pdf), "da-ky.pdf")})


def refusal(response) -> str:
    """The reason shown in the error summary of the page that offers the ways to sign."""
    return page(response).select_one(".error-summary a.refusal").get_text(strip=True)


def prepare(kind: str, app: Flask, citizen_key: tuple[bytes, str]) -> ToSign:
    """A declaration of `kind`, ready to sign, in an app serving the test catalog whose
    `filesystem` back office signs its events with tests.backoffice.fixtures.SECRET."""
    client = app.test_client()
    client.get("/language/en")
    with app.test_request_context():
        made = DraftFactory() if kind == "dossier" else SubmittedFactory(key=citizen_key)
        code, dossier_url = made.dossier.code, f"/dossiers/{made.dossier.public_id}"
    assert client.get(resume_url(made)).status_code == 302
    if kind == "dossier":
        to_sign = ToSign(kind, app, client, dossier_url)
        # A page with a form, so that the client's session cookie holds its CSRF secret when a
        # test hands it to another browser (else the server sets a second session cookie).
        assert client.get(to_sign.page_url).status_code == 200
        return to_sign
    from tests.events.test_events import event, post

    assert post(client, event(code, 1, 2)).json["title"] == "applied"
    assert post(client, event(code, 2, 5, "Bổ sung bản sao sổ đỏ")).json["title"] == "applied"
    to_sign = ToSign(kind, app, client, dossier_url)
    token = csrf_token(client.get(to_sign.base))
    boundary, body = encode_multipart(
        MultiDict(
            {
                "csrf_token": token,
                "component": "DOC",
                "file": FileStorage(io.BytesIO(files.pdf(pages=2)), "so-do.pdf"),
            }
        )
    )
    attached = client.post(
        f"{to_sign.base}/files", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert attached.status_code == 302
    return to_sign


def app_config(**config: object) -> dict[str, object]:
    from tests.backoffice.fixtures import SECRET

    return {"CATALOG_DIR": TEST_CATALOG, "BACKOFFICE_SECRETS": {"filesystem": SECRET}, **config}


def dossier_of(to_sign: ToSign) -> Dossier:
    """Inside an app context: the dossier (tests have one, or the latest)."""
    return db.session.scalars(db.select(Dossier).order_by(Dossier.id.desc())).first()
