"""Nothing personal is kept by a browser's or a proxy's cache: every answer is
`Cache-Control: no-store` but the public catalog and the static files. Checked over every route
the app has, with real dossiers, so a route added later is covered without being listed here."""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.routing import Rule

from app.catalog.loader import load_folder
from app.dossiers.models import Dossier
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.web import CACHEABLE_ENDPOINTS
from tests.backoffice.fixtures import SECRET
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.events.test_events import event, post
from tests.journey import apply, attach_required, fill_steps, start
from tests.staff.test_deliveries_page import PASSWORD, sign_in

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition
PUBLIC = {"static", "catalog.index", "catalog.procedure", "api.procedures", "api.procedure", "api.openapi"}
# The pages a dossier's holder is shown, its downloads and the staff pages: each must be answered
# for real below (200, or a redirect for the resume link).
DOSSIER_PAGES = {
    "apply.step",
    "apply.documents",
    "apply.download",
    "apply.review",
    "apply.acknowledgement",
    "apply.receipt",
    "apply.receipt_pdf",
    "apply.withdraw",
    "apply.dossier",
    "sign.sign",
    "sign.declaration",
    "sign.signed",
    "supplement.page",
    "track.resume",
    "staff.deliveries",
    "staff.sign_in",
}


def path_for(rule: Rule, values: dict[str, object]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m[1], "0")), rule.rule)


def sweep(app: Flask, client, values: dict[str, object], reached: dict[str, int]) -> None:
    """Every route, every method, with `values` for its arguments; every answer checked."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = path_for(rule, values)
            with client.open(url, method=method) as response:
                assert response.status_code < 500, (method, url, response.status_code)
                header = response.headers.get("Cache-Control", "")
                sets_cookie = "Set-Cookie" in response.headers  # e.g. a flashed message shown
                if rule.endpoint in PUBLIC and response.status_code == 200 and not sets_cookie:
                    assert "no-store" not in header, (method, url)
                else:
                    assert header == "no-store", (method, url, response.status_code, header)
                if response.status_code < 400:  # answered, not refused
                    reached[rule.endpoint] = reached.get(rule.endpoint, 0) + 1


def every_kind_of_visitor(make_app, citizen_key) -> tuple[Flask, list[tuple[object, dict[str, object]]]]:
    """An app with a draft (complete, its declaration to download), a submitted dossier with a
    supplement asked for and a signed-in staff member: each browser with the route arguments it
    can reach, a stranger's last."""
    app = make_app(CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET}, WTF_CSRF_ENABLED=True)
    added = app.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output

    # A draft, complete and signed with the declaration to download...
    drafting = app.test_client()
    drafting.get("/language/en")
    documents = fill_steps(drafting, DEFINITION, start(drafting, DEFINITION.code))
    attach_required(drafting, DEFINITION, documents)
    # ... and a submitted dossier with a supplement asked for, in another browser.
    applicant = app.test_client()
    applicant.get("/language/en")
    receipt = page(apply(applicant, DEFINITION, citizen_key))
    code = receipt.select_one(".dossier-code").get_text(strip=True)
    secret = receipt.select_one("code.secret").get_text(strip=True)
    assert post(applicant, event(code, 1, 2)).json["title"] == "applied"
    assert post(applicant, event(code, 2, 5, "Bổ sung bản sao")).json["title"] == "applied"
    staff = app.test_client()
    assert sign_in(staff).status_code == 302

    with app.app_context():
        dossiers = {d.code: d for d in db.session.scalars(db.select(Dossier))}
        submitted, draft = dossiers.pop(code), dossiers.popitem()[1]
        shared = {
            "code": DEFINITION.code,
            "filename": "site.css",
            "component_code": DEFINITION.components[0].code,
            "number": 1,
            "message_id": db.session.scalars(db.select(OutboxMessage.id)).first(),
            "step_id": DEFINITION.form.steps[0].id,
        }
        of_draft = {**shared, "public_id": draft.public_id, "attachment_id": draft.attachments[0].id}
        of_submitted = {
            **shared,
            "public_id": submitted.public_id,
            "attachment_id": submitted.attachments[0].id,
            "secret": secret,
        }
    stranger = app.test_client()
    return app, [(drafting, of_draft), (applicant, of_submitted), (staff, shared), (stranger, shared)]


def test_nothing_but_public_pages_may_be_stored(make_app, citizen_key):
    app, visitors = every_kind_of_visitor(make_app, citizen_key)
    reached: dict[str, int] = {}
    for client, values in visitors:
        sweep(app, client, values, reached)
    assert reached.keys() >= DOSSIER_PAGES, sorted(DOSSIER_PAGES - reached.keys())
    assert reached.keys() >= PUBLIC


def test_the_signing_agent_s_page_and_errors_are_not_stored(test_app, test_client):
    documents = fill_steps(test_client, DEFINITION, start(test_client, DEFINITION.code))
    attach_required(test_client, DEFINITION, documents)
    base = documents.removesuffix("/documents")
    sign_page = test_client.get(f"{base}/sign")
    opened = test_client.post(f"{base}/sign/external", data={"csrf_token": csrf_token(sign_page)})
    assert page(opened).select_one("code.session-url") is not None
    assert opened.headers["Cache-Control"] == "no-store"
    assert test_client.get("/no/such/page").headers["Cache-Control"] == "no-store"
    assert test_client.get("/", headers={"Host": "evil.example"}).headers["Cache-Control"] == "no-store"


def test_the_allow_list_is_the_public_one():
    """The app's list and this test's agree: a page added to the app's list must be added here,
    where a reviewer sees it."""
    assert frozenset(PUBLIC) == CACHEABLE_ENDPOINTS
