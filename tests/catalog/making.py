"""Catalog folders for the tests: variants of the test catalog's procedure, each with its own code,
name, summary, field and agency name."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TEST_CATALOG

BASE = (TEST_CATALOG / "all-fields.yaml").read_text(encoding="utf-8")
NAME = "name: {vi: Thủ tục thử nghiệm mọi loại trường, en: A test procedure with every field type}"
AGENCY = 'agency: {code: "000.00.99.G09", name: {vi: Cơ quan thử nghiệm, en: Test agency}}'
FIELD = "field: {code: TEST, name: {vi: Thử nghiệm, en: Testing}}"
assert NAME in BASE
assert AGENCY in BASE
assert FIELD in BASE
assert "level: partial" in BASE


def definition(
    code: str,
    name: str,
    *,
    en: str | None = None,
    summary: str | None = None,
    agency: str = "Cơ quan thử nghiệm",
    field: tuple[str, str] = ("TEST", "Thử nghiệm"),
    level: str = "partial",
) -> str:
    text = BASE.replace('"T.000001"', f'"{code}"', 1)
    lines = [f"name: {{vi: {name}, en: {en or name}}}"]
    if summary:
        lines.append(f"summary: {{vi: {summary}, en: {summary}}}")
    text = text.replace(NAME, "\n".join(lines), 1)
    text = text.replace(AGENCY, f'agency: {{code: "000.00.99.G09", name: {{vi: {agency}, en: {agency}}}}}', 1)
    text = text.replace(FIELD, f"field: {{code: {field[0]}, name: {{vi: {field[1]}, en: {field[1]}}}}}", 1)
    return text.replace("level: partial", f"level: {level}", 1)


def write(folder: Path, name: str, code: str, title: str, **kwargs: object) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(definition(code, title, **kwargs), encoding="utf-8")  # type: ignore[arg-type]
    return path
