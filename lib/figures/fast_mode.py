"""Charts for the chapter ``fast-mode``: the speed–cost frontier, the inverse problem, and the Slow Mode bound.

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
from ..modes import ModeOffer, memory_bound_kv_share, price_ratio_for
from ..roofline import compute_time_s, min_chips_for_weights, weight_read_time_s
from ..units import bytes_per_element

BATCH_GRID = np.unique(np.round(np.logspace(0, 5, 61)))  # 1 … 100,000 sequences
SPEED_GRID = np.round(np.linspace(1.0, 4.0, 61), 3)
CONTEXT_GRID = np.unique(np.round(np.logspace(np.log10(1024), np.log10(1_048_576), 41)))
SHARE_FAMILY = (0.3, 0.5, 0.7, 0.8, 0.9)


def _round(frame: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].apply(lambda c: c.map(lambda v: float(f"{v:.{digits}g}")))
    return frame


# --------------------------------------------------------------------------------------------------
# 1. The frontier: per-user speed against cost per token as the batch varies


def frontier_frame(hardware: Hardware, model: Model, precision: str = "bf16") -> pd.DataFrame:
    """One row per batch: the one-accelerator per-sequence constants (µs) the browser combines with n and L.

    t(B) = max(B · c₁, t_w₁ + B · kv(L) / W) / n  (eq. fm-step with n chips; ``*_1`` are one-chip values)
    """
    per_layer = model.kv_bytes_per_token_per_layer()
    return _round(pd.DataFrame({
        "batch": BATCH_GRID,
        "c1_us": float(compute_time_s(1, model.active_params, hardware.flops(precision), 1)) * 1e6,
        "tw1_us": weight_read_time_s(model.total_params, bytes_per_element(precision), hardware.hbm_bandwidth_Bps, 1) * 1e6,
        "kvfull_us": per_layer * model.full_attention_layers / hardware.hbm_bandwidth_Bps * 1e6,
        "kvwin_us": per_layer * model.sliding_window_layers / hardware.hbm_bandwidth_Bps * 1e6,
        "kv_bytes_full": per_layer * model.full_attention_layers,
        "kv_bytes_win": per_layer * model.sliding_window_layers,
    }))


def frontier_chart(hardware: Hardware, model: Model, default_context: float = 32_768,
                   default_batch: float = 1024, default_chips: int | None = None,
                   precision: str = "bf16") -> alt.LayerChart:
    """Per-user tokens/s against accelerator-µs per token (log-log) as B runs 1 … 100k, with the weight-read
    floor 1 / t_weights and the HBM-full speed 1 / T as rules. Sliders: context, batch (a marked point) and
    replica size n (from the fewest chips that hold the weights)."""
    frame = frontier_frame(hardware, model, precision)
    n_min = min_chips_for_weights(model, hardware, precision)
    window = float(model.sliding_window_tokens)
    weight_bytes = model.weight_bytes(precision)
    hbm = hardware.hbm_capacity_bytes
    log_context = alt.param(name="fm_log2_context", value=float(np.log2(default_context)),
                            bind=alt.binding_range(min=10, max=20, step=0.5, name="log₂ context length L (tokens) "))
    log_batch = alt.param(name="fm_log2_batch", value=float(np.log2(default_batch)),
                          bind=alt.binding_range(min=0, max=16, step=0.25, name="log₂ batch B (sequences) "))
    start = max(n_min, default_chips or n_min)
    chips = alt.param(name="fm_chips", value=start,
                      bind=alt.binding_range(min=n_min, max=max(4 * n_min, 2 * start, n_min + 8), step=1,
                                             name=f"accelerators per replica n (≥ {n_min} hold the weights) "))
    calc = [
        ("context", "pow(2, fm_log2_context)"),
        ("kv1_us", f"datum.context * datum.kvfull_us + min(datum.context, {window}) * datum.kvwin_us"),
        ("kv_bytes", f"datum.context * datum.kv_bytes_full + min(datum.context, {window}) * datum.kv_bytes_win"),
        ("step_us", "max(datum.B * datum.c1_us, datum.tw1_us + datum.B * datum.kv1_us) / fm_chips"),
        ("speed", "1e6 / datum.step_us"),
        ("cost_us", "fm_chips * datum.step_us / datum.B"),
        ("fits", f"({weight_bytes} + datum.B * datum.kv_bytes) <= fm_chips * {hbm} ? 'fits in HBM' : 'KV does not fit in HBM'"),
        ("bound", "datum.B * datum.c1_us >= datum.tw1_us + datum.B * datum.kv1_us ? 'compute' : 'memory'"),
    ]

    def with_calc(chart):
        for name, expr in calc:
            chart = chart.transform_calculate(**{name: expr})
        return chart

    base = with_calc(alt.Chart(frame).transform_calculate(B="datum.batch"))
    x = alt.X("cost_us:Q", scale=alt.Scale(type="log"),
              axis=alt.Axis(title="cost per token (accelerator-µs, log)", format="~s"))
    y = alt.Y("speed:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="per-user speed (tokens/s, log)", format="~g"))
    tooltip = [alt.Tooltip("batch:Q", format=",.0f", title="batch B"),
               alt.Tooltip("speed:Q", format=",.3~g", title="tokens/s per user"),
               alt.Tooltip("cost_us:Q", format=",.3~g", title="accelerator-µs per token"),
               alt.Tooltip("bound:N"), alt.Tooltip("fits:N", title="HBM")]
    line = base.mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=x, y=y, order="batch:Q",
        color=alt.Color("fits:N", title="batch",
                        scale=alt.Scale(domain=["fits in HBM", "KV does not fit in HBM"],
                                        range=[BOUND_COLORS["step"], "#bbbbbb"]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=tooltip)
    floor = (alt.Chart(frame.head(1))
             .transform_calculate(speed="1e6 * fm_chips / datum.tw1_us", label="'weight-read floor 1 / t_weights'")
             .mark_rule(color=BOUND_COLORS["weights"], strokeDash=[6, 3])
             .encode(y="speed:Q", tooltip=[alt.Tooltip("speed:Q", format=",.3~g", title="max tokens/s per user")]))
    floor_text = (alt.Chart(frame.head(1))
                  .transform_calculate(speed="1e6 * fm_chips / datum.tw1_us", label="'weight-read floor: 1 / t_weights'")
                  .mark_text(align="right", baseline="bottom", x=555, dy=-3, fontSize=11, color=BOUND_COLORS["weights"])
                  .encode(y="speed:Q", text="label:N"))
    drain = hardware.hbm_drain_time_s
    full = (alt.Chart(pd.DataFrame({"speed": [round(1 / drain, 3)], "label": [f"HBM full: 1 / T = 1 / {drain * 1e3:.3g} ms"]}))
            .mark_rule(color=BOUND_COLORS["kv"], strokeDash=[2, 2]).encode(y="speed:Q"))
    full_text = (alt.Chart(pd.DataFrame({"speed": [round(1 / drain, 3)], "label": [f"HBM full: 1 / T = 1 / {drain * 1e3:.3g} ms"]}))
                 .mark_text(align="right", baseline="top", x=555, dy=3, fontSize=11, color="#9a6b00")
                 .encode(y="speed:Q", text="label:N"))
    chosen = (with_calc(alt.Chart(frame.head(1)).transform_calculate(B="pow(2, fm_log2_batch)"))
              .mark_point(size=160, filled=True, color=BOUND_COLORS["compute"])
              .encode(x=x, y=y, tooltip=tooltip))
    chosen_text = (with_calc(alt.Chart(frame.head(1)).transform_calculate(B="pow(2, fm_log2_batch)"))
                   .transform_calculate(label="'B = ' + format(datum.B, ',.0f') + ': ' + format(datum.speed, ',.3~r') + ' tok/s, ' + format(datum.cost_us, ',.3~r') + ' µs per token'")
                   .mark_text(align="left", dx=10, dy=-8, fontSize=12, color=BOUND_COLORS["compute"])
                   .encode(x=x, y=y, text="label:N"))
    return (line + floor + floor_text + full + full_text + chosen + chosen_text).add_params(
        log_context, log_batch, chips).properties(
        title=alt.Title(f"{model.name} on {hardware.name}: per-user speed against cost per token",
                        subtitle=["Each point is one batch size (1 … 100k); moving left along the curve is a bigger batch.",
                                  "A fast mode moves up and right: faster, but each token takes more accelerator time."]),
        width=560, height=340)


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
    return pd.DataFrame([{
        "offer": o.name, "speed": o.speed_multiplier, "price": o.price_multiplier,
        "share_pct": round(100 * float(memory_bound_kv_share(o.price_multiplier, o.speed_multiplier)), 1),
        "batch_ratio": o.price_multiplier * o.speed_multiplier,
    } for o in offers if o.mode == "fast"])


def inverse_chart(offers: list[ModeOffer], default_share: float = 0.6) -> alt.LayerChart:
    """Price ratio against speed ratio (log y) for batch-only fast modes whose standard step is a share φ KV
    reads (eq. fm-share inverted), the published offers as points, and a slider for φ."""
    frame = inverse_frame()
    share = alt.param(name="fm_share", value=default_share,
                      bind=alt.binding_range(min=0.05, max=0.95, step=0.01, name="KV share φ of the standard step "))
    x = alt.X("speed:Q", scale=alt.Scale(domain=[1, 4]), axis=alt.Axis(title="speed ratio S (fast ÷ standard tokens/s)"))
    y = alt.Y("price:Q", scale=alt.Scale(type="log", domain=[1, 100]),
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
                                         label="'ceiling 1/(1−φ) = ' + format(1 / (1 - fm_share), '.3~g') + '×'")
                    .mark_text(align="right", dx=-4, y=12, fontSize=11).encode(x="speed:Q", text="label:N"))
    points = alt.Chart(offers_frame(offers)).mark_point(size=120, filled=True, color=BOUND_COLORS["compute"]).encode(
        x=x, y=y, tooltip=["offer:N", alt.Tooltip("price:Q", title="P"), alt.Tooltip("speed:Q", title="S"),
                           alt.Tooltip("share_pct:Q", title="φ needed (%)"), alt.Tooltip("batch_ratio:Q", title="P·S")])
    labels = alt.Chart(offers_frame(offers)).mark_text(align="left", dx=8, dy=-6, fontSize=11).encode(
        x=x, y=y, text="offer:N")
    return (family + slider_curve + ceiling + ceiling_text + points + labels).add_params(share).properties(
        title=alt.Title("The price a batch-only fast mode needs",
                        subtitle=["Thick line: the slider's KV share φ. Past the dashed ceiling no batch is fast enough.",
                                  "Points: published offers; each lies on the curve of the φ it needs."]),
        width=560, height=320)


# --------------------------------------------------------------------------------------------------
# 3. Slow Mode: the saving past B* against context, every model on one accelerator


def slow_frame(hardware: Hardware, models: list[Model], precision: str = "bf16") -> pd.DataFrame:
    """Per model and context: c (compute) and k (KV) per token on one accelerator (µs); the browser forms the
    saving 1 − max(c, k) / max(c, c/h + k) for the headroom h the reader picks (eq. fm-slow)."""
    rows = []
    for m in models:
        c = 2 * m.active_params / hardware.flops(precision) * 1e6
        k = m.kv_cache_bytes(CONTEXT_GRID) / hardware.hbm_bandwidth_Bps * 1e6
        rows.append(pd.DataFrame({"model": m.name, "context": CONTEXT_GRID, "c_us": c, "k_us": k}))
    return _round(pd.concat(rows, ignore_index=True))


def slow_chart(hardware: Hardware, models: list[Model], default_model: str) -> alt.LayerChart:
    """Largest Slow Mode saving (%) against context (log x) for each model on ``hardware``; a slider sets the
    standard mode's batch as a multiple h of B*; the selected model is drawn thick."""
    frame = slow_frame(hardware, models)
    headroom = alt.param(name="fm_headroom", value=1.0,
                         bind=alt.binding_range(min=1, max=4, step=0.25, name="standard batch = h × B*, h "))
    base = (alt.Chart(frame)
            .transform_calculate(saving="100 * (1 - max(datum.c_us, datum.k_us) / max(datum.c_us, datum.c_us / fm_headroom + datum.k_us))"))
    x = alt.X("context:Q", scale=alt.Scale(type="log", domain=[1024, 1_048_576], nice=False), axis=alt.Axis(title="context length L (tokens, log)", format="~s"))
    y = alt.Y("saving:Q", scale=alt.Scale(domain=[0, 50]), axis=alt.Axis(title="largest saving per token (%)"))
    lines = base.mark_line().encode(
        x=x, y=y, detail="model:N",
        color=alt.condition(f"datum.model == {vega_string(default_model)}", alt.value(BOUND_COLORS["compute"]),
                            alt.value("#9aa5b1")),
        strokeWidth=alt.condition(f"datum.model == {vega_string(default_model)}", alt.value(3), alt.value(1.2)),
        tooltip=["model:N", alt.Tooltip("context:Q", format=",.0f"), alt.Tooltip("saving:Q", format=".3~g", title="saving (%)")])
    marks = (alt.Chart(pd.DataFrame({"context": [8192, 32768, 131072, 200000]}))
             .mark_rule(color="#666", strokeDash=[2, 3]).encode(x="context:Q"))
    return (lines + marks).add_params(headroom).properties(
        title=alt.Title(f"Slow Mode on {hardware.name}: the most batching past B* can save",
                        subtitle=[f"Thick: {default_model}; grey: the other models. Dotted rules: 8k, 32k, 128k, 200k.",
                                  "At h = 1 the saving is min(c, k) / (c + k): never more than half."]),
        width=560, height=300)
