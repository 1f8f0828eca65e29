"""The `maildir` back-office adapter: each package as an e-mail in a Maildir (see README.md)."""

from __future__ import annotations

import mailbox
import os
import tempfile
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from app.backoffice.adapters import BackOffice, Delivered, DeliveryFailed
from app.packaging.package import DossierPackage


class MaildirOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: Path
    to: str
    sender: str = "opendvc@localhost"


def message_id(code: str) -> str:
    return f"<{code}@opendvc>"


class MaildirBackOffice(BackOffice):
    name = "maildir"
    Options: ClassVar[type[BaseModel]] = MaildirOptions

    def check(self) -> None:
        path: Path = self.options.path
        if path.exists() and not (path / "new").is_dir():
            raise ValueError(f"path: {path} exists and is not a Maildir")
        mailbox.Maildir(path, create=True)
        if not os.access(path / "tmp", os.W_OK):
            raise ValueError(f"path: {path} is not writable")

    def _find(self, box: mailbox.Maildir, wanted: str) -> str | None:
        for key in box.iterkeys():
            with box.get_file(key) as raw:
                for line in raw:
                    if not line.strip():
                        break  # end of the headers
                    if (
                        line.lower().startswith(b"message-id:")
                        and line.split(b":", 1)[1].strip() == wanted.encode()
                    ):
                        return key
        return None

    def submit(self, *, package: DossierPackage) -> Delivered:
        box = mailbox.Maildir(self.options.path, create=False)
        wanted = message_id(package.code)
        found = self._find(box, wanted)
        if found is not None:
            return Delivered(reference=found)
        manifest = package.manifest
        message = EmailMessage(policy=SMTP)
        message["From"] = self.options.sender
        message["To"] = self.options.to
        message["Subject"] = f"Hồ sơ {package.code}: {manifest['procedure']['name']}"
        message["Message-ID"] = wanted
        message.set_content(
            f"Mã hồ sơ: {package.code}\n"
            f"Thủ tục: {manifest['procedure']['code']} {manifest['procedure']['name']}\n"
            f"Người nộp: {manifest['applicant']['name'] or ''}\n"
            f"Ngày tiếp nhận: {manifest['received_at'] or ''}\n"
        )
        with tempfile.TemporaryFile() as zipped:
            package.write_zip(zipped)
            zipped.seek(0)
            message.add_attachment(
                zipped.read(), maintype="application", subtype="zip", filename=f"{package.code}.zip"
            )
        try:
            key = box.add(message)  # written in tmp/, then moved into new/
        except OSError as exc:
            raise DeliveryFailed(f"cannot write to {self.options.path}: {exc.strerror}") from None
        return Delivered(reference=key)
