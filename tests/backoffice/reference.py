"""The reference back office (examples/backoffice/server.py) as a real process on 127.0.0.1."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "examples" / "backoffice" / "server.py"
SCHEMAS = ROOT / "docs" / "schemas"  # the national records it takes are checked against them
SECRET = "reference-back-office-secret-for-tests"


@dataclass
class ReferenceBackOffice:
    data: Path
    trust_roots: Path
    port: int = 0
    scheme: str = "http"
    process: subprocess.Popen | None = None
    env: dict[str, str] = field(default_factory=dict)
    announced: queue.Queue[str] = field(default_factory=queue.Queue)  # "stored <code> …" lines
    reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(
        self, fault: str = "", slow_seconds: float = 30, retry_after: str = "120"
    ) -> ReferenceBackOffice:
        """Start it (again, on the same port and data once it has one), with a fault if asked."""
        self.stop()
        env = {
            **os.environ,
            "REFERENCE_SECRET": SECRET,
            "REFERENCE_TRUST_ROOTS": str(self.trust_roots),
            "REFERENCE_FAULT": fault,
            "REFERENCE_SLOW_SECONDS": str(slow_seconds),
            "REFERENCE_RETRY_AFTER": retry_after,
            "REFERENCE_DVCQG_SCHEMAS": str(SCHEMAS),
            **self.env,
        }
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), "--data", str(self.data), "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()  # printed once listening
        if "://127.0.0.1:" not in line:
            self.process.kill()
            raise RuntimeError(f"the reference back office did not start: {line!r}")
        self.scheme = line.rsplit("://", 1)[0].rsplit(" ", 1)[1]
        self.port = int(line.rsplit(":", 1)[1])
        self.announced = queue.Queue()
        self.reader = threading.Thread(
            target=self._read, args=(self.process.stdout, self.announced), daemon=True
        )
        self.reader.start()
        return self

    @staticmethod
    def _read(stdout, announced: queue.Queue[str]) -> None:
        """Keep the pipe drained, and what it announces at hand, until the process ends."""
        with stdout:
            for line in stdout:
                announced.put(line.strip())

    def next_stored(self, timeout: float = 60) -> str:
        """Wait (blocking, no polling) for the next package it stores: its dossier code."""
        try:
            line = self.announced.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the reference back office stored nothing within {timeout} s") from None
        assert line.startswith("stored "), line
        return line.split()[1]

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
            self.reader.join(timeout=10)
            self.process = None

    def dossiers(self, **tls: object) -> list[dict]:
        return requests.get(f"{self.url}/dossiers", timeout=10, **tls).json()

    def options(self, **extra: object) -> dict:
        """The portal's `http` adapter options for this back office."""
        return {"url": f"{self.url}/packages", "secret": SECRET, **extra}

    def national_options(self, **extra: object) -> dict:
        """The portal's `dvcqg` adapter options for this back office."""
        return {"url": f"{self.url}/dvcqg", "secret": SECRET, **extra}

    def payments(self) -> list[dict]:
        """The payments it was told of (GET /payments), by key."""
        return requests.get(f"{self.url}/payments", timeout=10).json()

    def national_records(self) -> list[dict]:
        """The national records it took, first first: {"key", "service", "body"}."""
        return requests.get(f"{self.url}/dvcqg/records", timeout=10).json()
