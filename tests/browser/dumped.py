"""A page as Debian's headless chromium leaves it after the portal's own scripts ran on it
(`--dump-dom`): for tests of site.js and kiosk.js on pages as the server renders them."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from app.config import PACKAGE_DIR

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def in_browser(html: str, tmp_path: Path, *, virtual_ms: int = 0) -> BeautifulSoup:
    """The page after site.js and kiosk.js ran on it (for `virtual_ms` of virtual time). Under
    CI a missing chromium fails the test; elsewhere it is skipped."""
    for name in ("site.js", "kiosk.js", "site.css", "kiosk.css"):
        html = html.replace(f"/static/{name}", (PACKAGE_DIR / "static" / name).as_uri())
    page_file = tmp_path / "page.html"
    page_file.write_text(html, "utf-8")
    return dump_dom(page_file.as_uri(), virtual_ms=virtual_ms, extra=["--allow-file-access-from-files"])


def dump_dom(url: str, *, virtual_ms: int = 0, extra: list[str] | None = None) -> BeautifulSoup:
    """What chromium's DOM holds after `virtual_ms` of virtual time on `url`. Each run has a
    profile of its own: two chromium processes of parallel tests never share one (a second
    process on the same profile hands its work to the first and waits)."""
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing: make test installs Debian's chromium package")
        pytest.skip("chromium is not installed (make test installs it)")
    budget = [f"--virtual-time-budget={virtual_ms}"] if virtual_ms else []
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        dumped = subprocess.run(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={profile}",
                *(extra or []),
                *budget,
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    return BeautifulSoup(dumped, "html.parser")
