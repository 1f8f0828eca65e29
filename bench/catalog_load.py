"""Catalog load time for 116 procedures, against parsing the same YAML without checking it.

python -m bench.catalog_load
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

from app.catalog import Catalog
from app.catalog.loader import load_folder
from bench.common import generate_catalog, median_seconds

REPEAT = 9


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = generate_catalog(folder)
        loaded = load_folder(folder)
        assert len(loaded) == len(paths) == 116, len(loaded)
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        parse_only = lambda: [yaml.load(p.read_bytes(), Loader=loader) for p in paths]  # noqa: E731, S506
        baseline = median_seconds(parse_only, REPEAT)
        load = median_seconds(lambda: load_folder(folder), REPEAT)
        catalog = median_seconds(lambda: Catalog.from_folder(folder), REPEAT)
    print(f"catalog of {len(paths)} procedures, median of {REPEAT} runs")
    rows = [
        (f"baseline: YAML parse only ({loader.__name__})", baseline),
        ("load_folder (parse, schema check, hash)", load),
        ("Catalog.from_folder (+ search index)", catalog),
    ]
    for label, seconds in rows:
        print(f"  {label:<42} {seconds * 1000:8.1f} ms  = {seconds / baseline:.2f} x baseline")


if __name__ == "__main__":
    main()
