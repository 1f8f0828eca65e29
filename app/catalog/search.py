"""Search that ignores case and Vietnamese diacritics."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Filters:
    query: str = ""
    field: str = ""
    agency: str = ""
    level: str = ""


def fold(text: str) -> str:
    """'Bảo vệ Môi trường' -> 'bao ve moi truong'. đ is a letter of its own, not a d with a mark."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def matches(query: str, haystack: str) -> bool:
    """Every word of the query appears in the (already folded) haystack."""
    return all(word in haystack for word in fold(query).split())
