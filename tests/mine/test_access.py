"""No applicant reaches anything of another's, whatever address or form field is sent.

Applicant A has a dossier in every state that matters (draft, signed, submitted, supplement
requested, with a result), all kept in A's account. Every route of the app that takes an
identifier of a dossier or of one of its objects is requested with A's identifiers, by every
method it allows, with a valid CSRF token and plausible form fields, by B signed in and by an
anonymous browser, each with and without A's secrets in its session (the secret alone no longer
opens an owned dossier): every answer is 404 and nothing changed in the database or the blob
store. A route with an identifier that this test neither covers nor exempts below fails it."""

from __future__ import annotations

import io
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.routing import Rule
from werkzeug.test import encode_multipart

from app import clock
from app.dossiers.models import Dossier
from app.extensions import db
from app.payments import services as payments
from app.payments.models import Payment
from app.payments.providers import Report
from tests.accounts import make_account, signed_in
from tests.backoffice.fixtures import DEFINITION, SECRET
from tests.conftest import TEST_CATALOG, csrf_token
from tests.files import sample_for
from tests.journey import step_pairs
from tests.mine import Made, dossiers_of, holding
from tests.payments import requested_charge

# Route arguments that name a dossier or one of its objects, and what each is.
IDENTIFIERS = {
    "public_id": "a dossier's address",
    "attachment_id": "one of a dossier's documents",
    "file_id": "a document given with a supplement",
    "number": "a result of a dossier (its n in <code>-KQ<n>)",
    "secret": "a dossier's access secret (the resume link)",
    "token": "a signing session's or a file link's token",
    "message_id": "an outbox row (a dossier's delivery)",
    "document_id": "a document in an account's store (My documents)",
    "reference": "a payment of a dossier (its reference, given to the provider)",
    "payment_id": "a payment of a dossier's charge (staff pages only)",
}
# Route arguments that name nothing of an applicant's.
OTHER_ARGUMENTS = {"step_id", "component_code", "provider", "kind", "code", "filename"}

# Endpoints with an identifier that are not reached with an applicant's browser session, and why
# they are safe without it. Anything else with an identifier is requested below.
EXEMPT = {
    # The one-time session id in the path is the credential, handed to the signing agent by a
    # browser that could reach the dossier then; no cookie is read (CSRF-exempt JSON API). A
    # claim closes the sessions opened before it (tests/mine/test_mine.py).
    "signing_api.prepare": "signing session token",
    "signing_api.complete": "signing session token",
    # Links made for the back office, signed with its HMAC key and expiring; no session is read.
    "files_api.download": "signed file link",
    # Staff only (the staff sign-in); an outbox row, resent, not an applicant's page.
    "staff.resend": "staff sign-in",
    # Staff only: ask a payment's provider now, record a refund (tests/staff/test_payments_page.py).
    "staff.payment_check": "staff sign-in",
    "staff.payment_refund": "staff sign-in",
    # An account's one-time links (email confirmation, password reset): the token is the
    # credential and names no dossier (tests/accounts/test_local.py: expired, reused, forged).
    "accounts.verify": "account link token",
    "accounts.verify_post": "account link token",
    "accounts.reset": "account link token",
    # An account's stored documents, reached by the signed-in owner only: another account's ids
    # are 404 on every store route (tests/store/test_store.py).
    "store.download": "the store's own owner check",
    "store.remove": "the store's own owner check",
}


def _first_step() -> str:
    return DEFINITION.form.steps[0].id


