"""No secret reaches a log line."""

from __future__ import annotations

import logging

from tests.journey import start


def test_resume_secrets_are_not_logged(live_server, caplog):
    import requests

    from tests.conftest import TEST_CATALOG, page

    server = live_server(CATALOG_DIR=TEST_CATALOG)
    browser = requests.Session()
    with server.app.test_client() as client:
        first = start(client, "T.000001")
        link = page(client.get(first)).select_one("a.resume-link")["href"]
    secret = link.rsplit("/", 1)[1]
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        assert browser.get(server.url + link).status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/resume/…" in line for line in lines)
    assert not any(secret in line for line in lines)
