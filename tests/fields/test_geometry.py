"""Points and polygons: reading typed vertices in each language, Viet Nam's bounds in each system,
closing the ring, refusing crossings, the area (against figures worked out here by hand), the
declared area compared, the drawing in SVG and in a PDF."""

from __future__ import annotations

import math
import re
import subprocess
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from flask_babel import force_locale
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pyproj import Proj
from werkzeug.datastructures import MultiDict
from wtforms import Form

from app.catalog.schema import FormField, Step
from app.documents.declaration import FONTS
from app.documents.figures import draw_figure
from app.fields import Invalid
from app.fields.geometry import System, area_m2, read_point, read_polygon

LABEL = {"vi": "Câu hỏi", "en": "Question"}
HANOI = {"system": "vn2000", "central_meridian": "105°00'"}  # the 3° zone of Hà Nội


def spec(type_: str = "polygon", name: str = "q", **validation: object) -> FormField:
    return FormField.model_validate(
        {"name": name, "type": type_, "required": True, "label": LABEL, "validation": validation or HANOI}
    )


def rectangle(x: int, y: int, dx: int, dy: int) -> str:
    return f"{x} {y}\n{x + dx} {y}\n{x + dx} {y + dy}\n{x} {y + dy}"


@pytest.fixture
def vi(app):
    with app.test_request_context(), force_locale("vi"):
        yield


@pytest.fixture
def en(app):
    with app.test_request_context(), force_locale("en"):
        yield


def refused(text: str, options: object, reader=read_polygon) -> str:
    with pytest.raises(Invalid) as caught:
        reader(text, options)
    return str(caught.value.message)


# Reading, in the page's language


def test_vertices_are_read_with_a_decimal_comma_in_vietnamese(vi):
    answer = read_polygon("M1 2300000,25 500000\nM2 2302000 500000\nM3 2302000 501000,5", spec().validation)
    assert answer["vertices"] == [["2300000.25", "500000"], ["2302000", "500000"], ["2302000", "501000.5"]]
    assert answer["names"] == ["M1", "M2", "M3"]
    assert answer["system"] == "vn2000"
    assert answer["central_meridian"] == "105°00'"
    assert answer["zone"] == 3


def test_vertices_are_read_with_a_decimal_point_in_english(en):
    answer = read_polygon("2300000.25 500000\n2302000 500000\n2302000 501000.5", spec().validation)
    assert answer["vertices"][0] == ["2300000.25", "500000"]
    assert "names" not in answer  # numbered 1, 2, 3 when shown


def test_a_table_pasted_from_a_spreadsheet_or_with_semicolons_is_read(vi):
    pasted = "A\t2.300.000,5\t500.000\nB\t2302000\t500000\n\nC ; 2302000 ; 501000\n"
    answer = read_polygon(pasted, spec().validation)
    assert answer["names"] == ["A", "B", "C"]
    assert answer["vertices"][0] == ["2300000.5", "500000"]  # digit groups in Vietnamese


def test_a_number_written_the_other_language_s_way_is_refused_naming_the_vertex(vi, app):
    message = refused("2300000 500000\nM2 2302000.5 500000\n2302000 501000", spec().validation)
    assert message == "Điểm M2: Viết số như 1.234,5"
    with force_locale("en"):
        message = refused("2300000 500000\n2302000,5 500000\n2302000 501000", spec().validation)
    assert message == "Vertex 2: Write the number like 1,234.5"


def test_a_line_with_one_number_or_too_many_decimals_is_refused(en):
    assert refused("2300000 500000\n2302000\n2302000 501000", spec().validation).startswith(
        "Vertex 2: write an optional name, then X (m) and Y (m)"
    )
    assert refused("2300000.1234 500000\n2302000 500000\n2302000 501000", spec().validation) == (
        "Vertex 1: enter at most 3 decimal places"
    )
    assert "name" in refused("M<1> 2300000 500000\n2302000 500000\n2302000 501000", spec().validation)


