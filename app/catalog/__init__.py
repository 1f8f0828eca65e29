"""The procedure catalog: definitions loaded from YAML files, versioned by content hash.
Pinning a version runs in the caller's transaction, never commits."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from app.catalog.cli import catalog_cli
from app.catalog.loader import CatalogInvalid, LoadedProcedure, load_folder, parse_definition
from app.catalog.models import ProcedureVersion
from app.catalog.schema import Procedure
from app.catalog.search import Filters, fold, matches
from app.config import ConfigError
from app.extensions import db

__all__ = ["Catalog", "CatalogInvalid", "LoadedProcedure", "Procedure", "get_catalog"]


class Catalog:
    def __init__(self, procedures: dict[str, LoadedProcedure]) -> None:
        self._current = procedures
        self._by_version = {p.version: p for p in procedures.values()}
        self._folded = {
            code: fold(
                " ".join(
                    [
                        code,
                        p.definition.name.vi,
                        p.definition.name.en,
                        p.definition.summary.vi if p.definition.summary else "",
                        p.definition.summary.en if p.definition.summary else "",
                        p.definition.field.name.vi,
                        p.definition.field.name.en,
                        p.definition.agency.name.vi,
                        p.definition.agency.name.en,
                    ]
                )
            )
            for code, p in procedures.items()
        }

    @classmethod
    def from_folder(cls, folder: Path) -> Catalog:
        return cls(load_folder(folder))

    def __len__(self) -> int:
        return len(self._current)

    def get(self, code: str) -> LoadedProcedure | None:
        return self._current.get(code)

    def all(self) -> list[LoadedProcedure]:
        return sorted(self._current.values(), key=lambda p: (p.definition.field.code, p.definition.code))

    def search(self, filters: Filters) -> list[LoadedProcedure]:
        found = []
        for p in self.all():
            d = p.definition
            if filters.field and d.field.code != filters.field:
                continue
            if filters.agency and d.agency.code != filters.agency:
                continue
            if filters.level and d.level.value != filters.level:
                continue
            if filters.query and not matches(filters.query, self._folded[d.code]):
                continue
            found.append(p)
        return found

    def facets(self) -> dict[str, dict[str, Procedure]]:
        """One example procedure per field and per agency, to label the filters."""
        fields: dict[str, Procedure] = {}
        agencies: dict[str, Procedure] = {}
        for p in self.all():
            fields.setdefault(p.definition.field.code, p.definition)
            agencies.setdefault(p.definition.agency.code, p.definition)
        return {"field": fields, "agency": agencies}

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
        found = self._by_version.get(version)
        if found is not None:
            return found
        row = db.session.get(ProcedureVersion, version)
        if row is None:
            return None
        loaded, errors = parse_definition(row.source.encode("utf-8"), Path(f"{row.code}@{version[:12]}"))
        if loaded is None:  # the schema moved on since; a data migration must handle it
            raise CatalogInvalid(errors)
        self._by_version[version] = loaded
        return loaded


def init_app(app: Flask) -> None:
    app.cli.add_command(catalog_cli)
    folder = Path(app.config["OPENDVC"].CATALOG_DIR)
    try:
        app.extensions["opendvc.catalog"] = Catalog.from_folder(folder)
    except CatalogInvalid as exc:
        raise ConfigError(f"OPENDVC_CATALOG_DIR: the catalog in {folder} is invalid:\n{exc}") from None


def get_catalog() -> Catalog:
    return current_app.extensions["opendvc.catalog"]
