"""The plug-in path: an adapter installed from its own distribution (examples/opendvc-backoffice-
maildir) is found by entry point, configured by its own options, and delivers like a built-in."""

from __future__ import annotations

import email
import io
import json
import mailbox
import zipfile
from email.policy import default
from importlib.metadata import entry_points

import pytest

from app.backoffice import get_backoffices
from app.config import ConfigError
from app.delivery.packages import build
from app.delivery.worker import deliver_due
from app.dossiers.models import Dossier
from app.extensions import db
from app.packaging.verify import verify
from app.signing import get_signing
from tests.backoffice.fixtures import DEFINITION
from tests.conftest import TEST_CATALOG
from tests.factories import submitted


def test_it_comes_from_its_own_distribution():
    (found,) = [ep for ep in entry_points(group="opendvc.backoffice") if ep.name == "maildir"]
    assert found.dist.name == "opendvc-backoffice-maildir"


def test_a_routed_procedure_arrives_as_one_e_mail_with_a_verifiable_package(make_app, citizen_key, tmp_path):
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_ROUTES={"T.000001": "maildir"},
        BACKOFFICE_OPTIONS={"maildir": {"path": tmp_path / "mail", "to": "motcua@example.gov.vn"}},
    )
    code = submitted(app, DEFINITION, citizen_key)
    with app.app_context():
        assert deliver_due().delivered == [code]
        again = get_backoffices()["maildir"].submit(
            package=build(db.session.scalars(db.select(Dossier)).one())
        )
    box = mailbox.Maildir(tmp_path / "mail", create=False)
    assert list(box.keys()) == [again.reference]  # the same dossier again added nothing
    with box.get_file(again.reference) as raw:
        message = email.message_from_binary_file(raw, policy=default)
    assert message["Subject"] == f"Hồ sơ {code}: Thủ tục thử nghiệm mọi loại trường"
    (attachment,) = list(message.iter_attachments())
    package = attachment.get_content()
    assert attachment.get_filename() == f"{code}.zip"
    assert json.loads(zipfile.ZipFile(io.BytesIO(package)).read("manifest.json"))["dossier_code"] == code
    with app.app_context():
        signing = get_signing()
        report = verify(io.BytesIO(package), trust_roots=signing.trust_roots, context=signing.context())
    assert report.problems == []


def test_its_options_are_checked_at_start_up(make_app, tmp_path):
    with pytest.raises(ConfigError, match=r"OPENDVC_BACKOFFICE_OPTIONS\[maildir\]: unknown"):
        make_app(
            BACKOFFICE_OPTIONS={"maildir": {"path": tmp_path / "mail", "to": "x@example.vn", "unknown": 1}}
        )
    (tmp_path / "not-a-maildir").write_text("a file")
    with pytest.raises(ConfigError, match="is not a Maildir"):
        make_app(BACKOFFICE_OPTIONS={"maildir": {"path": tmp_path / "not-a-maildir", "to": "x@example.vn"}})
