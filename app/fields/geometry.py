"""Points and polygons on Viet Nam's land and seas, in VN-2000 or in WGS-84.

A definition says which system its coordinates are in (`validation:`):

- `system: vn2000` with the `central_meridian` of the province's zone ("105°00'") and the zone's
  width (`zone: 3` or `6`, 3° by default): projected metres, X the northing then Y the easting,
  as Vietnamese documents write them (transverse Mercator, k0 0.9999 for 3°, 0.9996 for 6°,
  500 km false easting);
- `system: wgs84`: latitude then longitude, in decimal degrees.

The applicant types or pastes one vertex per line: an optional name (M1, 1, A…), then the two
coordinates, separated by spaces, a tab or a semicolon (a table pasted from a spreadsheet works).
Numbers are read in the page's language as the numbers field reads them ("2345678,12" on a
Vietnamese page, "2345678.12" on an English one); digit groups may be marked with the language's
separator but not with spaces, which separate the coordinates.

Bounds: WGS-84 coordinates must lie in Viet Nam's box of land, islands and sea areas, latitude
5°30'N to 23°30'N and longitude 101°30'E to 118°00'E (its extreme points with a margin, not a
border check). VN-2000 coordinates must lie within what that box, cut to the zone's width about
its central meridian, projects to: a rectangle of X and Y named in the message.

A polygon closes by itself: its last vertex joins its first. When the applicant repeats the first
vertex at the end (as some documents do), that repetition is read as the closing and dropped; the
stored ring never repeats a vertex. It needs at least three distinct vertices, no vertex given
twice, no side crossing another (checked with shapely); its area is computed on the ellipsoid
for WGS-84 (pyproj.Geod) and on the projection plane for VN-2000 (as cadastral documents do),
and, when the definition names an `area_field` (a number of `area_unit`, earlier in the same
step), compared with it within `area_tolerance` percent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any, Literal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from pydantic import Field as Limit
from pyproj import CRS, Geod, Transformer
from shapely.geometry import LinearRing, LineString, Polygon
from wtforms import Field, Form, StringField, TextAreaField
from wtforms.validators import ValidationError

from app.fields.base import Check, Convert, FieldType, Invalid, Options, Problem, Spec, field_type
from app.fields.figures import Figure
from app.fields.numbers import read, shown
from app.texts import Localized

# Viet Nam's land, islands and sea areas, with a margin: (south, north), (west, east), degrees.
LATITUDES = (Decimal("5.5"), Decimal("23.5"))
LONGITUDES = (Decimal("101.5"), Decimal("118"))
MERIDIAN_RE = re.compile(r"^(\d{2,3})°([0-5]\d)'$")
NAME_RE = re.compile(r"^[\w.\-/]{1,16}$")
PLACES = {"vn2000": 3, "wgs84": 8}  # a millimetre; about a millimetre too
UNITS = {"m2": Decimal(1), "ha": Decimal(10_000), "km2": Decimal(1_000_000)}
UNIT_SYMBOLS = {"m2": "m²", "ha": "ha", "km2": "km²"}
LINE_MOST = 120  # characters in one vertex's line


def meridian_degrees(text: str) -> Decimal:
    found = MERIDIAN_RE.match(text)
    if found is None:
        raise ValueError(text)
    return Decimal(found.group(1)) + Decimal(found.group(2)) / 60


class GeometryOptions(Options):
    system: Literal["vn2000", "wgs84"]
    central_meridian: str | None = None  # VN-2000 only: "105°00'"
    zone: Literal[3, 6] | None = None  # VN-2000 only; 3 when not said

    def problems(self) -> Iterator[Problem]:
        if self.system == "wgs84":
            if self.central_meridian is not None:
                yield "central_meridian", "WGS-84 coordinates take no central meridian"
            if self.zone is not None:
                yield "zone", "WGS-84 coordinates take no zone"
            return
        if self.central_meridian is None:
            yield "central_meridian", "VN-2000 coordinates need the zone's central meridian, like \"105°00'\""
            return
        try:
            degrees = meridian_degrees(self.central_meridian)
        except ValueError:
            yield "central_meridian", 'write the central meridian in degrees and minutes, like "105°00\'"'
            return
        if not LONGITUDES[0] <= degrees <= LONGITUDES[1]:
            yield "central_meridian", f"{self.central_meridian} is not a meridian across Viet Nam"


class PolygonOptions(GeometryOptions):
    min_vertices: Annotated[int, Limit(ge=3, le=1000)] = 3
    max_vertices: Annotated[int, Limit(ge=3, le=1000)] = 100
    area_unit: Literal["m2", "ha", "km2"] = "m2"
    area_field: str | None = None  # a number field, earlier in the same step: the declared area
    area_tolerance: Annotated[float, Limit(ge=0, le=50)] = 1.0  # percent of the computed area

    def problems(self) -> Iterator[Problem]:
        yield from super().problems()
        if self.min_vertices > self.max_vertices:
            yield (
                "min_vertices",
                f"min_vertices {self.min_vertices} is larger than max_vertices {self.max_vertices}",
            )


@dataclass(frozen=True)
class System:
    """The coordinate system of one definition."""

    key: str
    meridian: str | None = None
    zone: int | None = None

    @classmethod
    def of(cls, options: GeometryOptions) -> System:
        if options.system == "wgs84":
            return cls("wgs84")
        return cls("vn2000", options.central_meridian, options.zone or 3)

    def stored(self) -> dict[str, Any]:
        """What the answer records of its system, so that it reads the same without the definition."""
        if self.key == "wgs84":
            return {"system": "wgs84"}
        return {"system": "vn2000", "central_meridian": self.meridian, "zone": self.zone}

    def describe(self) -> str:
        if self.key == "wgs84":
            return "WGS-84"
        return str(
            _l(
                "VN-2000, central meridian %(meridian)s, %(zone)d° zone",
                meridian=self.meridian,
                zone=self.zone,
            )
        )

    def axes(self) -> tuple[str, str]:
        if self.key == "wgs84":
            return str(_l("Latitude (°)")), str(_l("Longitude (°)"))
        return "X (m)", "Y (m)"

    def axis_names(self) -> tuple[str, str]:
        if self.key == "wgs84":
            return str(_l("latitude")), str(_l("longitude"))
        return "X", "Y"

    def bounds(self) -> tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]]:
        """(least, most) of the first and of the second coordinate."""
        if self.key == "wgs84":
            return LATITUDES, LONGITUDES
        return _projected_bounds(self.meridian or "", self.zone or 3)

    def plane(self, first: Decimal, second: Decimal) -> tuple[float, float]:
        """The vertex as (east, north) on a plane, for drawing and for checking crossings."""
        if self.key == "wgs84":  # longitudes shrink with the latitude; at Viet Nam's scale, enough
            return float(second) * math.cos(math.radians(float(first))), float(first)
        return float(second), float(first)  # X is the northing, Y the easting


@lru_cache(maxsize=64)
def _projected_bounds(meridian: str, zone: int) -> tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]]:
    """The X and Y that Viet Nam's box, cut to the zone about its meridian, projects to, in
    whole kilometres outwards."""
    central = float(meridian_degrees(meridian))
    west = max(float(LONGITUDES[0]), central - zone / 2)
    east = min(float(LONGITUDES[1]), central + zone / 2)
    south, north = float(LATITUDES[0]), float(LATITUDES[1])
    scale = 0.9999 if zone == 3 else 0.9996
    projection = CRS.from_proj4(
        f"+proj=tmerc +lat_0=0 +lon_0={central} +k={scale} +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs"
    )
    to_plane = Transformer.from_crs(CRS.from_epsg(4326), projection, always_xy=True)
    steps = [i / 40 for i in range(41)]
    edge = (
        [(west + (east - west) * t, south) for t in steps]
        + [(west + (east - west) * t, north) for t in steps]
        + [(west, south + (north - south) * t) for t in steps]
        + [(east, south + (north - south) * t) for t in steps]
    )
    eastings, northings = to_plane.transform([p[0] for p in edge], [p[1] for p in edge])

    def km(value: float, up: bool) -> Decimal:
        return Decimal((math.ceil if up else math.floor)(value / 1000) * 1000)

    return (km(min(northings), False), km(max(northings), True)), (
        km(min(eastings), False),
        km(max(eastings), True),
    )


def plain(number: Decimal) -> str:
    """A coordinate in the request's language, every digit kept, no digit groups."""
    places = max(0, -int(number.as_tuple().exponent))
    return format_decimal(number, format="0." + "0" * places if places else "0")


