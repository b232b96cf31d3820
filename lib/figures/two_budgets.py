"""Charts for the chapter ``two-budgets``: cost per token against batch, the refined model beside the blackboard's,
with the batches a replica cannot hold greyed out.

Every term comes from :mod:`lib.roofline`. Weight operations depend on the batch only, and attention over the
context is one coefficient times the attended layer-tokens A(L) = L · full layers + min(L, w) · windowed layers
(its FLOPs and its KV bytes are both proportional to A(L)), so the page recombines them for any context:

    per-operation cost = Σ_weights max(compute, memory)(B) + A(L) · max(a_c, a_m)
    pooled cost        = max(Σ compute(B) + A(L) · a_c,  Σ memory(B) + A(L) · a_m)
    fits               = N_bytes + B · A(L) · kv_layer ≤ m · n_min · (1 − ρ) C_hbm

which lets the context slider, the replica-size slider and the hardware dropdown work with no kernel.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..charts import BOUND_COLORS
from ..hardware import Hardware
from ..models import Model
from ..roofline import (HBM_RESERVE_FRACTION, Precisions, as_precisions, attention_format, blackboard_decode_step,
                        chips_to_fit, decode_step, weight_storage_bytes)

BATCH_GRID = np.unique(np.round(np.logspace(0, 5, 51)))  # 1 … 100,000 sequences


def _round(frame: pd.DataFrame, columns) -> pd.DataFrame:
    frame[columns] = frame[columns].apply(lambda c: c.map(lambda v: float(f"{v:.4g}")))  # a lighter page
    return frame


def per_token_components(hardware: list[Hardware], model: Model, precision: str | Precisions | None = None,
                         ) -> pd.DataFrame:
    """Per-token costs in accelerator-microseconds at context 0 for each hardware row and batch, with each row's
    attention coefficients per attended layer-token and its capacity figures (see the module docstring)."""
    frames = []
    p = as_precisions(model, precision)
    weights_bytes = weight_storage_bytes(model, p)
    kv_layer = model.kv_bytes_per_token_per_layer(p.kv)
    attn_flops = model.attention_core_flops_per_context_token("decode")
    for hw in hardware:
        step = decode_step(hw, model, BATCH_GRID, 0.0, p, chips=1)
        bw = hw.hbm_bandwidth_Bps
        weight_ops = [op for name, op in step.operations.items() if name != "attention_core"]
        board_p = "bf16"
        board = blackboard_decode_step(hw, model, BATCH_GRID, 0.0, board_p, chips=1)
        frames.append(pd.DataFrame({
            "hardware": hw.name,
            "batch": BATCH_GRID,
            "w_compute_us": sum(op.compute_s(1) for op in weight_ops) / BATCH_GRID * 1e6,
            "w_memory_us": sum(op.memory_s(1, bw) for op in weight_ops) / BATCH_GRID * 1e6,
            "w_perop_us": sum(op.time_s(1, bw) for op in weight_ops) / BATCH_GRID * 1e6,
            "a_c_us": attn_flops / hw.flops(attention_format(p, hw)) * 1e6,
            "a_m_us": kv_layer / bw * 1e6,
            "bb_compute_us": board.compute_s / BATCH_GRID * 1e6,
            "bb_weights_us": board.weights_s / BATCH_GRID * 1e6,
            "bb_kv_layer_us": model.kv_bytes_per_token_per_layer("bf16") / bw * 1e6,
            "n_min": float(chips_to_fit(model, hw, 0, 0, p)),
            "usable_GB": (1 - HBM_RESERVE_FRACTION) * hw.hbm_capacity_bytes / 1e9,
        }))
    frame = pd.concat(frames, ignore_index=True)
    frame["weights_GB"] = weights_bytes / 1e9
    frame["kv_layer_GB"] = kv_layer / 1e9
    return _round(frame, [c for c in frame.columns if c.endswith("_us") or c.endswith("_GB")])


def cost_and_throughput_chart(hardware: list[Hardware], model: Model, default_hardware: str,
                              default_log2_context: float = 10.0,
                              precision: str | Precisions | None = None) -> alt.VConcatChart:
    """Cost per token against batch (accelerator-µs, log-log): the refined model per operation and pooled, the
    blackboard's two budgets, the batches the replica cannot hold in grey; and throughput per accelerator.
    Controls: hardware, context, and the replica as a multiple of the fewest accelerators that hold the weights."""
    frame = per_token_components(hardware, model, precision)
    names = list(dict.fromkeys(frame["hardware"]))
    pick = alt.param(name="hardware_pick", value=default_hardware,
                     bind=alt.binding_select(options=names, name="Hardware "))
    log_context = alt.param(name="log2_context", value=default_log2_context,
                            bind=alt.binding_range(min=7, max=21, step=0.5, name="log₂ context length (tokens) "))
    multiple = alt.param(name="replica_multiple", value=1,
                         bind=alt.binding_range(min=1, max=8, step=1,
                                                name="replica size (× the fewest accelerators that hold the weights) "))
    full, windowed = model.full_attention_layers, model.sliding_window_layers
    window = float(model.sliding_window_tokens)
    base = (
        alt.Chart(frame)
        .transform_filter("datum.hardware == hardware_pick")
        .transform_calculate(context="pow(2, log2_context)")
        .transform_calculate(attended=f"datum.context * {full} + min(datum.context, {window}) * {windowed}")
        .transform_calculate(perop_us="datum.w_perop_us + datum.attended * max(datum.a_c_us, datum.a_m_us)")
        .transform_calculate(pooled_us="max(datum.w_compute_us + datum.attended * datum.a_c_us, "
                                       "datum.w_memory_us + datum.attended * datum.a_m_us)")
        .transform_calculate(board_us="max(datum.bb_compute_us, datum.bb_weights_us + datum.attended * datum.bb_kv_layer_us)")
        .transform_calculate(chips="replica_multiple * datum.n_min")
        .transform_calculate(need_GB="datum.weights_GB + datum.batch * datum.attended * datum.kv_layer_GB")
        .transform_calculate(fits="datum.need_GB <= datum.chips * datum.usable_GB")
        .transform_calculate(tokens_per_s="1e6 / datum.perop_us")
    )
    x = alt.X("batch:Q", scale=alt.Scale(type="log", domain=[1, float(BATCH_GRID.max())]),
              axis=alt.Axis(title="batch B (sequences per step, log)", format="~s"))
    y = alt.Y("us:Q", scale=alt.Scale(type="log"),
              axis=alt.Axis(title="cost per token (accelerator-µs, log)", format="~s"))
    series = {"perop_us": "refined, per operation (fits)", "pooled_us": "refined, pooled (fits)",
              "board_us": "blackboard (bf16, every weight, no capacity limit)",
              "grey_us": "refined, does not fit the replica"}
    colors = [BOUND_COLORS["step"], BOUND_COLORS["weights"], BOUND_COLORS["kv"], "#bbbbbb"]
    color = alt.Color("label:N", title=None, legend=alt.Legend(orient="bottom", columns=1, labelLimit=0),
                      scale=alt.Scale(domain=list(series.values()), range=colors))
    tooltip = [alt.Tooltip("batch:Q", format=",.0f"), alt.Tooltip("label:N", title="line"),
               alt.Tooltip("us:Q", title="µs per token", format=".3~g")]

    def line(column: str, condition: str, dash: list[int], width: float = 2.2):
        return (base.transform_filter(condition)
                .transform_calculate(us=f"datum.{column.replace('grey_us', 'perop_us')}", label=f"'{series[column]}'")
                .mark_line(strokeDash=dash, strokeWidth=width)
                .encode(x=x, y=y, color=color, tooltip=tooltip))

    cost = alt.layer(
        line("board_us", "true", [6, 3], 1.8),
        line("grey_us", "!datum.fits", [2, 2], 2.2),
        line("pooled_us", "datum.fits", [1, 0], 1.2),
        line("perop_us", "datum.fits", [1, 0], 2.4),
    )
    context_label = (
        base.transform_aggregate(context="max(context)", chips="max(chips)")
        .transform_calculate(label="'context ' + format(datum.context, ',.0f') + ' tokens, replica of ' + "
                                   "format(datum.chips, ',.0f') + ' accelerators'")
        .mark_text(align="left", baseline="top", x=6, y=6, fontSize=12, color="#222")
        .encode(text="label:N")
    )
    cost = (cost + context_label).properties(
        title=alt.Title(f"{model.name}: cost per token against batch",
                        subtitle=["Grey: batches whose KV cache does not fit the replica's HBM beside the weights."]),
        width=560, height=300,
    )
    throughput = (
        base.transform_filter("datum.fits")
        .mark_line(color=BOUND_COLORS["step"])
        .encode(x=x, y=alt.Y("tokens_per_s:Q", scale=alt.Scale(type="log"),
                             axis=alt.Axis(title="tokens/s per accelerator (log)", format="~s")),
                tooltip=[alt.Tooltip("batch:Q", format=",.0f"), alt.Tooltip("tokens_per_s:Q", format=",.0f")])
        .properties(title="Throughput per accelerator (refined, batches that fit)", width=560, height=180)
    )
    return alt.vconcat(cost, throughput).add_params(pick, log_context, multiple)


def operations_frame(hardware: Hardware, model: Model, batches, context: float,
                     precision: str | Precisions | None = None, chips: int = 1) -> pd.DataFrame:
    """Each operation's compute and memory time per token (accelerator-µs) at a few batches: the per-operation
    roofline behind the step, in long form for a bar chart."""
    rows = []
    for b in batches:
        step = decode_step(hardware, model, float(b), context, precision, chips=chips)
        bw = hardware.hbm_bandwidth_Bps
        for name, op in step.operations.items():
            if float(op.flops) == 0 and float(op.bytes) == 0:
                continue
            rows.append({"batch": f"B = {int(b):,}", "operation": name.replace("_", " "),
                         "compute_us": float(op.compute_s(chips)) * chips / b * 1e6,
                         "memory_us": float(op.memory_s(chips, bw)) * chips / b * 1e6})
    frame = pd.DataFrame(rows)
    frame["bound"] = np.where(frame.compute_us >= frame.memory_us, "compute", "memory")
    return _round(frame, ["compute_us", "memory_us"])


def operations_chart(frame: pd.DataFrame, model: Model) -> alt.FacetChart:
    """Per-operation roofline: each operation's compute and memory time per token (dots joined by a rule, the
    right-hand dot is the operation's time), one panel per batch."""
    long = frame.melt(id_vars=["batch", "operation", "bound"], value_vars=["compute_us", "memory_us"],
                      var_name="budget", value_name="us")
    long["budget"] = long["budget"].map({"compute_us": "compute", "memory_us": "memory (weights or KV)"})
    y = alt.Y("operation:N", title=None, sort=None)
    x = alt.X("us:Q", scale=alt.Scale(type="log"),
              axis=alt.Axis(title="accelerator-µs per token (log)", format="~s", tickCount=5, labelOverlap="greedy"))
    span = alt.Chart().mark_rule(color="#999").encode(y=y, x=alt.X("min(us):Q"), x2=alt.X2("max(us):Q"))
    dots = alt.Chart().mark_point(filled=True, size=70).encode(
        y=y, x=x,
        color=alt.Color("budget:N", title="budget", legend=alt.Legend(orient="bottom", labelLimit=0),
                        scale=alt.Scale(range=[BOUND_COLORS["compute"], BOUND_COLORS["weights"]])),
        shape=alt.Shape("budget:N", legend=None),
        tooltip=["batch:N", "operation:N", "budget:N", alt.Tooltip("us:Q", format=".3~g"), "bound:N"],
    )
    return (
        alt.layer(span, dots, data=long)
        .properties(width=460, height=130)
        .facet(row=alt.Row("batch:N", title=None, sort=None, header=alt.Header(labelAngle=0, labelAlign="left")))
        .properties(title=f"{model.name}: each operation on its own roofline")
    )


