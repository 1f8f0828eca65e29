"""The procedure catalog: definitions loaded from YAML files, versioned by content hash.
Pinning a version runs in the caller's transaction, never commits.

Start-up reads the compiled cache (app/catalog/cache.py) and checks only the files changed since;
each process looks for changed files at most every CATALOG_RELOAD_SECONDS, and at once when
`flask catalog reload` has marked the cache, and swaps in the new catalog whole. A changed file
that is invalid leaves the catalog as it was (the errors are logged)."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from app.catalog.cache import CompiledCache, FileRecord, Label, Listing
from app.catalog.cli import RELOAD_MARK, cache_folder, catalog_cli
from app.catalog.loader import (
    CatalogError,
    CatalogInvalid,
    Compiled,
    LoadedProcedure,
    compile_catalog,
    definition_from_cache,
    parse_definition,
)
from app.catalog.models import ProcedureVersion
from app.catalog.schema import Procedure
from app.catalog.search import Filters, Results, SearchIndex
from app.config import ConfigError
from app.extensions import db

__all__ = ["Catalog", "CatalogInvalid", "LoadedProcedure", "Procedure", "get_catalog"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _State:
    """One catalog as served: swapped whole on reload, never changed in place."""

    records: dict[str, FileRecord]
    by_code: dict[str, tuple[FileRecord, Path]]
    index: SearchIndex
    facets: dict[str, dict[str, Label]] = field(default_factory=dict)


def _state(folder: Path, records: dict[str, FileRecord], cache: CompiledCache) -> _State:
    by_code = {r.listing.code: (r, folder / name) for name, r in records.items()}
    # The index is kept in the cache too, by a digest of what it indexes.
    key = hashlib.sha256("\n".join(sorted(r.version for r in records.values())).encode()).hexdigest()
    index = SearchIndex((r.listing for r in records.values()), cache.get_index(key))
    if index.built:
        cache.put_index(key, index.serialize())
    fields: dict[str, Label] = {}
    agencies: dict[str, Label] = {}
    for x in index.listings():
        fields.setdefault(x.field_code, x.field_name)
        agencies.setdefault(x.agency_code, x.agency_name)
    return _State(records, by_code, index, {"field": fields, "agency": agencies})


class Catalog:
    def __init__(
        self,
        folder: Path,
        cache: CompiledCache,
        *,
        reload_seconds: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Load `folder` through `cache`. A definition that is invalid raises CatalogInvalid,
        unless the cache holds the last catalog of this folder that was valid: then that one is
        served and the errors are logged, as a reload does (`problems`), so that a process
        restarted after a bad edit (a gunicorn worker) serves on rather than stopping."""
        self.folder = folder
        self.cache = cache
        self.reload_seconds = reload_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._loaded: dict[str, LoadedProcedure] = {}  # by version, read from the cache on demand
        known = cache.snapshot(folder)
        compiled = compile_catalog(folder, cache, known)
        self.problems = compiled.errors
        if compiled.errors:
            if not known:
                raise CatalogInvalid(compiled.errors)
            for error in compiled.errors:
                log.error("catalog: %s; serving the last valid catalog of %s", error, folder)
            compiled = Compiled(known, [], 0, 0)
        self.last_compiled = compiled
        self._state = _state(folder, compiled.records, cache)
        self._checked_at = clock()
        self._mark = self._reload_mark()
        log.info(
            "catalog: %d procedures from %s, %d checked, %d read again, the rest from the cache",
            len(compiled.records),
            folder,
            compiled.checked,
            compiled.hashed,
        )

    @classmethod
    def from_folder(cls, folder: Path, cache_dir: Path) -> Catalog:
        return cls(folder, CompiledCache(cache_dir))

    def _reload_mark(self) -> tuple[int, int]:
        try:
            found = (self.cache.root / RELOAD_MARK).stat()
        except OSError:
            return (0, 0)
        return (found.st_ino, found.st_mtime_ns)

    def refresh(self) -> list[CatalogError]:
        """Look for changed files now and serve them; on errors keep serving the old catalog."""
        with self._lock:
            state = self._state
            compiled = compile_catalog(self.folder, self.cache, state.records)
            self._checked_at = self._clock()
            self.problems = compiled.errors
            if compiled.errors:
                for error in compiled.errors:
                    log.error("catalog: not reloaded, %s", error)
                return compiled.errors
            if compiled.records != state.records:
                self._state = _state(self.folder, compiled.records, self.cache)
                log.info(
                    "catalog: reloaded, %d procedures, %d checked", len(compiled.records), compiled.checked
                )
            return []

    def refresh_if_due(self) -> None:
        """Called before each request: one stat of the reload mark, and a scan of the folder at
        most every `reload_seconds` (0: only when marked)."""
        mark = self._reload_mark()
        due = self.reload_seconds > 0 and self._clock() - self._checked_at >= self.reload_seconds
        if mark != self._mark or due:
            self._mark = mark
            self._checked_at = self._clock()  # the other request threads need not look too
            self.refresh()

    def __len__(self) -> int:
        return len(self._state.records)

    def _definition(self, record: FileRecord, source: Path) -> LoadedProcedure | None:
        found = self._loaded.get(record.version)
        if found is None:
            found = definition_from_cache(self.cache, record, source)
            if found is not None:
                self._loaded[record.version] = found
        return found

    def get(self, code: str) -> LoadedProcedure | None:
        found = self._state.by_code.get(code)
        if found is None:
            return None
        loaded = self._definition(*found)
        if loaded is None:  # the file changed under us since the last scan
            self.refresh()
            found = self._state.by_code.get(code)
            loaded = self._definition(*found) if found else None
        return loaded

    def listings(self) -> list[Listing]:
        return list(self._state.index.listings())

    def all(self) -> list[LoadedProcedure]:
        every = (self.get(x.code) for x in self._state.index.listings())
        return [p for p in every if p is not None]

    def find(self, filters: Filters, *, page: int = 1) -> Results:
        """One page of listings, ranked by relevance when words are searched."""
        return self._state.index.search(filters, page=page)

    def search(self, filters: Filters) -> list[LoadedProcedure]:
        """Every matching procedure, ranked, with its definition."""
        found = self._state.index.search(filters, page=1, page_size=len(self._state.index) or 1)
        every = (self.get(x.code) for x in found.items)
        return [p for p in every if p is not None]

    def facets(self) -> dict[str, dict[str, Label]]:
        """The name of each field and agency, by code, to label the filters."""
        return self._state.facets

    def pin(self, procedure: LoadedProcedure) -> None:
        """Record this exact definition so dossiers started with it can always be read back.
        Runs inside the caller's transaction."""
        if db.session.get(ProcedureVersion, procedure.version) is not None:
            return
        try:
            with db.session.begin_nested():
                db.session.add(
                    ProcedureVersion(
                        version=procedure.version,
                        code=procedure.definition.code,
                        source=procedure.text,
                    )
                )
        except IntegrityError:
            pass  # pinned by a concurrent request meanwhile: same bytes, same key

    def by_version(self, version: str) -> LoadedProcedure | None:
        found = self._loaded.get(version)
        if found is not None:
            return found
        entry = self.cache.get(version)
        row = None if entry is not None else db.session.get(ProcedureVersion, version)
        if entry is not None:
            loaded = LoadedProcedure(
                entry.definition, version, Path(f"{entry.listing.code}@{version[:12]}"), entry.text
            )
        elif row is None:
            return None
        else:
            parsed, errors = parse_definition(row.source.encode("utf-8"), Path(f"{row.code}@{version[:12]}"))
            if parsed is None:  # the schema moved on since; a data migration must handle it
                raise CatalogInvalid(errors)
            loaded = parsed
        self._loaded[version] = loaded
        return loaded


def init_app(app: Flask) -> None:
    app.cli.add_command(catalog_cli)
    settings = app.config["OPENDVC"]
    folder = Path(settings.CATALOG_DIR)
    try:
        catalog = Catalog(
            folder, CompiledCache(cache_folder(app)), reload_seconds=settings.CATALOG_RELOAD_SECONDS
        )
    except CatalogInvalid as exc:
        raise ConfigError(f"OPENDVC_CATALOG_DIR: the catalog in {folder} is invalid:\n{exc}") from None
    app.extensions["opendvc.catalog"] = catalog
    app.before_request(catalog.refresh_if_due)


def get_catalog() -> Catalog:
    return current_app.extensions["opendvc.catalog"]
