"""Claims ``fast-mode`` and ``slow-mode``: a fast mode is a smaller batch; a slow mode would save little.

Each claim is derived twice: on the blackboard's two-budget model (the talk's own arithmetic) and on the
refined step model of :mod:`lib.roofline`, at the one standard mode of :func:`lib.modes.standard_mode`.
"""

from __future__ import annotations

import math
import statistics

import numpy as np

from ..claims import FAILS, HOLDS, SCENARIO_KIND, STRUCTURAL, Entry, derives, entry
from ..data import DataError, Selection
from ..modes import (COLLECTIVE_LATENCY, LECTURE_OFFER, WEIGHT_SHARE, collective_latency_floor_s, decode_time_s,
                     implied_interactive_utilisation, inverse_problem, load_batch_offers, load_offers,
                     memory_bound_kv_share, occupancy_ratio, price_for_speed, refined_slow_mode_saving,
                     replica_chips_for, slow_mode_saving, solve_standard_batch, speed_of_batch_cut,
                     standard_batches_for_offer, standard_mode, DAILY_SWING, daily_load_curve,
                     daily_load_utilisation)
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
#: A published input ratio within this of 1 counts as "no input premium".
NO_PREMIUM_TOL = 0.05


def _lecture_offer(sel: Selection):
    try:
        return next((o for o in load_offers(sel.data_dir) if o.name == LECTURE_OFFER), None)
    except DataError:
        return None  # a reader's data directory without (or with a broken) mode_offers.csv


def context_label(tokens: int) -> str:
    """8192 → "8k", 131072 → "128k", 200000 → "200k"."""
    return f"{tokens // 1024}k" if tokens % 1024 == 0 else f"{tokens // 1000}k"


def _refined_price_at_standard(sel: Selection, context: float, speed: float, weight_share: float) -> float | None:
    """The price ratio a batch cut from the standard mode needs for ``speed`` (refined; None if infeasible)."""
    hw, model = sel.hardware, sel.model
    sm = standard_mode(hw, model, context, weight_share)
    if not bool(sm.feasible):
        return None
    fast = price_for_speed(hw, model, float(sm.batch), context, speed, sm.chips)
    return float(fast.price_ratio) if bool(fast.feasible) else None


