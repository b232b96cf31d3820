"""Charts for the chapter ``prices-leak``: the 200k breakpoint, decode ÷ prefill cost, the long-context step
from both sides, and memory tiers.

Every curve is computed by :mod:`lib.pricing` / :mod:`lib.memory_tiers` formulas; where a slider moves a
curve, the chart re-evaluates the same equation in the browser (the expression is written next to the
Python function it mirrors) so the page needs no kernel.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..charts import PALETTE
from ..hardware import Hardware
from ..memory_tiers import MemoryTier
from ..models import Model
from ..pricing import (breakpoint_kv_bytes_per_token, decode_to_prefill_cost_ratio, decode_to_prefill_ratio_refined,
                       implied_long_context_premiums)
from ..units import COMPUTE_PRECISIONS, bytes_per_element

#: 1B … 2T active parameters, two points a decade: b_kv* is proportional to N_active, a straight line on the chart's
#: log-log axes, so more points would add page weight and nothing drawn.
ACTIVE_GRID = np.logspace(9, np.log10(2e12), 8)
CONTEXT_GRID = np.unique(np.round(np.logspace(np.log10(1024), np.log10(1_048_576), 31)))


def _round(frame: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].apply(lambda c: c.map(lambda v: float(f"{v:.{digits}g}")))
    return frame


def breakpoint_frame(hardware: list[Hardware]) -> pd.DataFrame:
    """b_kv* × L (bytes·tokens) on a grid of active parameters, per hardware and precision; the chart divides
    by the context the reader picks (b_kv* = 2 N_a W / (F L), :func:`lib.pricing.breakpoint_kv_bytes_per_token`)."""
    rows = []
    for hw in hardware:
        for prec in COMPUTE_PRECISIONS:
            if hw.supports(prec):
                at_one_token = breakpoint_kv_bytes_per_token(ACTIVE_GRID, hw.flops(prec), hw.hbm_bandwidth_Bps, 1.0)
                rows.append(pd.DataFrame({"hardware": hw.name, "precision": prec, "active_B": ACTIVE_GRID / 1e9,
                                          "kv_times_L": at_one_token}))
    return _round(pd.concat(rows, ignore_index=True))


def model_kv_frame(models: list[Model]) -> pd.DataFrame:
    """Each open model's KV bytes per token (full-attention layers) at each precision, and its active params."""
    rows = [{"model": m.name, "precision": p, "active_B": m.active_params / 1e9, "kv_B": m.kv_bytes_per_token(p),
             "attention": m.attention.upper() + (" + window" if m.sliding_window_layers else "")}
            for m in models for p in COMPUTE_PRECISIONS]
    return _round(pd.DataFrame(rows))


