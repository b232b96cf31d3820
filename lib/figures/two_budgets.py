"""Charts for the chapter ``two-budgets``: cost per token and throughput against batch, for every hardware row.

The per-token components come from :mod:`lib.roofline`; the chart only adds them and takes the maximum,
as eq. (two-budgets-step) does, so that the context slider and the hardware dropdown work in the static
page with no kernel.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..hardware import Hardware
from ..models import Model
from ..roofline import decode_step
from ..charts import BOUND_COLORS, fold_label_expr

BATCH_GRID = np.unique(np.round(np.logspace(0, 5, 51)))  # 1 … 100,000 sequences


def per_token_components(hardware: list[Hardware], model: Model, precision: str = "bf16") -> pd.DataFrame:
    """Per-token costs in accelerator-microseconds for each hardware row and batch (context 0), plus each
    row's KV cost per token of context (full-attention layers) and per windowed token.

    Cost per token in accelerator-seconds is n · t / B, which does not depend on n (see lib.roofline).
    """
    frames = []
    for hw in hardware:
        if not hw.supports(precision):
            continue
        step = decode_step(hw, model, BATCH_GRID, 0.0, precision=precision, chips=1)
        per_layer = model.kv_bytes_per_token_per_layer()
        frames.append(pd.DataFrame({
            "hardware": hw.name,
            "batch": BATCH_GRID,
            "compute_us": step.compute_s / step.batch * 1e6,
            "weights_us": step.weights_s / step.batch * 1e6,
            # KV cost of one token at context L: L * kv_full + min(L, window) * kv_window  (microseconds)
            "kv_full_us": per_layer * model.full_attention_layers / hw.hbm_bandwidth_Bps * 1e6,
            "kv_window_us": per_layer * model.sliding_window_layers / hw.hbm_bandwidth_Bps * 1e6,
        }))
    frame = pd.concat(frames, ignore_index=True)
    numeric = frame.columns.drop("hardware")
    frame[numeric] = frame[numeric].apply(lambda c: c.map(lambda v: float(f"{v:.4g}")))  # lighter page
    return frame


def cost_and_throughput_chart(hardware: list[Hardware], model: Model, default_hardware: str,
                              default_log2_context: float = 10.0) -> alt.VConcatChart:
    """Two panels sharing a hardware dropdown and a context slider: cost per token (accelerator-µs, log-log)
    with the compute floor, weight-amortisation and KV terms, and throughput per accelerator."""
    frame = per_token_components(hardware, model)
    names = list(dict.fromkeys(frame["hardware"]))
    pick = alt.param(name="hardware_pick", value=default_hardware,
                     bind=alt.binding_select(options=names, name="Hardware "))
    log_context = alt.param(name="log2_context", value=default_log2_context,
                            bind=alt.binding_range(min=7, max=21, step=0.5, name="log₂ context length (tokens) "))
    window = float(model.sliding_window_tokens)
    base = (
        alt.Chart(frame)
        .transform_filter("datum.hardware == hardware_pick")
        .transform_calculate(context="pow(2, log2_context)")
        .transform_calculate(kv_us=f"datum.context * datum.kv_full_us + min(datum.context, {window}) * datum.kv_window_us")
        .transform_calculate(memory_us="datum.weights_us + datum.kv_us")
        .transform_calculate(step_us="max(datum.compute_us, datum.memory_us)")
        .transform_calculate(tokens_per_s="1e6 / datum.step_us")
    )
    series = {"compute_us": "compute (floor)", "weights_us": "weight reads", "kv_us": "KV reads",
              "step_us": "step (the larger budget)"}
    colors = [BOUND_COLORS["compute"], BOUND_COLORS["weights"], BOUND_COLORS["kv"], BOUND_COLORS["step"]]
    x = alt.X("batch:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="batch B (sequences per step, log)", format="~s"))
    lines = (
        base.transform_fold(list(series), as_=["term", "us"])
        .transform_calculate(term_label=fold_label_expr(series))
        .mark_line()
        .encode(
            x=x,
            y=alt.Y("us:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="cost per token (accelerator-µs, log)", format="~s")),
            color=alt.Color("term_label:N", title="term", legend=alt.Legend(orient="bottom", columns=2), scale=alt.Scale(domain=list(series.values()), range=colors)),
            strokeDash=alt.condition("datum.term == 'step_us'", alt.value([1, 0]), alt.value([5, 3])),
            tooltip=[alt.Tooltip("batch:Q", format=",.0f"), alt.Tooltip("term_label:N", title="term"),
                     alt.Tooltip("us:Q", title="µs per token", format=".3~g")],
        )
    )
    sweet = (
        base.transform_filter("datum.compute_us >= datum.memory_us")
        .transform_aggregate(sweet="min(batch)")
        .mark_rule(color="#444", strokeDash=[2, 2])
        .encode(x=alt.X("sweet:Q", title="batch B (sequences per step, log)"), tooltip=[alt.Tooltip("sweet:Q", title="sweet spot (batch)", format=",.0f")])
    )
    sweet_label = (
        base.transform_filter("datum.compute_us >= datum.memory_us")
        .transform_aggregate(sweet="min(batch)")
        .mark_text(align="right", dx=-4, dy=-120, fontSize=11, color="#444")
        .encode(x=alt.X("sweet:Q", title="batch B (sequences per step, log)"), text=alt.value("sweet spot: compute = memory"))
    )
    context_label = (
        base.transform_aggregate(context="max(context)")
        .transform_calculate(label="'context L = ' + format(datum.context, ',.0f') + ' tokens'")
        .mark_text(align="left", baseline="top", x=6, y=6, fontSize=12, color="#222")
        .encode(text="label:N")
    )
    cost = (lines + sweet + sweet_label + context_label).properties(
        title=alt.Title(f"{model.name}: cost per token against batch",
                        subtitle=["Left of the dotted rule weights are not amortised; right of it compute sets the floor.",
                                  "No rule: KV reads keep every batch memory bound at this context."]),
        width=560, height=300,
    )
    throughput = (
        base.mark_line(color=BOUND_COLORS["step"])
        .encode(x=x, y=alt.Y("tokens_per_s:Q", scale=alt.Scale(type="log"),
                             axis=alt.Axis(title="tokens/s per accelerator (log)", format="~s")),
                tooltip=[alt.Tooltip("batch:Q", format=",.0f"), alt.Tooltip("tokens_per_s:Q", format=",.0f")])
        .properties(title="Throughput per accelerator = 1 / cost per token", width=560, height=180)
    )
    return alt.vconcat(cost, throughput).add_params(pick, log_context).resolve_scale(color="independent")
