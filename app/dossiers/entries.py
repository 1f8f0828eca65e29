"""Documents given per entry of a repeatable group follow their entry when the group changes:
removing the second of three wells leaves the third well's permit with the third well, now
second. Entries are matched by their answers (unchanged ones first, then the rest in order); a
file whose entry is gone keeps no entry, and the review asks for it to be removed."""

from __future__ import annotations

from typing import Any

from app.catalog.schema import Procedure
from app.dossiers.models import Dossier


def moved_entries(before: list[Any], after: list[Any]) -> dict[int, int]:
    """Where each entry of `before` went in `after` (absent: gone)."""
    moved: dict[int, int] = {}
    free = list(range(len(after)))
    for old, row in enumerate(before):
        new = next((n for n in free if after[n] == row), None)
        if new is not None:
            moved[old] = new
            free.remove(new)
    left = [old for old in range(len(before)) if old not in moved]
    for old, new in zip(left, free, strict=False):  # edited in place
        moved[old] = new
    return moved


def follow_entries(definition: Procedure, dossier: Dossier, answers: dict[str, Any]) -> None:
    """Renumber the dossier's per-entry documents for the new `answers` of a step (no commit)."""
    for component in definition.components:
        group = component.per_entry_of
        if group is None or group not in answers:
            continue
        before, after = dossier.answers.get(group) or [], answers[group] or []
        if before == after:
            continue
        moved = moved_entries(before, after)
        for attachment in dossier.attachments:
            if attachment.component_code == component.code and attachment.entry is not None:
                attachment.entry = moved.get(attachment.entry)
