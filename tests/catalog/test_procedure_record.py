"""Fees, cases, applicant kinds, the authorised submitter and liên danh in a definition
(issue 10 §4): each mistake is refused at its path in the file; fees due follow the answers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.catalog.cases import case_components, chosen_case, processing_time
from app.catalog.loader import parse_definition
from app.config import PACKAGE_DIR
from app.dossiers.fees import fees_due, total
from app.dossiers.needs import applicant_kind, documents_needed

SOURCE = Path(PACKAGE_DIR / "catalog" / "procedures" / "tham-do-khoang-san-cap-phep.yaml")
TEXT = SOURCE.read_text(encoding="utf-8")


def problems_of(text: str) -> list[str]:
    loaded, errors = parse_definition(text.encode("utf-8"), Path("x.yaml"))
    assert loaded is None, "the broken definition was accepted"
    return [str(e) for e in errors]


def broken(original: str, replacement: str) -> list[str]:
    assert original in TEXT, original
    return problems_of(TEXT.replace(original, replacement, 1))


def licence():
    loaded, errors = parse_definition(TEXT.encode("utf-8"), SOURCE)
    assert loaded is not None, errors
    return loaded.definition


@pytest.mark.parametrize(
    ("original", "replacement", "expected"),
    [
        (
            "      field: area_ha\n",
            "      field: area_m2\n",
            "x.yaml: fees[0].tiers.field: names unknown field 'area_m2'",
        ),
        (
            "      field: area_ha\n",
            "      field: mineral\n",
            "x.yaml: fees[0].tiers.field: 'mineral' is not an integer or decimal field",
        ),
        (
            "        - {up_to: 50000, amount: 10000000}\n",
            "        - {up_to: 50, amount: 10000000}\n",
            "x.yaml: fees[0].tiers.bands[1]: tiers go upwards: this bound is not above the one before",
        ),
        (
            "        - {amount: 15000000}\n",
            "        - {up_to: 90000, amount: 15000000}\n",
            "x.yaml: fees[0].tiers.bands[2]: the last tier takes everything above: leave out its bound",
        ),
        (
            "        - {below: 100, amount: 4000000}\n",
            "        - {below: 100, up_to: 100, amount: 4000000}\n",
            "x.yaml: fees[0].tiers.bands[0]: a tier gives below or up_to, not both",
        ),
        (
            "    kind: le_phi\n",
            "    kind: le_phi\n    amount: 5\n",
            "x.yaml: fees[0]: a fee needs exactly one of amount, tiers, per_unit, decided_later: true",
        ),
        ("    kind: le_phi\n", "    kind: tax\n", "x.yaml: fees[0].kind: Input should be 'phi' or 'le_phi'"),
        (
            "    kind: le_phi\n",
            "    kind: le_phi\n    when: {field: mineral, equals: uranium}\n",
            "x.yaml: fees[0].when.equals: 'uranium' is not an option of 'mineral'",
        ),
        (
            "case_field: exploration_case\n",
            "case_field: mineral\n",
            "x.yaml: cases[0].code: 'khong_dau_gia' is not an option of 'mineral'",
        ),
        (
            "case_field: exploration_case\n",
            "",
            "x.yaml: case_field: cases need the field whose answer picks the case",
        ),
        (
            "    components: [TP_DG]\n",
            "    components: [TP9]\n",
            "x.yaml: cases[1].components[0]: names unknown component 'TP9'",
        ),
        (
            '  code: "000.00.00.G09"\n',
            '  code: "000.00.23.G09"\n',
            "x.yaml: deciding_agency.code: is the receiving agency: leave deciding_agency out",
        ),
        (
            "applicant_kinds: [business, organisation]\n",
            "applicant_kinds: [business, foreigner]\n",
            "x.yaml: form.applicant.kind: "
            "option 'organisation' of 'organisation_kind' is not one of applicant_kinds",
        ),
        (
            "      document: TP_UQ\n",
            "      document: TP2\n",
            "x.yaml: form.applicant.submitter.document: "
            "'TP2' must be required: false (asked only when authorised)",
        ),
        (
            "      when: {field: filed_by, equals: authorised}\n",
            "      when: {field: filed_by, equals: robot}\n",
            "x.yaml: form.applicant.submitter.when.equals: 'robot' is not an option of 'filed_by'",
        ),
        (
            "      identifier: partner_code\n",
            "      identifier: partner_id\n",
            "x.yaml: form.applicant.co_applicants.identifier: "
            "'partner_id' is not a field of the group 'partners'",
        ),
        (
            "      group: partners\n",
            "      group: mineral\n",
            "x.yaml: form.applicant.co_applicants.group: 'mineral' is not a repeatable group of the form",
        ),
    ],
)
def test_a_mistake_is_refused_at_its_path(original, replacement, expected):
    assert expected in broken(original, replacement)


def test_a_case_option_without_a_case_is_refused():
    text = TEXT.replace(
        "            - {value: trung_dau_gia,",
        "            - {value: other_case, label: {vi: Khác, en: Other}}\n"
        "            - {value: trung_dau_gia,",
        1,
    )
    assert "x.yaml: case_field: option 'other_case' of 'exploration_case' is no case" in problems_of(text)


def test_tiers_include_their_bounds_as_the_record_says():
    definition = licence()
    for area, amount in [
        ("0.01", 4_000_000),
        ("99.99", 4_000_000),
        ("100", 10_000_000),  # "từ 100 ha": the second tier
        ("50000", 10_000_000),  # "đến 50.000 ha": still the second
        ("50000.01", 15_000_000),
    ]:
        (due,) = fees_due(definition, {"area_ha": area})
        assert due.amount == amount, area
        assert due.quantity == Decimal(area)
    (unanswered,) = fees_due(definition, {})
    assert unanswered.amount is None


def test_an_amount_per_unit_is_rounded_and_kept_within_its_limits():
    text = TEXT.replace(
        """    tiers:
      field: area_ha
      unit: {vi: ha, en: ha}
      bands:
        - {below: 100, amount: 4000000}
        - {up_to: 50000, amount: 10000000}
        - {amount: 15000000}
