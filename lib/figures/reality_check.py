"""Tables, sentences and the chart of the chapter ``reality-check``: every published measurement against the refined
model's bound (:mod:`lib.reality`), the residual explained row by row, the training runs' MFU.

Every number comes from :func:`lib.reality.bounds`, :func:`lib.reality.training_checks` and the data; this module
only assembles and formats.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from ..charts import PALETTE
from ..hardware import Hardware
from ..models import Model
from ..reality import (Bound, TrainingCheck, a2a_link_share, achievable_fractions, flop_utilisation,
                       matmul_flops_per_s, model_tokens_per_s_at)
from ..units import count

#: Efficiency bands drawn on the chart: lines y = η·x.
BANDS: tuple[float, ...] = (1.0, 0.3, 0.1, 0.03)
PHASE_COLORS = {"decode": PALETTE[0], "prefill": PALETTE[1], "offline": PALETTE[2]}
#: An offline row this far below the offline median is one whose decode-only bound misses most of its work.
LOOSE_OFFLINE_FACTOR = 0.5


def _rate(x: float) -> str:
    return "0" if x <= 0 else f"{x:,.0f}" if x < 1e5 else count(x)


def frame(found: list[Bound], hardware: dict[str, Hardware], models: dict[str, Model],
          shared: dict[str, Bound] | None = None) -> pd.DataFrame:
    """One row per measurement: measured, bound, efficiency, binding, per-operation bound, the step model's shared
    layout bound (if given), Little's-law and capacity batches, and the all-to-all link share."""
    rows = []
    for b in found:
        hw, model = hardware[b.hardware], models[b.model]
        little = b.row.sequences_per_accelerator
        rows.append({
            "id": b.row.id, "phase": b.row.phase, "hardware": b.hardware, "model": b.model,
            "accelerators": b.row.accelerators, "layout": b.layout.label, "formats": b.precisions.label,
            "measured": b.measured_tokens_per_s_per_accelerator, "bound": b.tokens_per_s_per_accelerator,
            "efficiency": b.efficiency, "binding": b.binding, "per_op_bound": b.per_op_tokens_per_s_per_accelerator,
            "step_budget": b.step_budget, "matmul_format": matmul_flops_per_s(b, hw)[0],
            "flop_utilisation": flop_utilisation(b, hw, model),
            "shared_bound": None if shared is None else shared[b.row.id].tokens_per_s_per_accelerator,
            "unlimited": b.unlimited_tokens_per_s_per_accelerator,
            "batch_per_accelerator": b.batch_per_accelerator,
            "capacity_per_accelerator": b.max_batch / b.layout.accelerators,
            "little_batch_per_accelerator": little,
            "model_at_little_batch": None if little is None else model_tokens_per_s_at(b, hw, model, little),
            "a2a_share": a2a_link_share(b, hw, model),
            "link": "NVLink" if b.layout.expert_shards <= hw.scale_up_domain_size else "scale-out NIC",
        })
    return pd.DataFrame(rows)


def table(df: pd.DataFrame) -> pd.DataFrame:
    """The page's table: strings; every rate in tokens/s per accelerator (the caption says so)."""
    return pd.DataFrame({
        "row": df["id"], "phase": df["phase"],
        "hardware × n": [f"{h} × {n}" for h, n in zip(df["hardware"], df["accelerators"])],
        "model": df["model"],
        "measured": [_rate(x) for x in df["measured"]],
        "bound": [_rate(x) for x in df["bound"]],
        "measured ÷ bound": [f"{x:.1%}" for x in df["efficiency"]],
        "binds": df["binding"],
        "per-op bound": [_rate(x) for x in df["per_op_bound"]],
    })


