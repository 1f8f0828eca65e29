"""The blob store as a person with a shell sees it: the files on disk, counted."""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import Flask


def blob_files(app: Flask) -> set[str]:
    """The digests of the blob files on disk (not the temporary uploads)."""
    root = Path(app.config["BLOB_DIR"])
    return {p.name for p in root.glob("??/*") if len(p.name) == 64}


def age_blobs(app: Flask, seconds: float = 2 * 24 * 3600) -> None:
    """Every blob file as if stored `seconds` ago: past the sweep's grace period."""
    then = time.time() - seconds
    for path in Path(app.config["BLOB_DIR"]).glob("??/*"):
        os.utime(path, (then, then))


def sweep(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["blobs", "sweep", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip()