def _vertex(number: int, name: str | None) -> str:
    return str(_l("Vertex %(name)s", name=name)) if name else str(_l("Vertex %(num)d", num=number))


def _read_line(line: str, number: int, system: System) -> tuple[str | None, Decimal, Decimal]:
    """(name or None, first, second) from one typed line."""
    if len(line) > LINE_MOST:
        raise Invalid(_l("%(vertex)s: the line is too long", vertex=_vertex(number, None)))
    parts = [p for p in re.split(r"[\t;]", line) if p.strip()] if re.search(r"[\t;]", line) else line.split()
    parts = [p.strip() for p in parts]
    name = None
    if len(parts) == 3:
        name, parts = parts[0], parts[1:]
        if not NAME_RE.match(name):
            raise Invalid(
                _l(
                    "%(vertex)s: a vertex's name is at most 16 letters, digits, dots or dashes",
                    vertex=_vertex(number, None),
                )
            )
    where = _vertex(number, name)
    if len(parts) != 2:
        first, second = system.axes()
        raise Invalid(
            _l(
                "%(vertex)s: write an optional name, then %(first)s and %(second)s, separated by spaces, "
                "a tab or a semicolon",
                vertex=where,
                first=first,
                second=second,
            )
        )
    values = []
    for part in parts:
        try:
            value = read(part, whole=False)
        except Invalid as exc:
            raise Invalid(_l("%(vertex)s: %(problem)s", vertex=where, problem=exc.message)) from None
        if -int(value.as_tuple().exponent) > PLACES[system.key]:
            raise Invalid(
                _l(
                    "%(vertex)s: enter at most %(num)d decimal places",
                    vertex=where,
                    num=PLACES[system.key],
                )
            )
        values.append(value)
    _within(system, values[0], values[1], where)
    return name, values[0], values[1]