def breakpoint_chart(hardware: list[Hardware], models: list[Model], default_hardware: str,
                     talk_range_B: tuple[float, float], default_context: float = 200_000) -> alt.LayerChart:
    """b_kv* against active parameters (log-log) for the chosen accelerator, precision and context, with the
    talk's 1.6–2 KB band and the open models' whole-model KV bytes per token as points."""
    frame = breakpoint_frame(hardware)
    names = list(dict.fromkeys(frame["hardware"]))
    pick = alt.param(name="bp_hardware", value=default_hardware, bind=alt.binding_select(options=names, name="Hardware "))
    prec = alt.param(name="bp_precision", value="fp8",
                     bind=alt.binding_select(options=list(COMPUTE_PRECISIONS), name="Precision (weights, FLOP/s, KV) "))
    ctx_k = alt.param(name="bp_context_k", value=round(default_context / 1e3),
                      bind=alt.binding_range(min=8, max=2000, step=8, name="context L (thousand tokens) "))
    x = alt.X("active_B:Q", scale=alt.Scale(type="log", domain=[1, 2000], nice=False),
              axis=alt.Axis(title="active parameters N_active (billions, log)", format="~s"))
    y_scale = alt.Scale(type="log", domain=[50, 2e6])
    curve = (
        alt.Chart(frame)
        .transform_filter("datum.hardware == bp_hardware && datum.precision == bp_precision")
        .transform_calculate(kv="datum.kv_times_L / (bp_context_k * 1000)")
        .mark_line(color=PALETTE[0], clip=True)
        .encode(x=x, y=alt.Y("kv:Q", scale=y_scale, axis=alt.Axis(title="KV bytes per token (log)", format="~s")),
                tooltip=[alt.Tooltip("active_B:Q", title="N_active (B)", format=",.3~g"),
                         alt.Tooltip("kv:Q", title="breakpoint b_kv* (bytes)", format=",.0f")])
    )
    low, high = talk_range_B
    band = alt.Chart(pd.DataFrame({"lo": [low], "hi": [high], "x0": [1], "x1": [2000]})).mark_rect(
        color=PALETTE[3], opacity=0.35).encode(x="x0:Q", x2="x1:Q", y=alt.Y("lo:Q", scale=y_scale), y2="hi:Q")
    band_label = alt.Chart(pd.DataFrame({"x": [1.2], "y": [high * 1.25], "t": ["talk: 1.6–2 KB per token"]})).mark_text(
        align="left", fontSize=11, color="#8a6d1f").encode(x="x:Q", y=alt.Y("y:Q", scale=y_scale), text="t:N")
    points = (
        alt.Chart(model_kv_frame(models))
        .transform_filter("datum.precision == bp_precision")
        .mark_point(filled=True, size=70)
        .encode(x="active_B:Q", y=alt.Y("kv_B:Q", scale=y_scale),
                color=alt.Color("attention:N", title="open model's attention", legend=alt.Legend(orient="bottom")),
                tooltip=["model:N", "attention:N", alt.Tooltip("active_B:Q", title="N_active (B)", format=",.3~g"),
                         alt.Tooltip("kv_B:Q", title="KV bytes per token", format=",.0f")])
    )
    return (band + band_label + curve + points).add_params(pick, prec, ctx_k).properties(
        title=alt.Title("The long-context breakpoint: KV bytes per token where KV reads = compute",
                        subtitle=["Line: b_kv* = 2·N_active·W_hbm / (F·L); above it, decode at context L is KV-read "
                                  "bound at every batch.",
                                  "Points: the open models' KV bytes per token (whole model, full-attention layers)."]),
        width=560, height=340)


#: 1k … 1M tokens, three points every two doublings: the ratio bends smoothly with context.
RATIO_CONTEXT_GRID = np.unique(np.round(np.logspace(np.log10(1024), np.log10(1_048_576), 16)))
RATIO_SHARES = (0.2, 0.35, 0.5, 0.65, 0.8)


def decode_ratio_frame(hardware: list[Hardware], model: Model) -> pd.DataFrame:
    """Decode ÷ prefill cost per token against context, per accelerator and weight share w: refined
    (:func:`lib.pricing.decode_to_prefill_ratio_refined`, the standard mode) and blackboard
    (:func:`lib.pricing.decode_to_prefill_cost_ratio`, fp8 where supported). Points where the replica holds
    no sequence are dropped."""
    rows = []
    for hw in hardware:
        prec = "fp8" if hw.supports("fp8") else "bf16"
        for w in RATIO_SHARES:
            board = decode_to_prefill_cost_ratio(hw, model, RATIO_CONTEXT_GRID, prec, prec, weight_share=w)
            rows.append(pd.DataFrame({"hardware": hw.name, "w": w, "step": "blackboard", "context": RATIO_CONTEXT_GRID,
                                      "ratio": board}))
            if model.has_config:
                refined = decode_to_prefill_ratio_refined(hw, model, RATIO_CONTEXT_GRID, w)
                rows.append(pd.DataFrame({"hardware": hw.name, "w": w, "step": "refined",
                                          "context": RATIO_CONTEXT_GRID, "ratio": refined}))
    frame = pd.concat(rows, ignore_index=True)
    return _round(frame[np.isfinite(frame["ratio"])].reset_index(drop=True), 3)  # 3 digits: 0.1% of a log axis


