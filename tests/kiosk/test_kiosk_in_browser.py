"""kiosk.js in a real browser (Debian's headless chromium) on pages as the server renders them
in kiosk mode: one question per screen, the PIN keypad, the idle countdown (virtual time)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from app import ConfigError
from app.dossiers.models import Attachment, Dossier
from app.extensions import db
from app.storage import get_blobs
from tests.browser.dumped import dump_dom, in_browser
from tests.conftest import page
from tests.files import sample_for
from tests.journey import upload
from tests.kiosk import public_id_of, start


def test_one_question_per_screen(kiosk, tmp_path):
    step_url = start(kiosk).replace("/kiosk", "").replace("/scan", "/steps/requester")
    doc = in_browser(kiosk.get(step_url).text, tmp_path)
    boxes = [b for b in doc.select("main form > .field") if not b.has_attr("hidden")]
    assert len(boxes) > 1
    shown = [b for b in boxes if "kiosk-question-hidden" not in b.get("class", [])]
    assert len(shown) == 1
    assert shown[0] is boxes[0]
    nav = doc.select_one(".kiosk-question-nav")
    assert nav.select("button")[1].get_text(strip=True) == "Next question"
    assert doc.select_one("main form .actions").has_attr("hidden")  # the form's buttons come last


def test_the_countdown_shows_before_the_wipe(make_app, tmp_path):
    app = make_app(KIOSK=True, KIOSK_IDLE_SECONDS=20, KIOSK_WARNING_SECONDS=10)
    html = app.test_client().get("/").text
    assert in_browser(html, tmp_path).select_one("#kiosk-idle").has_attr("hidden")
    doc = in_browser(html, tmp_path, virtual_ms=13_500)
    dialog = doc.select_one("#kiosk-idle")
    assert not dialog.has_attr("hidden")
    assert 5 <= int(doc.select_one("#kiosk-countdown").get_text(strip=True)) <= 8


def browse(url: str, *, virtual_ms: int) -> BeautifulSoup:
    """Where a real browser ends up after `virtual_ms` of virtual time on `url`."""
    return dump_dom(url, virtual_ms=virtual_ms)


def test_left_alone_the_kiosk_wipes_the_draft_and_its_files(live_server):
    served = live_server(KIOSK=True, KIOSK_IDLE_SECONDS=20, KIOSK_WARNING_SECONDS=5)
    client = served.app.test_client()
    public_id = public_id_of(start(client))
    name, content = sample_for(["pdf"])
    assert upload(client, f"/dossiers/{public_id}/documents", "TP1", name, content).status_code == 302
    with client.session_transaction() as session:
        secret = session["dossiers"][public_id]
    with served.app.app_context():
        blob = get_blobs().path(db.session.scalars(db.select(Attachment.sha256)).one())
    assert blob.exists()

    # The browser opens the draft by its resume link, and then nobody touches the screen.
    doc = browse(f"{served.url}/resume/{secret}", virtual_ms=40_000)
    assert doc.select_one("main .notice").get_text(strip=True).startswith("Phiên làm việc đã kết thúc")
    with served.app.app_context():
        assert db.session.scalars(db.select(Dossier).where(Dossier.public_id == public_id)).all() == []
        assert db.session.scalars(db.select(Attachment)).all() == []
    assert not blob.exists()


def test_an_empty_kiosk_entry_has_nothing_to_forget(kiosk):
    assert (
        page(kiosk.get("/kiosk/?x")).select_one("#kiosk-bar")["data-idle-seconds"] == "120"
    )  # English chosen
    fresh = kiosk.application.test_client()
    assert page(fresh.get("/kiosk/")).select_one("#kiosk-bar")["data-idle-seconds"] == "0"
    assert page(fresh.get("/")).select_one("#kiosk-bar")["data-idle-seconds"] == "120"


def test_the_countdown_never_starts_while_a_file_is_uploading(make_app, tmp_path):
    app = make_app(KIOSK=True, KIOSK_IDLE_SECONDS=20, KIOSK_WARNING_SECONDS=10)
    html = app.test_client().get("/").text.replace("</main>", "<progress data-uploading></progress></main>")
    doc = in_browser(html, tmp_path, virtual_ms=25_000)
    assert doc.select_one("#kiosk-idle").has_attr("hidden")
    assert doc.select_one("#kiosk-bar") is not None  # still this page: nothing was sent


def test_the_warning_must_come_before_the_timeout(make_app):
    with pytest.raises(ConfigError, match="KIOSK_WARNING_SECONDS"):
        make_app(KIOSK_IDLE_SECONDS=30, KIOSK_WARNING_SECONDS=30)


def test_links_to_other_sites_do_nothing(make_app, tmp_path):
    """A touch on a link elsewhere stays on the page (Chromium's URL allowlist is the fence, see
    docs/kiosk.md); a link on the portal still works."""
    app = make_app(KIOSK=True)
    html = app.test_client().get("/").text
    clicker = tmp_path / "touch.js"  # the test's own finger: a file, as the policy wants
    clicker.write_text('document.getElementById("away").click();', "utf-8")
    html = html.replace(
        "</main>", '<a id="away" href="https://example.org/elsewhere">elsewhere</a></main>'
    ).replace("</head>", f'<script src="{clicker.as_uri()}" defer></script></head>')
    doc = in_browser(html, tmp_path, virtual_ms=2_000)
    away = doc.select_one("#away")
    assert away is not None  # still on this page
    assert "kiosk-blocked" in away["class"]


def test_im_still_here_puts_the_countdown_back(make_app, tmp_path):
    app = make_app(KIOSK=True, KIOSK_IDLE_SECONDS=20, KIOSK_WARNING_SECONDS=10)
    html = app.test_client().get("/").text
    toucher = tmp_path / "still-here.js"  # at 12 s, with the dialog showing, the person answers it
    toucher.write_text(
        "setTimeout(function () {"
        ' if (document.getElementById("kiosk-idle").hidden) { throw new Error("no dialog"); }'
        ' document.getElementById("kiosk-still-here").click(); }, 12000);',
        "utf-8",
    )
    html = html.replace("</head>", f'<script src="{toucher.as_uri()}" defer></script></head>')
    doc = in_browser(html, tmp_path, virtual_ms=25_000)  # without the answer, wiped at 20 s
    assert doc.select_one("#kiosk-bar") is not None
    # Counting again from 12 s: at 25 s the warning is back with about 7 seconds left.
    assert 6 <= int(doc.select_one("#kiosk-countdown").get_text(strip=True)) <= 8
