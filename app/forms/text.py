"""Kept for the callers that import from here: the texts live in `app.texts`, the locale in `app.i18n`."""

from __future__ import annotations

from app.i18n import current_locale
from app.texts import Localized

__all__ = ["Localized", "current_locale"]
