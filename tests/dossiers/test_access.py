"""Nothing about a dossier is shown to anyone without its secret."""

from __future__ import annotations

from tests.conftest import csrf_token, page
from tests.journey import apply, start


def test_a_stranger_sees_nothing_of_a_draft(test_app, test_client):
    step_url = start(test_client, "T.000001")
    base = step_url.rsplit("/steps/", 1)[0]
    stranger = test_app.test_client()
    for path in (
        "/steps/basics",
        "/documents",
        "/review",
        "/status",
        "/receipt",
        "/acknowledgement",
        "/withdraw",
        "/",
    ):
        response = stranger.get(base + path)
        assert response.status_code == 404, path
        assert "T.000001" not in response.text


def test_the_resume_link_opens_the_draft_in_another_browser(test_app, test_client):
    step_url = start(test_client, "T.000001")
    link = page(test_client.get(step_url + "?new=1")).select_one("a.resume-link")["href"]
    other = test_app.test_client()
    response = other.get(link, follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == step_url.split("?")[0]  # the first step not yet answered


def test_a_wrong_resume_link_opens_nothing(test_client):
    response = test_client.get("/resume/not-a-real-secret")
    assert response.status_code == 404
    assert page(response).select_one("h1").get_text(strip=True) == "Link not recognised"


def submitted(app, client, key):
    from app.catalog.loader import load_folder
    from tests.conftest import TEST_CATALOG

    receipt = apply(client, load_folder(TEST_CATALOG)["T.000001"].definition, key)
    doc = page(receipt)
    return doc.select_one(".dossier-code").get_text(strip=True), doc.select_one("code.secret").get_text(
        strip=True
    )


def test_tracking_needs_both_code_and_secret(test_app, test_client, citizen_key):
    code, secret = submitted(test_app, test_client, citizen_key)
    visitor = test_app.test_client()
    visitor.get("/language/en")

    def track(code_given: str, secret_given: str):
        form = visitor.get("/track")
        return visitor.post(
            "/track", data={"csrf_token": csrf_token(form), "code": code_given, "secret": secret_given}
        )

    altered = secret[:-1] + ("y" if secret[-1] == "x" else "x")
    for wrong in ((code, altered), ("000.00.99.G09-250101-0001", secret), (code, "")):
        response = track(*wrong)
        assert response.status_code in (400, 404)
        assert code not in page(response).select_one("main").get_text().replace(f'value="{code}"', "")
    response = track(code, secret)
    assert response.status_code == 302
    status_page = visitor.get(response.headers["Location"])
    doc = page(status_page)
    assert doc.select_one("h1").get_text(" ", strip=True) == f"Dossier {code}"
    assert doc.select_one(".status strong").get_text(strip=True) == "Submitted"
    history = [li.get_text(" ", strip=True) for li in doc.select(".history li")]
    assert len(history) == 3
    assert history[0].endswith("Submitted")
    assert "Signed, not yet submitted" in history[1]
    assert history[2].endswith("Draft")


def test_a_submitted_dossier_can_no_longer_be_edited(test_app, test_client, citizen_key):
    submitted(test_app, test_client, citizen_key)
    from app.dossiers.models import Dossier
    from app.extensions import db

    with test_app.app_context():
        public_id = db.session.scalars(db.select(Dossier.public_id)).one()
    response = test_client.get(f"/dossiers/{public_id}/steps/basics")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/status")
    assert test_client.get(f"/dossiers/{public_id}/review").status_code == 302


def test_answers_are_escaped_on_every_page(test_app, test_client):
    from tests.forms.test_validation import post_step

    url = start(test_client, "T.000001")
    script = '<script>alert("x")</script>'
    response = post_step(
        test_client, url, "basics", {"full_name": [script[:40]], "purpose": ['<img src=x onerror="1">']}
    )
    assert response.status_code == 302
    review = test_client.get(url.rsplit("/steps/", 1)[0] + "/review")
    assert "<script>alert" not in review.text
    assert not page(review).select("main script, main img")
    assert "&lt;script&gt;" in review.text


def test_pages_forbid_inline_scripts_and_framing(test_client):
    response = test_client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_a_stranger_gets_no_document_of_a_submitted_dossier(test_app, test_client, citizen_key):
    submitted(test_app, test_client, citizen_key)
    from app.dossiers.models import Dossier
    from app.extensions import db

    with test_app.app_context():
        dossier = db.session.scalars(db.select(Dossier)).one()
        base, attachment_id = f"/dossiers/{dossier.public_id}", dossier.attachments[0].id
    stranger = test_app.test_client()
    for path in ("/signed.pdf", "/declaration.pdf", "/receipt.pdf", f"/documents/{attachment_id}", "/sign"):
        assert stranger.get(base + path).status_code == 404, path


def test_signing_posts_need_the_csrf_token(test_app, test_client):
    from tests.journey.test_steps import fill_all

    url = start(test_client, "T.000001")
    fill_all(test_client, url)
    base = url.split("?")[0].rsplit("/steps/", 1)[0]
    for method in ("pkcs12", "upload", "external", "pkcs11"):
        assert test_client.post(f"{base}/sign/{method}", data={}).status_code in (302, 400, 404), method
    # Complete dossier: the token is what stops them.
    from tests import files
    from tests.journey import upload

    upload(test_client, base + "/documents", "DOC", "a.pdf", files.pdf())
    assert test_client.post(f"{base}/sign/pkcs12", data={"passphrase": "x"}).status_code == 400
    assert test_client.post(f"{base}/sign/upload", data={}).status_code == 400
    assert test_client.post(f"{base}/sign/external", data={}).status_code == 400
