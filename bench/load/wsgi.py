"""The portal as gunicorn serves it for `python -m bench.load`, with two bare routes beside it.

    gunicorn bench.load.wsgi:app

`/bare` is answered before the portal sees the request (gunicorn, the connection and the
clients: the floor of any request; StepTimes below does not see it either); `/bare/flask` is a
Flask route on the portal that does nothing, so it pays the portal's own hooks (session, locale,
security headers) and nothing else. Both run in the same workers as the portal, in the same run,
so they are the baselines its steps are read against.

With LOAD_TIMES_DIR set, each request's CPU and wall time is logged there by step (StepTimes).
With LOAD_PROFILE_DIR set, every other request whose path ends with one of LOAD_PROFILE_PATHS
(comma-separated, default the signing and the submitting POSTs) runs under cProfile, and its
profile is written there as `<pid>-<n>-<step>.pstats` (profiles, no request data), with the time
the garbage collector took during it in `<pid>-<n>-<step>.gc`.
Prints "bench app ready" on stderr once the app is built: the runner waits for that line.
"""

from __future__ import annotations

import cProfile
import gc
import itertools
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from app import create_app

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
Wsgi = Callable[[Environ, StartResponse], Iterable[bytes]]
portal = create_app(instance_path=os.environ.get("OPENDVC_INSTANCE_PATH") or None)


@portal.get("/bare/flask")
def bare_flask() -> str:
    return "ok"


def bare(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


class StepTimes:
    """Appends, for each request, its step (the X-Bench-Step header the locustfile sends), the
    CPU time the worker spent on it and its wall time, in ms, to `<folder>/<pid>.tsv`: what a step
    costs the server, whatever else the machine is doing. Requests run under cProfile (whose
    overhead is in their CPU time) are marked."""

    def __init__(self, wsgi: Wsgi, folder: Path) -> None:
        self.wsgi, self.folder = wsgi, folder

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        cpu, wall = time.process_time(), time.perf_counter()
        body = list(self.wsgi(environ, start_response))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        step = environ.get("HTTP_X_BENCH_STEP", "-").replace("\t", " ")
        mark = "profiled" if environ.get("bench.profiled") else "-"
        with (self.folder / f"{os.getpid()}.tsv").open("a", encoding="utf-8") as out:
            out.write(f"{step}\t{cpu * 1000:.2f}\t{wall * 1000:.2f}\t{mark}\n")
        return body


class Profiled:
    """Runs every other POST to a path ending with one of `suffixes` under cProfile, one file
    each; the first of each (cold) is profiled. cProfile counts wall time: on a busy machine a
    wait for a core lands on whichever function was running, so read the median of several
    (counting CPU time instead, with time.process_time, made the profiled requests eight times
    slower and the call-heavy code look worse than it is)."""

    def __init__(self, wsgi: Wsgi, folder: Path, suffixes: list[str]) -> None:
        self.wsgi, self.folder, self.suffixes = wsgi, folder, suffixes
        self.count = itertools.count(1)
        self.seen: dict[str, int] = {}

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        step = next((s for s in self.suffixes if path.endswith(s)), None)
        if step is None or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi(environ, start_response)
        self.seen[step] = self.seen.get(step, 0) + 1
        if self.seen[step] % 2 == 0:
            return self.wsgi(environ, start_response)
        environ["bench.profiled"] = True
        profile = cProfile.Profile()
        collections = GarbageCollections()
        gc.callbacks.append(collections)
        try:
            body = profile.runcall(lambda: list(self.wsgi(environ, start_response)))
        finally:
            gc.callbacks.remove(collections)
        stem = self.folder / f"{os.getpid()}-{next(self.count)}-{step.strip('/').replace('/', '-')}"
        profile.dump_stats(f"{stem}.pstats")
        Path(f"{stem}.gc").write_text(f"{collections.seconds} {collections.full}\n", encoding="utf-8")
        return body


class GarbageCollections:
    """The time spent in the garbage collector while it is registered, and its full collections:
    a profiler charges that time to whichever function happened to allocate."""

    def __init__(self) -> None:
        self.seconds, self.full, self._started = 0.0, 0, 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.full += info["generation"] == 2


def _application() -> Wsgi:
    wsgi: Wsgi = portal.wsgi_app
    folder = os.environ.get("LOAD_PROFILE_DIR")
    if folder:
        suffixes = os.environ.get("LOAD_PROFILE_PATHS", "/sign/pkcs12,/review").split(",")
        wsgi = Profiled(wsgi, Path(folder), suffixes)
    times = os.environ.get("LOAD_TIMES_DIR")
    if times:
        wsgi = StepTimes(wsgi, Path(times))

    def application(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/bare":
            return bare(environ, start_response)
        return wsgi(environ, start_response)

    return application


portal.wsgi_app = _application()  # type: ignore[assignment]  # wrapped, as WSGI middleware is
app = portal
print(f"bench app ready in process {os.getpid()}", file=sys.stderr, flush=True)
