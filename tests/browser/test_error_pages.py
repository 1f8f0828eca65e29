"""The pages a citizen meets when something is wrong, in a real browser with axe-core: the error
summary (GOV.UK's pattern) is announced (role=alert), takes the focus, and each of its links leads
to a question on the page; no serious or critical violation on any of them, in both languages."""

from __future__ import annotations

import pytest

from tests.browser.citizen import Citizen


@pytest.fixture(params=["vi", "en"])
def citizen(browser, server, artifacts, request):
    context = browser.new_context()
    yield Citizen(context.new_page(), artifacts, request.param)
    context.close()


def summary_is_focused(citizen: Citizen) -> None:
    summary = citizen.page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    citizen.page.wait_for_function(
        "() => document.activeElement && document.activeElement.id === 'error-summary'"
    )
    for link in summary.locator("a[href^='#']").all():
        assert citizen.page.locator(link.get_attribute("href")).count() == 1, link.get_attribute("href")


def test_error_pages_are_accessible(citizen, server):
    citizen.find(server.url)
    citizen.press(citizen.page.locator("button[name=action][value=continue]"))  # nothing answered
    summary_is_focused(citizen)
    citizen.seen("step-errors")
    steps_url = citizen.page.url
    # The review page of a dossier not complete yet says what is missing.
    citizen.page.goto(steps_url.split("/steps/")[0] + "/review")
    assert citizen.page.locator("#error-summary").count() == 1
    citizen.page.wait_for_function(
        "() => document.activeElement && document.activeElement.id === 'error-summary'"
    )
    citizen.seen("review-incomplete")
    # Tracking with a wrong code.
    citizen.page.goto(f"{server.url}/track")
    citizen.page.locator("#code").fill("000.00.00.H00-000000-0000")
    citizen.page.locator("#secret").fill("not-a-secret")
    citizen.press(citizen.page.locator("main form button[type=submit]"))
    summary_is_focused(citizen)
    citizen.seen("track-unknown")
    citizen.page.goto(f"{server.url}/procedures/no-such-procedure")
    citizen.seen("not-found")
    assert citizen.serious() == []
