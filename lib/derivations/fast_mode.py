"""Claims ``fast-mode`` and ``slow-mode``: a fast mode is a smaller batch; a slow mode would save little."""

from __future__ import annotations

import math

import numpy as np

from ..claims import FAILS, HOLDS, LOOSE, Entry, derives, entry
from ..data import DataError, Selection
from ..modes import (LECTURE_OFFER, inverse_problem, load_offers, memory_bound_kv_share, occupancy_ratio,
                     replica_chips_for, slow_mode_saving)
from ..roofline import weight_read_time_s
from ..units import bytes_per_element

CHAPTER = "chapters/fast-mode"
#: The talk's pair, used when the offers table lacks the lecture's row.
STATED_PRICE_RATIO = 6.0
STATED_SPEED_RATIO = 2.5
#: "~20 ms on Blackwell-class parts".
STATED_FLOOR_S = 0.020
#: The Blackwell row whose HBM drain time the ledger checks, and the scale-up domain for the weight floor.
BLACKWELL_CHIP = "B200"
BLACKWELL_DOMAIN = "GB200 NVL72"
#: The context at which the ledger solves the inverse problem on the selected rows (tokens).
INVERSE_CONTEXT_TOKENS = 32_768
#: Contexts at which the Slow Mode saving is stated (tokens).
SLOW_CONTEXTS_TOKENS = (8_192, 32_768, 131_072, 200_000)
#: "Saves little": at most this share of the cost per token holds; up to LOOSE_SAVING holds loosely.
LITTLE_SAVING = 0.25
LOOSE_SAVING = 0.50


def _lecture_offer(sel: Selection):
    try:
        return next((o for o in load_offers(sel.data_dir) if o.name == LECTURE_OFFER), None)
    except DataError:
        return None  # a reader's data directory without (or with a broken) mode_offers.csv


@derives("fast-mode", CHAPTER)
def fast_mode(sel: Selection) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    offer = _lecture_offer(sel)
    missing = "the data lack the row" if offer is None else ""
    offer_inputs = {"offer": LECTURE_OFFER, "source": offer.source.split(" ; ")[0] if offer else "missing"}
    p = offer.price_multiplier if offer else STATED_PRICE_RATIO
    s = offer.speed_multiplier if offer else STATED_SPEED_RATIO
    share = float(memory_bound_kv_share(p, s))
    beta = float(occupancy_ratio(p, s))
    sol = inverse_problem(hw, model, INVERSE_CONTEXT_TOKENS, p, s)
    feasible = bool(sol.feasible)
    standard = float(sol.standard_batch) if feasible else None
    chips = float(replica_chips_for(hw, model, sol.standard_batch, INVERSE_CONTEXT_TOKENS)) if feasible else math.nan
    solve_inputs = {"hardware": hw.name, "model": model.name, "context_tokens": INVERSE_CONTEXT_TOKENS,
                    "price_ratio": p, "speed_ratio": s, "precision": "bf16"}
    entries = [
        entry("fast-mode", "price ratio of the fast mode (published)", STATED_PRICE_RATIO,
              offer.price_multiplier if offer else None, "×", inputs=offer_inputs, note=missing),
        entry("fast-mode", "speed ratio of the fast mode (published, 'up to')", STATED_SPEED_RATIO,
              offer.speed_multiplier if offer else None, "×", inputs=offer_inputs,
              note=missing or "the provider quotes an upper bound, not an average"),
        entry("fast-mode", "KV share of the standard step that batch alone needs", None,
              100 * share if np.isfinite(share) else None, "%", inputs={"price_ratio": p, "speed_ratio": s},
              verdict=HOLDS if np.isfinite(share) else FAILS,
              note=(f"structural: a {beta:g}× smaller batch gives the pair when KV reads are this share of a "
                    "memory-bound standard step; holds if the share lies in (0, 1)")),
        entry("fast-mode", f"standard batch needed at {INVERSE_CONTEXT_TOKENS // 1024}k context", None, standard,
              "sequences", inputs=solve_inputs, verdict=HOLDS if feasible else FAILS,
              note=(f"fast batch {float(sol.fast_batch):,.0f}; {sol.branch} bound; the replica needs "
                    f"{chips:,.0f} × {hw.name} to hold weights and KV" if feasible else str(sol.reason))),
    ]
    chip = sel.hardware_named(BLACKWELL_CHIP)
    entries.append(entry(
        "fast-mode", f"HBM drain time C_hbm / W_hbm ({BLACKWELL_CHIP})", STATED_FLOOR_S,
        chip.hbm_drain_time_s if chip else None, "s", inputs={"hardware": BLACKWELL_CHIP},
        note="" if chip else f"the data lack the row {BLACKWELL_CHIP!r}"))
    domain = sel.hardware_named(BLACKWELL_DOMAIN)
    floor = (weight_read_time_s(model.total_params, bytes_per_element("bf16"), domain.hbm_bandwidth_Bps,
                                domain.scale_up_domain_size) if domain else None)
    entries.append(entry(
        "fast-mode", f"weight-read floor t_weights on one {BLACKWELL_DOMAIN} domain", STATED_FLOOR_S, floor, "s",
        inputs={"hardware": BLACKWELL_DOMAIN, "model": model.name, "precision": "bf16",
                "chips": domain.scale_up_domain_size if domain else None},
        note=("the floor is weight bytes ÷ the replica's bandwidth: ~20 ms only when the weights fill the "
              "replica's HBM" if domain else f"the data lack the row {BLACKWELL_DOMAIN!r}")))
    return entries


def _saving_verdict(saving: float) -> str:
    if saving <= LITTLE_SAVING:
        return HOLDS
    if saving <= LOOSE_SAVING:
        return LOOSE
    return FAILS


@derives("slow-mode", CHAPTER)
def slow_mode(sel: Selection) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    contexts = np.array(SLOW_CONTEXTS_TOKENS, dtype=float)
    savings = slow_mode_saving(hw, model, contexts)
    out = []
    for context, saving in zip(SLOW_CONTEXTS_TOKENS, savings):
        out.append(entry(
            "slow-mode", f"largest saving per token past B* at {context // 1000 if context % 1024 else context // 1024}k context",
            None, 100 * float(saving), "%", inputs={"hardware": hw.name, "model": model.name, "context_tokens": context,
                                             "reference_batch": "B*", "precision": "bf16"},
            verdict=_saving_verdict(float(saving)),
            note=(f"'little' read as ≤ {LITTLE_SAVING:.0%} of the cost (holds), ≤ {LOOSE_SAVING:.0%} "
                  "(holds loosely)")))
    return out
