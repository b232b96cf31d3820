"""Claims ``context-200k-kv``, ``decode-5x-prefill``, ``cache-hit-tenth`` and ``cache-tiers``: what API prices
leak about the served model and its memory hierarchy (chapter ``prices-leak``).

The check parameters are named constants here, so the chapter and the ledger use the same ones.
"""

from __future__ import annotations

import math
import statistics

import numpy as np

from ..claims import FAILS, HOLDS, LOOSE, NOT_DERIVED, SCENARIO_KIND, Assumption, Entry, derives, entry
from ..data import Selection
from ..memory_tiers import (MemoryTier, break_even_interval_s, load_memory_tiers, recompute_bandwidth_Bps,
                            reload_to_recompute_ratio)
from ..modes import WEIGHT_SHARE
from ..pricing import (LONG_TIER_PROMPT, PriceRow, breakpoint_kv_bytes_per_token, decode_chip_seconds_per_token_refined,
                       decode_to_prefill_cost_ratio, decode_to_prefill_ratio_refined,
                       gqa_kv_bytes_per_token_per_layer, implied_long_context_premiums, load_prices,
                       long_context_premium, prices_in_force, tier_pairs)
from ..units import duration

CHAPTER = "chapters/prices-leak"

#: The talk's breakpoint context and active-parameter guess.
BREAKPOINT_CONTEXT_TOKENS = 200_000
TALK_ACTIVE_PARAMS = 100e9
TALK_KV_RANGE_B = (1.6e3, 2.0e3)
#: The talk's "8 KV heads, dense attention, head dim 128".
TALK_KV_HEADS, TALK_HEAD_DIM = 8, 128
#: A published dense-GQA model with exactly that attention shape, to count a whole model's layers.
WHOLE_MODEL_REFERENCE = "Llama 3.1 405B"
#: The long-context tier the talk quotes.
LONG_CONTEXT_MODEL = "Gemini 2.5 Pro"
#: Serving precision for weights, arithmetic and KV cache where the accelerator supports it.
SERVING_PRECISION = "fp8"
#: Context of the decode ÷ prefill check (tokens): a mid-length chat or agent turn. The ratio grows with it.
DECODE_CHECK_CONTEXT_TOKENS = 8192
#: The top of the short-context tier: the prompt a ≤200k price must cover at worst.
SHORT_TIER_TOP_TOKENS = 200_000
#: The two cache durations on the price sheets (seconds).
FIVE_MINUTES_S, ONE_HOUR_S = 300.0, 3600.0
#: A drain time "matches" one duration loosely if it is nearer to it than to the other one (on a log scale):
#: within √(1 h / 5 min) ≈ 3.5×.
DURATION_LOOSE_FACTOR = math.sqrt(ONE_HOUR_S / FIVE_MINUTES_S)


def serving_precision(hw) -> str:
    """fp8 where the accelerator has fp8 FLOP/s in the data, else bf16."""
    return SERVING_PRECISION if hw.supports(SERVING_PRECISION) else "bf16"


def base_tiers(prices: list[PriceRow]) -> list[PriceRow]:
    """Rows in force that are a model's default (shortest-context) tier."""
    return [p for p in prices_in_force(prices) if p.min_context_tokens == 0]


def accelerator_tier(tiers: list[MemoryTier], hardware_name: str) -> MemoryTier | None:
    """The priced HBM device row of an accelerator (its name starts with the hardware name), or None."""
    return next((t for t in tiers if t.tier == "hbm" and t.scope == "device" and t.price_usd
                 and t.name.startswith(hardware_name)), None)


def recompute_usd_per_Bps(sel: Selection, tiers: list[MemoryTier]) -> float | None:
    """The bandwidth price of recomputing KV by prefill on the selected accelerator: P_acc / (F b_kv / 2 N_a)."""
    hw, model = sel.hardware, sel.model
    acc = accelerator_tier(tiers, hw.name)
    if acc is None:
        return None
    precision = serving_precision(hw)
    rate = recompute_bandwidth_Bps(hw.flops(precision), model.active_params, model.kv_bytes_per_token(precision))
    return acc.price_usd / float(rate)


