"""Charts for the chapter ``train-20ms``: HBM drain time over release year, and the batch train's latency
distribution precomputed over a grid of arrival rates × capacities (the sliders filter it in the browser)."""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd

from ..charts import joint_labels, vega_string, vendor_color, vendor_shape, year_domain
from ..hardware import Hardware
from ..queueing import latency_grid, log_linear_trend
from ..units import si
from . import labels as lab

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
#: The drain-time chart's plot height (px), point sizes (Vega area, px²) and label font (px).
DRAIN_HEIGHT_PX = 340
POINT_SIZE, SELECTED_SIZE, LABEL_FONT_PX = 90.0, 220.0, 10.0
RULE_LABEL = "the talk: 20 ms (band ±25%)"


def drain_time_axes(frame: pd.DataFrame) -> tuple[lab.Axis, lab.Axis]:
    """The chart's x (release year) and y (ms, from 0 to the next 5 ms above the highest point or the band)."""
    top = 5.0 * np.ceil(1.05 * max(float(frame["drain_ms"].max()), BAND_MS[1]) / 5.0)
    return lab.Axis(tuple(year_domain(frame["year"], right=2.5))), lab.Axis((0.0, float(top)))


def drain_time_labels(frame: pd.DataFrame, selected: str) -> pd.DataFrame:
    """``frame`` with label positions (see :func:`lib.figures.labels.placed_label_columns`) for the chart's
    height: the selected accelerator labelled first, then the rest in data order; the talk's rule label kept
    clear."""
    x, y = drain_time_axes(frame)
    order = np.argsort(~(frame["hardware"] == selected).to_numpy(), kind="stable")
    f = frame.iloc[order].reset_index(drop=True)
    v = 1.0 - y.fraction(f["drain_ms"])
    sizes = np.where(f["hardware"] == selected, SELECTED_SIZE, POINT_SIZE)
    rule_y = (1.0 - float(y.fraction([20.0])[0])) * DRAIN_HEIGHT_PX
    rule_box = lab.text_box(0.0, rule_y, RULE_LABEL, 11.0, "left", dx=4, dy=-10)
    placed = lab.placed_label_columns(x.fraction(f["year"]), v, f["label"], DRAIN_HEIGHT_PX, LABEL_FONT_PX,
                                      sizes, obstacles=lambda band: [rule_box])
    return pd.concat([f, placed], axis=1)