def decode_ratio_chart(hardware: list[Hardware], model: Model, default_hardware: str, price_ratio: float,
                       default_share: float = 0.5) -> alt.LayerChart:
    """Decode ÷ prefill cost per token against context (log-log) for the chosen accelerator, refined (solid)
    and blackboard (dashed), the other accelerators' refined lines in grey, the price sheets' median output ÷
    input ratio as a rule; selectors for the accelerator and the weight share w."""
    frame = decode_ratio_frame(hardware, model)
    names = list(dict.fromkeys(frame["hardware"]))
    pick = alt.param(name="dr_hardware", value=default_hardware, bind=alt.binding_select(options=names, name="Hardware "))
    share = alt.param(name="dr_share", value=default_share,
                      bind=alt.binding_select(options=list(RATIO_SHARES), name="weights' share of HBM w "))
    base = alt.Chart(frame).transform_filter("abs(datum.w - dr_share) < 0.001")
    x = alt.X("context:Q", scale=alt.Scale(type="log", domain=[float(RATIO_CONTEXT_GRID[0]),
                                                               float(RATIO_CONTEXT_GRID[-1])], nice=False),
              axis=alt.Axis(title="context L (tokens, log)", format="~s"))
    y = alt.Y("ratio:Q", scale=alt.Scale(type="log"),
              axis=alt.Axis(title="decode ÷ prefill cost per token (log)", format="~g"))
    tip = ["hardware:N", "step:N", alt.Tooltip("context:Q", format=",.0f"), alt.Tooltip("ratio:Q", format=".3~g")]
    others = base.transform_filter("datum.hardware != dr_hardware && datum.step == 'refined'").mark_line(
        color="#d5d5d5", strokeWidth=1).encode(x=x, y=y, detail="hardware:N", tooltip=tip)
    chosen = base.transform_filter("datum.hardware == dr_hardware").mark_line(color=PALETTE[1], strokeWidth=2.5).encode(
        x=x, y=y, strokeDash=alt.StrokeDash("step:N", scale=alt.Scale(domain=["refined", "blackboard"],
                                                                        range=[[1, 0], [5, 3]]),
                                            legend=alt.Legend(orient="bottom", title="step model")), tooltip=tip)
    rule = alt.Chart(pd.DataFrame({"r": [price_ratio], "t": [f"price sheets: output ÷ input ≈ {price_ratio:.3g}×"]}))
    price = rule.mark_rule(strokeDash=[2, 2], color="#444").encode(y="r:Q") + rule.mark_text(
        align="left", dx=4, dy=-7, x=4, fontSize=11, color="#444").encode(y="r:Q", text="t:N")
    return (others + chosen + price).add_params(pick, share).properties(
        title=alt.Title(f"{model.name}: what a decode token costs against a prefill token",
                        subtitle=["Weights fill a share w of HBM, KV the rest. Solid: refined (prefill with its attention);",
                                  "dashed: blackboard (prefill at 2·N_active/F). Grey: other accelerators, refined."]),
        width=560, height=320)


PREMIUM_LONG_GRID = np.round(np.logspace(np.log10(2.2e5), np.log10(1e6), 16), -3)


def premium_frame(hardware: Hardware, models: list[Model], short_tokens: float) -> pd.DataFrame:
    """Per model and long-tier prompt length: the input and output premiums a long-context tier implies
    (:func:`lib.pricing.implied_long_context_premiums`, %), and the blackboard's output premium."""
    rows = []
    for m in models:
        if not m.has_config:
            continue
        prem = implied_long_context_premiums(hardware, m, short_tokens, PREMIUM_LONG_GRID)
        for side, values in (("input (refined, prefill)", prem.input_ratio),
                             ("output (refined, decode)", prem.output_ratio),
                             ("output (blackboard, decode)", prem.output_ratio_blackboard)):
            rows.append(pd.DataFrame({"model": m.name, "side": side, "long": PREMIUM_LONG_GRID,
                                      "premium": 100 * (np.asarray(values) - 1)}))
    frame = pd.concat(rows, ignore_index=True)
    return _round(frame[np.isfinite(frame["premium"])].reset_index(drop=True))


