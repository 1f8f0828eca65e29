"""OpenDVC: a citizen front end for online public services.

`create_app` is the composition root: the one place that knows every feature, calling each one's
`init_app`, which registers its blueprints, click commands and template globals. The catalog,
signing and supplements register their pages from their views module's `init_app`: their packages
are imported by the layers below and must not pull the views in with them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import (
    api,
    backoffice,
    catalog,
    database,
    delivery,
    dossiers,
    i18n,
    journey,
    kiosk,
    logs,
    mine,
    notifications,
    packaging,
    payments,
    retention,
    scanning,
    serversessions,
    signing,
    staff,
    storage,
    web,
)
from app.accounts import models as _account_models  # noqa: F401  (tables known to Alembic)
from app.accounts import views as account_views
from app.api import problems
from app.catalog import models as _catalog_models  # noqa: F401  (tables known to Alembic)
from app.catalog import views as catalog_views
from app.config import ConfigError, flask_config, load_settings
from app.dossiers import models as _dossier_models  # noqa: F401
from app.events import models as _event_models  # noqa: F401
from app.extensions import csrf, db, limiter, migrate
from app.links import Portal
from app.notifications import models as _notification_models  # noqa: F401
from app.outbox import models as _outbox_models  # noqa: F401
from app.payments import models as _payment_models  # noqa: F401
from app.payments import views as payment_views
from app.ratings import models as _rating_models  # noqa: F401
from app.results import models as _result_models  # noqa: F401
from app.signing import models as _signing_models  # noqa: F401
from app.signing import views as signing_views
from app.staff import models as _staff_models  # noqa: F401
from app.store import models as _store_models  # noqa: F401  (tables known to Alembic)
from app.store import views as store_views
from app.supplements import models as _supplement_models  # noqa: F401
from app.supplements import services as _supplement_declarations  # noqa: F401  (a kind to sign)
from app.supplements import views as supplement_views
from app.uploads import UploadRequest, discard_unclaimed

__all__ = ["ConfigError", "create_app"]


def create_app(test_config: dict[str, Any] | None = None, *, instance_path: str | None = None) -> Flask:
    app = Portal(__name__, instance_relative_config=True, instance_path=instance_path)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    settings = load_settings(instance, test_config)
    app.config.from_mapping(flask_config(settings, instance))
    app.config["MAX_CONTENT_LENGTH"] = (settings.DOSSIER_MAX_TOTAL_MB + 1) * 1024 * 1024
    if test_config:
        app.config.update({k: v for k, v in test_config.items() if k not in type(settings).model_fields})

    logs.init_app(app)
    app.request_class = UploadRequest
    if settings.TRUSTED_PROXIES:
        n = settings.TRUSTED_PROXIES
        # Flask's documented way to wrap the WSGI app; mypy takes wsgi_app for a method only.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    serversessions.init_app(app)  # sessions' store; a configured Redis must answer
    i18n.init_app(app)
    storage.init_app(app)
    scanning.init_app(app)  # a wrong scanner or its options stop start-up
    catalog.init_app(app)  # fails fast on an invalid catalog
    signing.init_app(app)  # providers and adapters last: they check their configuration
    backoffice.init_app(app)
    notifications.init_app(app)  # the senders of the channels offered, their options checked
    payments.init_app(app)  # the payment providers offered, their options checked
    app.teardown_request(discard_unclaimed)

    database.init_app(app)
    dossiers.init_app(app)
    packaging.init_app(app)
    web.init_app(app, api_errors=problems.for_api)
    api.init_app(app)
    catalog_views.init_app(app)
    account_views.init_app(app)
    journey.init_app(app)
    signing_views.init_app(app)
    supplement_views.init_app(app)
    staff.init_app(app)
    store_views.init_app(app)
    payment_views.init_app(app)
    kiosk.init_app(app)
    mine.init_app(app)
    retention.init_app(app)
    delivery.init_app(app)  # last: its in-process worker may start at once
    return app
