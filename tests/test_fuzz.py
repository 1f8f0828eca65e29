"""Fuzzing every endpoint that takes a file or a JSON body from outside: whatever arrives, the
answer is never a server error. Bounded (a few dozen examples each, no deadline) so the whole
file costs seconds; the known crashers are given as explicit examples, so they run every time.

Files: PDFs cut, spliced with hostile tokens and nested past the stack, on the dossier's
documents, a supplement's documents, the signed declaration (the real declaration followed by
junk, so it gets past the prefix check into pyHanko) and the key file. JSON: the signing
agent's two calls (a real session and an unknown one) and status events signed with the back
office's secret, so they get past authentication."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests import files, hostile
from tests.backoffice.fixtures import DEFINITION, SECRET
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.events.test_events import event, post
from tests.journey import apply, attach_required, fill_steps, start

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples on every run and in CI
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TOKENS = [
    b"/Filter /NoSuchDecode",
    b"/Filter [/FlateDecode /LZWDecode /Crypt]",
    b"/DecodeParms << /Predictor 99 /Columns -1 >>",
    b"/Encrypt << /Filter /Adobe.PubSec /V 5 /R 6 >>",
    b"/Encrypt 1 0 R",
    b"/Length 999999999",
    b"/Length -5",
    b"/Type /Page /Contents [1 0 R 1 0 R]",
    b"/Kids [2 0 R]",
    b"/Count -1",
    b"/ObjStm /N 99999 /First 0",
    b"/Type /XRef /W [9 9 9] /Index [0 9999999]",
    b"[" * 5000,
    b"<<" * 5000,
    b"stream\n",
    b"endstream endobj",
    b"%%EOF",
    b"startxref 0\n%%EOF",
    b"trailer << /Root 99 0 R >>",
    b"(\\",
    b"<ZZ>",
]
KNOWN_CRASHERS = [content for _name, content, *_ in hostile.MALFORMED_PDFS]


def splice(data: bytes, at: int, insert: bytes, drop: int) -> bytes:
    at = at % (len(data) + 1)
    return data[:at] + insert + data[at + drop :]


def pdfs_from(base: bytes) -> st.SearchStrategy[bytes]:
    """`base` cut and spliced with PDF tokens or random bytes, and free-form junk after %PDF-."""
    inserts = st.sampled_from(TOKENS) | st.binary(max_size=64)
    return st.one_of(
        st.sampled_from(KNOWN_CRASHERS),
        st.builds(splice, st.just(base), st.integers(0, 10**6), inserts, st.integers(0, 64)),
        st.builds(lambda data, at: data[:at], st.just(base), st.integers(9, len(base))),
        st.builds(lambda tail: base + tail, st.lists(inserts, max_size=4).map(b"".join)),
        st.binary(max_size=2048).map(lambda junk: b"%PDF-1.7\n" + junk),
    )


def multipart(fuzz_client, url: str, form_url: str, fields: dict):
    boundary, body = encode_multipart(
        MultiDict({"csrf_token": csrf_token(fuzz_client.get(form_url)), **fields})
    )
    return fuzz_client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def no_server_error(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]


@pytest.fixture
def fuzz_app(make_app):
    return make_app(
        CATALOG_DIR=TEST_CATALOG, RATE_LIMITS_ENABLED=False, BACKOFFICE_SECRETS={"filesystem": SECRET}
    )


@pytest.fixture
def fuzz_client(fuzz_app):
    browser = fuzz_app.test_client()
    browser.get("/language/en")
    return browser


def test_dossier_documents(fuzz_client):
    @FUZZ
    @given(content=pdfs_from(files.pdf(pages=2)), name=st.text(max_size=80))
    @example(content=hostile.unknown_filter(), name="a.pdf")
    @example(content=hostile.unknown_security_handler(), name="b.pdf")
    def run(content: bytes, name: str) -> None:
        documents = start(fuzz_client, "T.000001").rsplit("/steps/", 1)[0] + "/documents"  # never full
        no_server_error(
            multipart(
                fuzz_client, f"{documents}/DOC", documents, {"file": FileStorage(io.BytesIO(content), name)}
            )
        )

    run()


@pytest.fixture
def supplement_url(fuzz_client, citizen_key) -> str:
    """A dossier of this applicant's whose back office asks for a supplement: its supplement page."""
    receipt = page(apply(fuzz_client, DEFINITION, citizen_key))
    code = receipt.select_one(".dossier-code").get_text(strip=True)
    assert post(fuzz_client, event(code, 1, 2)).status_code == 200
    assert post(fuzz_client, event(code, 2, 5, "Bổ sung")).status_code == 200
    return receipt.select_one('a[href$="/status"]')["href"].removesuffix("/status") + "/supplement"


