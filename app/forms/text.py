"""Definition texts that pick their language when they are rendered, not when a form class is built."""

from __future__ import annotations

from markupsafe import Markup, escape

from app.catalog.schema import Text
from app.i18n import current_locale

__all__ = ["Localized", "current_locale"]  # current_locale lives in app.i18n now


class Localized:
    """A `Text` that renders in the request's language; usable wherever WTForms wants a label."""

    __slots__ = ("text",)

    def __init__(self, text: Text) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text.get(current_locale())

    def __html__(self) -> Markup:
        return escape(str(self))

    def __bool__(self) -> bool:
        return True
