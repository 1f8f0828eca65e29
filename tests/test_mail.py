"""app.mail against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import pytest

from app.mail import MailError, compose, send


def test_a_message_reaches_the_mail_server(make_app, mail_server):
    app = make_app(**mail_server.settings)
    with app.app_context():
        message = compose("dan@example.vn", "Hồ sơ đã được tiếp nhận", "Xin chào")
        send(message)
    assert mail_server.next_received() == message["Message-ID"]
    (received,) = mail_server.to("dan@example.vn")
    assert received["Subject"] == "Hồ sơ đã được tiếp nhận"
    assert received.get_content().strip() == "Xin chào"


def test_a_dead_mail_server_raises(make_app, mail_server):
    app = make_app(**mail_server.settings)
    mail_server.stop()
    with app.app_context(), pytest.raises(MailError):
        send(compose("dan@example.vn", "subject", "text"))
