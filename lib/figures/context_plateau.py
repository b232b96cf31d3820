"""Charts for the chapter ``context-plateau``: cost and speed of a token against context on the refined step model
(attention arithmetic counted; DeepSeek Sparse Attention as built for models that have it), the talk's √-sparse
hypothesis on a slider, the KV capacity ceilings; attention's budgets side by side; and the published context
lengths over time.

Every term comes from :mod:`lib.context` / :mod:`lib.roofline`. The chart recombines them for the crossover L₀ of
the √ hypothesis: the main attention's per-token compute and KV time are scaled by the share of tokens it would
read, (k(L)·full + min(L, w)·windowed) / (L_c·full + min(L, w)·windowed) with k(L) = min(L_c, √(L_c·L₀)) and
L_c the tokens the main attention reads without it (L, or DSA's top-k).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..charts import BOUND_COLORS, PALETTE, fold_label_expr
from ..context import ContextRelease, capacity_ceilings, context_step, design_batch
from ..hardware import Hardware
from ..models import Model
from ..roofline import chips_to_fit
from . import labels as lab

#: Contexts on the x axis: 1k … 100M tokens, 8 points per decade.
CONTEXT_GRID = np.logspace(3, 8, 41)


def _round(frame: pd.DataFrame, columns) -> pd.DataFrame:
    frame[columns] = frame[columns].apply(lambda c: c.map(lambda v: float(f"{v:.4g}")))
    return frame


def context_terms(hardware: Hardware, models: list[Model]) -> pd.DataFrame:
    """Per model and context, accelerator-seconds per token at the model's B*: the weight operations (compute,
    memory, per-operation), the DSA indexer and the main attention (compute and KV time), the per-operation cost;
    and the same at batch 1 on one pool (seconds per step), for the speed panel."""
    frames = []
    bw = hardware.hbm_bandwidth_Bps
    for model in models:
        batch = design_batch(hardware, model)
        pool = int(max(hardware.scale_up_domain_size, chips_to_fit(model, hardware)))
        frame = {"model": model.name, "context": CONTEXT_GRID, "pool": pool}
        for label, b, chips in (("", batch, 1), ("one_", 1.0, pool)):
            step = context_step(hardware, model, b, CONTEXT_GRID, chips=chips)
            per = (lambda t: np.broadcast_to(t, CONTEXT_GRID.shape) * chips / b) if label == "" else \
                (lambda t: np.broadcast_to(t, CONTEXT_GRID.shape))
            weights = [op for name, op in step.operations.items() if name not in ("attention_core", "attention_index")]
            core, index = step.operations["attention_core"], step.operations["attention_index"]
            frame.update({
                f"{label}w_compute_s": per(sum(op.compute_s(chips) for op in weights)),
                f"{label}w_memory_s": per(sum(op.memory_s(chips, bw) for op in weights)),
                f"{label}w_perop_s": per(sum(op.time_s(chips, bw) for op in weights)),
                f"{label}idx_perop_s": per(index.time_s(chips, bw)),
                f"{label}core_c_s": per(core.compute_s(chips)),
                f"{label}core_m_s": per(core.memory_s(chips, bw)),
            })
            if label == "":
                frame.update({"attn_c_s": per(core.compute_s(1) + index.compute_s(1)),
                              "kv_s": per(core.memory_s(1, bw) + index.memory_s(1, bw)),
                              "cost_s": step.chip_seconds_per_token})
        reads = np.minimum(CONTEXT_GRID, model.sparse_topk_tokens) if model.is_sparse_attention else CONTEXT_GRID
        frame.update({"reads": reads, "full_layers": float(model.full_attention_layers),
                      "window_tokens": np.minimum(CONTEXT_GRID, model.sliding_window_tokens)
                      * model.sliding_window_layers})
        frames.append(pd.DataFrame(frame))
    frame = pd.concat(frames, ignore_index=True)
    return _round(frame, frame.columns.drop(["model", "pool"]))


def ceilings_frame(hardware: Hardware, models: list[Model]) -> pd.DataFrame:
    """Per model: the contexts where one sequence's cache no longer fits the smallest replica (beside the
    weights) and a whole scale-up domain (cache alone)."""
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
    """Two panels sharing a model dropdown, a √-crossover slider and a context slider: cost per token at the
    model's B* (accelerator-seconds) with its terms, and decode speed of one sequence at batch 1, against
    context (log-log)."""
    frame = context_terms(hardware, models)
    ceilings = ceilings_frame(hardware, models)
    pick = alt.param(name="ctx_model", value=default_model,
                     bind=alt.binding_select(options=[m.name for m in models], name="Model "))
    crossover = alt.param(name="ctx_log2_l0", value=default_log2_crossover,
                          bind=alt.binding_range(min=8, max=20, step=1, name="√ hypothesis: log₂ L₀ (tokens) "))
    marker = alt.param(name="ctx_log10_l", value=default_log10_context,
                       bind=alt.binding_range(min=3, max=8, step=0.1, name="context log₁₀ L (tokens) "))
    x = alt.X("context:Q", scale=alt.Scale(type="log", domain=[1e3, 1e8]),
              axis=alt.Axis(title="context L (tokens, log)", format="~s"))
    share = ("(min(datum.reads, sqrt(datum.reads * pow(2, ctx_log2_l0))) * datum.full_layers + datum.window_tokens)"
             " / (datum.reads * datum.full_layers + datum.window_tokens)")
    base = (
        alt.Chart(frame)
        .transform_filter("datum.model == ctx_model")
        .transform_calculate(share=share)
        .transform_calculate(sqrt_s="datum.w_perop_s + datum.idx_perop_s + "
                                    "max(datum.core_c_s, datum.core_m_s) * datum.share")
        .transform_calculate(weights_s="datum.w_memory_s")
        .transform_calculate(compute_s="datum.w_compute_s")
        .transform_calculate(dense_tps="1 / (datum.one_w_perop_s + datum.one_idx_perop_s + "
                                       "max(datum.one_core_c_s, datum.one_core_m_s))")
        .transform_calculate(sqrt_tps="1 / (datum.one_w_perop_s + datum.one_idx_perop_s + "
                                      "max(datum.one_core_c_s, datum.one_core_m_s) * datum.share)")
    )
    series = {"compute_s": "weight matmuls ÷ B*", "weights_s": "weight reads ÷ B*", "attn_c_s": "attention FLOPs",
              "kv_s": "KV reads", "cost_s": "cost (refined)", "sqrt_s": "cost with the √ hypothesis"}
    colors = [BOUND_COLORS["compute"], BOUND_COLORS["weights"], PALETTE[6], BOUND_COLORS["kv"],
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
                            legend=alt.Legend(orient="bottom", columns=2, labelLimit=0)),
            strokeDash=alt.condition("datum.term == 'cost_s' || datum.term == 'sqrt_s'",
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
        # From the foot of the rule upwards, clear of the readout at the top left.
        .mark_text(angle=270, align="left", baseline="bottom", dx=-4, dy=-2, fontSize=10, color="#555")
        .encode(x=alt.X("context:Q", scale=alt.Scale(type="log", domain=[1e3, 1e8])), y=alt.value(316),
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
            label="'L ≈ ' + format(datum.context, '.3~s') + ' tokens: ' + format(datum.cost_s, '.3~s')"
                  " + 's per token;\\nwith the √ hypothesis ' + format(datum.sqrt_s, '.3~s') + 's'")
        # two lines: one is wider than a phone's plot
        .mark_text(align="left", baseline="top", x=6, y=6, fontSize=12, color="#222", lineBreak="\n")
        .encode(text="label:N")
    )
    cost = (lines + ceiling_rules + ceiling_text + rule + text).properties(
        title=alt.Title(f"Cost per token against context on {hardware.name}, at the model's B*",
                        subtitle=["Dashed grey rules: one sequence's KV no longer fits (sparse reads do not move them)."]),
        width=520, height=320,
    )
    speed = (
        base.transform_fold(["dense_tps", "sqrt_tps"], as_=["attention", "tps"])
        .transform_calculate(attention_label="datum.attention == 'dense_tps' ? 'refined' : 'with the √ hypothesis'")
        .mark_line()
        .encode(x=x,
                y=alt.Y("tps:Q", scale=alt.Scale(type="log"),
                        axis=alt.Axis(title="decode speed, one sequence (tokens/s, log)", format="~s")),
                color=alt.Color("attention_label:N", title="attention",
                                scale=alt.Scale(domain=["refined", "with the √ hypothesis"],
                                                range=[BOUND_COLORS["step"], PALETTE[4]]),
                                legend=alt.Legend(orient="bottom", labelLimit=0)),
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


def attention_budgets_frame(hardware: Hardware, models: list[Model]) -> pd.DataFrame:
    """Per model and context: the time per token of attention over the context (indexer included), its compute
    and its KV reads, at batch 1 on one accelerator (per-sequence terms do not depend on the batch)."""
    rows = []
    bw = hardware.hbm_bandwidth_Bps
    for model in models:
        step = context_step(hardware, model, 1.0, CONTEXT_GRID)
        core, index = step.operations["attention_core"], step.operations["attention_index"]
        kind = model.attention.upper() + (" + DSA" if model.is_sparse_attention else "") + \
            (" + windows" if model.sliding_window_layers else "")
        label = f"{model.name} ({kind})"
        for budget, t in (("FLOPs", core.compute_s(1) + index.compute_s(1)),
                          ("KV reads", core.memory_s(1, bw) + index.memory_s(1, bw))):
            rows.append(pd.DataFrame({"model": label, "budget": budget, "context": CONTEXT_GRID,
                                      "seconds": np.broadcast_to(t, CONTEXT_GRID.shape)}))
    frame = pd.concat(rows, ignore_index=True)
    return _round(frame, ["context", "seconds"])


def attention_budgets_chart(frame: pd.DataFrame, hardware: Hardware) -> alt.Chart:
    """Attention's two budgets per token against context, one colour per model: solid FLOP time, dashed KV time.
    Where the lines nearly coincide (MLA), compute grows with context as fast as KV reads do."""
    return (
        alt.Chart(frame).mark_line()
        .encode(
            x=alt.X("context:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="context L (tokens, log)", format="~s")),
            y=alt.Y("seconds:Q", scale=alt.Scale(type="log"),
                    axis=alt.Axis(title="attention time per token (accelerator-s, log)", format="~s")),
            color=alt.Color("model:N", title=None, legend=alt.Legend(orient="bottom", columns=1, labelLimit=0)),
            strokeDash=alt.StrokeDash("budget:N", title=None, legend=alt.Legend(orient="bottom"),
                                      scale=alt.Scale(domain=["FLOPs", "KV reads"], range=[[1, 0], [5, 3]])),
            tooltip=["model:N", "budget:N", alt.Tooltip("context:Q", format=",.0f"),
                     alt.Tooltip("seconds:Q", format=".3~s")],
        )
        .properties(title=alt.Title(f"Attention over the context on {hardware.name}: FLOPs against KV reads",
                                    subtitle="Per token of one sequence; solid: FLOP time, dashed: KV-read time"),
                    width=520, height=300)
    )


#: The history chart's plot height (px), axes, point size and label font (px).
HISTORY_HEIGHT_PX = 360
HISTORY_X = lab.Axis(("2023-01-01", "2026-06-30"), "time")
HISTORY_Y = lab.Axis((2e3, 2e8), "log")
HISTORY_POINT_SIZE, HISTORY_LABEL_FONT_PX, LEVEL_FONT_PX = 80.0, 9.0, 10.0


def history_frame(releases: list[ContextRelease], levels: dict[str, float]) -> pd.DataFrame:
    """One row per release (name, org, date, tokens, availability, kind) with label positions that do not
    overprint (:mod:`lib.figures.labels`): frontier flagships labelled first, in date order, then the rest; the
    level rules' labels kept clear."""
    frame = pd.DataFrame({
        "name": [r.name for r in releases],
        "org": [r.org for r in releases],
        "date": [r.release_date.isoformat() for r in releases],
        "tokens": [float(r.max_context_tokens) for r in releases],
        "availability": [{"ga": "generally available", "limited": "preview / beta", "research": "research only"}[
            r.availability] for r in releases],
        "frontier": ["frontier flagship" if r.frontier else "other" for r in releases],
    })
    frame = frame.sort_values(["frontier", "date"], key=lambda c: c.map({"frontier flagship": 0, "other": 1})
                              if c.name == "frontier" else c, kind="stable").reset_index(drop=True)
    obstacles = [lab.text_box(0.0, (1.0 - float(HISTORY_Y.fraction([v])[0])) * HISTORY_HEIGHT_PX, name, LEVEL_FONT_PX,
                              "left", dx=4, dy=-8) for name, v in levels.items()]
    placed = lab.placed_label_columns(HISTORY_X.fraction(frame["date"]), 1.0 - HISTORY_Y.fraction(frame["tokens"]),
                                      frame["name"], HISTORY_HEIGHT_PX, HISTORY_LABEL_FONT_PX, HISTORY_POINT_SIZE,
                                      obstacles=lambda band: obstacles)
    return pd.concat([frame, placed], axis=1)


