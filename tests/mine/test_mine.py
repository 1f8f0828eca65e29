"""My dossiers, ownership and the claim, as an applicant meets them: a draft started signed in
is the account's; a dossier started anonymously is claimed with its secret (or, held already,
with one click) and from then on opens for its owner only; a claim that cannot be made says
nothing about why; the list groups the dossiers by stage with their documents and history."""

from __future__ import annotations

import base64

import pytest
from flask import Flask
from sqlalchemy import select

from app.dossiers.models import Dossier
from app.extensions import db
from app.mine import services as mine
from app.signing import external
from app.signing import services as signing
from app.signing.models import ExternalSigningSession
from tests.accounts import make_account, signed_in
from tests.backoffice.fixtures import DEFINITION, SECRET
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.factories import DraftFactory
from tests.journey import start
from tests.mine import SUPPLEMENT_NOTE, dossiers_of


@pytest.fixture
def mine_app(make_app) -> Flask:
    return make_app(CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET})


def account(app: Flask, **particulars):
    """A committed account, detached with its columns loaded (its id is read outside the app)."""
    with app.app_context():
        made = make_account(**particulars)
        db.session.refresh(made)
        db.session.expunge(made)
        return made


def owner_of(app: Flask, public_id: str) -> int | None:
    with app.app_context():
        return db.session.scalar(select(Dossier.account_id).where(Dossier.public_id == public_id))


def english(client):
    client.get("/language/en")
    return client


def claim(client, reference: str, secret: str):
    form = client.get("/mine/claim")
    return client.post(
        "/mine/claim", data={"csrf_token": csrf_token(form), "reference": reference, "secret": secret}
    )


def anonymous_draft(app: Flask, **kwargs) -> tuple[str, str]:
    """A draft started anonymously: its public id and secret."""
    with app.test_request_context():
        made = DraftFactory(procedure=DEFINITION.code, **kwargs)
        return made.dossier.public_id, made.secret


def test_a_draft_started_signed_in_is_the_account_s_and_opens_for_it_only(mine_app):
    a = account(mine_app)
    browser = english(signed_in(mine_app, a))
    first_step = start(browser, DEFINITION.code)
    public_id = first_step.split("/")[2]
    assert owner_of(mine_app, public_id) == a.id
    with browser.session_transaction() as held:
        assert public_id not in held.get("dossiers", {})  # no secret kept: signing in opens it
    shown = page(browser.get(first_step))
    assert shown.select_one(".resume-link") is None
    assert "My dossiers" in shown.select_one(".in-account").get_text()
    assert browser.get(f"/dossiers/{public_id}/").status_code == 302

    other = english(signed_in(mine_app, account(mine_app)))
    assert other.get(first_step).status_code == 404
    assert english(mine_app.test_client()).get(first_step).status_code == 404


def test_the_kiosk_never_makes_an_owned_draft(mine_app):
    """A signed-in browser turned kiosk: the kiosk's drafts stay anonymous (nobody signs in at a
    kiosk, and the next person must not find them in someone's account)."""
    browser = signed_in(mine_app, account(mine_app))
    entry = browser.get("/kiosk/")
    answer = browser.post(
        f"/kiosk/procedures/{DEFINITION.code}/start", data={"csrf_token": csrf_token(entry)}
    )
    assert owner_of(mine_app, answer.headers["Location"].split("/")[3]) is None