""",
        """    per_unit:
      field: area_ha
      amount: 1500
      unit: {vi: ha, en: ha}
      minimum: 100000
      maximum: 20000000
""",
    )
    loaded, errors = parse_definition(text.encode("utf-8"), SOURCE)
    assert loaded is not None, errors
    definition = loaded.definition
    assert [fees_due(definition, {"area_ha": a})[0].amount for a in ("10", "250.33", "100000")] == [
        100_000,  # 15,000 is below the minimum
        375_495,  # 250.33 × 1,500 = 375,495
        20_000_000,  # 150,000,000 is above the maximum
    ]
    assert fees_due(definition, {"area_ha": "250.33"})[0].as_manifest()["basis"] == "per_unit"
    # Whatever is stored, nothing is owed below zero and nothing unreadable is computed.
    assert fees_due(definition, {"area_ha": "-5"})[0].amount == 100_000
    assert [fees_due(definition, {"area_ha": v})[0].amount for v in ("NaN", "x", True, ["1"])] == [None] * 4


def test_a_fee_is_due_only_when_its_condition_holds_and_one_decided_later_has_no_amount():
    text = TEXT.replace(
        "legal_basis:\n",
        """  - code: PTD
    kind: phi
    name: {vi: Phí thẩm định, en: Appraisal fee}
    decided_later: true
    when: {field: mineral, any_of: [gold, rare_earth]}
legal_basis:
""",
        1,
    )
    loaded, errors = parse_definition(text.encode("utf-8"), SOURCE)
    assert loaded is not None, errors
    definition = loaded.definition
    assert [d.fee.code for d in fees_due(definition, {"area_ha": "5", "mineral": "coal"})] == ["LP.GPTDKS"]
    due = fees_due(definition, {"area_ha": "5", "mineral": "gold"})
    assert [(d.fee.code, d.amount) for d in due] == [("LP.GPTDKS", 4_000_000), ("PTD", None)]
    assert total(due) == 4_000_000
    assert due[1].as_manifest() == {
        "code": "PTD",
        "kind": "phi",
        "name": "Phí thẩm định",
        "amount": None,
        "basis": "decided_later",
        "quantity": None,
        "unit": None,
        "note": None,
    }


def test_the_case_picks_documents_and_time_and_the_authorisation_is_asked_only_when_authorised():
    definition = licence()
    assert chosen_case(definition, {}) is None
    assert [c.code for c in case_components(definition, None)] == ["TP1", "TP2", "TP3", "TP4", "TP5", "TP_UQ"]
    auction = {"exploration_case": "trung_dau_gia", "filed_by": "authorised"}
    assert chosen_case(definition, auction).code == "trung_dau_gia"
    assert processing_time(definition, auction) == (90, "working_days")
    needed = {n.component.code: n.required for n in documents_needed(definition, auction)}
    assert needed == {
        "TP1": False,
        "TP2": True,
        "TP3": True,
        "TP4": True,
        "TP5": True,
        "TP_DG": True,
        "TP_UQ": True,
    }
    in_person = {"exploration_case": "khong_dau_gia", "filed_by": "representative"}
    assert [n.component.code for n in documents_needed(definition, in_person)] == [
        "TP1",
        "TP2",
        "TP3",
        "TP4",
        "TP5",
    ]


def test_the_applicant_kind_comes_from_the_definition_or_the_answer():
    definition = licence()
    assert applicant_kind(definition, {"organisation_kind": "organisation"}) == "organisation"
    assert applicant_kind(definition, {"organisation_kind": "business"}) == "business"
    assert applicant_kind(definition, {}) is None
    single = TEXT.replace("applicant_kinds: [business, organisation]", "applicant_kinds: [business]").replace(
        "    kind: organisation_kind\n", ""
    )
    loaded, errors = parse_definition(single.encode("utf-8"), SOURCE)
    assert loaded is not None, errors
    assert applicant_kind(loaded.definition, {}) == "business"


def test_kind_values_name_options_of_the_kind_field():
    text = TEXT.replace(
        "    kind: organisation_kind\n",
        "    kind: organisation_kind\n    kind_values: {cooperative: organisation}\n",
    )
    assert (
        "x.yaml: form.applicant.kind_values.cooperative: "
        "'cooperative' is not an option of 'organisation_kind'" in problems_of(text)
    )


def test_definitions_older_than_fee_codes_still_load():
    """Dossiers pinned to a definition written before issue 10 are read back: a fee with a name
    and an amount, no code and no kind, is a lệ phí with no code."""
    text = TEXT.replace("  - code: LP.GPTDKS\n    kind: le_phi\n    name:", "  - name:", 1)
    loaded, errors = parse_definition(text.encode("utf-8"), SOURCE)
    assert loaded is not None, errors
    (fee,) = loaded.definition.fees
    assert fee.code is None
    assert fee.kind == "le_phi"
