"""Texts a person reads, given in Vietnamese and English, and picked in the request's language.

`Text` is what a definition carries (labels, help, option names); `Localized` wraps one so that
the language is chosen when it is rendered, not when a form class is built and cached.
"""

from __future__ import annotations

from typing import Annotated

from markupsafe import Markup, escape
from pydantic import BaseModel, ConfigDict, Field

from app.i18n import current_locale


class Text(BaseModel):
    """A text in both languages; Vietnamese is the reference."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vi: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.vi


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
