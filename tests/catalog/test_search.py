"""Search through the list of procedures: ranked, diacritics ignored, paginated, filtered, and
never an error whatever is typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.catalog.making import write
from tests.catalog.test_catalog import codes_on
from tests.conftest import page


@pytest.fixture
def ranked_client(make_app, tmp_path: Path):
    folder = tmp_path / "catalog"
    folder.mkdir()
    write(folder, "a", "T.300001", "Cấp giấy phép khai thác", agency="Ban quản lý Hồ Tây")
    write(folder, "b", "T.300002", "Đăng ký nuôi trồng", summary="Nuôi cá trên hồ chứa nước")
    write(folder, "c", "T.300003", "Thẩm định phương án cải tạo hồ")
    write(folder, "d", "T.300004", "Cấp phép xả thải", field=("WATER", "Hồ và sông"))
    write(folder, "e", "T.300005", "Đo đạc bản đồ", en="Surveying and mapping", level="full")
    app = make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=tmp_path / "cache")
    return app.test_client()


def test_a_name_match_beats_a_summary_match_beats_a_field_beats_an_agency(ranked_client):
    assert codes_on(ranked_client.get("/", query_string={"q": "hồ"})) == [
        "T.300003",  # in the name
        "T.300002",  # in the summary
        "T.300004",  # in the field
        "T.300001",  # in the agency
    ]


@pytest.mark.parametrize("query", ["ho", "HỒ", "hỗ", "Hô"])
def test_marks_are_ignored_on_both_sides(ranked_client, query):
    assert len(codes_on(ranked_client.get("/", query_string={"q": query}))) == 4


def test_d_with_stroke_is_a_d(ranked_client):
    assert codes_on(ranked_client.get("/", query_string={"q": "dang ky"})) == ["T.300002"]
    assert codes_on(ranked_client.get("/", query_string={"q": "ĐO ĐẠC"})) == ["T.300005"]


def test_the_last_word_matches_as_it_is_being_typed(ranked_client):
    assert codes_on(ranked_client.get("/", query_string={"q": "giấy ph"})) == ["T.300001"]
    assert codes_on(ranked_client.get("/", query_string={"q": "surv"})) == ["T.300005"]
    assert codes_on(ranked_client.get("/", query_string={"q": "ph giay"})) == []  # only the last one
    assert codes_on(ranked_client.get("/", query_string={"q": "giấy p"})) == [
        "T.300001"
    ]  # one letter after others
    assert codes_on(ranked_client.get("/", query_string={"q": "đăng k"})) == ["T.300002"]


def test_a_query_and_filters_together(ranked_client):
    assert codes_on(ranked_client.get("/", query_string={"q": "cấp", "field": "WATER"})) == ["T.300004"]
    assert codes_on(ranked_client.get("/", query_string={"q": "do dac", "level": "partial"})) == []
    assert codes_on(ranked_client.get("/", query_string={"level": "full"})) == ["T.300005"]
    assert codes_on(ranked_client.get("/", query_string={"agency": "000.00.99.G09", "q": "xả"})) == [
        "T.300004"
    ]


HOSTILE = [
    '"',
    '""',
    "'",
    "*",
    "hồ*",
    "-hồ",
    "^hồ",
    "hồ OR cấp",
    "NOT hồ",
    "hồ AND",
    "NEAR(hồ cấp, 2)",
    "name:hồ",
    "{name summary}:hồ",
    "(((",
    ")",
    "+",
    "\x00",
    "hồ\x00cấp",
    "!@#$%^&*()_+=[]{}|;:'\",.<>/?`~",
    "x" * 5000,
    "hồ " * 400,
    "\u202e\u200b\ufeff",
    "'; DROP TABLE fts; --",
    "%",
    "\\",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_any_input_gives_results_or_none_never_an_error(ranked_client, query):
    response = ranked_client.get("/", query_string={"q": query})
    assert response.status_code == 200
    assert page(response).select_one("p.count")
    assert ranked_client.get("/", query_string={"q": "hồ"}).status_code == 200  # the index survives


def test_operators_are_words_not_syntax(ranked_client):
    """FTS5's operators are searched as words; its punctuation is dropped like any other."""
    both = codes_on(ranked_client.get("/", query_string={"q": "hồ cấp"}))
    assert sorted(both) == ["T.300001", "T.300004"]
    assert codes_on(ranked_client.get("/", query_string={"q": "hồ OR cấp"})) == []  # no procedure says "or"
    assert codes_on(ranked_client.get("/", query_string={"q": "NEAR(hồ cấp)"})) == []
    assert codes_on(ranked_client.get("/", query_string={"q": "hồ* -cấp:"})) == both


