"""Debian's headless chromium driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages ending in NUL on file descriptors 3 and 4), with no
client library: what the content-policy test needs is a handful of commands. Each page is
opened in one tab that keeps its cookies; every Content-Security-Policy violation is recorded,
both as the console reports it and by a `securitypolicyviolation` listener the tab installs in
every document before the page's own code runs (DevTools' own script, which no policy blocks)."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.waiting import PATIENCE

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

LISTENER = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  var where = e.sourceFile + ":" + e.lineNumber;
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + where);
});
"""

TURN = "new Promise(function (r) { setTimeout(function () { r(window.__violations || []); }, 0); })"


def chromium_or_skip() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing: make test installs Debian's chromium package")
        pytest.skip("chromium is not installed (make test installs it)")
    return CHROMIUM


class Browser:
    def __init__(self, executable: str, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def as_fds_3_and_4() -> None:  # in the child, before exec
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=as_fds_3_and_4,
            pass_fds=(3, 4),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._answers: dict[int, queue.Queue] = {}
        self.events: queue.Queue = queue.Queue()
        self.console: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call("Page.addScriptToEvaluateOnNewDocument", session=True, source=LISTENER)

    def _read(self) -> None:
        buffer = b""
        while True:
            data = os.read(self._from_browser, 65536)
            if not data:
                return
            buffer += data
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message and message["id"] in self._answers:
                    self._answers[message["id"]].put(message)
                    continue
                method = message.get("method")
                params = message.get("params", {})
                if method == "Log.entryAdded":
                    self.console.append(params["entry"].get("text", ""))
                elif method == "Runtime.consoleAPICalled":
                    self.console.append(" ".join(str(a.get("value", "")) for a in params.get("args", [])))
                self.events.put(message)

    def call(self, method: str, *, session: bool = False, **params: Any) -> dict:
        self._next_id += 1
        number = self._next_id
        answers = self._answers[number] = queue.Queue()
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        try:
            answer = answers.get(timeout=PATIENCE)
        finally:
            del self._answers[number]
        if "error" in answer:
            raise AssertionError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def set_cookie(self, url: str, name: str, value: str) -> None:
        self.call("Network.setCookie", session=True, url=url, name=name, value=value)

    def open(self, url: str) -> list[str]:
        """Load `url` to its load event; the policy violations it reported."""
        while not self.events.empty():
            self.events.get_nowait()
        before = len(self.console)
        self.call("Page.navigate", session=True, url=url)
        while True:
            event = self.events.get(timeout=PATIENCE)
            if event.get("method") == "Page.loadEventFired" and event.get("sessionId") == self.session:
                break
        # One more turn of the page's event loop: a violation's event is queued as a task.
        found = self.call(
            "Runtime.evaluate",
            session=True,
            expression=TURN,
            awaitPromise=True,
            returnByValue=True,
        )["result"]["value"]
        said = [line for line in self.console[before:] if "Content Security Policy" in line]
        return [*found, *said]

    def location(self) -> str:
        return self.call("Runtime.evaluate", session=True, expression="location.href", returnByValue=True)[
            "result"
        ]["value"]

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (AssertionError, OSError, queue.Empty):
            self.process.kill()
        self.process.wait(timeout=PATIENCE)
        os.close(self._to_browser)
        self._reader.join(timeout=PATIENCE)
        os.close(self._from_browser)
