"""Charts for the chapter ``batch-300x-sparsity``: the ridge point F / W_hbm of every row and precision, and
the cost per token against batch with B* marked, for a sparsity the reader sets with a slider.

The cost chart follows eq. (eq-bs-cost) with the KV term left out: per token, in accelerator-seconds,
c(B) = max(2 N_active / F, N_total b_w / (B W_hbm)) with s = N_total / N_active; the browser evaluates it
for the slider's N_total, so no kernel is needed. The slider starts at the model's own N_total and B* is
computed from the unrounded ridge point, so the chart's B* at the start is the number the prose gives, written
with the same format (:data:`lib.derivations.batch_300x_sparsity.B_STAR_FORMAT`).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..hardware import Hardware
from ..models import Model
from ..charts import fold_label_expr, joint_labels, log_domain, vendor_shape, year_domain
from ..derivations.batch_300x_sparsity import B_STAR_FORMAT
from . import labels as lab

BATCH_GRID = np.unique(np.round(np.logspace(0, 5.5, 56)))  # 1 … ~316,000 sequences
PRECISION_COLORS = {"bf16": "#1f5fa6", "fp8": "#d1495b", "fp4": "#edae49"}
#: The ridge chart's plot height (px), point size, label font and the talk's rule (value, label, font px).
RIDGE_HEIGHT_PX, RIDGE_POINT_SIZE, RIDGE_LABEL_FONT_PX = 340, 80.0, 10.0
TALK_RULE, TALK_RULE_LABEL, TALK_RULE_FONT_PX = 300.0, "the talk: ≈ 300", 11.0


def ridge_frame(rows: list[dict]) -> pd.DataFrame:
    """The precision table (from lib.derivations.batch_300x_sparsity.precision_table) rounded for a chart."""
    frame = pd.DataFrame(rows)
    frame["ridge"] = frame["ridge"].round(1)
    frame["b_star"] = frame["b_star"].round(1)
    frame["flops_T"] = (frame["flops"] / 1e12).round(1)
    return frame.drop(columns=["flops"])


def ridge_chart(rows: list[dict]) -> alt.LayerChart:
    """B* per unit sparsity (= ridge × b_w / 2) for every row and precision, against release year, with the
    talk's 300 marked. A dropdown picks the precision, so the reader sees bf16, fp8 and fp4 land together."""
    frame = ridge_frame(rows)
    bf16 = frame[frame["precision"] == "bf16"].copy()
    bf16["label"] = joint_labels(bf16, "b_star", tolerance=0.12, relative=True)
    # Labels placed clear of each other, of every point (all precisions), of the talk's rule and of its label
    # (lib.figures.labels), at every plot width.
    x_axis = lab.Axis(tuple(year_domain(frame["year"], right=2)))
    y_axis = lab.Axis(tuple(log_domain(frame["b_star"], 50, 1000)), "log")
    talk_px = float(1.0 - y_axis.fraction([TALK_RULE])[0]) * RIDGE_HEIGHT_PX
    obstacles = [lab.text_box(0.0, talk_px, TALK_RULE_LABEL, TALK_RULE_FONT_PX, "left", dx=4, dy=-8),
                 lab.Box(0.0, -1.0, 2000.0, talk_px - 1.0, talk_px + 1.0)]  # the rule, across any width
    markers = list(zip(x_axis.fraction(frame["year"]), 1.0 - y_axis.fraction(frame["b_star"]),
                       [RIDGE_POINT_SIZE] * len(frame)))
    placed = lab.placed_label_columns(x_axis.fraction(bf16["year"]), 1.0 - y_axis.fraction(bf16["b_star"]),
                                      bf16["label"], RIDGE_HEIGHT_PX, RIDGE_LABEL_FONT_PX, RIDGE_POINT_SIZE,
                                      obstacles=lambda band: obstacles, markers=markers)
    bf16 = pd.concat([bf16.reset_index(drop=True), placed], axis=1)
    pick = alt.param(name="precision_pick", value="all",
                     bind=alt.binding_select(options=["all", "bf16", "fp8", "fp4"], name="Precision "))
    keep = "precision_pick == 'all' || datum.precision == precision_pick"
    base = alt.Chart(frame).transform_filter(keep)
    x = alt.X("year:Q", scale=x_axis.scale(), axis=alt.Axis(format="d", title="release year"))
    y = alt.Y("b_star:Q", scale=y_axis.scale(),
              axis=alt.Axis(title="B* for a dense model, (F / W_hbm) · b_w / 2 (sequences, log)"))
    points = base.mark_point(filled=True, size=RIDGE_POINT_SIZE).encode(
        x=x, y=y,
        color=alt.Color("precision:N", scale=alt.Scale(domain=list(PRECISION_COLORS),
                                                       range=list(PRECISION_COLORS.values())), title="precision",
                        legend=alt.Legend(orient="bottom")),
        shape=vendor_shape(frame["vendor"]),
        tooltip=["hardware:N", "precision:N", alt.Tooltip("flops_T:Q", title="F (TFLOP/s)"),
                 alt.Tooltip("ridge:Q", title="ridge F/W (FLOP/byte)"), alt.Tooltip("b_star:Q", title="B* (dense)")],
    )
    labels = lab.label_layer(alt.Chart(bf16).transform_filter("precision_pick == 'all' || precision_pick == 'bf16'"),
                             x, y, RIDGE_LABEL_FONT_PX, color="#333")
    rule = alt.Chart(pd.DataFrame({"v": [TALK_RULE], "label": [TALK_RULE_LABEL]}))
    return alt.layer(
        rule.mark_rule(color="#2e8b57", strokeDash=[4, 3]).encode(y=alt.Y("v:Q", scale=y_axis.scale())),
        rule.mark_text(align="left", baseline="middle", x=4, dy=-8, color="#2e8b57",
                       fontSize=TALK_RULE_FONT_PX).encode(y=alt.Y("v:Q", scale=y_axis.scale()), text="label:N"),
        points, labels,
    ).add_params(pick).properties(
        title=alt.Title("The hardware factor of B*, at each precision",
                        subtitle=["Weights and compute in one format: b_w / 2 cancels the faster arithmetic where F doubles",
                                  "as b_w halves. Labels mark the bf16 points (the ridge point F / W_hbm)."]),
        width=600, height=RIDGE_HEIGHT_PX)


