"""Supplements: the agency asks (status 5), the applicant uploads, signs again and sends; a
supplement package goes out like the dossier did, and the original package stays as it was."""

from __future__ import annotations

import io
import zipfile

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.delivery.packages import build
from app.delivery.worker import deliver_due
from app.dossiers.models import Dossier
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.packaging.verify import verify
from app.signing import get_signing
from app.supplements.models import Supplement
from tests.conftest import csrf_token, page
from tests.events.test_events import event, post
from tests.files import sample_for

NOTE = "Bổ sung bản sao giấy chứng nhận quyền sử dụng đất"


def multipart(client, url: str, form_page: str, fields: dict):
    boundary, body = encode_multipart(MultiDict({"csrf_token": csrf_token(client.get(form_page)), **fields}))
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def attach(client, base: str, name: str = "so-do.pdf", content: bytes | None = None):
    content = sample_for(["pdf"])[1] if content is None else content
    return multipart(
        client,
        f"{base}/supplement/files",
        f"{base}/supplement",
        {"component": "DOC", "file": FileStorage(io.BytesIO(content), name)},
    )


def sign(client, base: str, key: tuple[bytes, str]):
    pkcs12, passphrase = key
    return multipart(
        client,
        f"{base}/supplement/sign/pkcs12",
        f"{base}/supplement",
        {"passphrase": passphrase, "key_file": FileStorage(io.BytesIO(pkcs12), "chu-ky.p12")},
    )


def asked(tracked):
    """The back office accepted the dossier and asks for a supplement."""
    app, client, code, status_url = tracked
    assert post(client, event(code, 1, 2)).json["title"] == "applied"
    assert post(client, event(code, 2, 5, NOTE)).json["title"] == "applied"
    return app, client, code, status_url.removesuffix("/status")


def original_package(app) -> bytes:
    with app.app_context():
        return build(db.session.scalars(db.select(Dossier)).one()).zip_bytes()


def test_the_applicant_answers_a_request_for_supplements(tracked, citizen_key, tmp_path):
    app, client, code, base = asked(tracked)
    before = original_package(app)
    notice = page(client.get(f"{base}/status")).select_one(".supplement-requested")
    assert NOTE in notice.get_text()
    assert notice.select_one("a")["href"] == f"{base}/supplement"
    assert attach(client, base).status_code == 302
    listed = page(client.get(f"{base}/supplement")).select(".files .file-name")
    assert [f.get_text() for f in listed] == ["so-do.pdf"]

    sent = sign(client, base, citizen_key)
    assert sent.status_code == 302
    status_page = page(client.get(f"{base}/status"))
    assert status_page.select_one(".supplement-requested") is None
    assert "Supplement 1 sent" in status_page.select_one(".supplement-sent").get_text()
    assert client.get(f"{base}/supplement").status_code == 404  # answered: closed

    with app.app_context():
        queued = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        expected = [("submission", code), ("supplement", f"{code}-BS1")]
        assert [(m.kind, m.idempotency_key) for m in queued] == expected
        outcome = deliver_due()
    assert outcome.delivered == [code, f"{code}-BS1"]  # in order: the dossier, then its supplement
    drop = tmp_path / "drop"
    with app.app_context():
        signing = get_signing()
        report = verify(drop / f"{code}-BS1.zip", trust_roots=signing.trust_roots, context=signing.context())
    assert report.problems == []
    assert (report.key, report.signed_by, report.files) == (f"{code}-BS1", "Nguyễn Thị Thu Hà", 1)
    with zipfile.ZipFile(drop / f"{code}-BS1.zip") as archive:
        assert "don-bo-sung-da-ky.pdf" in archive.namelist()
        assert "tai-lieu/01-DOC-so-do.pdf" in archive.namelist()
    assert original_package(app) == before  # the dossier's own package did not change

    assert post(client, event(code, 3, 4)).json["title"] == "applied"  # the agency resumes


