"""Load: simulated applicants against gunicorn on 127.0.0.1, on SQLite and on PostgreSQL.

    python -m bench.load                      # defaults: 100 then 300 applicants, 60 s each
    python -m bench.load --duration 180       # the 3-minute runs
    python -m bench.load --databases sqlite --users 100 --duration 20 --no-profile

For each database: a fresh instance folder (migrated, `flask pki demo` for the applicants' key
file and the portal's seal), gunicorn with --workers sync workers, then locust in its own process
(gevent's monkeypatching stays out of this one), headless and bounded in time, once per number of
applicants (bench/load/locustfile.py: the whole journey, each request named by its step, and two
users asking for the bare routes at the same time). It prints, per configuration, each step's
requests, requests/s, p50/p95/p99 and errors, the bare routes beside them, what the server logged
as an error, and the targets as PASS/FAIL lines. Then, unless --no-profile, one applicant alone
on one worker with cProfile around each signing and submitting request: where their time goes.

PostgreSQL: a throwaway cluster from scripts/with-postgres (this command runs itself again under
it), or the one TEST_POSTGRES_URL names. Rate limits are off (every simulated applicant comes
from 127.0.0.1, one address); virus scanning is off and delivery to the back office does not run,
as with `make run` (bench.delivery measures delivery).
"""

from __future__ import annotations

import argparse
import csv
import os
import pstats
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # (no stubs pinned)
import psycopg

from app.catalog.loader import load_folder
from app.signing.demo import DEMO_PASSPHRASE
from bench.common import SHIPPED
from tests.servers import free_ports

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
BASELINE_USERS = 2  # locustfile.Baseline.fixed_count
TARGET_P95_MS = 300
# The journey's order, for the table (locust's CSV is sorted by name); the form's steps go in "step ".
BEFORE = ["catalog", "search", "procedure", "start"]
AFTER = ["documents", "upload", "sign (page)", "sign (key file)", "review", "submit", "acknowledgement"]
AFTER += ["track (page)", "track (code)", "status"]
BARE = ("bare WSGI route", "bare Flask route")
SERVER_TROUBLE = re.compile(r"Traceback|ERROR|CRITICAL|WORKER TIMEOUT|database is locked|OperationalError")


@dataclass(frozen=True)
class Row:
    name: str
    requests: int
    failures: int
    per_second: float
    p50: float
    p95: float
    p99: float


def parse_args() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default=env("LOAD_DATABASES", "sqlite,postgresql"))
    parser.add_argument("--users", default=env("LOAD_USERS", "100,300"), help="applicants, comma-separated")
    parser.add_argument(
        "--duration", type=int, default=int(env("LOAD_DURATION", "60")), help="seconds per run"
    )
    parser.add_argument("--workers", type=int, default=int(env("LOAD_WORKERS", "5")), help="gunicorn workers")
    parser.add_argument(
        "--think", default=env("LOAD_THINK", "0.5,1.5"), help="min,max seconds between requests"
    )
    parser.add_argument("--procedure", default=env("LOAD_PROCEDURE", "1.000981"), help="a shipped procedure")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--keep", type=Path, help="keep the CSV, logs and profiles in this new folder")
    return parser.parse_args()


