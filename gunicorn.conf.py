"""Gunicorn's settings for OpenDVC: `make serve`, or `gunicorn` run from this folder (it reads
./gunicorn.conf.py by itself). See docs/deployment.md.

Environment: WEB_CONCURRENCY, the number of worker processes (default 2 × cores + 1);
GUNICORN_BIND, the address (default 127.0.0.1:5000: a reverse proxy in front). Command-line
options (--workers, --bind) override both."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

from app.config import ENV_PREFIX, ConfigError, load_settings, rate_limit_storage

wsgi_app = "wsgi:app"
bind = [os.environ.get("GUNICORN_BIND") or "127.0.0.1:5000"]
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)
timeout = 120  # an upload of a whole dossier over a slow line, a signature with its timestamp
graceful_timeout = 30
accesslog = "-"  # to stdout, one line a request
errorlog = "-"
# Gunicorn 27's control socket (gunicornc) is one path per user: two servers on a machine would
# share it. Signals (HUP, TERM, TTIN/TTOU) do what it would.
control_socket_disable = True
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s'


def on_starting(server: Any) -> None:
    """Refuse to start without OPENDVC_SECRET_KEY: each worker would make a key of its own and
    refuse the forms and cookies the others signed (and a restarted worker its predecessor's).
    Likewise several workers counting rate limits each in its own memory: refused.
    No key is generated to disk: a secret is never written there. Raised as RuntimeError, which
    gunicorn prints as `Error: …` before exiting with status 1."""
    instance = Path(os.environ.get(f"{ENV_PREFIX}INSTANCE_PATH") or Path(__file__).parent / "instance")
    try:
        settings = load_settings(instance)
    except ConfigError as exc:
        raise RuntimeError(str(exc)) from None
    if not settings.SECRET_KEY:
        count = server.cfg.workers
        raise RuntimeError(
            f"{ENV_PREFIX}SECRET_KEY is not set: gunicorn's {count} worker(s) would each sign forms and"
            " cookies with a key of their own and refuse the others'. Set it in the environment"
            " (python3 -c 'import secrets; print(secrets.token_hex(32))' makes one) or in"
            " instance/config.py."
        )
    if (
        server.cfg.workers > 1
        and settings.RATE_LIMITS_ENABLED
        and rate_limit_storage(settings).startswith("memory:")
    ):
        raise RuntimeError(
            f"rate limits are counted in each process's memory: gunicorn's {server.cfg.workers} workers"
            f" would each allow the whole limit (the sign-in limit {server.cfg.workers} times over)."
            f" Set {ENV_PREFIX}REDIS_URL (or {ENV_PREFIX}RATE_LIMIT_STORAGE) to count them in one"
            " place, or run one worker."
        )