def _pdf(name: str = "a.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(sample_for(["pdf"])[1]), name)


def form_fields(endpoint: str, key: tuple[bytes, str]) -> list[tuple[str, object]]:
    """What a person would post to this endpoint's form (a new POST endpoint gets none but the
    CSRF token, and is requested all the same)."""
    pkcs12, passphrase = key
    return {
        "apply.step": [("action", "continue"), *step_pairs(DEFINITION.form.steps[0])],
        "apply.upload": [("file", _pdf())],
        "apply.withdraw": [("reason", "Tôi rút hồ sơ"), ("confirm", "y")],
        "sign.with_provider": [
            ("passphrase", passphrase),
            ("key_file", FileStorage(io.BytesIO(pkcs12), "chu-ky.p12")),
        ],
        "sign.with_upload": [("signed", _pdf("da-ky.pdf"))],
        "supplement.upload": [("component", "DOC"), ("file", _pdf())],
        "kiosk.scan": [("scan", "001090012345|012345678|Nguyễn Văn A|01011990|Nam|Hà Nội|01012021")],
        "kiosk.rating": [("score", "5")],
        "pay.pay": [("charge", "1"), ("attempt", "0"), ("provider", "demo")],
    }.get(endpoint, [])


def arguments(rule: Rule) -> set[str]:
    return set(rule.arguments) - set(rule.defaults or {})


def dossier_rules(app: Flask) -> list[Rule]:
    """Every rule with an identifier, but the exempt ones."""
    return [
        r for r in app.url_map.iter_rules() if arguments(r) & IDENTIFIERS.keys() and r.endpoint not in EXEMPT
    ]


def url_for_rule(rule: Rule, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda m: values[m[1]], rule.rule)


def values_for(made: Made, everything: dict[str, Made]) -> dict[str, str]:
    any_file = next(f for m in everything.values() for f in m.supplement_file_ids)
    return {
        "public_id": made.public_id,
        "attachment_id": str(made.attachment_ids[0]),
        "file_id": str(made.supplement_file_ids[0] if made.supplement_file_ids else any_file),
        "number": "1",
        "secret": made.secret,
        "step_id": _first_step(),
        "component_code": "DOC",
        "provider": "pkcs12",
        "reference": next(
            iter(made.payment_references or [r for m in everything.values() for r in m.payment_references]),
            "NOPAYMENT",
        ),
    }


def snapshot(app: Flask) -> dict[str, object]:
    """Every table's row count, every dossier's state and owner, every stored file."""
    with app.app_context():
        counts = {
            t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables
        }
        dossiers = db.session.execute(
            text("SELECT id, status, version_id, updated_at, account_id, answers FROM dossiers ORDER BY id")
        ).all()
        attachments = db.session.execute(
            text("SELECT id, dossier_id, sha256 FROM attachments ORDER BY id")
        ).all()
        files = db.session.execute(text("SELECT id, supplement_id FROM supplement_files ORDER BY id")).all()
        sessions = db.session.execute(
            text("SELECT id, state FROM external_signing_sessions ORDER BY id")
        ).all()
    blobs = sorted(str(p) for p in Path(app.config["OPENDVC"].BLOB_DIR or "").rglob("*") if p.is_file())
    rows = [tuple(map(str, r)) for r in (*dossiers, *attachments, *files, *sessions)]
    return {"counts": counts, "rows": rows, "blobs": blobs}


def request(client, method: str, url: str, fields: list[tuple[str, object]], token: str, *, rule: Rule):
    """One request; an alias (an old address) redirects with 308 to its rule's address, which
    is requested in turn, method and body kept: what that answers is what counts."""
    boundary, body = encode_multipart(MultiDict([("csrf_token", token), *fields]))
    kwargs = (
        {} if method == "GET" else {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}
    )
    answer = client.open(url, method=method, **kwargs)
    if rule.alias and answer.status_code == 308:
        answer.close()
        answer = client.open(urlsplit(answer.headers["Location"]).path, method=method, **kwargs)
    return answer


@pytest.fixture
def access_app(make_app) -> Flask:
    # Every request below comes from 127.0.0.1: the guessing limits would answer 429 first.
    return make_app(
        CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET}, RATE_LIMITS_ENABLED=False
    )


def test_every_route_with_an_identifier_is_covered_or_exempt(access_app):
    """A new route argument must be classified, and every exempt endpoint must still exist: a
    new route with a dossier identifier is then requested by the walk below, or fails here."""
    endpoints = {r.endpoint for r in access_app.url_map.iter_rules()}
    assert set(EXEMPT) <= endpoints, set(EXEMPT) - endpoints
    fillable = set(
        values_for(Made("x", "p", "s", None, [1], [1]), {"x": Made("x", "p", "s", None, [1], [1])})
    )
    for rule in access_app.url_map.iter_rules():
        unknown = arguments(rule) - IDENTIFIERS.keys() - OTHER_ARGUMENTS
        assert not unknown, f"{rule.rule}: say whether {unknown} names an applicant's object"
        if rule in dossier_rules(access_app):
            assert arguments(rule) <= fillable, (
                f"{rule.rule}: the walk cannot fill {arguments(rule) - fillable}"
            )
    covered = {r.endpoint for r in dossier_rules(access_app)}
    # The applicant's pages the issue names, so that a renamed blueprint cannot empty the walk.
    for expected in (
        "apply.step",
        "apply.download",
        "apply.remove",
        "apply.result",
        "apply.receipt_pdf",
        "apply.acknowledgement",
        "apply.withdraw",
        "sign.signed",
        "sign.with_provider",
        "supplement.remove",
        "kiosk.slip",
        "pay.page",
        "pay.pay",
        "pay.change",
        "pay.receipt",
        "track.resume",
        "mine.claim_held",
    ):
        assert expected in covered, expected


def with_paid_fees(app: Flask, made: Made) -> None:
    """The agency asked fees of this dossier and they were paid (settled from a provider's
    report): the payment pages and the receipt have something to show. No provider is offered
    here (the dossiers go out as submitted, fees shown only), so the attempt is the row
    `payments.begin` would have made."""
    with app.test_request_context():
        dossier = db.session.scalar(select(Dossier).where(Dossier.public_id == made.public_id))
        charge = requested_charge(dossier)
        payment = Payment(
            reference=secrets.token_hex(10).upper(),  # the shape payments.begin makes
            charge_id=charge.id,
            dossier_id=dossier.id,
            provider="demo",
            amount=charge.amount,
            state="started",
            started_at=clock.now(),
        )
        db.session.add(payment)
        db.session.commit()
        report = Report(reference=payment.reference, state="paid", amount=charge.amount)
        assert payments.settle(report, provider="demo", via="query").outcome == "settled"
        made.payment_references.append(payment.reference)


