from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.backoffice.reference import ReferenceBackOffice


@pytest.fixture
def reference(tmp_path, pki) -> Iterator[ReferenceBackOffice]:
    """The reference back office, not yet started (tests start it, with or without a fault)."""
    backoffice = ReferenceBackOffice(data=tmp_path / "reference-backoffice", trust_roots=pki.root_pem)
    yield backoffice
    backoffice.stop()
