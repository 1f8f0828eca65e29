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
# The indexed columns. bm25's weights, in the same order, in _PAGE_MATCHING: a word in the code or
# the name counts most, then the summary, then the field, then the agency.
_COLUMNS = ("code", "name", "summary", "field", "agency")
_FILTERS = """(:field = '' OR meta.field = :field) AND (:agency = '' OR meta.agency = :agency)
    AND (:level = '' OR meta.level = :level)"""
_COUNT_ALL = "SELECT count(*) FROM meta WHERE " + _FILTERS  # noqa: S608 (constants only)
_PAGE_ALL = "SELECT id FROM meta WHERE " + _FILTERS + " ORDER BY id LIMIT :limit OFFSET :offset"  # noqa: S608 (constants only)
_MATCHING = "FROM fts JOIN meta ON meta.id = fts.rowid WHERE fts MATCH :match AND " + _FILTERS
_COUNT_MATCHING = "SELECT count(*) " + _MATCHING
_PAGE_MATCHING = (
    "SELECT meta.id "
    + _MATCHING
    + " ORDER BY bm25(fts, 12.0, 10.0, 4.0, 2.0, 1.0), meta.id LIMIT :limit OFFSET :offset"
)
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
    the last one a prefix too (one letter only after other words, which narrow it: "bảo v").
    None when no word is left (only punctuation, say)."""
    words = _WORD.findall(fold(text))[:MAX_WORDS]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    last = words[-1]
    if len(last) > 1 or (len(words) > 1 and last.isalpha()):
        # Still being typed. One letter alone would match nearly everything, slowly; one digit
        # is a number asked for ("số 1"), not the start of every code.
        quoted[-1] += "*"
    return " ".join(quoted)


class SearchIndex:
    """The listings of one catalog, in a sorted order of their own (field, then code) when no
    word is searched, by relevance when words are."""

    def __init__(self, listings: Iterable[Listing], compiled: bytes | None = None) -> None:
        """Build the index, or take `compiled` (what `serialize()` gave for the same listings)
        when it is sound."""
        self._listings: list[Listing] = sorted(listings, key=lambda x: (x.field_code, x.code))
        self._lock = threading.Lock()  # one connection, shared by the request threads
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self.built = not (compiled and self._load(compiled))
        if self.built:
            self._db.close()
            self._db = sqlite3.connect(":memory:", check_same_thread=False)
            self._build()

    def _load(self, compiled: bytes) -> bool:
        try:
            self._db.deserialize(compiled)
            count = self._db.execute("SELECT count(*) FROM meta").fetchone()[0]
            self._db.execute("SELECT rowid FROM fts WHERE fts MATCH 'x' LIMIT 1").fetchall()
        except sqlite3.Error:
            return False
        return bool(count == len(self._listings))

    def serialize(self) -> bytes:
        with self._lock:
            return self._db.serialize()

    def _build(self) -> None:
        db = self._db
        db.execute(
            f"CREATE VIRTUAL TABLE fts USING fts5({', '.join(_COLUMNS)}, "
            "tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
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

    def __len__(self) -> int:
        return len(self._listings)

    def listings(self) -> Sequence[Listing]:
        return self._listings

    def search(self, filters: Filters, *, page: int = 1, page_size: int = PAGE_SIZE) -> Results:
        """One page of the procedures matching `filters`, and how many match in all."""
        values = {
            "field": filters.field,
            "agency": filters.agency,
            "level": filters.level,
            "limit": page_size,
            "offset": (max(page, 1) - 1) * page_size,
        }
        if filters.query:
            match = fts_query(filters.query)
            if match is None:
                return Results([], 0, page, page_size)  # words asked for, none searchable
            count_sql, rows_sql = _COUNT_MATCHING, _PAGE_MATCHING
            values["match"] = match
        else:
            count_sql, rows_sql = _COUNT_ALL, _PAGE_ALL
        with self._lock:
            total = self._db.execute(count_sql, values).fetchone()[0]
            ids = [row[0] for row in self._db.execute(rows_sql, values)]
        return Results([self._listings[i] for i in ids], total, page, page_size)
