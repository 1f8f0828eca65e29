"""Two machines, as far as one can tell on one: two gunicorn nodes (two workers each) and two
delivery workers on one PostgreSQL, one Redis and shared blob storage, applicants going through
both nodes at once. Every dossier submitted on either node reaches the back office exactly once,
a blob uploaded through one node is served by the other, a staff session opened on one is open
on the other, and a rate limit counts the attempts made on both.

It runs on PostgreSQL (`make test`'s second pass, scripts/with-postgres): several processes
writing at once is what PostgreSQL is for; on SQLite it is skipped."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis as redis_client
import requests
from sqlalchemy import func, select

from app.catalog.loader import load_folder
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.delivery.workers import env_of, start_gunicorn, start_worker
from tests.journey import draft_over_http, sign_over_http
from tests.staff.test_deliveries_page import PASSWORD
from tests.waiting import wait_for

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition
APPLICANTS = 6
SIGN_IN_LIMIT = 10  # app/staff/views.py: staff sign-in attempts per minute and client address
# Where the nodes keep blobs. "s3": one SeaweedFS bucket, each node with a blob folder of its own
# (so a shared disk cannot stand in for it); "local": one folder for both.
SHARED_BLOBS = "s3"

pytestmark = pytest.mark.committed  # the nodes and workers are other processes


def blob_store(request: pytest.FixtureRequest, tmp_path) -> list[dict[str, str]]:
    """Each node's blob settings."""
    if SHARED_BLOBS == "local":
        return [{"OPENDVC_BLOB_DIR": str(tmp_path / "shared-blobs")}] * 2
    s3 = request.getfixturevalue("seaweedfs")
    bucket = f"nodes-{uuid.uuid4().hex[:12]}"
    s3.client().create_bucket(Bucket=bucket)
    common = {
        "OPENDVC_BLOB_STORE": "s3",
        "OPENDVC_S3_ENDPOINT_URL": s3.endpoint_url,
        "OPENDVC_S3_BUCKET": bucket,
        "OPENDVC_S3_REGION": s3.region,
        "OPENDVC_S3_ACCESS_KEY_ID": s3.access_key_id,
        "OPENDVC_S3_SECRET_ACCESS_KEY": s3.secret_access_key,  # env_of would give it masked
    }
    return [{**common, "OPENDVC_BLOB_DIR": str(tmp_path / f"node-{n}-blobs")} for n in range(2)]


def apply(home: str, other: str, signature: tuple[bytes, str]) -> tuple[str, list[bytes], list[bytes]]:
    """One applicant: drafts and uploads on `home`, signs on `other`, submits on `home`. The
    dossier code, and the documents as each node serves them."""
    browser, dossier = draft_over_http(home, DEFINITION)
    path = dossier.removeprefix(home)
    served = []
    for node in (home, other):
        documents = page(browser.get(f"{node}{path}/documents"))
        links = [a["href"] for a in documents.select("a[href]") if a["href"].rsplit("/", 1)[-1].isdigit()]
        assert links, "the documents page lists no uploaded file"
        served.append([browser.get(f"{node}{link}").content for link in links])
    sign_over_http(browser, f"{other}{path}", signature)
    review = browser.get(f"{home}{path}/review")
    response = browser.post(f"{home}{path}/review", data={"csrf_token": csrf_token(review)})
    assert response.status_code == 200, response.text[-500:]
    assert response.url.endswith("/acknowledgement")
    return page(response).select_one(".dossier-code").get_text(strip=True), served[0], served[1]


def test_two_nodes_and_two_workers_share_everything(
    make_app, database, redis, reference, citizen_key, request, tmp_path
):
    if not database.url.startswith("postgresql"):
        pytest.skip("several nodes need PostgreSQL: make test runs this in its PostgreSQL pass")
    redis_client.Redis.from_url(redis.url).flushdb()
    reference.start()
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_DEFAULT="http",
        BACKOFFICE_OPTIONS={"http": reference.options()},
        REDIS_URL=redis.url,
        SECRET_KEY="one key for every node and worker, 32+ characters",
    )
    added = app.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    # env_of names every setting, RATE_LIMIT_STORAGE's default too, which would win over Redis.
    common = {k: v for k, v in env_of(app).items() if k != "OPENDVC_RATE_LIMIT_STORAGE"}
    envs = [{**common, **blobs} for blobs in blob_store(request, tmp_path)]
    started, workers = [], []
    try:
        for env in envs:
            started.append(start_gunicorn(env, workers=2))
            workers.append(start_worker(app, env=env))
        nodes = [url for _, url in started]

        with ThreadPoolExecutor(APPLICANTS) as pool:
            journeys = list(
                pool.map(lambda n: apply(nodes[n % 2], nodes[1 - n % 2], citizen_key), range(APPLICANTS))
            )
        codes = [code for code, _, _ in journeys]
        assert len(set(codes)) == APPLICANTS
        for _, on_home, on_other in journeys:  # uploaded through one node, served by the other
            assert on_other == on_home
            assert all(on_home)
        if SHARED_BLOBS == "s3":  # and kept in the bucket, not on a node's disk
            bucket = envs[0]["OPENDVC_S3_BUCKET"]
            assert request.getfixturevalue("seaweedfs").client().list_objects_v2(Bucket=bucket)["KeyCount"]

        def all_delivered():
            """every submitted dossier delivered"""
            with app.app_context():
                return not db.session.scalar(select(func.count()).where(OutboxMessage.state != "delivered"))

        wait_for(all_delivered)
        received = reference.dossiers()
        assert sorted(d["code"] for d in received) == sorted(codes)
        assert {d["deliveries"] for d in received} == {1}  # never twice, whichever worker took it

        # A staff member signs in on one node; the next request goes to the other.
        staff = requests.Session()
        form = staff.get(f"{nodes[0]}/staff/login")
        signed_in = staff.post(
            f"{nodes[0]}/staff/login",
            data={"csrf_token": csrf_token(form), "username": "lan", "password": PASSWORD},
            allow_redirects=False,
        )
        assert signed_in.status_code == 302
        listing = staff.get(f"{nodes[1]}/staff/deliveries", allow_redirects=False)
        assert listing.status_code == 200
        assert {row.get_text(strip=True) for row in page(listing).select("tbody .code")} >= set(codes)

        # Wrong sign-ins alternating between the nodes: the limit counts them all, wherever.
        guesses = [requests.Session() for _ in nodes]
        tokens = [csrf_token(g.get(f"{node}/staff/login")) for g, node in zip(guesses, nodes, strict=True)]
        heard = 1  # the sign-in above
        for n in range(4 * SIGN_IN_LIMIT):
            answer = guesses[n % 2].post(
                f"{nodes[n % 2]}/staff/login",
                data={"csrf_token": tokens[n % 2], "username": "x", "password": "y"},
            )
            if answer.status_code == 429:
                break
            assert answer.status_code == 401
            heard += 1
        assert heard == SIGN_IN_LIMIT
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
            worker.stdout.close()
        for server, _ in started:
            server.stop()