#: A Vega test: the datum's B* lies in the right half of the plot (its x scale is named "x").
_RIGHT_HALF = "scale('x', datum.b_star) > width / 2"


def cost_frame(hardware: list[Hardware]) -> pd.DataFrame:
    """Batch grid × hardware rows with F (bf16, TFLOP/s) and W_hbm (TB/s) for the browser to evaluate."""
    frames = [pd.DataFrame({"hardware": hw.name, "batch": BATCH_GRID,
                            "F_T": round(hw.flops("bf16") / 1e12, 2), "W_T": round(hw.hbm_bandwidth_Bps / 1e12, 3)})
              for hw in hardware if hw.supports("bf16")]
    return pd.concat(frames, ignore_index=True)


def cost_chart(hardware: list[Hardware], model: Model, default_hardware: str) -> alt.LayerChart:
    """Cost per token (accelerator-µs, log-log) against batch for ``model``'s active parameters, with the total
    parameters N_total set by a slider (from N_active, s = 1, to 64 N_active; it starts at the model's own) and
    B* = (F/W) · s, s = N_total / N_active, drawn as a rule. bf16 weights and compute."""
    frame = cost_frame(hardware)
    names = list(dict.fromkeys(frame["hardware"]))
    active = float(model.active_params)
    active_b = active / 1e9
    step_b = 10.0 ** np.floor(np.log10(active_b)) / 10.0
    pick = alt.param(name="hw_pick", value=default_hardware, bind=alt.binding_select(options=names, name="Hardware "))
    n_total = alt.param(name="n_total_b", value=float(model.total_params) / 1e9,
                        bind=alt.binding_range(min=active_b, max=64 * active_b, step=step_b,
                                               name="total parameters N_total (billions) "))
    sparsity = f"(n_total_b * 1e9 / {active!r})"
    base = (alt.Chart(frame).transform_filter("datum.hardware == hw_pick")
            .transform_calculate(compute_us=f"2 * {active!r} / (datum.F_T * 1e12) * 1e6")
            .transform_calculate(weights_us="n_total_b * 1e9 * 2 / (datum.batch * datum.W_T * 1e12) * 1e6")
            .transform_calculate(cost_us="max(datum.compute_us, datum.weights_us)"))
    series = {"weights_us": "weight reads ÷ B", "compute_us": "compute (floor)", "cost_us": "cost per token"}
    x = alt.X("batch:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="batch B (sequences per step, log)", format="~s"))
    lines = base.transform_fold(list(series), as_=["term", "us"]).transform_calculate(
        term_label=fold_label_expr(series)
    ).mark_line().encode(
        x=x,
        y=alt.Y("us:Q", scale=alt.Scale(type="log"),
                axis=alt.Axis(title="cost per token (accelerator-µs, log)", format="~s")),
        color=alt.Color("term_label:N", title="term", legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=list(series.values()), range=["#1f5fa6", "#d1495b", "#222222"])),
        strokeDash=alt.condition("datum.term == 'cost_us'", alt.value([1, 0]), alt.value([5, 3])),
        tooltip=[alt.Tooltip("batch:Q", format=",.0f"), alt.Tooltip("term_label:N", title="term"),
                 alt.Tooltip("us:Q", title="µs per token", format=".3~g")],
    )
    # B* from the unrounded ridge point F_bf16 / W_hbm of each row (one row each), as lib.roofline.optimal_batch.
    ridges = pd.DataFrame({"hardware": [hw.name for hw in hardware if hw.supports("bf16")],
                           "ridge": [hw.flops("bf16") / hw.hbm_bandwidth_Bps for hw in hardware
                                     if hw.supports("bf16")]})
    star = (alt.Chart(ridges).transform_filter("datum.hardware == hw_pick")
            .transform_calculate(s=sparsity).transform_calculate(b_star="datum.ridge * datum.s"))
    rule = star.mark_rule(color="#444", strokeDash=[2, 2]).encode(
        x=alt.X("b_star:Q", title="batch B (sequences per step, log)"),
        tooltip=[alt.Tooltip("b_star:Q", title="B* (sequences)", format=B_STAR_FORMAT)])
    label = star.transform_calculate(
        label=f"'s = ' + format(datum.s, '.1f') + ',\\nB* = (F/W)·s = ' + format(datum.b_star, '{B_STAR_FORMAT}')"
    ).mark_text(  # on the rule's left where it stands in the plot's right half (it would run off a phone's plot);
        # two short lines, so that it fits a phone's plot on either side of a rule near the middle
        align=alt.expr(f"{_RIGHT_HALF} ? 'right' : 'left'"), dx=alt.expr(f"{_RIGHT_HALF} ? -4 : 4"), y=10,
        baseline="top", lineBreak="\n", fontSize=12, color="#222").encode(x="b_star:Q", text="label:N")
    return alt.layer(lines, rule, label).add_params(pick, n_total).properties(
        title=alt.Title(f"Cost per token against batch, {active_b:g}B active parameters, bf16",
                        subtitle="KV reads left out; the slider changes total parameters at fixed active ones"),
        width=600, height=320)


