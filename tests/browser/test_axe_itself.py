"""The axe-core check is real: on a page with known faults it finds them, as serious or critical."""

from __future__ import annotations

from tests.browser.citizen import axe_violations

FAULTY = """<!doctype html><html><head><title>x</title></head><body><main>
<img src="/nowhere.png"><button></button><input type="text">
<p style="color:#bbb;background:#fff">faint text</p></main></body></html>"""


def test_axe_finds_what_is_wrong(browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(FAULTY)
        found = {v["id"]: v["impact"] for v in axe_violations(page)}
    finally:
        context.close()
    assert found["image-alt"] == "critical"
    assert found["button-name"] == "critical"
    assert found["label"] == "critical"
    assert found["color-contrast"] == "serious"
    assert found["html-has-lang"] == "serious"
