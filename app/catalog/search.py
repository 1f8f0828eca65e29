"""Search that ignores case and Vietnamese diacritics, ranked by relevance.

An SQLite FTS5 index in memory, built per process from the listings (a few tens of milliseconds
for thousands of procedures). The text is folded with `fold()` before it is indexed and before it
is searched, so that đ and the marks behave the same on both sides. The applicant's words never
reach FTS5's query syntax: each becomes a quoted string (the last one also matches as a prefix,
as the applicant types), so any input gives results or none, never an error.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.catalog.cache import Listing
from app.catalog.folding import fold

PAGE_SIZE = 20
MAX_WORDS = 16
# bm25 weights, in the order of the indexed columns: a word in the name counts most, then the
# summary, then the field, then the agency.
_WEIGHTS = {"code": 12.0, "name": 10.0, "summary": 4.0, "field": 2.0, "agency": 1.0}
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Filters:
    query: str = ""
    field: str = ""
    agency: str = ""
    level: str = ""


@dataclass(frozen=True)
class Results:
    items: list[Listing]
    total: int  # across every page
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first(self) -> int:
        return (self.page - 1) * self.page_size + 1


def matches(query: str, haystack: str) -> bool:
    """Every word of the query appears in the (already folded) haystack."""
    return all(word in haystack for word in fold(query).split())


def fts_query(text: str) -> str | None:
    """The applicant's words as an FTS5 query that cannot be a syntax error: every word quoted,
    the last one a prefix too. None when no word is left (only punctuation, say)."""
    words = _WORD.findall(fold(text))[:MAX_WORDS]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


class SearchIndex:
    """The listings of one catalog, in a sorted order of their own (field, then code) when no
    word is searched, by relevance when words are."""

    def __init__(self, listings: Iterable[Listing]) -> None:
        self._listings: list[Listing] = sorted(listings, key=lambda x: (x.field_code, x.code))
        self._lock = threading.Lock()  # one connection, shared by the request threads
        db = self._db = sqlite3.connect(":memory:", check_same_thread=False)
        columns = ", ".join(_WEIGHTS)
        db.execute(
            f"CREATE VIRTUAL TABLE fts USING fts5({columns}, tokenize='unicode61 remove_diacritics 2', "
            "prefix='2 3')"
        )
        db.execute("CREATE TABLE meta (id INTEGER PRIMARY KEY, field TEXT, agency TEXT, level TEXT)")
        db.executemany(
            "INSERT INTO fts (rowid, code, name, summary, field, agency) VALUES (?, ?, ?, ?, ?, ?)",
            ((i, *x.folded) for i, x in enumerate(self._listings)),
        )
        db.executemany(
            "INSERT INTO meta VALUES (?, ?, ?, ?)",
            ((i, x.field_code, x.agency_code, x.level) for i, x in enumerate(self._listings)),
        )
        db.execute("CREATE INDEX meta_field ON meta (field)")
        db.execute("CREATE INDEX meta_agency ON meta (agency)")
        db.commit()
        self._rank = "bm25(fts, {})".format(", ".join(str(w) for w in _WEIGHTS.values()))

    def __len__(self) -> int:
        return len(self._listings)

    def listings(self) -> Sequence[Listing]:
        return self._listings

    def _where(self, filters: Filters) -> tuple[list[str], list[str]]:
        conditions, values = [], []
        for column in ("field", "agency", "level"):
            value = getattr(filters, column)
            if value:
                conditions.append(f"meta.{column} = ?")
                values.append(value)
        return conditions, values

    def search(self, filters: Filters, *, page: int = 1, page_size: int = PAGE_SIZE) -> Results:
        """One page of the procedures matching `filters`, and how many match in all."""
        conditions, values = self._where(filters)
        offset = (max(page, 1) - 1) * page_size
        if filters.query and (match := fts_query(filters.query)) is None:
            return Results([], 0, page, page_size)  # words asked for, none searchable
        if filters.query:
            where = " AND ".join(["fts MATCH ?", *conditions])
            rows_sql = (
                f"SELECT meta.id FROM fts JOIN meta ON meta.id = fts.rowid WHERE {where} "
                f"ORDER BY {self._rank}, meta.id LIMIT ? OFFSET ?"
            )
            count_sql = f"SELECT count(*) FROM fts JOIN meta ON meta.id = fts.rowid WHERE {where}"
            values = [match, *values]
        else:
            where = " AND ".join(conditions) or "1"
            rows_sql = f"SELECT id FROM meta WHERE {where} ORDER BY id LIMIT ? OFFSET ?"
            count_sql = f"SELECT count(*) FROM meta WHERE {where}"
        with self._lock:
            total = self._db.execute(count_sql, values).fetchone()[0]
            ids = [row[0] for row in self._db.execute(rows_sql, [*values, page_size, offset])]
        return Results([self._listings[i] for i in ids], total, page, page_size)
