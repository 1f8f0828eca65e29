"""Load and check a folder of procedure definitions."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.catalog.cache import RACY_NS, CompiledCache, Entry, FileRecord, listing_of
from app.catalog.schema import Problems, Procedure

# libyaml's parser when PyYAML was built with it (the wheels are): several times faster.
YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class CatalogError:
    """One problem in one definition file, located by a path inside it."""

    file: str
    path: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.reason}"


class CatalogInvalid(Exception):
    def __init__(self, errors: list[CatalogError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class LoadedProcedure:
    definition: Procedure
    version: str  # sha256 of the file's bytes: a dossier pins it
    source: Path
    text: str  # the file as loaded, so the pinned copy is exactly what was validated


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _errors(name: str, error: Any) -> list[CatalogError]:
    """One pydantic error as catalog errors: a model's `Problems` each at its own path."""
    where = _path(error["loc"])
    found = (error.get("ctx") or {}).get("error")
    if isinstance(found, Problems):
        return [CatalogError(name, _join(where, path), reason) for path, reason in found.problems]
    return [CatalogError(name, where, error["msg"].removeprefix("Value error, "))]


def _join(where: str, path: str) -> str:
    if not where or not path:
        return where or path
    return where + path if path.startswith(("[", ".")) else f"{where}.{path}"


def parse_definition(raw: bytes, source: Path) -> tuple[LoadedProcedure | None, list[CatalogError]]:
    name = source.name
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [CatalogError(name, f"byte {exc.start}", "not UTF-8 text")]
    try:
        data = yaml.load(text, Loader=YamlLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return None, [CatalogError(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(data, dict):
        return None, [CatalogError(name, "", "a definition must be a mapping at the top level")]
    try:
        definition = Procedure.model_validate(data)
    except ValidationError as exc:
        return None, [error for e in exc.errors() for error in _errors(name, e)]
    return LoadedProcedure(definition, hashlib.sha256(raw).hexdigest(), source, text), []


def load_folder(folder: Path) -> dict[str, LoadedProcedure]:
    """Every `*.yaml` file in `folder`, keyed by procedure code; raises CatalogInvalid."""
    if not folder.is_dir():
        raise CatalogInvalid([CatalogError(str(folder), "", "is not a folder")])
    loaded: dict[str, LoadedProcedure] = {}
    errors: list[CatalogError] = []
    for source in sorted(folder.glob("*.yaml")):
        procedure, problems = parse_definition(source.read_bytes(), source)
        errors.extend(problems)
        if procedure is None:
            continue
        code = procedure.definition.code
        if code in loaded:
            errors.append(
                CatalogError(source.name, "code", f"{code} is also defined in {loaded[code].source.name}")
            )
            continue
        loaded[code] = procedure
    if errors:
        raise CatalogInvalid(errors)
    return loaded


@dataclass(frozen=True)
class Compiled:
    """A catalog folder as compiled: each file's record, and what it took."""

    records: dict[str, FileRecord]  # by file name
    errors: list[CatalogError]
    checked: int  # definitions parsed and checked (not found in the cache)
    hashed: int  # files read and hashed (their stat had changed)

    @property
    def changed(self) -> bool:
        return self.checked > 0 or self.hashed > 0


def compile_folder(folder: Path, cache: CompiledCache, known: dict[str, FileRecord]) -> Compiled:
    """Every `*.yaml` file in `folder`, taken from `known` (the last scan, or the snapshot) when
    its size and mtime are unchanged, else from the cache by its content hash, else parsed and
    checked and put in the cache. Never raises for a bad file: its errors are returned."""
    if not folder.is_dir():
        return Compiled({}, [CatalogError(str(folder), "", "is not a folder")], 0, 0)
    records: dict[str, FileRecord] = {}
    errors: list[CatalogError] = []
    checked = hashed = 0
    now = time.time_ns()
    codes: dict[str, str] = {}
    with os.scandir(folder) as found:
        files = sorted((e for e in found if e.name.endswith(".yaml") and e.is_file()), key=lambda e: e.name)
    for item in files:
        stat = item.stat()
        record = known.get(item.name)
        if record is None or record.size != stat.st_size or record.mtime_ns != stat.st_mtime_ns:
            raw = Path(item.path).read_bytes()
            hashed += 1
            version = hashlib.sha256(raw).hexdigest()
            entry = cache.get(version)
            if entry is None:
                procedure, problems = parse_definition(raw, Path(item.path))
                checked += 1
                if procedure is None:
                    errors.extend(problems)
                    continue
                entry = Entry(listing_of(procedure.definition, version), procedure.definition, procedure.text)
                cache.put(version, entry)
            trusted = now - stat.st_mtime_ns > RACY_NS and len(raw) == stat.st_size
            record = FileRecord(len(raw), stat.st_mtime_ns if trusted else -1, version, entry.listing)
        code = record.listing.code
        if code in codes:
            errors.append(CatalogError(item.name, "code", f"{code} is also defined in {codes[code]}"))
            continue
        codes[code] = item.name
        records[item.name] = record
    return Compiled(records, errors, checked, hashed)


def compile_catalog(folder: Path, cache: CompiledCache, known: dict[str, FileRecord]) -> Compiled:
    """Compile `folder` through the cache and keep its snapshot up to date."""
    compiled = compile_folder(folder, cache, known)
    if not compiled.errors and (compiled.changed or compiled.records.keys() != known.keys()):
        cache.save_snapshot(folder, compiled.records)
    return compiled


def definition_from_cache(cache: CompiledCache, record: FileRecord, source: Path) -> LoadedProcedure | None:
    """The checked definition of `record`: from its cache entry, or, if that was lost or damaged,
    checked again from the file if the file still holds those bytes (None if it does not)."""
    entry = cache.get(record.version)
    if entry is not None:
        return LoadedProcedure(entry.definition, record.version, source, entry.text)
    try:
        raw = source.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(raw).hexdigest() != record.version:
        return None
    procedure, _ = parse_definition(raw, source)
    if procedure is not None:
        cache.put(record.version, Entry(record.listing, procedure.definition, procedure.text))
    return procedure