# --------------------------------------------------------------------------------------------------
# Tables for the chapter (assembly only: every number comes from lib.roofline)


def inputs_frame(sel, precisions_label: str) -> pd.DataFrame:
    """The chapter's inputs: the selected accelerator and model, its release formats and its KV bytes per token."""
    from ..page import data_file, source_of
    from ..units import count, short, si

    hw, model = sel.hardware, sel.model
    hw_csv, models_csv = data_file(sel, "hardware.csv"), data_file(sel, "models.csv")
    return pd.DataFrame([
        {"input": "accelerator", "value": hw.name, "source": source_of(hw)},
        {"input": "F (dense bf16 / fp8)",
         "value": " / ".join(si(hw.flops(p), "FLOP/s") for p in ("bf16", "fp8") if hw.supports(p)), "source": hw_csv},
        {"input": "W_hbm, C_hbm", "value": f"{si(hw.hbm_bandwidth_Bps, 'B/s')}, {si(hw.hbm_capacity_bytes, 'B')}",
         "source": hw_csv},
        {"input": "model", "value": model.name, "source": source_of(model)},
        {"input": "N_total / N_active (published)",
         "value": f"{short(model.total_params)} / {short(model.active_params)}", "source": models_csv},
        {"input": "release formats", "value": precisions_label, "source": models_csv},
        {"input": "b_kv (bf16)", "value": si(model.kv_bytes_per_token(), "B"), "source": "lib.models"},
    ])


