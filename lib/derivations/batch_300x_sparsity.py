"""Claim ``batch-300x-sparsity``: B* = (F / W_hbm) × (N_total / N_active); ridge ≈ 300, DeepSeek B* ≈ 2,400."""

from __future__ import annotations

from ..claims import Entry, derives, entry
from ..data import Selection
from ..roofline import optimal_batch

CHAPTER = "chapters/batch-300x-sparsity"
#: The model the talk names for its worked example.
TALK_MODEL = "DeepSeek-V3"


@derives("batch-300x-sparsity", CHAPTER)
def ridge_and_batch(sel: Selection) -> list[Entry]:
    hw = sel.hardware
    out = [entry("batch-300x-sparsity", "ridge point F / W_hbm (bf16)", 300.0, hw.ridge_flop_per_byte,
                 "FLOP/byte", inputs={"hardware": hw.name})]
    model = sel.model_named(TALK_MODEL)
    inputs = {"hardware": hw.name, "model": TALK_MODEL}
    if model is None:
        out.append(entry("batch-300x-sparsity", "DeepSeek sparsity N_total / N_active", 8.0, None, "×",
                         inputs=inputs, note=f"the data have no {TALK_MODEL!r} row"))
        return out
    b_star = float(optimal_batch(hw.flops("bf16"), hw.hbm_bandwidth_Bps, model.sparsity))
    out += [
        entry("batch-300x-sparsity", "DeepSeek sparsity N_total / N_active", 8.0, model.sparsity, "×",
              inputs=inputs),
        entry("batch-300x-sparsity", "optimal batch B* for DeepSeek", (2000.0, 3000.0), b_star, "tokens",
              inputs=inputs),
    ]
    return out
