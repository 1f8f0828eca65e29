"""Independent judges: poppler's pdfsig and the pyHanko command line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# The pyHanko CLI is installed in the same environment as the tests (pyhanko-cli).
PYHANKO = str(Path(sys.executable).parent / "pyhanko")


def missing_tools() -> list[str]:
    return [tool for tool in ("pdfsig", "pdftoppm", "pdftotext", PYHANKO) if shutil.which(tool) is None]


@dataclass(frozen=True)
class PdfsigReport:
    valid: bool
    whole_document: bool
    digest_mismatch: bool
    text: str


def pdfsig(path: Path) -> PdfsigReport:
    """pdfsig always exits 0: read its text. -nocert: the trust question is ours, not NSS's."""
    out = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True, check=False).stdout
    return PdfsigReport(
        valid="Signature Validation: Signature is Valid." in out,
        whole_document="Total document signed" in out,
        digest_mismatch="Digest Mismatch" in out,
        text=out,
    )


def pyhanko_validate(path: Path, trust_root: Path) -> subprocess.CompletedProcess:
    """Exits 0 only when the signature is valid and trusted."""
    return subprocess.run(
        [
            PYHANKO,
            "sign",
            "validate",
            "--pretty-print",
            "--trust",
            str(trust_root),
            "--trust-replace",
            "--no-revocation-check",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
