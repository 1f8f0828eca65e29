"""The reference payment gateway (examples/paygate/server.py) as a real process on 127.0.0.1,
and the applicant's browser at its pay page.

    def test_…(paygate, live_server):
        portal = live_server(CATALOG_DIR=…, PAYMENT_PROVIDERS=["vnpay"],
                             PAYMENT_OPTIONS={"vnpay": paygate.vnpay_options()})
        paygate.register(portal.url)              # VNPay's IPN address, registered at the gateway
        paygate.faults("notify-twice", reference=payment.reference)   # or never-notify, …
        back = paygate.pay(redirect.url)          # the payer pays; the return URL it sends back to
        paygate.expect("notified", payment.reference)   # blocks until the notification was answered
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "examples" / "paygate" / "server.py"
SECRET = "reference-paygate-merchant-secret"  # VNPay hash secret, KeyPay hash_key_1
CALLBACK_SECRET = "reference-paygate-callback-secret"  # KeyPay hash_key_2
MERCHANT = "OPENDVC01"
PATIENCE = 120  # seconds: a busy machine running two suites at once


@dataclass
class PayGate:
    process: subprocess.Popen | None = None
    url: str = ""
    lines: list[str] = field(default_factory=list)  # everything it announced, in order
    taken: set[int] = field(default_factory=set)  # the lines `expect` has handed out
    changed: threading.Condition = field(default_factory=threading.Condition)
    reader: threading.Thread | None = None
    browser: requests.Session = field(default_factory=requests.Session)

    def start(self, *faults: str) -> PayGate:
        env = {
            **os.environ,
            "PAYGATE_SECRET": SECRET,
            "PAYGATE_CALLBACK_SECRET": CALLBACK_SECRET,
            "PAYGATE_MERCHANT": MERCHANT,
            "PAYGATE_FAULTS": ",".join(faults),
        }
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), "--port", "0"], env=env, stdout=subprocess.PIPE, text=True
        )
        line = self.process.stdout.readline()  # printed once listening
        if "://127.0.0.1:" not in line:
            self.process.kill()
            raise RuntimeError(f"the reference payment gateway did not start: {line!r}")
        self.url = line.split()[-1]
        self.reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self.reader.start()
        return self

    def _read(self, stdout) -> None:
        with stdout:
            for line in stdout:
                with self.changed:
                    self.lines.append(line.strip())
                    self.changed.notify_all()

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
            self.reader.join(timeout=10)
            self.process = None

    def expect(self, what: str, reference: str, timeout: float = PATIENCE) -> list[str]:
        """Block until the gateway announces `what` (notified, held, withheld, queried, decided,
        created, refused-request) of this transaction, and give its words; each line is given
        once, so a second `expect` waits for a second notification."""

        def found() -> int | None:
            for number, line in enumerate(self.lines):
                words = line.split()
                if number not in self.taken and words[:2] == [what, reference]:
                    return number
            return None

        with self.changed:
            if not self.changed.wait_for(lambda: found() is not None, timeout=timeout):
                raise AssertionError(f"the gateway did not announce {what} {reference} within {timeout} s")
            number = found()
            assert number is not None
            self.taken.add(number)
            return self.lines[number].split()

    def announced(self, what: str, reference: str) -> list[list[str]]:
        """Every line of `what` about this transaction announced so far (not waiting)."""
        with self.changed:
            return [line.split() for line in self.lines if line.split()[:2] == [what, reference]]

    # -- its control endpoint -------------------------------------------------------------------

    def faults(self, *faults: str, reference: str | None = None) -> None:
        """Set the faults of one transaction (by our reference, before or after it starts), or
        of every transaction; none clears them. See FAULTS in examples/paygate/server.py."""
        answer = requests.post(
            f"{self.url}/_control/faults", json={"faults": list(faults), "reference": reference}, timeout=10
        )
        answer.raise_for_status()

    def release(self, reference: str) -> None:
        """A notify-late transaction completes, and its notification goes."""
        requests.post(f"{self.url}/_control/release/{reference}", timeout=10).raise_for_status()

    def register(self, portal_url: str, provider: str = "vnpay") -> None:
        """VNPay's IPN address for the merchant, as a portal registers it with VNPay."""
        ipn = f"{portal_url}/api/v1/payments/{provider}/notify"
        requests.post(f"{self.url}/_control/merchant", json={"ipn_url": ipn}, timeout=10).raise_for_status()

    def transaction(self, reference: str) -> dict:
        answer = requests.get(f"{self.url}/_control/transactions/{reference}", timeout=10)
        answer.raise_for_status()
        return answer.json()

    # -- the portal's settings for it -------------------------------------------------------------

    def vnpay_options(self, **extra: object) -> dict:
        return {
            "tmn_code": MERCHANT,
            "hash_secret": SECRET,
            "pay_url": f"{self.url}/vnpay/pay",
            "query_url": f"{self.url}/vnpay/querydr",
            "timeout_seconds": 5,
            **extra,
        }

    def keypay_options(self, **extra: object) -> dict:
        return {
            "client_id": MERCHANT,
            "hash_key_1": SECRET,
            "hash_key_2": CALLBACK_SECRET,
            "pay_url": f"{self.url}/keypay/transactions",
            "query_url": f"{self.url}/keypay/transactions/detail",
            "agency_code": "000.00.01.H22",
            "agency_name": "Sở Tài nguyên và Môi trường thử nghiệm",
            "account_number": "3511000000001",
            "account_bank": "970418",
            "account_name": "Kho bạc Nhà nước thử nghiệm",
            "timeout_seconds": 5,
            **extra,
        }

    # -- the payer ---------------------------------------------------------------------------------

    def pay(self, url: str, choice: str = "pay") -> str:
        """Open the pay page the portal sent the browser to, choose (pay, cancel), and give the
        address the gateway sends the browser back to (not followed)."""
        opened = self.browser.get(url, timeout=30)
        assert opened.status_code == 200, (opened.status_code, opened.text[:500])
        form = BeautifulSoup(opened.text, "html.parser").find("form")
        assert form is not None, opened.text[:500]
        sent = self.browser.post(
            urljoin(opened.url, form["action"]), data={"choice": choice}, allow_redirects=False, timeout=30
        )
        assert sent.status_code == 302, (sent.status_code, sent.text[:500])
        return sent.headers["Location"]


@pytest.fixture
def paygate() -> Iterator[PayGate]:
    """The reference payment gateway, started for one test (no faults until it sets some)."""
    gateway = PayGate().start()
    yield gateway
    gateway.stop()
