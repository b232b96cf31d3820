"""The measured-hardware page's table and chart: published benchmarks against their datasheet rows."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..charts import PALETTE
from ..measure import QUANTITY_LABELS
from ..units import si

#: One colour per measured figure (bandwidth, then the precisions).
FIGURE_COLORS = dict(zip(QUANTITY_LABELS.values(), PALETTE))


def fraction_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The measurements as display strings: accelerator, who measured, figure, measured, datasheet, η, date."""
    unit = {"hbm_bandwidth": "B/s"}
    return pd.DataFrame({
        "accelerator": frame["hardware"],
        "measurement": frame["measurement"].str.split(", ", n=1).str[-1],
        "figure": frame["label"],
        "measured": [si(v, unit.get(q, "FLOP/s")) for v, q in zip(frame["measured"], frame["quantity"])],
        "datasheet": [si(v, unit.get(q, "FLOP/s")) for v, q in zip(frame["datasheet"], frame["quantity"])],
        "measured ÷ datasheet": [f"{f:.0%}" for f in frame["fraction"]],
        "date": frame["date"],
    })


def fraction_chart(frame: pd.DataFrame, hardware_order: list[str]) -> alt.LayerChart:
    """A dot per published figure at η = measured ÷ datasheet (0 to 1), one line per accelerator, coloured by
    the figure measured; the rule at 1 is the datasheet."""
    points = frame.assign(percent=(frame["fraction"] * 100).round(1))[
        ["hardware", "measurement", "label", "fraction", "percent", "date"]]
    order = [h for h in hardware_order if h in set(points["hardware"])]
    labels = [label for label in FIGURE_COLORS if label in set(points["label"])]
    x = alt.X("fraction:Q", scale=alt.Scale(domain=[0, 1]),
              axis=alt.Axis(title="measured ÷ datasheet (η)", format="%"))
    rule = alt.Chart(pd.DataFrame({"fraction": [1.0]})).mark_rule(color="#333").encode(x=x)
    dots = alt.Chart(points).mark_point(filled=True, size=90, opacity=0.85).encode(
        x=x,
        y=alt.Y("hardware:N", sort=order, axis=alt.Axis(title=None)),
        color=alt.Color("label:N", scale=alt.Scale(domain=labels, range=[FIGURE_COLORS[k] for k in labels]),
                        legend=alt.Legend(title="figure measured", orient="bottom", columns=2)),
        shape=alt.Shape("label:N", scale=alt.Scale(domain=labels), legend=None),
        tooltip=[alt.Tooltip("measurement:N"), alt.Tooltip("label:N", title="figure"),
                 alt.Tooltip("percent:Q", title="% of datasheet"), alt.Tooltip("date:N")],
    )
    return (rule + dots).properties(
        title=alt.Title("What benchmarks reach of the datasheet",
                        subtitle="Published measurements; 100% is the datasheet peak"),
        width=300, height=max(120, 28 * len(order)))
