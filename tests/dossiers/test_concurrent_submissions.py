"""Fifty applicants submit the same procedure at the same moment: fifty distinct dossier codes."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from app.catalog.loader import load_folder
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.journey import draft_over_http, sign_over_http

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition
APPLICANTS = 50


def prepare(base: str, signature: tuple[bytes, str]) -> tuple[requests.Session, str]:
    """One browser with a complete, signed draft, up to the review page."""
    browser, dossier = draft_over_http(base, DEFINITION)
    sign_over_http(browser, dossier, signature)
    return browser, f"{dossier}/review"


def room_for_everyone(database_url: str) -> dict[str, object]:
    """Engine options with a connection for each applicant and waits no busy machine runs out
    of: the race is for dossier codes, not for the pool (5 + 10 connections, 30 s) or for
    SQLite's lock (30 s), which fifty requests at once outwait when the machine is loaded."""
    options: dict[str, object] = {"pool_size": APPLICANTS, "pool_timeout": 600}
    if database_url.startswith("sqlite"):
        return options | {"connect_args": {"timeout": 600}}
    return options | {"pool_pre_ping": True}


def test_fifty_concurrent_submissions_get_fifty_codes(live_server, citizen_key, database):
    server = live_server(
        CATALOG_DIR=TEST_CATALOG,
        SQLALCHEMY_ENGINE_OPTIONS=room_for_everyone(database.url),
        # Fifty applicants from the test's one address: the race is for codes, not for the
        # per-client limits (tests/web/test_rate_limits.py has those).
        **{f"RATE_LIMIT_{kind}": "1000 per minute" for kind in ("UPLOADS", "SIGNING", "SUBMISSIONS")},
    )
    with ThreadPoolExecutor(8) as pool:
        drafts = list(pool.map(lambda _: prepare(server.url, citizen_key), range(APPLICANTS)))
    tokens = [(browser, url, csrf_token(browser.get(url))) for browser, url in drafts]
    start = threading.Barrier(APPLICANTS)

    def submit(draft: tuple[requests.Session, str, str]) -> str:
        browser, url, token = draft
        start.wait()
        response = browser.post(url, data={"csrf_token": token})
        assert response.status_code == 200, response.text[:500]
        assert response.url.endswith("/acknowledgement")
        return page(response).select_one(".dossier-code").get_text(strip=True)

    with ThreadPoolExecutor(APPLICANTS) as pool:
        codes = list(pool.map(submit, tokens))
    assert len(set(codes)) == APPLICANTS
    numbers = sorted(int(re.fullmatch(r"000\.00\.99\.G09-\d{6}-(\d{4})", c)[1]) for c in codes)
    assert numbers == list(range(1, APPLICANTS + 1))  # no gap, no duplicate