def premium_chart(hardware: Hardware, models: list[Model], default_model: str, short_tokens: float,
                  price_premiums: dict[str, float]) -> alt.LayerChart:
    """Implied premiums (%) against the long tier's prompt length for the chosen model, with a price sheet's
    input and output premiums as rules (``price_premiums``: label → %). The blackboard implies no input premium."""
    frame = premium_frame(hardware, models, short_tokens)
    names = list(dict.fromkeys(frame["model"]))
    pick = alt.param(name="pm_model", value=default_model, bind=alt.binding_select(options=names, name="Model "))
    x = alt.X("long:Q", scale=alt.Scale(type="log", domain=[float(PREMIUM_LONG_GRID[0]), float(PREMIUM_LONG_GRID[-1])],
                                        nice=False), axis=alt.Axis(title="prompt in the long tier (tokens, log)", format="~s"))
    y = alt.Y("premium:Q", axis=alt.Axis(title=f"cost premium over a {short_tokens / 1e3:.0f}k prompt (%)"))
    colors = alt.Scale(domain=["input (refined, prefill)", "output (refined, decode)", "output (blackboard, decode)"],
                       range=[PALETTE[0], PALETTE[1], "#9aa5b1"])
    lines = (alt.Chart(frame).transform_filter("datum.model == pm_model")
             .mark_line(point=alt.OverlayMarkDef(size=18))
             .encode(x=x, y=y, color=alt.Color("side:N", scale=colors, title=None,
                                               legend=alt.Legend(orient="bottom", labelLimit=300)),
                     tooltip=["model:N", "side:N", alt.Tooltip("long:Q", format=",.0f"),
                              alt.Tooltip("premium:Q", format=".3~g", title="premium (%)")]))
    marks = pd.DataFrame({"premium": list(price_premiums.values()), "t": list(price_premiums)})
    rules = alt.Chart(marks).mark_rule(strokeDash=[2, 2], color="#444").encode(y="premium:Q") + alt.Chart(marks).mark_text(
        align="left", x=4, dy=-7, fontSize=11, color="#444").encode(y="premium:Q", text="t:N")
    return (lines + rules).add_params(pick).properties(
        title=alt.Title(f"The long-context step from both sides, on {hardware.name}",
                        subtitle=["Blue: prefill cost per prompt token; red: decode cost per output token at the",
                                  "standard mode; grey: decode on the blackboard. Dotted: a price sheet's premiums."]),
        width=560, height=320)


def tiers_frame(tiers: list[MemoryTier]) -> pd.DataFrame:
    """Drain time and prices of each tier row (minutes, USD per GB, USD per GB/s)."""
    return _round(pd.DataFrame([{
        "name": t.name, "tier": t.tier, "scope": t.scope, "drain_min": t.drain_time_s / 60.0,
        "usd_per_GB": np.nan if t.usd_per_byte is None else t.usd_per_byte * 1e9,
        "usd_per_GBps": np.nan if t.usd_per_Bps is None else t.usd_per_Bps * 1e9,
    } for t in tiers]))


