"""A drawing of an answer (a parcel, a sea area): what the review page shows as SVG and the
declaration draws with fpdf2.

A field type describes the shape once (`FieldType.figure`), in plane coordinates with x to the
east and y to the north; each medium fits it into its own box. The SVG is built here, escaped,
with classes only (styled in site.css): nothing a strict Content-Security-Policy refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

SVG_WIDTH = 320.0
SVG_PAD = 28.0  # room for the vertices' names


@dataclass(frozen=True)
class Figure:
    key: str  # unique on the page: the question's name
    caption: str  # what the drawing is, in the request's language
    outline: tuple[tuple[float, float], ...]  # a closed ring (not repeated), x east, y north
    names: tuple[str, ...]  # each vertex's name, drawn beside it
    headers: tuple[str, ...]  # the vertex table's columns
    table: tuple[tuple[str, ...], ...]  # one row per vertex

    def fitted(self, width: float, most_height: float, pad: float) -> tuple[list[tuple[float, float]], float]:
        """The outline in a box `width` wide (and at most `most_height` high), y downwards, keeping
        its proportions; and the box's height."""
        xs = [x for x, _ in self.outline]
        ys = [y for _, y in self.outline]
        span_x = max(max(xs) - min(xs), 1e-12)
        span_y = max(max(ys) - min(ys), 1e-12)
        scale = min((width - 2 * pad) / span_x, (most_height - 2 * pad) / span_y)
        height = span_y * scale + 2 * pad
        left = (width - span_x * scale) / 2
        return [(left + (x - min(xs)) * scale, pad + (max(ys) - y) * scale) for x, y in self.outline], height

    def label_spots(self, points: list[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
        """Where each vertex's name goes: a little outwards from the shape's middle."""
        cx = sum(x for x, _ in points) / len(points)
        cy = sum(y for _, y in points) / len(points)
        spots = []
        for x, y in points:
            dx, dy = x - cx, y - cy
            length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
            spots.append((x + dx / length * gap, y + dy / length * gap))
        return spots

    def svg(self) -> Markup:
        points, height = self.fitted(SVG_WIDTH, SVG_WIDTH, SVG_PAD)
        title_id = f"figure-{self.key}-title"
        ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts = [
            f'<svg class="figure-drawing" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'viewBox="0 0 {SVG_WIDTH:.0f} {height:.0f}" aria-labelledby="{escape(title_id)}">',
            f'<title id="{escape(title_id)}">{escape(self.caption)}</title>',
            f'<polygon class="figure-shape" points="{ring}"/>',
        ]
        for (x, y), (lx, ly), name in zip(points, self.label_spots(points, 14), self.names, strict=True):
            parts.append(f'<circle class="figure-vertex" cx="{x:.1f}" cy="{y:.1f}" r="3"/>')
            parts.append(f'<text class="figure-label" x="{lx:.1f}" y="{ly:.1f}">{escape(name)}</text>')
        parts.append("</svg>")
        return Markup("".join(parts))  # noqa: S704 (every piece above is a number or escaped)

    def html(self) -> Markup:
        """The drawing, its caption and the table of vertices."""
        head = "".join(f'<th scope="col">{escape(h)}</th>' for h in self.headers)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in self.table
        )
        return Markup(  # noqa: S704 (the SVG is escaped; so is every text here)
            f'<figure class="figure" id="figure-{escape(self.key)}">{self.svg()}'
            f"<figcaption>{escape(self.caption)}</figcaption>"
            f'<table class="vertices"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></figure>'
        )
