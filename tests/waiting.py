"""Waiting for a condition, not for a time: a busy machine makes every fixed sleep too short."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

PATIENCE = 120  # seconds: long enough for a machine running two suites at once


def wait_for(condition: Callable[[], T], seconds: float = PATIENCE) -> T:
    """What `condition` returns once it is true; polled every tenth of a second."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"still not true after {seconds} s: {condition.__doc__ or condition}")
