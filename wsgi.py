"""WSGI entry point: `flask --app wsgi run`, or gunicorn wsgi:app.

OPENDVC_INSTANCE_PATH moves the instance folder (default: ./instance). A setting that is wrong
stops every command with its message alone (naming the setting), not a traceback."""

import os
import sys

from app import create_app
from app.config import ConfigError, served_by_gunicorn

try:
    app = create_app(instance_path=os.environ.get("OPENDVC_INSTANCE_PATH") or None)
except ConfigError as exc:
    if served_by_gunicorn():
        raise  # a worker that fails to boot this way stops gunicorn, which prints the message
    print(f"Error: {exc}", file=sys.stderr)
    raise SystemExit(1) from None