def history_chart(releases: list[ContextRelease], levels: dict[str, float], where: str = "") -> alt.LayerChart:
    """Published maximum context windows over time (log), coloured by availability, with the running maximum
    of generally available frontier releases and horizontal rules at the model's levels (``levels``: label →
    tokens, e.g. where KV reads overtake compute, or where the KV fills a replica; ``where`` names the model and
    hardware they are for). Point labels do not overprint at any width; every point names itself on hover."""
    levels = {k: float(f"{v:.4g}") for k, v in levels.items()}
    frame = history_frame(releases, levels)
    ga = frame[(frame["availability"] == "generally available") & (frame["frontier"] == "frontier flagship")]
    ga = ga.sort_values("date").copy()
    ga["running_max"] = np.maximum.accumulate(ga["tokens"].to_numpy())
    y_scale = HISTORY_Y.scale()
    y_axis = alt.Axis(title="maximum context window (tokens, log)", format="~s")
    y = alt.Y("tokens:Q", scale=y_scale, axis=y_axis)
    x = alt.X("date:T", axis=alt.Axis(title="announcement date", format="%Y-%m"), scale=HISTORY_X.scale())
    points = alt.Chart(frame).mark_point(size=HISTORY_POINT_SIZE).encode(
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
        x=x, y=alt.Y("running_max:Q", scale=y_scale, axis=y_axis))
    labels = lab.label_layer(alt.Chart(frame), x, y, HISTORY_LABEL_FONT_PX, color="#444")
    level_frame = pd.DataFrame({"level": list(levels), "tokens": list(levels.values())})
    rules = alt.Chart(level_frame).mark_rule(strokeDash=[4, 3], color="#2e8b57").encode(
        y=y, tooltip=["level:N", alt.Tooltip("tokens:Q", format=",.0f")])
    rule_text = alt.Chart(level_frame).mark_text(align="left", baseline="middle", x=4, dy=-8, fontSize=LEVEL_FONT_PX,
                                                 color="#2e8b57").encode(y=y, text="level:N")
    return (rules + rule_text + step + points + labels).properties(
        title=alt.Title("Published maximum context windows, 2023 onward",
                        subtitle=["Grey step: the largest generally available frontier window so far.",
                                  "Green rules: this chapter's model" + (f", {where}" if where else
                                                                         " on the selected hardware") + "."]),
        width=520, height=HISTORY_HEIGHT_PX,
    )


