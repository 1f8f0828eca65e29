"""The same declaration signed in several windows at the same moment: one signature holds, the
others are told so (409), and nothing is half-kept or sent twice; never a server error."""

from __future__ import annotations

import threading

import requests

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.signing.models import DossierSignature
from tests.conftest import csrf_token
from tests.signing import forgeries

WINDOWS = 4


def test_signing_in_several_windows_at_once_keeps_one_signature(served, citizen_key):
    to_sign, browser, server_url = served()
    signed = forgeries.sign(to_sign.declaration(), citizen_key[0])
    tokens = [csrf_token(browser.get(f"{server_url}{to_sign.page_url}")) for _ in range(WINDOWS)]
    barrier = threading.Barrier(WINDOWS)
    answers: list[int] = []

    def window(token: str) -> None:
        session = requests.Session()
        session.cookies.update(browser.cookies)
        barrier.wait(timeout=60)
        answer = session.post(
            f"{server_url}{to_sign.base}/sign/upload",
            data={"csrf_token": token},
            files={"signed": ("da-ky.pdf", signed, "application/pdf")},
            allow_redirects=False,
            timeout=120,
        )
        answers.append(answer.status_code)

    threads = [threading.Thread(target=window, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert len(answers) == WINDOWS
    assert all(code < 500 for code in answers), answers
    assert 302 in answers
    assert to_sign.signed_pdf() == signed
    with to_sign.app.app_context():
        if to_sign.kind == "supplement":
            sent = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "supplement"))
            assert len(sent.all()) == 1
        else:
            assert db.session.scalars(db.select(DossierSignature)).all()
