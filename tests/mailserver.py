"""The test SMTP server (tests/smtp_server.py, aiosmtpd) as a real process: start, kill, start
again on the same port, and read what it received."""

from __future__ import annotations

import mailbox
import queue
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path

import pytest

SERVER = Path(__file__).with_name("smtp_server.py")


@dataclass
class MailServer:
    maildir: Path
    port: int = 0
    process: subprocess.Popen | None = None
    received: queue.Queue[str] = field(default_factory=queue.Queue)  # Message-IDs, as stored

    @property
    def settings(self) -> dict[str, object]:
        """The portal's settings that send to this server."""
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port, "SMTP_TLS": "none"}

    def start(self) -> MailServer:
        """Start it (again, on the same port and Maildir once it has them)."""
        self.stop()
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), str(self.maildir), str(self.port)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # printed once listening
        if "smtp listening on 127.0.0.1:" not in line:
            self.process.kill()
            raise RuntimeError(f"the SMTP server did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()
        return self

    def _read(self, stdout) -> None:
        with stdout:
            for line in stdout:
                if line.startswith("received "):
                    self.received.put(line.split(" ", 1)[1].strip())

    def stop(self) -> None:
        """Kill it, as a crash would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def next_received(self, timeout: float = 60) -> str:
        """Wait (blocking, no polling) for the next message it stores: its Message-ID."""
        try:
            return self.received.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no mail received in {timeout} s") from None

    def messages(self) -> list[Message]:
        """Every message received so far, oldest first."""
        box = mailbox.Maildir(self.maildir, create=True)
        stored = sorted(box.keys(), key=lambda key: box.get_message(key).get_date())
        return [message_from_bytes(box.get_bytes(key), policy=default) for key in stored]

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages() if m["To"] and address in m["To"]]


@pytest.fixture
def mail_server(tmp_path: Path):
    """A real SMTP server on 127.0.0.1; `make_app(**mail_server.settings)` sends to it."""
    server = MailServer(tmp_path / "maildir").start()
    yield server
    server.stop()
