"""Languages: every message has its Vietnamese translation, and the catalogs follow the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from tests.conftest import page

ROOT = Path(__file__).parents[1]


def messages(path: Path) -> dict:
    with path.open("rb") as f:
        return {m.id: m for m in read_po(f) if m.id}


def extracted(tmp_path: Path) -> dict:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return messages(pot)


def test_every_message_has_a_vietnamese_translation(tmp_path):
    in_code = extracted(tmp_path)
    assert len(in_code) > 150  # the extraction really read the code and the templates
    vi = messages(ROOT / "translations" / "vi" / "LC_MESSAGES" / "messages.po")
    missing = sorted(
        str(k)
        for k in in_code
        if k not in vi or not all(vi[k].string if isinstance(vi[k].string, tuple) else [vi[k].string])
    )
    fuzzy = sorted(str(k) for k in in_code if k in vi and vi[k].fuzzy)
    assert missing == [], "untranslated (run `make extract-messages`, then translate)"
    assert fuzzy == []


def test_language_switch_is_on_every_page_and_sticks(client):
    response = client.get("/")
    doc = page(response)
    assert doc.html["lang"] == "vi"
    switch = doc.select_one('nav.languages a[lang="en"]')
    assert switch is not None
    follow = client.get(switch["href"])
    assert follow.status_code == 302
    assert follow.headers["Location"] == "/"
    assert page(client.get("/track")).html["lang"] == "en"


def test_language_switch_never_redirects_elsewhere(client):
    for target in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/x",
    ):
        response = client.get("/language/en", query_string={"next": target})
        assert response.headers["Location"] == "/"


def test_plurals_and_numbers_follow_the_locale(client):
    count = len(page(client.get("/")).select("li.procedure"))
    assert page(client.get("/")).select_one("p.count").get_text(strip=True) == f"Tìm thấy {count} thủ tục"
    client.get("/language/en")
    assert page(client.get("/")).select_one("p.count").get_text(strip=True) == f"{count} procedures found"