def _within(system: System, first: Decimal, second: Decimal, where: str) -> None:
    (low1, high1), (low2, high2) = system.bounds()
    if low1 <= first <= high1 and low2 <= second <= high2:
        return
    if system.key == "wgs84":
        message = _l(
            "%(vertex)s lies outside Viet Nam's land and sea areas: latitude from %(south)s to %(north)s, "
            "longitude from %(west)s to %(east)s",
            vertex=where,
            south=shown(low1),
            north=shown(high1),
            west=shown(low2),
            east=shown(high2),
        )
    else:
        message = _l(
            "%(vertex)s lies outside what %(system)s covers in Viet Nam: X from %(x1)s to %(x2)s m, "
            "Y from %(y1)s to %(y2)s m",
            vertex=where,
            system=system.describe(),
            x1=shown(int(low1)),
            x2=shown(int(high1)),
            y1=shown(int(low2)),
            y2=shown(int(high2)),
        )
    if low1 <= second <= high1 and low2 <= first <= high2:
        first_axis, second_axis = system.axis_names()
        message = _l(
            "%(problem)s. Were %(first)s and %(second)s swapped?",
            problem=message,
            first=first_axis,
            second=second_axis,
        )
    raise Invalid(message)


def _place(system: System, first: Decimal, second: Decimal) -> str:
    a, b = system.axis_names()
    return f"{a} {plain(first)}; {b} {plain(second)}"


