"""Floods are slowed down per client address: uploads, signing attempts and submissions each
take a few a minute (OPENDVC_RATE_LIMIT_*), then answer 429 with a translated page; the count
is shared by every form of its kind, and another address goes on."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.catalog.loader import load_folder
from app.config import ConfigError
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.files import sample_for
from tests.journey import attach_required, fill_steps, start

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition
ELSEWHERE = {"REMOTE_ADDR": "10.0.0.7"}


def _multipart(client, page_url: str, **files: tuple[str, bytes] | str):
    form = client.get(page_url)
    fields: dict[str, object] = {"csrf_token": csrf_token(form)}
    for name, value in files.items():
        fields[name] = FileStorage(io.BytesIO(value[1]), value[0]) if isinstance(value, tuple) else value
    boundary, body = encode_multipart(MultiDict(fields))
    return body, f"multipart/form-data; boundary={boundary}"


def _draft(app, locale: str = "en"):
    client = app.test_client()
    client.get(f"/language/{locale}")
    documents = fill_steps(client, DEFINITION, start(client, DEFINITION.code))
    return client, documents


@pytest.mark.parametrize(("locale", "title"), [("en", "Too many attempts"), ("vi", "Quá nhiều lần thử")])
def test_uploads_are_counted_per_client(make_app, locale, title):
    app = make_app(CATALOG_DIR=TEST_CATALOG, RATE_LIMIT_UPLOADS="2 per minute")
    client, documents = _draft(app, locale)
    component = DEFINITION.components[0]
    name, content = sample_for(component.accepted_types)
    answers = []
    for _ in range(3):
        body, kind = _multipart(client, documents, file=(name, content))
        answers.append(client.post(f"{documents}/{component.code}", data=body, content_type=kind))
    assert answers[0].status_code == 302
    assert answers[1].status_code != 429  # answered by the view (one file is all it takes)
    refused = answers[2]
    assert refused.status_code == 429
    assert title in page(refused).get_text()
    assert refused.headers["Retry-After"]
    assert refused.headers["Content-Security-Policy"]
    # Another address is not held back by this one.
    body, kind = _multipart(client, documents, file=(name, content))
    other = client.post(f"{documents}/{component.code}", data=body, content_type=kind, environ_base=ELSEWHERE)
    assert other.status_code != 429


def test_signing_attempts_are_counted_per_client_across_the_ways_to_sign(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG, RATE_LIMIT_SIGNING="3 per minute")
    client, documents = _draft(app)
    attach_required(client, DEFINITION, documents)
    base = documents.removesuffix("/documents")
    pkcs12, _passphrase = citizen_key
    answers = []
    for _ in range(2):  # a wrong passphrase: refused, counted
        body, kind = _multipart(client, f"{base}/sign", passphrase="wrong", key_file=("k.p12", pkcs12))
        answers.append(client.post(f"{base}/sign/pkcs12", data=body, content_type=kind))
    body, kind = _multipart(client, f"{base}/sign", signed=("signed.pdf", b"%PDF-1.7 not signed"))
    answers.append(client.post(f"{base}/sign/upload", data=body, content_type=kind))
    assert [a.status_code for a in answers] == [400, 400, 422]  # refused, each one counted
    body, kind = _multipart(client, f"{base}/sign", passphrase=_passphrase, key_file=("k.p12", pkcs12))
    refused = client.post(f"{base}/sign/pkcs12", data=body, content_type=kind)
    assert refused.status_code == 429
    assert "Too many attempts" in page(refused).get_text()
    agent = client.post(f"{base}/sign/external", data={"csrf_token": csrf_token(client.get(f"{base}/sign"))})
    assert agent.status_code == 429
    # The signing page itself is still shown; another address may sign.
    assert client.get(f"{base}/sign").status_code == 200
    body, kind = _multipart(client, f"{base}/sign", passphrase=_passphrase, key_file=("k.p12", pkcs12))
    signed = client.post(f"{base}/sign/pkcs12", data=body, content_type=kind, environ_base=ELSEWHERE)
    assert signed.status_code == 302


def test_submissions_are_counted_per_client(make_app):
    app = make_app(CATALOG_DIR=TEST_CATALOG, RATE_LIMIT_SUBMISSIONS="2 per minute")
    client, documents = _draft(app, "vi")
    review = documents.removesuffix("/documents") + "/review"
    token = csrf_token(client.get(documents))  # the session's token: the review offers no button yet
    answers = [client.post(review, data={"csrf_token": token}) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [400, 400]  # documents missing: not submitted
    assert answers[2].status_code == 429
    assert "Quá nhiều lần thử" in page(answers[2]).get_text()
    assert client.get(review).status_code == 200  # reading the review is not counted


def test_a_limit_that_is_not_one_stops_start_up(make_app):
    with pytest.raises(ConfigError, match="RATE_LIMIT_UPLOADS"):
        make_app(RATE_LIMIT_UPLOADS="lots")
