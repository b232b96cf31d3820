"""Claims ``context-200k-kv``, ``decode-5x-prefill``, ``cache-hit-tenth`` and ``cache-tiers``: what API prices
leak about the served model and its memory hierarchy (chapter ``prices-leak``).

The check parameters are named constants here, so the chapter and the ledger use the same ones.
"""

from __future__ import annotations

import math
import statistics

from ..claims import FAILS, HOLDS, LOOSE, NOT_DERIVED, Entry, derives, entry
from ..data import Selection
from ..memory_tiers import (MemoryTier, break_even_interval_s, load_memory_tiers, recompute_bandwidth_Bps,
                            reload_to_recompute_ratio)
from ..pricing import (PriceRow, breakpoint_kv_bytes_per_token, decode_to_prefill_cost_ratio,
                       gqa_kv_bytes_per_token_per_layer, load_prices, long_context_premium, tier_pairs)

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
#: The two cache durations on the price sheets (seconds).
FIVE_MINUTES_S, ONE_HOUR_S = 300.0, 3600.0
#: A drain time "matches" one duration loosely if it is nearer to it than to the other one (on a log scale):
#: within √(1 h / 5 min) ≈ 3.5×.
DURATION_LOOSE_FACTOR = math.sqrt(ONE_HOUR_S / FIVE_MINUTES_S)


def serving_precision(hw) -> str:
    """fp8 where the accelerator has fp8 FLOP/s in the data, else bf16."""
    return SERVING_PRECISION if hw.supports(SERVING_PRECISION) else "bf16"


def base_tiers(prices: list[PriceRow]) -> list[PriceRow]:
    """Rows that are a model's default (shortest-context) tier."""
    return [p for p in prices if p.min_context_tokens == 0]


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
    prices = load_prices(sel.data_dir)
    pair = next(((s, l) for s, l in tier_pairs(prices) if s.model == LONG_CONTEXT_MODEL), None)
    for i, side in enumerate(("input", "output")):
        premium = None if pair is None else 100.0 * long_context_premium(*pair)[i]
        out.append(entry("context-200k-kv", f"{LONG_CONTEXT_MODEL} {side} price premium above 200k", 50.0, premium,
                         "%", inputs={"model": LONG_CONTEXT_MODEL},
                         note="" if pair is not None else f"no long-context tier of {LONG_CONTEXT_MODEL} in prices.csv"))
    return out


@derives("decode-5x-prefill", CHAPTER)
def decode_5x_prefill(sel: Selection) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    prices = base_tiers(load_prices(sel.data_dir))
    median_ratio = statistics.median(p.output_to_input for p in prices) if prices else None
    precision = serving_precision(hw)
    ratio = float(decode_to_prefill_cost_ratio(hw, model, DECODE_CHECK_CONTEXT_TOKENS, precision, precision))
    return [
        entry("decode-5x-prefill", "output ÷ input price (median of base tiers)", 5.0, median_ratio, "×",
              inputs={"rows": len(prices)}),
        entry("decode-5x-prefill", "decode ÷ prefill cost per token (roofline, 8k context)", 5.0,
              None if math.isnan(ratio) else ratio, "×",
              inputs={"hardware": hw.name, "model": model.name, "precision": precision,
                      "context_tokens": DECODE_CHECK_CONTEXT_TOKENS, "replica": "weights fill half the HBM",
                      "batch": "as many sequences as the rest of the HBM holds"},
              note="prefill at its compute floor; the ratio grows about linearly with context"),
    ]


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


@derives("cache-tiers", CHAPTER)
def cache_tiers(sel: Selection) -> list[Entry]:
    tiers = load_memory_tiers(sel.data_dir)
    out = []
    for kind, stated, label in (("flash", FIVE_MINUTES_S, "flash"), ("disk", ONE_HOUR_S, "spinning disk")):
        rows = [t for t in tiers if t.tier == kind]
        drain = statistics.median(t.drain_time_s for t in rows) / 60.0 if rows else None
        out.append(entry("cache-tiers", f"drain time of {label} (median of rows)", stated / 60.0, drain, "min",
                         loose_factor=DURATION_LOOSE_FACTOR, inputs={"rows": [t.name for t in rows]},
                         note="'holds loosely' = nearer this duration than the other one"))
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
