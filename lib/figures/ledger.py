"""The ledger page's figures: the counts by kind and verdict, how far each checked number is from the talk's,
and a tornado chart of which assumption moves which verdict.

Both charts draw on a log axis over :data:`CHART_RANGE`. A value beyond it (or 0, or infinite) is never pinned
silently to the edge: it is drawn as an arrow at the edge, pointing outwards, labelled with its true value, and
the tooltip says so.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from ..claims import (CHECKED, FAILS, HOLDS, LOOSE, NOT_DERIVED, SCENARIO, SCENARIO_KIND, SHAPE_FAILS, SHAPE_HOLDS,
                      STRUCTURAL, Entry, gap_of)
from ..page import format_value

VERDICT_COLORS = {HOLDS: "#2e8b57", LOOSE: "#edae49", FAILS: "#d1495b", NOT_DERIVED: "#7f7f7f"}
#: The ratios the charts show (log axis); values beyond are arrows at the edge with their true value.
CHART_RANGE = (0.05, 20.0)
AXIS_VALUES = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20]
#: The tornado's bar colours: an assumption whose range changes the verdict, one that does not, a scenario's.
EFFECT_COLORS = {"changes the verdict": "#d1495b", "verdict unchanged": "#7f7f7f", "scenario (no verdict)": "#1f5fa6"}
KINDS = (CHECKED, SCENARIO_KIND, STRUCTURAL)
VERDICTS = (HOLDS, LOOSE, FAILS, SHAPE_HOLDS, SHAPE_FAILS, SCENARIO, NOT_DERIVED)


def counts_frame(entries: list[Entry]) -> pd.DataFrame:
    """Entries counted by kind and verdict (only pairs that occur, in the ledger's order), with how many of them
    rest on a named assumption and keep their verdict over its range (robust) or not, and a total row."""
    rows = []
    for kind in KINDS:
        for verdict in VERDICTS:
            these = [e for e in entries if e.kind == kind and e.verdict == verdict]
            if these:
                rows.append({"kind": kind, "verdict": verdict, "entries": len(these),
                             "robust": sum(e.robust is True for e in these),
                             "not robust": sum(e.robust is False for e in these)})
    rows.append({"kind": "all", "verdict": "", "entries": len(entries), "robust": sum(e.robust is True for e in entries),
                 "not robust": sum(e.robust is False for e in entries)})
    return pd.DataFrame(rows, columns=["kind", "verdict", "entries", "robust", "not robust"])


def place(value: float | None, low: float = CHART_RANGE[0], high: float = CHART_RANGE[1]) -> tuple[float | None, str]:
    """Where a ratio goes on a log axis over [low, high]: (x, side). ``side`` is "" inside the range, "left" for a
    value below it (or ≤ 0, which a log axis cannot show), "right" above it (or infinite); x is then the edge.
    (None, "") for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, ""
    if value < low:
        return low, "left"
    if value > high:
        return high, "right"
    return float(value), ""


def ratio_label(value: float | None) -> str:
    """A ratio for a label: ``0.21×``, ``142×``, ``∞``, ``0``."""
    if value is None:
        return "not derived"
    if math.isinf(value):
        return "∞"
    if value == 0:
        return "0"
    return f"{value:.3g}×" if value < 1000 else f"{value:,.0f}×"


def gap_frame(entries: list[Entry]) -> pd.DataFrame:
    """One row per checked entry that has both a stated and a derived number: the gap, where it is drawn, and
    whether it lies beyond the chart's range."""
    rows = []
    for e in entries:
        if e.kind != CHECKED or e.gap is None:
            continue
        x, side = place(e.gap)
        rows.append({"claim": e.id, "quantity": e.quantity, "entry": f"{e.id}: {e.quantity}",
                     "gap": float(f"{e.gap:.4g}") if math.isfinite(e.gap) else None, "x": x, "beyond": side,
                     "gap_text": ratio_label(e.gap), "verdict": e.verdict})
    return pd.DataFrame(rows, columns=["claim", "quantity", "entry", "gap", "x", "beyond", "gap_text", "verdict"])


def _verdict_color(domain: list[str] | None = None) -> alt.Scale:
    domain = domain or list(VERDICT_COLORS)
    return alt.Scale(domain=domain, range=[VERDICT_COLORS[v] for v in domain])


def _x(title: str) -> alt.X:
    return alt.X("x:Q", scale=alt.Scale(type="log", domain=list(CHART_RANGE)),
                 axis=alt.Axis(title=title, format="~g", values=AXIS_VALUES, labelOverlap="greedy"))


def _arrows(frame: pd.DataFrame, x_title: str, y: alt.Y, tooltip: list, below: bool = False) -> list[alt.Chart]:
    """The layers that mark values beyond the range: an outward triangle at each edge and the true value, beside
    the triangle (``below``: under it, one label a row giving the range of its values beyond that edge, for rows
    with a label above the bar).
    Only layers with something to draw are made: an empty symbol layer would be an unlabelled image to a screen
    reader."""
    layers = []
    for side, shape, align, dx in (("left", "triangle-left", "left", 7), ("right", "triangle-right", "right", -7)):
        beyond = frame[frame.beyond == side]
        if beyond.empty:
            continue
        layers.append(alt.Chart(beyond).mark_point(shape=shape, filled=True, size=110, color="#333", opacity=1).encode(
            x=_x(x_title), y=y, tooltip=tooltip))
        if not below:
            layers.append(alt.Chart(beyond).mark_text(align=align, baseline="middle", dx=dx, fontSize=10, color="#333")
                          .encode(x=_x(x_title), y=y, text="label:N"))
            continue
        # One label a row under its arrow: the true ratios beyond this edge, lowest to highest ("0.0102×–0.0252×"),
        # so that a row's low end, book value and high end never print over each other.
        rows = []
        for row, group in beyond.groupby("row", sort=False):
            # An infinite or zero ratio has no number in the ratio column: its text ("∞", "0") sorts to its end.
            order = sorted(zip(group.ratio.fillna(math.inf if side == "right" else 0.0), group.ratio_text))
            texts = list(dict.fromkeys(text for _, text in order))
            rows.append({"row": row, "x": group.x.iloc[0],
                         "label": texts[0] if len(texts) == 1 else f"{texts[0]}–{texts[-1]}"})
        labels = pd.DataFrame(rows)
        layers.append(alt.Chart(labels).mark_text(align=align, baseline="top", dx=dx - 4 if side == "right" else dx - 6,
                                                  dy=6, fontSize=10, color="#333")
                      .encode(x=_x(x_title), y=y, text="label:N"))
    return layers


def gap_chart(entries: list[Entry]) -> alt.LayerChart:
    """Dots at derived ÷ stated (log scale) for every checked entry, with the 'holds' band (±25%) and the
    'loosely' band (2×); arrows with the true value for ratios beyond 1/20 and 20."""
    frame = gap_frame(entries).assign(label=lambda f: f.gap_text)
    height = max(160, 18 * len(frame))
    x_title = "derived ÷ stated (log)"
    bands = pd.DataFrame([{"lo": 0.5, "hi": 2.0}, {"lo": 0.75, "hi": 1.25}])
    scale = alt.Scale(type="log", domain=list(CHART_RANGE))
    band = alt.Chart(bands).mark_rect(opacity=0.12, color="#2e8b57").encode(
        x=alt.X("lo:Q", scale=scale, title=x_title), x2="hi:Q")
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color="#333").encode(x=_x(x_title))
    y = alt.Y("entry:N", sort=list(dict.fromkeys(frame.entry)), axis=alt.Axis(title=None, labelLimit=190))
    tooltip = ["claim:N", "quantity:N", alt.Tooltip("gap_text:N", title="derived ÷ stated"), "verdict:N"]
    base = alt.Chart(frame)
    verdicts = [v for v in VERDICT_COLORS if v in set(frame.verdict)]
    dots = base.transform_filter(alt.datum.beyond == "").mark_point(filled=True, size=90).encode(
        x=_x(x_title), y=y,
        color=alt.Color("verdict:N", scale=_verdict_color(verdicts), legend=alt.Legend(orient="bottom", title="verdict")),
        tooltip=tooltip)
    return alt.layer(band, one, dots, *_arrows(frame, x_title, y, tooltip)).properties(
        title=alt.Title("How far each checked number is from the talk's",
                        subtitle="1 = the talk's number; shaded: within ±25% and within a factor of 2 of it; "
                                 "arrows: beyond the axis, labelled with the true ratio"),
        width=260, height=height)


