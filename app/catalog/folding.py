"""Text as search compares it: case and Vietnamese diacritics ignored."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """'Bảo vệ Môi trường' -> 'bao ve moi truong'. đ is a letter of its own, not a d with a mark."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())
