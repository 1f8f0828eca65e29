"""A reference back office: receives OpenDVC packages over HTTP and posts status events back.

    python examples/backoffice/server.py serve --port 8600 --data /tmp/backoffice
    python examples/backoffice/server.py event <dossier code> <status 1-10> [--note …] [--result signed.pdf]
        [--promised-on YYYY-MM-DD] [--apology …]      (the promised date; an extension's apology)

It is what an integrator's one-stop-shop system must do, at its smallest: check the HMAC of each
request, verify each package with the same rules as `flask package verify`, keep each dossier
once (the dossier code is the idempotency key), give it a receipt number, and answer with a
reference. A withdrawal package (`<code>-RUT`, the applicant asks to withdraw, status 7) is kept
the same way and marks the dossier it names withdrawn, with the applicant's reason; one for a
dossier it never received is refused (422). A rating package (`<code>-DG<n>`, the applicant's
n-th rating of the service, 1 to 5) is kept the same way and recorded as the dossier's latest
rating (GET /ratings); one for a dossier it never received is refused too. A payment package
(`<code>-TT<n>`, the applicant paid the dossier's n-th charge, with its sealed receipt) is kept
the same way and recorded with what was paid (GET /payments: charge, amount, provider, its
transaction, receipt number and the receipt's sha256); one for a dossier it never received is
refused too. Its state is an SQLite file in the data folder, so it survives being restarted.

The key is used as the IETF Idempotency-Key draft says (docs/delivery.md): the same key and the
same package again get the original answer (200, the same reference); a key whose first request
is still being checked gets 409 (come back later, Retry-After); the same key with a different
package gets 422 (an operator must look); no key at all gets 400. Each package stored is
announced on standard output, one line: `stored <code> <kind> <reference>`.

Settings come from the environment, never the command line (secrets show in `ps`):
    REFERENCE_SECRET        HMAC secret shared with the portal (packages in, events out)
    REFERENCE_TRUST_ROOTS   PEM file with the roots that anchor the portal's seal and signatures
    REFERENCE_PORTAL_URL    the portal, for `event` (e.g. http://127.0.0.1:5000)
    REFERENCE_NAME          the name the portal knows this back office by (default: http)
    REFERENCE_FAULT         for fault tests: slow, error, garbage, die-before, die-after,
                            unavailable (503), throttled (429), in-progress (see below)
    REFERENCE_SLOW_SECONDS  how long `slow` waits before answering (default 30), and the most
                            `in-progress` holds a request
    REFERENCE_RETRY_AFTER   the Retry-After of `unavailable` and `throttled`, as given: seconds
                            or an HTTP-date (default 120)
    REFERENCE_TLS_CERT, REFERENCE_TLS_KEY, REFERENCE_TLS_CLIENT_CA   serve HTTPS, and require
                            client certificates issued by that CA
    REFERENCE_DVCQG_SCHEMAS the folder of the national records' JSON Schemas (docs/schemas):
                            set, a record that does not hold to its schema is refused (400)

It also speaks the national portal's dialect, as the `dvcqg` adapter does (docs/dvcqg-mapping.md):
POST /dvcqg (or /dvcqg/<service>) with a multipart `data` part, {"service": "DongBoHoSoMC" or
"CapNhatTienDoHoSoMC", …, "data": [record]}, and the package as `package` (a withdrawal has
none; a rating or a payment, which have no national record, are the `package` alone). The records it took are
listed at GET /dvcqg/records.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import io
import json
import os
import sqlite3
import ssl
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import IO, Any

import requests
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from flask import Flask, Response, abort, after_this_request, jsonify, request
from pyhanko_certvalidator import ValidationContext
from werkzeug.serving import make_server

from app.packaging.verify import verify

WINDOW_SECONDS = 300
MAX_PACKAGE = 2 * 1024 * 1024 * 1024
CHUNK = 1024 * 1024
SCHEMA = """
create table if not exists dossiers (
    code text primary key, receipt_number integer unique not null, package_sha256 text not null,
    kind text not null, received_at text not null, deliveries integer not null default 1);
create table if not exists events (code text not null, sequence integer not null, status integer not null,
    primary key (code, sequence));
create table if not exists in_progress (code text primary key, package_sha256 text not null,
    started_at text not null);
create table if not exists national_records (code text primary key, service text not null,
    body text not null);
create table if not exists withdrawals (code text primary key, requested_at text not null, reason text);
create table if not exists ratings (code text primary key, number integer not null, score integer not null,
    channel text not null, rated_at text not null);
