"""Logging that never writes a dossier's secret: resume links carry it in their path."""

from __future__ import annotations

import logging
import re

from flask import Flask

# Resume links, deferred-signing sessions and an account's one-time links (email confirmation,
# password reset) carry their credential in the path.
_SECRET_IN_PATH = re.compile(r"(/resume/|/api/v1/signing/|/account/verify/|/account/reset/)[A-Za-z0-9_\-]+")


def _redact(value: object) -> object:
    return _SECRET_IN_PATH.sub(r"\1…", value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):  # gunicorn's access log passes a mapping
            record.args = {k: _redact(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(_redact(a) for a in record.args)
        record.msg = _SECRET_IN_PATH.sub(r"\1…", str(record.msg))
        return True


def init_app(app: Flask) -> None:
    for name in ("werkzeug", "gunicorn.access", app.logger.name):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
