"""Point labels that do not overprint, at every width a chart is drawn at.

The book's renderer fits a chart to its container (``_static/book-charts.js``): the plot is about 250 px wide
on a phone and up to about 940 px on a wide screen, while its height and the labels' font stay fixed. A label
sits at its point with a pixel offset, so whether two labels collide depends on the width. :func:`place_labels`
chooses, for each point in priority order, the first of eight positions around it (right, left, the four
diagonals, above, below) whose box stays inside the plot and clears every label already placed, every point's
marker and the chart's fixed texts, at *every* plot width of a band (the check is exact over the band: a box's
horizontal position is linear in the width). A label that fits nowhere is left out (the point's tooltip still
names it). Bands of widths (:data:`BANDS_PX`: a phone's, a laptop's, a wide screen's) are placed separately and
the label layer picks the one for the width it is drawn at (Vega's ``width`` signal), so that a wider plot can
label more points than a phone's.

Boxes are estimated from the text (:func:`text_width_px`, calibrated on the book's sans-serif in Chromium, with a
margin); the browser tests measure the drawn labels and fail on any overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import altair as alt
import numpy as np
import pandas as pd

#: Bands of plot widths (px) placed separately, each with its column suffix: a phone's (up to the renderer's
#: narrow breakpoint), a laptop's and a wide screen's (up to the widest chart the renderer draws, 980 px less the
#: axes). The label layer draws each band's placement at the widths of that band.
BANDS_PX: dict[str, tuple[float, float]] = {"n": (240.0, 480.0), "m": (480.0, 700.0), "w": (700.0, 960.0)}
#: Space (px) kept clear around every label box.
MARGIN_PX = 2.0
#: The label layer's Vega-Lite name: the browser tests find the drawn labels by it.
LAYER_NAME = "point_labels"

# Widths of characters in em of a sans-serif face (measured: capitals and digits 0.60–0.68, lower case ~0.5,
# narrow glyphs ~0.3), rounded up.
_NARROW_CHARS = set("ilIj.,:;|!'()[]/ ")
_WIDE_CHARS = set("mwMW@%")


def text_width_px(text: str, font_size_px: float) -> float:
    """Estimated drawn width of ``text`` (px) at ``font_size_px``: 0.32 em for narrow glyphs (i, l, space,
    punctuation), 0.9 em for m and w, 0.68 em for capitals and digits, 0.56 em otherwise."""
    em = 0.0
    for ch in str(text):
        if ch in _NARROW_CHARS:
            em += 0.32
        elif ch in _WIDE_CHARS:
            em += 0.9
        elif ch.isupper() or ch.isdigit():
            em += 0.68
        else:
            em += 0.56
    return em * font_size_px


def text_height_px(font_size_px: float) -> float:
    """Height (px) of one line of text at ``font_size_px`` (1.15 em: the drawn box is 1.1 em)."""
    return 1.15 * font_size_px


@dataclass(frozen=True)
class Axis:
    """How a data value maps to a fraction of the plot's extent, as the chart's scale does (give the chart the
    same domain with ``nice=False``): linear, log, or time (dates or ISO strings)."""

    domain: tuple
    kind: str = "linear"  # "linear", "log" or "time"

    def fraction(self, values) -> np.ndarray:
        """Position of each value from the domain's low end (0) to its high end (1)."""
        lo, hi = (self._number(v) for v in self.domain)
        v = np.array([self._number(x) for x in values], dtype=float)
        if self.kind == "log":
            lo, hi, v = np.log(lo), np.log(hi), np.log(v)
        return (v - lo) / (hi - lo)

    def scale(self) -> alt.Scale:
        """The matching Altair scale (explicit domain, no rounding of the domain)."""
        if self.kind == "time":
            return alt.Scale(domain=[str(d) for d in self.domain], nice=False)
        return alt.Scale(type="log" if self.kind == "log" else "linear", domain=list(self.domain), nice=False)

    def _number(self, value) -> float:
        if self.kind != "time":
            return float(value)
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        if isinstance(value, datetime):
            return value.timestamp()
        return float(datetime(value.year, value.month, value.day).timestamp())


@dataclass(frozen=True)
class Box:
    """A box on the plot whose horizontal position scales with the plot's width ``s``: its left edge is at
    ``s * u + left`` px and its right edge at ``s * u + right`` px; ``top`` and ``bottom`` are px from the plot's
    top (the height does not change)."""

    u: float
    left: float
    right: float
    top: float
    bottom: float

    def overlaps(self, other: Box, band: tuple[float, float]) -> bool:
        """Whether the two boxes overlap at some plot width in ``band`` (exact: each edge is linear in s)."""
        eps = 1e-6  # boxes that only touch do not overlap
        if self.bottom <= other.top + eps or other.bottom <= self.top + eps:
            return False
        # x-overlap at width s: s*(u_a - u_b) < right_b - left_a  and  s*(u_b - u_a) < right_a - left_b
        lo, hi = band
        for k, c in ((self.u - other.u, other.right - self.left - eps),
                     (other.u - self.u, self.right - other.left - eps)):
            if abs(k) < 1e-12:
                if c <= 0:
                    return False
                continue
            bound = c / k
            if k > 0:
                hi = min(hi, bound)  # s < c/k
            else:
                lo = max(lo, bound)  # s > c/k
        return lo < hi

    def inside(self, band: tuple[float, float], height_px: float) -> bool:
        """Whether the box lies within the plot (0..s wide, 0..height tall) at every width of ``band``."""
        if self.top < 0 or self.bottom > height_px:
            return False
        return all(s * self.u + self.left >= 0 and s * self.u + self.right <= s for s in band)


