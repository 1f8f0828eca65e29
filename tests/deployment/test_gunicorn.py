"""Gunicorn, for real: without OPENDVC_SECRET_KEY it refuses to start (each worker would sign
with a key of its own); with one, forms posted again and again, landing on either worker, all
pass their CSRF check."""

from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import TEST_CATALOG, csrf_token
from tests.delivery.workers import Running, env_of, start_gunicorn
from tests.servers import free_ports

GUNICORN = Path(sys.executable).with_name("gunicorn")
ROOT_ENV = {k: v for k, v in os.environ.items() if not k.startswith("OPENDVC_")}


def test_without_a_secret_key_gunicorn_refuses_to_start(tmp_path):
    (port,) = free_ports(1)
    env = {**ROOT_ENV, "OPENDVC_INSTANCE_PATH": str(tmp_path), "WEB_CONCURRENCY": "2"}
    server = Running(
        [str(GUNICORN), "--bind", f"127.0.0.1:{port}"], env
    )  # ./gunicorn.conf.py, read by itself
    try:
        assert server.wait() != 0
    finally:
        server.stop()
    assert "Error: OPENDVC_SECRET_KEY is not set: gunicorn's 2 worker(s) would each sign" in server.output
    assert "Listening at" not in server.output


@pytest.mark.committed  # the settings are read as a process would
def test_several_workers_counting_rate_limits_each_in_its_memory_refuse_to_start(make_app):
    """Each worker would allow the whole limit: with 3 workers, 3 times the sign-in attempts."""
    app = make_app(CATALOG_DIR=TEST_CATALOG, SECRET_KEY="a key shared by every worker, 32+ characters")
    (port,) = free_ports(1)
    server = Running([str(GUNICORN), "--workers", "3", "--bind", f"127.0.0.1:{port}"], env_of(app))
    try:
        assert server.wait() != 0
    finally:
        server.stop()
    assert "rate limits are counted in each process's memory: gunicorn's 3 workers" in server.output
    assert "Listening at" not in server.output


def test_without_a_secret_key_and_without_our_settings_the_workers_refuse_too(tmp_path):
    """`gunicorn -c /dev/null wsgi:app`: the app itself sees it runs under gunicorn."""
    (port,) = free_ports(1)
    env = {**ROOT_ENV, "OPENDVC_INSTANCE_PATH": str(tmp_path)}
    command = [str(GUNICORN), "-c", "/dev/null", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    server = Running(command, env)
    try:
        assert server.wait() != 0
    finally:
        server.stop()
    assert "OPENDVC_SECRET_KEY: required under gunicorn, whose workers must all sign with the same key" in (
        server.output
    )


def hold_a_worker(url: str) -> socket.socket:
    """A connection that has sent half a request: the sync worker that took it waits for the
    rest, so the next connections go to the other worker."""
    held = socket.create_connection(_address(url))
    held.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return held


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    return host, int(port)


def release(held: socket.socket) -> None:
    """Finish the held request and read its answer: that worker is free again."""
    held.sendall(b"Connection: close\r\n\r\n")
    assert held.recv(64).startswith(b"HTTP/1.1 200")
    held.close()


def pid_of(output: str, request: str) -> set[str]:
    return set(re.findall(rf'"{re.escape(request)} HTTP/1.1" \d+ .* pid=<?(\d+)', output))


@pytest.mark.committed  # gunicorn's workers write the dossiers
def test_with_a_secret_key_a_form_one_worker_served_passes_on_the_other(make_app, redis):
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        SECRET_KEY="a key shared by every worker, 32+ characters",
        REDIS_URL=redis.url,
    )
    env = {k: v for k, v in env_of(app).items() if k != "OPENDVC_RATE_LIMIT_STORAGE"}  # Redis counts
    server, url = start_gunicorn(env, workers=2)
    try:
        browser = requests.Session()
        first = hold_a_worker(url)  # worker A waits on it
        procedure = browser.get(f"{url}/procedures/T.000001")  # served by worker B
        second = hold_a_worker(url)  # now B waits too
        release(first)  # A is the only one free
        response = browser.post(
            f"{url}/procedures/T.000001/start",
            data={"csrf_token": csrf_token(procedure)},
            allow_redirects=False,
        )
        release(second)
        assert response.status_code == 302
    finally:
        server.stop()
    served = pid_of(server.output, "GET /procedures/T.000001")
    posted = pid_of(server.output, "POST /procedures/T.000001/start")
    assert len(served) == len(posted) == 1, server.output
    assert served != posted, server.output  # the form of one worker, accepted by the other


@pytest.mark.committed  # its processes use the database
def test_make_serve_starts_web_delivery_and_reconciliation_and_stops_them_together(make_app, redis):
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        SECRET_KEY="a key shared by every worker, 32+ characters",
        REDIS_URL=redis.url,
    )
    (port,) = free_ports(1)
    env = {
        **{k: v for k, v in env_of(app).items() if k != "OPENDVC_RATE_LIMIT_STORAGE"},
        "WEB_CONCURRENCY": "2",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "BIN": str(GUNICORN.parent),
    }
    serve = Running(["deploy/serve"], env)
    try:
        serve.wait_for_line(rf"Listening at: http://127\.0\.0\.1:{port}\b")
        serve.wait_for_line(r"reconciling every 300 s")
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=60).status_code == 200
        serve.process.terminate()
        assert serve.wait() == 143  # stopped by SIGTERM
    finally:
        serve.stop()
    assert "Shutting down: Master" in serve.output  # gunicorn stopped
    assert "stopped\n" in serve.output  # the reconciliation
    assert serve.ended  # the output's end: no process it started (the delivery worker too) holds it open