create table if not exists payments (key text primary key, code text not null, charge integer not null,
    amount integer not null, provider text not null, tx text, receipt_number text not null,
    receipt_sha256 text not null, paid_at text not null);
"""
RETRY_IN_PROGRESS = "1"  # seconds: a package is checked in well under that


def roots_from(path: str) -> list[asn1_x509.Certificate]:
    data = Path(path).read_bytes()
    return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]


def database(data: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(data / "backoffice.sqlite3", timeout=30, isolation_level=None)
    connection.executescript(SCHEMA)
    return connection


def signed(secret: str, stamp: str, body: IO[bytes]) -> str:
    mac = hmac.new(secret.encode(), stamp.encode() + b".", hashlib.sha256)
    body.seek(0)
    while chunk := body.read(CHUNK):
        mac.update(chunk)
    body.seek(0)
    return mac.hexdigest()


def create_app(data: Path) -> Flask:
    app = Flask(__name__)
    secret = os.environ["REFERENCE_SECRET"]
    roots = roots_from(os.environ["REFERENCE_TRUST_ROOTS"])
    fault = os.environ.get("REFERENCE_FAULT", "")
    slow = float(os.environ.get("REFERENCE_SLOW_SECONDS", "30"))
    retry_after = os.environ.get("REFERENCE_RETRY_AFTER", "120")
    data.mkdir(parents=True, exist_ok=True)
    connection = database(data)
    connection.execute("delete from in_progress")  # requests in progress died with the last process
    connection.close()
    held: dict[str, tuple[threading.Event, threading.Event]] = {}  # the in-progress fault's requests

    def received_body() -> IO[bytes]:
        """The request body in a temporary file, after its signature and timestamp hold."""
        if (request.content_length or 0) > MAX_PACKAGE:
            abort(413)
        body = tempfile.TemporaryFile(dir=data)  # noqa: SIM115 (closed with the request)
        after_this_request(lambda response: (body.close(), response)[1])
        while chunk := request.stream.read(CHUNK):
            body.write(chunk)
            if body.tell() > MAX_PACKAGE:
                abort(413)
        stamp = request.headers.get("X-OpenDVC-Timestamp", "")
        given = request.headers.get("X-OpenDVC-Signature", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > WINDOW_SECONDS:
            abort(Response(json.dumps({"title": "stale or missing timestamp"}), 401))
        if not hmac.compare_digest(signed(secret, stamp, body), given):
            abort(Response(json.dumps({"title": "bad signature"}), 401))
        return body

    def part(body: IO[bytes], name: str) -> IO[bytes]:
        """One field of a multipart body, parsed by werkzeug from the file we checked."""
        from werkzeug.formparser import parse_form_data

        body.seek(0)  # each field is parsed from the start of the body
        environ = {
            "wsgi.input": body,
            "CONTENT_LENGTH": str(os.fstat(body.fileno()).st_size),
            "CONTENT_TYPE": request.content_type,
            "REQUEST_METHOD": "POST",
        }
        _, _, files = parse_form_data(environ)
        if name not in files:
            abort(Response(json.dumps({"title": f"no {name!r} part"}), 400))
        return files[name].stream

    def receive(
        package: IO[bytes], code: str, kind: str, extra: dict[str, Any] | None = None, check: bool = True
    ) -> Response:
        if not code:
            return jsonify(title="no Idempotency-Key: it must be the dossier code"), 400
        if fault == "error":
            return Response(json.dumps({"title": "internal error"}), 500, mimetype="application/json")
        if fault == "die-before":
            os._exit(1)
        if fault in ("unavailable", "throttled"):
            status, title = (503, "down for maintenance") if fault == "unavailable" else (429, "too many")
            answer = jsonify(title=title)
            answer.status_code = status
            answer.headers["Retry-After"] = retry_after
            return answer
        digest = hashlib.sha256()
        package.seek(0)
        while chunk := package.read(CHUNK):
            digest.update(chunk)
        package.seek(0)
        sha = digest.hexdigest()
        connection = database(data)
        try:
            # One short write transaction decides: seen before, in progress, or ours to check.
            connection.execute("begin immediate")
            row = connection.execute(
                "select receipt_number, package_sha256 from dossiers where code = ?", (code,)
            ).fetchone()
            busy = (
                row is None
                and connection.execute("select 1 from in_progress where code = ?", (code,)).fetchone()
            )
            if row is None and not busy:
                started = time.strftime("%Y-%m-%dT%H:%M:%S")
                connection.execute("insert into in_progress values (?, ?, ?)", (code, sha, started))
            connection.execute("commit")
            if busy:
                if fault == "in-progress" and code in held:
                    release, finished = held[code]
                    release.set()  # the first request may finish now; answer once it has
                    finished.wait(slow)
                answer = jsonify(title=f"a request for {code} is still in progress: try again later")
                answer.status_code = 409
                answer.headers["Retry-After"] = RETRY_IN_PROGRESS
                return answer
            fresh = row is None
            if fresh:
                try:
                    if fault == "in-progress":  # held until the same key is asked again
                        held[code] = (threading.Event(), threading.Event())
                        held[code][0].wait(slow)
                    row = store(connection, package, code, kind, sha, check)
                finally:
                    connection.execute("delete from in_progress where code = ?", (code,))
                    if code in held:
                        held.pop(code)[1].set()
                if isinstance(row, Response):
                    return row
            if row[1] != sha:
                return jsonify(title=f"{code} was received before with a different package"), 422
            connection.execute("update dossiers set deliveries = deliveries + 1 where code = ?", (code,))
            if fresh:
                print(f"stored {code} {kind} BO-{row[0]:06d}", flush=True)
        finally:
            connection.close()
        if fault == "die-after":
            os._exit(1)  # stored, but the portal never hears back
        if fault == "slow":
            time.sleep(slow)
        if fault == "garbage":
            return Response(b"<html>\x00\xff proxy error", 200, mimetype="text/html")
        return jsonify(reference=f"BO-{row[0]:06d}", receipt_number=row[0], **(extra or {})), 200

    def store(
        connection: sqlite3.Connection, package: IO[bytes], code: str, kind: str, sha: str, check: bool = True
    ) -> tuple[int, str] | Response:
        """Verify a package no one has sent before under its key (`check`: a zip package, not a
        national record alone), and keep it."""
        withdrawal = rating = paid = None
        if check:
            report = verify(
                package, trust_roots=roots, context=ValidationContext(trust_roots=roots, allow_fetching=False)
            )
            if not report.ok:
                answer = jsonify(title="the package does not verify", problems=report.problems)
                answer.status_code = 422
                return answer
            if report.key != code:
                answer = jsonify(title=f"the package is {report.key}, not {code}")
                answer.status_code = 422
                return answer
            sealed = manifest_of(package)  # its kind is the sealed one, whatever the header says
            if any((sealed.get("kind") == k) != (kind == k) for k in ("withdrawal", "rating", "payment")):
                answer = jsonify(title=f"{code} is sent as a {kind} but is a {sealed.get('kind')}")
                answer.status_code = 422
                return answer
            withdrawal = sealed if kind == "withdrawal" else None
            rating = sealed if kind == "rating" else None
            paid = sealed if kind == "payment" else None
        connection.execute("begin immediate")
        if paid is not None:
            known = connection.execute(
                "select 1 from dossiers where code = ? and kind = 'submission'", (report.code,)
            ).fetchone()
            if known is None:
                connection.execute("rollback")
                answer = jsonify(title=f"no dossier {report.code} to pay for")
                answer.status_code = 422
                return answer
            told = paid["payment"]
            connection.execute(
                "insert or replace into payments values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    report.code,
                    told["charge"],
                    told["amount"],
                    told["provider"],
                    told.get("transaction"),
                    told["receipt"]["number"],
                    told["receipt"]["sha256"],
                    told["paid_at"],
                ),
            )
        if rating is not None:
            known = connection.execute(
                "select 1 from dossiers where code = ? and kind = 'submission'", (report.code,)
            ).fetchone()
            if known is None:
                connection.execute("rollback")
                answer = jsonify(title=f"no dossier {report.code} to rate")
                answer.status_code = 422
                return answer
            given = rating["rating"]
            latest = connection.execute(
                "select number from ratings where code = ?", (report.code,)
            ).fetchone()
            if latest is None or latest[0] < given["number"]:  # a late earlier rating changes nothing
                connection.execute(
                    "insert or replace into ratings values (?, ?, ?, ?, ?)",
                    (report.code, given["number"], given["score"], given["channel"], given["rated_at"]),
                )
        if withdrawal is not None:
            known = connection.execute(
                "select 1 from dossiers where code = ? and kind = 'submission'", (report.code,)
            ).fetchone()
            if known is None:
                connection.execute("rollback")
                answer = jsonify(title=f"no dossier {report.code} to withdraw")
                answer.status_code = 422
                return answer
            connection.execute(
                "insert or replace into withdrawals values (?, ?, ?)",
                (report.code, withdrawal["requested_at"], withdrawal.get("reason")),
            )
        number = connection.execute("select coalesce(max(receipt_number), 0) + 1 from dossiers").fetchone()[0]
        connection.execute(
            "insert into dossiers values (?, ?, ?, ?, ?, 0)",
            (code, number, sha, kind, time.strftime("%Y-%m-%dT%H:%M:%S")),
        )
        connection.execute("commit")
        return number, sha

    def manifest_of(package: IO[bytes]) -> dict[str, Any]:
        """manifest.json of a package that verified (its seal covers it)."""
        package.seek(0)
        with zipfile.ZipFile(package) as archive:
            data: dict[str, Any] = json.loads(archive.read("manifest.json"))
        package.seek(0)
        return data

    @app.post("/packages")
    def packages() -> Response:
        code = request.headers.get("Idempotency-Key", "")
        body = received_body()
        package = body if request.mimetype == "application/zip" else part(body, "package")
        return receive(package, code, request.headers.get("X-OpenDVC-Package", "submission"))

    schemas = national_schemas(os.environ.get("REFERENCE_DVCQG_SCHEMAS", ""))

    @app.post("/dvcqg")
    @app.post("/dvcqg/<service>")  # the service is the body's; the path may name it too
    def national(service: str = "") -> Response:
        body = received_body()
        alone = request.headers.get("X-OpenDVC-Package")
        if alone in ("rating", "payment"):  # no national record: the package
            return receive(part(body, "package"), request.headers.get("Idempotency-Key", ""), alone)
        raw = part(body, "data").read()
        try:
            envelope = json.loads(raw)
            named = envelope["service"]
            record = envelope["data"][0]
            code = record["MaHoSo"]
            if named == "DongBoHoSoMC":
                time.strptime(record["NgayTiepNhan"], "%Y%m%d%H%M%S")
            elif named != "CapNhatTienDoHoSoMC":
                raise ValueError(f"unknown service {named!r}")
            if named in schemas:
                problem = next(iter(schemas[named].iter_errors(envelope)), None)
                if problem is not None:
                    where = "/".join(str(p) for p in problem.absolute_path)
                    raise ValueError(f"{where}: {problem.message}")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            return jsonify(error_code="1", message=f"{service or 'dvcqg'}: {type(exc).__name__} {exc}"), 400
        key = request.headers.get("Idempotency-Key", code)
        kind = request.headers.get("X-OpenDVC-Package", "submission")
        with_package = kind != "withdrawal"
        package = part(body, "package") if with_package else io.BytesIO(raw)
        answer = app.make_response(receive(package, key, kind, {"error_code": "0"}, check=with_package))
        if answer.status_code == 200:
            connection = database(data)
            connection.execute(
                "insert or ignore into national_records values (?, ?, ?)", (key, named, raw.decode())
            )
            connection.close()
        return answer

    @app.get("/dvcqg/records")
    def national_records() -> Response:
        connection = database(data)
        rows = connection.execute("select code, service, body from national_records order by rowid")
        found = [{"key": key, "service": named, "body": json.loads(raw)} for key, named, raw in rows]
        connection.close()
        return jsonify(found)

    @app.get("/dossiers")
    def dossiers() -> Response:
        connection = database(data)
        rows = connection.execute(
            "select d.code, d.receipt_number, d.deliveries, d.kind, w.requested_at, w.reason from dossiers d"
            " left join withdrawals w on w.code = d.code and d.kind = 'submission' order by d.receipt_number"
        )
        names = ("code", "receipt_number", "deliveries", "kind", "withdrawn_at", "withdrawal_reason")
        found = [dict(zip(names, r, strict=True)) for r in rows]
        connection.close()
        return jsonify(found)

    @app.get("/ratings")
    def ratings() -> Response:
        connection = database(data)
        rows = connection.execute("select code, number, score, channel, rated_at from ratings order by code")
        names = ("code", "number", "score", "channel", "rated_at")
        found = [dict(zip(names, r, strict=True)) for r in rows]
        connection.close()
        return jsonify(found)

    @app.get("/payments")
    def payments() -> Response:
        connection = database(data)
        rows = connection.execute(
            "select key, code, charge, amount, provider, tx, receipt_number, receipt_sha256, paid_at"
            " from payments order by key"
        )
        names = ("key", "code", "charge", "amount", "provider", "transaction", "receipt_number")
        found = [dict(zip((*names, "receipt_sha256", "paid_at"), r, strict=True)) for r in rows]
        connection.close()
        return jsonify(found)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(ok=True)

    return app


def national_schemas(folder: str) -> dict[str, Any]:
    """The national records' validators by service, from docs/schemas; none when not asked."""
    if not folder:
        return {}
    import jsonschema  # import here: only needed when asked to check records (a test dependency)

    found = {}
    for service in ("DongBoHoSoMC", "CapNhatTienDoHoSoMC"):
        schema = json.loads((Path(folder) / f"dvcqg-{service}.schema.json").read_text(encoding="utf-8"))
        found[service] = jsonschema.Draft202012Validator(schema)
    return found


