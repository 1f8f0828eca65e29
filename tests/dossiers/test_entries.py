"""Documents given per entry follow their entry when a group's entries change."""

from __future__ import annotations

import pytest

from app.dossiers.entries import moved_entries

A, B, C = {"code": "A"}, {"code": "B"}, {"code": "C"}


@pytest.mark.parametrize(
    ("before", "after", "moved"),
    [
        ([A, B, C], [A, B, C], {0: 0, 1: 1, 2: 2}),
        ([A, B, C], [A, C], {0: 0, 2: 1}),  # the second removed: the third moves up, the second's is left
        ([A, B], [B, A], {0: 1, 1: 0}),  # reordered
        ([A, B], [A, {"code": "B2"}], {0: 0, 1: 1}),  # edited in place
        ([A, B], [A, B, C], {0: 0, 1: 1}),  # one added
        ([A, B], [], {}),  # all gone (or the group hidden)
        ([A, A], [A], {0: 0}),  # two alike: the first keeps its place
    ],
)
def test_entries_are_matched_by_their_answers_then_in_order(before, after, moved):
    assert moved_entries(before, after) == moved