def test_nothing_is_sent_without_documents_or_with_a_wrong_passphrase(tracked, citizen_key):
    app, client, _code, base = asked(tracked)
    empty = sign(client, base, citizen_key)
    assert empty.status_code == 400
    assert "Attach at least one document" in page(empty).select_one(".refusal").get_text()
    attach(client, base)
    wrong = sign(client, base, (citizen_key[0], "not the passphrase"))
    assert wrong.status_code in (400, 403)
    with app.app_context():
        assert db.session.scalars(db.select(Supplement)).one().state == "open"
        assert [m.kind for m in db.session.scalars(db.select(OutboxMessage))] == ["submission"]


def test_a_bad_file_is_refused_and_nothing_is_kept(tracked):
    """The same checks as the dossier's own documents."""
    from tests import files

    app, client, _code, base = asked(tracked)
    refused = attach(client, base, "virus.exe", b"MZ\x90\x00 not a pdf at all")
    assert refused.status_code == 415
    assert page(refused).select_one(".refusal").get_text(strip=True)
    locked = attach(client, base, "khoa.pdf", files.encrypted_pdf())
    assert locked.status_code == 400
    assert "protected by a password" in page(locked).select_one(".refusal").get_text()
    with app.app_context():
        assert db.session.scalars(db.select(Supplement)).one().files == []


def test_strangers_and_dossiers_not_asked_get_nothing(tracked, citizen_key):
    app, client, code, status_url = tracked
    base = status_url.removesuffix("/status")
    assert client.get(f"{base}/supplement").status_code == 404  # nothing asked yet
    post(client, event(code, 1, 2))
    post(client, event(code, 2, 5, NOTE))
    stranger = app.test_client()
    assert stranger.get(f"{base}/supplement").status_code == 404
    assert stranger.post(f"{base}/supplement/files").status_code in (400, 404)


def test_a_supplement_waits_for_its_dossier_to_arrive(tracked, citizen_key):
    """Never before the dossier it supplements: while the submission is not delivered, the
    supplement is not sent."""
    app, client, code, base = asked(tracked)
    attach(client, base)
    sign(client, base, citizen_key)
    with app.app_context():
        submission = db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.kind == "submission")
        ).one()
        submission.state = "failed"  # it could not be delivered, and waits for an operator
        db.session.commit()
        assert deliver_due().delivered == []
    assert app.test_cli_runner().invoke(args=["deliver", "--resend", code]).exit_code == 0
    with app.app_context():
        assert deliver_due().delivered == [code, f"{code}-BS1"]


def test_a_supplement_signed_with_the_applicants_own_software(tracked, citizen_key):
    from tests.signing.conftest import sign_elsewhere

    app, client, code, base = asked(tracked)
    attach(client, base)
    download = client.get(f"{base}/supplement/declaration.pdf")
    assert download.headers["Content-Disposition"].endswith(f"{code}-BS1.pdf")
    unsigned = download.data
    download.close()

    def upload_signed(pdf: bytes):
        return multipart(
            client,
            f"{base}/supplement/sign/upload",
            f"{base}/supplement",
            {"signed": FileStorage(io.BytesIO(pdf), "da-ky.pdf")},
        )

    assert upload_signed(unsigned).status_code == 422  # not signed: refused, nothing sent
    attach(client, base, "them.pdf")  # the list changed: the signed copy no longer matches
    stale = upload_signed(sign_elsewhere(unsigned, citizen_key[0]))
    assert stale.status_code == 422
    assert "not the declaration" in page(stale).select_one(".refusal").get_text()
    fresh = client.get(f"{base}/supplement/declaration.pdf")
    signed = sign_elsewhere(fresh.data, citizen_key[0])
    fresh.close()
    assert upload_signed(signed).status_code == 302
    with app.app_context():
        supplement = db.session.scalars(db.select(Supplement)).one()
        assert (supplement.state, len(supplement.files)) == ("submitted", 2)
