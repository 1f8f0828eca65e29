"""Back-office adapters: the protocol, the registry, and the simplest built-in adapters.

An adapter is a class found through the `opendvc.backoffice` entry point group. It declares an
`Options` model, validated at start-up from `OPENDVC_BACKOFFICE_OPTIONS[<its name>]`, and
implements `submit`; `status` and `check` are optional. All methods take keyword arguments only.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from app import plugins
from app.packaging.package import DossierPackage

GROUP = "opendvc.backoffice"


class DeliveryFailed(Exception):
    """The back office did not take the package this time; the worker will try again, not
    before `retry_after` when the back office said when (HTTP Retry-After)."""

    def __init__(self, message: str, *, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DeliveryRefused(DeliveryFailed):
    """The back office refused the package itself (it is invalid, or conflicts with one it has):
    trying again cannot help, so the delivery fails at once and waits for an operator."""


@dataclass(frozen=True)
class Delivered:
    reference: str  # the back office's own reference for the dossier


@dataclass(frozen=True)
class StatusEvent:
    dossier_code: str
    status_code: int  # TrangThaiHoSo, 1–10
    note: str | None = None


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BackOffice:
    name: ClassVar[str]
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, *, options: BaseModel) -> None:
        self.options = options

    def check(self) -> None:
        """Raise ValueError naming the setting when the configuration cannot work."""

    def submit(self, *, package: DossierPackage) -> Delivered:
        """Hand the package over. Must be idempotent on `package.code`: the same dossier may be
        submitted again after a crash or a timeout, and must not become two dossiers."""
        raise NotImplementedError

    def status(self, *, reference: str) -> list[StatusEvent]:
        """Status events for a dossier, for back offices that are polled rather than calling back."""
        return []


def load_adapters() -> dict[str, type[BackOffice]]:
    return plugins.load(GROUP, BackOffice)


class FilesystemOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    drop_dir: Path  # default: OPENDVC_BACKOFFICE_DROP_DIR, else instance/backoffice-drop


class FilesystemBackOffice(BackOffice):
    """Writes each package as <code>.zip into a drop folder, atomically: a half-written package
    is never visible under its final name."""

    name = "filesystem"
    Options = FilesystemOptions
    options: FilesystemOptions

    def check(self) -> None:
        self.options.drop_dir.mkdir(parents=True, exist_ok=True)

    def submit(self, *, package: DossierPackage) -> Delivered:
        folder: Path = self.options.drop_dir
        target = folder / f"{package.code}.zip"
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                package.write_zip(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)  # same code again: the same bytes replace the same file
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise DeliveryFailed(f"cannot write to {folder}: {exc.strerror}") from None
        return Delivered(reference=package.code)


class FailingBackOffice(BackOffice):
    """Always fails: for tests and demonstrations of the failure path."""

    name = "failing"

    def submit(self, *, package: DossierPackage) -> Delivered:
        raise DeliveryFailed("the failing adapter never accepts a package")
