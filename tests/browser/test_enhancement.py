"""Progressive enhancement in a real browser (site.js, no inline script): the conditional
questions appear as the answers change, a required question left empty says so at once, an
upload shows its progress. Without JavaScript the same journey completes (test_citizen_journey)."""

from __future__ import annotations

import pytest

from tests.browser.citizen import Citizen
from tests.files import pdf

MESSAGE = {"en": "Enter an answer", "vi": "Nhập câu trả lời"}


@pytest.fixture
def citizen(browser, server, artifacts, request):
    context = browser.new_context()
    callspec = getattr(request.node, "callspec", None)
    yield Citizen(context.new_page(), artifacts, callspec.params["locale"] if callspec else "en")
    context.close()


def shown(citizen: Citizen, name: str) -> bool:
    return citizen.page.locator(f"#field-{name}").is_visible()


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_questions_appear_as_the_answers_change(citizen, server, locale):
    citizen.find(server.url)
    assert not citizen.page.locator("[data-condition] .condition:visible").count()  # the notes go
    assert not any(shown(citizen, n) for n in ("full_name", "organisation_name"))  # nothing chosen yet
    citizen.page.locator("[name=applicant_type][value=business]").check()
    assert shown(citizen, "organisation_name")
    assert shown(citizen, "enterprise_code")
    assert not shown(citizen, "full_name")
    assert not shown(citizen, "personal_id")
    citizen.seen("business-chosen")
    citizen.page.locator("[name=applicant_type][value=citizen]").check()
    assert shown(citizen, "full_name")
    assert shown(citizen, "personal_id")
    assert not shown(citizen, "organisation_name")
    citizen.seen("citizen-chosen")
    assert citizen.serious() == []


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_an_empty_required_answer_says_so_at_once(citizen, server, locale):
    citizen.find(server.url)
    citizen.page.locator("[name=applicant_type][value=citizen]").check()
    name = citizen.page.locator("#full_name")
    name.fill("Nguyễn Văn An")
    name.fill("")
    name.blur()
    inline = citizen.page.locator("#full_name-inline")
    assert inline.inner_text() == MESSAGE[locale]
    assert name.get_attribute("aria-invalid") == "true"
    assert "full_name-inline" in name.get_attribute("aria-describedby").split()
    citizen.seen("inline-error")
    assert citizen.serious() == []
    name.press_sequentially("Nguyễn Văn An")
    assert inline.count() == 0
    assert name.get_attribute("aria-invalid") is None
    # An optional question never complains.
    phone_box = citizen.page.locator("#field-phone")
    if phone_box.locator(".optional").count():
        citizen.page.locator("#phone").fill("1")
        citizen.page.locator("#phone").fill("")
        citizen.page.locator("#phone").blur()
        assert citizen.page.locator("#phone-inline").count() == 0


def test_an_upload_shows_its_progress(citizen, server, tmp_path):
    citizen.find(server.url)
    citizen.fill()
    big = tmp_path / "phieu-yeu-cau.pdf"
    big.write_bytes(pdf(300))  # ~37 KB: several seconds at the throttled rate below
    section = citizen.page.locator("section.component[data-component=TP1]")
    section.locator("input[type=file]").set_input_files(big)
    cdp = citizen.page.context.new_cdp_session(citizen.page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 6 * 1024},
    )
    with citizen.page.expect_navigation(wait_until="load", timeout=120_000):
        section.locator("form[enctype] button").click()
        bar = citizen.page.locator("progress.upload-progress")
        citizen.page.wait_for_function(
            "() => { const b = document.querySelector('progress.upload-progress'); return b && b.value > 0; }"
        )
        assert bar.get_attribute("aria-label").endswith("phieu-yeu-cau.pdf")
        assert citizen.page.locator("html").get_attribute("data-uploading") == "true"
        assert section.locator("form[enctype] button").is_disabled()
        citizen.seen("uploading")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    assert citizen.page.url.endswith("/documents")
    assert "phieu-yeu-cau.pdf" in section.locator(".files").inner_text()
    assert citizen.page.locator("html").get_attribute("data-uploading") is None
    assert citizen.refused == []  # the upload's XMLHttpRequest is the portal's own address