def tiers_chart(tiers: list[MemoryTier], flops_per_s: float, default_active_B: float, default_kv_kB: float,
                default_accelerator_usd: float) -> alt.LayerChart:
    """Per tier: drain time (circles) and the break-even residence time against recomputation (diamonds,
    eq. prices-gray, τ* = (P_acc·2N_a/(F·b_kv) − β_tier)/c_tier, evaluated in the browser from the sliders),
    with rules at 5 minutes and 1 hour. Minutes on a log axis."""
    frame = tiers_frame(tiers)
    active = alt.param(name="gt_active_B", value=default_active_B,
                       bind=alt.binding_range(min=1, max=1000, step=1, name="N_active (billions) "))
    kv = alt.param(name="gt_kv_kB", value=default_kv_kB,
                   bind=alt.binding_range(min=1, max=600, step=1, name="KV per token b_kv (kB) "))
    price = alt.param(name="gt_acc_usd", value=default_accelerator_usd,
                      bind=alt.binding_range(min=2000, max=60000, step=500, name="accelerator price (USD) "))
    order = list(frame["name"])
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=250))
    x_scale = alt.Scale(type="log", domain=[1e-5, 1e5], clamp=True)
    x_axis = alt.Axis(title="minutes (log)", format="~g")
    drain = alt.Chart(frame).mark_point(filled=True, size=90, shape="circle", color=PALETTE[0]).encode(
        x=alt.X("drain_min:Q", scale=x_scale, axis=x_axis), y=y,
        tooltip=["name:N", alt.Tooltip("drain_min:Q", title="drain time (min)", format=".3~g")])
    # β_recompute in USD per GB/s: P_acc / (F · b_kv / (2 N_a)) × 1e9
    beta_rc = f"gt_acc_usd * 2 * gt_active_B * 1e9 / ({flops_per_s:.6g} * gt_kv_kB * 1e3) * 1e9"
    gray = (
        alt.Chart(frame).transform_filter("isValid(datum.usd_per_GB) && datum.usd_per_GB > 0")
        .transform_calculate(tau_min=f"max({beta_rc} - datum.usd_per_GBps, 0) / datum.usd_per_GB / 60")
        .transform_filter("datum.tau_min > 0")
        .mark_point(filled=True, size=110, shape="diamond", color=PALETTE[1])
        .encode(x=alt.X("tau_min:Q", scale=x_scale, axis=x_axis), y=y,
                tooltip=["name:N", alt.Tooltip("tau_min:Q", title="break-even vs recompute (min)", format=".3~g"),
                         alt.Tooltip("usd_per_GB:Q", title="USD per GB", format=".3~g")])
    )
    # The two rules are a decade apart (a few px on a phone): the shorter duration is labelled on its left, the
    # longer on its right, so that the labels never meet.
    marks = pd.DataFrame({"m": [5.0, 60.0], "t": ["5 min", "1 h"], "side": ["right", "left"], "dx": [-3, 3]})
    rules = alt.Chart(marks).mark_rule(strokeDash=[5, 3], color="#444").encode(x="m:Q") + alt.Chart(marks).mark_text(
        align=alt.expr("datum.side"), dx=alt.expr("datum.dx"), y=-6, fontSize=11, color="#444").encode(
        x="m:Q", text="t:N")
    return (rules + drain + gray).add_params(active, kv, price).properties(
        title=alt.Title("Memory tiers: drain time and break-even residence time",
                        subtitle=["Blue circles: drain time C/W. Red diamonds: break-even time against recomputing KV",
                                  "(priced rows): keep KV in a tier while it is re-read more often than that.",
                                  "Dashed: the price sheets' cache durations."]),
        width=400, height=320)


def kv_bytes_default_kB(model: Model, precision: str) -> float:
    """A slider default: the model's KV bytes per token in kB, rounded."""
    return float(round(model.kv_bytes_per_token(precision) / 1e3)) or 1.0


def bytes_per_weight(precision: str) -> float:
    """b_w of a precision (re-exported for the chapter's input table)."""
    return bytes_per_element(precision)


# --------------------------------------------------------------------------------------------------
# Tables for the chapter (assembly only: every number comes from lib.pricing, lib.memory_tiers, lib.modes)


