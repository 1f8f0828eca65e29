"""A page as Debian's headless chromium leaves it after the portal's own scripts ran on it
(`--dump-dom`): for tests of site.js and kiosk.js on pages as the server renders them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from app.config import PACKAGE_DIR

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def in_browser(html: str, tmp_path: Path, *, virtual_ms: int = 0) -> BeautifulSoup:
    """The page after site.js and kiosk.js ran on it (for `virtual_ms` of virtual time). Under
    CI a missing chromium fails the test; elsewhere it is skipped."""
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing: make test installs Debian's chromium package")
        pytest.skip("chromium is not installed (make test installs it)")
    for name in ("site.js", "kiosk.js", "site.css", "kiosk.css"):
        html = html.replace(f"/static/{name}", (PACKAGE_DIR / "static" / name).as_uri())
    page_file = tmp_path / "page.html"
    page_file.write_text(html, "utf-8")
    budget = [f"--virtual-time-budget={virtual_ms}"] if virtual_ms else []
    dumped = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            *budget,
            "--dump-dom",
            page_file.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return BeautifulSoup(dumped, "html.parser")