def test_another_applicant_reaches_nothing_of_a_by_any_route(access_app, citizen_key, pki):
    app = access_app
    with app.app_context():
        a, b = make_account(), make_account()
    made = dossiers_of(app, a, citizen_key, pki)
    with_paid_fees(app, made["submitted"])

    # The owner reaches every page: the addresses below are the real ones.
    owner = signed_in(app, a)
    reached: dict[str, set[int]] = {}
    for rule in dossier_rules(app):
        if "GET" in (rule.methods or ()):
            for m in made.values():
                with owner.get(url_for_rule(rule, values_for(m, made))) as answer:
                    reached.setdefault(rule.endpoint + " " + rule.rule, set()).add(answer.status_code)
    unreached = [r for r, statuses in reached.items() if statuses <= {404}]
    assert not unreached, unreached

    b_signed_in, b_holding = signed_in(app, b), signed_in(app, b)
    anonymous, anonymous_holding = app.test_client(), app.test_client()
    for client in (b_holding, anonymous_holding):
        holding(client, made)
    browsers = {
        "B signed in": b_signed_in,
        "B signed in, holding A's secrets": b_holding,
        "anonymous": anonymous,
        "anonymous, holding A's secrets": anonymous_holding,
    }
    tokens = {name: csrf_token(client.get("/track")) for name, client in browsers.items()}
    before = snapshot(app)
    answered: dict[tuple[str, str, str], int] = {}
    for rule in dossier_rules(app):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for m in made.values():
                url = url_for_rule(rule, values_for(m, made))
                for name, client in browsers.items():
                    with request(
                        client, method, url, form_fields(rule.endpoint, citizen_key), tokens[name], rule=rule
                    ) as answer:
                        answered[(name, method, url)] = answer.status_code
    wrong = {k: v for k, v in answered.items() if v != 404}
    assert not wrong, wrong
    assert len(answered) > 4 * 5 * 30  # every browser, every dossier, every route
    assert snapshot(app) == before


def test_form_fields_naming_a_s_objects_on_b_s_own_dossier_are_refused(access_app, citizen_key, pki):
    """B's own dossier's forms and downloads with A's document ids: 404, nothing changed. (A
    result's number is its position among the dossier's own results, so it names B's.)"""
    app = access_app
    with app.app_context():
        a, b = make_account(), make_account()
    theirs = dossiers_of(app, a, citizen_key, pki)
    ours = dossiers_of(app, b, citizen_key, pki)
    client = signed_in(app, b)
    token = csrf_token(client.get("/track"))
    holding(client, theirs)  # A's secrets too: they open nothing of A's owned dossiers
    cases = []
    for rule in dossier_rules(app):
        named = arguments(rule) & {"attachment_id", "file_id"}
        if not named:
            continue
        # B's own dossier in the state whose forms name such objects: a draft's documents, an
        # open supplement's files.
        own = values_for(ours["draft" if "attachment_id" in named else "supplement"], ours)
        for m in theirs.values():
            foreign = values_for(m, theirs)
            values = {**own, **{n: foreign[n] for n in named}}
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                cases.append((method, url_for_rule(rule, values), own, rule))
    assert {c[3].endpoint for c in cases} >= {"apply.download", "apply.remove", "supplement.remove"}

    # B's own ids reach B's own objects: the addresses are right.
    with client.get(
        f"/dossiers/{ours['draft'].public_id}/documents/{ours['draft'].attachment_ids[0]}"
    ) as own:
        assert own.status_code == 200
    before = snapshot(app)
    answered = {}
    for method, url, _own, rule in cases:
        with request(
            client, method, url, form_fields(rule.endpoint, citizen_key), token, rule=rule
        ) as answer:
            answered[(method, url)] = answer.status_code
    assert set(answered.values()) == {404}, answered
    assert snapshot(app) == before


def test_the_exempt_endpoints_ignore_an_applicant_s_session(access_app, citizen_key, pki):
    """What makes each exempt endpoint safe holds: B's signed-in session, holding A's secrets,
    opens no signing session, no file link and no staff action."""
    app = access_app
    with app.app_context():
        a, b = make_account(), make_account()
    made = dossiers_of(app, a, citizen_key, pki)
    browser = signed_in(app, b)
    holding(browser, made)
    token = csrf_token(browser.get("/track"))
    with app.app_context():
        message_id = db.session.scalar(text("SELECT min(id) FROM outbox"))
    before = snapshot(app)
    for step in ("prepare", "complete"):
        answer = browser.post(f"/api/v1/signing/{made['draft'].secret}/{step}", json={})
        assert answer.status_code in (400, 404), step  # the body is checked first, then the token
    assert browser.get(f"/api/v1/files/{made['submitted'].public_id}").status_code == 404
    resent = browser.post(f"/staff/deliveries/{message_id}/resend", data={"csrf_token": token})
    assert resent.status_code == 302
    assert urlsplit(resent.headers["Location"]).path == "/staff/login"
    assert snapshot(app) == before
