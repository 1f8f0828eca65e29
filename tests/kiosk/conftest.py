"""A kiosk (OPENDVC_KIOSK=true) with CSRF on, and a browser at it in English."""

from __future__ import annotations

import pytest
from flask import Flask


@pytest.fixture
def kiosk_app(make_app) -> Flask:
    return make_app(KIOSK=True, WTF_CSRF_ENABLED=True)


@pytest.fixture
def kiosk(kiosk_app):
    client = kiosk_app.test_client()
    client.get("/language/en")
    return client
