"""Median time per signature, each provider and level, against the naive baseline in the same run.

    python -m bench.signing

Naive baseline: `SimpleSigner.load_pkcs12(...)` then `signers.sign_pdf(...)` on the same PDF
with the same key, invisible B-B signature, pyHanko's defaults (it signs twice: a dry run to
size the CMS, then the real one; and it re-parses the key for each). The portal's figures
include its visible stamp. TSA, OCSP and CRL come from the test PKI served on 127.0.0.1.

Each figure is given twice: the median wall time, and the median CPU time of this process
(the TSA, OCSP and CRL are served by threads of this process, so they count), which a machine
shared with other work disturbs much less.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fpdf import FPDF
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from app.documents.declaration import FONTS
from app.signing import pades
from app.signing.keys import from_pkcs12
from tests.pki import PASSPHRASE, serve

REPEAT = 15


def timed(run: Callable[[], object], repeat: int = REPEAT) -> tuple[float, float]:
    """Median wall and CPU seconds of `run`, after one run to warm up."""
    run()
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


BOX = (320, 100, 540, 170)


def declaration_like() -> bytes:
    pdf = FPDF(unit="pt")
    pdf.add_font("NotoSans", "", FONTS / "NotoSans-Regular.ttf")
    pdf.set_font("NotoSans", "", 11)
    pdf.add_page()
    for i in range(40):
        pdf.cell(
            0,
            16,
            f"Dòng {i}: Tôi xin cam đoan những thông tin kê khai trên là đúng sự thật.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())


def naive(pdf: bytes, key_path: Path) -> bytes:
    signer = signers.SimpleSigner.load_pkcs12(str(key_path), passphrase=PASSPHRASE.encode())
    out = io.BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        signers.PdfSignatureMetadata(field_name="Signature", subfilter=SigSeedSubFilter.PADES),
        signer=signer,
        output=out,
    )
    return out.getvalue()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pki, server = serve(Path(tmp))
        try:
            key_file = pki.pkcs12("citizen")
            key_path = Path(tmp) / "citizen.p12"
            key_path.write_bytes(key_file)
            seal = from_pkcs12(pki.pkcs12("seal"), PASSPHRASE)
            pdf = declaration_like()
            tsa = HTTPTimeStamper(pki.tsa_url)

            def context() -> ValidationContext:
                return ValidationContext(
                    trust_roots=[pki.arch.get_cert("root")],
                    allow_fetching=True,
                    fetcher_backend=RequestsFetcherBackend(),
                )

            def portal_pkcs12(level: pades.Level, box: tuple | None = BOX) -> bytes:
                return pades.sign(
                    pdf,
                    from_pkcs12(key_file, PASSPHRASE),
                    field_name="Sig",
                    box=box,
                    level=level,
                    reason="bench",
                    timestamper=tsa,
                    validation_context=context(),
                )

            def portal_seal(level: pades.Level) -> bytes:
                return pades.sign(
                    pdf,
                    seal,
                    field_name="Sig",
                    box=BOX,
                    level=level,
                    reason="bench",
                    timestamper=tsa,
                    validation_context=context(),
                )

            baseline = timed(lambda: naive(pdf, key_path))
            rows = [("naive: load_pkcs12 + sign_pdf, B-B, invisible (baseline)", baseline)]
            rows.append(
                (
                    "pkcs12 B-B, invisible",
                    timed(lambda: portal_pkcs12(pades.Level.B_B, None)),
                )
            )
            for level in pades.Level:
                rows.append(
                    (
                        f"pkcs12 {level}, visible stamp",
                        timed(lambda lv=level: portal_pkcs12(lv)),
                    )
                )
            for level in (pades.Level.B_B, pades.Level.B_T):
                rows.append((f"seal {level}, visible stamp", timed(lambda lv=level: portal_seal(lv))))
        finally:
            server.shutdown()
    print(f"median of {REPEAT} signatures each, RSA-2048, one-page PDF ({len(pdf):,} bytes)")
    wall, cpu = baseline
    print(f"  {'':<58} {'wall':>9}{'':<16}{'CPU':>9}")
    for label, (w, c) in rows:
        shown = f"{w * 1000:6.1f} ms = {w / wall:.2f} x baseline"
        shown += f" {c * 1000:6.1f} ms = {c / cpu:.2f} x baseline"
        print(f"  {label:<58} {shown}")


if __name__ == "__main__":
    main()
