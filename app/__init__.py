"""OpenDVC: a citizen front end for online public services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app.config import ConfigError, flask_config, load_settings
from app.links import Portal

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

    from app import backoffice, catalog, i18n, logs, signing, storage
    from app.attachments.uploads import UploadRequest, discard_unclaimed
    from app.backoffice import models as _backoffice_models  # noqa: F401
    from app.catalog import models as _catalog_models  # noqa: F401  (tables known to Alembic)
    from app.dossiers import models as _dossier_models  # noqa: F401
    from app.extensions import csrf, db, limiter, migrate
    from app.results import models as _result_models  # noqa: F401
    from app.signing import models as _signing_models  # noqa: F401
    from app.staff import models as _staff_models  # noqa: F401
    from app.supplements import models as _supplement_models  # noqa: F401
    from app.supplements import services as _supplement_declarations  # noqa: F401  (a kind to sign)

    logs.init_app(app)
    app.request_class = UploadRequest
    if settings.TRUSTED_PROXIES:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.TRUSTED_PROXIES
        # Flask's documented way to wrap the WSGI app; mypy takes wsgi_app for a method only.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    storage.init_app(app)
    catalog.init_app(app)  # fails fast on an invalid catalog
    signing.init_app(app)  # providers and adapters last: they check their configuration
    backoffice.init_app(app)
    app.teardown_request(discard_unclaimed)

    from app import cli, database, web
    from app.api import backoffice as backoffice_api
    from app.api import signing as signing_api
    from app.api import views as api

    database.init_app(app)
    web.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(signing_api.bp)
    app.register_blueprint(backoffice_api.bp)
    cli.init_app(app)
    if settings.DELIVERY_IN_PROCESS:
        from app.backoffice import inprocess

        app.extensions["opendvc.delivery_thread"] = inprocess.start(app)
    return app
