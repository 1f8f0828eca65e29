"""WSGI entry point: `flask --app wsgi run`, or gunicorn wsgi:app.

OPENDVC_INSTANCE_PATH moves the instance folder (default: ./instance)."""

import os

from app import create_app

app = create_app(instance_path=os.environ.get("OPENDVC_INSTANCE_PATH") or None)
