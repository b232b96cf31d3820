"""Charts for the chapter ``fast-mode``: the speed–cost frontier, the price of a batch cut, the inverse problem,
the Slow Mode saving and the daily load curve.

The per-sequence constants come from :mod:`lib.roofline` and :mod:`lib.modes`; where a slider moves a
curve, the chart re-evaluates the same equation in the browser (written next to the Python function it
mirrors) so the page needs no kernel.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..charts import BOUND_COLORS, PALETTE, vega_string
from ..hardware import Hardware
from ..models import Model
from ..modes import (COLLECTIVE_LATENCY, COLLECTIVES_PER_LAYER, STANDARD_KV_FORMAT, ModeOffer,
                     blackboard_formats, blackboard_price_for_speed, memory_bound_kv_share, price_for_speed, price_ratio_for,
                     refined_slow_mode_saving, slow_mode_saving, standard_mode)
from ..roofline import (HBM_RESERVE_FRACTION, as_precisions, blackboard_decode_step, chips_to_fit, decode_step)
from ..units import ratio_expr
from . import labels as lab

BATCH_GRID = np.unique(np.round(np.logspace(0, 5, 61)))  # 1 … 100,000 sequences
SPEED_GRID = np.round(np.linspace(1.0, 4.0, 61), 3)
SHARE_FAMILY = (0.3, 0.5, 0.7, 0.8, 0.9)


def _round(frame: pd.DataFrame, digits: int = 4, keep: tuple[str, ...] = ("context", "w")) -> pd.DataFrame:
    """Round numeric columns to ``digits`` significant digits for a small page, except the ``keep`` columns
    that charts filter on by equality (32768 must stay 32768)."""
    numeric = [c for c in frame.select_dtypes("number").columns if c not in keep]
    frame[numeric] = frame[numeric].apply(lambda c: c.map(lambda v: float(f"{v:.{digits}g}")))
    return frame


# --------------------------------------------------------------------------------------------------
# 1. The frontier: per-user speed against cost per token as the batch varies, refined and blackboard

#: Contexts the frontier chart offers (tokens).
FRONTIER_CONTEXTS = (1024, 8192, 32768, 131072)


def frontier_frame(hardware: Hardware, model: Model, contexts=FRONTIER_CONTEXTS) -> pd.DataFrame:
    """One row per (context, batch, model of the step): the one-accelerator step time (µs) and the bytes the
    batch holds in HBM. Every time scales as 1 / n, so the browser forms the n-chip step t₁ / n + t_floor(n),
    the speed and the cost, and drops the batches that do not fit n accelerators.

    ``model`` is ``refined`` (:func:`lib.roofline.decode_step`, release formats, fp8 KV) or ``blackboard``
    (:func:`lib.roofline.blackboard_decode_step`, bf16, every weight read at every step)."""
    rows = []
    p = as_precisions(model, None, STANDARD_KV_FORMAT)
    for L in contexts:
        refined = decode_step(hardware, model, BATCH_GRID, float(L), p, chips=1)
        board = blackboard_decode_step(hardware, model, BATCH_GRID, float(L), chips=1)
        rows.append(pd.DataFrame({"context": L, "batch": BATCH_GRID, "step": "refined",
                                  "t1_us": refined.step_s * 1e6, "bytes": refined.memory_needed_bytes,
                                  "usable": 1.0 - HBM_RESERVE_FRACTION}))
        rows.append(pd.DataFrame({"context": L, "batch": BATCH_GRID, "step": "blackboard",
                                  "t1_us": board.step_s * 1e6,
                                  "bytes": model.weight_bytes("bf16") + BATCH_GRID * model.kv_cache_bytes(float(L)),
                                  "usable": 1.0}))
    return _round(pd.concat(rows, ignore_index=True))


def frontier_chart(hardware: Hardware, model: Model, default_context: float = 32_768,
                   default_chips: int | None = None) -> alt.LayerChart:
    """Per-user tokens/s against accelerator-µs per token (log-log) as B runs 1 … 100k, refined (solid) and
    blackboard (dashed), only the batches whose weights and KV fit the replica. Controls: context, replica
    size n and the latency per collective (the floor 2 · layers · t_coll of a sharded step)."""
    frame = frontier_frame(hardware, model)
    n_min = int(chips_to_fit(model, hardware, 0.0, 0.0, as_precisions(model, None, STANDARD_KV_FORMAT)))
    context = alt.param(name="fm_context", value=int(default_context),
                        bind=alt.binding_select(options=list(FRONTIER_CONTEXTS), name="context L (tokens) "))
    start = max(n_min, default_chips or n_min)
    chips = alt.param(name="fm_chips", value=start,
                      bind=alt.binding_range(min=n_min, max=max(8 * n_min, 2 * start, 72), step=1,
                                             name=f"accelerators per replica n (≥ {n_min} hold the weights) "))
    latency = alt.param(name="fm_coll_us", value=round(COLLECTIVE_LATENCY.value * 1e6),
                        bind=alt.binding_range(min=0, max=30, step=1, name="latency per collective (µs) "))
    hbm = hardware.hbm_capacity_bytes
    floor = f"(fm_chips > 1 ? {model.layers * COLLECTIVES_PER_LAYER} * fm_coll_us : 0)"
    base = (alt.Chart(frame)
            .transform_filter("datum.context == fm_context")
            .transform_filter(f"datum.bytes <= datum.usable * fm_chips * {hbm}")
            .transform_calculate(step_us=f"datum.t1_us / fm_chips + {floor}")
            .transform_calculate(speed="1e6 / datum.step_us", cost_us="fm_chips * datum.step_us / datum.batch"))
    x = alt.X("cost_us:Q", scale=alt.Scale(type="log"),
              axis=alt.Axis(title="cost per token (accelerator-µs, log)", format="~s"))
    y = alt.Y("speed:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="per-user speed (tokens/s, log)", format="~g"))
    tooltip = [alt.Tooltip("step:N", title="step model"), alt.Tooltip("batch:Q", format=",.0f", title="batch B"),
               alt.Tooltip("speed:Q", format=",.3~g", title="tokens/s per user"),
               alt.Tooltip("cost_us:Q", format=",.3~g", title="accelerator-µs per token")]
    lines = base.mark_line(point=alt.OverlayMarkDef(size=16)).encode(
        x=x, y=y, order="batch:Q",
        color=alt.Color("step:N", title="step model", scale=alt.Scale(domain=["refined", "blackboard"],
                                                                        range=[BOUND_COLORS["step"], "#9aa5b1"]),
                        legend=alt.Legend(orient="bottom")),
        strokeDash=alt.StrokeDash("step:N", scale=alt.Scale(domain=["refined", "blackboard"], range=[[1, 0], [5, 3]]),
                                  legend=None),
        tooltip=tooltip)
    cap = (alt.Chart(pd.DataFrame({"one": [1]}))
           .transform_calculate(speed=f"1e6 / ({floor})", label="'latency floor: 1 / (2 · layers · t_coll)'")
           .transform_filter("isFinite(datum.speed)"))
    cap_rule = cap.mark_rule(color=BOUND_COLORS["compute"], strokeDash=[6, 3]).encode(y="speed:Q")
    cap_text = cap.mark_text(align="right", baseline="bottom", x="width", dx=-5, dy=-3, fontSize=11,
                             color=BOUND_COLORS["compute"]).encode(y="speed:Q", text="label:N")
    return (lines + cap_rule + cap_text).add_params(context, chips, latency).properties(
        title=alt.Title(f"{model.name} on {hardware.name}: per-user speed against cost per token",
                        subtitle=["Each point is a batch that fits the replica; left along a curve is a bigger batch.",
                                  "Solid: refined step; dashed: blackboard. Red: the collective-latency floor."]),
        width=560, height=340)


# --------------------------------------------------------------------------------------------------
# 1b. The price of a 2.5× fast mode from each standard batch, refined and blackboard

PRICE_BATCH_GRID = np.unique(np.round(np.logspace(np.log10(2.5), 5, 60), 2))


def price_frame(hardware: Hardware, model: Model, speed_ratio: float, contexts=FRONTIER_CONTEXTS) -> pd.DataFrame:
    """Per context and standard batch B_s: the price ratio a batch cut giving ``speed_ratio`` implies (refined
    and blackboard), and the accelerators that hold B_s's weights and KV (refined), against the domain."""
    rows = []
    p = as_precisions(model, None, STANDARD_KV_FORMAT)
    for L in contexts:
        refined = price_for_speed(hardware, model, PRICE_BATCH_GRID, float(L), speed_ratio, 1, p)
        board = blackboard_price_for_speed(hardware, model, PRICE_BATCH_GRID, float(L), speed_ratio,
                                           *blackboard_formats(model, hardware))
        chips = chips_to_fit(model, hardware, PRICE_BATCH_GRID, float(L), p)
        where = np.where(chips <= hardware.scale_up_domain_size, "fits one scale-up domain",
                         "needs more than one domain")
        rows.append(pd.DataFrame({"context": L, "batch": PRICE_BATCH_GRID, "step": "refined",
                                  "price": refined.price_ratio, "chips": chips, "where": where}))
        rows.append(pd.DataFrame({"context": L, "batch": PRICE_BATCH_GRID, "step": "blackboard",
                                  "price": board.price_ratio, "chips": np.nan, "where": "blackboard"}))
    frame = pd.concat(rows, ignore_index=True)
    return _round(frame[np.isfinite(frame["price"])].reset_index(drop=True))


