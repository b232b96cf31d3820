"""The calculator page's chart: cost per million tokens against batch, with the batches that do not fit greyed.

The spec has no data of its own: its four named data sets are filled in the reader's browser by
``lib/calculator.js`` each time an input changes (``curve``: batch and cost where the batch fits; ``infeasible``:
the range of batches that do not fit; ``current``: the reader's batch; ``target``: the largest batch that keeps
the per-user speed target).
"""

from __future__ import annotations

import altair as alt

from ..charts import BOUND_COLORS, PALETTE, log_axis

#: Named data sets the page's script fills.
DATASETS = ("curve", "infeasible", "current", "target")


def cost_chart_spec() -> dict:
    """The Vega-Lite spec (a dict) of the calculator's chart, at the container's width."""
    scale = alt.Scale(type="log", nice=False)  # the grey region reaches the axis' end
    title = "batch B (sequences)"

    def x(field: str) -> alt.X:
        return alt.X(f"{field}:Q", scale=scale, axis=log_axis(title), title=title)

    y = alt.Y("usd:Q", scale=alt.Scale(type="log"), axis=log_axis("USD per million tokens"),
              title="USD per million tokens")
    greyed = alt.Chart(alt.NamedData("infeasible")).mark_rect(color="#9a9a9a", opacity=0.22).encode(
        x=x("from"), x2="to:Q")
    # At the grey region's right end (the axis' end), so that a region that starts near the end keeps its label
    # inside the chart.
    greyed_label = alt.Chart(alt.NamedData("infeasible")).mark_text(
        align="right", baseline="top", dx=-4, dy=4, color="#555", fontSize=12).encode(
        x=x("to"), y=alt.value(0), text="label:N")
    line = alt.Chart(alt.NamedData("curve")).mark_line(color=PALETTE[0]).encode(
        x=x("batch"), y=y, tooltip=[alt.Tooltip("batch:Q", title="batch", format=","),
                                    alt.Tooltip("usd:Q", title="USD per million tokens", format=".4~g")])
    current = alt.Chart(alt.NamedData("current")).mark_point(color=BOUND_COLORS["compute"], size=90).encode(
        x=x("batch"), y=y)
    target = alt.Chart(alt.NamedData("target")).mark_rule(color=PALETTE[2], strokeDash=[5, 3]).encode(x=x("batch"))
    target_label = alt.Chart(alt.NamedData("target")).mark_text(
        align="right", baseline="bottom", dx=-4, color=PALETTE[2], fontSize=12).encode(
        x=x("batch"), y=alt.value(300), text="label:N")
    chart = alt.layer(greyed, greyed_label, line, current, target, target_label).properties(
        width="container", height=300,
        title=alt.Title("Cost per million tokens against batch", subtitle="The ideal bound, at the price set"))
    return chart.to_dict()
