"""Every cause of a notification sends one mail, in the applicant's language, naming the
procedure, the dossier and what changed, linking to the dossier and never giving its secret."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup

from tests.backoffice.fixtures import DEFINITION
from tests.events import event_body, post_event
from tests.notifications import ANSWERED_EMAIL, deliver, html_of, portal, submit, text_of
from tests.results.test_results import result, signed_by

LATER = (date.today() + timedelta(days=400)).isoformat()

# What each mail's subject says changed, in each language.
HEADLINES = {
    "en": [
        "your dossier has been submitted",
        "your dossier has been accepted",
        "new status: Being processed",
        "supplements are requested",
        "new status: Being processed",
        "the date of your result has been moved",
        "fees are to be paid",
        "new status: Being processed",
        "new status: Processed",
        "your result is ready",
    ],
    "vi": [
        "hồ sơ của bạn đã được nộp",
        "hồ sơ của bạn đã được tiếp nhận",
        "trạng thái mới: Đang xử lý",
        "cơ quan yêu cầu bổ sung hồ sơ",
        "trạng thái mới: Đang xử lý",
        "ngày trả kết quả đã được dời",
        "yêu cầu thực hiện nghĩa vụ tài chính",
        "trạng thái mới: Đang xử lý",
        "trạng thái mới: Đã xử lý xong",
        "kết quả của bạn đã có",
    ],
}


def the_events(code: str, pki) -> list[dict]:
    """Acceptance, processing, a supplement, processing again, an extension, a fee request,
    processing, finished, the result: every later change a back office posts."""
    steps = [
        (2, {}),
        (4, {}),
        (5, {"note": "Bổ sung bản sao giấy chứng nhận"}),
        (4, {}),
        (4, {"promised_on": LATER, "apology": "Xin lỗi vì sự chậm trễ"}),
        (
            6,
            {
                "fees": [
                    {"name": "Lệ phí cấp giấy phép", "amount": 500000},
                    {"name": "Phí thẩm định", "amount": 1250000},
                ]
            },
        ),
        (4, {}),
        (9, {}),
        (10, {"results": [result(signed_by(pki, "agency"))]}),
    ]
    return [event_body(code, n, status, **extra) for n, (status, extra) in enumerate(steps, 1)]


@pytest.mark.parametrize("locale", ["en", "vi"])
def test_each_cause_sends_one_mail_in_the_applicants_language(
    make_app, mail_server, citizen_key, pki, locale
):
    app = portal(make_app, mail_server)
    dossier = submit(app, citizen_key, locale=locale)
    client = app.test_client()
    received = []
    deliver(app)
    received.append(mail_server.next_received())
    for body in the_events(dossier.code, pki):
        answer = post_event(client, body)
        assert (answer.status_code, answer.json["title"]) == (200, "applied"), body
        deliver(app)
        received.append(mail_server.next_received())
    deliver(app)
    mails = mail_server.messages()
    assert [m["Message-ID"] for m in mails] == received  # one each, none more
    assert len(set(received)) == len(received) == 10
    link = f"http://127.0.0.1:5000/track?code={dossier.code}"
    procedure = DEFINITION.name.get(locale)
    for mail, headline in zip(mails, HEADLINES[locale], strict=True):
        assert mail["To"] == ANSWERED_EMAIL
        assert mail["Subject"].endswith(headline)
        assert dossier.code in mail["Subject"]
        text = text_of(mail)
        assert procedure in text
        assert dossier.code in text
        assert link in text
        assert BeautifulSoup(html_of(mail), "html.parser").select_one("a")["href"] == link
        raw = mail.as_bytes()
        assert dossier.secret.encode() not in raw  # never the access secret
        assert b"/resume/" not in raw
    supplement, extension, fees, finished = (text_of(mails[i]) for i in (3, 5, 6, 9))
    assert "Bổ sung bản sao giấy chứng nhận" in supplement
    assert "Xin lỗi vì sự chậm trễ" in extension
    assert "Lệ phí cấp giấy phép" in fees
    assert "Phí thẩm định" in fees
    assert {"en": "1,750,000", "vi": "1.750.000"}[locale] in fees  # the total, in VND
    assert f"{dossier.code}-KQ1" in finished


def test_the_html_part_escapes_what_the_agency_wrote(make_app, mail_server, citizen_key):
    app = portal(make_app, mail_server)
    dossier = submit(app, citizen_key)
    deliver(app)
    mail_server.next_received()
    note = '<script>alert("x")</script> & <b>bold</b>'
    assert post_event(app.test_client(), event_body(dossier.code, 1, 3, note)).json["title"] == "applied"
    deliver(app)
    mail_server.next_received()
    refused = mail_server.messages()[-1]
    html = html_of(refused)
    assert "<script>" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;" in html
    assert note in text_of(refused)  # plain text is plain


def test_a_replayed_event_notifies_once(make_app, mail_server, citizen_key):
    app = portal(make_app, mail_server)
    dossier = submit(app, citizen_key)
    client = app.test_client()
    for _ in range(3):
        post_event(client, event_body(dossier.code, 1, 2))
    for _ in range(2):
        deliver(app)
    assert [m["Subject"].split(": ", 1)[1] for m in mail_server.messages()] == [
        "your dossier has been submitted",
        "your dossier has been accepted",
    ]