def price_chart(hardware: Hardware, model: Model, speed_ratio: float, offer_price: float,
                default_context: float = 32_768) -> alt.LayerChart:
    """Price ratio a batch cut giving S× needs, against the standard batch (log-log), refined points coloured
    by whether their replica fits one scale-up domain, the blackboard as a dashed line, the offer's price as a
    rule; a context selector."""
    frame = price_frame(hardware, model, speed_ratio)
    context = alt.param(name="fp_context", value=int(default_context),
                        bind=alt.binding_select(options=list(FRONTIER_CONTEXTS), name="context L (tokens) "))
    base = alt.Chart(frame).transform_filter("datum.context == fp_context")
    x = alt.X("batch:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="standard batch B_s (sequences, log)",
                                                                     format="~s"))
    y = alt.Y("price:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title=f"price ratio for {speed_ratio:g}× (log)",
                                                                     format="~g"))
    board = base.transform_filter("datum.step == 'blackboard'").mark_line(color="#9aa5b1", strokeDash=[5, 3]).encode(
        x=x, y=y, tooltip=[alt.Tooltip("batch:Q", format=",.0f"), alt.Tooltip("price:Q", format=".3~g")])
    refined = base.transform_filter("datum.step == 'refined'").mark_line(
        color=BOUND_COLORS["step"], point=alt.OverlayMarkDef(size=26)).encode(
        x=x, y=y,
        tooltip=[alt.Tooltip("batch:Q", format=",.0f", title="B_s"), alt.Tooltip("price:Q", format=".3~g"),
                 alt.Tooltip("chips:Q", title=f"{hardware.name}s to hold B_s"), "where:N"])
    domain_points = base.transform_filter("datum.step == 'refined'").mark_point(size=40, filled=True).encode(
        x=x, y=y, color=alt.Color("where:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=300),
                                  scale=alt.Scale(domain=["fits one scale-up domain", "needs more than one domain"],
                                                  range=[PALETTE[2], PALETTE[1]])))
    rule = alt.Chart(pd.DataFrame({"price": [offer_price], "t": [f"published: {offer_price:g}×"]}))
    offer = rule.mark_rule(strokeDash=[2, 2], color="#444").encode(y="price:Q") + rule.mark_text(
        align="left", x=4, dy=-7, fontSize=11, color="#444").encode(y="price:Q", text="t:N")
    return (board + refined + domain_points + offer).add_params(context).properties(
        title=alt.Title(f"{model.name} on {hardware.name}: the price a {speed_ratio:g}× batch cut implies",
                        subtitle=["Solid: refined, coloured by the replica the standard batch needs; dashed: blackboard.",
                                  "Where the solid line crosses the published price, batch size alone explains it."]),
        width=560, height=320)


