"""Simulated applicants for `python -m bench.load`, which starts the server and reads the figures.

Each applicant walks whole journeys, one after another, as a new visitor each time (cookies
cleared): the catalog, a search, a procedure's page, start a dossier, each step of its form (the
page, then the answers posted with the page's CSRF token), the documents page and a small PDF for
each document it requires, the signing page and a signature with the demo citizen's key file
(PKCS#12, what `flask pki demo` writes), the review page and submitting, the acknowledgement, then
the tracking form with the dossier's code and access code, and the dossier's status page. Beside
them, a baseline user asks for the bare routes of bench/load/wsgi.py at the same time.

Every request is named by its step, so locust's figures are per step. Settings come from the
environment (the runner sets them): LOAD_PROCEDURE (a shipped procedure's code), LOAD_KEY_FILE and
LOAD_KEY_PASSPHRASE (the applicant's PKCS#12), LOAD_THINK ("min,max" seconds between requests).

Pages are read with regular expressions, not a DOM: locust shares the machine's two cores with
the server, and parsing every page would slow the clients down and the figures with them.
"""

from __future__ import annotations

import contextlib
import html
import os
import random
import re
from pathlib import Path
from typing import Any

from locust import HttpUser, between, constant_throughput, task
from locust.clients import ResponseContextManager

from app.catalog.loader import load_folder
from bench.common import SHIPPED
from tests.files import sample_for
from tests.journey import step_pairs

PROCEDURE = os.environ.get("LOAD_PROCEDURE", "1.000981")
DEFINITION = load_folder(SHIPPED)[PROCEDURE].definition
# The answers of each step, the same for every applicant: valid for any definition (tests.journey).
ANSWERS = [(step.id, step_pairs(step)) for step in DEFINITION.form.steps]
ACCEPTED = {c.code: c.accepted_types for c in DEFINITION.components}
KEY_FILE = Path(os.environ["LOAD_KEY_FILE"]).read_bytes() if os.environ.get("LOAD_KEY_FILE") else b""
PASSPHRASE = os.environ.get("LOAD_KEY_PASSPHRASE", "demo")
THINK = tuple(float(x) for x in os.environ.get("LOAD_THINK", "0.5,1.5").split(","))
# What applicants type into the search box: words of the shipped catalog, with and without marks.
QUERIES = ["giấy phép", "khoáng sản", "nuoc duoi dat", "môi trường", "dữ liệu", "biển", "nguồn gen", "đo đạc"]

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SECTION = re.compile(
    r'<section class="component[^"]*"[^>]*data-component="([^"]+)" data-required="(true|false)"'
)
UPLOAD_FORM = re.compile(r'<form method="post" enctype="multipart/form-data" action="([^"]+)"')
CODE = re.compile(r'class="dossier-code">([^<]+)<')
SECRET = re.compile(r'<code class="secret">([^<]+)</code>')


class JourneyBroken(Exception):
    """A step answered something else than the journey needs: the rest of this journey is moot."""


def _expect(response: ResponseContextManager, status: int) -> ResponseContextManager:
    if response.status_code != status:
        response.failure(f"HTTP {response.status_code}, expected {status}")
        raise JourneyBroken(response.request_meta["name"])
    response.success()
    return response


def _found(pattern: re.Pattern[str], response: ResponseContextManager, what: str) -> str:
    match = pattern.search(response.text or "")
    if match is None:
        response.failure(f"no {what} on the page")
        raise JourneyBroken(response.request_meta["name"])
    return html.unescape(match.group(1))


def required_uploads(documents_page: str) -> list[tuple[str, str]]:
    """(upload address, component code) of each required document without a file yet."""
    found = []
    for chunk in documents_page.split("<section ")[1:]:
        section = SECTION.search("<section " + chunk)
        form = UPLOAD_FORM.search(chunk)
        if section and section.group(2) == "true" and form and '<ul class="files">' not in chunk:
            found.append((html.unescape(form.group(1)), section.group(1)))
    return found