def _refined_fastest_step_s(model, domain, per_collective_s: float) -> float:
    """The refined batch-1 step on a whole scale-up domain plus the collective latency floor (seconds)."""
    n = domain.scale_up_domain_size
    return float(decode_time_s(domain, model, 1.0, 0.0, n,
                               latency_floor_s=float(collective_latency_floor_s(model.layers, n, per_collective_s))))


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
    input_ratio = offer.input_price_ratio if offer else None
    entries = [
        entry("fast-mode", "price ratio of the fast mode (published)", STATED_PRICE_RATIO,
              offer.price_multiplier if offer else None, "×", inputs=offer_inputs, note=missing),
        entry("fast-mode", "speed ratio of the fast mode (published, 'up to')", STATED_SPEED_RATIO,
              offer.speed_multiplier if offer else None, "×", inputs=offer_inputs,
              note=missing or "the provider quotes an upper bound, not an average"),
        entry("fast-mode", "input price ratio of the fast mode (published)", STATED_PRICE_RATIO, input_ratio, "×",
              inputs=offer_inputs, note=missing or ("the talk's 6× covers input tokens too" if input_ratio else
                                                    "the offer lists no per-token input prices")),
        entry("fast-mode", "a smaller decode batch explains the input price", None, input_ratio, "×",
              kind=STRUCTURAL, inputs=offer_inputs,
              verdict=HOLDS if input_ratio is not None and abs(input_ratio - 1) <= NO_PREMIUM_TOL else FAILS,
              note=("the decode batch does not touch prefill, so batch alone predicts input at 1×; a published "
                    "input ratio above 1 needs another source (reserved capacity, other hardware, a smaller "
                    "prefill batch)" if input_ratio is not None else "no per-token input prices in the data")),
        entry("fast-mode", "KV share of the standard step that batch alone needs (blackboard)", None,
              100 * share if np.isfinite(share) else None, "%", kind=STRUCTURAL,
              inputs={"price_ratio": p, "speed_ratio": s}, verdict=HOLDS if np.isfinite(share) else FAILS,
              note=(f"a {beta:g}× smaller batch gives the pair when KV reads are this share of a memory-bound "
                    "standard step; the shape holds if the share lies in (0, 1)")),
    ]
    # The blackboard's compute-bound branch with no KV at all: standard at S·B*, fast at B*/P.
    no_kv = solve_standard_batch(p, s, 1.0, 0.0, 1.0 / 100.0)  # t_w = 1, c = 0.01: B* = 100
    entries.append(entry(
        "fast-mode", "blackboard pair with no KV at all: standard batch ÷ B*", None,
        float(no_kv.standard_batch) / 100.0 if bool(no_kv.feasible) else None, "×", kind=STRUCTURAL,
        inputs={"price_ratio": p, "speed_ratio": s}, verdict=HOLDS if bool(no_kv.feasible) else FAILS,
        note=(f"compute-bound branch: standard at {float(no_kv.standard_batch) / 100:g} B*, fast at B* ÷ "
              f"{100 / float(no_kv.fast_batch):g}; a replica that just holds the weights can be sped up this way "
              "when it runs past B*" if bool(no_kv.feasible) else str(no_kv.reason))))
    # The blackboard's inverse problem at 32k, with the capacity its standard batch needs.
    sol = inverse_problem(hw, model, INVERSE_CONTEXT_TOKENS, p, s)
    feasible = bool(sol.feasible)
    chips = float(replica_chips_for(hw, model, sol.standard_batch, INVERSE_CONTEXT_TOKENS)) if feasible else math.nan
    fits = feasible and chips <= hw.scale_up_domain_size
    label = context_label(INVERSE_CONTEXT_TOKENS)
    solve_inputs = {"hardware": hw.name, "model": model.name, "context_tokens": INVERSE_CONTEXT_TOKENS,
                    "price_ratio": p, "speed_ratio": s, "precision": "bf16"}
    entries.append(entry(
        "fast-mode", f"blackboard standard batch at {label} fits one scale-up domain", None,
        float(sol.standard_batch) if feasible else None, "sequences", kind=STRUCTURAL, inputs=solve_inputs,
        verdict=HOLDS if fits else FAILS,
        note=(f"fast batch {float(sol.fast_batch):,.0f}; {sol.branch} bound; weights and KV need {chips:,.0f} × "
              f"{hw.name} against a scale-up domain of {hw.scale_up_domain_size}" if feasible else str(sol.reason))))
    # The refined model: from the one standard mode, what a 2.5× fast mode costs; and which batches give 6×/2.5×.
    refined_inputs = {"hardware": hw.name, "model": model.name, "context_tokens": INVERSE_CONTEXT_TOKENS,
                      "speed_ratio": s, "precision": "release formats, fp8 KV",
                      "weight_share": WEIGHT_SHARE.value}
    try:
        price = _refined_price_at_standard(sel, INVERSE_CONTEXT_TOKENS, s, WEIGHT_SHARE.value)
        sm = standard_mode(hw, model, INVERSE_CONTEXT_TOKENS)
        solutions = standard_batches_for_offer(hw, model, INVERSE_CONTEXT_TOKENS, p, s)
        grid = np.logspace(np.log10(beta), 6, 121)
        slowest = float(np.nanmin(speed_of_batch_cut(hw, model, grid, INVERSE_CONTEXT_TOKENS, beta)))
        refined_note = ""
    except ValueError as err:  # a model row without the per-operation config
        price, sm, solutions, slowest, refined_note = None, None, [], math.nan, str(err)
    entries.append(entry(
        "fast-mode", f"price of a {s:g}× fast mode from the standard mode at {label} (refined)", STATED_PRICE_RATIO,
        price, "×", inputs=refined_inputs, assumptions=[WEIGHT_SHARE],
        recompute=lambda **a: _refined_price_at_standard(sel, INVERSE_CONTEXT_TOKENS, s, a[WEIGHT_SHARE.name]),
        note=refined_note or (
            f"standard mode: {sm.chips} × {hw.name} holding {float(sm.batch):,.0f} sequences (weights fill "
            f"{WEIGHT_SHARE.value:.0%} of usable HBM); the batch cut that gives {s:g}× costs this much under "
            "cost-based pricing" if sm is not None and price is not None else
            "the standard mode cannot be sped up that much by a batch cut")))
    fitting = [x for x in solutions if x.fits_domain]
    best = min(solutions, key=lambda x: x.chips_to_hold) if solutions else None
    entries.append(entry(
        "fast-mode", f"refined standard batch for {p:g}×/{s:g}× at {label} fits one scale-up domain", None,
        best.standard_batch if best else None, "sequences", kind=STRUCTURAL, inputs=refined_inputs | {"price_ratio": p},
        verdict=HOLDS if fitting else FAILS,
        note=refined_note or ("; ".join(f"B_s {x.standard_batch:,.0f} → B_f {x.fast_batch:,.1f} on {x.chips_to_hold} "
                                        f"× {hw.name}, mostly {x.lever}" for x in solutions) if solutions else
                              f"no standard batch gives exactly {s:g}× at {p:g}×: every {beta:g}-fold batch cut "
                              f"gives at least {slowest:.2f}× here")))
    chip = sel.hardware_named(BLACKWELL_CHIP)
    entries.append(entry(
        "fast-mode", f"HBM drain time C_hbm / W_hbm ({BLACKWELL_CHIP})", STATED_FLOOR_S,
        chip.hbm_drain_time_s if chip else None, "s", inputs={"hardware": BLACKWELL_CHIP},
        note="" if chip else f"the data lack the row {BLACKWELL_CHIP!r}"))
    domain = sel.hardware_named(BLACKWELL_DOMAIN)
    floor = (weight_read_time_s(model.total_params, bytes_per_element("bf16"), domain.hbm_bandwidth_Bps,
                                domain.scale_up_domain_size) if domain else None)
    entries.append(entry(
        "fast-mode", f"weight-read floor t_weights on one {BLACKWELL_DOMAIN} domain (blackboard)", STATED_FLOOR_S,
        floor, "s", inputs={"hardware": BLACKWELL_DOMAIN, "model": model.name, "precision": "bf16",
                            "chips": domain.scale_up_domain_size if domain else None},
        note=("the floor is weight bytes ÷ the replica's bandwidth: ~20 ms only when the weights fill the "
              "replica's HBM" if domain else f"the data lack the row {BLACKWELL_DOMAIN!r}")))
    try:
        fastest = _refined_fastest_step_s(model, domain, COLLECTIVE_LATENCY.value) if domain else None
        fastest_note = ""
    except ValueError as err:
        fastest, fastest_note = None, str(err)
    entries.append(entry(
        "fast-mode", f"fastest decode step on one {BLACKWELL_DOMAIN} domain (refined, with collective latency)",
        STATED_FLOOR_S, fastest, "s", assumptions=[COLLECTIVE_LATENCY] if fastest is not None else (),
        recompute=(lambda **a: _refined_fastest_step_s(model, domain, a[COLLECTIVE_LATENCY.name])) if fastest else None,
        inputs={"hardware": BLACKWELL_DOMAIN, "model": model.name, "batch": 1,
                "chips": domain.scale_up_domain_size if domain else None,
                "collectives_per_layer": 2},
        note=fastest_note or ("batch 1 reads the active weights only; two collectives per layer add a floor no "
                              "replica size removes" if domain else f"the data lack the row {BLACKWELL_DOMAIN!r}")))
    return entries