@derives("context-200k-kv", CHAPTER)
def context_200k_kv(sel: Selection) -> list[Entry]:
    hw = sel.hardware
    out = []
    for prec in ("fp8", "bf16"):
        b = None if not hw.supports(prec) else float(breakpoint_kv_bytes_per_token(
            TALK_ACTIVE_PARAMS, hw.flops(prec), hw.hbm_bandwidth_Bps, BREAKPOINT_CONTEXT_TOKENS))
        out.append(entry("context-200k-kv", f"b_kv where KV reads = compute at 200k, 100B active ({prec})",
                         TALK_KV_RANGE_B, b, "B",
                         inputs={"hardware": hw.name, "precision": prec, "context_tokens": BREAKPOINT_CONTEXT_TOKENS,
                                 "active_params": TALK_ACTIVE_PARAMS},
                         note="" if b is not None else f"{hw.name} has no dense {prec} FLOP/s in the data"))
    layer = gqa_kv_bytes_per_token_per_layer(TALK_KV_HEADS, TALK_HEAD_DIM, "fp8")
    out.append(entry("context-200k-kv", "KV bytes/token of 8 KV heads × 128 dims, ONE layer (fp8)", TALK_KV_RANGE_B,
                     layer, "B", verdict=HOLDS,
                     inputs={"n_kv_heads": TALK_KV_HEADS, "head_dim": TALK_HEAD_DIM, "kv_precision": "fp8"},
                     note="2 × 8 × 128 × 1 B = 2,048 B = 2 KiB: the talk's figure is one layer in fp8 (4 KiB in bf16)"))
    ref = sel.model_named(WHOLE_MODEL_REFERENCE)
    whole = None if ref is None else ref.kv_bytes_per_token("fp8")
    out.append(entry("context-200k-kv", f"same heads, WHOLE model ({WHOLE_MODEL_REFERENCE}, fp8)", TALK_KV_RANGE_B,
                     whole, "B", inputs={"model": WHOLE_MODEL_REFERENCE, "kv_precision": "fp8"},
                     note=(f"{WHOLE_MODEL_REFERENCE} not in the data" if ref is None else
                           f"{ref.full_attention_layers} layers × {ref.kv_bytes_per_token_per_layer('fp8'):,.0f} B")))
    prices = prices_in_force(load_prices(sel.data_dir))
    pair = next(((s, l) for s, l in tier_pairs(prices) if s.model == LONG_CONTEXT_MODEL), None)
    for i, side in enumerate(("input", "output")):
        premium = None if pair is None else 100.0 * long_context_premium(*pair)[i]
        out.append(entry("context-200k-kv", f"{LONG_CONTEXT_MODEL} {side} price premium above 200k", 50.0, premium,
                         "%", inputs={"model": LONG_CONTEXT_MODEL},
                         note="" if pair is not None else f"no long-context tier of {LONG_CONTEXT_MODEL} in prices.csv"))
    model = sel.model

    def premiums(long_tokens: float, weight_share: float = WEIGHT_SHARE.value):
        return implied_long_context_premiums(hw, model, SHORT_TIER_TOP_TOKENS, long_tokens, weight_share)

    try:
        implied = premiums(LONG_TIER_PROMPT.value)
        note = ""
    except ValueError as err:  # a model row without the per-operation config
        implied, note = None, str(err)
    inputs = {"hardware": hw.name, "model": model.name, "short tier top": SHORT_TIER_TOP_TOKENS,
              "long-tier prompt": LONG_TIER_PROMPT.value, "precision": "release formats, fp8 KV"}
    value = None if implied is None else 100.0 * (float(implied.input_ratio) - 1.0)
    out.append(entry(
        "context-200k-kv", "input premium implied by prefill cost above 200k (selected model, refined)", None, value,
        "%", kind=SCENARIO_KIND, assumptions=[LONG_TIER_PROMPT], inputs=inputs,
        recompute=(lambda **a: 100.0 * (float(premiums(a[LONG_TIER_PROMPT.name]).input_ratio) - 1.0))
        if implied is not None else None,
        note=note or "prefill cost per prompt token grows with the prompt (attention ∝ P); the blackboard, with no "
                     "attention FLOPs, implies no input premium at all"))
    value = None if implied is None or not np.isfinite(implied.output_ratio) else \
        100.0 * (float(implied.output_ratio) - 1.0)

    def output_premium(**a):
        r = premiums(a.get(LONG_TIER_PROMPT.name, LONG_TIER_PROMPT.value),
                     a.get(WEIGHT_SHARE.name, WEIGHT_SHARE.value)).output_ratio
        return 100.0 * (float(r) - 1.0) if np.isfinite(r) else None

    out.append(entry(
        "context-200k-kv", "output premium implied by decode cost above 200k (selected model, refined)", None, value,
        "%", kind=SCENARIO_KIND, assumptions=[LONG_TIER_PROMPT, WEIGHT_SHARE], inputs=inputs,
        recompute=output_premium if implied is not None else None,
        note=note or "decode at the standard mode: each sequence's KV reads and attention grow with L and fewer "
                     "sequences fit"))
    return out