def expert_roofline_frame(hardware: Hardware, model: Model) -> pd.DataFrame:
    """Per-token compute and memory time (accelerator-µs) of the routed-expert matmuls and of the dense matmuls
    (attention projections) against batch, from lib.roofline (release formats, context 0)."""
    from ..roofline import decode_step

    batch = np.unique(np.round(np.logspace(0, 5, 81)))
    step = decode_step(hardware, model, batch, 0.0, chips=1)
    bw = hardware.hbm_bandwidth_Bps
    rows = []
    for op, label in (("routed_experts", "routed experts"), ("attention_projections", "dense matmuls (attention projections)")):
        o = step.operations[op]
        for budget, t in (("compute", o.compute_s(1)), ("memory", o.memory_s(1, bw))):
            rows.append(pd.DataFrame({"batch": batch, "us": np.broadcast_to(t, batch.shape) / batch * 1e6,
                                      "operation": label, "budget": budget}))
    frame = pd.concat(rows, ignore_index=True)
    frame["us"] = frame["us"].map(lambda v: float(f"{v:.4g}"))
    frame["series"] = frame["operation"] + ": " + frame["budget"]
    return frame


def expert_roofline_chart(hardware: Hardware, model: Model) -> alt.LayerChart:
    """Where the dense and the expert matmuls turn compute bound, with the pooled and per-operation B* marked."""
    from ..derivations.batch_300x_sparsity import refined_optimal_batches

    frame = expert_roofline_frame(hardware, model)
    marks = refined_optimal_batches(hardware, model)
    rules = pd.DataFrame([{"batch": marks["dense"], "label": "dense matmuls compute bound"},
                          {"batch": marks["pooled"], "label": "pooled B*"},
                          {"batch": marks["experts"], "label": "expert matmuls compute bound"}])
    x = alt.X("batch:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="batch B (tokens per step, log)", format="~s", labelOverlap="greedy", labelSeparation=6))
    lines = alt.Chart(frame).mark_line().encode(
        x=x,
        y=alt.Y("us:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="accelerator-µs per token (log)", format="~s")),
        color=alt.Color("operation:N", title=None, legend=alt.Legend(orient="bottom", columns=1, labelLimit=0)),
        strokeDash=alt.StrokeDash("budget:N", title=None, legend=alt.Legend(orient="bottom"),
                                  scale=alt.Scale(domain=["compute", "memory"], range=[[1, 0], [5, 3]])),
        tooltip=[alt.Tooltip("batch:Q", format=",.0f"), "series:N", alt.Tooltip("us:Q", format=".3~g")],
    )
    rule = alt.Chart(rules).mark_rule(color="#444", strokeDash=[2, 2]).encode(
        x="batch:Q", tooltip=["label:N", alt.Tooltip("batch:Q", format=",.0f")])
    text = alt.Chart(rules).mark_text(angle=270, align="right", baseline="bottom", dx=-4, dy=-3,
                                       fontSize=11, color="#444").encode(x="batch:Q", y=alt.value(4), text="label:N")
    return alt.layer(lines, rule, text).properties(
        title=alt.Title(f"{model.name} on {hardware.name}: where each matmul turns compute bound",
                        subtitle="Solid: compute time per token; dashed: weight-read time per token (refined model)"),
        width=560, height=300)


# --------------------------------------------------------------------------------------------------
# Tables for the chapter (assembly only: every number comes from lib.derivations.batch_300x_sparsity)


def inputs_frame(sel) -> pd.DataFrame:
    """The chapter's inputs: the selected accelerator and its ridge point, the model, and the throughput reports."""
    from ..page import data_file
    from ..units import count, si

    hw, model = sel.hardware, sel.model
    hw_csv = data_file(sel, "hardware.csv")
    return pd.DataFrame([
        {"input": "accelerator", "value": hw.name, "source": hw.source.split(" ; ")[0]},
        {"input": "F (dense bf16)", "value": si(hw.flops("bf16"), "FLOP/s"), "source": hw_csv},
        {"input": "W_hbm", "value": si(hw.hbm_bandwidth_Bps, "B/s"), "source": hw_csv},
        {"input": "ridge F / W_hbm", "value": f"{hw.ridge_flop_per_byte:.0f} FLOP/byte", "source": "lib.hardware"},
        {"input": "model", "value": model.name, "source": model.source.split(" ; ")[0]},
        {"input": "N_total / N_active",
         "value": f"{count(model.total_params / 1e9)}B / {count(model.active_params / 1e9)}B",
         "source": data_file(sel, "models.csv")},
        {"input": "Google's reported tokens", "value": "see the table below",
         "source": data_file(sel, "throughput_reports.csv")},
    ])


def deepseek_table(hw: Hardware, deepseek: Model | None) -> pd.DataFrame:
    """The talk's DeepSeek numbers against the published configuration (a dash where the data hold no row)."""
    from ..derivations import batch_300x_sparsity as bs
    from ..units import count

    ds = deepseek
    published = "published (DeepSeek-V3)" if ds else "published (no DeepSeek-V3 row in these data)"
    refined = bs.refined_optimal_batches(hw, ds) if ds else None
    return pd.DataFrame([
        {"quantity": "routed experts", "the talk": "256", published: f"{ds.routed_experts}" if ds else "—"},
        {"quantity": "routed experts active per token", "the talk": f"{bs.TALK_ACTIVE_EXPERTS}",
         published: f"{ds.active_experts} (+ {ds.shared_experts} shared)" if ds else "—"},
        {"quantity": "expert-count ratio E / k", "the talk": f"{256 / bs.TALK_ACTIVE_EXPERTS:.0f}",
         published: f"{ds.routed_experts / ds.active_experts:.0f}" if ds else "—"},
        {"quantity": "parameters total / active", "the talk": "—",
         published: f"{count(ds.total_params / 1e9)}B / {count(ds.active_params / 1e9)}B" if ds else "—"},
        {"quantity": "sparsity s used in B*", "the talk": f"{bs.TALK_SPARSITY:.0f}",
         published: f"{ds.sparsity:.1f}" if ds else "—"},
        {"quantity": f"B* on {hw.name}, blackboard (bf16)",
         "the talk": format(bs.optimal_batch_at(hw, bs.TALK_SPARSITY), B_STAR_FORMAT),
         published: format(bs.optimal_batch_at(hw, ds.sparsity), B_STAR_FORMAT) if ds else "—"},
        {"quantity": f"B* on {hw.name}, refined pooled", "the talk": "—",
         published: f"{refined['pooled']:,.0f}" if ds else "—"},
        {"quantity": f"B* on {hw.name}, expert layers (eq. bs-experts)",
         "the talk": f"{256 / bs.TALK_ACTIVE_EXPERTS * hw.ridge_flop_per_byte:,.0f}",
         published: f"{refined['experts']:,.0f}" if ds else "—"},
    ])


def replica_throughput_table(cases: list[tuple[str, float, float]], reference) -> pd.DataFrame:
    """Tokens per second of one replica for each (label, tokens per train, trains per second), against the
    ``reference`` throughput report (None: a dash)."""
    from ..units import count

    rows = []
    for label, seats, trains in cases:
        tps = seats * trains
        rows.append({"case": label, "tokens per train": f"{seats:,.0f}", "trains/s": f"{trains:.0f}",
                     "tokens/s per replica": count(tps),
                     "÷ Google (report of " + (reference.period_end if reference else "—") + ")":
                         "—" if reference is None else f"1/{reference.tokens_per_s / tps:,.0f}"})
    return pd.DataFrame(rows)


def reports_table(reports: list, replica_tokens_per_s: float) -> pd.DataFrame:
    """The throughput reports as tokens per second, and the replicas of ``replica_tokens_per_s`` each makes."""
    from ..units import count

    return pd.DataFrame({
        "report": [r.name for r in reports], "reported": [r.reported_on for r in reports],
        "tokens/month (trillions)": [count(r.tokens_per_month / 1e12) for r in reports],
        "tokens/s (millions)": [count(r.tokens_per_s / 1e6) for r in reports],
        "replicas at B*/T": [count(r.tokens_per_s / replica_tokens_per_s) for r in reports],
    })