def _refined_saving(sel: Selection, context: float, weight_share: float) -> float | None:
    sm = standard_mode(sel.hardware, sel.model, context, weight_share)
    if not bool(sm.feasible):
        return None
    return 100.0 * float(refined_slow_mode_saving(sm))


def _batch_api_ratio(sel: Selection) -> float | None:
    try:
        offers = load_batch_offers(sel.data_dir)
    except DataError:
        return None
    return statistics.median(o.price_multiplier for o in offers) if offers else None


@derives("slow-mode", CHAPTER)
def slow_mode(sel: Selection) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    contexts = np.array(SLOW_CONTEXTS_TOKENS, dtype=float)
    board = slow_mode_saving(hw, model, contexts)
    worst = int(np.argmax(board))
    out = [entry(
        "slow-mode", "blackboard saving past B* never exceeds one half", None, 100 * float(board[worst]), "%",
        kind=STRUCTURAL, verdict=HOLDS if float(board.max()) <= 0.5 + 1e-12 else FAILS,
        inputs={"hardware": hw.name, "model": model.name, "context_tokens": SLOW_CONTEXTS_TOKENS[worst],
                "reference_batch": "B*", "precision": "bf16"},
        note=("by construction: past B* the saving is min(c, k) / (c + k); the largest of the four contexts is "
              "shown. A bound, not a check of 'little'"))]
    saving_32k = None
    for context in SLOW_CONTEXTS_TOKENS:
        try:
            value = _refined_saving(sel, context, WEIGHT_SHARE.value)
            note, recompute = "", (lambda c: (lambda **a: _refined_saving(sel, c, a[WEIGHT_SHARE.name])))(context)
        except ValueError as err:
            value, note, recompute = None, str(err), None
        if context == INVERSE_CONTEXT_TOKENS:
            saving_32k = value
        out.append(entry(
            "slow-mode", f"saving from unlimited batching past the standard mode at {context_label(context)} (refined)",
            None, value, "%", kind=SCENARIO_KIND, assumptions=[WEIGHT_SHARE], recompute=recompute,
            inputs={"hardware": hw.name, "model": model.name, "context_tokens": context,
                    "standard_mode": f"weights fill {WEIGHT_SHARE.value:.0%} of usable HBM",
                    "precision": "release formats, fp8 KV"},
            note=note or "the slow mode grows the replica to hold the batch; cost per token falls to its plateau"))
    ratio = _batch_api_ratio(sel)
    discount = None if ratio is None else 100 * (1 - ratio)
    out.append(entry(
        "slow-mode", "batch APIs' discount exceeds the roofline saving at 32k", None, discount, "%",
        kind=STRUCTURAL, verdict=HOLDS if discount is not None and saving_32k is not None and discount > saving_32k
        else FAILS, inputs={"table": "batch_offers.csv", "median of rows": True},
        note=(f"median discount {discount:.0f}% against a refined saving of {saving_32k:.0f}%: the rest needs a "
              "second source (idle capacity)" if discount is not None and saving_32k is not None else
              "no batch offers or no refined saving")))

    def utilisation(weight_share: float) -> float | None:
        saving = _refined_saving(sel, INVERSE_CONTEXT_TOKENS, weight_share)
        if ratio is None or saving is None:
            return None
        return 100.0 * float(implied_interactive_utilisation(ratio, max(saving, 0.0) / 100.0))

    try:
        value = utilisation(WEIGHT_SHARE.value)
        note = ""
    except ValueError as err:
        value, note = None, str(err)
    out.append(entry(
        "slow-mode", "interactive utilisation the batch discount implies (refined saving at 32k)", None, value, "%",
        kind=SCENARIO_KIND, assumptions=[WEIGHT_SHARE], recompute=(lambda **a: utilisation(a[WEIGHT_SHARE.name]))
        if value is not None else None,
        inputs={"batch price ratio": ratio, "context_tokens": INVERSE_CONTEXT_TOKENS},
        note=note or ("u = batch price ratio ÷ (1 − roofline saving): capacity sized for the interactive peak, "
                      "batch tokens fill the idle share at full utilisation")))

    def swing_utilisation(swing: float) -> float:
        return 100.0 * float(daily_load_utilisation(daily_load_curve(swing)))

    out.append(entry(
        "slow-mode", "utilisation of capacity sized for a daily peak", None, swing_utilisation(DAILY_SWING.value), "%",
        kind=SCENARIO_KIND, assumptions=[DAILY_SWING], recompute=lambda **a: swing_utilisation(a[DAILY_SWING.name]),
        inputs={"load curve": "1 + a cos(2π (h − 14) / 24)"},
        note="mean ÷ peak of the interactive load: the share of peak-sized capacity interactive traffic keeps busy"))
    return out
