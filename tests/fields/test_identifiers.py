"""Vietnamese identifiers, checked as properties over many generated inputs."""

from __future__ import annotations

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from app.fields import identifiers
from app.fields.identifiers import InvalidIdentifier

digits = st.text(alphabet="0123456789", min_size=1, max_size=20)
province = st.sampled_from(sorted(identifiers.PROVINCE_CODES))
not_province = (
    st.integers(0, 999).map(lambda n: f"{n:03d}").filter(lambda c: c not in identifiers.PROVINCE_CODES)
)


@pytest.fixture(autouse=True, scope="module")
def _babel():
    """Messages are lazy strings: they need an app to be read."""
    app = Flask(__name__)
    from flask_babel import Babel

    Babel(app)
    with app.test_request_context():
        yield


def with_check_digit(first_nine: str) -> str | None:
    check = identifiers.tax_check_digit(first_nine)
    return None if check is None else first_nine + str(check)


@given(province, st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_any_twelve_digits_with_a_province_code_is_a_personal_id(code, rest):
    assert identifiers.personal_id(f" {code}{rest[:3]} {rest[3:]} ") == code + rest


@given(digits.filter(lambda d: len(d) != 12))
def test_a_personal_id_has_exactly_twelve_digits(value):
    with pytest.raises(InvalidIdentifier) as exc:
        identifiers.personal_id(value)
    assert str(exc.value) == "Enter the 12 digits of the personal identification number"


@given(not_province, st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_a_personal_id_opens_with_a_province_code(code, rest):
    with pytest.raises(InvalidIdentifier) as exc:
        identifiers.personal_id(code + rest)
    assert "province code" in str(exc.value)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_tax_code_with_its_check_digit_is_accepted(first_nine):
    code = with_check_digit(first_nine)
    if code is None or first_nine[2:] == "0000000":  # no valid code has these first nine digits
        for last in "0123456789":
            with pytest.raises(InvalidIdentifier):
                identifiers.tax_code(first_nine + last)
        return
    assert identifiers.tax_code(code) == code
    assert identifiers.tax_code(f"{code}-001") == f"{code}-001"
    assert identifiers.tax_code(f"{code}123") == f"{code}-123"


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 9), st.integers(1, 9))
def test_one_mistyped_digit_is_always_caught(first_nine, position, shift):
    code = with_check_digit(first_nine)
    if code is None:
        return
    typo = code[:position] + str((int(code[position]) + shift) % 10) + code[position + 1 :]
    with pytest.raises(InvalidIdentifier):
        identifiers.tax_code(typo)


def test_real_tax_codes_pass():
    # Published codes of well-known enterprises.
    for code in ("0300588569", "0101248141", "0100109106"):
        assert identifiers.tax_code(code) == code


# Mobile network prefixes in use (Viettel, VinaPhone, MobiFone, Vietnamobile, Gmobile, iTel…).
MOBILE_PREFIXES = ["32", "35", "39", "56", "58", "70", "79", "81", "86", "88", "90", "91", "97", "98"]


@given(st.sampled_from(MOBILE_PREFIXES), st.text(alphabet="0123456789", min_size=7, max_size=7))
def test_mobile_numbers_in_any_common_writing(prefix, rest):
    national = f"0{prefix}{rest}"
    for written in (
        national,
        f"+84 {national[1:4]} {national[4:7]} {national[7:]}",
        f"84{national[1:]}",
        f"{national[:4]}.{national[4:7]}.{national[7:]}",
    ):
        assert identifiers.phone(written) == national


@given(st.text(max_size=20).filter(lambda t: not any(c.isdigit() for c in t)))
def test_text_without_digits_is_never_a_phone_number(text):
    with pytest.raises(InvalidIdentifier):
        identifiers.phone(text)


def test_tax_codes_that_stdnum_refuses():
    """The check digit alone let these through: a sequence number of all zeros, which no
    enterprise is given (python-stdnum's rule)."""
    for code in ("0100000003", "0200000007"):
        assert identifiers.tax_check_digit(code[:9]) == int(code[9])  # the digit is right
        with pytest.raises(InvalidIdentifier) as exc:
            identifiers.tax_code(code)
        assert str(exc.value) == "This tax code does not exist: check for a typing mistake"


@pytest.mark.parametrize("number", ["0500000000", "0801234567", "0312345", "+1 202 555 0100"])
def test_phone_numbers_outside_the_numbering_plan_are_refused(number):
    """Not numbers of Viet Nam's plan (no network uses 050 or 080; too short; another country),
    though the old hand-written pattern let the first two through."""
    with pytest.raises(InvalidIdentifier):
        identifiers.phone(number)


def test_fixed_line_numbers():
    assert identifiers.phone("024 3825 1234") == "02438251234"
    with pytest.raises(InvalidIdentifier):
        identifiers.phone("0612345678")


@pytest.mark.parametrize(
    ("identifier", "kind"),
    [
        ("001090001234", "citizen"),
        ("0100109106", "business"),
        ("0100109106-001", "business"),
        ("01001091", None),
        ("", None),
        (None, None),
    ],
)
def test_whose_identifier_it_is(identifier, kind):
    """One rule for the signer check and the national portal's LoaiDoiTuong."""
    from app.fields.identifiers import holder_kind

    assert holder_kind(identifier) == kind
