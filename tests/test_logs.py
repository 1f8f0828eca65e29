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


def test_signing_session_ids_are_not_logged(caplog):
    import logging

    from app.logs import RedactSecrets

    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        ("POST /api/v1/signing/Zk3_secret-token-value/prepare HTTP/1.1", "200"),
        None,
    )
    RedactSecrets().filter(record)
    assert "Zk3_secret" not in record.getMessage()
    assert "/api/v1/signing/…/prepare" in record.getMessage()


def test_gunicorn_style_records_are_redacted_and_still_format():
    import logging

    from app.logs import RedactSecrets

    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(r)s %(s)s", (), None)
    record.args = {"r": "GET /resume/s3cr3t-value HTTP/1.1", "s": "302"}
    RedactSecrets().filter(record)
    assert record.getMessage() == "GET /resume/… HTTP/1.1 302"