def chart(df: pd.DataFrame) -> alt.LayerChart:
    """Measured against bound, log-log, with the line y = x (the bound) and efficiency bands y = η·x; points
    coloured by phase (click the legend to pick one), shaped by what binds."""
    low = 10 ** math.floor(math.log10(min(df["measured"].min(), df["bound"].min()) * 0.5))
    high = 10 ** math.ceil(math.log10(max(df["measured"].max(), df["bound"].max()) * 1.5))
    xs = np.geomspace(low, high, 2)
    bands = pd.DataFrame([{"x": x, "y": eta * x, "band": f"measured = {eta:.0%} of bound" if eta < 1 else
                           "measured = bound (y = x)", "eta": eta} for eta in BANDS for x in xs])
    bands = bands[bands["y"] >= low]
    points = df[["id", "phase", "hardware", "model", "measured", "bound", "efficiency", "binding"]].copy()
    points["measured"] = points["measured"].round(1)
    points["bound"] = points["bound"].round(1)
    pick = alt.selection_point(fields=["phase"], bind="legend")
    decades = [float(10 ** k) for k in range(int(round(math.log10(low))), int(round(math.log10(high))) + 1)]
    x = alt.X("bound:Q", scale=alt.Scale(type="log", domain=[low, high]),
              axis=alt.Axis(title="model's bound (tokens/s per accelerator, log)", format="~s", values=decades))
    y = alt.Y("measured:Q", scale=alt.Scale(type="log", domain=[low, high]),
              axis=alt.Axis(title="measured (tokens/s per accelerator, log)", format="~s", values=decades))
    lines = alt.Chart(bands).mark_line(color="#888").encode(
        x=alt.X("x:Q", scale=alt.Scale(type="log", domain=[low, high])),
        y=alt.Y("y:Q", scale=alt.Scale(type="log", domain=[low, high])),
        detail="band:N",
        strokeDash=alt.condition("datum.eta == 1", alt.value([1, 0]), alt.value([4, 3])),
        strokeWidth=alt.condition("datum.eta == 1", alt.value(1.8), alt.value(1.0)),
    )
    labels = alt.Chart(bands.groupby("band", as_index=False).last()).mark_text(
        align="right", baseline="bottom", dx=-4, dy=-2, fontSize=11, color="#666").encode(
        x=alt.X("x:Q", scale=alt.Scale(type="log", domain=[low, high])),
        y=alt.Y("y:Q", scale=alt.Scale(type="log", domain=[low, high])), text="band:N")
    dots = alt.Chart(points).mark_point(filled=True, size=90).encode(
        x=x, y=y,
        color=alt.Color("phase:N", scale=alt.Scale(domain=list(PHASE_COLORS), range=list(PHASE_COLORS.values())),
                        legend=alt.Legend(title="phase (click to pick)", orient="bottom")),
        shape=alt.Shape("binding:N", legend=alt.Legend(title="what binds", orient="bottom")),
        opacity=alt.condition(pick, alt.value(0.9), alt.value(0.12)),
        tooltip=[alt.Tooltip("id:N", title="row"), "hardware:N", "model:N", "phase:N",
                 alt.Tooltip("measured:Q", format=",.0f"), alt.Tooltip("bound:Q", format=",.0f"),
                 alt.Tooltip("efficiency:Q", title="measured ÷ bound", format=".1%"), "binding:N"],
    ).add_params(pick)
    return (lines + labels + dots).properties(
        title=alt.Title("Every measurement against the model's bound",
                        subtitle=["Above the solid line would be an error; dashed lines mark 30%, 10% and 3% of "
                                  "the bound."]),
        width=520, height=420)


def residual_sentences(df: pd.DataFrame, offline_median: float, data_dir=None) -> list[str]:
    """One short paragraph per row, computed from the data: what binds at the bound, and the parts of the gap the
    data can quantify (the batch actually run, the expert all-to-all on the links, the layout, the kernel ceiling
    from published microbenchmarks, the loose offline bound)."""
    out = []
    for r in df.itertuples():
        text = (f"**{r.id}** ({r.hardware} × {r.accelerators}, {r.model}, {r.phase}): {r.efficiency:.0%} of its "
                f"bound; {r.binding} binds")
        if r.binding == "capacity":
            text += f" (the HBM holds {r.capacity_per_accelerator:,.0f} sequences per accelerator)"
        parts = [text + "."]
        if pd.notna(r.little_batch_per_accelerator) and pd.notna(r.model_at_little_batch):
            parts.append(f"It ran {r.little_batch_per_accelerator:,.0f} sequences per accelerator (Little's law): "
                         f"that batch costs a factor {r.bound / r.model_at_little_batch:.2f}, everything else "
                         f"{r.model_at_little_batch / r.measured:.2f}.")
        if pd.notna(r.a2a_share):
            parts.append(f"All-to-all at the measured rate: {r.a2a_share:.0%} of its {r.link} time.")
        if pd.notna(r.shared_bound) and r.shared_bound > 0 and abs(r.shared_bound / r.bound - 1) > 0.01:
            parts.append(f"Every weight split over the unit would allow {r.shared_bound / r.bound:.2f}× more.")
        elif pd.notna(r.shared_bound) and r.shared_bound <= 0:
            parts.append("Without host memory its weights would not fit.")
        fractions = achievable_fractions(r.hardware, data_dir) or {}
        ceiling = fractions.get("hbm_bandwidth" if r.step_budget == "bandwidth" else r.matmul_format)
        if ceiling is not None:
            what = "HBM bandwidth" if r.step_budget == "bandwidth" else f"dense {r.matmul_format} peak"
            parts.append(f"Kernel ceiling: microbenchmarks reach {ceiling:.0%} of its {what}.")
        if r.phase == "offline" and r.efficiency < LOOSE_OFFLINE_FACTOR * offline_median:
            parts.append("The bound leaves out its prompts' prefill and its outputs' KV reads.")
        out.append(" ".join(parts))
    return out


#: Short labels for what a training row's hours cover.
SCOPE_LABELS = {"pre-training": "pre-training", "context-extension": "context extension",
                "post-training": "post-training", "all": "all stages", "benchmark": "benchmark"}


def training_table(checks: list[TrainingCheck]) -> pd.DataFrame:
    """The training rows: what the hours include, reported and ideal hours, the MFU they imply, the reported MFU."""
    def pct(x):
        return "—" if x is None else f"{x:.1%}"

    def hours(x):
        return "—" if x is None else f"{x:,.0f}"
    return pd.DataFrame({
        "run": [c.run.id for c in checks],
        "hours cover": [SCOPE_LABELS[c.run.scope] for c in checks],
        "peak": [c.precision + ("" if c.precision_stated else " (assumed)") for c in checks],
        "reported hours": [hours(c.run.accelerator_hours) for c in checks],
        "ideal hours": [hours(c.ideal_accelerator_hours) for c in checks],
        "implied MFU": [pct(c.implied_mfu if c.implied_mfu is not None else c.benchmark_mfu) for c in checks],
        "reported MFU": [pct(c.reported_mfu) for c in checks],
    })