def test_a_claimed_dossier_opens_for_its_owner_not_for_its_secret(mine_app, citizen_key, pki):
    a = account(mine_app)
    made = dossiers_of(mine_app, None, citizen_key, pki)["submitted"]
    status_url = f"/dossiers/{made.public_id}/status"
    kiosk_browser = english(mine_app.test_client())  # where it was sent from, anonymously
    assert kiosk_browser.get(f"/resume/{made.secret}").headers["Location"] == status_url

    owner = english(signed_in(mine_app, a))
    claimed = claim(owner, made.code, made.secret)
    assert claimed.status_code == 302
    assert owner_of(mine_app, made.public_id) == a.id
    assert "now kept in your account" in page(owner.get(claimed.headers["Location"])).get_text()
    assert owner.get(status_url).status_code == 200  # no secret needed

    # The secret alone no longer opens it: not the browser that held it, not the resume link,
    # not the tracking form (which answers as for a wrong code, and says where owned ones are).
    assert kiosk_browser.get(status_url).status_code == 404
    assert kiosk_browser.get(f"/resume/{made.secret}").status_code == 404
    form = kiosk_browser.get("/track")
    assert "opens only for that account" in page(form).select_one(".in-account").get_text()
    tracked = kiosk_browser.post(
        "/track", data={"csrf_token": csrf_token(form), "code": made.code, "secret": made.secret}
    )
    wrong = kiosk_browser.post(
        "/track", data={"csrf_token": csrf_token(form), "code": made.code, "secret": "not-the-secret"}
    )
    assert tracked.status_code == wrong.status_code == 404
    assert (
        page(tracked).select_one(".error-summary").get_text()
        == page(wrong).select_one(".error-summary").get_text()
    )

    # Its owner, signed in, comes in through both as before.
    assert owner.get(f"/resume/{made.secret}").headers["Location"] == status_url
    form = owner.get("/track")
    answer = owner.post(
        "/track", data={"csrf_token": csrf_token(form), "code": made.code, "secret": made.secret}
    )
    assert answer.headers["Location"] == status_url
    acknowledgement = page(owner.get(f"/dossiers/{made.public_id}/acknowledgement"))
    assert acknowledgement.select_one(".secret") is None  # the secret opens nothing now
    assert acknowledgement.select_one(".in-account a")["href"] == "/mine/"


def test_a_claim_that_cannot_be_made_tells_nothing(mine_app, citizen_key, pki):
    """Someone else's dossier, a wrong secret, an unknown code: one answer, nothing changed."""
    a, b = account(mine_app), account(mine_app)
    theirs = dossiers_of(mine_app, a, citizen_key, pki)["submitted"]
    loose_id, loose_secret = anonymous_draft(mine_app)
    browser = english(signed_in(mine_app, b))
    answers = [
        claim(browser, theirs.code, theirs.secret),  # right code and secret, but A's
        claim(browser, theirs.code, "wrong-secret"),
        claim(browser, "000.00.01.H22-261201-9999", theirs.secret),
        claim(browser, loose_id, theirs.secret),  # a claimable dossier, another's secret
    ]
    assert [a.status_code for a in answers] == [404] * 4
    errors = {page(a).select_one(".error-summary").get_text(" ", strip=True) for a in answers}
    assert len(errors) == 1
    assert "No dossier you can add has this code and access code" in errors.pop()
    assert owner_of(mine_app, theirs.public_id) == a.id
    assert owner_of(mine_app, loose_id) is None

    # The draft's own address and secret do claim it.
    assert claim(browser, loose_id, loose_secret).status_code == 302
    assert owner_of(mine_app, loose_id) == b.id


def test_the_claim_form_checks_its_input_in_both_languages(mine_app):
    browser = signed_in(mine_app, account(mine_app))  # Vietnamese by default
    form = browser.get("/mine/claim")
    answer = browser.post("/mine/claim", data={"csrf_token": csrf_token(form), "reference": "", "secret": ""})
    assert answer.status_code == 400
    assert "Nhập mã hồ sơ" in page(answer).select_one(".error-summary").get_text()
    english(browser)
    answer = browser.post(
        "/mine/claim", data={"csrf_token": csrf_token(form), "reference": "x" * 41, "secret": "s"}
    )
    assert answer.status_code == 400
    assert page(answer).select(".error")


