"""Validation time of an uploaded signed declaration, before and after the difference analysis
of issue 8 (nothing but the signature between the declaration and the applicant's signature),
side by side with pyHanko's plain validation of the same file (the baseline, same run).

    python -m bench.declaration_check

- baseline: `async_validate_pdf_signature` on the one signature, pyHanko's defaults.
- before: what the upload path did up to issue 8: the declaration's bytes as a prefix, then
  every signature validated (`validate`).
- after: `check_declaration`: the same, plus pyHanko's difference analysis of the revisions
  between the declaration and the signature, the signature's widgets, and the certificate checks.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import tempfile
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from app.signing.validation import check_declaration, validate
from bench.common import median_seconds
from bench.signing import declaration_like
from tests.pki import serve
from tests.signing import forgeries

REPEAT = 25
AREA = (0, 40, 595.28, 800)  # the upload path checks where a visible signature lies too


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pki, server = serve(Path(tmp))
        try:
            declaration = declaration_like()
            files = {
                "B-B, invisible": forgeries.sign(declaration, pki.pkcs12("citizen")),
                "B-T, visible": forgeries.sign(
                    declaration, pki.pkcs12("citizen"), box=(350, 60, 560, 120), tsa_url=pki.tsa_url
                ),
            }

            def context() -> ValidationContext:
                return ValidationContext(trust_roots=[pki.arch.get_cert("root")])

            def plain(signed: bytes) -> None:
                embedded = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
                asyncio.run(async_validate_pdf_signature(embedded, signer_validation_context=context()))

            def before(signed: bytes) -> None:
                assert (
                    hashlib.sha256(signed[: len(declaration)]).digest()
                    == hashlib.sha256(declaration).digest()
                )
                assert validate(signed, context())[0].ok

            def after(signed: bytes) -> None:
                assert check_declaration(
                    signed, declaration=declaration, context=context(), signature_area=AREA
                ).ok

            rows = []
            for label, signed in files.items():
                baseline = median_seconds(lambda s=signed: plain(s), REPEAT)
                rows.append(
                    (
                        label,
                        baseline,
                        [
                            (name, median_seconds(lambda s=signed, f=f: f(s), REPEAT))
                            for name, f in (("before", before), ("after", after))
                        ],
                    )
                )
        finally:
            server.shutdown()
    print(f"median of {REPEAT} validations each, RSA-2048, one-page declaration ({len(declaration):,} bytes)")
    for label, baseline, timed in rows:
        print(f"  {label}: pyHanko plain validation (baseline) {baseline * 1000:6.1f} ms")
        for name, seconds in timed:
            print(f"    {name:<7} {seconds * 1000:6.1f} ms = {seconds / baseline:.2f} x baseline")
        (_, b), (_, a) = timed
        print(f"    after / before = {a / b:.2f}")


if __name__ == "__main__":
    main()