class Server:
    """gunicorn serving bench.load.wsgi on a free loopback port, its log copied to a file."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_ports(1)[0]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log, self.env = log, env
        Path(env["LOAD_TIMES_DIR"]).mkdir(parents=True, exist_ok=True)
        self.ready = threading.Event()
        self._workers = workers
        command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}"]
        # No control socket: its default path is one per user, which two servers at once would share.
        command += ["--timeout", "120", "--no-control-socket", "bench.load.wsgi:app"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        booted = 0
        with self.log.open("w", encoding="utf-8") as out:
            assert self.process.stderr is not None
            for line in self.process.stderr:
                out.write(line)
                out.flush()
                if "bench app ready" in line:
                    booted += 1
                    if booted == self._workers:
                        self.ready.set()
        self.ready.set()  # the server ended: wake the waiter, which sees it

    def wait_ready(self) -> None:
        self.ready.wait(timeout=300)
        if self.process.poll() is not None or not self.ready.is_set():
            raise SystemExit(f"gunicorn did not start; its log:\n{self.log.read_text(encoding='utf-8')}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the workers (user and system): what the requests cost the
        server, whatever else the machine was doing."""
        workers = psutil.Process(self.process.pid).children()
        return sum(sum(w.cpu_times()[:2]) for w in workers)

    def times_mark(self) -> dict[Path, int]:
        """How many requests each worker has logged so far (bench/load/wsgi.py StepTimes)."""
        folder = Path(self.env["LOAD_TIMES_DIR"])
        return {p: len(p.read_text(encoding="utf-8").splitlines()) for p in folder.glob("*.tsv")}

    def cpu_per_step(self, since: dict[Path, int]) -> dict[str, float]:
        """The median CPU ms per request of each step, logged after `since`, unprofiled only."""
        found: dict[str, list[float]] = {}
        for path in Path(self.env["LOAD_TIMES_DIR"]).glob("*.tsv"):
            for line in path.read_text(encoding="utf-8").splitlines()[since.get(path, 0) :]:
                step, cpu, _wall, mark = line.split("\t")
                if mark != "profiled":
                    found.setdefault(step, []).append(float(cpu))
        return {step: statistics.median(values) for step, values in found.items()}

    def lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self._reader.join(timeout=60)


def prepare(folder: Path, database_url: str) -> dict[str, str]:
    """The environment of a fresh, migrated instance with the demo PKI."""
    env = dict(os.environ)
    env.update(
        OPENDVC_INSTANCE_PATH=str(folder / "instance"),
        OPENDVC_SECRET_KEY=secrets.token_hex(32),  # one key for every worker; in memory only
        OPENDVC_RATE_LIMITS_ENABLED="false",
        FLASK_APP="wsgi",
    )
    if database_url:
        env["OPENDVC_DATABASE_URL"] = database_url
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "pki", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


def postgres_database(name: str) -> str:
    base = os.environ["TEST_POSTGRES_URL"]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return re.sub(r"/[^/]*$", f"/{name}", base)


