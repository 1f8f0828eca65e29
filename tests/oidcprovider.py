"""The test OpenID Connect provider (tests/oidc_provider.py) as a real process: start it, tell it
who signs in next (or to deny, or to answer with a fault), kill it, read what it saw."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

SERVER = Path(__file__).with_name("oidc_provider.py")
CLIENT_ID, CLIENT_SECRET = "opendvc-test", "test-client-secret"


@dataclass
class OidcProvider:
    url: str = ""
    process: subprocess.Popen | None = None

    @property
    def settings(self) -> dict[str, object]:
        """The portal's settings that sign in with this provider."""
        return {
            "OIDC_ISSUER": self.url,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_NAME": "VNeID",
            "OIDC_ACR_VALUES": "level2",
            "OIDC_TIMEOUT_SECONDS": 5,
            "OIDC_CLAIMS": {
                "name": "name",
                "citizen_id": "personal_id",
                "email": "email",
                "phone_number": "phone",
            },
        }

    def start(self) -> OidcProvider:
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), CLIENT_ID, CLIENT_SECRET], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # printed once listening
        if "oidc listening on " not in line:
            self.process.kill()
            raise RuntimeError(f"the OIDC provider did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[1].strip()
        return self

    def stop(self) -> None:
        """Kill it, as a crash would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def next_sign_in(
        self, sub: str = "citizen-1", *, deny: bool = False, fault: str | None = None, **claims: Any
    ) -> None:
        requests.post(
            f"{self.url}/_test/next",
            json={"sub": sub, "claims": claims, "deny": deny, "fault": fault},
            timeout=10,
        ).raise_for_status()

    def log(self) -> dict[str, list[Any]]:
        response = requests.get(f"{self.url}/_test/log", timeout=10)
        response.raise_for_status()
        return response.json()


@pytest.fixture
def oidc_provider():
    """A real OpenID Connect provider on 127.0.0.1; `make_app(**oidc_provider.settings)` uses it."""
    provider = OidcProvider().start()
    yield provider
    provider.stop()
