"""Guessing is slowed down: the forms that open a dossier or a staff account take a few tries
a minute from one address, then answer 429 with a translated page; other addresses go on."""

from __future__ import annotations

from tests.conftest import csrf_token, page


def test_the_tracking_form_slows_down_guessing(test_app):
    client = test_app.test_client()
    client.get("/language/en")
    form = client.get("/track")
    guesses = [
        client.post("/track", data={"csrf_token": csrf_token(form), "code": "X", "secret": f"guess-{n}"})
        for n in range(11)
    ]
    assert [g.status_code for g in guesses[:10]] == [404] * 10
    assert guesses[10].status_code == 429
    assert "Too many attempts" in page(guesses[10]).get_text()
    elsewhere = test_app.test_client()
    other = elsewhere.get("/track", environ_base={"REMOTE_ADDR": "10.0.0.7"})
    answer = elsewhere.post(
        "/track",
        data={"csrf_token": csrf_token(other), "code": "X", "secret": "guess"},
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert answer.status_code == 404


def test_the_refusal_is_in_vietnamese_by_default(test_app):
    client = test_app.test_client()
    for _ in range(31):
        last = client.get("/resume/not-a-secret")
    assert last.status_code == 429
    assert "Quá nhiều lần thử" in page(last).get_text()


def test_behind_a_trusted_proxy_each_client_is_counted_apart(make_app):
    """With OPENDVC_TRUSTED_PROXIES the proxy's X-Forwarded-For names the client; without it,
    the header is ignored (a client cannot forge its way out of the limit)."""
    behind = make_app(TRUSTED_PROXIES=1).test_client()
    for n in range(31):
        last = behind.get("/resume/x", headers={"X-Forwarded-For": f"203.0.113.{n}"})
    assert last.status_code == 404  # 31 different clients, one try each
    direct = make_app().test_client()
    for n in range(31):
        last = direct.get("/resume/x", headers={"X-Forwarded-For": f"203.0.113.{n}"})
    assert last.status_code == 429
