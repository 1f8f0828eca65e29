"""The payment tests' fixtures: the reference payment gateway as a real process."""

from __future__ import annotations

from tests.payments.gateway import paygate

__all__ = ["paygate"]