def _finite(value) -> float | None:
    v = float(value)
    return None if math.isnan(v) else v


@derives("decode-5x-prefill", CHAPTER)
def decode_5x_prefill(sel: Selection) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    prices = base_tiers(load_prices(sel.data_dir))
    median_ratio = statistics.median(p.output_to_input for p in prices) if prices else None
    precision = serving_precision(hw)

    def board(weight_share: float = WEIGHT_SHARE.value) -> float | None:
        return _finite(decode_to_prefill_cost_ratio(hw, model, DECODE_CHECK_CONTEXT_TOKENS, precision, precision,
                                                    weight_share=weight_share))

    def refined(weight_share: float = WEIGHT_SHARE.value) -> float | None:
        return _finite(decode_to_prefill_ratio_refined(hw, model, DECODE_CHECK_CONTEXT_TOKENS, weight_share))

    try:
        refined_value, refined_note = refined(), ""
    except ValueError as err:  # a model row without the per-operation config
        refined_value, refined_note = None, str(err)
    replica = f"weights fill {WEIGHT_SHARE.value:.0%} of HBM; batch: as many sequences as the rest holds"
    out = [
        entry("decode-5x-prefill", "output ÷ input price (median of base tiers)", 5.0, median_ratio, "×",
              inputs={"rows": len(prices)}, note="offers in force only (ended rows are history)"),
        entry("decode-5x-prefill", "decode ÷ prefill cost per token (blackboard, 8k context)", 5.0, board(), "×",
              assumptions=[WEIGHT_SHARE], recompute=lambda **a: board(a[WEIGHT_SHARE.name]),
              inputs={"hardware": hw.name, "model": model.name, "precision": precision,
                      "context_tokens": DECODE_CHECK_CONTEXT_TOKENS, "replica": replica},
              note="prefill at its compute floor (no attention FLOPs); the ratio grows about linearly with context "
                   "and with the weights' share of HBM"),
        entry("decode-5x-prefill", "decode ÷ prefill cost per token (refined, 8k context)", 5.0, refined_value, "×",
              assumptions=[WEIGHT_SHARE] if refined_value is not None else (),
              recompute=(lambda **a: refined(a[WEIGHT_SHARE.name])) if refined_value is not None else None,
              inputs={"hardware": hw.name, "model": model.name, "precision": "release formats, fp8 KV",
                      "context_tokens": DECODE_CHECK_CONTEXT_TOKENS, "replica": replica + " (usable HBM)"},
              note=refined_note or "decode at the standard mode; prefill of an 8k prompt with its attention"),
    ]

    def markup(weight_share: float = WEIGHT_SHARE.value) -> float | None:
        cost = decode_chip_seconds_per_token_refined(hw, model, np.array([DECODE_CHECK_CONTEXT_TOKENS,
                                                                          SHORT_TIER_TOP_TOKENS]), weight_share)
        return _finite(cost[1] / cost[0])

    try:
        value, note = markup(), ""
    except ValueError as err:
        value, note = None, str(err)
    out.append(entry(
        "decode-5x-prefill", "decode cost at 200k ÷ at 8k context (refined, standard mode)", None, value, "×",
        kind=SCENARIO_KIND, assumptions=[WEIGHT_SHARE] if value is not None else (),
        recompute=(lambda **a: markup(a[WEIGHT_SHARE.name])) if value is not None else None,
        inputs={"hardware": hw.name, "model": model.name, "replica": replica},
        note=note or ("one price per output token up to 200k: the 200k token breaks even only if the seller's "
                      "markup on the 8k token is at least this factor; margins are not public")))
    return out