def inputs_frame(sel, hw: Hardware, model: Model, precision: str, all_prices: list, prices: list,
                 tiers: list) -> pd.DataFrame:
    """The chapter's inputs: the selected rows, the price and tier rows, and the standard mode's weight share."""
    from ..modes import WEIGHT_SHARE
    from ..page import data_file
    from ..units import count, short, si

    hw_csv, models_csv = data_file(sel, "hardware.csv"), data_file(sel, "models.csv")
    return pd.DataFrame([
        {"input": "accelerator", "value": hw.name, "source": hw_csv},
        {"input": f"F (dense {precision})", "value": si(hw.flops(precision), "FLOP/s"), "source": hw_csv},
        {"input": "W_hbm / C_hbm", "value": f"{si(hw.hbm_bandwidth_Bps, 'B/s')} / {si(hw.hbm_capacity_bytes, 'B')}",
         "source": hw_csv},
        {"input": "model", "value": model.name, "source": models_csv},
        {"input": "N_total / N_active", "value": f"{short(model.total_params)} / {short(model.active_params)}",
         "source": models_csv},
        {"input": f"b_kv ({precision})", "value": si(model.kv_bytes_per_token(precision), "B"), "source": "lib.models"},
        {"input": "price rows in force (ended) / tier rows",
         "value": f"{len(prices)} ({len(all_prices) - len(prices)}) / {len(tiers)}",
         "source": f"{data_file(sel, 'prices.csv')}, {data_file(sel, 'memory_tiers.csv')}"},
        {"input": "standard mode: weight share w (range)",
         "value": f"{WEIGHT_SHARE.value:.0%} ({WEIGHT_SHARE.low:.0%}–{WEIGHT_SHARE.high:.0%})",
         "source": "lib.modes.WEIGHT_SHARE"},
    ])


def price_sheet_frame(prices: list) -> pd.DataFrame:
    """The price rows (USD per million tokens) with the two ratios the talk reads off them."""
    from ..units import ratio

    def usd(v):
        return "—" if v is None else f"${v:,.3g}"

    return pd.DataFrame([{
        "row": p.name, "input $/Mtok": usd(p.input_usd_per_Mtok), "output $/Mtok": usd(p.output_usd_per_Mtok),
        "cached $/Mtok": usd(p.cached_input_usd_per_Mtok), "write 5 min": usd(p.cache_write_5m_usd_per_Mtok),
        "write 1 h": usd(p.cache_write_1h_usd_per_Mtok), "output ÷ input": ratio(p.output_to_input),
        "cached ÷ input": "—" if p.cached_to_input is None else f"{p.cached_to_input:.2g}", "as of": p.as_of,
        "ended": p.ended or "",
    } for p in prices])


def breakpoint_table(hardware: list[Hardware], actives, context_tokens: float) -> pd.DataFrame:
    """b_kv* (eq. pl-breakpoint) at ``context_tokens`` for each accelerator, precision and active size."""
    from ..units import count, si

    rows = []
    for h in hardware:
        for p in ("bf16", "fp8", "fp4"):
            if h.supports(p):
                b = breakpoint_kv_bytes_per_token(actives, h.flops(p), h.hbm_bandwidth_Bps, context_tokens)
                rows.append({"hardware": h.name, "precision": p,
                             **{f"N_active {count(a)}": si(v, "B") for a, v in zip(actives, b)}})
    return pd.DataFrame(rows)


def open_kv_frame(models: list[Model], hw: Hardware, precision: str) -> pd.DataFrame:
    """Each model's KV bytes per token in fp8 (per layer and whole), against the talk's 2 KB, and the context L*
    at which its own KV reads equal its arithmetic on ``hw`` (eq. pl-breakpoint)."""
    from ..pricing import breakpoint_context_tokens
    from ..units import si

    rows = []
    for m in models:
        kv8 = m.kv_bytes_per_token("fp8")
        l_star = float(breakpoint_context_tokens(m.active_params, hw.flops(precision), hw.hbm_bandwidth_Bps, kv8))
        rows.append({"model": m.name, "attention": m.attention.upper()
                     + (f" + {m.sliding_window_layers} window layers" if m.sliding_window_layers else ""),
                     "full-attention layers": m.full_attention_layers,
                     "per layer (fp8)": si(m.kv_bytes_per_token_per_layer("fp8"), "B"),
                     "whole model (fp8)": si(kv8, "B"), "÷ 2 KB": f"{kv8 / 2e3:,.0f}×",
                     f"own L* on {hw.name}": f"{l_star:,.0f}"})
    return pd.DataFrame(rows)