def test_a_point_is_one_line(en):
    answer = read_point("21.0285 105.8542", spec("point", system="wgs84").validation)
    assert answer == {"system": "wgs84", "coordinates": ["21.0285", "105.8542"]}
    assert refused("21 105\n22 106", spec("point", system="wgs84").validation, read_point) == (
        "Enter one point on one line"
    )


# Bounds


def test_wgs84_bounds_are_viet_nam_s_land_and_seas(en):
    wgs = spec("point", system="wgs84").validation
    read_point("8.6 104.7", wgs)  # Mũi Cà Mau
    read_point("23.36 105.32", wgs)  # Lũng Cú
    read_point("8.64 111.92", wgs)  # Trường Sa
    read_point("16.5 112.0", wgs)  # Hoàng Sa
    assert refused("35.68 139.69", wgs, read_point) == (
        "Vertex 1 lies outside Viet Nam's land and sea areas: latitude from 5.5 to 23.5, "
        "longitude from 101.5 to 118"
    )
    assert refused("105.85 21.03", wgs, read_point).endswith("Were latitude and longitude swapped?")


def test_vn2000_bounds_follow_the_zone_and_its_meridian(en):
    # What the 3° zone about 105°00' covers, worked out here from the corners of Viet Nam's box
    # (5.5–23.5°N) cut to 103.5–106.5°E: parallels bow poleward away from the central meridian.
    tm = Proj("+proj=tmerc +lat_0=0 +lon_0=105 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m")
    _, south = tm(105, 5.5)
    _, north = tm(103.5, 23.5)
    west, _ = tm(103.5, 5.5)
    east, _ = tm(106.5, 5.5)
    assert System.of(spec().validation).bounds() == (
        (Decimal(math.floor(south / 1000) * 1000), Decimal(math.ceil(north / 1000) * 1000)),
        (Decimal(math.floor(west / 1000) * 1000), Decimal(math.ceil(east / 1000) * 1000)),
    )
    assert (south, north, west, east) == pytest.approx((608_000, 2_601_000, 333_000, 667_000), abs=1000)
    assert refused(rectangle(2300000, 700000, 10, 10), spec().validation).startswith(
        "Vertex 1 lies outside what VN-2000, central meridian 105°00', 3° zone covers in Viet Nam: "
        "X from 608,000 to 2,601,000 m, Y from 333,000 to 667,000 m"
    )
    six = spec(system="vn2000", central_meridian="105°00'", zone=6).validation
    read_polygon(rectangle(2300000, 700000, 10, 10), six)  # a 6° zone reaches 3° either side
    assert "Were X and Y swapped?" in refused(
        "500000 2300000\n500010 2300000\n500010 2300010", spec().validation
    )


def test_the_bounds_message_is_translated(vi):
    message = refused(rectangle(2300000, 700000, 10, 10), spec().validation)
    assert message.startswith("Điểm 1 nằm ngoài")
    assert "2.601.000" in message


# Closing, validity


def test_the_first_vertex_repeated_last_closes_the_ring_and_is_dropped(en):
    open_ring = read_polygon(rectangle(2300000, 500000, 2000, 1000), spec().validation)
    closed = read_polygon(rectangle(2300000, 500000, 2000, 1000) + "\n2300000 500000", spec().validation)
    assert closed == open_ring
    assert len(closed["vertices"]) == 4


def test_fewer_than_three_distinct_vertices_are_refused(en):
    assert refused("2300000 500000\n2301000 500000\n2300000 500000", spec().validation) == (
        "Enter at least 3 different vertices"
    )
    least_four = spec(**HANOI, min_vertices=4).validation
    assert refused("2300000 500000\n2301000 500000\n2301000 501000", least_four) == (
        "Enter at least 4 different vertices"
    )


def test_a_vertex_given_twice_is_refused(en):
    text = "A 2300000 500000\nB 2301000 500000\nC 2301000 501000\nD 2301000 500000\nE 2300000 501000"
    assert refused(text, spec().validation) == "Vertex D repeats Vertex B: a boundary passes each vertex once"


