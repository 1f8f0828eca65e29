"""Delivery workers (`flask --app wsgi deliver`) as real processes, configured like a test app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from flask import Flask
from pydantic import BaseModel, SecretStr

ROOT = Path(__file__).resolve().parents[2]


def env_of(app: Flask) -> dict[str, str]:
    """OPENDVC_* variables that give a process the same settings as `app`."""
    settings: BaseModel = app.config["OPENDVC"]
    env = {}
    for name, value in settings.model_dump(mode="json").items():
        secret = getattr(settings, name)
        if isinstance(secret, SecretStr):  # dumped as "**********": the process needs the real one
            value = secret.get_secret_value()
        if value is None:
            continue
        if isinstance(value, dict):
            value = json.dumps(value)
        elif isinstance(value, list):
            value = ",".join(map(str, value))
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[f"OPENDVC_{name}"] = str(value)
    extra = {"OPENDVC_INSTANCE_PATH": app.instance_path, "FLASK_APP": "wsgi", "PYTHONUNBUFFERED": "1"}
    return {**os.environ, **env, **extra}


def start_worker(app: Flask, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "flask", "deliver", "--interval", "0.2", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env_of(app), stdout=subprocess.PIPE, text=True)
