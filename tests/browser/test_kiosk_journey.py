"""The kiosk's journey in Debian's chromium over a live server (OPENDVC_KIOSK=true), in both
languages: a person chooses the service on the touch screen, scans the QR code of their ID card
(the scanner types it into the focused field and presses Enter), answers one question per screen,
attaches the document, signs with the card in the reader (SoftHSM2) by typing the PIN on the
on-screen keypad, submits, pays the fee with the demo provider (the terminal's configured one),
prints the slip (page.pdf() of the 80 mm slip, read back with pdftotext), rates the service and
walks away. The idle timeout (shortened by the settings) wipes the screen: the next person sees
nothing of them, going back included. The next person leaves a draft with a file behind; the
wipe deletes both on the server.

Every kiosk page is screenshotted and checked by axe-core (tests/browser/citizen.py's `Citizen`,
whose `seen` keeps both under test-artifacts/browser/<test>/)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from app.dossiers.models import Attachment, Dossier
from app.dossiers.status import Status
from app.extensions import db
from app.ratings.models import Rating
from app.storage import get_blobs
from tests import files
from tests.browser.citizen import PROCEDURE, Citizen, fee_catalog
from tests.conftest import PIN
from tests.journey import step_pairs
from tests.waiting import PATIENCE

# The card the scanner reads (tests/kiosk/test_kiosk.py's):
# number|old number|name|date of birth|sex|address|issue date
CARD = (
    "001099012345|123456789|Nguyễn Thị Thu Hà|15031990|Nữ|12 Lê Thánh Tông, Phường Hoàn Kiếm, Hà Nội|10082021"
)
NAME, NUMBER = "Nguyễn Thị Thu Hà", "001099012345"
MALFORMED = "001099012345|Nguyễn Thị Thu Hà|1503"
IDLE, WARNING = 20, 5  # seconds: the shortest timeout the settings allow
WAIT_MS = PATIENCE * 1000
LANGUAGE = {"vi": "Tiếng Việt", "en": "English"}
ENDED = {
    "vi": "Phiên làm việc đã kết thúc",
    "en": "The session ended because nobody touched the screen",
}
SLIP_WORDS = {
    "vi": ("Mã hồ sơ", "Mã tra cứu", "Giấy tờ đã tiếp nhận"),
    "en": ("Dossier code", "Access code", "What was received"),
}


@pytest.fixture
def kiosk_server(live_server, softhsm, tmp_path):
    """A kiosk terminal: every page in the kiosk layout, signing with the card (PKCS#11 on
    SoftHSM2), the procedure's fee paid with the configured provider (the demo one) before the
    slip is printed, wiped after IDLE seconds without a touch."""
    return live_server(
        CATALOG_DIR=fee_catalog(tmp_path / "catalog"),
        PAYMENT_PROVIDERS=["demo"],
        KIOSK=True,
        KIOSK_IDLE_SECONDS=IDLE,
        KIOSK_WARNING_SECONDS=WARNING,
        SIGNING_PROVIDERS=["pkcs11"],
        **softhsm,
    )


class Kiosk(Citizen):
    """A person at the kiosk: `Citizen`'s screenshots, axe checks and answers, touched on the
    kiosk's own screens."""

    def choose_language(self) -> None:
        current = self.page.locator("#kiosk-bar .kiosk-languages [aria-current]")
        if current.get_attribute("lang") != self.locale:
            self.press(self.page.locator(f"#kiosk-bar .kiosk-languages a[lang={self.locale}]"))
        assert self.page.locator("html").get_attribute("lang") == self.locale

    def start(self) -> None:
        """On the entry screen: the language, then the service."""
        self.choose_language()
        self.seen("entry")
        self.press(self.page.locator("button.kiosk-choice", has_text=PROCEDURE.name.get(self.locale)))
        self.page.wait_for_url("**/scan")

    def scan(self, text: str) -> None:
        """The scanner types into the focused field, then sends Enter."""
        field = self.page.locator("input[name=scan]")
        expect(field).to_be_focused()  # autofocus: the scan lands in it without a touch
        with self.page.expect_navigation(wait_until="load"):
            self.page.keyboard.type(text)
            self.page.keyboard.press("Enter")

    def screen(self) -> tuple[Page, object]:
        """The question on the screen (the only one)."""
        shown = self.page.locator("main form[method=post] > .field:not([hidden]):not(.kiosk-question-hidden)")
        expect(shown).to_have_count(1)
        return self.page, shown.first

    def fill(self, answers: dict[str, list[tuple[str, str]]] | None = None) -> None:
        """Every step, one question per screen: answer it (what the card filled is left as it
        is), then Next question, and on the last one the step's Continue."""
        for step in PROCEDURE.form.steps:
            assert f"/steps/{step.id}" in self.page.url, self.page.url
            self.seen(f"step-{step.id}")
            pairs = step_pairs(step)
            screens = 0
            while True:
                _, question = self.screen()
                screens += 1
                self.page.screenshot(
                    path=self.artifacts / f"{self.shots:02d}-step-{step.id}-q{screens}.png", full_page=True
                )
                for name, value in pairs:
                    box = question.locator(f'[name="{name}"]')
                    if box.count() == 0:
                        continue
                    kind = box.first.get_attribute("type")
                    if kind not in ("radio", "checkbox") and box.first.input_value():
                        continue  # filled by the card
                    self.answer(name, value)
                following = self.page.locator(".kiosk-question-nav button:not(.secondary)")
                if following.is_visible():
                    following.click()
                    continue
                break
            assert screens > 1 or len(step.fields) == 1, f"{step.id}: one screen for several questions"
            self.press(self.page.locator("button[name=action][value=continue]"))
            assert not self.page.locator("#error-summary").count(), self.page.locator(
                "#error-summary"
            ).inner_text()

    def sign_with_card(self) -> None:
        """The card in the reader; the PIN typed on the on-screen keypad."""
        self.seen("review-unsigned")
        self.press(self.page.locator("a.button[href$='/sign']"))
        self.page.wait_for_url("**/sign")
        self.seen("sign")
        section = self.page.locator("#method-pkcs11")
        pin = section.locator("input[name=pin]")
        assert pin.get_attribute("type") == "password"
        assert pin.get_attribute("autocomplete") == "off"
        assert pin.get_attribute("inputmode") == "none"  # the keypad, not a system keyboard
        keypad = section.locator(".kiosk-keypad")
        keypad.locator('button[data-key="9"]').click()
        keypad.locator('button[data-key="⌫"]').click()  # a slip of the finger, taken back
        for digit in PIN:
            keypad.locator(f'button[data-key="{digit}"]').click()
        assert pin.input_value() == PIN
        self.page.screenshot(path=self.artifacts / f"{self.shots:02d}-sign-pin-typed.png", full_page=True)
        with self.page.expect_navigation(wait_until="load"):
            keypad.locator('button[data-key="✓"]').click()
        self.page.wait_for_url("**/review")
        assert PIN not in self.page.url

    def print_slip(self, code: str, folder: Path) -> str:
        """From the acknowledgement, Print the slip: the 80 mm slip as the kiosk's printer gets
        it (Chromium's print to PDF); the text pdftotext reads on it."""
        self.press(self.page.locator("#kiosk-bar a.kiosk-slip"))
        self.page.wait_for_url("**/slip?layout=80mm")
        self.seen("slip-80mm")
        pdf = folder / "slip-80mm.pdf"
        self.page.pdf(path=pdf, width="80mm", prefer_css_page_size=True)
        shown = self.artifacts / "slip-80mm.pdf"
        shown.write_bytes(pdf.read_bytes())
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        width = float(info.split("Page size:")[1].split("x")[0])
        assert abs(width - 80 / 25.4 * 72) < 1, info  # 80 mm in points
        text = pdf_text(pdf)
        # The same slip on A4, for a desk with an ordinary printer; then back to the 80 mm one.
        self.press(self.page.locator("a.layout-a4"))
        self.seen("slip-a4")
        a4 = folder / "slip-a4.pdf"
        self.page.pdf(path=a4, format="A4")
        (self.artifacts / "slip-a4.pdf").write_bytes(a4.read_bytes())
        assert code in pdf_text(a4)
        self.page.go_back()
        self.page.wait_for_url("**/slip?layout=80mm")
        return text

    def rate(self) -> None:
        self.page.go_back()  # from the 80 mm slip to the acknowledgement, which has Rate the service
        self.page.wait_for_selector("#kiosk-bar a.kiosk-rate")
        self.press(self.page.locator("#kiosk-bar a.kiosk-rate"))
        self.seen("rating")
        self.page.locator("input[name=score][value='5']").check()
        self.press(self.page.locator("main form button[type=submit]"))
        self.seen("rating-thanks")

    def walk_away(self) -> None:
        """Nobody touches the screen: the countdown shows, then the kiosk wipes itself."""
        dialog = self.page.locator("#kiosk-idle")
        expect(dialog).to_be_visible(timeout=WAIT_MS)
        assert 1 <= int(self.page.locator("#kiosk-countdown").inner_text()) <= WARNING
        self.seen("idle-countdown")
        self.page.wait_for_url("**/kiosk/?ended=idle", timeout=WAIT_MS)
        self.seen("after-the-wipe")
        notice = self.page.locator("main .notice").inner_text()
        assert notice.startswith(ENDED["vi"]), notice  # in the default language again

    def nothing_of(self, *traces: str) -> None:
        """The screen shows none of `traces`, and the page keeps nothing in its storage; then the
        back button, as far as history goes, shows none of them either: every dossier page is
        asked for again (no-store) and is not found, a page that answered a form is not sent
        again."""
        self.page.wait_for_load_state("load")
        content = self.page.content()
        for trace in traces:
            assert trace not in content, (self.page.url, trace)
        assert self.page.evaluate("window.localStorage.length + window.sessionStorage.length") == 0
        seen_back = False
        for _ in range(60):
            refusal = None
            try:
                answer = self.page.go_back(wait_until="load")
            except PlaywrightError as refused:
                answer, refusal = None, refused.message
            if refusal is not None:  # a page that answered a form: never sent again
                assert "ERR_CACHE_MISS" in refusal, refusal
            elif answer is None:
                break
            elif "/dossiers/" in self.page.url:  # no-store: asked again, and forgotten
                assert answer.status == 404, (self.page.url, answer.status)
                if not seen_back:
                    self.seen("back-not-found")
                    seen_back = True
            content = self.settled_content()
            for trace in traces:
                assert trace not in content, (self.page.url, trace)
        else:
            raise AssertionError("the history never ends")

    def settled_content(self) -> str:
        """The page's HTML once it stopped navigating (an error page takes its place)."""
        for _ in range(100):
            try:
                return self.page.content()
            except PlaywrightError:
                self.page.wait_for_load_state("load")
        raise AssertionError(f"{self.page.url} never settles")


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def blob_exists(app, sha256: str) -> bool:
    with app.app_context():
        return get_blobs().path(sha256).exists()


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_kiosk_journey_and_the_idle_wipe(browser, kiosk_server, artifacts, tmp_path, locale):
    context = browser.new_context(viewport={"width": 1080, "height": 1920})
    try:
        person = Kiosk(context.new_page(), artifacts, locale)
        person.page.goto(f"{kiosk_server.url}/kiosk/")

        # The first person: the card scanned (a bad read first), one question per screen.
        person.start()
        person.seen("scan")
        person.scan(MALFORMED)
        assert person.page.locator(".scan-error").is_visible()
        person.seen("scan-refused")
        person.page.locator("input[name=scan]").fill("")
        person.scan(CARD)
        assert "/steps/" in person.page.url, person.page.url
        assert person.page.locator('[name="personal_id"]').input_value() == NUMBER
        assert person.page.locator('[name="full_name"]').input_value() == NAME
        assert person.page.locator('[name="applicant_type"][value=citizen]').is_checked()
        person.fill()
        person.attach(tmp_path)
        assert NAME in person.page.locator("main").inner_text()
        person.sign_with_card()
        code, secret = person.submit_and_pay()
        assert person.page.locator("html").get_attribute("lang") == locale

        slip = person.print_slip(code, tmp_path)
        words = " ".join(slip.split())  # the narrow paper wraps long lines
        for word in (NAME, "document.pdf", *SLIP_WORDS[locale], PROCEDURE.name.get(locale)):
            assert word in words, (word, slip)
        lines = [line.strip() for line in slip.splitlines()]
        for code_word in (code, secret):  # whole, each on a line of its own: copied from the paper
            assert code_word in lines, (code_word, slip)
        person.rate()

        # Nobody touches the screen: the wipe; the next person sees nothing, going back included.
        person.walk_away()
        person.nothing_of(code, secret, NAME, NUMBER)
        with kiosk_server.app.app_context():
            kept = db.session.scalars(db.select(Dossier).where(Dossier.code == code)).one()
            # A submitted dossier stays: its owner has the slip.
            assert kept.status not in (Status.DRAFT, Status.SIGNED)
            rating = db.session.scalars(db.select(Rating).where(Rating.dossier_id == kept.id)).one()
            assert (rating.score, rating.procedure_code) == (5, PROCEDURE.code)

        # The next person starts a draft, attaches a file, and leaves it.
        person.page.goto(f"{kiosk_server.url}/kiosk/")  # the terminal's start page (nothing held)
        person.start()
        public_id = person.page.url.split("/dossiers/")[1].split("/")[0]
        person.scan(CARD)
        person.fill()
        assert person.page.url.endswith("/documents")
        content = files.pdf(pages=2)  # not the first person's file: no blob is shared
        sha256 = hashlib.sha256(content).hexdigest()
        path = tmp_path / "phieu-yeu-cau-nguoi-sau.pdf"
        path.write_bytes(content)
        section = person.page.locator("section.component[data-component=TP1]")
        section.locator("input[type=file]").set_input_files(path)
        person.press(section.locator("form[enctype] button"))
        expect(section.locator(".files li")).to_contain_text(path.name)
        person.seen("draft-attached")
        assert blob_exists(kiosk_server.app, sha256)

        person.walk_away()
        with kiosk_server.app.app_context():
            assert db.session.scalars(db.select(Dossier).where(Dossier.public_id == public_id)).all() == []
            assert db.session.scalars(db.select(Attachment).where(Attachment.sha256 == sha256)).all() == []
        assert not blob_exists(kiosk_server.app, sha256)
        person.nothing_of(path.name, NAME, NUMBER)
    finally:
        context.close()
    print(f"screenshots and axe results: {artifacts}")
    assert person.serious() == []
    assert person.refused == []  # kiosk.js, kiosk.css and the kiosk's pages hold to the content policy
