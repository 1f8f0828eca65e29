"""The compiled catalog, kept on disk so that a process starts without checking every definition.

Two kinds of file live in the cache folder, under a sub-folder named by the fingerprint of the
schema code (a change to the code that checks definitions starts a fresh cache):

- an entry per definition, named by the sha256 of the file's bytes (the version a dossier pins):
  the checked definition, its text and its listing (what search and the list of procedures show);
- a snapshot per catalog folder: each file's size, mtime and version, so that a file not touched
  since is not even read again, and the listings, so that start-up reads one file, not thousands.

Every file is written to a temporary name and renamed (atomic: several processes starting at
once each write whole files, the last rename wins, and the contents are the same). Every file is
read back checked (a magic string, its key, its length and a CRC): one truncated or written by
something else is ignored and rebuilt, never a crash. Pickle is used because the cache lives in
the instance folder, trusted like the code itself; the checks guard against accidents, not
against an attacker who can already write the code.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import struct
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pydantic
import yaml

from app.catalog.folding import fold
from app.catalog.schema import Procedure

log = logging.getLogger(__name__)

MAGIC = b"opendvc-catalog1"  # 16 bytes
_HEADER = struct.Struct(">16s64sIQ")  # magic, key (64 ascii characters), crc32, payload length
# A file modified this recently may change again within the same mtime tick: its stat is not
# recorded, so that the next scan reads it again (git's "racy" files).
RACY_NS = 2_000_000_000

_CODE = Path(__file__).resolve().parent.parent  # app/


def schema_fingerprint() -> str:
    """What the compiled form depends on: the code of the catalog and of the field types, and the
    versions of Python, pydantic and PyYAML."""
    digest = hashlib.sha256()
    for version in (sys.version, pydantic.VERSION, yaml.__version__):
        digest.update(version.encode() + b"\0")
    sources = [*sorted((_CODE / "catalog").glob("*.py")), *sorted((_CODE / "fields").glob("*.py"))]
    for source in [*sources, _CODE / "texts.py"]:
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


class Label(NamedTuple):
    vi: str
    en: str

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.vi


class Listing(NamedTuple):
    """What the list of procedures and search need, without the whole definition."""

    code: str
    version: str
    name: Label
    summary: Label | None
    field_code: str
    field_name: Label
    agency_code: str
    agency_name: Label
    level: str
    # The searched columns, folded once when compiled (folding is slow): code, name, summary,
    # field, agency, each in both languages.
    folded: tuple[str, str, str, str, str]


def _fold_both(*labels: Label | None) -> str:
    return fold(" ".join(t for label in labels if label is not None for t in label))


def listing_of(definition: Procedure, version: str) -> Listing:
    d = definition
    name = Label(d.name.vi, d.name.en)
    summary = Label(d.summary.vi, d.summary.en) if d.summary else None
    field_name = Label(d.field.name.vi, d.field.name.en)
    agency_name = Label(d.agency.name.vi, d.agency.name.en)
    return Listing(
        code=d.code,
        version=version,
        name=name,
        summary=summary,
        field_code=d.field.code,
        field_name=field_name,
        agency_code=d.agency.code,
        agency_name=agency_name,
        level=d.level.value,
        folded=(
            fold(d.code),
            _fold_both(name),
            _fold_both(summary),
            _fold_both(field_name),
            _fold_both(agency_name),
        ),
    )


@dataclass(frozen=True)
class Entry:
    listing: Listing
    definition: Procedure
    text: str


class FileRecord(NamedTuple):
    size: int
    mtime_ns: int  # -1: not trusted (modified too recently), read the file again
    version: str
    listing: Listing


def _pack(key: str, payload: bytes) -> bytes:
    return _HEADER.pack(MAGIC, key.encode("ascii"), zlib.crc32(payload), len(payload)) + payload


def _unpack(key: str, data: bytes) -> bytes | None:
    if len(data) < _HEADER.size:
        return None
    magic, found, crc, length = _HEADER.unpack_from(data)
    payload = data[_HEADER.size :]
    if magic != MAGIC or found != key.encode("ascii") or length != len(payload) or crc != zlib.crc32(payload):
        return None
    return payload


class CompiledCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / schema_fingerprint()

    def entry_path(self, version: str) -> Path:
        return self.folder / f"{version}.entry"

    def _write(self, path: Path, key: str, value: Any) -> None:
        data = _pack(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:  # a read-only or full disk: the catalog still works, only slower
            log.warning("catalog cache: cannot write %s: %s", path, exc)

    def _read(self, path: Path, key: str) -> Any:
        try:
            payload = _unpack(key, path.read_bytes())
            return None if payload is None else pickle.loads(payload)  # noqa: S301 (see the module's docstring)
        except FileNotFoundError:
            return None
        except Exception as exc:
            log.warning("catalog cache: ignoring %s: %s", path, exc)
            return None

    def get(self, version: str) -> Entry | None:
        found = self._read(self.entry_path(version), version)
        parts: tuple[Any, ...] = (
            (getattr(found, "definition", None), Procedure),
            (getattr(found, "text", None), str),
            (getattr(found, "listing", None), Listing),
        )
        if not isinstance(found, Entry) or not all(isinstance(value, kind) for value, kind in parts):
            return None  # unpickled, but not what this code writes
        return found if found.listing.version == version else None

    def put(self, version: str, entry: Entry) -> None:
        self._write(self.entry_path(version), version, entry)

    def _snapshot_key(self, catalog_folder: Path) -> str:
        return hashlib.sha256(str(catalog_folder.resolve()).encode()).hexdigest()

    def snapshot(self, catalog_folder: Path) -> dict[str, FileRecord]:
        key = self._snapshot_key(catalog_folder)
        found = self._read(self.folder / f"{key[:32]}.snapshot", key)
        if not isinstance(found, dict) or not all(
            isinstance(k, str) and isinstance(v, FileRecord) and isinstance(v.listing, Listing)
            for k, v in found.items()
        ):
            return {}
        return found

    def save_snapshot(self, catalog_folder: Path, records: dict[str, FileRecord]) -> None:
        key = self._snapshot_key(catalog_folder)
        self._write(self.folder / f"{key[:32]}.snapshot", key, records)

    def index_path(self, key: str) -> Path:
        return self.folder / f"{key[:32]}.fts"

    def get_index(self, key: str) -> bytes | None:
        """The search index compiled for the listings of digest `key` (SQLite's bytes)."""
        found = self._read(self.index_path(key), key)
        return found if isinstance(found, bytes) else None

    def put_index(self, key: str, compiled: bytes) -> None:
        self._write(self.index_path(key), key, compiled)