def drain_time_chart(hardware: list[Hardware], selected: str) -> alt.LayerChart:
    """Drain time C_hbm / W_hbm (ms) against release year, coloured by vendor, with the 20 ms band and the
    NVIDIA log-linear trend; a vendor dropdown highlights one vendor. Point labels are placed so that they do
    not overprint at any width (:mod:`lib.figures.labels`)."""
    frame = drain_time_labels(drain_time_frame(hardware), selected)
    x_axis, y_axis = drain_time_axes(frame)
    y_scale = y_axis.scale()
    nvidia = frame[frame["vendor"] == "NVIDIA"]
    layers = []
    band = alt.Chart(pd.DataFrame({"lo": [BAND_MS[0]], "hi": [BAND_MS[1]]})).mark_rect(
        color="#2e8b57", opacity=0.12).encode(y=alt.Y("lo:Q", title=Y_TITLE, scale=y_scale), y2="hi:Q")
    rule = alt.Chart(pd.DataFrame({"ms": [20.0], "label": ["the talk: 20 ms"]})).mark_rule(
        color="#2e8b57", strokeDash=[4, 3]).encode(y=alt.Y("ms:Q", title=Y_TITLE))
    rule_label = alt.Chart(pd.DataFrame({"ms": [20.0], "label": [RULE_LABEL]})).mark_text(
        align="left", baseline="middle", x=4, dy=-10, color="#2e8b57", fontSize=11).encode(
        y=alt.Y("ms:Q", title=Y_TITLE), text="label:N")
    layers += [band, rule, rule_label]
    x = alt.X("year:Q", scale=x_axis.scale(), axis=alt.Axis(format="d", title="release year"))
    if len(nvidia) >= 2:
        growth, _ = log_linear_trend(nvidia["year"], nvidia["drain_ms"])
        slope = np.log1p(growth)
        years = np.array([nvidia["year"].min(), nvidia["year"].max()], dtype=float)
        mean_year = nvidia["year"].mean()
        level = float(np.exp(np.mean(np.log(nvidia["drain_ms"]))))
        trend = pd.DataFrame({"year": years, "drain_ms": np.round(level * np.exp(slope * (years - mean_year)), 2),
                              "label": f"NVIDIA trend: {growth * 100:+.1f}% a year"})
        layers.append(alt.Chart(trend).mark_line(color="#76b900", strokeDash=[6, 3], strokeWidth=1.5).encode(
            x=x, y=alt.Y("drain_ms:Q", title=Y_TITLE), tooltip=[alt.Tooltip("label:N", title="fit")]))
    vendor_pick = alt.param(name="vendor_pick", value="all",
                            bind=alt.binding_select(options=["all"] + sorted(frame["vendor"].unique()),
                                                    name="Highlight vendor "))
    y = alt.Y("drain_ms:Q", scale=y_scale, axis=alt.Axis(title=Y_TITLE))
    points = alt.Chart(frame).mark_point(size=POINT_SIZE, filled=True).encode(
        x=x, y=y, color=vendor_color(frame["vendor"]), shape=vendor_shape(frame["vendor"]),
        size=alt.condition(f"datum.hardware == {vega_string(selected)}", alt.value(SELECTED_SIZE),
                           alt.value(POINT_SIZE)),
        opacity=alt.condition("vendor_pick == 'all' || datum.vendor == vendor_pick", alt.value(1.0), alt.value(0.15)),
        tooltip=["hardware:N", "vendor:N", "year:Q", alt.Tooltip("capacity_GB:Q", title="C_hbm (GB)"),
                 alt.Tooltip("bandwidth_TBps:Q", title="W_hbm (TB/s)"), alt.Tooltip("drain_ms:Q", title="T (ms)")],
    ).add_params(vendor_pick)
    labels = lab.label_layer(
        alt.Chart(frame), x, y, LABEL_FONT_PX,
        opacity=alt.condition("vendor_pick == 'all' || datum.vendor == vendor_pick", alt.value(1.0), alt.value(0.1)))
    layers += [points, labels]
    return alt.layer(*layers).properties(
        title=alt.Title("The train's period: time to read all of HBM once",
                        subtitle="C_hbm / W_hbm per accelerator; shaded: 20 ms ± 25%; dashed green: NVIDIA log-linear "
                                 "fit; unlabelled points name themselves on hover"),
        width=600, height=DRAIN_HEIGHT_PX)


