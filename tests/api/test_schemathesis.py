"""Schemathesis against the live app: requests generated from the OpenAPI document (valid and
invalid ones, undocumented methods), each answer checked against the document. No server error,
no status, content type or body the document does not describe.

Status events are signed with the back office's HMAC (a requests auth hook over the exact bytes
sent), and some of them name a real dossier delivered to it, so they get past authentication into
the state machine; some signing calls use a real, open session."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
import zlib
from functools import cached_property

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from app.api.openapi import document as openapi_document
from tests.backoffice.fixtures import DEFINITION, SECRET
from tests.conftest import TEST_CATALOG
from tests.factories import submitted
from tests.signing.kinds import prepare
from tests.signing.test_external import session_url

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
)


class BackOfficeSignature(requests.auth.AuthBase):
    """What a back office puts in the headers of an event: its name, the time and the HMAC of the
    exact body sent. Only where the generated case carries all three headers with values of the
    documented form: a case that drops one or breaks its form must still be refused."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        headers = request.headers
        if not (
            request.path_url.endswith("/backoffice/events")
            and "X-OpenDVC-BackOffice" in headers
            and re.fullmatch(r"[0-9]+", headers.get("X-OpenDVC-Timestamp", ""))
            and re.fullmatch(r"[0-9a-f]{64}", headers.get("X-OpenDVC-Signature", ""))
        ):
            return request
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        stamp = str(int(time.time()))
        headers["X-OpenDVC-BackOffice"] = "filesystem"
        headers["X-OpenDVC-Timestamp"] = stamp
        headers["X-OpenDVC-Signature"] = hmac.new(
            SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        return request


class Portal:
    """The live portal, with a dossier and a signing session made the first time they are asked for."""

    def __init__(self, server, citizen_key: tuple[bytes, str]) -> None:
        self.server = server
        self.url = server.url
        self.citizen_key = citizen_key

    @cached_property
    def dossier_code(self) -> str:
        """A dossier delivered to `filesystem`: events that name it are applied."""
        return submitted(self.server.app, DEFINITION, self.citizen_key)

    @cached_property
    def session_token(self) -> str:
        """An open signing session."""
        to_sign = prepare("dossier", self.server.app, self.citizen_key)
        browser = requests.Session()
        browser.cookies.set("session", to_sign.client.get_cookie("session").value)
        return session_url(to_sign, browser, self.url).rsplit("/", 1)[1]


@pytest.fixture
def portal(live_server, citizen_key) -> Portal:
    return Portal(
        live_server(CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET}), citizen_key
    )


# The document is static: loaded at collection, each operation its own test; the requests go to
# the live server started for that test.
schema = schemathesis.openapi.from_dict(
    openapi_document(),
    config=SchemathesisConfig.from_dict(
        {
            "seed": 8,
            "phases": {"stateful": {"enabled": False}},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    ),
)


def half(case) -> bool:
    return zlib.crc32(repr(case.body).encode()) % 2 == 0  # stable across runs, unlike hash()


@schema.parametrize()
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # one live portal per operation: its state carries over between examples, as a server's would
def test_the_api_keeps_to_its_document(case, portal):
    if case.operation.path.startswith("/signing/") and half(case):
        case.path_parameters["token"] = portal.session_token
    if case.operation.path == "/backoffice/events" and isinstance(case.body, dict) and half(case):
        case.body["dossier_code"] = portal.dossier_code
    case.call_and_validate(base_url=f"{portal.url}/api/v1", auth=BackOfficeSignature(), timeout=60)