def result_of(path: Path) -> dict[str, str]:
    return {"file_name": path.name, "content": base64.b64encode(path.read_bytes()).decode()}


def post_event(
    data: Path,
    code: str,
    status: int,
    note: str | None,
    results: list[Path],
    promised_on: str | None = None,
    apology: str | None = None,
) -> None:
    """Post the next status event of a dossier to the portal, signed like the portal expects;
    with status 10, the result documents (PDFs the agency has signed); with `promised_on`, the
    promised date (on acceptance, after a supplement, or with `apology` for an extension)."""
    connection = database(data)
    sequence = connection.execute("select coalesce(max(sequence), 0) + 1 from events where code = ?", (code,))
    number = sequence.fetchone()[0]
    body = json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "dossier_code": code,
            "sequence": number,
            "status": status,
            "note": note,
            **({"results": [result_of(path) for path in results]} if results else {}),
            **({"promised_on": promised_on} if promised_on else {}),
            **({"apology": apology} if apology else {}),
        }
    ).encode()
    stamp = str(int(time.time()))
    secret = os.environ["REFERENCE_SECRET"].encode()
    headers = {
        "Content-Type": "application/json",
        "X-OpenDVC-BackOffice": os.environ.get("REFERENCE_NAME", "http"),
        "X-OpenDVC-Timestamp": stamp,
        "X-OpenDVC-Signature": hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest(),
    }
    url = os.environ["REFERENCE_PORTAL_URL"].rstrip("/") + "/api/v1/backoffice/events"
    answer = requests.post(url, data=body, headers=headers, timeout=30)
    print(answer.status_code, answer.json().get("title"))
    if answer.ok:
        connection.execute("insert into events values (?, ?, ?)", (code, number, status))
    connection.close()
    if not answer.ok:
        sys.exit(1)


