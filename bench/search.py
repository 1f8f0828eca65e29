"""Search over 6,000 procedures: one ranked page with its total (what the list of procedures
runs), against the old linear scan over the folded text and a bare FTS5 query on the same index,
in the same run.

python -m bench.search [COUNT]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from app.catalog import Catalog
from app.catalog.cache import CompiledCache, Listing
from app.catalog.search import Filters, SearchIndex, fts_query, matches
from bench.common import generate_catalog

COUNT = 6000
REPEAT = 7
QUERIES = [
    "bảo vệ môi trường",
    "bao ve moi truong",
    "giấy phép",
    "giay phep khai thac nuoc",
    "nước dưới đất",
    "đo đạc bản đồ",
    "genetic resources",
    "environmental licence",
    "tham dinh",
    "kế hoạch",
    "1.004261",
    "biến thể 4242",
    "sở tài nguyên",
    "b",
    "nothing like this",
    '"NEAR(a b)" OR *:',
]
FILTERS = [Filters(query=q) for q in QUERIES] + [
    Filters(query="giấy phép", level="partial"),
    Filters(query="", field="DDBD"),
    Filters(),
]


def _linear(listings: list[Listing]) -> Callable[[Filters], list[Listing]]:
    """The search this replaced: every word a substring of the folded text, unranked."""
    haystacks = [(x, " ".join(x.folded)) for x in listings]

    def search(f: Filters) -> list[Listing]:
        return [
            x
            for x, text in haystacks
            if (not f.field or x.field_code == f.field)
            and (not f.agency or x.agency_code == f.agency)
            and (not f.level or x.level == f.level)
            and (not f.query or matches(f.query, text))
        ]

    return search


def _bare(index: SearchIndex) -> Callable[[Filters], object]:
    """One FTS5 MATCH returning the first page of rowids: no ranking, no count, no filters."""
    db = index._db

    def search(f: Filters) -> object:
        match = fts_query(f.query) if f.query else None
        if match is None:
            return db.execute("SELECT rowid FROM fts LIMIT 20").fetchall()
        return db.execute("SELECT rowid FROM fts WHERE fts MATCH ? LIMIT 20", [match]).fetchall()

    return search


def per_query(run: Callable[[Filters], object]) -> tuple[float, float]:
    """Median over the queries of each query's median time."""
    medians = []
    for f in FILTERS:
        run(f)
        timings = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            run(f)
            timings.append(time.perf_counter() - started)
        medians.append(statistics.median(timings))
    return statistics.median(medians), max(medians)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else COUNT
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "catalog"
        folder.mkdir()
        generate_catalog(folder, count)
        catalog = Catalog(folder, CompiledCache(Path(tmp) / "cache"))
    listings = catalog.listings()
    index = SearchIndex(listings)
    ranked = per_query(lambda f: catalog.find(f, page=1))
    bare = per_query(_bare(index))
    linear = per_query(_linear(listings))
    print(f"search over {count} procedures, {len(FILTERS)} queries, median of {REPEAT} runs each")
    rows = [
        ("baseline: bare FTS5 MATCH, first 20 rowids", bare),
        ("old linear scan (unranked, every result)", linear),
        ("ranked page of 20 with total and filters", ranked),
    ]
    for label, (median, worst) in rows:
        print(
            f"  {label:<44} median {median * 1000:7.2f} ms, slowest query {worst * 1000:7.2f} ms"
            f"  = {median / bare[0]:6.2f} x baseline"
        )


if __name__ == "__main__":
    main()