# --------------------------------------------------------------------------------------------------
# 2. The inverse problem: the price ratio a batch-only fast mode needs


def inverse_frame() -> pd.DataFrame:
    """P(S, φ) for the family of KV shares (NaN rows, past the ceiling 1 / (1 − φ), dropped)."""
    rows = [pd.DataFrame({"speed": SPEED_GRID, "share": phi, "price": price_ratio_for(SPEED_GRID, phi)})
            for phi in SHARE_FAMILY]
    frame = pd.concat(rows, ignore_index=True)
    frame = frame[np.isfinite(frame["price"]) & (frame["price"] <= 100)].copy()
    frame["share_label"] = frame["share"].map(lambda v: f"φ = {v:.0%}")
    return _round(frame)


def offers_frame(offers: list[ModeOffer]) -> pd.DataFrame:
    """One row per fast-mode offer: its speed and price multiples, the KV share φ each needs, P·S."""
    return pd.DataFrame([{
        "offer": o.name, "speed": o.speed_multiplier, "price": o.price_multiplier,
        "share_pct": round(100 * float(memory_bound_kv_share(o.price_multiplier, o.speed_multiplier)), 1),
        "batch_ratio": o.price_multiplier * o.speed_multiplier,
    } for o in offers if o.mode == "fast"], columns=["offer", "speed", "price", "share_pct", "batch_ratio"])