def sensitivity_frame(entries: list[Entry], kind: str = CHECKED) -> pd.DataFrame:
    """One row per (entry of ``kind``, assumption) with a sensitivity, and per end of the assumption's range.

    The ratio is derived ÷ stated for a checked entry (the gap, as the ledger defines it) and derived ÷ the
    entry's own derived value for a scenario (1 = the book's central assumption). Columns: row (the label), entry,
    assumption, end ("low", "high" or "central"), value (the assumption's value there, formatted), derived
    (formatted), ratio, x and beyond (see :func:`place`), ratio_text (the true ratio), label (the same, once per
    distinct value beyond an edge), verdict (at that end),
    effect (whether the assumption's range changes the verdict)."""
    rows = []
    for e in entries:
        if e.kind != kind or not e.sensitivity or e.derived is None:
            continue
        if kind == CHECKED and e.gap is None or kind != CHECKED and e.derived == 0:
            continue
        by_name = {a.name: a for a in e.assumptions}
        for name, ends in e.sensitivity.items():
            a = by_name[name]
            label = f"{name} → {e.id}: {e.quantity}"
            verdicts = {ends[end].get("verdict", e.verdict) for end in ("low", "high")} | {e.verdict}
            effect = ("scenario (no verdict)" if kind != CHECKED else
                      "changes the verdict" if len(verdicts) > 1 else "verdict unchanged")
            points = [("central", a.value, e.derived, e.verdict)] + [
                (end, ends[end]["value"], ends[end]["derived"], ends[end].get("verdict", e.verdict))
                for end in ("low", "high")]
            for end, value, derived, verdict in points:
                if kind == CHECKED:
                    ratio = gap_of(e.stated, derived)
                else:
                    ratio = None if derived is None else derived / e.derived
                x, side = place(ratio)
                # One label per distinct value beyond an edge (the book's value and an end can coincide there).
                shown = [r["label"] for r in rows if r["row"] == label and r["beyond"] == side and side]
                rows.append({"row": label, "entry": f"{e.id}: {e.quantity}", "assumption": name, "end": end,
                             "value": format_value(value, a.unit), "derived": format_value(derived, e.unit),
                             "ratio": None if ratio is None or not math.isfinite(ratio) else float(f"{ratio:.4g}"),
                             "x": x, "beyond": side, "ratio_text": ratio_label(ratio),
                             "label": "" if ratio_label(ratio) in shown else ratio_label(ratio),
                             "verdict": verdict if kind == CHECKED else "—", "effect": effect})
    return pd.DataFrame(rows, columns=["row", "entry", "assumption", "end", "value", "derived", "ratio", "x",
                                       "beyond", "ratio_text", "label", "verdict", "effect"])


