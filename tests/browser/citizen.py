"""The citizen's journey in a real browser, as a person goes through it: find the procedure,
answer each step, attach the documents, check the answers, sign with the test citizen's key file,
submit, and track the dossier later with its code and access code.

`Citizen` does it with the mouse (Playwright's clicks and fills) or, with `keyboard=True`, with
the keyboard alone: Tab to each question, type, Space to tick, Enter to press a button."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page

from app.catalog.loader import load_folder
from app.catalog.schema import Procedure
from app.config import PACKAGE_DIR
from tests.files import sample_for
from tests.journey import step_pairs

CODE = "1.009780"  # khai thác, sử dụng dữ liệu tài nguyên và môi trường: a question shown by an answer
PROCEDURE: Procedure = load_folder(PACKAGE_DIR / "catalog" / "procedures")[CODE].definition
SEARCH = {"vi": "dữ liệu tài nguyên", "en": "environment information and data"}
# The same procedure with a fixed fee paid online before the dossier is sent (issue 13 §1): the
# journeys that pay with the demo provider serve the catalogue `fee_catalog` writes.
FEE, FEE_CODE = 200_000, "P.TNMT.01"
SHOWN_FEE = {"vi": "200.000", "en": "200,000"}
DEMO = {"vi": "Thanh toán thử (không trừ tiền)", "en": "Demonstration payment (nothing is charged)"}


def fee_catalog(folder: Path) -> Path:
    """The shipped definition of PROCEDURE, its fee decided later made a fixed one."""
    name = "du-lieu-tnmt-khai-thac-su-dung.yaml"
    source = (PACKAGE_DIR / "catalog" / "procedures" / name).read_text("utf-8")
    assert source.count("    decided_later: true\n") == 1
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(
        source.replace("    decided_later: true\n", f"    code: {FEE_CODE}\n    amount: {FEE}\n"), "utf-8"
    )
    return folder


IMPACTS = ("minor", "moderate", "serious", "critical")
AXE = Axe()
# WCAG 2.2 AA (the target) and axe's best practices, whatever axe enables by default.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


def axe_violations(page: Page) -> list[dict]:
    """What axe-core, injected into the page, finds wrong with it."""
    return AXE.run(page, options=AXE_OPTIONS).response["violations"]


@dataclass
class Citizen:
    page: Page
    artifacts: Path
    locale: str
    keyboard: bool = False
    javascript: bool = True
    axe: list[dict] = field(default_factory=list)
    shots: int = 0
    refused: list[str] = field(default_factory=list)  # what the Content-Security-Policy refused

    def __post_init__(self) -> None:
        self.use(self.page)

    def use(self, page: Page) -> None:
        """Go on in `page` (another visit); chromium reports each policy violation on its console."""
        self.page = page
        page.on(
            "console",
            lambda message: (
                self.refused.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )

    # Every page: a screenshot, and axe-core's verdict.
    def seen(self, label: str) -> None:
        self.page.wait_for_load_state("load")
        self.shots += 1
        self.page.screenshot(path=self.artifacts / f"{self.shots:02d}-{label}.png", full_page=True)
        if not self.javascript:
            return  # axe runs in the page: the same pages are checked with JavaScript on
        found = axe_violations(self.page)
        self.axe.append(
            {
                "page": label,
                "url": self.page.url,
                "counts": {i: sum(1 for v in found if v["impact"] == i) for i in IMPACTS},
                "ids": sorted(f"{v['id']}({v['impact']})" for v in found),
                "violations": [
                    {
                        "id": v["id"],
                        "impact": v["impact"],
                        "help": v["help"],
                        "targets": [n["target"] for n in v["nodes"]],
                    }
                    for v in found
                ],
            }
        )
        (self.artifacts / "axe.json").write_text(json.dumps(self.axe, indent=1, ensure_ascii=False), "utf-8")

    def serious(self) -> list[dict]:
        """The serious and critical violations axe found on every page seen."""
        return [
            {"page": e["page"], **v}
            for e in self.axe
            for v in e["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    # The keyboard alone: Tab (forwards only) until `target` has the focus, then act on it.
    def tab_to(self, target: Locator) -> None:
        handle = target.element_handle()
        for _ in range(400):
            self.page.keyboard.press("Tab")
            if self.page.evaluate("el => document.activeElement === el", handle):
                return
        raise AssertionError(f"Tab never reaches {target}")

    def press(self, target: Locator) -> None:
        """Press a button or follow a link, and wait for the page it leads to."""
        with self.page.expect_navigation(wait_until="load"):
            if self.keyboard:
                self.tab_to(target)
                self.page.keyboard.press("Enter")
            else:
                target.click()

    def answer(self, name: str, value: str) -> None:
        """Give one answer, if the question is on the page and shown."""
        boxes = self.page.locator(f'[name="{name}"]')
        if boxes.count() == 0 or not boxes.first.is_visible():
            return
        kind = boxes.first.evaluate("el => el.tagName === 'INPUT' ? el.type : el.tagName.toLowerCase()")
        if kind in ("radio", "checkbox"):
            box = self.page.locator(f'[name="{name}"][value="{value}"]')
            if self.keyboard:
                self.tab_to(box) if kind == "checkbox" else self._tab_to_radio(name, box)
                if not box.is_checked():
                    self.page.keyboard.press("Space")
            else:
                box.check()
            assert box.is_checked()
        elif kind == "select":
            if self.keyboard:
                self.tab_to(boxes.first)
                for _ in range(50):
                    if boxes.first.input_value() == value:
                        break
                    self.page.keyboard.press("ArrowDown")
            else:
                boxes.first.select_option(value)
            assert boxes.first.input_value() == value
        elif kind == "date":
            if self.keyboard:
                return  # an optional date: left empty (typed dates follow the browser's locale)
            boxes.first.fill(value)
        else:
            if self.keyboard:
                self.tab_to(boxes.first)
                self.page.keyboard.press("Control+A")
                self.page.keyboard.type(value)
            else:
                boxes.first.fill(value)
            assert boxes.first.input_value() == value

    def _tab_to_radio(self, name: str, box: Locator) -> None:
        """Tab reaches a radio group once; the arrow keys move within it."""
        self.tab_to(self.page.locator(f'[name="{name}"]:checked, [name="{name}"]').first)
        for _ in range(20):
            if box.evaluate("el => document.activeElement === el"):
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"the arrows never reach {box}")

    # The journey, page by page.
    def find(self, base_url: str) -> None:
        self.page.goto(f"{base_url}/language/{self.locale}")
        self.seen("catalogue")
        search = self.page.locator("#q")
        if self.keyboard:
            self.tab_to(search)
            self.page.keyboard.type(SEARCH[self.locale])
            self.page.keyboard.press("Enter")
        else:
            search.fill(SEARCH[self.locale])
            self.page.locator("form[role=search] button").click()
        self.page.wait_for_url("**/?q=*")
        self.seen("search-results")
        self.press(self.page.get_by_role("link", name=PROCEDURE.name.get(self.locale)))
        self.page.wait_for_url(f"**/procedures/{CODE}")
        self.seen("procedure")
        self.press(self.page.locator("button.start"))
        self.page.wait_for_url("**/steps/**")

    def fill(self, answers: dict[str, list[tuple[str, str]]] | None = None) -> None:
        """Answer every step; `answers` overrides the generated answers of a step by its id."""
        for step in PROCEDURE.form.steps:
            assert f"/steps/{step.id}" in self.page.url, self.page.url
            self.seen(f"step-{step.id}")
            pairs = (answers or {}).get(step.id) or step_pairs(step)
            for name, value in pairs:
                self.answer(name, value)
            self.press(self.page.locator("button[name=action][value=continue]"))
            assert not self.page.locator("#error-summary").count(), self.page.locator(
                "#error-summary"
            ).inner_text()

    def attach(self, folder: Path) -> None:
        assert self.page.url.endswith("/documents"), self.page.url
        self.seen("documents")
        components = {c.code: c for c in PROCEDURE.components}
        while True:
            wanted = self.page.locator("section.component[data-required=true]:not(:has(.files li))")
            if wanted.count() == 0:
                break
            section = wanted.first
            name, content = sample_for(components[section.get_attribute("data-component")].accepted_types)
            path = folder / name
            path.write_bytes(content)
            chooser_input = section.locator("input[type=file]")
            if self.keyboard:
                with self.page.expect_file_chooser() as chosen:
                    self.tab_to(chooser_input)
                    self.page.keyboard.press("Space")
                chosen.value.set_files(path)
            else:
                chooser_input.set_input_files(path)
            self.press(section.locator("form[enctype] button"))
            assert not self.page.locator("#error-summary").count(), self.page.locator(
                "#error-summary"
            ).inner_text()
        self.seen("documents-attached")
        self.press(self.page.locator("a.button[href$='/review']"))
        self.page.wait_for_url("**/review")

    def sign(self, key_file: Path, passphrase: str) -> None:
        self.seen("review-unsigned")
        self.press(self.page.locator("a.button[href$='/sign']"))
        self.page.wait_for_url("**/sign")
        self.seen("sign")
        section = self.page.locator("#method-pkcs12")
        if self.keyboard:
            with self.page.expect_file_chooser() as chosen:
                self.tab_to(section.locator("input[type=file]"))
                self.page.keyboard.press("Space")
            chosen.value.set_files(key_file)
            self.tab_to(section.locator("input[type=password]"))
            self.page.keyboard.type(passphrase)
        else:
            section.locator("input[type=file]").set_input_files(key_file)
            section.locator("input[type=password]").fill(passphrase)
        self.press(section.locator("button[type=submit]"))
        self.page.wait_for_url("**/review")

    def submit(self) -> tuple[str, str]:
        """Submit from the review page: the dossier code and access code the acknowledgement gives."""
        self.seen("review-signed")
        assert self.page.locator(".signed").count() == 1
        self.press(self.page.locator("main form[method=post] button[type=submit]").last)
        self.page.wait_for_selector(".dossier-code")
        self.seen("acknowledgement")
        return (
            self.page.locator(".dossier-code").inner_text().strip(),
            self.page.locator("code.secret").inner_text().strip(),
        )

    def submit_and_pay(self) -> tuple[str, str]:
        """Submit a dossier whose fee is paid before it is sent: the payment page, the demo
        provider chosen, Pay; back on the dossier's page, submitted, with the receipt of the
        payment; the dossier code and access code from its acknowledgement."""
        self.seen("review-signed")
        told = self.page.locator(".pay-online").inner_text()
        assert SHOWN_FEE[self.locale] in told, told
        self.press(self.page.locator("main form[method=post] button[type=submit]").last)
        self.page.wait_for_url("**/payment")
        self.seen("payment")
        assert SHOWN_FEE[self.locale] in self.page.locator(".due-total").inner_text()
        assert self.page.locator("tr.charge-item").get_attribute("data-code") == FEE_CODE
        provider = self.page.get_by_label(DEMO[self.locale])
        if self.keyboard:
            self._tab_to_radio("provider", provider)
            if not provider.is_checked():
                self.page.keyboard.press("Space")
        else:
            provider.check()
        assert provider.is_checked()
        self.press(self.page.locator("form.pay-form button.pay"))
        self.page.wait_for_url("**/status")
        self.seen("paid")
        assert self.page.locator("li.payment.payment-paid").count() == 1
        assert self.page.locator("a.payment-receipt").count() == 1
        assert self.page.locator("a.pay-link").count() == 0
        receipt = self.page.request.get(self.page.locator("a.payment-receipt").evaluate("a => a.href"))
        assert receipt.ok, receipt.status
        assert receipt.body().startswith(b"%PDF")
        self.press(self.page.locator("main a.acknowledgement"))
        self.page.wait_for_selector(".dossier-code")
        self.seen("acknowledgement")
        return (
            self.page.locator(".dossier-code").inner_text().strip(),
            self.page.locator("code.secret").inner_text().strip(),
        )

    def track(self, base_url: str, code: str, secret: str) -> None:
        """Another visit, another browser: the tracking form opens the dossier with both codes."""
        self.page.goto(f"{base_url}/language/{self.locale}")
        self.press(self.page.locator("header nav a[href$='/track']"))
        self.page.wait_for_url("**/track")
        self.seen("track")
        for selector, value in (("#code", code), ("#secret", secret)):
            if self.keyboard:
                self.tab_to(self.page.locator(selector))
                self.page.keyboard.type(value)
            else:
                self.page.locator(selector).fill(value)
        self.press(self.page.locator("main form button[type=submit]"))
        self.page.wait_for_url(lambda url: "/track" not in url)
        self.seen("dossier-status")
        assert code in self.page.locator("main").inner_text()