#: The inverse chart's axes, plot height (px), offer point size and label font (px).
INVERSE_X, INVERSE_Y = lab.Axis((1.0, 4.0)), lab.Axis((1.0, 100.0), "log")
INVERSE_HEIGHT_PX, OFFER_POINT_SIZE, OFFER_FONT_PX = 320, 120.0, 11.0


def inverse_chart(offers: list[ModeOffer], default_share: float = 0.6) -> alt.LayerChart:
    """Price ratio against speed ratio (log y) for batch-only fast modes whose standard step is a share φ KV
    reads (eq. fm-share inverted), the published offers as points, and a slider for φ starting at
    ``default_share`` (pass the prose's value unrounded: the ceiling's label is then the prose's number)."""
    frame = inverse_frame()
    share = alt.param(name="fm_share", value=default_share,
                      bind=alt.binding_range(min=0.05, max=0.95, step=0.01, name="KV share φ of the standard step "))
    x = alt.X("speed:Q", scale=INVERSE_X.scale(), axis=alt.Axis(title="speed ratio S (fast ÷ standard tokens/s)"))
    y = alt.Y("price:Q", scale=INVERSE_Y.scale(),
              axis=alt.Axis(title="price ratio P (fast ÷ standard, per token, log)", format="~g"))
    family = alt.Chart(frame).mark_line(strokeWidth=1.4, opacity=0.6).encode(
        x=x, y=y, color=alt.Color("share_label:N", title="KV share φ",
                                  scale=alt.Scale(range=PALETTE[:len(SHARE_FAMILY)]),
                                  legend=alt.Legend(orient="bottom", columns=5)),
        tooltip=[alt.Tooltip("share_label:N", title="φ"), alt.Tooltip("speed:Q", format=".3~g"),
                 alt.Tooltip("price:Q", format=".3~g")])
    # lib.modes.price_ratio_for in the browser: P = 1 / (S · (1 − (1 − 1/S) / φ)) where the bracket is > 0
    slider_curve = (alt.Chart(pd.DataFrame({"speed": SPEED_GRID}))
                    .transform_calculate(den="1 - (1 - 1 / datum.speed) / fm_share")
                    .transform_filter("datum.den > 0")
                    .transform_calculate(price="1 / (datum.speed * datum.den)")
                    .transform_filter("datum.price <= 100")
                    .mark_line(color=BOUND_COLORS["step"], strokeWidth=3)
                    .encode(x=x, y=y, tooltip=[alt.Tooltip("speed:Q", format=".3~g"), alt.Tooltip("price:Q", format=".3~g")]))
    ceiling = (alt.Chart(pd.DataFrame({"one": [1]}))
               .transform_calculate(speed="min(4, 1 / (1 - fm_share))")
               .mark_rule(color=BOUND_COLORS["step"], strokeDash=[4, 3]).encode(x="speed:Q"))
    ceiling_text = (alt.Chart(pd.DataFrame({"one": [1]}))
                    .transform_calculate(speed="min(4, 1 / (1 - fm_share))",
                                         label="'ceiling 1/(1−φ) = ' + " + ratio_expr("1 / (1 - fm_share)", 3))
                    .mark_text(align="right", dx=-4, y=12, fontSize=11).encode(x="speed:Q", text="label:N"))
    # Offer labels placed by lib.figures.labels: clear of each other, of every offer's point and of the ceiling's
    # label (it moves with the slider: the top strip of the plot is kept free), at every plot width.
    placed = offers_frame(offers)
    top_strip = [lab.Box(0.0, -1.0, 2000.0, 0.0, 22.0)]
    placed = pd.concat([placed, lab.placed_label_columns(
        INVERSE_X.fraction(placed["speed"]), 1.0 - INVERSE_Y.fraction(placed["price"]), placed["offer"],
        INVERSE_HEIGHT_PX, OFFER_FONT_PX, OFFER_POINT_SIZE, obstacles=lambda band: top_strip)], axis=1)
    points = alt.Chart(placed).mark_point(size=OFFER_POINT_SIZE, filled=True, color=BOUND_COLORS["compute"]).encode(
        x=x, y=y, tooltip=["offer:N", alt.Tooltip("price:Q", title="P"), alt.Tooltip("speed:Q", title="S"),
                           alt.Tooltip("share_pct:Q", title="φ needed (%)"), alt.Tooltip("batch_ratio:Q", title="P·S")])
    labels = lab.label_layer(alt.Chart(placed), x, y, OFFER_FONT_PX, color="#222")
    return (family + slider_curve + ceiling + ceiling_text + points + labels).add_params(share).properties(
        title=alt.Title("The price a batch-only fast mode needs",
                        subtitle=["Thick line: the slider's KV share φ. Past the dashed ceiling no batch is fast enough.",
                                  "Points: published offers; each lies on the curve of the φ it needs."]),
        width=560, height=INVERSE_HEIGHT_PX)


