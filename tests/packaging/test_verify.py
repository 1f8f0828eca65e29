"""`package verify`: a package checks out as built, and tampering with any file is caught."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from app.catalog.loader import load_folder
from app.delivery.packages import build
from app.dossiers.models import Dossier
from app.extensions import db
from app.packaging.verify import verify
from app.signing import get_signing
from tests.conftest import TEST_CATALOG
from tests.factories import submitted

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition


def package_of(app, key) -> bytes:
    submitted(app, DEFINITION, key)
    with app.app_context():
        return build(db.session.scalars(db.select(Dossier)).one()).zip_bytes()


def rewritten(package: bytes, change) -> bytes:
    """The package with `change(name, data)` applied to each entry (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info))
            if data is not None:
                target.writestr(info.filename, data)
    return out.getvalue()


def check(app, package: bytes):
    with app.app_context():
        signing = get_signing()
        return verify(io.BytesIO(package), trust_roots=signing.trust_roots, context=signing.context())


@pytest.fixture
def sealed(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG)
    return app, package_of(app, citizen_key)


def test_a_package_as_built_checks_out(sealed):
    app, package = sealed
    report = check(app, package)
    assert report.problems == []
    assert (report.signed_by, report.files) == ("Nguyễn Thị Thu Hà", 1)
    assert report.sealed_by
    assert "OpenDVC" in report.sealed_by


def flip_middle(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


@pytest.mark.parametrize(
    "entry", ["manifest.json", "manifest.xml", "don-de-nghi-da-ky.pdf", "tai-lieu/01-DOC-document.pdf"]
)
def test_a_byte_changed_in_any_file_fails(sealed, entry):
    app, package = sealed
    assert entry in zipfile.ZipFile(io.BytesIO(package)).namelist()
    tampered = rewritten(package, lambda name, data: flip_middle(data) if name == entry else data)
    report = check(app, tampered)
    assert not report.ok
    assert any(p.startswith(entry) for p in report.problems), report.problems


def test_an_answer_changed_in_the_json_manifest_fails(sealed):
    app, package = sealed
    tampered = rewritten(
        package,
        lambda name, data: (
            data.replace("Nguyễn Thị Thu Hà".encode(), "Trần Văn An".encode())
            if name == "manifest.json"
            else data
        ),
    )
    assert check(app, tampered).problems == ["manifest.json: changed after the portal sealed the package"]


def test_a_file_added_or_removed_fails(sealed):
    app, package = sealed
    buffer = io.BytesIO(package)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("tai-lieu/02-DOC-extra.pdf", b"%PDF-1.7 smuggled")
    assert check(app, buffer.getvalue()).problems == ["tai-lieu/02-DOC-extra.pdf: not listed in the manifest"]
    removed = rewritten(package, lambda name, data: None if name.startswith("tai-lieu/") else data)
    assert check(app, removed).problems == ["tai-lieu/01-DOC-document.pdf: missing"]


def test_garbage_is_not_a_package(sealed):
    app, _ = sealed
    assert check(app, b"PK\x03\x04 not really").problems[0].startswith("not a zip file")


def test_a_package_sealed_by_an_untrusted_certificate_fails(make_app, citizen_key, pki, tmp_path):
    from tests.pki import PASSPHRASE

    rogue = tmp_path / "rogue.p12"
    rogue.write_bytes(pki.pkcs12("rogue_citizen"))
    app = make_app(CATALOG_DIR=TEST_CATALOG, SEAL_PKCS12=rogue, SEAL_PASSPHRASE=PASSPHRASE)
    report = check(app, package_of(app, citizen_key))
    assert report.problems[0].startswith("manifest.xml: the seal does not verify")


def test_the_command_says_ok_or_names_the_damage(sealed, tmp_path: Path):
    app, package = sealed
    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    good.write_bytes(package)
    bad.write_bytes(rewritten(package, lambda n, d: flip_middle(d) if n.startswith("tai-lieu/") else d))
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["package", "verify", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output
    assert "signed by Nguyễn Thị Thu Hà" in ok.output
    failed = runner.invoke(args=["package", "verify", str(good), str(bad)])
    assert failed.exit_code != 0
    assert "tai-lieu/01-DOC-document.pdf: does not match its sha256" in failed.output
    assert "1 of 2 package(s) failed verification" in failed.output
