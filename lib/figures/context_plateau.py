"""Charts for the chapter ``context-plateau``: cost and speed of a token against context, dense and √-sparse,
with the KV capacity ceilings; and the published context lengths over time.

The per-token terms come from :mod:`lib.context` (which uses :mod:`lib.roofline`); the chart only recombines
them for the sparse crossover L₀ chosen on the slider: sparse reads are k(L) = min(L, √(L·L₀)) tokens on
full-attention layers (eq. ctx-sparse), and sliding-window layers read their window as before.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..charts import BOUND_COLORS, PALETTE, fold_label_expr
from ..context import ContextRelease, capacity_ceilings, context_step, design_batch, kv_read_bytes
from ..hardware import Hardware
from ..models import Model
from ..roofline import min_chips_for_weights

#: Contexts on the x axis: 1k … 100M tokens, 8 points per decade.
CONTEXT_GRID = np.logspace(3, 8, 41)


def _round(frame: pd.DataFrame, columns) -> pd.DataFrame:
    frame[columns] = frame[columns].apply(lambda c: c.map(lambda v: float(f"{v:.4g}")))
    return frame


def context_terms(hardware: Hardware, models: list[Model]) -> pd.DataFrame:
    """Per model and context: the per-token terms of eq. (eq-cp-cost) at B* (accelerator-seconds), the KV read time of
    one token of full-attention context, and the batch-1 step terms on one pool (seconds), for the chart."""
    frames = []
    for model in models:
        batch = design_batch(hardware, model)
        step = context_step(hardware, model, batch, CONTEXT_GRID)
        per_layer = model.kv_bytes_per_token_per_layer()
        full_per_token = per_layer * model.full_attention_layers
        window_bytes = kv_read_bytes(model, CONTEXT_GRID) - CONTEXT_GRID * full_per_token
        pool = max(hardware.scale_up_domain_size, min_chips_for_weights(model, hardware))
        bw = hardware.hbm_bandwidth_Bps
        frames.append(pd.DataFrame({
            "model": model.name,
            "context": CONTEXT_GRID,
            "compute_s": step.compute_s / step.batch * step.chips,
            "weights_s": step.weights_s / step.batch * step.chips,
            "kv_dense_s": step.kv_s / step.batch * step.chips,
            "kv_full_token_s": full_per_token / bw,
            "kv_window_s": window_bytes / bw,
            # batch 1 on a pool of `pool` accelerators (the scale-up domain, or the replica if larger):
            "speed_compute_s": 2.0 * model.active_params / (pool * hardware.flops("bf16")),
            "speed_weights_s": model.weight_bytes() / (pool * bw),
            "pool": pool,
        }))
    frame = pd.concat(frames, ignore_index=True)
    return _round(frame, frame.columns.drop(["model", "pool"]))


def ceilings_frame(hardware: Hardware, models: list[Model]) -> pd.DataFrame:
    """Per model: the contexts where one sequence's KV no longer fits the smallest replica (beside the
    weights) and a whole scale-up domain (KV alone)."""
    rows = []
    for model in models:
        c = capacity_ceilings(hardware, model)
        for label, value in ((f"KV fills replica ({c.replica_chips} chips)", c.replica_context),
                             (f"KV fills scale-up domain ({c.domain_chips} chips)", c.domain_context)):
            if np.isfinite(value) and value > 0:
                rows.append({"model": model.name, "ceiling": label, "context": float(f"{value:.4g}")})
    return pd.DataFrame(rows, columns=["model", "ceiling", "context"])


def cost_against_context_chart(hardware: Hardware, models: list[Model], default_model: str,
                               default_log2_crossover: float = 12.0,
                               default_log10_context: float = 6.0) -> alt.VConcatChart:
    """Two panels sharing a model dropdown, a sparse-crossover slider and a context slider: cost per token at
    B* (accelerator-µs) and decode speed of one sequence at batch 1, both against context (log-log)."""
    frame = context_terms(hardware, models)
    ceilings = ceilings_frame(hardware, models)
    pick = alt.param(name="ctx_model", value=default_model,
                     bind=alt.binding_select(options=[m.name for m in models], name="Model "))
    crossover = alt.param(name="ctx_log2_l0", value=default_log2_crossover,
                          bind=alt.binding_range(min=8, max=20, step=1, name="sparse crossover log₂ L₀ (tokens) "))
    marker = alt.param(name="ctx_log10_l", value=default_log10_context,
                       bind=alt.binding_range(min=3, max=8, step=0.1, name="context log₁₀ L (tokens) "))
    x = alt.X("context:Q", scale=alt.Scale(type="log", domain=[1e3, 1e8]),
              axis=alt.Axis(title="context L (tokens, log)", format="~s"))
    base = (
        alt.Chart(frame)
        .transform_filter("datum.model == ctx_model")
        .transform_calculate(attended="min(datum.context, sqrt(datum.context * pow(2, ctx_log2_l0)))")
        .transform_calculate(kv_sparse_s="datum.attended * datum.kv_full_token_s + datum.kv_window_s")
        .transform_calculate(dense_s="max(datum.compute_s, datum.weights_s + datum.kv_dense_s)")
        .transform_calculate(sparse_s="max(datum.compute_s, datum.weights_s + datum.kv_sparse_s)")
        .transform_calculate(
            dense_tps="1 / max(datum.speed_compute_s, datum.speed_weights_s + datum.kv_dense_s / datum.pool)")
        .transform_calculate(
            sparse_tps="1 / max(datum.speed_compute_s, datum.speed_weights_s + datum.kv_sparse_s / datum.pool)")
    )
    series = {"compute_s": "compute (floor)", "weights_s": "weight reads ÷ B*", "kv_dense_s": "KV reads, dense",
              "kv_sparse_s": "KV reads, √-sparse", "dense_s": "cost, dense", "sparse_s": "cost, √-sparse"}
    colors = [BOUND_COLORS["compute"], BOUND_COLORS["weights"], BOUND_COLORS["kv"], PALETTE[2],
              BOUND_COLORS["step"], PALETTE[4]]
    lines = (
        base.transform_fold(list(series), as_=["term", "sec"])
        .transform_calculate(term_label=fold_label_expr(series))
        .mark_line()
        .encode(
            x=x,
            y=alt.Y("sec:Q", scale=alt.Scale(type="log"),
                    axis=alt.Axis(title="cost per token (accelerator-seconds, log)", format="~s")),
            color=alt.Color("term_label:N", title="term", scale=alt.Scale(domain=list(series.values()), range=colors),
                            legend=alt.Legend(orient="bottom", columns=3)),
            strokeDash=alt.condition("datum.term == 'dense_s' || datum.term == 'sparse_s'",
                                     alt.value([1, 0]), alt.value([5, 3])),
            tooltip=[alt.Tooltip("context:Q", title="context (tokens)", format=",.0f"),
                     alt.Tooltip("term_label:N", title="term"),
                     alt.Tooltip("sec:Q", title="accelerator-seconds per token", format=".3~s")],
        )
    )
    ceiling_rules = (
        alt.Chart(ceilings).transform_filter("datum.model == ctx_model")
        .mark_rule(color="#555", strokeDash=[2, 3])
        .encode(x=alt.X("context:Q", scale=alt.Scale(type="log", domain=[1e3, 1e8])),
                tooltip=[alt.Tooltip("ceiling:N"), alt.Tooltip("context:Q", title="context (tokens)", format=",.0f")])
    )
    ceiling_text = (
        alt.Chart(ceilings).transform_filter("datum.model == ctx_model")
        .mark_text(angle=270, align="right", baseline="bottom", dx=-4, dy=-2, fontSize=10, color="#555")
        .encode(x=alt.X("context:Q", scale=alt.Scale(type="log", domain=[1e3, 1e8])), y=alt.value(4),
                text="ceiling:N")
    )
    # The context slider: a rule and a readout of the two costs at the grid point nearest the chosen context.
    at = (
        base.transform_calculate(chosen="pow(10, ctx_log10_l)")
        .transform_calculate(gap="abs(log(datum.context) - log(datum.chosen))")
        .transform_window(rank="rank()", sort=[alt.SortField("gap", order="ascending")])
    )
    readout = at.transform_filter("datum.rank == 1")
    rule = readout.mark_rule(color="#222").encode(x=alt.X("context:Q", scale=alt.Scale(type="log", domain=[1e3, 1e8])))
    text = (
        readout.transform_calculate(
            label="'L ≈ ' + format(datum.context, '.3~s') + ' tokens: dense ' + format(datum.dense_s, '.3~s')"
                  " + 's, √-sparse ' + format(datum.sparse_s, '.3~s') + 's per token, gain '"
                  " + format(datum.dense_s / datum.sparse_s, ',.3~r') + '×'")
        .mark_text(align="left", baseline="top", x=6, y=6, fontSize=12, color="#222")
        .encode(text="label:N")
    )
    cost = (lines + ceiling_rules + ceiling_text + rule + text).properties(
        title=alt.Title(f"Cost per token against context on {hardware.name}, at batch B*",
                        subtitle=["Dashed grey rules: one sequence's KV no longer fits (sparse reads do not move them)."]),
        width=520, height=320,
    )
    speed = (
        base.transform_fold(["dense_tps", "sparse_tps"], as_=["attention", "tps"])
        .transform_calculate(attention_label="datum.attention == 'dense_tps' ? 'dense' : '√-sparse'")
        .mark_line()
        .encode(x=x,
                y=alt.Y("tps:Q", scale=alt.Scale(type="log"),
                        axis=alt.Axis(title="decode speed, one sequence (tokens/s, log)", format="~s")),
                color=alt.Color("attention_label:N", title="attention",
                                scale=alt.Scale(domain=["dense", "√-sparse"], range=[BOUND_COLORS["step"], PALETTE[4]]),
                                legend=alt.Legend(orient="bottom")),
                tooltip=[alt.Tooltip("context:Q", title="context (tokens)", format=",.0f"),
                         alt.Tooltip("attention_label:N", title="attention"),
                         alt.Tooltip("tps:Q", title="tokens/s", format=",.3~g"),
                         alt.Tooltip("pool:Q", title="accelerators in the pool")])
        .properties(title=alt.Title("Decode speed of one sequence at batch 1",
                                         subtitle="on one scale-up domain, or the smallest replica if larger"),
                    width=520, height=200)
    )
    return (alt.vconcat(cost, speed + ceiling_rules).add_params(pick, crossover, marker)
            .resolve_scale(color="independent"))


def history_chart(releases: list[ContextRelease], levels: dict[str, float]) -> alt.LayerChart:
    """Published maximum context windows over time (log), coloured by availability, with the running maximum
    of generally available frontier releases and horizontal rules at the model's levels (``levels``: label →
    tokens, e.g. where KV reads overtake compute, or where the KV fills a replica)."""
    frame = pd.DataFrame({
        "name": [r.name for r in releases],
        "org": [r.org for r in releases],
        "date": [r.release_date.isoformat() for r in releases],
        "tokens": [float(r.max_context_tokens) for r in releases],
        "availability": [{"ga": "generally available", "limited": "preview / beta", "research": "research only"}[
            r.availability] for r in releases],
        "frontier": ["frontier flagship" if r.frontier else "other" for r in releases],
    })
    ga = frame[(frame["availability"] == "generally available") & (frame["frontier"] == "frontier flagship")].copy()
    ga["running_max"] = np.maximum.accumulate(ga["tokens"].to_numpy())
    y = alt.Y("tokens:Q", scale=alt.Scale(type="log", domain=[2e3, 2e8]),
              axis=alt.Axis(title="maximum context window (tokens, log)", format="~s"))
    x = alt.X("date:T", axis=alt.Axis(title="announcement date", format="%Y-%m"),
              scale=alt.Scale(domain=["2023-01-01", "2026-06-30"]))
    points = alt.Chart(frame).mark_point(size=80).encode(
        x=x, y=y,
        color=alt.Color("availability:N", title="availability",
                        scale=alt.Scale(domain=["generally available", "preview / beta", "research only"],
                                        range=[PALETTE[0], PALETTE[3], PALETTE[1]]),
                        legend=alt.Legend(orient="bottom")),
        shape=alt.Shape("frontier:N", title="kind", legend=alt.Legend(orient="bottom")),
        tooltip=["name:N", "org:N", alt.Tooltip("date:T", format="%Y-%m-%d"),
                 alt.Tooltip("tokens:Q", title="tokens", format=",.0f"), "availability:N"],
    )
    step = alt.Chart(ga).mark_line(interpolate="step-after", color="#888", strokeWidth=1.5).encode(
        x=x, y=alt.Y("running_max:Q", scale=alt.Scale(type="log", domain=[2e3, 2e8])))
    labels = alt.Chart(frame).mark_text(align="left", dx=6, dy=-6, fontSize=9, color="#444").encode(
        x=x, y=y, text="name:N")
    level_frame = pd.DataFrame({"level": list(levels), "tokens": [float(f"{v:.4g}") for v in levels.values()]})
    rules = alt.Chart(level_frame).mark_rule(strokeDash=[4, 3], color="#2e8b57").encode(
        y=alt.Y("tokens:Q", scale=alt.Scale(type="log", domain=[2e3, 2e8])),
        tooltip=["level:N", alt.Tooltip("tokens:Q", format=",.0f")])
    rule_text = alt.Chart(level_frame).mark_text(align="left", x=4, dy=-5, fontSize=10, color="#2e8b57").encode(
        y=alt.Y("tokens:Q", scale=alt.Scale(type="log", domain=[2e3, 2e8])), text="level:N")
    return (rules + rule_text + step + points + labels).properties(
        title=alt.Title("Published maximum context windows, 2023 onward",
                        subtitle=["Grey step: the largest generally available frontier window so far.",
                                  "Green rules: this chapter's model on the selected hardware."]),
        width=520, height=360,
    )
