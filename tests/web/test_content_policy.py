"""A strict public portal: every answer carries the Content-Security-Policy (no inline script or
style: every script and style sheet is a file), frame-ancestors 'none', nosniff and a referrer
policy, and HSTS over TLS; no rendered page holds an inline script, a style attribute, a <style>
element or an event-handler attribute. Checked over every route the app has (every method, a
draft's, a submitted dossier's, staff's and a stranger's) and over every step of every procedure
of the real catalog, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

from app.catalog.loader import load_folder
from app.config import PACKAGE_DIR
from app.web import CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY
from tests.conftest import csrf_token
from tests.journey import start, step_pairs
from tests.web.test_caching import every_kind_of_visitor, path_for

DIRECTIVES = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
EVENT_ATTRIBUTE = re.compile(r"^on[a-z]+$")


def policy(header: str) -> dict[str, str]:
    return {d.split()[0]: " ".join(d.split()[1:]) for d in header.split(";") if d.strip()}


def test_the_policy_is_strict():
    found = policy(CONTENT_SECURITY_POLICY)
    assert found == DIRECTIVES
    # No way around "no inline code": no 'unsafe-*', no nonce or hash, no other origin.
    assert not re.search(r"unsafe-|nonce-|sha(256|384|512)-|https?:|\*", CONTENT_SECURITY_POLICY)


def assert_headers(response, where: object) -> None:
    headers = response.headers
    assert headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert "Strict-Transport-Security" not in headers, where  # plain HTTP here


def inline_code(html: str) -> list[str]:
    """Everything of a page a strict policy refuses: inline scripts, style elements and
    attributes, event-handler attributes, javascript: links."""
    doc = BeautifulSoup(html, "html.parser")
    found = [f"<script> without src: {s}"[:200] for s in doc.find_all("script") if not s.get("src")]
    found += [f"<script src> with a body: {s}"[:200] for s in doc.find_all("script", src=True) if s.string]
    found += [f"<style>: {s}"[:200] for s in doc.find_all("style")]
    for tag in doc.find_all(True):
        for name, value in tag.attrs.items():
            if name == "style" or EVENT_ATTRIBUTE.match(name):
                found.append(f"<{tag.name} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and str(value).strip().lower().startswith(
                "javascript:"
            ):
                found.append(f"<{tag.name} {name}={value!r}>")
    return found


def is_page(response) -> bool:
    return response.mimetype == "text/html"


def test_every_answer_has_the_headers_and_no_page_has_inline_code(make_app, citizen_key):
    app, visitors = every_kind_of_visitor(make_app, citizen_key)
    pages: set[str] = set()
    for client, values in visitors:
        for rule in app.url_map.iter_rules():
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                url = path_for(rule, values)
                with client.open(url, method=method) as response:
                    assert response.status_code < 500, (method, url)
                    assert_headers(response, (method, url, response.status_code))
                    if is_page(response):
                        assert inline_code(response.get_data(as_text=True)) == [], (method, url)
                        if response.status_code == 200:
                            pages.add(rule.endpoint)
    # The pages of the journey, the signing and supplement pages, tracking and staff among them.
    assert pages >= {
        "catalog.index",
        "catalog.procedure",
        "apply.step",
        "apply.documents",
        "apply.review",
        "apply.acknowledgement",
        "apply.receipt",
        "apply.dossier",
        "apply.withdraw",
        "sign.sign",
        "supplement.page",
        "track.track",
        "staff.deliveries",
        "staff.sign_in",
    }, sorted(pages)


REAL_CATALOG = load_folder(PACKAGE_DIR / "catalog" / "procedures")


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_step_of_every_real_procedure_has_no_inline_code(make_app, locale):
    """The real procedures: groups, conditions, fees, cases, geometry (its SVG figure on the
    review page), each step empty (with its error summary) and filled."""
    app = make_app(RATE_LIMITS_ENABLED=False)
    client = app.test_client()
    client.get(f"/language/{locale}")
    checked = 0
    for code, loaded in sorted(REAL_CATALOG.items()):
        url = start(client, code)
        for step in loaded.definition.form.steps:
            shown = client.get(url)
            refused = client.post(url, data={"csrf_token": csrf_token(shown), "action": "continue"})
            data = MultiDict([("csrf_token", csrf_token(shown)), ("action", "continue"), *step_pairs(step)])
            moved = client.post(url, data=data)
            for response in (shown, refused, moved):
                assert_headers(response, (code, step.id))
                assert inline_code(response.get_data(as_text=True)) == [], (
                    code,
                    step.id,
                    response.status_code,
                )
            checked += 1
            if moved.status_code != 302:
                break  # a rule across fields this generic filling misses: the rest of the steps wait
            url = moved.headers["Location"]
        base = url.rsplit("/", 1)[0] if "/steps/" in url else url.removesuffix("/documents")
        for tail in ("/documents", "/review"):
            response = client.get(base + tail)
            assert_headers(response, (code, tail))
            assert inline_code(response.get_data(as_text=True)) == [], (code, tail)
            checked += 1
    assert checked > 3 * len(REAL_CATALOG)


def test_the_templates_hold_no_inline_code():
    """The sources too, every branch of them: a style attribute behind a rare condition counts."""
    templates = sorted(p for p in PACKAGE_DIR.rglob("*.html") if "templates" in p.parts)
    assert len(templates) > 15
    offending = []
    for path in templates:
        source = path.read_text("utf-8")
        for pattern in (
            r"<script(?![^>]*\bsrc=)[^>]*>",
            r"<style\b",
            r"\sstyle\s*=",
            r"\son[a-z]+\s*=",
            "javascript:",
        ):
            offending += [
                f"{path.relative_to(PACKAGE_DIR)}: {m.group(0)}" for m in re.finditer(pattern, source)
            ]
    assert offending == []


def test_the_static_files_are_the_only_code(client):
    """The style sheets and the script are served as files, with the right types and nosniff."""
    for name, kind in (
        ("site.css", "text/css"),
        ("site.js", "text/javascript"),
        ("receipt-a4.css", "text/css"),
    ):
        with client.get(f"/static/{name}") as response:
            assert response.status_code == 200
            assert response.mimetype == kind
            assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("public_url", "scheme", "hsts"),
    [
        ("http://127.0.0.1:5000", "http", False),
        ("http://127.0.0.1:5000", "https", True),  # over TLS (or a trusted proxy said so)
        ("https://dichvucong.example.vn", "http", True),  # TLS ends at a proxy that says nothing
    ],
)
def test_hsts_only_over_tls(make_app, public_url, scheme, hsts):
    app = make_app(PUBLIC_URL=public_url)
    response = app.test_client().get("/", base_url=f"{scheme}://localhost")
    assert response.status_code == 200
    assert ("Strict-Transport-Security" in response.headers) is hsts
    if hsts:
        assert response.headers["Strict-Transport-Security"] == STRICT_TRANSPORT_SECURITY
        assert int(STRICT_TRANSPORT_SECURITY.removeprefix("max-age=")) >= 365 * 24 * 3600


def test_behind_a_trusted_proxy_its_word_on_tls_counts(make_app):
    behind = make_app(TRUSTED_PROXIES=1).test_client()
    assert "Strict-Transport-Security" in behind.get("/", headers={"X-Forwarded-Proto": "https"}).headers
    direct = make_app().test_client()
    assert "Strict-Transport-Security" not in direct.get("/", headers={"X-Forwarded-Proto": "https"}).headers


def test_static_folder_is_where_the_pages_look(app):
    assert Path(app.static_folder) == PACKAGE_DIR / "static"


def test_the_check_finds_inline_code():
    html = (
        '<p style="color:red" onclick="go()">x</p><script>go()</script><script src="/a.js">go()</script>'
        '<style>p{}</style><a href="javascript:go()">y</a><script src="/static/site.js"></script>'
    )
    assert len(inline_code(html)) == 6