def step_table(batches, step, board) -> pd.DataFrame:
    """One decode step at each batch (``step``: lib.roofline.decode_step, ``board``: the blackboard's): experts
    touched, the three budgets, the pooled and per-operation step, and the cost per token where it fits."""
    from ..units import si

    return pd.DataFrame({
        "batch B": [f"{b:,}" for b in batches],
        "experts touched": ["—"] * len(batches) if step.experts_touched is None else [f"{t:.0f}" for t in step.experts_touched],
        "t_compute": [si(t, "s") for t in step.compute_s],
        "t_weights": [si(t, "s") for t in step.weights_s],
        "t_kv": [si(t, "s") for t in step.kv_s],
        "t_pooled": [si(t, "s") for t in step.pooled_s],
        "t_step (per op)": [si(t, "s") for t in step.step_s],
        "blackboard t_step": [si(t, "s") for t in board.step_s],
        "cost per token": [si(c, "s") if f else "— (does not fit)" for c, f in zip(step.chip_seconds_per_token, step.fits)],
    })


def sweet_spots_frame(hw: Hardware, models: list[Model]) -> tuple[pd.DataFrame, list[str]]:
    """Every model on ``hw``: the smallest replica n that holds the weights, the refined and the blackboard's sweet
    spots at 1k and 8k tokens, and the largest batch n holds at 8k; and the models whose refined sweet spot exists
    at 8k where the blackboard's does not (with the accelerators that sweet spot needs)."""
    from ..roofline import chips_to_fit, crossover_batch, max_batch, pooled_optimal_batch

    def fmt(b):
        return "none" if not np.isfinite(b) else f"{b:,.0f}"

    rows, rescued = [], []
    for m in models:
        n = int(chips_to_fit(m, hw))
        refined_8k = pooled_optimal_batch(hw, m, 8192)
        board_8k = float(crossover_batch(hw, m, 8192))
        rows.append({"model": m.name, "replica n": n,
                     "sweet @1k (refined)": fmt(pooled_optimal_batch(hw, m, 1024)),
                     "sweet @1k (blackboard)": fmt(float(crossover_batch(hw, m, 1024))),
                     "sweet @8k (refined)": fmt(refined_8k), "sweet @8k (blackboard)": fmt(board_8k),
                     "max batch @8k on n": fmt(float(max_batch(m, hw, n, 8192)))})
        if np.isfinite(refined_8k) and not np.isfinite(board_8k):
            rescued.append(f"{m.name} ({refined_8k:,.0f} sequences, which need "
                           f"{float(chips_to_fit(m, hw, refined_8k, 8192)):,.0f} accelerators of HBM)")
    return pd.DataFrame(rows), rescued
