"""Claim ``two-budgets``: a decode step costs max(compute, weight + KV reads); cost per token vs batch."""

from __future__ import annotations

import numpy as np

from ..claims import FAILS, HOLDS, Entry, derives, entry
from ..data import Selection
from ..roofline import compute_floor_chip_seconds_per_token, crossover_batch, decode_step

CHAPTER = "chapters/two-budgets"
#: The context at which the ledger checks the shape of the curve (tokens). Short, so that KV reads do not
#: hide the weight-amortisation regime; the chapter shows longer contexts.
CHECK_CONTEXT_TOKENS = 1024
#: "Huge at small batch": the ledger asks for a batch-1 cost at least this many times the floor.
HUGE_FACTOR = 10.0


@derives("two-budgets", CHAPTER)
def two_budgets(sel: Selection) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    context = CHECK_CONTEXT_TOKENS
    floor = compute_floor_chip_seconds_per_token(hw, model)
    batch_one = float(decode_step(hw, model, 1, context).chip_seconds_per_token)
    ratio = batch_one / floor
    sweet = float(crossover_batch(hw, model, context))
    inputs = {"hardware": hw.name, "model": model.name, "context_tokens": context, "precision": "bf16"}
    return [
        entry("two-budgets", "batch-1 cost per token ÷ compute floor", None, ratio, "×", inputs=inputs,
              verdict=HOLDS if ratio >= HUGE_FACTOR else FAILS,
              note=f"structural check: 'huge' read as ≥ {HUGE_FACTOR:g}× the large-batch floor"),
        entry("two-budgets", "sweet-spot batch (compute = memory time)", None,
              sweet if np.isfinite(sweet) else None, "sequences", inputs=inputs,
              verdict=HOLDS if np.isfinite(sweet) else FAILS,
              note="structural check: a finite batch where the two budgets meet"),
    ]