def test_a_dossier_the_browser_holds_is_claimed_with_one_click(mine_app):
    public_id, secret = anonymous_draft(mine_app)
    browser = english(signed_in(mine_app, account(mine_app)))
    assert browser.get(f"/resume/{secret}").status_code == 302  # the resume link: the browser holds it
    listed = page(browser.get("/mine/"))
    button = listed.select_one(".held form")
    assert button["action"] == f"/mine/claim/{public_id}"
    answer = browser.post(
        button["action"], data={"csrf_token": button.select_one("[name=csrf_token]")["value"]}
    )
    assert answer.status_code == 302
    after = page(browser.get("/mine/"))
    assert after.select_one(".held") is None
    assert (
        after.select_one(f".stage-drafts #dossier-{public_id} a.resume")["href"] == f"/dossiers/{public_id}/"
    )
    with browser.session_transaction() as held:
        assert public_id not in held.get("dossiers", {})


def test_a_claim_closes_the_signing_sessions_opened_before_it(mine_app, citizen_key):
    """Whoever held the secret may have opened a signing session for the signing agent: once
    the dossier is someone's, that session signs nothing."""
    public_id, secret = anonymous_draft(mine_app)
    with mine_app.test_request_context():
        dossier = db.session.scalar(select(Dossier).where(Dossier.public_id == public_id))
        opened = external.open_session(signing.DossierDeclaration(dossier))
    browser = signed_in(mine_app, account(mine_app))
    assert claim(browser, public_id, secret).status_code == 302
    certificate = base64.b64encode(b"not used: the session is closed first").decode()
    answer = mine_app.test_client().post(
        f"/api/v1/signing/{opened.token}/prepare", json={"certificate": certificate, "chain": []}
    )
    assert answer.status_code == 409
    with mine_app.app_context():
        assert db.session.scalars(select(ExternalSigningSession.state)).all() == ["failed"]


def test_my_dossiers_groups_them_by_stage_with_their_documents(mine_app, citizen_key, pki):
    a = account(mine_app)
    made = dossiers_of(mine_app, a, citizen_key, pki)
    dossiers_of(mine_app, account(mine_app), citizen_key, pki)  # another's: never listed
    browser = english(signed_in(mine_app, a))
    listed = page(browser.get("/mine/"))

    def ids(stage: str) -> set[str]:
        return {li["data-public-id"] for li in listed.select(f".stage-{stage} li.dossier")}

    assert ids("drafts") == {made["draft"].public_id, made["signed"].public_id}
    assert ids("submitted") == {made["submitted"].public_id}
    assert ids("in_progress") == {made["supplement"].public_id}
    assert ids("finished") == {made["result"].public_id}

    def links(state: str) -> dict[str, str]:
        entry = listed.select_one(f"#dossier-{made[state].public_id}")
        return {a["class"][0]: a["href"] for a in entry.select("a[class]")}

    base = f"/dossiers/{made['result'].public_id}"
    assert links("result") == {
        "status-page": f"{base}/status",
        "acknowledgement": f"{base}/acknowledgement",
        "receipt": f"{base}/receipt.pdf",
        "signed-declaration": f"{base}/signed.pdf",
        "result": f"{base}/results/1",
    }
    assert links("supplement")["supplement"] == f"/dossiers/{made['supplement'].public_id}/supplement"
    assert (
        SUPPLEMENT_NOTE
        in listed.select_one(f"#dossier-{made['supplement'].public_id} .supplements").get_text()
    )
    assert links("draft") == {"resume": f"/dossiers/{made['draft'].public_id}/"}
    history = [
        li.get_text(" ", strip=True)
        for li in listed.select(f"#dossier-{made['result'].public_id} .history li")
    ]
    assert "Result returned" in history[0]
    assert "Draft" in history[-1]
    # Every link opens for the owner.
    for state in made:
        for href in links(state).values():
            with browser.get(href) as answer:
                assert answer.status_code in (200, 302), href
    assert browser.get("/mine/?stage=nothing").status_code == 404

    browser.get("/language/vi")
    vietnamese = page(browser.get("/mine/"))
    assert vietnamese.select_one(".stage-drafts h2").get_text(strip=True).startswith("Bản nháp")
    assert vietnamese.select_one("h1").get_text(strip=True) == "Hồ sơ của tôi"