def test_crossing_sides_are_refused_naming_them(en):
    bow_tie = "M1 2300000 500000\nM2 2301000 501000\nM3 2301000 500000\nM4 2300000 501000"
    assert refused(bow_tie, spec().validation) == (
        "The sides M1–M2 and M3–M4 cross: a boundary must not cross itself"
    )


def test_vertices_on_one_line_enclose_nothing(en):
    assert refused("2300000 500000\n2301000 500000\n2302000 500000", spec().validation).startswith(
        "The vertices enclose no area"
    )


def test_too_many_vertices_are_refused(en):
    few = spec(**HANOI, max_vertices=3).validation
    assert refused(rectangle(2300000, 500000, 10, 10), few) == "Enter at most 3 vertices"
    read_polygon(
        rectangle(2300000, 500000, 10, 10).split("\n", 3)[0] + "\n2300010 500000\n2300010 500010", few
    )


# Area


def test_a_vn2000_rectangle_and_an_l_shape_have_their_plane_area(en):
    assert read_polygon(rectangle(2300000, 500000, 2000, 1000), spec().validation)["area_m2"] == "2000000.00"
    # An L: a 300 m by 100 m bar and a 100 m square beside it: 30 000 + 10 000 m².
    ell = [(0, 0), (300, 0), (300, 100), (100, 100), (100, 200), (0, 200)]
    text = "\n".join(f"{2300000 + x} {500000 + y}" for x, y in ell)
    assert read_polygon(text, spec().validation)["area_m2"] == "40000.00"


def test_a_wgs84_cell_has_its_area_on_the_ellipsoid(en):
    # The exact area of a cell between two parallels and two meridians on the WGS-84 ellipsoid
    # (authalic latitude); a small cell's geodesic sides are its parallels to well under 1e-6.
    a, f = 6378137.0, 1 / 298.257223563
    e = math.sqrt(f * (2 - f))
    b = a * (1 - f)

    def q(phi: float) -> float:
        s = math.sin(phi)
        return s / (1 - e * e * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)

    south, west, size = 16.0, 108.0, 0.01
    expected = b * b * math.radians(size) / 2 * (q(math.radians(south + size)) - q(math.radians(south)))
    text = f"{south} {west}\n{south} {west + size}\n{south + size} {west + size}\n{south + size} {west}"
    computed = float(read_polygon(text, spec(system="wgs84").validation)["area_m2"])
    assert computed == pytest.approx(expected, rel=1e-6)
    assert computed == pytest.approx(1_195_000, rel=0.01)  # about 1.07 km by 1.11 km


def test_area_m2_does_not_depend_on_the_direction_of_the_ring(app):
    system = System("vn2000", "105°00'", 3)
    ring = [
        (Decimal(2300000), Decimal(500000)),
        (Decimal(2300100), Decimal(500000)),
        (Decimal(2300100), Decimal(500050)),
    ]
    assert area_m2(system, ring) == area_m2(system, ring[::-1]) == Decimal("2500.00")


# The declared area


def area_step(declared_type: str = "decimal", tolerance: float = 1.0) -> Step:
    return Step.model_validate(
        {
            "id": "area",
            "title": LABEL,
            "fields": [
                {
                    "name": "declared",
                    "type": declared_type,
                    "required": True,
                    "label": {"vi": "Diện tích", "en": "Declared area"},
                },
                {
                    "name": "shape",
                    "type": "polygon",
                    "required": True,
                    "label": LABEL,
                    "validation": {
                        **HANOI,
                        "area_unit": "ha",
                        "area_field": "declared",
                        "area_tolerance": tolerance,
                    },
                },
            ],
        }
    )


def step_form(step: Step, data: dict[str, str]) -> Form:
    cls = type("StepUnderTest", (Form,), {f.name: f.kind.build(f) for f in step.fields})
    return cls(formdata=MultiDict(data))


def check(form: Form) -> dict[str, list[str]]:
    for name in form._fields:  # in the definition's order, as StepForm.validate_step does
        form[name].validate(form)
    return {name: list(field.errors) for name, field in form._fields.items() if field.errors}