def tornado_chart(entries: list[Entry], kind: str = CHECKED) -> alt.LayerChart:
    """A tornado chart: for each entry of ``kind`` and each assumption it names, a bar over the ratio's range as
    the assumption runs from the low to the high end of its range, a black tick at the book's value, and each end
    coloured by the verdict there (checked entries, against the shaded ±25% and 2× bands). Each row's label
    (assumption → entry) sits above its bar; ends beyond the axis are arrows with the true ratio."""
    frame = sensitivity_frame(entries, kind)
    checked = kind == CHECKED
    x_title = "derived ÷ stated (log; 1 = the talk's number)" if checked else "derived ÷ its central value (log)"
    rows = list(dict.fromkeys(frame.row))
    row_px = 40
    y = alt.Y("row:N", sort=rows, axis=alt.Axis(title=None, labels=False, ticks=False, domain=False),
              scale=alt.Scale(paddingInner=0.1, paddingOuter=0.05))
    tooltip = [alt.Tooltip("entry:N"), alt.Tooltip("assumption:N"), alt.Tooltip("end:N", title="end of range"),
               alt.Tooltip("value:N", title="assumption's value"), alt.Tooltip("derived:N", title="derived value"),
               alt.Tooltip("ratio_text:N", title="ratio")]
    if checked:
        tooltip.append(alt.Tooltip("verdict:N", title="verdict there"))
    # One row per (entry, assumption) for the bar: from the smaller to the larger end, clipped to the axis.
    spans = (frame[frame.x.notna()].groupby("row", sort=False)
             .agg(lo=("x", "min"), hi=("x", "max"), effect=("effect", "first")).reset_index())
    spans["label_x"] = CHART_RANGE[0]
    layers = []
    if checked:
        bands = pd.DataFrame([{"lo": 0.5, "hi": 2.0}, {"lo": 0.75, "hi": 1.25}])
        layers.append(alt.Chart(bands).mark_rect(opacity=0.12, color="#2e8b57").encode(
            x=alt.X("lo:Q", scale=alt.Scale(type="log", domain=list(CHART_RANGE)), title=x_title), x2="hi:Q"))
    layers.append(alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color="#333", strokeDash=[3, 3]).encode(x=_x(x_title)))
    effects = [e for e in EFFECT_COLORS if e in set(spans.effect)]
    layers.append(alt.Chart(spans).mark_bar(height=9, opacity=0.55).encode(
        x=alt.X("lo:Q", scale=alt.Scale(type="log", domain=list(CHART_RANGE)), title=x_title), x2="hi:Q", y=y,
        color=alt.Color("effect:N", scale=alt.Scale(domain=effects, range=[EFFECT_COLORS[e] for e in effects]),
                        legend=alt.Legend(orient="bottom", title="the assumption's range")),
        tooltip=[alt.Tooltip("row:N", title="assumption → entry")]))
    layers.append(alt.Chart(spans).mark_text(align="left", baseline="bottom", dy=-7, fontSize=11,
                                             limit=alt.ExprRef("width")).encode(
        x=alt.X("label_x:Q", scale=alt.Scale(type="log", domain=list(CHART_RANGE))), y=y, text="row:N"))
    inside = frame[(frame.beyond == "") & (frame.end != "central")]
    central = frame[(frame.beyond == "") & (frame.end == "central")]
    if not inside.empty and checked:
        verdicts = [v for v in VERDICT_COLORS if v in set(inside.verdict)]
        layers.append(alt.Chart(inside).mark_point(filled=True, size=70, opacity=1).encode(
            x=_x(x_title), y=y, tooltip=tooltip,
            color=alt.Color("verdict:N", scale=_verdict_color(verdicts),
                            legend=alt.Legend(orient="bottom", title="verdict at that end"))))
    elif not inside.empty:
        layers.append(alt.Chart(inside).mark_point(filled=True, size=70, opacity=1,
                                                   color=EFFECT_COLORS["scenario (no verdict)"])
                      .encode(x=_x(x_title), y=y, tooltip=tooltip))
    if not central.empty:
        layers.append(alt.Chart(central).mark_tick(color="#111", thickness=2, size=16)
                      .encode(x=_x(x_title), y=y, tooltip=tooltip))
    layers += _arrows(frame, x_title, y, tooltip, below=True)
    title = ("Which assumption moves which verdict" if checked else "How far each scenario moves with its assumptions")
    subtitle = ("Each bar: the derived number ÷ the talk's as one assumption runs over its range; dots coloured by "
                "the verdict at each end, black tick at the book's value; shaded ±25% and 2×; arrows: beyond the axis"
                if checked else
                "Each bar: the scenario's number ÷ its value at the book's assumptions, as one assumption runs over "
                "its range; black tick at 1; arrows: beyond the axis, labelled with the true ratio")
    return alt.layer(*layers).resolve_scale(color="independent").properties(
        title=alt.Title(title, subtitle=subtitle), width=420, height=row_px * max(len(rows), 1))