def test_the_list_is_bounded_and_each_stage_paginated(mine_app):
    a = account(mine_app)
    browser = english(signed_in(mine_app, a))
    with mine_app.test_request_context():
        owner = db.session.merge(a)
        for _ in range(23):
            mine.claim(DraftFactory(procedure=DEFINITION.code, answered=False, attached=False).dossier, owner)
    overview = page(browser.get("/mine/"))
    assert len(overview.select(".stage-drafts li.dossier")) == 10
    assert overview.select_one(".stage-drafts .count").get_text() == "(23)"
    assert overview.select_one(".stage-drafts a.see-all")["href"] == "/mine/?stage=drafts"
    first = page(browser.get("/mine/?stage=drafts"))
    second = page(browser.get(first.select_one("a[rel=next]")["href"]))
    shown = [li["data-public-id"] for p in (first, second) for li in p.select("li.dossier")]
    assert len(shown) == len(set(shown)) == 23
    assert second.select_one("a[rel=next]") is None
    assert browser.get("/mine/?stage=drafts&page=99999999999").status_code == 200


def test_signed_out_there_is_no_list_and_no_header_link(mine_app):
    client = english(mine_app.test_client())
    answer = client.get("/mine/")
    assert answer.status_code == 401
    assert "Sign in" in page(answer).select_one(".signed-out").get_text()
    assert page(answer).select_one("a.sign-in")["href"] == "/account/sign-in?next=/mine/"
    assert page(client.get("/")).select_one("a.my-dossiers") is None
    assert client.get("/mine/claim").status_code == 401
    browser = signed_in(mine_app, account(mine_app))
    assert page(browser.get("/")).select_one("a.my-dossiers")["href"] == "/mine/"


def test_claims_are_rate_limited(mine_app):
    browser = english(signed_in(mine_app, account(mine_app)))
    form = browser.get("/mine/claim")
    answers = [
        browser.post(
            "/mine/claim", data={"csrf_token": csrf_token(form), "reference": "X", "secret": f"g{n}"}
        )
        for n in range(10)
    ]
    assert {a.status_code for a in answers} == {404}
    assert (
        browser.post(
            "/mine/claim", data={"csrf_token": csrf_token(form), "reference": "X", "secret": "g"}
        ).status_code
        == 429
    )


def test_the_secrets_held_stay_anonymous_dossiers(mine_app):
    """Holding a secret is not owning: an anonymous draft held by a signed-in browser stays
    anonymous until claimed, and opens by its secret as before."""
    public_id, secret = anonymous_draft(mine_app)
    browser = signed_in(mine_app, account(mine_app))
    assert browser.get(f"/resume/{secret}").status_code == 302
    assert browser.get(f"/dossiers/{public_id}/documents").status_code == 200
    assert owner_of(mine_app, public_id) is None
    assert english(mine_app.test_client()).get(f"/dossiers/{public_id}/documents").status_code == 404


def test_start_again_at_the_kiosk_keeps_a_draft_claimed_meanwhile(mine_app):
    """The kiosk forgets the unsubmitted drafts it holds, but not one its owner has claimed
    into an account since (with the resume link, from elsewhere): that is the owner's now."""
    public_id, secret = anonymous_draft(mine_app)
    kept_id, kept_secret = anonymous_draft(mine_app)
    kiosk = mine_app.test_client()
    for s in (secret, kept_secret):
        assert kiosk.get(f"/resume/{s}").status_code == 302
    assert claim(signed_in(mine_app, account(mine_app)), kept_id, kept_secret).status_code == 302
    entry = kiosk.get("/kiosk/")
    assert kiosk.post("/kiosk/start-again", data={"csrf_token": csrf_token(entry)}).status_code == 303
    with mine_app.app_context():
        left = set(db.session.scalars(select(Dossier.public_id)))
    assert kept_id in left
    assert public_id not in left