@pytest.mark.parametrize(
    ("declared", "passes"), [("200", True), ("201,9", True), ("202,1", False), ("198", True), ("150", False)]
)
def test_the_declared_area_is_compared_within_the_tolerance(vi, declared, passes):
    form = step_form(area_step(), {"declared": declared, "shape": rectangle(2300000, 500000, 2000, 1000)})
    errors = check(form)
    assert (errors == {}) is passes, errors


def test_a_mismatch_gives_both_figures_in_each_language(app):
    step = area_step()
    data = {"shape": rectangle(2300000, 500000, 2000, 1000)}
    with app.test_request_context(), force_locale("vi"):
        errors = check(step_form(step, {**data, "declared": "250,5"}))
        assert errors == {
            "shape": [
                "Diện tích tính từ các điểm là 200,00 ha, nhưng “Diện tích” ghi 250,5 ha: "
                "hai số chênh nhau quá 1%"
            ]
        }
    with app.test_request_context(), force_locale("en"):
        errors = check(step_form(step, {**data, "declared": "250.5"}))
        assert errors == {
            "shape": [
                "The area of these vertices is 200.00 ha, but “Declared area” says 250.5 ha: "
                "they differ by more than 1%"
            ]
        }


def test_an_invalid_declared_area_is_left_to_its_own_error(en):
    errors = check(
        step_form(
            area_step("integer"), {"declared": "two hundred", "shape": rectangle(2300000, 500000, 2000, 1000)}
        )
    )
    assert set(errors) == {"declared"}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ([], "'declared' is not a field defined before it in the same step"),
        (
            [{"name": "declared", "type": "text", "label": LABEL}],
            "'declared' is not a decimal or integer field",
        ),
    ],
)
def test_the_area_field_must_be_an_earlier_number_of_the_same_step(fields, reason):
    polygon = {
        "name": "shape",
        "type": "polygon",
        "label": LABEL,
        "validation": {**HANOI, "area_field": "declared"},
    }
    with pytest.raises(ValidationError) as caught:
        Step.model_validate({"id": "s", "title": LABEL, "fields": [*fields, polygon]})
    assert (
        caught.value.errors()[0]["msg"]
        == f"Value error, fields[{len(fields)}].validation.area_field: {reason}"
    )