def latency_frames(period_s: float, arrival_rates_per_s: np.ndarray, seats: np.ndarray,
                   seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate the grid and return (histogram, summary) frames: the histogram's bars by bin index (the bins of
    ``BIN_EDGES_PERIODS``), the summary's latencies in ms, rounded for a light page."""
    hist, summary = latency_grid(arrival_rates_per_s, seats, period_s, BIN_EDGES_PERIODS, seed=seed)
    h = pd.DataFrame(hist)
    # Each bar by its bin's index: the chart reads the bin's ends (in periods, BIN_EDGES_PERIODS with the
    # overflow bin drawn up to 4.5 T) from two short arrays instead of two columns on every row.
    h["bin"] = np.searchsorted(BIN_EDGES_PERIODS, h["lo"].to_numpy()).astype(int)
    h["share"] = h["share"].round(4)
    h["rate_k"] = (h["rate"] / 1e3).round(3)
    h = h.loc[h["share"] > 0, ["rate_k", "seats", "bin", "share"]]  # empty bins draw nothing
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
    bin_lo = json.dumps([round(float(e * t_ms), 2) for e in BIN_EDGES_PERIODS[:-1]])
    bin_hi = json.dumps([round(float(e * t_ms), 2)
                         for e in np.append(BIN_EDGES_PERIODS[1:-1], OVERFLOW_LABEL_PERIODS + 0.25)])
    bars = alt.Chart(hist).transform_filter(keep).transform_calculate(
        lo_ms=f"{bin_lo}[datum.bin]", hi_ms=f"{bin_hi}[datum.bin]").mark_bar(color="#1f5fa6", opacity=0.85).encode(
        x=alt.X("lo_ms:Q", title=x_title,
                scale=alt.Scale(domain=[0, round((OVERFLOW_LABEL_PERIODS + 0.5) * t_ms, 1)])),
        x2="hi_ms:Q",
        y=alt.Y("share:Q", title="share of requests", axis=alt.Axis(format="%"), scale=alt.Scale(zero=True)),
        y2=alt.datum(0),
        tooltip=[alt.Tooltip("lo_ms:Q", title="from (ms)"), alt.Tooltip("hi_ms:Q", title="to (ms)"),
                 alt.Tooltip("share:Q", format=".1%")],
    )
    marks = pd.DataFrame({"ms": [round(2 * t_ms, 2), 40.0], "label": [f"2T = {si(2 * period_s, 's')}", "the talk: 40 ms"],
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
        line2="'mean ' + format(datum.mean_ms, ',.1f') + ' ms · p50 ' + format(datum.p50_ms, ',.1f') + ' ms\\n' + 'p99 ' "
              "+ format(datum.p99_ms, ',.1f') + ' ms · worst ' + format(datum.worst_ms, ',.1f') + ' ms'",
    )
    text1 = stats.mark_text(align="left", x=8, y=64, fontSize=12, color="#222").encode(text="line1:N")
    text2 = stats.mark_text(align="left", x=8, y=82, lineBreak="\n", fontSize=12, color="#222").encode(text="line2:N")
    return alt.layer(bars, rules, rule_text, overflow, text1, text2).add_params(rate, cap).properties(
        title=alt.Title(f"Latency of a request on the batch train (period T = {si(period_s, 's')})",
                        subtitle="Poisson arrivals, a train every T with B seats, first come first served; "
                                 "simulated, 500 trains per setting"),
        width=600, height=300)


def latency_grids(seats: int, period_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Slider grids for :func:`latency_chart` around the train's seats B: eight seat counts in even steps up to
    2B, and fifteen arrival rates in even steps up to 1.2× the capacity of the largest train."""
    step = _nice(max(1.0, seats / 4.0))
    seat_grid = step * np.arange(1, 9)
    rate_step = _nice(1.2 * seat_grid[-1] / period_s / 15.0)
    return rate_step * np.arange(1, 16), seat_grid.astype(int)


def _nice(x: float) -> float:
    """The number 1, 2 or 5 × 10^k nearest above x."""
    exponent = np.floor(np.log10(x))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * 10 ** exponent >= x:
            return float(m * 10 ** exponent)
    return float(10 ** (exponent + 1))


# --------------------------------------------------------------------------------------------------
# Seats: the refined B* against the capacity of a replica


SEATS_COLORS = {"pooled B* (refined)": "#1f5fa6", "capacity of the replica": "#d1495b",
                "seats = min(B*, capacity)": "#222222"}


def seats_frame(hardware, model, contexts: np.ndarray, chips: list[int],
                precision=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """B*(L) (pooled, refined) and max_batch(n, L) for each replica size n on a context grid, in the formats
    ``precision`` (the seats' own, :attr:`lib.batching.Seats.precisions`): (the B* curve, the capacity curves)
    with values rounded for a light page; B* is dropped where it is unbounded."""
    from ..roofline import max_batch, pooled_optimal_batch

    b_star = np.array([pooled_optimal_batch(hardware, model, float(l), precision) for l in contexts])
    star = pd.DataFrame({"context": contexts, "b_star": b_star})
    star = star[np.isfinite(star["b_star"])].round({"b_star": 1})
    rows = []
    for n in chips:
        cap = np.asarray(max_batch(model, hardware, int(n), contexts, precision), dtype=float)
        for l, c, b in zip(contexts, cap, b_star):
            rows.append({"context": float(l), "chips": int(n), "capacity": float(c),
                         "seats": float(min(c, b)) if np.isfinite(b) else float(c)})
    return star, pd.DataFrame(rows)


def seats_chart(star: pd.DataFrame, capacity: pd.DataFrame, blackboard_b: float, marks: dict[str, float],
                default_chips: int) -> alt.LayerChart:
    """Sequences against context (log-log): the refined pooled B*, the capacity of a replica of n accelerators
    (a slider), the seats min(B*, capacity) and the blackboard's B* as a dashed rule; vertical rules at the
    named contexts (``marks``: label → tokens)."""
    chips = sorted(capacity["chips"].unique())
    n = alt.param(name="tr_chips", value=int(default_chips),
                  bind=alt.binding_range(min=int(chips[0]), max=int(chips[-1]), step=int(chips[1] - chips[0])
                                         if len(chips) > 1 else 1,
                                         name="accelerators per replica n "))
    domain = [float(capacity["context"].min()), float(capacity["context"].max())]
    x = alt.X("context:Q", scale=alt.Scale(type="log", domain=domain, nice=False),
              axis=alt.Axis(title="context L (tokens, log)", format="~s"))
    y_title = "sequences per step (log)"
    y_scale = alt.Scale(type="log", domain=[1, 1e5], clamp=False)
    color = alt.Color("curve:N", title=None, scale=alt.Scale(domain=list(SEATS_COLORS), range=list(SEATS_COLORS.values())),
                      legend=alt.Legend(orient="bottom"))
    star_line = alt.Chart(star).transform_calculate(curve="'pooled B* (refined)'").mark_line(clip=True).encode(
        x=x, y=alt.Y("b_star:Q", scale=y_scale, title=y_title), color=color,
        tooltip=[alt.Tooltip("context:Q", format=",.0f", title="L (tokens)"),
                 alt.Tooltip("b_star:Q", format=",.0f", title="pooled B*")])
    mine = capacity.loc[capacity["capacity"] >= 1]
    cap_line = alt.Chart(mine).transform_filter("datum.chips == tr_chips").transform_calculate(
        curve="'capacity of the replica'").mark_line(strokeDash=[5, 3], clip=True).encode(
        x=x, y=alt.Y("capacity:Q", title=y_title), color=color,
        tooltip=[alt.Tooltip("context:Q", format=",.0f", title="L (tokens)"), alt.Tooltip("chips:Q", title="n"),
                 alt.Tooltip("capacity:Q", format=",.0f", title="sequences that fit")])
    seat_line = alt.Chart(mine).transform_filter("datum.chips == tr_chips").transform_calculate(
        curve="'seats = min(B*, capacity)'").mark_line(strokeWidth=5, opacity=0.3, clip=True).encode(
        x=x, y=alt.Y("seats:Q", title=y_title), color=color,
        tooltip=[alt.Tooltip("context:Q", format=",.0f", title="L (tokens)"),
                 alt.Tooltip("seats:Q", format=",.0f", title="seats")])
    board = pd.DataFrame({"b": [float(blackboard_b)], "label": [f"blackboard B* = {blackboard_b:,.0f} (no KV, bf16)"]})
    board_rule = alt.Chart(board).mark_rule(color="#777", strokeDash=[2, 3]).encode(y="b:Q")
    board_text = alt.Chart(board).mark_text(align="right", x="width", dx=-4, dy=-6, fontSize=11, color="#555").encode(
        y="b:Q", text="label:N")
    ticks = pd.DataFrame({"context": list(marks.values()), "label": list(marks)})
    tick_rule = alt.Chart(ticks).mark_rule(color="#999").encode(x="context:Q")
    tick_text = alt.Chart(ticks).mark_text(angle=270, align="left", baseline="bottom", dx=-3, y=316,
                                           fontSize=10, color="#555").encode(x="context:Q", text="label:N")
    return alt.layer(tick_rule, tick_text, board_rule, board_text, star_line, cap_line, seat_line).add_params(n).properties(
        title=alt.Title("How many seats the train has",
                        subtitle="the refined B* against what the replica's HBM holds; the seats are the smaller"),
        width=560, height=320)


# --------------------------------------------------------------------------------------------------
# Continuous batching: time to first token and time per output token against load


POLICY_COLORS = ["#1f5fa6", "#edae49", "#d1495b"]


def batching_frame(summaries: list[dict]) -> pd.DataFrame:
    """Long form of simulation summaries (scenario, policy, rate, p50/p99 of TTFT and TPOT in ms) for the chart."""
    rows = []
    for s in summaries:
        for metric, label in (("ttft", "time to first token"), ("tpot", "time per output token")):
            for q, name in ((0.5, "p50"), (0.99, "p99")):
                rows.append({"scenario": s["scenario"], "policy": s["policy"], "rate": round(s["rate"], 3),
                             "load": round(s["load"], 3), "metric": label, "percentile": name,
                             "ms": round(1e3 * s[f"{metric}_p{int(q * 100)}"], 2)})
    return pd.DataFrame(rows)


def batching_chart(frame: pd.DataFrame, capacities: pd.DataFrame, period_s: float, default_scenario: str,
                   policies: list[str]) -> alt.LayerChart:
    """Latency (ms, log) against arrival rate for one traffic scenario (dropdown) and one metric (dropdown):
    a line per scheduling policy, solid p50 and dashed p99; the talk's 2T and 40 ms (for TTFT) or T and
    20 ms (for TPOT) as rules; each policy's capacity λ_max as a vertical rule."""
    scenarios = list(dict.fromkeys(frame["scenario"]))
    pick = alt.param(name="cb_scenario", value=default_scenario,
                     bind=alt.binding_select(options=scenarios, name="Traffic "))
    metric = alt.param(name="cb_metric", value="time to first token",
                       bind=alt.binding_select(options=["time to first token", "time per output token"],
                                               name="Latency "))
    keep = "datum.scenario == cb_scenario && datum.metric == cb_metric"
    x = alt.X("rate:Q", title="arrival rate λ (requests/s)", scale=alt.Scale(zero=True))
    y = alt.Y("ms:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="latency (ms, log)", format="~g"))
    color = alt.Color("policy:N", title="scheduling", scale=alt.Scale(domain=policies, range=POLICY_COLORS[:len(policies)]),
                      legend=alt.Legend(orient="bottom", direction="vertical"))
    lines = alt.Chart(frame).transform_filter(keep).mark_line(point=alt.OverlayMarkDef(size=25)).encode(
        x=x, y=y, color=color,
        strokeDash=alt.StrokeDash("percentile:N", title="percentile", scale=alt.Scale(domain=["p50", "p99"],
                                                                                        range=[[1, 0], [5, 3]]),
                                  legend=alt.Legend(orient="bottom")),
        detail="percentile:N",
        tooltip=[alt.Tooltip("policy:N"), alt.Tooltip("percentile:N"), alt.Tooltip("rate:Q", format=",.1f", title="λ (req/s)"),
                 alt.Tooltip("load:Q", format=".2f", title="load ρ"), alt.Tooltip("ms:Q", format=",.1f", title="ms")])
    t_ms = period_s * 1e3
    refs = pd.DataFrame([
        {"metric": "time to first token", "ms": round(2 * t_ms, 2), "label": f"2T = {si(2 * period_s, 's')}", "side": "right"},
        {"metric": "time to first token", "ms": 40.0, "label": "the talk: 40 ms", "side": "left"},
        {"metric": "time per output token", "ms": round(t_ms, 2), "label": f"T = {si(period_s, 's')}", "side": "right"},
        {"metric": "time per output token", "ms": 20.0, "label": "the talk: 20 ms", "side": "left"},
    ])
    rules = alt.Chart(refs).transform_filter("datum.metric == cb_metric").mark_rule(
        color="#555", strokeDash=[2, 3]).encode(y="ms:Q")
    rule_text = alt.layer(*[
        alt.Chart(refs[refs["side"] == side]).transform_filter("datum.metric == cb_metric").mark_text(
            align=side, x=("width" if side == "right" else 4), dx=(-4 if side == "right" else 0), dy=(-5 if side == "right" else 10), fontSize=10,
            color="#555").encode(y="ms:Q", text="label:N")
        for side in ("left", "right")])
    cap = alt.Chart(capacities).transform_filter("datum.scenario == cb_scenario").mark_rule(
        strokeDash=[1, 2], strokeWidth=1.5).encode(
        x="rate:Q", color=alt.Color("policy:N", scale=alt.Scale(domain=policies, range=POLICY_COLORS[:len(policies)]),
                                    title="scheduling", legend=alt.Legend(orient="bottom", direction="vertical")),
        tooltip=[alt.Tooltip("policy:N"), alt.Tooltip("rate:Q", format=",.1f", title="capacity λ_max (req/s)")])
    return alt.layer(cap, rules, rule_text, lines).add_params(pick, metric).properties(
        title=alt.Title("Requests hold their seats: latency against arrival rate",
                        subtitle="continuous batching on the refined step model; dotted: each policy's capacity"),
        width=560, height=320)


# --------------------------------------------------------------------------------------------------
# Speculative decoding: cost per token and per-user speed against batch


def speculative_frame(hardware, model, chips: int, batches: np.ndarray, contexts: dict[str, float],
                      drafts=(1, 2, 3), draft_cost_fraction: float | None = None, precision=None) -> pd.DataFrame:
    """t_spec / t_step for each draft length γ (``k`` in the frame), context and batch (the acceptance enters in
    the browser)."""
    from ..speculative import MTP_DRAFT_COST_FRACTION, speculative_step

    delta = MTP_DRAFT_COST_FRACTION if draft_cost_fraction is None else draft_cost_fraction
    rows = []
    for label, context in contexts.items():
        for k in drafts:
            s = speculative_step(hardware, model, batches, context, k, 1.0, delta, precision, chips=chips)
            ratio = np.asarray(s.step_s / s.plain.step_s)
            for b, r in zip(batches, ratio):
                rows.append({"context": label, "k": int(k), "batch": float(b), "time_ratio": round(float(r), 5)})
    return pd.DataFrame(rows)


def speculative_chart(frame: pd.DataFrame, capacities: pd.DataFrame, default_context: str,
                      default_acceptance: float) -> alt.VConcatChart:
    """Two panels against batch (log): cost per token with speculation ÷ without, and per-user speed-up, one
    line per draft length γ; a slider for the acceptance α_acc, a dropdown for the context; 1 marked; the smallest
    replica's capacity at that context as a vertical rule."""
    contexts = list(dict.fromkeys(frame["context"]))
    a = alt.param(name="sd_a", value=float(default_acceptance),
                  bind=alt.binding_range(min=0.3, max=0.98, step=0.01, name="acceptance α_acc "))
    ctx = alt.param(name="sd_context", value=default_context,
                    bind=alt.binding_select(options=contexts, name="Context "))
    base = (alt.Chart(frame).transform_filter("datum.context == sd_context")
            .transform_calculate(E="(1 - pow(sd_a, datum.k + 1)) / (1 - sd_a)")
            .transform_calculate(cost="datum.time_ratio / datum.E", speed="datum.E / datum.time_ratio",
                                 draft="'γ = ' + datum.k"))
    x = alt.X("batch:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="batch B (sequences, log)", format="~s"))
    color = alt.Color("draft:N", title="draft tokens", scale=alt.Scale(range=["#1f5fa6", "#2e8b57", "#6b4c9a"]),
                      legend=alt.Legend(orient="bottom"))
    tip = [alt.Tooltip("draft:N"), alt.Tooltip("batch:Q", format=",.0f"), alt.Tooltip("E:Q", format=".2f", title="tokens/step μ"),
           alt.Tooltip("cost:Q", format=".2f", title="cost ratio"), alt.Tooltip("speed:Q", format=".2f", title="speed-up")]
    one = pd.DataFrame({"y": [1.0]})
    cap = alt.Chart(capacities).transform_filter("datum.context == sd_context").mark_rule(color="#999", strokeDash=[2, 3]).encode(
        x="batch:Q", tooltip=[alt.Tooltip("batch:Q", format=",.0f", title="sequences that fit the smallest replica")])

    def panel(field: str, title: str, subtitle: str):
        line = base.mark_line().encode(x=x, y=alt.Y(f"{field}:Q", title=title, scale=alt.Scale(zero=False)),
                                       color=color, tooltip=tip)
        rule = alt.Chart(one).mark_rule(color="#555").encode(y="y:Q")
        return alt.layer(cap, rule, line).properties(width=560, height=200,
                                                     title=alt.Title(title, subtitle=subtitle, fontSize=13))

    return alt.vconcat(
        panel("cost", "cost per token with speculation ÷ without", "below 1 it pays; dotted: the smallest replica's capacity"),
        panel("speed", "per-user speed-up", "tokens per second one sequence sees, ÷ plain decoding"),
    ).add_params(a, ctx).properties(title=alt.Title("A seat that carries more than one token",
                                                    subtitle="speculative decoding on the refined step model"))


# --------------------------------------------------------------------------------------------------
# Tables for the chapter (assembly only: every number comes from lib.roofline, lib.queueing, lib.batching and
# lib.derivations.train_20ms)


def inputs_frame(sel, seat, context_tokens: float, blackboard_seats: int) -> pd.DataFrame:
    """The chapter's inputs: the accelerator, its period T, the model, the seated context and the seats."""
    from ..page import data_file

    hw, model = sel.hardware, sel.model
    hw_csv = data_file(sel, "hardware.csv")
    return pd.DataFrame([
        {"input": "accelerator", "value": hw.name, "source": hw.source.split(" ; ")[0]},
        {"input": "C_hbm", "value": si(hw.hbm_capacity_bytes, "B"), "source": hw_csv},
        {"input": "W_hbm", "value": si(hw.hbm_bandwidth_Bps, "B/s"), "source": hw_csv},
        {"input": "T = C_hbm / W_hbm", "value": si(hw.hbm_drain_time_s, "s"), "source": "eq. (eq-tr-period)"},
        {"input": "model (for the seats)", "value": model.name, "source": model.source.split(" ; ")[0]},
        {"input": "context L of a seated sequence", "value": f"{context_tokens:,.0f} tokens",
         "source": data_file(sel, "deepseek_day.csv") + " (mean KV length per output token)"},
        {"input": "replica n (weights ≤ w of usable HBM)", "value": f"{seat.chips} × {hw.name}",
         "source": "eq. (eq-tr-seats), lib.modes.standard_mode"},
        {"input": "formats: weights, KV cache", "value": f"{seat.precisions.weights}, {seat.precisions.kv}",
         "source": "model release format; the standard mode's KV (lib.modes.STANDARD_KV_FORMAT)"},
        {"input": "seats B = min(B*, B_cap)", "value": f"{seat.seats:,}",
         "source": "eq. (eq-tr-seats), lib.batching.refined_seats"},
        {"input": "the first edition's seats (blackboard B*)", "value": f"{blackboard_seats:,}",
         "source": "lib.roofline.optimal_batch"},
    ])


def drain_table(hardware: list[Hardware], times_s, within_band) -> pd.DataFrame:
    """Every accelerator's C_hbm, W_hbm, drain time T = C/W (``times_s``), trains per second, and whether T
    lies in the talk's band (``within_band``)."""
    return pd.DataFrame({
        "accelerator": [h.name for h in hardware], "vendor": [h.vendor for h in hardware],
        "year": [h.year for h in hardware],
        "C_hbm": [si(h.hbm_capacity_bytes, "B") for h in hardware],
        "W_hbm": [si(h.hbm_bandwidth_Bps, "B/s") for h in hardware],
        "T = C/W": [si(t, "s") for t in times_s],
        "trains per second": [f"{1 / t:.0f}" for t in times_s],
        "within 20 ms ± 25%": np.where(within_band, "yes", "no"),
    })


def seats_table(rows: list[dict], chips: int, hardware_name: str) -> pd.DataFrame:
    """The seats at each context (``rows`` from :func:`lib.derivations.train_20ms.seat_rows`)."""
    from ..units import count

    return pd.DataFrame({
        "context": [f"{r['label']}: {r['context']:,.0f}" for r in rows],
        "blackboard B*": [f"{r['blackboard']:,}" for r in rows],
        "refined B*": [f"{r['b_star']:,.0f}" if np.isfinite(r["b_star"]) else "unbounded" for r in rows],
        f"fit {chips} × {hardware_name}": [count(r["capacity"]) if np.isfinite(r["capacity"]) else "no limit"
                                           for r in rows],
        "seats B": [f"{r['seats']:,}" for r in rows], "binds": [r["binds"] for r in rows],
        "accelerators to seat B*": [f"{r['chips_for_b_star']:.0f}" if np.isfinite(r["chips_for_b_star"]) else "—"
                                    for r in rows],
        "refined step at B": [si(r["step_s"], "s") for r in rows], "step ÷ T": [f"{r['step_over_T']:.2f}" for r in rows],
    })


def train_runs_table(loads, runs, seats: int, period_s: float) -> pd.DataFrame:
    """The batch train simulated at each load ρ (``runs``: lib.queueing.simulate_train results): full trains,
    mean, p50, p99 and worst latency, and the worst against 2T."""
    from ..units import count

    return pd.DataFrame({
        "load ρ": [f"{l:.2f}" for l in loads],
        "λ (requests/s)": [count(l * seats / period_s) for l in loads],
        "full trains": [f"{r.full_train_fraction:.1%}" for r in runs],
        "mean": [si(r.mean_s, "s") for r in runs],
        "p50": [si(float(r.quantile_s(0.5)), "s") for r in runs],
        "p99": [si(float(r.quantile_s(0.99)), "s") for r in runs],
        "worst (sample)": [si(r.worst_s, "s") for r in runs],
        "worst ÷ 2T": [f"{r.worst_s / (2 * period_s):.2f}" for r in runs],
    })


def batching_table(summaries: list[dict], period_s: float) -> pd.DataFrame:
    """Continuous batching per traffic scenario (``summaries`` at one load and policy): seats, L̄, λ, TTFT and
    TPOT at p50 and p99, TTFT p99 against 2T, and the longest step."""
    return pd.DataFrame({
        "traffic": [r["scenario"] for r in summaries], "seats B": [f"{r['seats']:,}" for r in summaries],
        "L̄ (tokens)": [f"{r['context']:,.0f}" for r in summaries], "λ (req/s)": [f"{r['rate']:,.1f}" for r in summaries],
        "TTFT p50": [si(r["ttft_p50"], "s") for r in summaries], "TTFT p99": [si(r["ttft_p99"], "s") for r in summaries],
        "TTFT p99 ÷ 2T": [f"{r['ttft_p99'] / (2 * period_s):.1f}" for r in summaries],
        "TPOT p50": [si(r["tpot_p50"], "s") for r in summaries], "TPOT p99": [si(r["tpot_p99"], "s") for r in summaries],
        "longest step": [si(r["max_step_s"], "s") for r in summaries],
    })
