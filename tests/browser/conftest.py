"""A real browser on the real app: Playwright driving Debian's chromium (launched by its path,
never a browser Playwright downloads) against a live server on a loopback port.

Every page a test opens through `Visit` is screenshotted into test-artifacts/browser/ (kept by
CI as the tests' artefacts) and checked by axe-core (bundled by axe-playwright-python); the axe
results of every page are written beside the screenshots and summed up at the end of the run."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = (
    Path(os.environ.get("OPENDVC_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")) / "browser"
)


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing: make test installs it")
    pytest.skip(f"{what} is not installed (make test installs it)")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's headless chromium, for one module's tests: Playwright's sync API keeps an asyncio
    loop running in this thread while it is open, and the other tests of the process (signing,
    validation) call asyncio.run() themselves, so it is closed before pytest moves on."""
    if CHROMIUM is None:
        _missing("chromium (Debian package)")
    try:
        from playwright.sync_api import sync_playwright  # import here: a missing package fails under CI only
    except ImportError:
        _missing("playwright (requirements-test.txt)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """This test's folder of screenshots and axe results, emptied first."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def server(live_server):
    """The portal with the shipped catalogue, served on a real socket."""
    return live_server()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    results = sorted(ARTIFACTS.glob("*/axe.json"))
    if not results:
        return
    terminalreporter.section("axe-core, per page (serious+critical / all violations)")
    for path in results:
        for entry in json.loads(path.read_text("utf-8")):
            counts = entry["counts"]
            terminalreporter.write_line(
                f"{path.parent.name:48} {entry['page']:28} {counts['serious'] + counts['critical']}"
                f" / {sum(counts.values())}  {', '.join(entry['ids']) or '-'}"
            )
    terminalreporter.write_line(f"screenshots and axe results: {ARTIFACTS}")