@pytest.fixture
def many(make_app, tmp_path: Path):
    folder = tmp_path / "catalog"
    folder.mkdir()
    for i in range(45):
        write(
            folder,
            f"p{i:02d}",
            f"T.4000{i:02d}",
            f"Thủ tục bảo vệ số {i}",
            level="full" if i % 3 == 0 else "partial",
        )
    write(folder, "other", "T.499999", "Một thủ tục khác")
    app = make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=tmp_path / "cache")
    return app.test_client()


def test_results_come_by_pages_of_twenty(many):
    first = page(many.get("/", query_string={"q": "bao ve"}))
    assert len(first.select("li.procedure")) == 20
    assert first.select_one("p.count").get_text(strip=True).startswith("Tìm thấy 45 thủ tục")
    nav = first.select_one("nav.pagination")
    assert nav["aria-label"]
    assert nav.select_one("[aria-current=page]").get_text(strip=True) == "Trang 1 / 3"
    assert nav.select_one("a[rel=prev]") is None
    second_url = nav.select_one("a[rel=next]")["href"]
    assert "q=bao+ve" in second_url
    assert "page=2" in second_url
    second = page(many.get(second_url))
    third = page(many.get(second.select_one("a[rel=next]")["href"]))
    assert len(third.select("li.procedure")) == 5
    assert third.select_one("a[rel=next]") is None
    seen = [a["href"] for doc in (first, second, third) for a in doc.select("li.procedure h2 a")]
    assert len(set(seen)) == 45  # every result once
    back = page(many.get(third.select_one("a[rel=prev]")["href"]))
    assert back.select_one("[aria-current=page]").get_text(strip=True) == "Trang 2 / 3"


def test_the_pages_keep_the_filters(many):
    doc = page(many.get("/", query_string={"level": "partial", "q": "bao"}))
    assert doc.select_one("p.count").get_text(strip=True).startswith("Tìm thấy 30 thủ tục")
    next_url = doc.select_one("nav a[rel=next]")["href"]
    assert "level=partial" in next_url
    assert "q=bao" in next_url
    assert len(codes_on(many.get(next_url))) == 10


def test_a_page_beyond_the_end_says_so(many):
    many.get("/language/en")
    doc = page(many.get("/", query_string={"q": "bao ve", "page": "9"}))
    assert not doc.select("li.procedure")
    empty = doc.select_one("p.empty")
    assert "There is no page 9: the results end on page 3." in empty.get_text(" ", strip=True)
    assert "page=" not in empty.select_one("a")["href"]
    assert "q=bao+ve" in empty.select_one("a")["href"]
    assert doc.select_one("nav a[rel=prev]")["href"].endswith("page=3")


@pytest.mark.parametrize("asked", ["0", "-1", "abc", "", "1e3", "9" * 40, "٣", "2.5"])
def test_a_page_that_is_not_a_number_is_the_first(many, asked):
    response = many.get("/", query_string={"q": "bao ve", "page": asked})
    assert response.status_code == 200
    assert page(response).select_one("[aria-current=page]").get_text(strip=True) == "Trang 1 / 3"


def test_pages_in_english(many):
    many.get("/language/en")
    doc = page(many.get("/", query_string={"page": "2"}))
    assert doc.select_one("[aria-current=page]").get_text(strip=True) == "Page 2 of 3"
    assert doc.select_one("nav a[rel=prev]").get_text(strip=True) == "Previous page"
    assert doc.select_one("nav a[rel=next]").get_text(strip=True) == "Next page"
    assert doc.select_one("p.count").get_text(strip=True) == "46 procedures found · showing 21–40"