def run_locust(
    server: Server, env: dict[str, str], applicants: int, duration: int, think: str, prefix: Path
) -> tuple[list[Row], list[list[str]], list[str]]:
    """One headless locust run; its rows, its failures (method, name, error, occurrences) and the
    warnings it printed (a locust short of CPU says so)."""
    users = applicants + BASELINE_USERS
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
    command += ["-u", str(users), "-r", str(max(users // 10, 1)), "-t", f"{duration}s"]
    command += ["--host", server.url, "--csv", str(prefix), "--only-summary", "--stop-timeout", "5"]
    command += ["--exit-code-on-error", "0", "--loglevel", "WARNING"]
    locust_env = dict(env, LOAD_THINK=think)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=ROOT, env=locust_env, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode != 0:
        raise SystemExit(f"locust failed ({done.returncode}):\n{done.stderr[-4000:]}")
    rows = []
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append(
                Row(
                    r["Name"],
                    int(r["Request Count"]),
                    int(r["Failure Count"]),
                    float(r["Requests/s"]),
                    float(r["50%"] if r["50%"] != "N/A" else 0),
                    float(r["95%"] if r["95%"] != "N/A" else 0),
                    float(r["99%"] if r["99%"] != "N/A" else 0),
                )
            )
    with open(f"{prefix}_failures.csv", encoding="utf-8") as f:
        failures = [[r["Method"], r["Name"], r["Error"], r["Occurrences"]] for r in csv.DictReader(f)]
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line or "CPU" in line]
    warnings.append(f"locust used {locust_cpu:.0f} s of CPU in its {duration} s")
    return rows, failures, warnings


def journey_order(procedure: str) -> list[str]:
    steps = load_folder(SHIPPED)[procedure].definition.form.steps
    return [*BEFORE, *(f"step {s.id} ({part})" for s in steps for part in ("page", "answers")), *AFTER]


def print_table(title: str, rows: list[Row], order: list[str], cpu: dict[str, float]) -> None:
    rank = {name: i for i, name in enumerate(order)}
    steps = sorted(journey_rows(rows), key=lambda r: (rank.get(r.name, len(rank)), r.name))
    others = [r for r in rows if r.name in BARE] + [r for r in rows if r.name == "Aggregated"]
    print(f"\n{title}")
    print(
        f"  {'step':<26}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>8}"
        f"{'CPU ms':>8}"
    )
    for r in [*steps, *others]:
        label = "all (with the bare routes)" if r.name == "Aggregated" else r.name
        line = f"{r.requests:>9}{r.per_second:>8.1f}{r.p50:>8.0f}{r.p95:>8.0f}{r.p99:>8.0f}{r.failures:>8}"
        used = f"{cpu[r.name]:>8.1f}" if r.name in cpu else f"{'':>8}"
        print(f"  {label:<26}{line}{used}")
    print(
        "  (CPU ms: the median CPU time one request of the step took in its worker, whatever the"
        " wait for a core)"
    )


def journey_rows(rows: list[Row]) -> list[Row]:
    return [r for r in rows if r.name not in BARE and r.name != "Aggregated"]


def targets(applicants: int, rows: list[Row]) -> list[tuple[bool, str]]:
    steps = journey_rows(rows)
    errors = sum(r.failures for r in rows)
    lines = [(errors == 0, f"{applicants} applicants: no error ({errors} errors)")]
    if applicants <= 100:
        slow = [f"{r.name} {r.p95:.0f} ms" for r in steps if r.p95 >= TARGET_P95_MS]
        worst = max(steps, key=lambda r: r.p95)
        said = ", ".join(slow) if slow else f"the slowest, {worst.name}, {worst.p95:.0f} ms"
        lines.append(
            (not slow, f"{applicants} applicants: p95 of every step under {TARGET_P95_MS} ms ({said})")
        )
    return lines


def trouble(lines: list[str], since: int) -> list[str]:
    """What the server logged as an error since line `since`: counts, then the distinct lines."""
    found = [line.strip() for line in lines[since:] if SERVER_TROUBLE.search(line)]
    distinct = list(dict.fromkeys(re.sub(r"^\[[^]]*\] \[\d+\] ", "", line) for line in found))
    return [f"{len(found)} lines, {len(distinct)} distinct", *distinct[:8]] if found else []


def profile_summary(folder: Path, step: str) -> None:
    """The median of the warm profiles of one step (each worker's first is cold): its top costs."""
    files = sorted(folder.glob(f"*-{step}.pstats"), key=lambda p: int(p.name.split("-")[1]))
    if len(files) < 2:
        print(f"\n  {step}: fewer than two requests were profiled")
        return
    loaded = [
        (pstats.Stats(str(p)), p.with_suffix(".gc").read_text(encoding="utf-8").split()) for p in files[1:]
    ]
    warm = sorted(loaded, key=lambda pair: pair[0].total_tt)  # type: ignore[attr-defined]
    median, (gc_seconds, full) = warm[len(warm) // 2]
    cold = pstats.Stats(str(files[0]))
    print(
        f"\n  {step}: {len(warm)} warm requests profiled, median {median.total_tt * 1000:.0f} ms"  # type: ignore[attr-defined]
        f" under cProfile (the cold first one: {cold.total_tt * 1000:.0f} ms); in the median one the"  # type: ignore[attr-defined]
        f" garbage collector took {float(gc_seconds) * 1000:.0f} ms ({full} full collections),"
        " charged below to whatever function was allocating"
    )
    stats = median.stats  # type: ignore[attr-defined]
    total = median.total_tt  # type: ignore[attr-defined]

    def where(key: tuple[str, int, str]) -> str:
        file, line, function = key
        shown = file.replace(str(ROOT) + "/", "")
        shown = re.sub(r".*/site-packages/", "", shown)
        return f"{shown}:{line}:{function}"

    ours = [(v[3], k) for k, v in stats.items() if k[0].startswith(str(ROOT / "app"))]
    print("    the portal's code, by cumulative time (ms, share of the request):")
    for cumulative, key in sorted(ours, reverse=True)[:14]:
        print(f"      {cumulative * 1000:7.1f} {cumulative / total:5.0%}  {where(key)}")
    own = sorted(((v[2], v[1], k) for k, v in stats.items()), reverse=True)[:12]
    print("    anywhere, by own time (ms, calls):")
    for tottime, calls, key in own:
        print(f"      {tottime * 1000:7.1f} {calls:>7}  {where(key)}")


def profile(env: dict[str, str], work: Path, label: str) -> None:
    folder = work / f"profiles-{label}"
    folder.mkdir()
    profiled_env = dict(
        env, LOAD_PROFILE_DIR=str(folder), LOAD_TIMES_DIR=str(work / f"times-profile-{label}")
    )
    server = Server(profiled_env, 1, work / f"gunicorn-profile-{label}.log")
    try:
        server.wait_ready()
        rows, failures, _ = run_locust(server, profiled_env, 1, 40, "0,0", work / f"profile-{label}")
        cpu = server.cpu_per_step({})
    finally:
        server.stop()
    title = (
        f"{label}: one applicant alone on one worker, no think time (the bare routes wait behind it);"
        " every other signing and submitting under cProfile, the others' CPU ms below"
    )
    print_table(title, rows, journey_order(env["LOAD_PROCEDURE"]), cpu)
    for failure in failures:
        print(f"  error: {' '.join(failure)}")
    profile_summary(folder, "sign-pkcs12")
    profile_summary(folder, "review")


def measure(label: str, database_url: str, args: argparse.Namespace, work: Path) -> list[tuple[bool, str]]:
    env = prepare(work / label, database_url)
    env["LOAD_PROCEDURE"] = args.procedure
    env["LOAD_KEY_FILE"] = str(Path(env["OPENDVC_INSTANCE_PATH"]) / "pki" / "citizen.p12")
    env["LOAD_KEY_PASSPHRASE"] = DEMO_PASSPHRASE
    env["LOAD_TIMES_DIR"] = str(work / f"times-{label}")
    server = Server(env, args.workers, work / f"gunicorn-{label}.log")
    verdicts = []
    try:
        server.wait_ready()
        for applicants in [int(u) for u in args.users.split(",")]:
            since, cpu, mark = len(server.lines()), server.cpu_seconds(), server.times_mark()
            prefix = work / f"{label}-{applicants}"
            rows, failures, warnings = run_locust(server, env, applicants, args.duration, args.think, prefix)
            title = (
                f"{label}: {applicants} applicants for {args.duration} s,"
                f" gunicorn {args.workers} sync workers, procedure {args.procedure}"
            )
            print_table(title, rows, journey_order(args.procedure), server.cpu_per_step(mark))
            for failure in failures:
                print(f"  error: {' '.join(failure)}")
            used = server.cpu_seconds() - cpu
            total = sum(r.requests for r in rows if r.name != "Aggregated")
            print(
                f"  server CPU: {used:.0f} s for {total} requests of the journey and the bare ones,"
                f" {used / max(total, 1) * 1000:.0f} ms per request; the machine's load average"
                f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end"
            )
            for line in trouble(server.lines(), since):
                print(f"  server log: {line}")
            for line in warnings:
                print(f"  locust: {line}")
            for ok, text in targets(applicants, rows):
                verdicts.append((ok, f"{label}: {text}"))
                print(f"  {'PASS' if ok else 'FAIL'} {text}")
    finally:
        server.stop()
    if args.profile:
        profile(env, work, label)
    return verdicts


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # each table as it comes
    args = parse_args()
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        raise SystemExit(f"--keep {args.keep}: not empty; name a new folder")
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if "postgresql" in databases and not os.environ.get("TEST_POSTGRES_URL"):
        # A throwaway cluster, removed when this command ends: run again under scripts/with-postgres.
        os.execv(  # noqa: S606 (our own script, arguments as given)
            ROOT / "scripts" / "with-postgres",
            ["with-postgres", sys.executable, "-m", "bench.load", *sys.argv[1:]],
        )
    print(
        f"bench.load: {args.users} applicants, {args.duration} s each, on {', '.join(databases)};"
        f" think time {args.think} s between requests; rate limits OFF (one client address), scanning"
        " off, no delivery worker; every figure is from the same run as the bare routes beside it"
    )
    with tempfile.TemporaryDirectory(prefix="opendvc-load-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        verdicts = []
        for label in databases:
            url = postgres_database("opendvc_load") if label == "postgresql" else ""
            verdicts += measure(label, url, args, work)
    print("\nTargets:")
    for ok, text in verdicts:
        print(f"  {'PASS' if ok else 'FAIL'} {text}")


if __name__ == "__main__":
    main()
