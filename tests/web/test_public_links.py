"""Absolute links (resume link, QR codes, the signing agent's address, API links) are built on
OPENDVC_PUBLIC_URL, whatever Host or X-Forwarded-Host a request names; a request for a host the
portal does not serve gets a 400, not a page with links in it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from werkzeug.routing import Rule

from app.catalog.loader import load_folder
from tests import qr
from tests.backoffice.fixtures import SECRET
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.events import accept
from tests.journey import apply, attach_required, fill_steps, start

PUBLIC = "https://dichvucong.example.vn"
DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition
FORGED = ({"Host": "evil.example"}, {"Host": "evil.example:5000"}, {"Host": "localhost.evil.example"})


@pytest.fixture
def public_app(make_app):
    return make_app(
        CATALOG_DIR=TEST_CATALOG,
        PUBLIC_URL=PUBLIC,
        ALLOWED_HOSTS="intranet.example.vn",
        BACKOFFICE_SECRETS={"filesystem": SECRET},
    )


def on_public_address(url: str) -> bool:
    return f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" == PUBLIC


def sample_path(rule: Rule) -> str:
    return rule.rule.replace("<path:", "<").replace("<int:", "<").replace("<", "").replace(">", "")


def test_a_request_for_an_unknown_host_is_refused_on_every_route(public_app):
    client = public_app.test_client()
    rules = list(public_app.url_map.iter_rules())
    assert len(rules) > 30
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for headers in FORGED:
                response = client.open(sample_path(rule), method=method, headers=headers)
                assert response.status_code == 400, (rule.rule, method, headers)
                assert "evil.example" not in response.text


def test_a_forged_forwarded_host_is_refused_behind_a_proxy(make_app):
    app = make_app(PUBLIC_URL=PUBLIC, TRUSTED_PROXIES=1)
    client = app.test_client()
    forged = client.get("/", headers={"Host": "dichvucong.example.vn", "X-Forwarded-Host": "evil.example"})
    assert forged.status_code == 400
    proxied = client.get("/", headers={"Host": "10.0.0.5:8000", "X-Forwarded-Host": "dichvucong.example.vn"})
    assert proxied.status_code == 200


def test_the_public_host_and_the_allowed_ones_are_served(public_app):
    client = public_app.test_client()
    for host in ("dichvucong.example.vn", "dichvucong.example.vn:443", "intranet.example.vn", "localhost"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host


def forging(client):
    """A browser whose every request names evil.example in X-Forwarded-Host (no proxy is trusted)."""
    client.environ_base["HTTP_X_FORWARDED_HOST"] = "evil.example"
    client.get("/language/en")
    return client


def test_the_resume_link_follows_the_public_address(public_app):
    client = forging(public_app.test_client())
    first = start(client, DEFINITION.code)
    step = page(client.get(first))
    link = step.select_one("a.resume-link").get_text(strip=True)
    assert on_public_address(link), link
    assert urlsplit(link).path == step.select_one("a.resume-link")["href"]
    assert urlsplit(link).path.startswith("/resume/")


def test_the_acknowledgement_s_link_and_qr_code_follow_the_public_address(public_app, citizen_key):
    client = forging(public_app.test_client())
    receipt = page(apply(client, DEFINITION, citizen_key))
    link = receipt.select_one("a[href*='/resume/']")
    assert on_public_address(link["href"]), link["href"]
    assert link.get_text(strip=True) == link["href"]
    assert urlsplit(link["href"]).path == f"/resume/{receipt.select_one('code.secret').get_text(strip=True)}"
    assert qr.in_svg_data_uri(receipt.select_one("img.qr")["src"]) == [link["href"]]


def test_the_printed_receipt_s_qr_code_follows_the_public_address(public_app, citizen_key):
    client = forging(public_app.test_client())
    acknowledgement = page(apply(client, DEFINITION, citizen_key))
    code = acknowledgement.select_one(".dossier-code").get_text(strip=True)
    assert accept(client, code).json["title"] == "applied"  # sealed at acceptance, by the events API
    status = page(client.get(acknowledgement.select_one("a[href$='/status']")["href"]))
    pdf_link = status.select_one("a[href$='/receipt.pdf']")["href"]
    with client.get(pdf_link, headers={"Host": "localhost:8080"}) as pdf:
        assert pdf.status_code == 200
        assert qr.in_pdf(pdf.data) == [f"{PUBLIC}/track?code={code}"]


def test_the_signing_agent_s_address_follows_the_public_address(public_app):
    client = forging(public_app.test_client())
    documents = fill_steps(client, DEFINITION, start(client, DEFINITION.code))
    attach_required(client, DEFINITION, documents)
    base = documents.removesuffix("/documents")
    sign_page = client.get(f"{base}/sign")
    opened = client.post(
        f"{base}/sign/external",
        data={"csrf_token": csrf_token(sign_page)},
    )
    assert opened.status_code == 200
    address = page(opened).select_one("code.session-url").get_text(strip=True)
    assert on_public_address(address), address
    assert urlsplit(address).path.startswith("/api/v1/signing/")


def test_api_links_follow_the_public_address(public_app):
    client = forging(public_app.test_client())
    listing = client.get("/api/v1/procedures", headers={"Host": "intranet.example.vn"}).json
    urls = [p["url"] for p in listing["procedures"]]
    assert urls
    assert all(on_public_address(u) for u in urls), urls
    detail = client.get(urlsplit(urls[0]).path).json
    assert on_public_address(detail["url"])
