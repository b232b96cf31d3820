"""Claim ``two-budgets``: a decode step costs the larger of its compute and its memory time; cost per token falls
with batch until compute sets a floor. Checked on the refined step model (lib.roofline), with the blackboard's
figures beside it."""

from __future__ import annotations

import math

import numpy as np

from ..claims import FAILS, STRUCTURAL, Assumption, Entry, derives, entry
from ..data import Selection
from ..roofline import blackboard_decode_step, chips_to_fit, compute_floor_chip_seconds_per_token, decode_step, \
    max_batch, pooled_optimal_batch

CHAPTER = "chapters/two-budgets"
#: The context at which the ledger checks the shape of the curve (tokens). Short, so that KV reads do not
#: hide the weight-amortisation regime; the chapter shows longer contexts.
CHECK_CONTEXT_TOKENS = 1024
#: "Huge at small batch": the ledger asks for a batch-1 cost at least this many times the floor.
HUGE_FACTOR = 10.0
#: A batch far past every sweet spot, where the cost per token has reached its large-batch floor.
FLOOR_BATCH = 1e7
#: The check context as a named assumption: the shape is tested again at no context and at 32k tokens (the
#: context at which the fast-mode chapter solves its standard mode).
CHECK_CONTEXT = Assumption(
    "context tokens of the check", float(CHECK_CONTEXT_TOKENS), 0.0, 32_768.0, "tokens",
    source="book choice: 1,024 tokens, short so that KV reads do not hide the weight-amortisation regime; low: no "
           "context (the weights alone); high: 32k, a long chat or agent turn")


def batch_one_costs(sel: Selection, context: float = CHECK_CONTEXT_TOKENS) -> dict[str, float]:
    """Cost per token (accelerator-seconds) at batch 1 and at the large-batch floor, refined and blackboard."""
    hw, model = sel.hardware, sel.model
    refined_one = float(decode_step(hw, model, 1, context, chips=1).chip_seconds_per_token)
    refined_floor = float(decode_step(hw, model, FLOOR_BATCH, context, chips=1).chip_seconds_per_token)
    board_one = float(blackboard_decode_step(hw, model, 1, context, chips=1).chip_seconds_per_token)
    board_floor = compute_floor_chip_seconds_per_token(hw, model)
    return {"refined_one": refined_one, "refined_floor": refined_floor, "board_one": board_one,
            "board_floor": board_floor}


def replica(sel: Selection, context: float = CHECK_CONTEXT_TOKENS) -> dict[str, float]:
    """The smallest replica that holds the weights (release formats, 10% HBM reserve), the largest batch it
    holds at ``context``, the refined sweet spot, and the replica that sweet spot needs."""
    hw, model = sel.hardware, sel.model
    n = int(chips_to_fit(model, hw))
    sweet = pooled_optimal_batch(hw, model, context)
    return {"chips": n, "max_batch": float(max_batch(model, hw, n, context)), "sweet": sweet,
            "sweet_chips": float(chips_to_fit(model, hw, sweet, context)) if math.isfinite(sweet) else math.inf}


@derives("two-budgets", CHAPTER)
def two_budgets(sel: Selection) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    context = CHECK_CONTEXT_TOKENS
    costs = batch_one_costs(sel)
    ratio = costs["refined_one"] / costs["refined_floor"]
    board_ratio = costs["board_one"] / costs["board_floor"]
    sweet = pooled_optimal_batch(hw, model, context)

    def ratio_at(**a) -> float:
        c = batch_one_costs(sel, a[CHECK_CONTEXT.name])
        return c["refined_one"] / c["refined_floor"]

    def sweet_at(**a) -> float:
        return float(pooled_optimal_batch(hw, model, a[CHECK_CONTEXT.name]))  # inf: no sweet spot
    inputs = {"hardware": hw.name, "model": model.name, "context_tokens": context,
              "precision": decode_step(hw, model, 1, context, chips=1).precisions.label, "model_kind": "refined"}
    return [
        entry("two-budgets", "batch-1 cost per token ÷ compute floor", None, ratio, "×", inputs=inputs,
              kind=STRUCTURAL, holds_if=lambda r: r >= HUGE_FACTOR, assumptions=[CHECK_CONTEXT], recompute=ratio_at,
              note=f"'huge' read as ≥ {HUGE_FACTOR:g}× the large-batch floor; refined model (experts touched, "
                   f"release formats, attention FLOPs). The blackboard's ratio is {board_ratio:,.0f}×"),
        entry("two-budgets", "sweet-spot batch (compute = memory time)", None,
              sweet if np.isfinite(sweet) else None, "sequences", inputs=inputs, kind=STRUCTURAL,
              verdict=None if np.isfinite(sweet) else FAILS, holds_if=lambda b: np.isfinite(b),
              assumptions=[CHECK_CONTEXT], recompute=sweet_at,
              note="a finite batch where the pooled budgets meet (refined model); none where KV reads per sequence "
                   "outlast its arithmetic"),
    ]