def area_m2(system: System, vertices: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """The area enclosed, in square metres, to the hundredth."""
    if system.key == "wgs84":
        lats = [float(a) for a, _ in vertices]
        lons = [float(b) for _, b in vertices]
        area, _ = Geod(ellps="WGS84").polygon_area_perimeter(lons, lats)
    else:
        area = Polygon([(float(b), float(a)) for a, b in vertices]).area
    return Decimal(repr(abs(area))).quantize(Decimal("0.01"))


def _crossing(points: list[tuple[float, float]]) -> tuple[int, int] | None:
    """The first two sides (by the index of their first vertex) that cross or touch, if any."""
    count = len(points)
    if LinearRing(points).is_simple:
        return None  # the pairwise search below only names what GEOS has found
    sides = [LineString([points[i], points[(i + 1) % count]]) for i in range(count)]
    for i in range(count):
        for j in range(i + 1, count):
            if j == i + 1 or (i == 0 and j == count - 1):
                continue  # neighbours share a vertex
            if sides[i].intersects(sides[j]):
                return i, j
    return None


def _side(i: int, names: list[str], count: int) -> str:
    return f"{names[i]}–{names[(i + 1) % count]}"


def read_polygon(text: str, options: PolygonOptions) -> dict[str, Any]:
    """The stored answer for the typed vertices, or Invalid with what is wrong (naming the vertex)."""
    system = System.of(options)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > options.max_vertices + 1:  # one more: the closing repetition
        raise Invalid(_l("Enter at most %(num)d vertices", num=options.max_vertices))
    read_lines = [_read_line(line, number, system) for number, line in enumerate(lines, 1)]
    if len(read_lines) > 1 and read_lines[-1][1:] == read_lines[0][1:]:
        read_lines.pop()  # the first vertex repeated last closes the ring: it is implied
    if len(read_lines) > options.max_vertices:
        raise Invalid(_l("Enter at most %(num)d vertices", num=options.max_vertices))
    given_names = [n for n, _, _ in read_lines]
    names = [n or str(i) for i, n in enumerate(given_names, 1)]
    coords = [(a, b) for _, a, b in read_lines]
    seen: dict[tuple[Decimal, Decimal], int] = {}
    for index, coord in enumerate(coords):
        if coord in seen:
            raise Invalid(
                _l(
                    "%(vertex)s repeats %(other)s: a boundary passes each vertex once",
                    vertex=_vertex(index + 1, given_names[index]),
                    other=_vertex(seen[coord] + 1, given_names[seen[coord]]),
                )
            )
        seen[coord] = index
    least = max(options.min_vertices, 3)
    if len(coords) < least:
        raise Invalid(_l("Enter at least %(num)d different vertices", num=least))
    points = [system.plane(a, b) for a, b in coords]
    crossing = _crossing(points)
    if crossing is not None:
        raise Invalid(
            _l(
                "The sides %(one)s and %(other)s cross: a boundary must not cross itself",
                one=_side(crossing[0], names, len(points)),
                other=_side(crossing[1], names, len(points)),
            )
        )
    shape = Polygon(points)
    if shape.area == 0 or not shape.is_valid:
        raise Invalid(_l("The vertices enclose no area: check that they are not all on one line"))
    answer: dict[str, Any] = {
        **system.stored(),
        "vertices": [[str(a), str(b)] for a, b in coords],
        "area_m2": str(area_m2(system, coords)),
    }
    if any(given_names):
        answer["names"] = names
    return answer


def read_point(text: str, options: GeometryOptions) -> dict[str, Any]:
    system = System.of(options)
    if "\n" in text.strip():
        raise Invalid(_l("Enter one point on one line"))
    _, first, second = _read_line(text.strip(), 1, system)
    return {**system.stored(), "coordinates": [str(first), str(second)]}


def _in_unit(area: Decimal, unit: str) -> Decimal:
    return (area / UNITS[unit]).quantize(Decimal("0.01"))


class _AsTyped:
    """Shows what was typed, not the stored answer it became: a step sent back for another
    error (the declared area, another question) gives the applicant their own lines again."""

    raw_data: list[Any] | None
    data: Any

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data if isinstance(self.data, str) else ""


class PointField(_AsTyped, StringField):
    pass


class VerticesField(_AsTyped, TextAreaField):
    pass


class _GeometryType(FieldType):
    input_attrs = {"autocomplete": "off", "spellcheck": "false", "class": "coordinates"}


@field_type
class PointType(_GeometryType):
    name = "point"
    options = GeometryOptions
    demo = {"validation": {"system": "vn2000", "central_meridian": "105°00'"}}

    def field_class(self, spec: Spec) -> type[Field]:
        return PointField

    def validators(self, spec: Spec) -> list[Check]:
        return [Convert(lambda text: read_point(text, spec.validation))]

    def formdata(self, spec: Spec, key: str, value: Any) -> list[tuple[str, str]]:
        if not value:
            return []
        first, second = (Decimal(v) for v in value["coordinates"])
        return [(key, f"{plain(first)} {plain(second)}")]

    def display(self, spec: Spec, value: Any) -> str:
        if not value:
            return ""
        system = System(value["system"], value.get("central_meridian"), value.get("zone"))
        first, second = (Decimal(v) for v in value["coordinates"])
        return f"{_place(system, first, second)} ({system.describe()})"

    def sample(self, spec: Spec) -> dict[str, Any]:
        system = System.of(spec.validation)
        (low1, high1), (low2, high2) = system.bounds()
        first, second = (low1 + high1) // 2, (low2 + high2) // 2
        return {**system.stored(), "coordinates": [str(first), str(second)]}


@field_type
class PolygonType(_GeometryType):
    """An area: its vertices, one a line; stored with its system and computed area."""

    name = "polygon"
    options = PolygonOptions
    demo = {"validation": {"system": "vn2000", "central_meridian": "105°00'", "area_unit": "ha"}}

    def field_class(self, spec: Spec) -> type[Field]:
        return VerticesField

    def validators(self, spec: Spec) -> list[Check]:
        options: PolygonOptions = spec.validation

        def compare(form: Form, field: Field) -> None:
            if options.area_field is None or options.area_field not in form or field.data is None:
                return
            declared_field = form[options.area_field]
            if declared_field.errors or declared_field.data in (None, ""):
                return  # not answered, or its own error says what is wrong
            try:
                declared = Decimal(str(declared_field.data))  # checked before this field: canonical
            except InvalidOperation:
                return
            computed = _in_unit(Decimal(field.data["area_m2"]), options.area_unit)
            allowed = computed * Decimal(str(options.area_tolerance)) / 100
            if abs(declared - computed) > allowed:
                raise ValidationError(
                    str(
                        _l(
                            "The area of these vertices is %(computed)s %(unit)s, but “%(question)s” says "
                            "%(declared)s %(unit)s: they differ by more than %(tolerance)s%%",
                            computed=shown(computed),
                            declared=shown(declared),
                            unit=UNIT_SYMBOLS[options.area_unit],
                            question=_label_of(form, options.area_field),
                            tolerance=shown(Decimal(str(options.area_tolerance)).normalize()),
                        )
                    )
                )

        return [Convert(lambda text: read_polygon(text, options)), compare]

    def step_problems(self, spec: Spec, earlier: Sequence[Spec]) -> Iterator[Problem]:
        name = spec.validation.area_field
        if name is None:
            return
        target = next((f for f in earlier if f.name == name), None)
        if target is None:
            yield "validation.area_field", f"{name!r} is not a field defined before it in the same step"
        elif target.type not in ("decimal", "integer"):
            yield "validation.area_field", f"{name!r} is not a decimal or integer field"
        elif target.show_if is not None:
            yield "validation.area_field", f"{name!r} is shown only under a condition"

    def formdata(self, spec: Spec, key: str, value: Any) -> list[tuple[str, str]]:
        if not value:
            return []
        names = value.get("names")
        lines = []
        for index, (first, second) in enumerate(value["vertices"]):
            line = f"{plain(Decimal(first))} {plain(Decimal(second))}"
            lines.append(f"{names[index]} {line}" if names else line)
        return [(key, "\n".join(lines))]

    def display(self, spec: Spec, value: Any) -> str:
        if not value:
            return ""
        system = System(value["system"], value.get("central_meridian"), value.get("zone"))
        unit = spec.validation.area_unit
        return str(
            _l(
                "%(num)d vertices, closed back to the first; area %(area)s %(unit)s (%(system)s)",
                num=len(value["vertices"]),
                area=shown(_in_unit(Decimal(value["area_m2"]), unit)),
                unit=UNIT_SYMBOLS[unit],
                system=system.describe(),
            )
        )

    def figure(self, spec: Spec, value: Any) -> Figure | None:
        if not value:
            return None
        system = System(value["system"], value.get("central_meridian"), value.get("zone"))
        coords = [(Decimal(a), Decimal(b)) for a, b in value["vertices"]]
        names = value.get("names") or [str(i) for i in range(1, len(coords) + 1)]
        first, second = system.axes()
        return Figure(
            key=spec.name,
            caption=str(
                _l(
                    "Drawing of “%(question)s” from its vertices (%(system)s)",
                    question=Localized(spec.label),
                    system=system.describe(),
                )
            ),
            outline=tuple(system.plane(a, b) for a, b in coords),
            names=tuple(names),
            headers=(str(_l("Vertex")), first, second),
            table=tuple((n, plain(a), plain(b)) for n, (a, b) in zip(names, coords, strict=True)),
        )

    def sample(self, spec: Spec) -> dict[str, Any]:
        """A rectangle 2 km by 1 km (200 ha) in the middle of the system's bounds, whole metres;
        in WGS-84, a square of one degree, whole degrees: both read the same in either language."""
        system = System.of(spec.validation)
        (low1, high1), (low2, high2) = system.bounds()
        first, second = (low1 + high1) // 2, (low2 + high2) // 2
        if system.key == "wgs84":
            d1, d2 = Decimal(1), Decimal(1)
            first, second = Decimal(16), Decimal(108)
        else:
            d1, d2 = Decimal(2000), Decimal(1000)
        coords = [(first, second), (first + d1, second), (first + d1, second + d2), (first, second + d2)]
        return {
            **system.stored(),
            "vertices": [[str(a), str(b)] for a, b in coords],
            "area_m2": str(area_m2(system, coords)),
        }


def _label_of(form: Form, name: str) -> str:
    """The question `name` of the form, as its label reads in the request's language."""
    return str(form[name].label.text)