def text_box(u: float, y_px: float, text: str, font_size_px: float, align: str = "left", dx: float = 0.0,
             dy: float = 0.0) -> Box:
    """The box of a text drawn at (``u`` of the plot's width, ``y_px``) with Vega's ``align``, ``dx`` and ``dy``
    and a middle baseline, with :data:`MARGIN_PX` around it (for fixed texts a chart draws: rule labels)."""
    w, h = text_width_px(text, font_size_px), text_height_px(font_size_px)
    start = {"left": dx, "center": dx - w / 2, "right": dx - w}[align]
    return Box(u, start - MARGIN_PX, start + w + MARGIN_PX, y_px + dy - h / 2 - MARGIN_PX, y_px + dy + h / 2 + MARGIN_PX)


def _radius(marker_size: float) -> float:
    """Half the width (px) of a point mark of Vega size ``marker_size`` (its area in px²), a square's, rounded up."""
    return 0.6 * float(np.sqrt(marker_size))


def _marker_box(u: float, y_px: float, marker_size: float) -> Box:
    r = _radius(marker_size)
    return Box(u, -r, r, y_px - r, y_px + r)


def _candidates(radius_px: float, font_size_px: float) -> list[tuple[str, float, float, float]]:
    """(align, dx, dy, leader) of the positions around a point, in the order they are tried: the eight next to it,
    then above and below at one to three more lines' distance (centred on the point, or starting or ending at it),
    joined to the point by a vertical leader line (``leader``: its length in px, 0 for none)."""
    g = radius_px + 2.5  # the margin (2 px) and half a pixel to spare, so that rounding never closes the gap
    h = text_height_px(font_size_px)
    d = 0.75 * g
    near = [("left", g, 0.0, 0.0), ("right", -g, 0.0, 0.0),
            ("left", d, -(h / 2 + d), 0.0), ("left", d, h / 2 + d, 0.0), ("right", -d, -(h / 2 + d), 0.0),
            ("right", -d, h / 2 + d, 0.0), ("center", 0.0, -(h / 2 + g), 0.0), ("center", 0.0, h / 2 + g, 0.0)]
    far = []
    for k in (1, 2, 3):
        gap = g + k * h
        leader = gap - radius_px - 1.0
        for align, dx in (("center", 0.0), ("left", -2.0), ("right", 2.0)):
            far += [(align, dx, -(h / 2 + gap), leader), (align, dx, h / 2 + gap, leader)]
    # Rounded as the chart's data will hold them, so that the boxes checked are the boxes drawn.
    return [(align, round(dx, 1), round(dy, 1), round(leader, 1)) for align, dx, dy, leader in near + far]


def _leader_box(u: float, y_px: float, dy: float, radius_px: float, leader_px: float) -> Box:
    """The box of a vertical leader line from a point's marker towards its label (``dy`` gives the side)."""
    start = radius_px + 1.0
    top, bottom = (y_px - start - leader_px, y_px - start) if dy < 0 else (y_px + start, y_px + start + leader_px)
    return Box(u, -1.0, 1.0, top, bottom)


