"""Peak memory of the server while one 200 MB attachment is uploaded, above its idle size.

    python -m bench.upload_memory

Starts the portal as `make run` does (flask run, SQLite, blob folder) in a separate process,
uploads a 200 MB PDF through the real multipart path and samples the server's resident memory
every 5 ms. Several runs; the median is printed, next to a 1 MB upload measured the same way.
Then the same against S3 (OPENDVC_BLOB_STORE=s3) on a SeaweedFS started for the run
(tests/servers.py): the upload is hashed into a temporary file as before, then sent from it with
boto3's multipart transfer.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

from tests.servers import free_ports, seaweedfs_server

ROOT = Path(__file__).parents[1]
TEST_CATALOG = ROOT / "tests" / "data" / "catalog"
MB = 1024 * 1024
RUNS = 3


def free_port() -> int:
    return free_ports(1)[0]


def write_pdf(path: Path, padding: int) -> None:
    """A valid one-page PDF carrying `padding` bytes of random data in a stream object."""
    with path.open("wb") as out:
        offsets = []

        def obj(body: bytes) -> None:
            offsets.append(out.tell())
            out.write(body)

        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        obj(b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n")
        obj(b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n")
        obj(b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n")
        obj(b"4 0 obj << /Length %d >> stream\n" % padding)
        left = padding
        while left:
            chunk = os.urandom(min(left, 4 * MB))
            out.write(chunk)
            left -= len(chunk)
        out.write(b"\nendstream endobj\n")
        xref = out.tell()
        out.write(b"xref\n0 5\n0000000000 65535 f \n")
        for offset in offsets:
            out.write(b"%010d 00000 n \n" % offset)
        out.write(b"trailer << /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)


class MultipartBody:
    """A multipart/form-data body streamed from disk, with a known length (no chunked encoding)."""

    def __init__(self, fields: dict[str, str], name: str, path: Path) -> None:
        self.boundary = "----opendvc-bench-boundary"
        head = b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.parts = [head, path, tail]
        self.length = len(head) + path.stat().st_size + len(tail)

    def __len__(self) -> int:
        return self.length

    def __iter__(self):
        for part in self.parts:
            if isinstance(part, bytes):
                yield part
            else:
                with part.open("rb") as f:
                    while chunk := f.read(256 * 1024):
                        yield chunk


def token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def peak_above_idle(base: str, server: psutil.Process, path: Path) -> tuple[float, float, int, float]:
    browser = requests.Session()
    procedure = browser.get(f"{base}/procedures/T.000001")
    started = browser.post(f"{base}/procedures/T.000001/start", data={"csrf_token": token(procedure.text)})
    documents = browser.get(started.url.split("/steps/")[0] + "/documents")
    idle = server.memory_info().rss
    peak = idle
    samples = 0
    running = True

    def sample() -> None:
        nonlocal peak, samples
        while running:
            peak = max(peak, server.memory_info().rss)
            samples += 1
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    body = MultipartBody({"csrf_token": token(documents.text)}, path.name, path)
    began = time.perf_counter()
    response = browser.post(
        f"{documents.url}/DOC",
        data=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={body.boundary}",
            "Content-Length": str(len(body)),
        },
    )
    took = time.perf_counter() - began
    running = False
    sampler.join()
    assert response.status_code == 200, response.text[-2000:]
    assert path.name in response.text
    return idle / MB, (peak - idle) / MB, samples, took


def measure(tmp: Path, catalog: Path, store: dict[str, str]) -> tuple[list, list]:
    """(1 MB runs, 200 MB runs) against a portal whose blob store `store` configures."""
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "OPENDVC_DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "OPENDVC_CATALOG_DIR": str(catalog),
        "OPENDVC_BLOB_DIR": str(tmp / "blobs"),
        "OPENDVC_SECRET_KEY": "bench",
        "OPENDVC_DOSSIER_MAX_TOTAL_MB": "300",
        **store,
    }
    flask = [sys.executable, "-m", "flask"]
    (tmp / "bench.sqlite3").unlink(missing_ok=True)
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    big, small = tmp / "report-200mb.pdf", tmp / "report-1mb.pdf"

    def fresh(path: Path, size: int) -> Path:
        """New random bytes for each upload: the same bytes again would be deduplicated, not sent."""
        write_pdf(path, size)
        return path

    port = free_port()
    proc = subprocess.Popen(
        [*flask, "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert proc.stderr is not None
        for line in proc.stderr:  # ready when it says so
            if "Running on" in line:
                break
        else:
            raise RuntimeError(f"the portal did not start (exit {proc.wait()})")
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep its pipe drained
        server = psutil.Process(proc.pid)
        peak_above_idle(base, server, fresh(small, MB))  # warm up: imports, templates, first PDF check
        small_runs = [peak_above_idle(base, server, fresh(small, MB)) for _ in range(RUNS)]
        big_runs = [peak_above_idle(base, server, fresh(big, 200 * MB)) for _ in range(RUNS)]
    finally:
        proc.terminate()
        proc.wait(10)
    return small_runs, big_runs


def report(title: str, small_runs: list, big_runs: list) -> None:
    idle = statistics.median(r[0] for r in big_runs)
    small_peak = statistics.median(r[1] for r in small_runs)
    big_peak = statistics.median(r[1] for r in big_runs)
    seconds = statistics.median(r[3] for r in big_runs)
    samples = statistics.median(r[2] for r in big_runs)
    print(f"{title}: server resident memory (RSS), median of {RUNS} uploads each")
    print(f"  idle before the upload (baseline)  {idle:7.1f} MB")
    print(f"  peak above idle, 1 MB PDF          {small_peak:7.1f} MB")
    print(f"  peak above idle, 200 MB PDF        {big_peak:7.1f} MB  (target: at most 64 MB)")
    print(f"  peak during 200 MB / idle          {(idle + big_peak) / idle:7.3f} x")
    print(f"  200 MB upload took {seconds:.2f} s ({200 / seconds:.0f} MB/s), RSS sampled {samples:.0f} times")


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="opendvc-bench-"))
    try:
        catalog = tmp / "catalog"
        catalog.mkdir()
        text = (TEST_CATALOG / "all-fields.yaml").read_text(encoding="utf-8")
        (catalog / "bench.yaml").write_text(
            text.replace("max_size_mb: 1\n", "max_size_mb: 250\n", 1), "utf-8"
        )
        report("local blob folder", *measure(tmp, catalog, {}))
        (tmp / "seaweedfs").mkdir()
        with seaweedfs_server(tmp / "seaweedfs") as s3:
            s3.client().create_bucket(Bucket="bench")
            store = {
                "OPENDVC_BLOB_STORE": "s3",
                "OPENDVC_S3_ENDPOINT_URL": s3.endpoint_url,
                "OPENDVC_S3_BUCKET": "bench",
                "OPENDVC_S3_ACCESS_KEY_ID": s3.access_key_id,
                "OPENDVC_S3_SECRET_ACCESS_KEY": s3.secret_access_key,
            }
            report("S3 (SeaweedFS on 127.0.0.1, multipart in 8 MB parts)", *measure(tmp, catalog, store))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
