"""A real SMTP server for the tests (aiosmtpd), as its own process on 127.0.0.1.

    python tests/smtp_server.py MAILDIR [PORT]

Listens on PORT (0: one the system picks), prints "smtp listening on 127.0.0.1:<port>" once it
accepts connections, keeps every message in the Maildir MAILDIR and prints "received <Message-ID>"
for each once it is stored. tests/mailserver.py drives it."""

from __future__ import annotations

import asyncio
import socket
import sys

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, Envelope, Session


class Announcing(Mailbox):
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        content = envelope.original_content or b""
        message_id = next(
            (
                line.split(b":", 1)[1].strip().decode()
                for line in content.splitlines()
                if line.lower().startswith(b"message-id:")
            ),
            "?",
        )
        print(f"received {message_id}", flush=True)
        return answer


def main(maildir: str, port: int = 0) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen()
    handler = Announcing(maildir)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(loop.create_server(lambda: SMTP(handler), sock=listener))
    print(f"smtp listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
    loop.run_forever()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