def place_labels(u, v, texts, height_px: float, band: tuple[float, float], font_size_px: float = 10.0,
                 marker_size=90.0, obstacles: list[Box] = (), markers=None) -> pd.DataFrame:
    """Positions for labels ``texts`` of points at (``u``, ``v``): fractions of the plot's width from the left and
    of its height from the top. Points are taken in the given order (put the important ones first); an empty
    text needs no label. ``marker_size`` is the points' Vega size (area, px²; one for all, or one per point);
    ``obstacles`` are fixed boxes the labels must clear; ``markers`` (u, v, size) of the points to clear
    (default: the labelled points).
    Returns a frame aligned with the input: ``text`` ("" where the label fits nowhere), ``align``, ``dx``,
    ``dy`` (px), ``leader`` (px; 0 for none), ``lead_y1`` and ``lead_y2`` (the leader line's ends, px from the
    point) and ``box`` (the placed :class:`Box`, or None)."""
    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    texts = ["" if t is None else str(t) for t in texts]
    sizes = np.broadcast_to(np.asarray(marker_size, dtype=float), u.shape)
    marks = list(zip(u, v, sizes)) if markers is None else list(markers)
    taken = list(obstacles) + [_marker_box(mu, mv * height_px, ms) for mu, mv, ms in marks
                               if np.isfinite(mu) and np.isfinite(mv)]
    rows = []
    for ui, vi, size, text in zip(u, v, sizes, texts):
        row = {"text": "", "align": "left", "dx": 0.0, "dy": 0.0, "leader": 0.0, "lead_y1": 0.0, "lead_y2": 0.0,
               "box": None}
        if text and np.isfinite(ui) and np.isfinite(vi):
            radius, y_px = _radius(size), vi * height_px
            for align, dx, dy, leader in _candidates(radius, font_size_px):
                box = text_box(ui, y_px, text, font_size_px, align, dx, dy)
                new = [box] + ([_leader_box(ui, y_px, dy, radius, leader)] if leader else [])
                if box.inside(band, height_px) and not any(b.overlaps(t, band) for b in new for t in taken):
                    taken.extend(new)
                    sign = -1.0 if dy < 0 else 1.0
                    row.update(text=text, align=align, dx=dx, dy=dy, box=box,
                               leader=1.0 if leader else 0.0, lead_y1=round(sign * (radius + 1.0), 1),
                               lead_y2=round(sign * (radius + 1.0 + leader), 1))
                    break
        rows.append(row)
    return pd.DataFrame(rows, columns=["text", "align", "dx", "dy", "leader", "lead_y1", "lead_y2", "box"])


def placed_label_columns(u, v, texts, height_px: float, font_size_px: float = 10.0, marker_size=90.0,
                         obstacles=lambda band: [], markers=None) -> pd.DataFrame:
    """:func:`place_labels` for each band of :data:`BANDS_PX`, as the columns the label layer reads: for a band
    with suffix ``n``, ``lab_n`` (text), ``al_n`` (align), ``dx_n`` and ``dy_n`` (px), and for a leader line
    ``ld_n`` (1 where there is one), ``l1_n`` and ``l2_n`` (its ends, px below the point). ``obstacles`` gives
    the fixed boxes for a band."""
    out = {}
    for suffix, band in BANDS_PX.items():
        p = place_labels(u, v, texts, height_px, band, font_size_px, marker_size, obstacles(band), markers)
        for column, name in (("lab", "text"), ("al", "align"), ("dx", "dx"), ("dy", "dy"), ("ld", "leader"),
                             ("l1", "lead_y1"), ("l2", "lead_y2")):
            out[f"{column}_{suffix}"] = p[name].to_numpy()
    return pd.DataFrame(out)


def band_expr(column: str) -> str:
    """A Vega expression choosing ``datum.<column>_<suffix>`` of the band that holds the plot's width."""
    bands = list(BANDS_PX.items())
    expr = f"datum.{column}_{bands[-1][0]}"
    for suffix, (_, hi) in reversed(bands[:-1]):
        expr = f"width < {hi:g} ? datum.{column}_{suffix} : ({expr})"
    return expr


def label_layer(chart: alt.Chart, x: alt.X, y: alt.Y, font_size_px: float = 10.0, color: str = "#333",
                **encodings) -> alt.Chart | alt.LayerChart:
    """A text layer drawing the labels placed by :func:`placed_label_columns` (columns of ``chart``'s data), each
    band's placement at the plot widths of that band; under it the leader lines, where any label has one."""
    text = chart.mark_text(baseline="middle", fontSize=font_size_px, color=color, text=alt.expr(band_expr("lab")),
                           align=alt.expr(band_expr("al")), dx=alt.expr(band_expr("dx")),
                           dy=alt.expr(band_expr("dy"))).encode(x=x, y=y, **encodings).properties(name=LAYER_NAME)
    frame = chart.data if isinstance(chart.data, pd.DataFrame) else None
    if frame is None or not any(frame[f"ld_{suffix}"].any() for suffix in BANDS_PX):
        return text
    leader_rows = " || ".join(f"datum.ld_{suffix} > 0" for suffix in BANDS_PX)
    leaders = chart.transform_filter(leader_rows).mark_rule(
        color="#999", strokeWidth=0.8, strokeOpacity=alt.expr(band_expr("ld")), yOffset=alt.expr(band_expr("l1")),
        y2Offset=alt.expr(band_expr("l2"))).encode(
        x=x, y=y, x2=alt.X2(x.to_dict()["field"]), y2=alt.Y2(y.to_dict()["field"]),
        **{k: e for k, e in encodings.items() if k == "opacity"})
    return leaders + text


def overlapping_pairs(boxes: list[Box | None], band: tuple[float, float]) -> list[tuple[int, int]]:
    """Index pairs of boxes (None: no label) that overlap somewhere in ``band``: for tests."""
    return [(i, j) for i, a in enumerate(boxes) for j, b in enumerate(boxes)
            if i < j and a is not None and b is not None and a.overlaps(b, band)]
