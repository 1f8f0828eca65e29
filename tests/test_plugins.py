"""Entry-point registries refuse duplicate names and impostors."""

from __future__ import annotations

from importlib import metadata

import pytest

from app import plugins
from app.backoffice.adapters import BackOffice, FailingBackOffice
from app.config import ConfigError


def fake(monkeypatch, *points: tuple[str, str]) -> None:
    """Entry points as an installed distribution would declare them (metadata only)."""
    eps = [metadata.EntryPoint(name, value, "opendvc.test") for name, value in points]
    monkeypatch.setattr(plugins, "entry_points", lambda group: [e for e in eps if e.group == group])


def test_a_registered_class_is_found(monkeypatch):
    fake(monkeypatch, ("failing", "app.backoffice.adapters:FailingBackOffice"))
    assert plugins.load("opendvc.test", BackOffice) == {"failing": FailingBackOffice}


def test_two_plugins_with_one_name_stop_start_up(monkeypatch):
    fake(
        monkeypatch,
        ("failing", "app.backoffice.adapters:FailingBackOffice"),
        ("failing", "app.backoffice.adapters:FilesystemBackOffice"),
    )
    with pytest.raises(ConfigError, match=r"two entry points in opendvc\.test are named 'failing'"):
        plugins.load("opendvc.test", BackOffice)


@pytest.mark.parametrize(
    "value", ["app.signing.providers:Pkcs12Provider", "app.backoffice.adapters:FilesystemBackOffice"]
)
def test_an_impostor_stops_start_up(monkeypatch, value):
    fake(monkeypatch, ("failing", value))  # wrong base class, or a name that does not match
    with pytest.raises(ConfigError, match="is not a BackOffice named 'failing'"):
        plugins.load("opendvc.test", BackOffice)