# --------------------------------------------------------------------------------------------------
# 3. Slow Mode: the saving from unlimited batching past the standard mode, against context

SLOW_CONTEXT_GRID = np.unique(np.round(np.logspace(np.log10(1024), np.log10(1_048_576), 25)))
WEIGHT_SHARE_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def slow_frame(hardware: Hardware, models: list[Model]) -> pd.DataFrame:
    """Per model, weight share w and context: the refined saving of unlimited batching past the standard mode
    (%), where the standard replica holds a sequence; and the blackboard's saving past B* (w plays no part)."""
    rows = []
    for m in models:
        if not m.has_config:
            continue
        for w in WEIGHT_SHARE_GRID:
            sm = standard_mode(hardware, m, SLOW_CONTEXT_GRID, w)
            rows.append(pd.DataFrame({"model": m.name, "w": w, "context": SLOW_CONTEXT_GRID, "step": "refined",
                                      "saving": 100 * refined_slow_mode_saving(sm)}))
        rows.append(pd.DataFrame({"model": m.name, "w": -1.0, "context": SLOW_CONTEXT_GRID, "step": "blackboard",
                                  "saving": 100 * slow_mode_saving(hardware, m, SLOW_CONTEXT_GRID)}))
    frame = pd.concat(rows, ignore_index=True)
    return _round(frame[np.isfinite(frame["saving"])].reset_index(drop=True), 3)  # percent: 3 digits is 0.1%


def slow_chart(hardware: Hardware, models: list[Model], default_model: str,
               default_share: float = 0.5) -> alt.LayerChart:
    """Largest Slow Mode saving (%) against context (log x): refined, from the standard mode at the slider's
    weight share w, one line per model (the selected one thick), and the blackboard's bound past B* for the
    selected model (dashed); batch APIs' 50% as a rule."""
    frame = slow_frame(hardware, models)
    share = alt.param(name="sm_share", value=default_share,
                      bind=alt.binding_range(min=0.1, max=0.8, step=0.1, name="weights' share of usable HBM w "))
    x = alt.X("context:Q", scale=alt.Scale(type="log", domain=[1024, 1_048_576], nice=False),
              axis=alt.Axis(title="context length L (tokens, log)", format="~s"))
    y = alt.Y("saving:Q", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(title="largest saving per token (%)"))
    refined = (alt.Chart(frame).transform_filter("datum.step == 'refined'")
               .transform_filter("abs(datum.w - sm_share) < 0.01"))
    lines = refined.mark_line().encode(
        x=x, y=y, detail="model:N",
        color=alt.condition(f"datum.model == {vega_string(default_model)}", alt.value(BOUND_COLORS["compute"]),
                            alt.value("#9aa5b1")),
        strokeWidth=alt.condition(f"datum.model == {vega_string(default_model)}", alt.value(3), alt.value(1.2)),
        tooltip=["model:N", alt.Tooltip("context:Q", format=",.0f"), alt.Tooltip("saving:Q", format=".3~g", title="saving (%)")])
    board = (alt.Chart(frame).transform_filter(f"datum.step == 'blackboard' && datum.model == '{default_model}'")
             .mark_line(color=BOUND_COLORS["compute"], strokeDash=[5, 3], strokeWidth=1.5)
             .encode(x=x, y=y, tooltip=["model:N", alt.Tooltip("saving:Q", format=".3~g", title="blackboard saving (%)")]))
    api = alt.Chart(pd.DataFrame({"saving": [50.0], "t": ["batch APIs: 50% off"]}))
    api_layer = api.mark_rule(color="#444", strokeDash=[2, 2]).encode(y="saving:Q") + api.mark_text(
        align="left", x=4, dy=-7, fontSize=11, color="#444").encode(y="saving:Q", text="t:N")
    return (lines + board + api_layer).add_params(share).properties(
        title=alt.Title(f"Slow Mode on {hardware.name}: the most unlimited batching can save",
                        subtitle=[f"Solid: refined, from the standard mode at weight share w (thick: {default_model}).",
                                  "Dashed: the blackboard's bound past B*. A line stops where no sequence fits."]),
        width=560, height=300)


