"""The ledger page's chart: derived ÷ stated for every claim entry, on a log axis, coloured by verdict.

Ratios beyond 1/20 or 20 are drawn at the edge (the scale clamps); the table beside it gives the values."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..claims import FAILS, HOLDS, LOOSE, Entry

VERDICT_COLORS = {HOLDS: "#2e8b57", LOOSE: "#edae49", FAILS: "#d1495b"}


def gap_frame(entries: list[Entry]) -> pd.DataFrame:
    """One row per entry that has both a stated and a derived number."""
    rows = [{"claim": e.id, "quantity": e.quantity, "entry": f"{e.id}: {e.quantity}",
             "gap": float(f"{e.gap:.4g}"), "verdict": e.verdict}
            for e in entries if e.gap is not None and e.gap > 0]
    return pd.DataFrame(rows, columns=["claim", "quantity", "entry", "gap", "verdict"])


def gap_chart(entries: list[Entry]) -> alt.LayerChart:
    """Dots at derived ÷ stated (log scale) with the 'holds' band (±25%) and the 'loosely' band (2×)."""
    frame = gap_frame(entries)
    height = max(160, 18 * len(frame))
    bands = pd.DataFrame([{"lo": 0.5, "hi": 2.0, "band": "within 2× (holds loosely)"},
                          {"lo": 0.75, "hi": 1.25, "band": "within ±25% (holds)"}])
    x_title = "derived ÷ stated (log; 1 = the talk's number)"
    scale = alt.Scale(type="log", domain=[0.05, 20], clamp=True)
    band = alt.Chart(bands).mark_rect(opacity=0.12, color="#2e8b57").encode(
        x=alt.X("lo:Q", scale=scale, title=x_title), x2="hi:Q")
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color="#333").encode(
        x=alt.X("x:Q", scale=scale, title=x_title))
    dots = alt.Chart(frame).mark_point(filled=True, size=90).encode(
        x=alt.X("gap:Q", scale=scale,
                axis=alt.Axis(title=x_title, format="~g", values=[0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20])),
        y=alt.Y("entry:N", sort=None, axis=alt.Axis(title=None, labelLimit=330)),
        color=alt.Color("verdict:N", scale=alt.Scale(domain=list(VERDICT_COLORS), range=list(VERDICT_COLORS.values())),
                        legend=alt.Legend(orient="bottom", title="verdict")),
        tooltip=["claim:N", "quantity:N", alt.Tooltip("gap:Q", title="derived ÷ stated", format=".3g"), "verdict:N"],
    )
    return (band + one + dots).properties(
        title=alt.Title("How far each derived number is from the talk's",
                        subtitle="Shaded: within ±25% and within a factor of 2 of the stated value"),
        width=260, height=height)