@pytest.mark.parametrize(
    ("validation", "problem"),
    [
        ({"system": "vn2000"}, "central_meridian"),
        ({"system": "vn2000", "central_meridian": "105.5"}, "degrees and minutes"),
        ({"system": "vn2000", "central_meridian": "125°00'"}, "not a meridian across Viet Nam"),
        ({"system": "wgs84", "zone": 3}, "take no zone"),
        ({"system": "wgs84", "central_meridian": "105°00'"}, "no central meridian"),
        ({"system": "utm"}, "system"),
        ({"system": "vn2000", "central_meridian": "105°00'", "zone": 4}, "zone"),
        (
            {"system": "vn2000", "central_meridian": "105°00'", "min_vertices": 9, "max_vertices": 5},
            "min_vertices",
        ),
    ],
)
def test_definitions_that_cannot_work_are_refused(validation, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        spec(**validation)


# Display and drawing


def test_display_and_refill_read_in_the_page_s_language(app):
    polygon = spec(system="vn2000", central_meridian="105°00'", area_unit="ha")
    with app.test_request_context(), force_locale("vi"):
        answer = read_polygon("M1 2300000,5 500000\nM2 2302000 500000\nM3 2302000 501000", polygon.validation)
        assert polygon.kind.display(polygon, answer) == (
            "3 điểm, khép kín về điểm đầu; diện tích 99,98 ha "
            "(VN-2000, kinh tuyến trục 105°00', múi chiếu 3°)"
        )
        assert polygon.kind.formdata(polygon, "q", answer) == [
            ("q", "M1 2300000,5 500000\nM2 2302000 500000\nM3 2302000 501000")
        ]
    with app.test_request_context(), force_locale("en"):
        assert polygon.kind.formdata(polygon, "q", answer)[0][1].startswith("M1 2300000.5 500000")
        point = spec("point", system="wgs84")
        shown = point.kind.display(point, {"system": "wgs84", "coordinates": ["21.0285", "105.8542"]})
        assert shown == "latitude 21.0285; longitude 105.8542 (WGS-84)"


def test_the_drawing_is_escaped_svg_with_classes_only(en):
    polygon = spec()
    answer = read_polygon("M1 2300000 500000\nM2 2302000 500000\nM3 2302000 501000", polygon.validation)
    answer["names"][0] = "A&<b>1"  # names are letters and digits when read; escaped all the same
    html = str(polygon.kind.figure(polygon, answer).html())
    doc = BeautifulSoup(html, "html.parser")
    svg = doc.find("svg")
    assert svg["role"] == "img"
    assert svg["aria-labelledby"] == "figure-q-title"
    assert doc.find(id="figure-q-title").get_text().startswith("Drawing of “Question” from its vertices")
    assert [t.get_text() for t in svg.find_all("text")] == ["A&<b>1", "M2", "M3"]
    assert "A&amp;&lt;b&gt;1" in html
    assert "<b>" not in html
    for element in doc.find_all(True):
        assert "style" not in element.attrs
        assert not any(a.startswith("on") for a in element.attrs)
    assert doc.find("script") is None
    # North is up: M2 (X larger, so further north) is drawn above M1; M3 (further east) to the right.
    points = [tuple(map(float, p.split(","))) for p in svg.find("polygon")["points"].split()]
    assert points[1][1] < points[0][1]
    assert points[2][0] > points[1][0]
    cells = [[td.get_text() for td in tr.find_all("td")] for tr in doc.select("tbody tr")]
    assert cells[0] == ["A&<b>1", "2300000", "500000"]


def test_the_drawing_goes_into_a_pdf(en, tmp_path):
    polygon = spec()
    answer = read_polygon(
        "M1 2300000 500000\nM2 2302000 500000\nM3 2302000 501000\nM4 2300000 501000", polygon.validation
    )
    pdf = FPDF(format="A4", unit="pt")
    pdf.add_font("NotoSans", "", FONTS / "NotoSans-Regular.ttf")
    pdf.add_font("NotoSans", "B", FONTS / "NotoSans-Bold.ttf")
    pdf.add_page()
    pdf.set_y(700)  # too low for the drawing: it starts a page
    draw_figure(pdf, polygon.kind.figure(polygon, answer))
    assert pdf.page_no() == 2
    path = tmp_path / "figure.pdf"
    path.write_bytes(bytes(pdf.output()))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for name in ("M1", "M2", "M3", "M4", "2302000", "501000", "Drawing of"):
        assert name in text


# Whatever is typed, the answer is a stored polygon or a message: never another exception.

COORDINATE = st.one_of(
    st.integers(-(10**9), 10**9).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["2300000", "500000", "2.300.000,5", "2,300,000.5", "1e6", "-0", "٣", "NaN", "--1"]),
)
LINE = st.one_of(
    st.text(max_size=40),
    st.tuples(
        st.sampled_from(["", "M1 ", "<x> ", "1\t"]),
        COORDINATE,
        st.sampled_from([" ", "\t", ";", ","]),
        COORDINATE,
    ).map("".join),
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    lines=st.lists(LINE, max_size=8),
    locale=st.sampled_from(["vi", "en"]),
    system=st.sampled_from(["vn2000", "wgs84"]),
)
def test_any_text_is_read_or_refused_with_a_message(app, lines, locale, system):
    options = spec(**({"system": "wgs84"} if system == "wgs84" else HANOI)).validation
    with app.test_request_context(), force_locale(locale):
        for reader in (read_polygon, read_point):
            messages = []
            try:
                reader("\n".join(lines), options)
            except Invalid as exc:
                messages.append(str(exc.message))
            assert all(messages)