# --------------------------------------------------------------------------------------------------
# Tables for the chapter (assembly only: every number comes from lib.context and lib.roofline)


def times(value: float) -> str:
    """A ratio as '4.93×', or '241,000×' once it is large."""
    from ..units import count, ratio

    return count(value) + "×" if value >= 1000 else ratio(value, 3)


def inputs_frame(sel, batch: float, sparse_model: Model | None) -> pd.DataFrame:
    """The chapter's inputs: the selected accelerator and model, its cache per token and attention intensity,
    the design batch, and the sparse-attention model the data hold."""
    from ..context import attention_flops_per_kv_byte
    from ..page import data_file, source_of
    from ..units import si

    hw, model = sel.hardware, sel.model
    hw_csv = data_file(sel, "hardware.csv")
    return pd.DataFrame([
        {"input": "accelerator", "value": hw.name, "source": source_of(hw)},
        {"input": "F (dense bf16), W_hbm", "value": f"{si(hw.flops('bf16'), 'FLOP/s')}, {si(hw.hbm_bandwidth_Bps, 'B/s')}",
         "source": hw_csv},
        {"input": "C_hbm; scale-up domain n_dom", "value": f"{si(hw.hbm_capacity_bytes, 'B')}; {hw.scale_up_domain_size}",
         "source": hw_csv},
        {"input": "model", "value": f"{model.name} ({model.attention.upper()})", "source": source_of(model)},
        {"input": "cache per token (bf16 KV, all layers)", "value": si(model.kv_bytes_per_token(), "B"),
         "source": "lib.models"},
        {"input": "attention intensity (FLOP per KV byte)", "value": f"{attention_flops_per_kv_byte(model):.0f}",
         "source": "lib.context"},
        {"input": "batch B* (refined)", "value": f"{batch:,.0f}", "source": "lib.context.design_batch"},
        {"input": "sparse attention as built", "value": sparse_model.name if sparse_model else "none in the data",
         "source": source_of(sparse_model) if sparse_model else "—"},
    ])


