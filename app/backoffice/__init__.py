"""The agency's back offices: adapters found by entry point, chosen by configuration. The
outbox (app/outbox/) queues for them; the worker (app/delivery/) delivers."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from pydantic import ValidationError

from app import plugins
from app.backoffice.adapters import BackOffice, load_adapters
from app.config import ConfigError

__all__ = ["BackOffices", "get_backoffices", "init_app"]


class BackOffices:
    """The configured adapters, and which one serves which procedure."""

    def __init__(self, settings: dict, defaults: dict[str, dict]) -> None:
        self.adapters: dict[str, BackOffice] = {}
        known = load_adapters()
        given: dict[str, dict] = settings["BACKOFFICE_OPTIONS"]
        unknown = sorted(given.keys() - known.keys())
        if unknown:
            raise ConfigError(
                f"OPENDVC_BACKOFFICE_OPTIONS: unknown adapter(s) {unknown}; known: {sorted(known)}"
            )
        for name, cls in known.items():
            try:
                options = cls.Options.model_validate({**defaults.get(name, {}), **given.get(name, {})})
            except ValidationError as exc:
                if name not in given:
                    continue  # not configured here; refused below if it is routed to
                raise ConfigError(f"OPENDVC_BACKOFFICE_OPTIONS[{name}]: {plugins.problems(exc)}") from None
            adapter = cls(options=options)
            try:
                adapter.check()
            except ValueError as exc:
                raise ConfigError(f"back-office adapter {name}: {exc}") from None
            self.adapters[name] = adapter
        self.default = settings["BACKOFFICE_DEFAULT"]
        self.routes: dict[str, str] = dict(settings["BACKOFFICE_ROUTES"])
        for where, name in [("OPENDVC_BACKOFFICE_DEFAULT", self.default), *self.routes.items()]:
            if name not in self.adapters:
                raise ConfigError(f"{where}: no configured back-office adapter named {name!r}")

    def route(self, procedure_code: str) -> str:
        return self.routes.get(procedure_code, self.default)

    def __getitem__(self, name: str) -> BackOffice:
        return self.adapters[name]


def init_app(app: Flask) -> None:
    settings = app.config["OPENDVC"].model_dump()
    drop = settings["BACKOFFICE_DROP_DIR"] or Path(app.instance_path) / "backoffice-drop"
    app.extensions["opendvc.backoffices"] = BackOffices(settings, {"filesystem": {"drop_dir": drop}})


def get_backoffices() -> BackOffices:
    return current_app.extensions["opendvc.backoffices"]