# --------------------------------------------------------------------------------------------------
# 4. The daily load curve: capacity sized for the peak, batch work in the troughs

DAY_GRID = np.round(np.linspace(0.0, 24.0, 97), 3)


def load_curve_chart(default_swing: float, default_saving_pct: float) -> alt.LayerChart:
    """Interactive demand over a day (1 + a cos(2π (h − 14) / 24), :func:`lib.modes.daily_load_curve`), the
    capacity sized for its peak, and the idle capacity batch work can fill; the text gives u = 1 / (1 + a)
    and the cost-based batch price ratio f_load · (1 − s_batch) (:func:`lib.modes.trough_fill_price_ratio`)."""
    swing = alt.param(name="lc_swing", value=default_swing,
                      bind=alt.binding_range(min=0.0, max=1.0, step=0.05, name="daily swing a "))
    saving = alt.param(name="lc_saving", value=float(default_saving_pct),
                       bind=alt.binding_range(min=0, max=60, step=1, name="roofline saving of a big batch s (%) "))
    base = (alt.Chart(pd.DataFrame({"hour": DAY_GRID}))
            .transform_calculate(load="max(0, 1 + lc_swing * cos(2 * PI * (datum.hour - 14) / 24))",
                                 peak="1 + lc_swing"))
    x = alt.X("hour:Q", scale=alt.Scale(domain=[0, 24], nice=False), axis=alt.Axis(title="hour of day", values=list(range(0, 25, 3))))
    y = alt.Y("load:Q", scale=alt.Scale(domain=[0, 2]), axis=alt.Axis(title="demand ÷ daily mean"))
    idle = base.mark_area(color=PALETTE[3], opacity=0.45).encode(x=x, y=y, y2="peak:Q")
    busy = base.mark_area(color=PALETTE[0], opacity=0.55).encode(x=x, y=y)
    peak = base.mark_rule(color="#444", strokeDash=[4, 3]).encode(y="mean(peak):Q")
    text = (alt.Chart(pd.DataFrame({"one": [1]}))
            .transform_calculate(u="1 / (1 + lc_swing)")
            .transform_calculate(label="'interactive utilisation f_load = ' + format(datum.u, '.0%') + ';\\ncost-"
                                       "based batch price\\n= f_load · (1 − s_batch) = ' + "
                                       "format(datum.u * (1 - lc_saving / 100), '.0%')")
            # three short lines: two would be wider than a phone's plot
            .mark_text(align="left", baseline="top", x=6, y=5, fontSize=12, lineBreak="\n").encode(text="label:N"))
    return (idle + busy + peak + text).add_params(swing, saving).properties(
        title=alt.Title("Batch work fills the capacity the daily peak leaves idle",
                        subtitle=["Blue: interactive demand; gold: idle capacity under the peak-sized fleet,",
                                  "where batch tokens run at f_load of an interactive token's cost; a big batch saves s_batch more."]),
        width=560, height=260)


# --------------------------------------------------------------------------------------------------
# Tables for the chapter (assembly only; every number comes from lib.modes and lib.roofline)