def contexts_table(model: Model, contexts, step, board, per_sequence_s, reference: int,
                   sparse: tuple[str, np.ndarray] | None = None) -> pd.DataFrame:
    """At each context: the cache per sequence, KV ÷ compute (refined, ``step``; blackboard, ``board``), the cost
    per token and its ratio to the ``reference`` context's, the same for a whole sequence (``per_sequence_s``),
    and a sparse-attention model's cost per token against the dense reference (``sparse``: name, costs)."""
    from ..units import count, number, si

    dense = step.chip_seconds_per_token
    ref_token, ref_seq = dense[reference], per_sequence_s[reference]
    columns = {
        "context L (tokens)": [count(c) for c in contexts],
        "cache per sequence": [si(float(model.kv_cache_bytes(c)), "B") for c in contexts],
        "KV ÷ compute": [number(float(k / c), 2) for k, c in zip(step.kv_s, step.compute_s)],
        "KV ÷ compute (blackboard)": [number(float(k / c), 2) for k, c in zip(board.kv_s, board.compute_s)],
        "cost per token": [si(c, "s") for c in dense],
        "÷ 200k": [times(c / ref_token) for c in dense],
        "sequence cost ÷ 200k": [times(c / ref_seq) for c in per_sequence_s],
    }
    if sparse is not None:
        name, costs = sparse
        columns[f"{name} per token ÷ 200k"] = [times(c / ref_token) for c in costs]
    return pd.DataFrame(columns)


