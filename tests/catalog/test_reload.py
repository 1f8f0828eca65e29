"""A definition changed on disk is served without a restart; dossiers in flight keep the version
they were started with; an invalid change leaves the catalog as it was."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.catalog import Catalog, get_catalog
from app.catalog.cache import CompiledCache
from app.config import ConfigError
from tests.catalog.making import definition, write
from tests.conftest import page
from tests.journey import attach_required, fill_steps, sign_with_pkcs12, start, submit

CODE = "T.000001"


def meta(response) -> str:
    return page(response).select_one("p.meta").get_text(" ", strip=True)


def reload(app) -> str:
    result = app.test_cli_runner().invoke(args=["catalog", "reload"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_dossier_in_flight_keeps_its_version_a_new_one_gets_the_new(make_app, tmp_path, citizen_key):
    folder = tmp_path / "catalog"
    folder.mkdir()
    write(folder, "proc", CODE, "Phiên bản một", en="Version one")
    app = make_app(CATALOG_DIR=folder, CATALOG_RELOAD_SECONDS=0)
    first = app.test_client()
    first.get("/language/en")
    with app.app_context():
        v1 = get_catalog().get(CODE)
    step_url = start(first, CODE)
    documents_url = fill_steps(first, v1.definition, step_url)

    write(folder, "proc", CODE, "Phiên bản hai", en="Version two")
    assert "1 checked: reloading" in reload(app)

    assert (
        page(first.get("/", query_string={"q": "version"})).select_one("li.procedure h2").get_text(strip=True)
        == "Version two"
    )
    assert meta(first.get(step_url)).startswith("Version one")  # the dossier in flight
    attach_required(first, v1.definition, documents_url)
    base = documents_url.removesuffix("/documents")
    assert sign_with_pkcs12(first, base, *citizen_key).status_code == 302
    submitted = submit(first, base + "/review")
    assert submitted.status_code == 302
    acknowledgement_url = submitted.headers["Location"]
    assert f"Version one ({CODE})" in page(first.get(acknowledgement_url)).get_text(" ", strip=True)

    second = app.test_client()
    second.get("/language/en")
    assert meta(second.get(start(second, CODE))).startswith("Version two")  # a new dossier

    (folder / "proc.yaml").unlink()
    reload(app)
    assert second.get(f"/procedures/{CODE}").status_code == 404
    assert not page(second.get("/")).select("li.procedure")
    ack = first.get(acknowledgement_url)  # still readable, from its pinned version
    assert ack.status_code == 200
    assert f"Version one ({CODE})" in page(ack).get_text(" ", strip=True)


def test_an_invalid_change_keeps_the_old_catalog_and_says_why(make_app, tmp_path, caplog):
    folder = tmp_path / "catalog"
    folder.mkdir()
    write(folder, "proc", CODE, "Phiên bản một", en="Version one")
    app = make_app(CATALOG_DIR=folder, CATALOG_RELOAD_SECONDS=0)
    client = app.test_client()
    client.get("/language/en")
    (folder / "proc.yaml").write_text(
        definition(CODE, "Hỏng").replace("level: partial", "level: sometimes"), encoding="utf-8"
    )
    write(folder, "other", "T.000002", "Một thủ tục mới")  # valid, but not served alone
    result = app.test_cli_runner().invoke(args=["catalog", "reload"])
    assert result.exit_code != 0
    assert "proc.yaml: level: Input should be 'full' or 'partial'" in result.output
    assert "the catalog served is unchanged" in result.output
    with caplog.at_level(logging.ERROR, logger="app.catalog"), app.app_context():
        errors = get_catalog().refresh()  # what the periodic look does
    assert [str(e) for e in errors] == ["proc.yaml: level: Input should be 'full' or 'partial'"]
    assert "proc.yaml: level: Input should be 'full' or 'partial'" in caplog.text
    response = client.get("/")
    assert response.status_code == 200
    assert [a.get_text(strip=True) for a in page(response).select("li.procedure h2 a")] == ["Version one"]
    assert client.get(f"/procedures/{CODE}").status_code == 200
    # Fixed: served at the next look.
    write(folder, "proc", CODE, "Phiên bản ba", en="Version three")
    reload(app)
    names = [a.get_text(strip=True) for a in page(client.get("/")).select("li.procedure h2 a")]
    assert sorted(names) == ["Một thủ tục mới", "Version three"]


def test_each_process_looks_again_after_the_reload_interval(tmp_path: Path, app):
    """No command needed: the folder is scanned again once `reload_seconds` have passed."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    write(folder, "proc", CODE, "Phiên bản một")
    now = [1000.0]
    catalog = Catalog(folder, CompiledCache(tmp_path / "cache"), reload_seconds=5, clock=lambda: now[0])
    write(folder, "proc", CODE, "Phiên bản hai dài hơn")
    now[0] += 4
    catalog.refresh_if_due()
    assert catalog.listings()[0].name.vi == "Phiên bản một"  # not yet due
    now[0] += 1
    catalog.refresh_if_due()
    assert catalog.listings()[0].name.vi == "Phiên bản hai dài hơn"
    with app.app_context():
        assert catalog.get(CODE).definition.name.vi == "Phiên bản hai dài hơn"


def test_a_process_started_after_an_invalid_change_serves_the_last_valid_catalog(make_app, tmp_path, caplog):
    """A gunicorn worker restarted after a bad edit serves on (a worker that fails to boot stops
    the whole node); a folder never valid still refuses to start."""
    folder, cache = tmp_path / "catalog", tmp_path / "cache"
    folder.mkdir()
    write(folder, "proc", CODE, "Phiên bản một", en="Version one")
    make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=cache)
    (folder / "proc.yaml").write_text(definition(CODE, "Hỏng") + "  : [broken\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="app.catalog"):
        restarted = make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=cache)
    assert "proc.yaml: line" in caplog.text
    assert "serving the last valid catalog" in caplog.text
    client = restarted.test_client()
    client.get("/language/en")
    assert [a.get_text(strip=True) for a in page(client.get("/")).select("li.procedure h2 a")] == [
        "Version one"
    ]
    assert client.get(f"/procedures/{CODE}").status_code == 200


def test_a_folder_never_valid_refuses_to_start(make_app, tmp_path):
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "proc.yaml").write_text(definition(CODE, "Hỏng") + "  : [broken\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"proc\.yaml: line"):
        make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=tmp_path / "cache")