def _fmt_ratio(v: float) -> str:
    return "—" if not np.isfinite(v) else f"{v:.3g}×"


def standard_mode_table(hardware: Hardware, model: Model, contexts, speed_ratio: float,
                        weight_share: float) -> pd.DataFrame:
    """At the one standard mode and each context: the replica, the batch, and what a batch cut to
    ``speed_ratio`` gives on each step model (the most speed a cut can give, and the price of the speed)."""
    ctx = np.asarray(contexts, dtype=float)
    sm = standard_mode(hardware, model, ctx, weight_share)
    b = np.maximum(sm.batch, 1.0)
    refined = price_for_speed(hardware, model, b, ctx, speed_ratio, sm.chips, sm.precisions)
    board = blackboard_price_for_speed(hardware, model, b, ctx, speed_ratio, *blackboard_formats(model, hardware))
    rows = []
    for i, L in enumerate(ctx):
        ok = bool(sm.feasible[i])
        rows.append({"context L": f"{L:,.0f}", f"n × {hardware.name}": f"{sm.chips}",
                     "standard batch B_s": f"{sm.batch[i]:,.0f}" if ok else "none fits",
                     "most speed, blackboard": _fmt_ratio(float(board.speed_ceiling[i])) if ok else "—",
                     "most speed, refined": _fmt_ratio(float(refined.speed_ceiling[i])) if ok else "—",
                     f"price for {speed_ratio:g}×, blackboard": _fmt_ratio(float(board.price_ratio[i])) if ok else "—",
                     f"price for {speed_ratio:g}×, refined": _fmt_ratio(float(refined.price_ratio[i])) if ok else "—"})
    return pd.DataFrame(rows)


def solutions_table(hardware: Hardware, model: Model, contexts, price_ratio: float,
                    speed_ratio: float) -> pd.DataFrame:
    """Every standard batch that makes (P, S) a batch effect on the refined model, per context, with the
    replica it needs and the part of the step whose shrinking gives the speed."""
    from ..modes import speed_of_batch_cut, standard_batches_for_offer

    rows = []
    beta = price_ratio * speed_ratio
    for L in contexts:
        sols = standard_batches_for_offer(hardware, model, float(L), price_ratio, speed_ratio)
        if not sols:
            grid = np.logspace(np.log10(beta), 6, 121)
            speeds = speed_of_batch_cut(hardware, model, grid, float(L), beta)
            rows.append({"context L": f"{L:,}", "standard B_s": "none",
                         "note": f"every {beta:g}-fold cut gives {np.nanmin(speeds):.2f}× to {np.nanmax(speeds):.3g}×"})
        for sol in sols:
            rows.append({"context L": f"{L:,}", "standard B_s": f"{sol.standard_batch:,.0f}",
                         "fast B_f": f"{sol.fast_batch:,.1f}", f"{hardware.name}s to hold B_s": f"{sol.chips_to_hold}",
                         "one scale-up domain": "yes" if sol.fits_domain else "no",
                         "speed comes from": f"{sol.lever} ({sol.saved[sol.lever]:.0%} of the time saved)"})
    return pd.DataFrame(rows).fillna("")


def inputs_frame(sel, lecture: ModeOffer | None) -> pd.DataFrame:
    """The chapter's inputs: the lecture's offer, the selected rows, the formats and the standard mode's
    assumptions (weight share, latency per collective) with their ranges."""
    from ..modes import WEIGHT_SHARE
    from ..page import data_file
    from ..units import si

    hw, model = sel.hardware, sel.model
    return pd.DataFrame([
        {"input": "offer", "value": lecture.name if lecture else "(missing: the talk's 6× / 2.5×)",
         "source": data_file(sel, "mode_offers.csv")},
        {"input": "accelerator; F (bf16), W_hbm, C_hbm",
         "value": f"{hw.name}; {si(hw.flops('bf16'), 'FLOP/s')}, {si(hw.hbm_bandwidth_Bps, 'B/s')}, "
                  f"{si(hw.hbm_capacity_bytes, 'B')}", "source": data_file(sel, "hardware.csv")},
        {"input": "model; N_total / N_active",
         "value": f"{model.name}; {model.total_params / 1e9:,.4g} / {model.active_params / 1e9:,.4g} billion",
         "source": data_file(sel, "models.csv")},
        {"input": "release formats; KV cache",
         "value": f"{model.weights_format} / {model.expert_weights_format} experts; {STANDARD_KV_FORMAT}",
         "source": "data/models.csv, lib.modes"},
        {"input": "standard mode: weight share w (range)",
         "value": f"{WEIGHT_SHARE.value:.0%} ({WEIGHT_SHARE.low:.0%}–{WEIGHT_SHARE.high:.0%})",
         "source": "lib.modes.WEIGHT_SHARE"},
        {"input": "latency per collective (range)",
         "value": f"{COLLECTIVE_LATENCY.value * 1e6:.0f} µs ({COLLECTIVE_LATENCY.low * 1e6:.0f}–"
                  f"{COLLECTIVE_LATENCY.high * 1e6:.0f})", "source": "lib.modes.COLLECTIVE_LATENCY"},
    ])


