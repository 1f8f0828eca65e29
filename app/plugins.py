"""Plugins found through entry points: signer providers, back-office adapters."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any, TypeVar

from pydantic import ValidationError

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


def problems(exc: ValidationError) -> str:
    """A plugin's options refused by its schema, as a start-up error says it: where and why."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def configure(cls: type[T], raw: dict[str, Any], *, setting: str, label: str) -> T:
    """An instance of the plugin `cls` with its options `raw` validated by its own schema
    (`cls.Options`), its configuration checked (`check()`): a ConfigError naming `setting` (the
    options' setting) or `label` (what the plugin is) otherwise."""
    try:
        options = cls.Options.model_validate(raw)  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise ConfigError(f"{setting}: {problems(exc)}") from None
    plugin = cls(options=options)  # type: ignore[call-arg]
    try:
        plugin.check()  # type: ignore[attr-defined]
    except ValueError as exc:
        raise ConfigError(f"{label}: {exc}") from None
    return plugin
