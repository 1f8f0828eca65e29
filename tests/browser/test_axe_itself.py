"""The checks are real: on a page with known faults axe-core finds them, as serious or critical,
and chromium's report of a refused inline script reaches the journeys' console listener."""

from __future__ import annotations

from tests.browser.citizen import Citizen, axe_violations

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


def test_a_refused_inline_script_is_reported(browser, tmp_path):
    """The console listener the journeys rely on hears chromium refuse what the policy forbids."""
    context = browser.new_context()
    try:
        citizen = Citizen(context.new_page(), tmp_path, "en")
        citizen.page.set_content(
            "<!doctype html><html lang=en><head><meta http-equiv='Content-Security-Policy' "
            "content=\"default-src 'self'\"><title>x</title></head>"
            "<body><script>document.title = 'ran'</script></body></html>"
        )
        assert citizen.page.title() == "x"
    finally:
        context.close()
    assert any("inline script" in line for line in citizen.refused), citizen.refused
