"""Charts for the chapter ``train-20ms``: HBM drain time over release year, and the batch train's latency
distribution precomputed over a grid of arrival rates × capacities (the sliders filter it in the browser)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..charts import joint_labels, vega_string, vendor_color, vendor_shape, year_domain
from ..hardware import Hardware
from ..queueing import latency_grid, log_linear_trend

#: The band the chart shades around the talk's 20 ms (the ledger's ±25% tolerance), in ms.
BAND_MS = (15.0, 25.0)
#: Histogram bins in units of the period T: quarter periods from 1 T to 4 T, then one overflow bin.
BIN_EDGES_PERIODS = np.append(np.arange(1.0, 4.001, 0.25), np.inf)
OVERFLOW_LABEL_PERIODS = 4.25  # where the overflow bar is drawn


def drain_time_frame(hardware: list[Hardware]) -> pd.DataFrame:
    """One row per accelerator: name, vendor, year, drain time in ms (rounded), and a point label that joins
    the names of points drawn on top of each other (same year, within 1.5 ms), so labels do not overprint."""
    frame = pd.DataFrame({
        "hardware": [h.name for h in hardware], "vendor": [h.vendor for h in hardware],
        "year": [h.year for h in hardware],
        "capacity_GB": [round(h.hbm_capacity_bytes / 1e9, 1) for h in hardware],
        "bandwidth_TBps": [round(h.hbm_bandwidth_Bps / 1e12, 3) for h in hardware],
        "drain_ms": [round(h.hbm_drain_time_s * 1e3, 2) for h in hardware],
    })
    frame["label"] = joint_labels(frame, "drain_ms", tolerance=1.5)
    return frame


Y_TITLE = "HBM drain time C_hbm / W_hbm (ms)"


def drain_time_chart(hardware: list[Hardware], selected: str) -> alt.LayerChart:
    """Drain time C_hbm / W_hbm (ms) against release year, coloured by vendor, with the 20 ms band and the
    NVIDIA log-linear trend; a vendor dropdown highlights one vendor."""
    frame = drain_time_frame(hardware)
    nvidia = frame[frame["vendor"] == "NVIDIA"]
    layers = []
    band = alt.Chart(pd.DataFrame({"lo": [BAND_MS[0]], "hi": [BAND_MS[1]]})).mark_rect(
        color="#2e8b57", opacity=0.12).encode(y=alt.Y("lo:Q", title=Y_TITLE), y2="hi:Q")
    rule = alt.Chart(pd.DataFrame({"ms": [20.0], "label": ["the talk: 20 ms"]})).mark_rule(
        color="#2e8b57", strokeDash=[4, 3]).encode(y=alt.Y("ms:Q", title=Y_TITLE))
    rule_label = alt.Chart(pd.DataFrame({"ms": [20.0], "label": ["the talk: 20 ms (band ±25%)"]})).mark_text(
        align="left", x=4, dy=-6, color="#2e8b57", fontSize=11).encode(y=alt.Y("ms:Q", title=Y_TITLE), text="label:N")
    layers += [band, rule, rule_label]
    if len(nvidia) >= 2:
        growth, _ = log_linear_trend(nvidia["year"], nvidia["drain_ms"])
        slope = np.log1p(growth)
        years = np.array([nvidia["year"].min(), nvidia["year"].max()], dtype=float)
        mean_year = nvidia["year"].mean()
        level = float(np.exp(np.mean(np.log(nvidia["drain_ms"]))))
        trend = pd.DataFrame({"year": years, "drain_ms": np.round(level * np.exp(slope * (years - mean_year)), 2),
                              "label": f"NVIDIA trend: {growth * 100:+.1f}% a year"})
        layers.append(alt.Chart(trend).mark_line(color="#76b900", strokeDash=[6, 3], strokeWidth=1.5).encode(
            x=alt.X("year:Q", title="release year"), y=alt.Y("drain_ms:Q", title=Y_TITLE),
            tooltip=[alt.Tooltip("label:N", title="fit")]))
    vendor_pick = alt.param(name="vendor_pick", value="all",
                            bind=alt.binding_select(options=["all"] + sorted(frame["vendor"].unique()),
                                                    name="Highlight vendor "))
    points = alt.Chart(frame).mark_point(size=90, filled=True).encode(
        x=alt.X("year:Q", scale=alt.Scale(domain=year_domain(frame["year"], right=2)),
                axis=alt.Axis(format="d", title="release year")),
        y=alt.Y("drain_ms:Q", scale=alt.Scale(zero=True),
                axis=alt.Axis(title=Y_TITLE)),
        color=vendor_color(frame["vendor"]), shape=vendor_shape(frame["vendor"]),
        size=alt.condition(f"datum.hardware == {vega_string(selected)}", alt.value(220), alt.value(90)),
        opacity=alt.condition("vendor_pick == 'all' || datum.vendor == vendor_pick", alt.value(1.0), alt.value(0.15)),
        tooltip=["hardware:N", "vendor:N", "year:Q", alt.Tooltip("capacity_GB:Q", title="C_hbm (GB)"),
                 alt.Tooltip("bandwidth_TBps:Q", title="W_hbm (TB/s)"), alt.Tooltip("drain_ms:Q", title="T (ms)")],
    ).add_params(vendor_pick)
    labels = alt.Chart(frame).mark_text(align="left", dx=7, dy=-2, fontSize=10, color="#333").encode(
        x=alt.X("year:Q", title="release year"), y=alt.Y("drain_ms:Q", title=Y_TITLE), text="label:N",
        opacity=alt.condition("vendor_pick == 'all' || datum.vendor == vendor_pick", alt.value(1.0), alt.value(0.1)))
    layers += [points, labels]
    return alt.layer(*layers).properties(
        title=alt.Title("The train's period: time to read all of HBM once",
                        subtitle="C_hbm / W_hbm per accelerator; shaded: 20 ms ± 25%; dashed green: NVIDIA log-linear fit"),
        width=600, height=340)


def latency_frames(period_s: float, arrival_rates_per_s: np.ndarray, seats: np.ndarray,
                   seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate the grid and return (histogram, summary) frames with latencies in ms, rounded for a light page."""
    hist, summary = latency_grid(arrival_rates_per_s, seats, period_s, BIN_EDGES_PERIODS, seed=seed)
    h = pd.DataFrame(hist)
    h["hi"] = h["hi"].where(np.isfinite(h["hi"]), OVERFLOW_LABEL_PERIODS + 0.25)
    h["lo_ms"] = (h["lo"] * period_s * 1e3).round(2)
    h["hi_ms"] = (h["hi"] * period_s * 1e3).round(2)
    h["share"] = h["share"].round(4)
    h["rate_k"] = (h["rate"] / 1e3).round(3)
    h = h.loc[h["share"] > 0, ["rate_k", "seats", "lo_ms", "hi_ms", "share"]]  # empty bins draw nothing
    s = pd.DataFrame(summary)
    for col in ("mean_s", "p50_s", "p99_s", "worst_s"):
        s[col.replace("_s", "_ms")] = (s[col] * 1e3).round(1)
    s["rate_k"] = (s["rate"] / 1e3).round(3)
    s["load"] = s["load"].round(3)
    s["full_trains"] = s["full_trains"].round(3)
    return h, s[["rate_k", "seats", "load", "mean_ms", "p50_ms", "p99_ms", "worst_ms", "full_trains"]]