@derives("cache-hit-tenth", CHAPTER)
def cache_hit_tenth(sel: Selection) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    ratios = [p.cached_to_input for p in base_tiers(load_prices(sel.data_dir)) if p.cached_to_input is not None]
    out = [entry("cache-hit-tenth", "cached ÷ input price (median of base tiers)", 0.1,
                 statistics.median(ratios) if ratios else None, "×", inputs={"rows": len(ratios)})]
    precision = serving_precision(hw)
    tiers = load_memory_tiers(sel.data_dir)
    for kind, label in (("dram", "host DRAM"), ("flash", "node flash")):
        row = next((t for t in tiers if t.tier == kind and t.scope == "node"), None)
        value = None if row is None else float(reload_to_recompute_ratio(
            model.kv_bytes_per_token(precision), row.bandwidth_per_accelerator_Bps, hw.flops(precision),
            model.active_params))
        if value is None:
            verdict = NOT_DERIVED
        else:
            verdict = HOLDS if value <= 0.1 else LOOSE if value <= 1.0 else FAILS
        out.append(entry("cache-hit-tenth", f"KV reload from {label} ÷ recompute (time per token)", 0.1, value, "×",
                         verdict=verdict, inputs={"hardware": hw.name, "model": model.name, "tier": row and row.name,
                                                  "precision": precision},
                         note="holds: ≤ 1/10 (the discount covers it); loosely: cheaper than recompute but > 1/10"))
    return out


def distinct_drain_times_min(tiers: list[MemoryTier], kind: str) -> list[float]:
    """The distinct drain times (minutes) of a tier's rows: two products with the same capacity ÷ bandwidth
    count once, so that a duplicated ratio does not decide a median."""
    return sorted({round(t.drain_time_s / 60.0, 6) for t in tiers if t.tier == kind})


@derives("cache-tiers", CHAPTER)
def cache_tiers(sel: Selection) -> list[Entry]:
    tiers = load_memory_tiers(sel.data_dir)
    out = []
    for kind, stated, label in (("flash", FIVE_MINUTES_S, "flash"), ("disk", ONE_HOUR_S, "spinning disk")):
        rows = [t for t in tiers if t.tier == kind]
        times = distinct_drain_times_min(tiers, kind)
        drain = statistics.median(times) if times else None
        spread = [] if not times else [Assumption(f"{label} drain time (choice of row)", drain, times[0], times[-1],
                                                  "min", source="data/memory_tiers.csv: fastest and slowest row")]
        margin = "" if drain is None else (
            f"; the median is {drain / (stated / 60.0):.2f}× the stated value against a 'loosely' band of "
            f"{DURATION_LOOSE_FACTOR:.2f}×, and " + (
                f"the rows span {duration(times[0] * 60.0)}–{duration(times[-1] * 60.0)}" if times[-1] > times[0]
                else f"every row drains in {duration(times[0] * 60.0)}"))
        out.append(entry("cache-tiers", f"drain time of {label} (median of distinct rows)", stated / 60.0, drain,
                         "min", loose_factor=DURATION_LOOSE_FACTOR, inputs={"rows": [t.name for t in rows]},
                         assumptions=spread, recompute=(lambda **a: next(iter(a.values()))) if spread else None,
                         note="'holds loosely' = nearer this duration than the other one" + margin))
    beta_rc = recompute_usd_per_Bps(sel, tiers)
    for kind, stated, label in (("flash", FIVE_MINUTES_S, "flash"), ("disk", ONE_HOUR_S, "spinning disk")):
        priced = [t for t in tiers if t.tier == kind and t.scope == "device" and t.price_usd]
        if beta_rc is None or not priced:
            value = None
        else:
            value = statistics.median(float(break_even_interval_s(t.usd_per_byte, beta_rc, t.usd_per_Bps))
                                      for t in priced) / 60.0
        out.append(entry("cache-tiers", f"break-even residence in {label} vs recompute (Gray)", stated / 60.0, value,
                         "min",
                         loose_factor=DURATION_LOOSE_FACTOR,
                         inputs={"hardware": sel.hardware.name, "model": sel.model.name,
                                 "rows": [t.name for t in priced]},
                         note=("no priced accelerator row for this hardware in memory_tiers.csv" if beta_rc is None
                               else "keep KV in the tier if it is re-read more often than this")))
    return out
