"""The catalog: definitions checked on load, found by search, shown to applicants."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app import ConfigError, create_app
from app.catalog.search import fold
from tests.conftest import TEST_CATALOG, page
from tests.journey import apply


def codes_on(response) -> list[str]:
    return [li.select_one("h2 a")["href"].rsplit("/", 1)[1] for li in page(response).select("li.procedure")]


def test_folding_ignores_case_and_diacritics():
    assert fold("Đăng ký Kế hoạch BẢO VỆ môi trường") == "dang ky ke hoach bao ve moi truong"


@pytest.mark.parametrize(
    "query", ["bao ve moi truong", "BẢO VỆ MÔI TRƯỜNG", "Bảo vệ môi trường", "bao   VE moi"]
)
def test_search_ignores_case_and_diacritics(client, query):
    found = codes_on(client.get("/", query_string={"q": query}))
    assert "1.004138" in found  # Đăng ký kế hoạch bảo vệ môi trường
    assert "1.004261" not in found  # surveying and mapping


def test_search_finds_english_names_and_codes(client):
    assert codes_on(client.get("/", query_string={"q": "genetic resources"})) == ["1.005113", "1.005114"]
    assert codes_on(client.get("/", query_string={"q": "1.004261"})) == ["1.004261"]
    assert codes_on(client.get("/", query_string={"q": "nothing like this"})) == []


def test_filters_by_field_agency_and_level(client, app):
    from app.catalog import get_catalog

    with app.app_context():
        every = get_catalog().all()
    by_field = codes_on(client.get("/", query_string={"field": "DDBD"}))
    assert by_field == [p.definition.code for p in every if p.definition.field.code == "DDBD"]
    agency = every[0].definition.agency.code
    assert codes_on(client.get("/", query_string={"agency": agency})) == [
        p.definition.code for p in every if p.definition.agency.code == agency
    ]
    partial = codes_on(client.get("/", query_string={"level": "partial"}))
    assert partial == [p.definition.code for p in every if p.definition.level == "partial"]
    assert set(partial) < {p.definition.code for p in every}


def test_procedure_page_shows_what_is_needed(client):
    client.get("/language/en")
    doc = page(client.get("/procedures/1.004261"))
    assert doc.select_one("h1").get_text(strip=True) == "Licence for surveying and mapping activities"
    facts = dict(
        zip(
            [dt.get_text(strip=True) for dt in doc.select("dl.facts dt")],
            [dd.get_text(" ", strip=True) for dd in doc.select("dl.facts dd")],
            strict=True,
        )
    )
    assert facts["Processing time"] == "15 working days"
    assert "₫1,400,000" in facts["Fees"]
    assert len(doc.select("table.components tbody tr")) == 5
    assert doc.select_one("form button.start")
    client.get("/language/vi")
    doc_vi = page(client.get("/procedures/1.004261"))
    assert "1.400.000\xa0₫" in doc_vi.select_one("dl.facts dd.fees").get_text()


def test_unknown_procedure_is_a_translated_404(client):
    client.get("/language/vi")
    response = client.get("/procedures/9.999999")
    assert response.status_code == 404
    assert page(response).html["lang"] == "vi"
    assert page(response).select_one("h1").get_text(strip=True) != "Page not found"


BROKEN = {
    "bad-level.yaml": ("level: sometimes", "bad-level.yaml: level: Input should be 'full' or 'partial'"),
    "bad-type.yaml": ("type: tax_code", "bad-type.yaml: form.steps[0].fields[1].type: Input should be"),
}


def write_broken(folder: Path, name: str, original: str, replacement: str) -> None:
    text = (TEST_CATALOG / "all-fields.yaml").read_text(encoding="utf-8")
    assert original in text
    (folder / name).write_text(
        text.replace(original, replacement, 1).replace('"T.000001"', '"T.000009"'), "utf-8"
    )


def test_catalog_check_names_file_path_and_reason(runner, tmp_path):
    write_broken(tmp_path, "bad-level.yaml", "level: partial", "level: sometimes")
    write_broken(
        tmp_path,
        "bad-type.yaml",
        "type: text, required: true, label: {vi: Họ",
        "type: txt, required: true, label: {vi: Họ",
    )
    (tmp_path / "not-yaml.yaml").write_text("code: [unclosed\n", encoding="utf-8")
    result = runner.invoke(args=["catalog", "check", str(tmp_path)])
    assert result.exit_code != 0
    lines = result.output.splitlines()
    assert "bad-level.yaml: level: Input should be 'full' or 'partial'" in lines
    assert any(
        line.startswith("bad-type.yaml: form.steps[0].fields[0].type: Input should be") for line in lines
    )
    assert any(line.startswith("not-yaml.yaml: line 2, column 1: not valid YAML") for line in lines)


def test_catalog_check_accepts_the_shipped_catalog(runner):
    result = runner.invoke(args=["catalog", "check"])
    assert result.exit_code == 0, result.output
    assert "all valid" in result.output


def test_references_inside_a_definition_are_checked(runner, tmp_path):
    write_broken(
        tmp_path,
        "a.yaml",
        "show_if: {field: applicant_type, equals: citizen}",
        "show_if: {field: applicant_type, equals: robot}",
    )
    result = runner.invoke(args=["catalog", "check", str(tmp_path)])
    assert result.exit_code != 0
    assert (
        "a.yaml: form.steps[1].fields[2].show_if.equals: 'robot' is not an option of 'applicant_type'"
        in result.output.splitlines()
    )


def test_an_invalid_catalog_stops_start_up_naming_the_setting(tmp_path, migrated):
    write_broken(tmp_path, "bad-level.yaml", "level: partial", "level: sometimes")
    with pytest.raises(ConfigError, match=r"(?s)OPENDVC_CATALOG_DIR: .*bad-level.yaml: level"):
        create_app({"DATABASE_URL": migrated, "CATALOG_DIR": tmp_path, "BLOB_DIR": tmp_path / "b"})


def test_a_file_dropped_into_the_folder_is_a_new_procedure(make_app, tmp_path, citizen_key):
    """Someone else's definition, valid against the schema, works with no code change."""
    shutil.copy(TEST_CATALOG / "all-fields.yaml", tmp_path / "all-fields.yaml")
    text = (TEST_CATALOG / "all-fields.yaml").read_text(encoding="utf-8")
    (tmp_path / "another.yaml").write_text(
        text.replace('"T.000001"', '"T.000002"').replace(
            "A test procedure with every field type", "Another one"
        ),
        encoding="utf-8",
    )
    app = make_app(CATALOG_DIR=tmp_path)
    client = app.test_client()
    client.get("/language/en")
    assert codes_on(client.get("/", query_string={"q": "another one"})) == ["T.000002"]
    from app.catalog.loader import load_folder

    receipt = apply(client, load_folder(tmp_path)["T.000002"].definition, citizen_key)
    assert page(receipt).select_one(".dossier-code").get_text(strip=True).startswith("000.00.99.G09-")
