from __future__ import annotations

from tests.backoffice.conftest import tracked  # noqa: F401  (a dossier the back office can ask to supplement)
