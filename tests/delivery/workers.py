"""Delivery workers (`flask --app wsgi deliver`) and gunicorn nodes as real processes, configured
like a test app."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from pydantic import BaseModel, SecretStr

from tests.servers import free_ports
from tests.waiting import PATIENCE

ROOT = Path(__file__).resolve().parents[2]


def env_of(app: Flask) -> dict[str, str]:
    """OPENDVC_* variables that give a process the same settings as `app`."""
    settings: BaseModel = app.config["OPENDVC"]
    env = {}
    for name, value in settings.model_dump(mode="json").items():
        secret = getattr(settings, name)
        if isinstance(secret, SecretStr):  # dumped as "**********": the process needs the real one
            value = secret.get_secret_value()
        if value is None:
            continue
        if isinstance(value, dict):
            value = json.dumps(value)
        elif isinstance(value, list):
            value = ",".join(map(str, value))
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[f"OPENDVC_{name}"] = str(value)
    extra = {"OPENDVC_INSTANCE_PATH": app.instance_path, "FLASK_APP": "wsgi", "PYTHONUNBUFFERED": "1"}
    return {**os.environ, **env, **extra}


def start_worker(app: Flask, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen:
    """`env`: the environment instead of env_of(app)'s."""
    command = [sys.executable, "-m", "flask", "deliver", "--interval", "0.2", *args]
    environment = dict(env) if env is not None else env_of(app)
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, text=True)


class Running:
    """A process started by a test, its output (stdout and stderr together) read as it comes:
    a test waits for a line, never for a time."""

    def __init__(self, command: list[str], env: Mapping[str, str]) -> None:
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.ended = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()
        with self.changed:
            self.ended = True
            self.changed.notify_all()

    @property
    def output(self) -> str:
        with self.changed:
            return "".join(self.lines)

    def wait_for_line(self, pattern: str, seconds: float = PATIENCE) -> re.Match[str]:
        """The first line matching `pattern` (a regular expression), once printed."""
        found: list[re.Match[str]] = []

        def printed() -> bool:
            found[:] = [m for m in map(re.compile(pattern).search, self.lines) if m][:1]
            return bool(found) or self.ended

        with self.changed:
            if not self.changed.wait_for(printed, timeout=seconds) or not found:
                raise AssertionError(f"{pattern!r} never printed; the output:\n{''.join(self.lines[-60:])}")
        return found[0]

    def wait(self, seconds: float = PATIENCE) -> int:
        return self.process.wait(timeout=seconds)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(timeout=30)  # to the end of the output
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_gunicorn(
    env: Mapping[str, str], *, workers: int = 2, port: int | None = None
) -> tuple[Running, str]:
    """Gunicorn with our gunicorn.conf.py on 127.0.0.1 (a free port); its address, once it listens
    (the workers take the connections made from then on as soon as they have booted)."""
    port = port or free_ports(1)[0]
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
    server = Running([*command, "--workers", str(workers), "--bind", f"127.0.0.1:{port}"], env)
    try:
        server.wait_for_line(rf"Listening at: http://127\.0\.0\.1:{port}\b")
    except AssertionError:
        server.stop()
        raise
    return server, f"http://127.0.0.1:{port}"
