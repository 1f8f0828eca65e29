"""Delivery to the agency's back office: adapters chosen by configuration, an outbox, a worker."""

from __future__ import annotations

from flask import Flask, current_app
from pydantic import ValidationError

from app.backoffice.adapters import BackOffice, load_adapters
from app.config import ConfigError

__all__ = ["BackOffices", "get_backoffices", "init_app"]


class BackOffices:
    """The configured adapters, and which one serves which procedure."""

    def __init__(self, settings: dict) -> None:
        self.adapters: dict[str, BackOffice] = {}
        for name, cls in load_adapters().items():
            try:
                options = cls.Options.model_validate(settings)
            except ValidationError:
                continue  # not configured here; refused below if it is routed to
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
    from pathlib import Path

    settings = app.config["OPENDVC"].model_dump()
    settings["BACKOFFICE_DROP_DIR"] = (
        settings["BACKOFFICE_DROP_DIR"] or Path(app.instance_path) / "backoffice-drop"
    )
    app.extensions["opendvc.backoffices"] = BackOffices(settings)


def get_backoffices() -> BackOffices:
    return current_app.extensions["opendvc.backoffices"]