def offers_table(offers: list[ModeOffer]) -> pd.DataFrame:
    """The published fast modes: price and speed ratios, P·S = B_s / B_f, and the blackboard's KV share φ each
    needs (eq. fm-share)."""
    from ..units import ratio

    rows = []
    for o in offers:
        share = float(memory_bound_kv_share(o.price_multiplier, o.speed_multiplier))
        rows.append({"offer": o.name, "as of": o.as_of, "P (output)": ratio(o.price_multiplier),
                     "S": ratio(o.speed_multiplier),
                     "input price ratio": "—" if o.input_price_ratio is None else ratio(o.input_price_ratio),
                     "P·S = B_s / B_f": ratio(o.price_multiplier * o.speed_multiplier, 3),
                     "φ needed (blackboard)": "none" if np.isnan(share) else f"{share:.1%}"})
    return pd.DataFrame(rows)


def inverse_table(contexts, solution, chips_needed, domain_size: int, hardware_name: str) -> pd.DataFrame:
    """The blackboard's inverse problem at each context (``solution``: lib.modes.inverse_problem): branch,
    standard and fast batch, φ, and the accelerators that hold the standard batch."""
    sol = solution
    return pd.DataFrame([{
        "context L": f"{L:,}", "branch": sol.branch[i],
        "standard B_s": f"{sol.standard_batch[i]:,.0f}" if sol.feasible[i] else "—",
        "fast B_f": f"{sol.fast_batch[i]:,.0f}" if sol.feasible[i] else "—",
        "φ": f"{sol.kv_share[i]:.1%}" if sol.feasible[i] else "—",
        f"{hardware_name}s to hold B_s": f"{chips_needed[i]:,.0f}" if sol.feasible[i] else "—",
        "one scale-up domain": ("yes" if chips_needed[i] <= domain_size else "no") if sol.feasible[i] else sol.reason[i],
    } for i, L in enumerate(contexts)])


def every_model_table(hardware: Hardware, models: list[Model], price_ratio: float, speed_ratio: float,
                      context: float = 32768.0) -> pd.DataFrame:
    """The refined model across ``models`` at one context: the standard mode's replica and batch, the price of a
    ``speed_ratio`` cut from it, whether the published pair fits one scale-up domain, and the Slow Mode saving."""
    from ..modes import price_for_speed, standard_batches_for_offer
    from ..units import ratio

    P, S = price_ratio, speed_ratio
    rows = []
    for m in models:
        sm = standard_mode(hardware, m, context)
        ok = bool(sm.feasible)
        f = price_for_speed(hardware, m, max(float(sm.batch), 1.0), context, S, sm.chips)
        sols = standard_batches_for_offer(hardware, m, context, P, S)
        rows.append({"model": m.name, f"n × {hardware.name}": sm.chips,
                     "B_s": f"{float(sm.batch):,.0f}" if ok else "none fits",
                     f"price for {S:g}×": ("—" if not ok else ratio(float(f.price_ratio), 3) if bool(f.feasible)
                                            else f"out of reach (≤ {float(f.speed_ceiling):.2f}×)"),
                     f"{P:g}×/{S:g}× inside one domain": "yes" if any(x.fits_domain for x in sols) else (
                         "no" if sols else "no batch"),
                     "slow saving": f"{float(refined_slow_mode_saving(sm)):.0%}" if ok else "—"})
    return pd.DataFrame(rows)