class Applicant(HttpUser):
    wait_time = between(*THINK)

    def get(self, url: str, name: str, status: int = 200) -> ResponseContextManager:
        headers = {"X-Bench-Step": name}  # for the server's CPU time per step (bench/load/wsgi.py)
        with self.client.get(
            url, name=name, headers=headers, catch_response=True, allow_redirects=False
        ) as r:
            return _expect(r, status)

    def post(self, url: str, name: str, status: int = 302, **kwargs: Any) -> ResponseContextManager:
        headers = {"X-Bench-Step": name}
        with self.client.post(
            url, name=name, headers=headers, catch_response=True, allow_redirects=False, **kwargs
        ) as r:
            return _expect(r, status)

    def pause(self) -> None:
        self.wait()

    @task
    def journey(self) -> None:
        self.client.cookies.clear()
        # A broken journey is counted as a failure of the step that broke it; the next starts afresh.
        with contextlib.suppress(JourneyBroken):
            self._journey()

    def _journey(self) -> None:
        code = DEFINITION.code
        self.get("/", "catalog")
        self.pause()
        self.get(f"/?q={random.choice(QUERIES)}", "search")
        self.pause()
        page = self.get(f"/procedures/{code}", "procedure")
        token = _found(CSRF, page, "CSRF token")
        self.pause()
        url = self.post(f"/procedures/{code}/start", "start", data={"csrf_token": token}).headers["Location"]
        for step_id, pairs in ANSWERS:
            self.pause()
            form = self.get(url, f"step {step_id} (page)")
            token = _found(CSRF, form, "CSRF token")
            self.pause()
            data = [("csrf_token", token), ("action", "continue"), *pairs]
            url = self.post(url, f"step {step_id} (answers)", data=data).headers["Location"]
        documents_url = url
        base = documents_url.removesuffix("/documents")
        self.pause()
        documents = self.get(documents_url, "documents")
        token = _found(CSRF, documents, "CSRF token")
        for action, component in required_uploads(documents.text):
            self.pause()
            name, content = sample_for(ACCEPTED[component])
            self.post(action, "upload", data={"csrf_token": token}, files={"file": (name, content)})
        self.pause()
        sign_page = self.get(f"{base}/sign", "sign (page)")
        token = _found(CSRF, sign_page, "CSRF token")
        self.pause()
        self.post(
            f"{base}/sign/pkcs12",
            "sign (key file)",
            data={"csrf_token": token, "passphrase": PASSPHRASE},
            files={"key_file": ("chu-ky.p12", KEY_FILE)},
        )
        self.pause()
        review = self.get(f"{base}/review", "review")
        token = _found(CSRF, review, "CSRF token")
        self.pause()
        acknowledgement_url = self.post(f"{base}/review", "submit", data={"csrf_token": token}).headers[
            "Location"
        ]
        acknowledgement = self.get(acknowledgement_url, "acknowledgement")
        dossier_code = _found(CODE, acknowledgement, "dossier code")
        secret = _found(SECRET, acknowledgement, "access code")
        self.pause()
        track = self.get("/track", "track (page)")
        token = _found(CSRF, track, "CSRF token")
        self.pause()
        status_url = self.post(
            "/track", "track (code)", data={"csrf_token": token, "code": dossier_code, "secret": secret}
        ).headers["Location"]
        self.get(status_url, "status")


class Baseline(HttpUser):
    """The bare routes, asked for at a steady pace while the applicants work: what the same
    server, machine and clients give for a request that does nothing."""

    fixed_count = 2  # the runner asks for this many users more than applicants
    wait_time = constant_throughput(1)

    @task
    def bare(self) -> None:
        self.client.get("/bare", name="bare WSGI route")
        self.client.get("/bare/flask", name="bare Flask route", headers={"X-Bench-Step": "bare Flask route"})