def latency_chart(hist: pd.DataFrame, summary: pd.DataFrame, period_s: float, default_rate_k: float,
                  default_seats: int) -> alt.LayerChart:
    """Histogram of request latency (ms) for the (λ, B) the sliders pick, with 2T and the talk's 40 ms marked
    and the mean / p50 / p99 / worst printed; the last bar collects every latency above 4T."""
    rates = sorted(hist["rate_k"].unique())
    seats = sorted(hist["seats"].unique())
    rate_step = float(np.round(rates[1] - rates[0], 6)) if len(rates) > 1 else 1.0
    seat_step = int(seats[1] - seats[0]) if len(seats) > 1 else 1
    rate = alt.param(name="rate_k", value=default_rate_k,
                     bind=alt.binding_range(min=float(rates[0]), max=float(rates[-1]), step=rate_step,
                                            name="arrival rate λ (thousand requests/s) "))
    cap = alt.param(name="seats_b", value=int(default_seats),
                    bind=alt.binding_range(min=int(seats[0]), max=int(seats[-1]), step=seat_step,
                                           name="train capacity B (seats) "))
    keep = "abs(datum.rate_k - rate_k) < 1e-6 && datum.seats == seats_b"
    t_ms = period_s * 1e3
    x_title = "latency: wait on the platform + one ride (ms)"
    bars = alt.Chart(hist).transform_filter(keep).mark_bar(color="#1f5fa6", opacity=0.85).encode(
        x=alt.X("lo_ms:Q", title=x_title,
                scale=alt.Scale(domain=[0, round((OVERFLOW_LABEL_PERIODS + 0.5) * t_ms, 1)])),
        x2="hi_ms:Q",
        y=alt.Y("share:Q", title="share of requests", axis=alt.Axis(format="%"), scale=alt.Scale(zero=True)),
        y2=alt.datum(0),
        tooltip=[alt.Tooltip("lo_ms:Q", title="from (ms)"), alt.Tooltip("hi_ms:Q", title="to (ms)"),
                 alt.Tooltip("share:Q", format=".1%")],
    )
    marks = pd.DataFrame({"ms": [round(2 * t_ms, 2), 40.0], "label": [f"2T = {2 * t_ms:.1f} ms", "the talk: 40 ms"],
                          "side": ["right", "left"]})
    rules = alt.Chart(marks).mark_rule(strokeDash=[4, 3], color="#d1495b").encode(
        x=alt.X("ms:Q", title=x_title))
    # Each label on the outer side of its rule, at the top, so the two never overprint each other or the bars.
    right_of = 2 * t_ms >= 40.0
    rule_text = alt.layer(*[
        alt.Chart(marks[marks["ms"] == ms]).mark_text(align=("left" if outer_right else "right"),
                                                      dx=(3 if outer_right else -3), baseline="top", fontSize=11,
                                                      color="#d1495b", y=-14).encode(x=alt.X("ms:Q", title=x_title), text="label:N")
        for ms, outer_right in ((round(2 * t_ms, 2), right_of), (40.0, not right_of))
    ])
    overflow = alt.Chart(pd.DataFrame({"ms": [round(OVERFLOW_LABEL_PERIODS * t_ms, 1)], "label": ["> 4T"]})).mark_text(
        baseline="top", fontSize=11, color="#555").encode(x=alt.X("ms:Q", title=x_title), y=alt.value(36), text="label:N")
    stats = alt.Chart(summary).transform_filter(keep).transform_calculate(
        line1="'load ρ = λT/B = ' + format(datum.load, '.2f') + ';  full trains: ' + format(datum.full_trains, '.0%')",
        line2="'mean ' + format(datum.mean_ms, ',.1f') + ' ms · p50 ' + format(datum.p50_ms, ',.1f') + ' ms · p99 ' "
              "+ format(datum.p99_ms, ',.1f') + ' ms · worst ' + format(datum.worst_ms, ',.1f') + ' ms'",
    )
    text1 = stats.mark_text(align="left", x=8, y=64, fontSize=12, color="#222").encode(text="line1:N")
    text2 = stats.mark_text(align="left", x=8, y=82, fontSize=12, color="#222").encode(text="line2:N")
    return alt.layer(bars, rules, rule_text, overflow, text1, text2).add_params(rate, cap).properties(
        title=alt.Title(f"Latency of a request on the batch train (period T = {t_ms:.1f} ms)",
                        subtitle="Poisson arrivals, a train every T with B seats, first come first served; "
                                 "simulated, 500 trains per setting"),
        width=600, height=300)