def reload_frame(tiers: list[MemoryTier], hw: Hardware, model: Model, precision: str) -> pd.DataFrame:
    """For each node-scope tier: reloading a token's KV against recomputing it (eq. pl-reload), and whether a
    cached-input price of a tenth covers it."""
    from ..memory_tiers import reload_to_recompute_ratio
    from ..units import si

    b_kv = model.kv_bytes_per_token(precision)
    rows = []
    for t in tiers:
        if t.scope == "node":
            rho = float(reload_to_recompute_ratio(b_kv, t.bandwidth_per_accelerator_Bps, hw.flops(precision),
                                                  model.active_params))
            rows.append({"tier (per serving node)": t.name,
                         "bandwidth per accelerator": si(t.bandwidth_per_accelerator_Bps, "B/s"),
                         "reload one token": si(b_kv / t.bandwidth_per_accelerator_Bps, "s"),
                         "recompute one token": si(2 * model.active_params / hw.flops(precision), "s"),
                         "reload ÷ recompute": f"{rho:.2g}",
                         "covered by a 1/10 price": "yes" if rho <= 0.1 else ("cheaper than recompute" if rho < 1 else "no")})
    return pd.DataFrame(rows)


def tier_table_frame(tiers: list[MemoryTier], recompute_usd_per_Bps: float | None) -> pd.DataFrame:
    """Each tier's capacity, bandwidth, drain time C/W (eq. pl-gray) and break-even residence time against
    recomputing the KV (``recompute_usd_per_Bps``: None where unpriced)."""
    from ..memory_tiers import break_even_interval_s, human_duration
    from ..units import si

    rows = []
    for t in tiers:
        tau = None if (recompute_usd_per_Bps is None or t.usd_per_byte is None) else float(
            break_even_interval_s(t.usd_per_byte, recompute_usd_per_Bps, t.usd_per_Bps))
        rows.append({"tier": t.name, "kind": t.tier, "scope": t.scope, "C": si(t.capacity_bytes, "B"),
                     "W": si(t.bandwidth_Bps, "B/s"), "drain time C/W": human_duration(t.drain_time_s),
                     "USD per GB (as of)": "—" if t.usd_per_byte is None else f"{t.usd_per_byte * 1e9:.3g} ({t.price_as_of})",
                     "break-even vs recompute": "—" if tau is None else ("never" if tau == 0 else human_duration(tau))})
    return pd.DataFrame(rows)


def decode_ratio_grid(models: list[Model], hardware: list[Hardware], context_tokens: float) -> pd.DataFrame:
    """Decode ÷ prefill cost per token on the blackboard (:func:`lib.pricing.decode_to_prefill_cost_ratio`, fp8
    where supported) at ``context_tokens``: one row per model, one column per accelerator."""
    from ..derivations.prices_leak import serving_precision

    cells = {m.name: {h.name: float(decode_to_prefill_cost_ratio(h, m, context_tokens, serving_precision(h),
                                                                  serving_precision(h))) for h in hardware}
             for m in models}
    return pd.DataFrame(cells).T


def decode_ratio_selection(grid: pd.DataFrame, accelerators: list[str]) -> pd.DataFrame:
    """The columns of :func:`decode_ratio_grid` for ``accelerators`` (those in the data), written as ratios."""
    shown = grid[[c for c in grid.columns if c in accelerators]]
    return shown.map(lambda v: "—" if not np.isfinite(v) else f"{v:.2g}×").reset_index(names="model")