def every_row_frame(models: list[Model], hardware: list[Hardware]) -> pd.DataFrame:
    """Every model on every accelerator: where KV reads overtake compute (attention FLOPs counted), the cost of 1M
    and 100M tokens against 200k, and the capacity ceilings (a numeric ``domain_ceiling`` column for filtering)."""
    from ..context import attention_flops_per_kv_byte, cost_per_token_s, kv_dominance_context
    from ..units import count, si

    rows = []
    for m in models:
        for h in hardware:
            b = design_batch(h, m)
            c = cost_per_token_s(h, m, np.array([2e5, 1e6, 1e8]), b)
            cc = capacity_ceilings(h, m)
            over = kv_dominance_context(h, m, b)["compute"]
            rows.append({"model": m.name, "attention": m.attention.upper() + (" + DSA" if m.is_sparse_attention else "")
                         + (" + window" if m.sliding_window_layers else ""),
                         "cache/token": si(m.kv_bytes_per_token(), "B"), "hardware": h.name,
                         "KV > compute from": "never" if not np.isfinite(over) else count(over),
                         "1M ÷ 200k": times(c[1] / c[0]), "100M ÷ 200k": times(c[2] / c[0]),
                         "replica ceiling": count(cc.replica_context) if cc.replica_context > 0 else "weights do not fit",
                         "domain ceiling": count(cc.domain_context), "domain_ceiling": cc.domain_context,
                         "attention FLOP/byte": f"{attention_flops_per_kv_byte(m):.0f}",
                         "ridge FLOP/byte": f"{h.ridge_flop_per_byte:.0f}"})
    return pd.DataFrame(rows)
