"""Virus scanning of uploads: the scanner interface, its registry and ClamAV's daemon.

A scanner is a class found through the `opendvc.scanners` entry point group (like the back-office
adapters): it declares an `Options` model, validated at start-up from
`OPENDVC_SCANNER_OPTIONS[<its name>]`, and implements `scan`. `OPENDVC_SCANNER` names the one in
use ("none": no scanning). A scanner that cannot answer raises `ScannerUnavailable`; what happens
then is `OPENDVC_SCANNER_ON_FAILURE`'s choice (refuse the upload, or let it through unscanned).

clamd is spoken to directly (its INSTREAM command over a unix or TCP socket, clamd(8)): the
protocol is a few lines, and the Python clients on PyPI (`clamd`, `pyclamd`) are unmaintained.
"""

from __future__ import annotations

import logging
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app import plugins
from app.config import ConfigError

GROUP = "opendvc.scanners"
logger = logging.getLogger(__name__)
CHUNK = 64 * 1024


class ScannerUnavailable(Exception):
    """The scanner could not say whether the file is clean (down, timed out, refused the file)."""


@dataclass(frozen=True)
class Verdict:
    infected: bool
    signature: str | None = None  # what was found, e.g. "Eicar-Test-Signature"


CLEAN = Verdict(infected=False)


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Scanner:
    name: ClassVar[str]
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, *, options: BaseModel) -> None:
        self.options = options

    def scan(self, stream: BinaryIO) -> Verdict:
        """Read `stream` to its end and say whether it holds a virus; or raise ScannerUnavailable."""
        raise NotImplementedError


class NoScanner(Scanner):
    """No scanning: every file is taken as clean."""

    name = "none"

    def scan(self, stream: BinaryIO) -> Verdict:
        return CLEAN


class ClamdOptions(BaseModel):
    """Where clamd listens: its LocalSocket, or its TCPAddr/TCPSocket. Files larger than clamd's
    StreamMaxLength (25 MB by default) are refused by it: set it above the largest upload."""

    model_config = ConfigDict(extra="forbid")
    socket: Path | None = None
    host: str | None = None
    port: int = Field(default=3310, ge=1, le=65535)
    timeout_seconds: float = Field(default=60, gt=0, le=600)

    @model_validator(mode="after")
    def _one_address(self) -> ClamdOptions:
        if self.socket is None and self.host is None:
            self.socket = Path("/run/clamav/clamd.ctl")  # Debian's clamav-daemon
        if self.socket is not None and self.host is not None:
            raise ValueError("give clamd's socket or its host, not both")
        return self


class ClamdScanner(Scanner):
    """ClamAV's daemon, over INSTREAM: the file is sent in chunks, clamd answers
    "stream: OK" or "stream: <signature> FOUND"."""

    name = "clamd"
    Options = ClamdOptions

    def _connect(self) -> socket.socket:
        options = self.options
        assert isinstance(options, ClamdOptions)
        if options.socket is not None:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                conn.settimeout(options.timeout_seconds)
                conn.connect(str(options.socket))
            except OSError:
                conn.close()
                raise
            return conn
        assert options.host is not None
        return socket.create_connection((options.host, options.port), timeout=options.timeout_seconds)

    def scan(self, stream: BinaryIO) -> Verdict:
        try:
            with self._connect() as conn:
                conn.sendall(b"zINSTREAM\0")
                while chunk := stream.read(CHUNK):
                    conn.sendall(struct.pack("!L", len(chunk)) + chunk)
                conn.sendall(struct.pack("!L", 0))
                reply = _read_reply(conn)
        except OSError as exc:  # refused, no such socket, timed out, cut off
            raise ScannerUnavailable(f"clamd: {exc}") from exc
        if reply == "stream: OK":
            return CLEAN
        if reply.startswith("stream: ") and reply.endswith(" FOUND"):
            return Verdict(infected=True, signature=reply.removeprefix("stream: ").removesuffix(" FOUND"))
        raise ScannerUnavailable(f"clamd: {reply or 'no answer'}")  # e.g. size limit exceeded. ERROR


def _read_reply(conn: socket.socket) -> str:
    """clamd's answer to a z-command: up to its NUL."""
    reply = b""
    while not reply.endswith(b"\0"):
        try:
            data = conn.recv(4096)
        except (BrokenPipeError, ConnectionResetError):
            break
        if not data:
            break
        reply += data
    return reply.rstrip(b"\0").decode("utf-8", "replace").strip()


def init_app(app: Flask) -> None:
    """The configured scanner, its options checked: a wrong one stops start-up."""
    settings = app.config["OPENDVC"]
    known: dict[str, type[Scanner]] = {"none": NoScanner, **plugins.load(GROUP, Scanner)}
    if settings.SCANNER not in known:
        raise ConfigError(
            f"OPENDVC_SCANNER: unknown scanner {settings.SCANNER!r} (known: {', '.join(known)})"
        )
    cls = known[settings.SCANNER]
    try:
        options = cls.Options(**settings.SCANNER_OPTIONS.get(cls.name, {}))
    except ValidationError as exc:
        raise ConfigError(f"OPENDVC_SCANNER_OPTIONS[{cls.name}]: {exc}") from None
    app.extensions["opendvc.scanner"] = cls(options=options)


def get_scanner() -> Scanner:
    return current_app.extensions["opendvc.scanner"]


@dataclass(frozen=True)
class Refusal:
    message: object  # translated (lazily)
    status: int


def refusal_of(path: Path) -> Refusal | None:
    """Why an upload (its file at `path`) may not be kept, by the configured scanner's verdict:
    infected, or the scanner failed and OPENDVC_SCANNER_ON_FAILURE is "refuse"; None to keep it."""
    try:
        with path.open("rb") as stream:
            verdict = get_scanner().scan(stream)
    except ScannerUnavailable as exc:
        if current_app.config["OPENDVC"].SCANNER_ON_FAILURE == "allow":
            logger.warning("upload kept without a virus scan: %s", exc)
            return None
        logger.error("upload refused, no virus scan: %s", exc)
        return Refusal(
            _l(
                "Files cannot be checked for viruses at the moment, so none can be attached. Try again later."
            ),
            503,
        )
    if verdict.infected:
        logger.warning("upload refused, virus found: %s", verdict.signature)
        return Refusal(
            _l(
                "The file contains a virus (%(name)s) and was not kept. "
                "Check your computer and attach a clean copy.",
                name=verdict.signature,
            ),
            422,
        )
    return None
