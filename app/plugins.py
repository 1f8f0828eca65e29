"""Plugins found through entry points: signer providers, back-office adapters."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import TypeVar

from app.config import ConfigError

T = TypeVar("T")


def load(group: str, base: type[T]) -> dict[str, type[T]]:
    """Every class registered under `group`, by name. A name given twice, or an entry point that
    is not a subclass of `base` carrying that same `name`, stops start-up."""
    found: dict[str, type[T]] = {}
    for ep in entry_points(group=group):
        if ep.name in found:
            raise ConfigError(f"two entry points in {group} are named {ep.name!r}")
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, base)) or getattr(cls, "name", None) != ep.name:
            raise ConfigError(
                f"entry point {ep.name!r} in {group} is not a {base.__name__} named {ep.name!r}"
            )
        found[ep.name] = cls
    return found