def tls_context() -> ssl.SSLContext | None:
    """HTTPS when REFERENCE_TLS_CERT (chain) and REFERENCE_TLS_KEY are set; with
    REFERENCE_TLS_CLIENT_CA, only clients with a certificate that CA issued get in."""
    if not os.environ.get("REFERENCE_TLS_CERT"):
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.environ["REFERENCE_TLS_CERT"], os.environ["REFERENCE_TLS_KEY"])
    if os.environ.get("REFERENCE_TLS_CLIENT_CA"):
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(os.environ["REFERENCE_TLS_CLIENT_CA"])
    return context


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("instance/reference-backoffice"))
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="receive packages on 127.0.0.1")
    serve.add_argument("--port", type=int, default=8600)
    event = commands.add_parser("event", help="post a status event to the portal")
    event.add_argument("code")
    event.add_argument("status", type=int, choices=range(1, 11))
    event.add_argument("--note")
    event.add_argument(
        "--result", type=Path, action="append", default=[], help="signed result PDF (status 10)"
    )
    event.add_argument("--promised-on", help="the promised date, YYYY-MM-DD (NgayHenTra)")
    event.add_argument("--apology", help="an extension's apology (with --promised-on, the same status)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        tls = tls_context()
        server = make_server("127.0.0.1", args.port, create_app(args.data), threaded=True, ssl_context=tls)
        scheme = "https" if tls else "http"
        print(f"reference back office on {scheme}://127.0.0.1:{server.server_port}", flush=True)
        server.serve_forever()
    else:
        post_event(args.data, args.code, args.status, args.note, args.result, args.promised_on, args.apology)


if __name__ == "__main__":
    main()
