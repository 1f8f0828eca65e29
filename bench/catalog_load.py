"""Catalog start-up for 6,000 procedures: the first start (every definition checked and put in
the compiled cache), a start from the cache, a start after one file changed, and a whole new
process starting from the cache; against parsing the same YAML without checking it, in the same run.

python -m bench.catalog_load [COUNT]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from app.catalog import Catalog
from app.catalog.cache import CompiledCache
from bench.common import generate_catalog, median_seconds

COUNT = 6000
REPEAT = 5
PROCESS = """
import sys, time
from pathlib import Path
from app.catalog import Catalog
from app.catalog.cache import CompiledCache
started = time.perf_counter()
catalog = Catalog(Path(sys.argv[1]), CompiledCache(Path(sys.argv[2])))
assert len(catalog) == int(sys.argv[3])
print(time.perf_counter() - started)
"""


def _process(folder: Path, cache: Path, count: int) -> float:
    """A new Python process starting the catalog from the cache, timed inside it (imports apart)."""
    args = [sys.executable, "-c", PROCESS, str(folder), str(cache), str(count)]
    return float(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else COUNT
    with tempfile.TemporaryDirectory() as tmp:
        folder, cache_dir = Path(tmp) / "catalog", Path(tmp) / "cache"
        folder.mkdir()
        paths = generate_catalog(folder, count)
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        parse_only = lambda: [yaml.load(p.read_bytes(), Loader=loader) for p in paths]  # noqa: E731, S506
        baseline = median_seconds(parse_only, 3)

        started = time.perf_counter()
        cold = Catalog(folder, CompiledCache(cache_dir))
        cold_seconds = time.perf_counter() - started
        assert len(cold) == count
        assert cold.last_compiled.checked == count

        def warm_start() -> None:
            catalog = Catalog(folder, CompiledCache(cache_dir))
            assert len(catalog) == count
            assert catalog.last_compiled.checked == 0

        warm = median_seconds(warm_start, REPEAT)

        changes = iter(range(REPEAT + 1))

        def one_changed() -> None:
            text = paths[0].read_text(encoding="utf-8")
            paths[0].write_text(text.replace("  vi: ", f"  vi: (sửa {next(changes)}) ", 1), encoding="utf-8")
            catalog = Catalog(folder, CompiledCache(cache_dir))
            assert catalog.last_compiled.checked == 1, catalog.last_compiled

        changed = median_seconds(one_changed, REPEAT, warmup=0)
        process = statistics.median(_process(folder, cache_dir, count) for _ in range(REPEAT))
    print(f"catalog of {count} procedures, median of {REPEAT} runs (the first start: one run)")
    rows = [
        (f"baseline: YAML parse only ({loader.__name__})", baseline),
        ("first start: check all, fill the cache", cold_seconds),
        ("start from the cache", warm),
        ("start after one file changed", changed),
        ("a new process, from the cache", process),
    ]
    for label, seconds in rows:
        print(f"  {label:<44} {seconds * 1000:9.1f} ms  = {seconds / baseline:6.3f} x baseline")


if __name__ == "__main__":
    main()
