"""Charts for the chapter ``racks``: expert all-to-all against compute, scale-up domains against model size,
pipelining's memory / latency / bubble, and a rack's HBM split between weights and KV cache.

The per-row quantities come from :mod:`lib.parallelism`; the charts only multiply them by the reader's slider
values (batch, parameters, stages, context) in the browser, as the chapter's equations do.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .. import parallelism as par
from ..charts import BOUND_COLORS, PALETTE
from ..hardware import Hardware
from ..models import Model

#: 1 … 100,000 tokens per replica step, two points a decade: every term of a layer is a power of the batch (B¹ or
#: B⁰), a straight line on the chart's log-log axes, so more points would add page weight and nothing drawn.
BATCH_GRID = np.unique(np.round(np.logspace(0, 5, 11)))


def _round(frame: pd.DataFrame) -> pd.DataFrame:
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].apply(lambda c: c.map(lambda v: float(f"{v:.4g}")))
    return frame


def moe_layer_frame(hardware: list[Hardware], model: Model, ep_degree, topology_of=None) -> pd.DataFrame:
    """One MoE layer's times (µs) against batch for every hardware row: compute, weight reads, and the
    all-to-all over the scale-up link (at the topology's all-to-all bandwidth when ``topology_of`` gives one)
    and the scale-out link (long form)."""
    frames = []
    for hw in hardware:
        n = ep_degree(hw, model)
        topo = topology_of(hw) if topology_of else None
        up = par.moe_layer_times(hw, model, BATCH_GRID, n, "scale_up", topology=topo)
        out = par.moe_layer_times(hw, model, BATCH_GRID, n, "scale_out")
        for label, values in (("compute", up.compute_s), ("weight reads", up.weights_s),
                              ("all-to-all, scale-up link", up.a2a_s), ("all-to-all, scale-out link", out.a2a_s)):
            frames.append(pd.DataFrame({"hardware": hw.name, "batch": BATCH_GRID, "term": label,
                                        "us": values * 1e6, "chips": n}))
    return _round(pd.concat(frames, ignore_index=True))


def moe_terms_frame(hardware: list[Hardware], model: Model, ep_degree, topology_of=None) -> pd.DataFrame:
    """Each term of one MoE layer as ``us_at_1 · B^power`` (µs at a batch of one token, and its power of the
    batch: 1 for compute and the all-to-alls, 0 for the weight reads), per hardware row, from
    :func:`lib.parallelism.moe_layer_times` at B = 1 and B = 10; the chart multiplies by the batch."""
    frame = moe_layer_frame(hardware, model, ep_degree, topology_of)
    one = frame[frame["batch"] == 1.0].set_index(["hardware", "term"])
    ten = frame[frame["batch"] == 10.0].set_index(["hardware", "term"])
    out = one[["us", "chips"]].rename(columns={"us": "us_at_1"}).copy()
    # A term that is zero at one token (no link to cross on a one-chip row) stays zero: power 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.log10(ten["us"] / one["us"])
    out["power"] = np.where(np.isfinite(growth), np.round(growth), 0).astype(int)
    return out.reset_index()


def moe_chart(hardware: list[Hardware], model: Model, default_hardware: str, ep_degree, topology_of=None) -> alt.Chart:
    """Per-layer times against batch with a hardware dropdown (log-log); the data are each term's time at one
    token and its power of the batch (:func:`moe_terms_frame`), crossed with the batch grid in the browser."""
    frame = moe_terms_frame(hardware, model, ep_degree, topology_of)
    names = list(dict.fromkeys(frame["hardware"]))
    pick = alt.param(name="moe_hw", value=default_hardware, bind=alt.binding_select(options=names, name="Hardware "))
    terms = ["compute", "weight reads", "all-to-all, scale-up link", "all-to-all, scale-out link"]
    colors = [BOUND_COLORS["compute"], BOUND_COLORS["weights"], PALETTE[2], PALETTE[4]]
    grid = "[" + ", ".join(f"{b:g}" for b in BATCH_GRID) + "]"
    return (
        alt.Chart(frame)
        .transform_filter("datum.hardware == moe_hw")
        .transform_calculate(batches=grid)
        .transform_flatten(["batches"], as_=["batch"])
        .transform_calculate(us="datum.us_at_1 * pow(datum.batch, datum.power)")
        .mark_line()
        .encode(
            x=alt.X("batch:Q", scale=alt.Scale(type="log"),
                    axis=alt.Axis(title="batch B (tokens per replica step, log)", format="~s")),
            y=alt.Y("us:Q", scale=alt.Scale(type="log"),
                    axis=alt.Axis(title="time per MoE layer per step (µs, log)", format="~s")),
            color=alt.Color("term:N", title="term", scale=alt.Scale(domain=terms, range=colors),
                            legend=alt.Legend(orient="bottom", columns=2)),
            strokeDash=alt.condition("indexof(datum.term, 'all-to-all') >= 0", alt.value([5, 3]), alt.value([1, 0])),
            tooltip=[alt.Tooltip("batch:Q", format=",.0f"), "term:N", alt.Tooltip("us:Q", title="µs", format=".3~g"),
                     alt.Tooltip("chips:Q", title="expert-parallel accelerators")],
        )
        .add_params(pick)
        .properties(
            title=alt.Title(f"{model.name}: one MoE layer, experts spread over one scale-up domain",
                            subtitle=["Where a dashed all-to-all line rises above both solid lines, the layer is "
                                      "communication bound.", "Scale-out lines show the same layer if its experts "
                                      "sat across the scale-out network instead."]),
            width=560, height=300,
        )
    )


def domain_frame(hardware: list[Hardware]) -> pd.DataFrame:
    """Each row's scale-up domain: size, aggregate HBM (TB) and bandwidth (TB/s)."""
    rows = []
    for hw in hardware:
        cap, bw = par.domain_totals(hw)
        rows.append({"hardware": f"{hw.name} ×{hw.scale_up_domain_size:,}", "year": hw.year,
                     "domain_TB": cap / 1e12, "domain_TBps": bw / 1e12})
    return _round(pd.DataFrame(rows))


def domain_chart(hardware: list[Hardware], default_log10_params: float = 12.0) -> alt.Chart:
    """Time to read a model's weights across each scale-up domain, with a parameter-count slider and a
    weight-precision dropdown; bars are grey where the weights do not fit in the domain's HBM."""
    frame = domain_frame(hardware)
    log_n = alt.param(name="dom_log10_params", value=default_log10_params,
                      bind=alt.binding_range(min=10, max=13.5, step=0.1, name="log₁₀ parameters "))
    b_w = alt.param(name="dom_bytes", value=2.0,
                    bind=alt.binding_select(options=[2.0, 1.0, 0.5], labels=["bf16", "fp8", "fp4"],
                                            name="weight precision "))
    base = (
        alt.Chart(frame)
        .transform_calculate(weights_TB="pow(10, dom_log10_params) * dom_bytes / 1e12")
        .transform_calculate(read_ms="1000 * datum.weights_TB / datum.domain_TBps")
        .transform_calculate(fits="datum.weights_TB <= datum.domain_TB ? 'fits in the domain' : 'does not fit'")
        .transform_calculate(params_label="'N_total = ' + format(pow(10, dom_log10_params), '.3~s') + ' parameters'")
    )
    bars = base.mark_circle(size=140, opacity=1).encode(
        y=alt.Y("hardware:N", sort=list(frame.sort_values(["year", "domain_TB"])["hardware"]),
                title="scale-up domain (accelerator × count)"),
        x=alt.X("read_ms:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="time to read every weight once (ms, log)")),
        color=alt.Color("fits:N", title="weights", scale=alt.Scale(domain=["fits in the domain", "does not fit"],
                                                                   range=[PALETTE[0], "#bbbbbb"])),
        tooltip=["hardware:N", alt.Tooltip("domain_TB:Q", title="domain HBM (TB)", format=".3~g"),
                 alt.Tooltip("domain_TBps:Q", title="domain HBM bandwidth (TB/s)", format=".3~g"),
                 alt.Tooltip("weights_TB:Q", title="weights (TB)", format=".3~g"),
                 alt.Tooltip("read_ms:Q", title="read time (ms)", format=".3~g")],
    )
    label = base.transform_aggregate(params_label="min(params_label)").mark_text(
        align="left", baseline="top", x=6, y=6, fontSize=12, color="#222").encode(text="params_label:N")
    return (bars + label).add_params(log_n, b_w).properties(
        title=alt.Title("Reading a model's weights across one scale-up domain",
                        subtitle="Grey points: the weights alone exceed the domain's HBM."),
        width=480, height=330,
    )


def pipeline_chart(weight_bytes: float, kv_bytes_per_microbatch: float, step_s: float, transfer_s: float,
                   model_name: str, hardware_name: str) -> alt.VConcatChart:
    """Three panels sharing a stages slider: per-stage memory (weights fall as 1/p, KV does not), decode
    latency per token (grows by p hops; hop latency slider), and the training bubble against micro-batches."""
    stages = alt.param(name="pp_stages", value=4, bind=alt.binding_range(min=1, max=16, step=1, name="stages p "))
    hop_us = alt.param(name="pp_hop_us", value=20, bind=alt.binding_range(min=0, max=1000, step=10,
                                                                          name="fixed hop latency (µs) "))
    memory = pd.DataFrame({"term": ["weights", "KV cache"], "GB": [weight_bytes / 1e9, kv_bytes_per_microbatch / 1e9],
                           "per_stage": [1, 0]})
    mem_chart = (
        alt.Chart(_round(memory))
        .transform_calculate(stage_GB="datum.per_stage == 1 ? datum.GB / pp_stages : datum.GB")
        .mark_bar()
        .encode(y=alt.Y("term:N", title=None), x=alt.X("stage_GB:Q", title="memory per stage (GB)"),
                color=alt.Color("term:N", legend=None, scale=alt.Scale(domain=["weights", "KV cache"],
                                                                       range=[BOUND_COLORS["weights"], BOUND_COLORS["kv"]])),
                tooltip=["term:N", alt.Tooltip("stage_GB:Q", title="GB per stage", format=",.1f")])
        .properties(title=alt.Title("Memory one stage holds", subtitle="weights ÷ p; KV of B* sequences at 8k context, whatever p"),
                    width=560, height=90)
    )
    grid = pd.DataFrame({"p": np.arange(1, 17)})
    grid["step_ms"], grid["transfer_ms"] = step_s * 1e3, transfer_s * 1e3
    latency = (
        alt.Chart(_round(grid))
        .transform_calculate(hops_ms="datum.p * (datum.transfer_ms + pp_hop_us / 1000)")
        .transform_calculate(share="datum.hops_ms / datum.step_ms")
        .mark_bar(color=BOUND_COLORS["step"])
        .encode(x=alt.X("p:O", title="pipeline stages p", axis=alt.Axis(labelAngle=0)),
                y=alt.Y("hops_ms:Q", title="latency added by hops (ms per token)"),
                opacity=alt.condition("datum.p == pp_stages", alt.value(1), alt.value(0.3)),
                tooltip=["p:Q", alt.Tooltip("hops_ms:Q", title="ms added per token", format=".3~g"),
                         alt.Tooltip("share:Q", title="÷ one step", format=".1%")])
        .properties(title=alt.Title(f"Decode latency of {model_name}: p hops on top of one step of {step_s * 1e3:.3g} ms",
                                    subtitle=f"stages are {hardware_name} scale-up domains joined by the scale-out network"),
                    width=560, height=170)
    )
    micro = pd.DataFrame({"m": np.arange(1, 65)})
    bubble = (
        alt.Chart(micro)
        .transform_calculate(bubble="(pp_stages - 1) / (datum.m + pp_stages - 1)")
        .mark_line(color=PALETTE[3])
        .encode(x=alt.X("m:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="micro-batches per step m (log)")),
                y=alt.Y("bubble:Q", axis=alt.Axis(title="idle fraction of a training step", format=".0%"),
                        scale=alt.Scale(domain=[0, 1])),
                tooltip=["m:Q", alt.Tooltip("bubble:Q", format=".1%")])
        .properties(title="Training bubble (p − 1) / (m + p − 1)", width=560, height=170)
    )
    return alt.vconcat(mem_chart, latency, bubble).add_params(stages, hop_us)


def rack_memory_chart(hardware: list[Hardware], model: Model, precision: str = "fp8") -> alt.Chart:
    """Each scale-up domain's HBM against the weights plus the KV cache of B sequences at context L
    (sliders), for one model."""
    rows = []
    for hw in hardware:
        cap, _ = par.domain_totals(hw)
        rows.append({"hardware": f"{hw.name} ×{hw.scale_up_domain_size:,}", "year": hw.year, "capacity_TB": cap / 1e12})
    frame = _round(pd.DataFrame(rows))
    order = list(frame.sort_values(["year", "capacity_TB"])["hardware"])
    x_max = float(frame["capacity_TB"].max()) * 1.1
    weights_TB = model.weight_bytes(precision) / 1e12
    kv_full = model.kv_bytes_per_token_per_layer() * model.full_attention_layers / 1e12
    kv_window = model.kv_bytes_per_token_per_layer() * model.sliding_window_layers / 1e12
    window = float(model.sliding_window_tokens)
    log_ctx = alt.param(name="mw_log2_context", value=15,
                        bind=alt.binding_range(min=10, max=20, step=1, name="log₂ context (tokens) "))
    seqs = alt.param(name="mw_sequences", value=1000,
                     bind=alt.binding_range(min=0, max=20000, step=250, name="sequences in the batch "))
    base = (
        alt.Chart(frame)
        .transform_calculate(context="pow(2, mw_log2_context)")
        .transform_calculate(kv_TB=f"mw_sequences * (datum.context * {kv_full:.6g} + min(datum.context, {window}) * {kv_window:.6g})")
        .transform_calculate(weights_TB=f"{weights_TB:.4g}")
        .transform_calculate(over="datum.weights_TB + datum.kv_TB > datum.capacity_TB ? 'over capacity' : 'fits'")
    )
    stacked = base.transform_fold(["weights_TB", "kv_TB"], as_=["part", "TB"]).transform_calculate(
        part_label="datum.part == 'weights_TB' ? 'weights' : 'KV cache'").mark_bar().encode(
        y=alt.Y("hardware:N", sort=order, title="scale-up domain (accelerator × count)"),
        x=alt.X("TB:Q", stack="zero", title="HBM needed (TB)", scale=alt.Scale(domain=[0, x_max], clamp=True)),
        color=alt.Color("part_label:N", title="holds", legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=["weights", "KV cache"],
                                                                       range=[BOUND_COLORS["weights"], BOUND_COLORS["kv"]])),
        tooltip=["hardware:N", "part_label:N", alt.Tooltip("TB:Q", format=".3~g"), "over:N"],
    )
    ticks = base.mark_tick(color="#222", thickness=2, size=18).encode(
        y=alt.Y("hardware:N", sort=order, title="scale-up domain (accelerator × count)"),
        x=alt.X("capacity_TB:Q", title="HBM needed (TB)", scale=alt.Scale(domain=[0, x_max], clamp=True)),
        tooltip=["hardware:N", alt.Tooltip("capacity_TB:Q", title="domain HBM (TB)", format=".3~g")])
    return (stacked + ticks).add_params(log_ctx, seqs).properties(
        title=alt.Title(f"{model.name} ({precision} weights) and its KV cache against each domain's HBM",
                        subtitle=["Black tick: the domain's HBM capacity. Bars past the tick do not fit.",
                                  "Bars stop at the right edge of the axis."]),
        width=480, height=330,
    )


#: Group sizes the topology chart evaluates: powers of two (the slices tori are cut into), plus each domain's size.
GROUP_GRID = 2 ** np.arange(1, 14)


def a2a_bandwidth_frame(hardware: list[Hardware], topology_of) -> pd.DataFrame:
    """For every hardware row and group size g up to its domain: the per-accelerator bandwidth a uniform
    all-to-all and an all-reduce get (GB/s), and the all-to-all's share of the nominal per-chip link."""
    rows = []
    for hw in hardware:
        topo = topology_of(hw)
        for g in [int(x) for x in GROUP_GRID if x <= topo.accelerators] + [topo.accelerators]:
            a2a = par.a2a_effective_Bps(topo, g)
            rows.append({"hardware": hw.name, "kind": topo.kind, "group": g, "a2a_GBps": a2a / 1e9,
                         "allreduce_GBps": par.allreduce_effective_Bps(topo, g) / 1e9,
                         "share": a2a / hw.scale_up_bandwidth_Bps})
    return _round(pd.DataFrame(rows).drop_duplicates(["hardware", "group"]))


def a2a_bandwidth_chart(hardware: list[Hardware], topology_of, default_hardware: str) -> alt.Chart:
    """All-to-all bandwidth per accelerator ÷ its nominal scale-up bandwidth, against the group size, one line
    per hardware row (log x); a dropdown picks the row drawn in full, the others stay faint."""
    frame = a2a_bandwidth_frame(hardware, topology_of)
    names = list(dict.fromkeys(frame["hardware"]))
    pick = alt.param(name="topo_hw", value=default_hardware if default_hardware in names else names[0],
                     bind=alt.binding_select(options=names, name="Hardware "))
    kinds = ["switch", "torus", "mesh"]
    return (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("group:Q", scale=alt.Scale(type="log"),
                    axis=alt.Axis(title="accelerators in the all-to-all (log)", format="~s")),
            y=alt.Y("share:Q", scale=alt.Scale(domain=[0, 1.05]),
                    axis=alt.Axis(title="all-to-all bandwidth ÷ nominal per-chip link", format=".0%")),
            color=alt.Color("kind:N", title="topology", scale=alt.Scale(domain=kinds, range=PALETTE[:3]),
                            legend=alt.Legend(orient="bottom")),
            detail="hardware:N",
            opacity=alt.condition("datum.hardware == topo_hw", alt.value(1.0), alt.value(0.15)),
            tooltip=["hardware:N", "kind:N", "group:Q", alt.Tooltip("a2a_GBps:Q", title="all-to-all GB/s per chip", format=".3~g"),
                     alt.Tooltip("allreduce_GBps:Q", title="all-reduce GB/s per chip", format=".3~g"),
                     alt.Tooltip("share:Q", title="÷ nominal", format=".0%")],
        )
        .add_params(pick)
        .properties(title=alt.Title("What a uniform all-to-all gets per accelerator, by topology",
                                    subtitle=["Switched domains keep the full link; tori are limited by their bisection",
                                              "as the group grows; a mesh group uses only its own links."]),
                    width=520, height=280)
    )


SCHEDULE_STAGES = np.arange(2, 33, 2)
#: Micro-batches 1 … 256, two a doubling: the bubble is a smooth ratio of linear functions of m.
SCHEDULE_MICROBATCHES = np.unique(np.round(np.logspace(0, np.log10(256), 17)).astype(int))
SCHEDULES = {"1f1b": "GPipe / 1F1B", "interleaved-1f1b": "interleaved 1F1B (v = 2)", "zb-h1": "zero-bubble ZB-H1",
             "dualpipe": "DualPipe"}
#: A forward plus a full backward chunk, F + B, in units of a forward chunk (F : B = 1 : 2).
CHUNK_FB = 3.0


def bubble_times_frame() -> pd.DataFrame:
    """The idle time per device of each schedule and even stage count, in units of a forward chunk
    (:func:`lib.parallelism.pipeline_bubble_time`, F : B : W = 1 : 2 : 1): the chart turns it into the bubble
    fraction bubble / (m (F + B) + bubble) for each m in the browser, as pipeline_bubble_fraction does."""
    return pd.DataFrame([{"schedule": label, "p": int(p), "bubble_time": float(par.pipeline_bubble_time(schedule, p))}
                         for schedule, label in SCHEDULES.items() for p in SCHEDULE_STAGES])


def schedules_chart(default_stages: int = 16) -> alt.Chart:
    """The training bubble against micro-batches per step, one line per schedule, for the stage count chosen
    on a slider (even, as DualPipe needs)."""
    stages = alt.param(name="sched_stages", value=int(default_stages),
                       bind=alt.binding_range(min=2, max=32, step=2, name="stages p "))
    labels = list(SCHEDULES.values())
    grid = "[" + ", ".join(str(int(m)) for m in SCHEDULE_MICROBATCHES) + "]"
    return (
        alt.Chart(bubble_times_frame())
        .transform_filter("datum.p == sched_stages")
        .transform_calculate(ms=grid)
        .transform_flatten(["ms"], as_=["m"])
        .transform_calculate(bubble=f"datum.bubble_time / (datum.m * {CHUNK_FB:g} + datum.bubble_time)")
        .mark_line()
        .encode(
            x=alt.X("m:Q", scale=alt.Scale(type="log", domain=[1, int(SCHEDULE_MICROBATCHES[-1])], nice=False),
                    axis=alt.Axis(title="micro-batches per step m (log)")),
            y=alt.Y("bubble:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(title="idle fraction of a step", format=".0%")),
            color=alt.Color("schedule:N", title="schedule", scale=alt.Scale(domain=labels, range=PALETTE[:4]),
                            legend=alt.Legend(orient="bottom", columns=2)),
            tooltip=["schedule:N", "p:Q", "m:Q", alt.Tooltip("bubble:Q", format=".1%")],
        )
        .add_params(stages)
        .properties(title=alt.Title("Pipeline bubble by schedule",
                                    subtitle="F : B : W = 1 : 2 : 1 (forward, full backward, its weight-gradient part)"),
                    width=520, height=260)
    )


# --------------------------------------------------------------------------------------------------
# Tables for the chapter (assembly only: every number comes from lib.parallelism, lib.roofline and
# lib.derivations.racks; the chapter's cells compute, these functions lay the rows out)


def inputs_frame(sel, hw: Hardware, model: Model) -> pd.DataFrame:
    """The chapter's inputs: the selected accelerator's and model's rows, and the two assumptions."""
    from ..derivations import racks as rk
    from ..page import data_file
    from ..units import count, short, si

    hw_csv, models_csv = data_file(sel, "hardware.csv"), data_file(sel, "models.csv")
    return pd.DataFrame([
        {"input": "accelerator", "value": hw.name, "source": hw.source.split(" ; ")[0]},
        {"input": "F (dense bf16)", "value": si(hw.flops("bf16"), "FLOP/s"), "source": hw_csv},
        {"input": "W_hbm, C_hbm", "value": f"{si(hw.hbm_bandwidth_Bps, 'B/s')}, {si(hw.hbm_capacity_bytes, 'B')}",
         "source": hw_csv},
        {"input": "scale-up domain", "value": f"{hw.scale_up_domain_size:,} accelerators", "source": hw_csv},
        {"input": "W_up, W_out (one direction)",
         "value": f"{si(hw.scale_up_bandwidth_Bps, 'B/s')}, {si(hw.scale_out_bandwidth_Bps, 'B/s')}", "source": hw_csv},
        {"input": "model", "value": model.name, "source": model.source.split(" ; ")[0]},
        {"input": "N_total / N_active", "value": f"{short(model.total_params)} / {short(model.active_params)}",
         "source": models_csv},
        {"input": "d, layers", "value": f"{model.hidden_size:,}, {model.layers}", "source": models_csv},
        {"input": "k routed of experts (+ shared)",
         "value": f"{model.active_experts} of {model.routed_experts} (+{model.shared_experts})", "source": models_csv},
        {"input": "b_a (activations on the wire)", "value": "2 B (bf16)", "source": "assumption"},
        {"input": "t_0 (fixed hop latency)", "value": si(rk.DEFAULT_HOP_LATENCY_S, "s"),
         "source": "assumption (slider below)"},
    ])


def layer_times_frame(times: dict, b_star: float) -> pd.DataFrame:
    """One MoE layer's times at B = 1 and at B* (``times``: link → :class:`lib.parallelism.MoELayerTimes`)."""
    from ..units import si

    return pd.DataFrame({
        "batch B": ["1", f"B* = {b_star:,.0f}"],
        "t_compute": [si(t, "s") for t in times["scale_up"].compute_s],
        "t_weights": [si(t, "s") for t in times["scale_up"].weights_s],
        "t_a2a, scale-up": [si(t, "s") for t in times["scale_up"].a2a_s],
        "t_a2a, scale-out": [si(t, "s") for t in times["scale_out"].a2a_s],
    })


def topology_frame(sel, model: Model, domains) -> pd.DataFrame:
    """Every row's scale-up topology: the expert layer's group g, its bisection, and what an all-to-all and an
    8-way all-reduce get of the chip's link, with the per-collective latency α(8); † marks an inferred input."""
    from .. import provenance
    from ..derivations import racks as rk
    from ..units import si

    rows = []
    for h in sel.all_hardware():
        t = par.topology_for(h, domains)
        g = rk.ep_degree(h, model) if model.is_moe else h.scale_up_domain_size
        rows.append({"hardware": h.name + provenance.marker(h.name, ["scale_up_bandwidth_GBps"], sel.data_dir, short=True),
                     "topology": t.kind + (f" {'×'.join(map(str, t.dims))}" if t.dims else "")
                     + (" (assumed)" if t.assumed else "")
                     + (f", {t.links} × {si(t.link_Bps, 'B/s')}" if t.links else f", {si(t.injection_Bps, 'B/s')}"),
                     "g": f"{g:,}", "W_bis(g)": si(par.bisection_Bps(t, g), "B/s"),
                     "W_a2a ÷ W_up": f"{par.a2a_effective_Bps(t, g) / h.scale_up_bandwidth_Bps:.0%}",
                     "W_AR(8) ÷ W_up": f"{par.allreduce_effective_Bps(t, min(8, t.accelerators)) / h.scale_up_bandwidth_Bps:.0%}",
                     "α(8)": si(float(par.collective_latency_s(t, min(8, t.accelerators))), "s")})
    return pd.DataFrame(rows)


def ep_deployments_frame(sel, deployments, deepseek: Model | None, fallback: Hardware) -> pd.DataFrame:
    """DeepSeek-V3's expert-parallel deployments: bytes per token and layer on the scale-out network (eq.
    rk-ep-deployed) and all-to-all ÷ compute in fp8 (training counts forward and backward)."""
    from ..units import si

    rows = []
    if deepseek is None:
        return pd.DataFrame(rows)
    for d in deployments:
        dhw = sel.hardware_named(d.hardware) or fallback
        a_net = float(par.ep_bytes_per_token(deepseek.hidden_size, d.sends_per_token, d.dispatch_bytes, d.combine_bytes))
        fwd = float(par.ep_comm_to_compute(a_net, dhw.scale_out_bandwidth_Bps, deepseek.active_params / deepseek.layers,
                                           dhw.flops("fp8")))
        rows.append({"deployment": d.name, "phase": d.phase, "EP": d.ep_degree or "—",
                     "nodes per token": d.max_nodes_per_token or "one send per expert",
                     "s_net": f"{d.sends_per_token:.2f}", "a_net per token, layer": si(a_net, "B"),
                     "all-to-all ÷ compute (fp8)": f"{fwd * (2 / 3 if d.phase == 'training' else 1):.2f}",
                     "on": dhw.name + ("" if dhw.name == d.hardware else f" (for {d.hardware})")})
    return pd.DataFrame(rows)


def tensor_parallel_frame(sel, cases: list[tuple[Model, int]], hardware: list[Hardware]) -> pd.DataFrame:
    """Tensor-parallel all-reduces per decode step (eq. rk-tp, bf16 activations) for each (model, TP degree) on
    each accelerator: the per-collective latency, the time per token at B = 1 against the weight-read floor
    N_total b_w / (TP W_hbm), and the time per step at B = 256."""
    from ..derivations import racks as rk
    from ..units import si

    rows = []
    for m, tp in cases:
        for h in hardware:
            t = rk.topology(sel, h)
            floor_tp = float(par.weight_read_time_s(m.total_params, 2.0, tp * h.hbm_bandwidth_Bps))
            one, big = rk.tp_step_comm(sel, h, m, tp, 1.0), rk.tp_step_comm(sel, h, m, tp, 256.0)
            rows.append({"model": m.name, "TP": tp, "hardware": h.name,
                         "crosses scale-out": "yes" if tp > t.accelerators else "no",
                         "α per all-reduce": si(float(par.collective_latency_s(t, tp)), "s"),
                         "TP time per token, B = 1": si(one, "s"), "÷ weight floor": f"{one / floor_tp:.0%}",
                         "TP time per step, B = 256": si(big, "s")})
    return pd.DataFrame(rows)


def domains_table(hardware: list[Hardware]) -> pd.DataFrame:
    """Every hardware row's scale-up domain: its HBM and bandwidth, the time to read 1T bf16 parameters, and the
    largest model (bf16 weights only) it holds."""
    from ..units import count, si

    rows = []
    for h in hardware:
        cap, bw = par.domain_totals(h)
        rows.append({"hardware": h.name, "domain": f"{h.scale_up_domain_size:,}", "domain HBM": si(cap, "B"),
                     "domain HBM bandwidth": si(bw, "B/s"),
                     "read 1T params (bf16)": si(float(par.weight_read_time_s(1e12, 2.0, bw)), "s"),
                     "1T bf16 fits": "yes" if 2e12 <= cap else "no",
                     "largest N_total (bf16, weights only)": count(float(par.max_params_in_domain(cap, 2.0)))})
    return pd.DataFrame(rows)


def announced_domains_frame(domains) -> pd.DataFrame:
    """Announced and shipping scale-up domains (data/scale_up_domains.csv)."""
    return pd.DataFrame([{"domain": d.name, "year": d.year, "status": d.status, "packages": f"{d.packages:,}",
                          "dies": f"{d.dies:,}"} for d in domains])


def pipeline_frame(model: Model, p_grid, micro_batch: float, kv_per_sequence_bytes: float,
                   hop_s: float) -> pd.DataFrame:
    """Per stage count p: weights and KV one stage holds, the hops a token waits for, the bubble at m = 8."""
    from ..units import si

    return pd.DataFrame({
        "stages p": p_grid,
        "weights per stage": [si(float(x), "B") for x in par.pipeline_stage_weight_bytes(model.weight_bytes(), p_grid)],
        "KV per stage": [si(float(x), "B") for x in par.pipeline_stage_kv_bytes(micro_batch, kv_per_sequence_bytes, p_grid)],
        "hops per token": [si(float(x), "s") for x in p_grid * hop_s],
        "training bubble, m = 8": [f"{float(x):.0%}" for x in par.bubble_fraction(p_grid, 8)],
    })


def memory_wall_frame(model: Model, contexts, fit, b_star: float) -> pd.DataFrame:
    """At each context: the KV of one sequence, the sequences that fit beside the weights, and that ÷ B*."""
    from ..units import si

    return pd.DataFrame({
        "context L (tokens)": [f"{c:,}" for c in contexts],
        "KV per sequence": [si(float(x), "B") for x in model.kv_cache_bytes(contexts)],
        "sequences beside the weights": [f"{x:,.0f}" for x in fit],
        "÷ B*": [f"{x / b_star:.2f}" for x in fit],
    })


def memory_shares_frame(shares) -> pd.DataFrame:
    """Memory's share of cost as public sources give it (data/memory_capex.csv)."""
    return pd.DataFrame([{"estimate": s.name, "year": s.year, "share of": s.scope, "memory share": f"{s.share:.0%}",
                          "source": s.source.split(" ; ")[0]} for s in shares])


def expert_layer_rows_frame(sel, model: Model) -> pd.DataFrame:
    """The expert layer of ``model`` on every hardware row, its experts over the row's scale-up domain: link
    ratio, all-to-all ÷ compute (nominal link, the topology's all-to-all, the scale-out link), the batch from
    which the scale-out all-to-all binds, and the domain's HBM ÷ the fp8 weights; † marks an inferred input."""
    from .. import provenance
    from ..derivations import racks as rk

    rows = []
    for h in sel.all_hardware():
        n = rk.ep_degree(h, model)
        cap, _ = par.domain_totals(h)
        b_out = par.comm_bound_batch(h, model, n, "scale_out")
        t = rk.topology(sel, h)
        rows.append({"hardware": h.name + provenance.marker(h.name, rk.INFERRED_INPUTS, sel.data_dir, short=True),
                     "topology": t.kind + (" (assumed)" if t.assumed else ""),
                     "up ÷ out": f"{h.scale_up_to_out_ratio:.1f}×",
                     "a2a ÷ compute, up (nominal)": f"{par.a2a_to_compute_ratio(h, model, n, 'scale_up'):.2f}",
                     "a2a ÷ compute, scale-up": f"{par.a2a_to_compute_ratio(h, model, n, 'scale_up', topology=t):.2f}",
                     "a2a ÷ compute, scale-out": f"{par.a2a_to_compute_ratio(h, model, n, 'scale_out'):.2f}",
                     "comm-bound from B (scale-out)": "never" if not np.isfinite(b_out) else f"{b_out:,.0f}",
                     "domain HBM ÷ weights (fp8)": f"{cap / model.weight_bytes('fp8'):.2f}"})
    return pd.DataFrame(rows)


def moe_models_frame(hw: Hardware, models: list[Model], topology) -> pd.DataFrame:
    """Every MoE model's expert layer on ``hw`` (its ``topology``): all-to-all bytes per token and layer,
    all-to-all ÷ compute on each link, the scale-out comm-bound batch, and whether fp8 weights fit one domain."""
    from ..derivations import racks as rk
    from ..units import si

    rows = []
    cap, _ = par.domain_totals(hw)
    for m in models:
        n = rk.ep_degree(hw, m)
        b_out = par.comm_bound_batch(hw, m, n, "scale_out")
        rows.append({"model": m.name, "k × d": f"{m.active_experts} × {m.hidden_size:,}",
                     "a2a bytes / token / layer": si(float(par.a2a_bytes_per_token(m.hidden_size, m.active_experts, n)), "B"),
                     "a2a ÷ compute, scale-up": f"{par.a2a_to_compute_ratio(hw, m, n, 'scale_up', topology=topology):.2f}",
                     "a2a ÷ compute, scale-out": f"{par.a2a_to_compute_ratio(hw, m, n, 'scale_out'):.2f}",
                     "comm-bound from B (scale-out)": "never" if not np.isfinite(b_out) else f"{b_out:,.0f}",
                     "fits one domain (fp8)": "yes" if cap >= m.weight_bytes("fp8") else "no"})
    return pd.DataFrame(rows)
