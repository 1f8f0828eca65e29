"""Shared by the benchmarks: medians, and a catalog of any size made from the shipped procedures."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from app.config import PACKAGE_DIR

SHIPPED = PACKAGE_DIR / "catalog" / "procedures"


def median_seconds(run: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        run()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def medians_in_turn(
    run: Callable[[], object], other: Callable[[], object], repeat: int, warmup: int = 1
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median wall and CPU seconds (of this process) of `run` and of `other`, run in turn."""
    for _ in range(warmup):
        run()
        other()
    timings: tuple[list[float], ...] = ([], [], [], [])
    for _ in range(repeat):
        for wall, cpu, job in ((timings[0], timings[1], run), (timings[2], timings[3], other)):
            started, started_cpu = time.perf_counter(), time.process_time()
            job()
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    w, c, ow, oc = (statistics.median(t) for t in timings)
    return (w, c), (ow, oc)


def generate_catalog(folder: Path, count: int = 116) -> list[Path]:
    """`count` definitions, variants of the shipped ones with their own codes and names."""
    sources = sorted(SHIPPED.glob("*.yaml"))
    written = []
    for i in range(count):
        source = sources[i % len(sources)]
        text = source.read_text(encoding="utf-8")
        code = next(
            line.split(":", 1)[1].strip().strip('"') for line in text.splitlines() if line.startswith("code:")
        )
        variant = text.replace(f'"{code}"', f'"9.{i:06d}"', 1).replace("  vi: ", f"  vi: (biến thể {i}) ", 1)
        path = folder / f"variant-{i:05d}.yaml"
        path.write_text(variant, encoding="utf-8")
        written.append(path)
    return written
