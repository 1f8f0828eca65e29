"""The `http` adapter: posts the package to a back office over HTTP(S).

    POST <url>
    Content-Type: application/zip            (or multipart/form-data, field "package")
    Idempotency-Key: <dossier code>          the same dossier twice is one dossier; `<code>-BS<n>`
                                             for a supplement, `<code>-RUT` for a withdrawal
    X-OpenDVC-Package: submission | supplement | withdrawal
    X-OpenDVC-Timestamp: <unix seconds>
    X-OpenDVC-Signature: <hex HMAC-SHA256 of "<timestamp>." + body, with the shared secret>

The back office answers as the IETF Idempotency-Key draft (draft-ietf-httpapi-idempotency-key-
header) has it, the dossier code being the key (docs/delivery.md is the contract in full):

    200, 201  {"reference": "…"}: taken; a key it has seen gets the original answer again
    409       a request with this key is still in progress there: tried again later
    422       this key came before with a different package, or the package does not verify:
              refused, the delivery fails at once for an operator (so do 400 and 413)
    429, 503  busy or down for maintenance: tried again, not before its Retry-After

Anything else, a timeout or a broken connection is retried by the outbox with backoff. The
package is built into a temporary file and streamed: memory stays flat whatever the attachments
weigh.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, ClassVar, Literal
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from werkzeug.http import parse_date

from app.backoffice.adapters import BackOffice, Delivered, DeliveryFailed, DeliveryRefused
from app.packaging.package import DossierPackage

REFUSED = {400, 413, 422}
IN_PROGRESS = 409  # the draft's "a request with this key is still outstanding"
RETRY_AFTER = {IN_PROGRESS, 429, 503}  # answers whose Retry-After says when to come back
MAX_ANSWER = 64 * 1024  # a receipt is small; a back office cannot make the portal hold more
CHUNK = 1024 * 1024


class TransportOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str
    secret: SecretStr = Field(min_length=16)  # shared with the back office; never logged
    connect_timeout_seconds: float = Field(default=5, gt=0, le=120)
    timeout_seconds: float = Field(default=60, gt=0, le=3600)  # for each read of the answer
    client_cert: Path | None = None  # PEM certificate for TLS client authentication
    client_key: Path | None = None  # its PEM private key (file readable by the portal only)
    ca_bundle: Path | None = None  # the back office's CA, when not a public one


class HttpOptions(TransportOptions):
    body: Literal["zip", "multipart"] = "zip"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Answer:
    """A back office's answer, its body read up to MAX_ANSWER bytes (the rest is not read)."""

    status_code: int
    reason: str
    headers: Mapping[str, str]  # case-insensitive, as requests gives them
    content: bytes

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not JSON."""
        return json.loads(self.content)


def _at_most(chunks: Iterable[bytes], limit: int) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body += chunk[: limit - len(body)]
        if len(body) >= limit:
            break
    return bytes(body)


class SignedPoster:
    """POST a body with the portal's HMAC headers; shared by the adapters that speak HTTP."""

    def __init__(self, options: TransportOptions) -> None:
        self.options = options
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "OpenDVC"
        # Given with each request: a session's own `verify` loses to REQUESTS_CA_BUNDLE.
        self.tls: dict[str, Any] = {}
        if options.client_cert:
            key = str(options.client_key) if options.client_key else None
            self.tls["cert"] = (str(options.client_cert), key) if key else str(options.client_cert)
        if options.ca_bundle:
            self.tls["verify"] = str(options.ca_bundle)

    def check(self) -> None:
        parts = urlsplit(self.options.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url {self.options.url!r} is not an http(s) URL")
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise ValueError("url must be https:// unless the back office runs on this machine")
        for name in ("client_cert", "client_key", "ca_bundle"):
            path = getattr(self.options, name)
            if path is not None and not path.is_file():
                raise ValueError(f"{name}: {path} is not a file")
        if self.options.client_key and not self.options.client_cert:
            raise ValueError("client_key is set without client_cert")

    def signature(self, stamp: str, body: IO[bytes]) -> str:
        mac = hmac.new(self.options.secret.get_secret_value().encode(), stamp.encode() + b".", hashlib.sha256)
        body.seek(0)
        while chunk := body.read(CHUNK):
            mac.update(chunk)
        body.seek(0)
        return mac.hexdigest()

    def post(self, body: IO[bytes], *, content_type: str, headers: dict[str, str]) -> Answer:
        stamp = str(int(time.time()))
        headers = {
            **headers,
            "Content-Type": content_type,
            "X-OpenDVC-Timestamp": stamp,
            "X-OpenDVC-Signature": self.signature(stamp, body),
        }
        timeout = (self.options.connect_timeout_seconds, self.options.timeout_seconds)
        where = urlsplit(self.options.url).netloc
        try:
            with self.session.post(
                self.options.url, data=body, headers=headers, timeout=timeout, stream=True, **self.tls
            ) as response:
                content = _at_most(response.iter_content(chunk_size=8192), MAX_ANSWER)
                answer = Answer(response.status_code, response.reason or "", response.headers, content)
        except requests.Timeout:
            raise DeliveryFailed(
                f"{where} did not answer within {self.options.timeout_seconds:g} s"
            ) from None
        except requests.RequestException as exc:
            raise DeliveryFailed(f"cannot reach {where}: {type(exc).__name__}") from None
        finally:
            body.seek(0)
        return answer


def retry_after(value: str | None, *, now: datetime | None = None) -> timedelta | None:
    """How long a `Retry-After` header asks to wait: delta-seconds or an HTTP-date (RFC 9110
    10.2.3); None when absent, unreadable or already past. Bounding it is the caller's call."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit():
        return timedelta(seconds=int(value)) if len(value) <= 12 else timedelta.max
    when = parse_date(value) if value else None
    if when is None:
        return None
    wait = when - (now or datetime.now(UTC))
    return wait if wait > timedelta(0) else None


def reference_from(answer: Answer, *, key: str = "reference") -> str:
    """The back office's reference from a JSON answer, or the reason there is none."""
    status = answer.status_code
    if status in REFUSED:
        raise DeliveryRefused(f"refused ({status}): {_title(answer)}")
    if status not in (200, 201):
        wait = retry_after(answer.headers.get("Retry-After")) if status in RETRY_AFTER else None
        if status == IN_PROGRESS:
            raise DeliveryFailed(f"in progress at the back office (409): {_title(answer)}", retry_after=wait)
        raise DeliveryFailed(f"answered {status}: {_title(answer)}", retry_after=wait)
    try:
        data: Any = answer.json()
    except ValueError:
        data = None
    reference = data.get(key) if isinstance(data, dict) else None
    if not isinstance(reference, str) or not reference or len(reference) > 255:
        raise DeliveryFailed(f"answered {answer.status_code} without a {key}: not a receipt")
    return reference


def _title(answer: Answer) -> str:
    try:
        data = answer.json()
    except ValueError:
        return answer.reason or "no explanation"
    if isinstance(data, dict):
        return str(data.get("title") or data.get("message") or data)[:500]
    return str(data)[:500]


@contextmanager
def package_file(package: DossierPackage) -> Iterator[IO[bytes]]:
    """The package's zip in a temporary file (on disk, deleted on close)."""
    with tempfile.TemporaryFile(prefix="opendvc-package-") as out:
        package.write_zip(out)
        out.seek(0)
        yield out


def multipart(parts: list[tuple[str, str, str, IO[bytes] | bytes]]) -> tuple[IO[bytes], str]:
    """A multipart/form-data body in a temporary file: (field, file name, media type, content)."""
    boundary = "opendvc-" + secrets.token_hex(16)
    out = tempfile.TemporaryFile(prefix="opendvc-multipart-")  # noqa: SIM115 (the caller closes it)
    for name, filename, media_type, content in parts:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {media_type}\r\n\r\n".encode()
        )
        if isinstance(content, bytes):
            out.write(content)
        else:
            while chunk := content.read(CHUNK):
                out.write(chunk)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    out.seek(0)
    return out, f"multipart/form-data; boundary={boundary}"


class PostingBackOffice(BackOffice):
    """An adapter that posts to a back office with the portal's signature headers."""

    options: TransportOptions

    def __init__(self, *, options: BaseModel) -> None:
        super().__init__(options=options)
        self.poster = SignedPoster(self.options)

    def check(self) -> None:
        self.poster.check()


class HttpBackOffice(PostingBackOffice):
    name = "http"
    Options: ClassVar[type[BaseModel]] = HttpOptions
    options: HttpOptions

    def submit(self, *, package: DossierPackage) -> Delivered:
        headers = {"Idempotency-Key": package.code, "X-OpenDVC-Package": package.kind}
        with package_file(package) as zipped:
            if self.options.body == "zip":
                answer = self.poster.post(zipped, content_type="application/zip", headers=headers)
            else:
                body, content_type = multipart(
                    [("package", f"{package.code}.zip", "application/zip", zipped)]
                )
                with body:
                    answer = self.poster.post(body, content_type=content_type, headers=headers)
        return Delivered(reference=reference_from(answer))