def test_supplement_documents(fuzz_client, supplement_url):
    @FUZZ
    @given(content=pdfs_from(files.pdf()))
    @example(content=hostile.unknown_filter())
    @example(content=hostile.unsupported_encryption_version())
    def run(content: bytes) -> None:
        fields = {"component": "DOC", "file": FileStorage(io.BytesIO(content), "bo-sung.pdf")}
        response = multipart(fuzz_client, f"{supplement_url}/files", supplement_url, fields)
        no_server_error(response)
        if response.status_code == 302:  # kept: take it away, so the next one is checked too
            listing = page(fuzz_client.get(supplement_url))
            for form in listing.select('form[action*="/remove"]'):
                fuzz_client.post(
                    form["action"], data={"csrf_token": csrf_token(fuzz_client.get(supplement_url))}
                )

    run()


def test_supplement_signed_declaration(fuzz_client, supplement_url):
    declaration = fuzz_client.get(f"{supplement_url}/declaration.pdf").data

    @FUZZ
    @given(content=pdfs_from(declaration))
    def run(content: bytes) -> None:
        fields = {"signed": FileStorage(io.BytesIO(content), "da-ky.pdf")}
        no_server_error(multipart(fuzz_client, f"{supplement_url}/upload", supplement_url, fields))

    run()


@pytest.fixture
def sign_url(fuzz_client) -> str:
    """A complete draft, ready to sign: its signing page."""
    documents = fill_steps(fuzz_client, DEFINITION, start(fuzz_client, DEFINITION.code))
    attach_required(fuzz_client, DEFINITION, documents)
    return documents.removesuffix("/documents") + "/sign"


def test_signed_declaration_and_key_file(fuzz_client, sign_url):
    declaration = fuzz_client.get(sign_url.removesuffix("/sign") + "/declaration.pdf").data

    @FUZZ
    @given(content=pdfs_from(declaration), key=st.binary(max_size=4096), passphrase=st.text(max_size=40))
    def run(content: bytes, key: bytes, passphrase: str) -> None:
        signed = {"signed": FileStorage(io.BytesIO(content), "da-ky.pdf")}
        no_server_error(multipart(fuzz_client, f"{sign_url}/upload", sign_url, signed))
        key_file = {"key_file": FileStorage(io.BytesIO(key), "khoa.p12"), "passphrase": passphrase}
        no_server_error(multipart(fuzz_client, f"{sign_url}/pkcs12", sign_url, key_file))

    run()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def bodies(keys: list[str]) -> st.SearchStrategy[bytes]:
    """JSON objects with the endpoint's keys and values of any type, other JSON, and raw bytes."""
    shaped = st.fixed_dictionaries({}, optional=dict.fromkeys(keys, JSON_VALUES)).map(
        lambda d: json.dumps(d).encode()
    )
    return st.one_of(
        shaped,
        JSON_VALUES.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=256),
        st.integers(1, 300_000).map(lambda depth: b"[" * depth),
    )


def test_signing_agent_calls(fuzz_client, sign_url):
    opened = fuzz_client.post(
        f"{sign_url}/external", data={"csrf_token": csrf_token(fuzz_client.get(sign_url))}
    )
    token = page(opened).select_one("code.session-url").get_text(strip=True).rsplit("/", 1)[1]

    @FUZZ
    @given(
        step=st.sampled_from(["prepare", "complete"]),
        real=st.booleans(),
        body=bodies(["certificate", "chain", "signature"]),
    )
    @example(step="prepare", real=False, body=hostile.NESTED_BRACKETS)
    @example(step="complete", real=True, body=hostile.NESTED_BRACKETS)
    def run(step: str, real: bool, body: bytes) -> None:
        url = f"/api/v1/signing/{token if real else 'no-such-session'}/{step}"
        no_server_error(fuzz_client.post(url, data=body, content_type="application/json"))

    run()


def test_status_events(fuzz_client, supplement_url):
    def signed(body: bytes):
        stamp = str(int(time.time()))
        signature = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers = {
            "X-OpenDVC-BackOffice": "filesystem",
            "X-OpenDVC-Timestamp": stamp,
            "X-OpenDVC-Signature": signature,
        }
        return fuzz_client.post(
            "/api/v1/backoffice/events", data=body, content_type="application/json", headers=headers
        )

    typed = st.fixed_dictionaries(
        {
            "event_id": st.text(min_size=8, max_size=40),
            "dossier_code": st.text(max_size=40),
            "sequence": st.integers(),
            "status": st.integers(0, 11),
        },
        optional={
            "note": st.text(max_size=100),
            "results": st.lists(
                st.fixed_dictionaries({"file_name": st.text(max_size=20), "content": st.text(max_size=40)}),
                max_size=2,
            ),
        },
    ).map(lambda d: json.dumps(d).encode())

    @FUZZ
    @given(body=typed | bodies(["event_id", "dossier_code", "sequence", "status", "note", "results"]))
    @example(body=hostile.NESTED_BRACKETS)
    @example(body=json.dumps(event("x", 1, 2) | {"event_id": "evt-\x00-0001"}).encode())  # PostgreSQL
    def run(body: bytes) -> None:
        no_server_error(signed(body))

    run()
