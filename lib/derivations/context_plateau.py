"""Claim ``context-plateau``: context lengths rose from 8k to ~200k and stalled; memory bandwidth binds;
1M is expensive, 100M out of reach; sparse attention helps by a square root, not without limit.

The numbers the chapter shows are computed here (and by :mod:`lib.context`) so the ledger and the page agree.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from ..claims import FAILS, HOLDS, SCENARIO_KIND, STRUCTURAL, Assumption, Entry, derives, entry
from ..context import (bandwidth_factor_to_match, capacity_ceilings, cost_per_token_s, design_batch,
                       frontier_ga, growth_rate_per_year, hardware_factor_to_match, kv_compression_to_match,
                       kv_over_compute, load_context_history, matching_context, sequence_cost_s,
                       sparse_matching_context, years_to_grow)
from ..data import Selection
from ..models import Model
from ..roofline import blackboard_decode_step, decode_step

CLAIM = "context-plateau"
CHAPTER = "chapters/context-plateau"
#: The contexts the claim names (tokens).
START_CONTEXT, PLATEAU_CONTEXT, LONG_CONTEXT, HUGE_CONTEXT = 8_000, 200_000, 1_000_000, 100_000_000
#: The talk's √-sparse hypothesis: reads past a crossover L₀ (tokens); the chart has a slider.
SPARSE_CROSSOVER_TOKENS = 4096
#: The dense model a DSA model is compared with (the same architecture without the indexer).
DENSE_TWIN = "DeepSeek-V3"
#: "Two years" of plateau, counted from the first generally available frontier release at ≥ 200k.
PLATEAU_YEARS = 2
#: "Expensive": the ledger reads it as a 1M token costing at least this many times a 200k token.
EXPENSIVE_FACTOR = 2.0
#: "Out of reach without a memory breakthrough": more than this many years of HBM bandwidth growth at the
#: data's historic NVIDIA rate to bring 100M to the 200k cost.
OUT_OF_REACH_YEARS = 10.0
#: The start of the history: the largest generally available frontier context before this date.
START_BEFORE = dt.date(2023, 4, 1)


def plateau_window(sel: Selection) -> tuple[dt.date, dt.date] | None:
    """(first GA frontier release at ≥ 200k, two years later), from ``context_history.csv`` (the book's own
    when the reader's directory lacks it); None if no such release is listed."""
    reached = [r for r in frontier_ga(load_context_history(sel.data_dir)) if r.max_context_tokens >= PLATEAU_CONTEXT]
    if not reached:
        return None
    start = reached[0].release_date
    return start, start + dt.timedelta(days=round(365.25 * PLATEAU_YEARS))


def nvidia_bandwidth_growth(sel: Selection) -> float | None:
    """Yearly growth factor of HBM bandwidth across the NVIDIA rows (least squares on ln W); None if too few."""
    rows = [h for h in sel.all_hardware() if h.vendor == "NVIDIA"]
    if len({h.year for h in rows}) < 2:
        return None
    rate = growth_rate_per_year([h.year for h in rows], [h.hbm_bandwidth_Bps for h in rows])
    return rate if rate > 1 else None


def sparse_model(sel: Selection) -> Model | None:
    """The model with sparse attention as built that the chapter compares (the selected model if it has DSA,
    else the data's DeepSeek-V3.2-Exp row); None when the data have none."""
    if sel.model.is_sparse_attention:
        return sel.model
    return next((m for m in sel.all_models() if m.is_sparse_attention), None)


def headline_numbers(sel: Selection, crossover_tokens: float = SPARSE_CROSSOVER_TOKENS) -> dict[str, float]:
    """The refined model's numbers of the chapter for the selected rows, each model at its own B* (release
    formats, bf16 KV), with the blackboard's KV ÷ compute beside them."""
    hw, model = sel.hardware, sel.model
    batch = design_batch(hw, model)
    contexts = np.array([PLATEAU_CONTEXT, LONG_CONTEXT, HUGE_CONTEXT], dtype=float)
    dense = cost_per_token_s(hw, model, contexts, batch)
    sqrt_sparse = cost_per_token_s(hw, model, contexts, batch, crossover_tokens)
    seq_dense = sequence_cost_s(hw, model, contexts, batch)
    step = decode_step(hw, model, batch, PLATEAU_CONTEXT, chips=1)
    board = blackboard_decode_step(hw, model, batch, PLATEAU_CONTEXT, chips=1)
    ceilings = capacity_ceilings(hw, model)
    kv_huge = float(model.kv_cache_bytes(HUGE_CONTEXT))
    out = {
        "batch": batch,
        "kv_over_compute_200k": float(step.kv_s / step.compute_s),
        "board_kv_over_compute_200k": float(board.kv_s / board.compute_s),
        "attention_share_200k": float(step.operations["attention_core"].flops + step.operations["attention_index"].flops)
        / float(step.flops),
        "dense_200k": float(dense[0]), "dense_1m": float(dense[1]), "dense_100m": float(dense[2]),
        "ratio_1m": float(dense[1] / dense[0]), "ratio_100m": float(dense[2] / dense[0]),
        "seq_ratio_1m": float(seq_dense[1] / seq_dense[0]), "seq_ratio_100m": float(seq_dense[2] / seq_dense[0]),
        "sqrt_gain_1m": float(dense[1] / sqrt_sparse[1]), "sqrt_gain_100m": float(dense[2] / sqrt_sparse[2]),
        "bandwidth_factor_100m": bandwidth_factor_to_match(hw, model, HUGE_CONTEXT, PLATEAU_CONTEXT, batch),
        "hardware_factor_100m": hardware_factor_to_match(hw, model, HUGE_CONTEXT, PLATEAU_CONTEXT, batch),
        "compression_100m": kv_compression_to_match(hw, model, HUGE_CONTEXT, PLATEAU_CONTEXT, batch),
        "sqrt_match_context": float(sparse_matching_context(PLATEAU_CONTEXT, crossover_tokens)),
        "replica_ceiling": ceilings.replica_context, "domain_ceiling": ceilings.domain_context,
        "kv_100m_bytes": kv_huge, "kv_100m_over_domain": kv_huge / ceilings.domain_bytes,
    }
    # The attention arithmetic alone at 100M against the whole 200k cost: bandwidth alone cannot close that.
    huge = decode_step(hw, model, batch, HUGE_CONTEXT, chips=1)
    out["compute_100m_over_cost_200k"] = float(huge.compute_s / batch) / out["dense_200k"]
    sparse = sparse_model(sel)
    if sparse is not None:
        reference = sel.model_named(DENSE_TWIN) or model
        b = design_batch(hw, sparse)
        s = cost_per_token_s(hw, sparse, contexts, b)
        d = cost_per_token_s(hw, reference, contexts, design_batch(hw, reference))
        out.update({"dsa_model": sparse.name, "dsa_reference": reference.name,
                    "dsa_gain_200k": float(d[0] / s[0]), "dsa_gain_1m": float(d[1] / s[1]),
                    "dsa_gain_100m": float(d[2] / s[2]),
                    "dsa_read_limit": reference.attention_kv_bytes_per_token_per_layer()
                    / sparse.index_key_bytes_per_token_per_layer,
                    "dsa_100m_over_dense_200k": float(s[2] / d[0]),
                    "dsa_match_context": matching_context(hw, sparse, reference, PLATEAU_CONTEXT),
                    "dsa_kv_100m_over_dense": float(sparse.kv_cache_bytes(HUGE_CONTEXT)
                                                    / reference.kv_cache_bytes(HUGE_CONTEXT))})
        out["dsa_gain_exponent"] = (math.log(out["dsa_gain_100m"] / out["dsa_gain_1m"])
                                    / math.log(HUGE_CONTEXT / LONG_CONTEXT))
    return out


@derives(CLAIM, CHAPTER)
def context_plateau(sel: Selection) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    inputs = {"hardware": hw.name, "model": model.name, "precision": "release formats, bf16 KV",
              "batch": "refined B* (pooled_optimal_batch)", "model_kind": "refined"}
    out: list[Entry] = []

    # The history: 8k at the start, then the two years after 200k was reached.
    window = plateau_window(sel)
    if window is None:
        for quantity, stated in (("largest GA frontier context, early 2023", START_CONTEXT),
                                 ("median GA frontier context, two years after 200k", PLATEAU_CONTEXT),
                                 ("largest GA frontier context, two years after 200k", PLATEAU_CONTEXT)):
            out.append(entry(CLAIM, quantity, stated, None, "tokens",
                             note="context_history.csv has no GA frontier release at ≥ 200k"))
    else:
        releases = load_context_history(sel.data_dir)
        early = frontier_ga(releases, until=START_BEFORE)
        start_max = max((r.max_context_tokens for r in early), default=None)
        during = frontier_ga(releases, since=window[0], until=window[1])
        lengths = [r.max_context_tokens for r in during]
        span = {"from": window[0].isoformat(), "to": window[1].isoformat(), "releases": len(during)}
        out.append(entry(CLAIM, "largest GA frontier context, early 2023", START_CONTEXT, start_max, "tokens",
                         inputs={"before": START_BEFORE.isoformat()},
                         note="generally available frontier flagships announced before April 2023"))
        out.append(entry(CLAIM, "median GA frontier context, two years after 200k", PLATEAU_CONTEXT,
                         float(np.median(lengths)), "tokens", inputs=span,
                         note="the typical flagship stayed within 2× of 200k: a plateau in the median"))
        out.append(entry(CLAIM, "largest GA frontier context, two years after 200k", PLATEAU_CONTEXT,
                         float(max(lengths)), "tokens", inputs=span,
                         note="headline windows did not stall: 1M–2M shipped, usually priced higher above 200k"))

    numbers = headline_numbers(sel)
    kv_bytes = Assumption("kv_bytes_per_element", 2.0, 1.0, 2.0, "bytes",
                          "KV cache in bf16 (2) by default; fp8 caches (1) are common in vLLM and SGLang")

    def kv_ratio(kv_bytes_per_element: float = 2.0) -> float:
        kv = {2.0: "bf16", 1.0: "fp8"}[float(kv_bytes_per_element)]
        return float(kv_over_compute(hw, model, PLATEAU_CONTEXT, numbers["batch"], kv_precision=kv))

    out.append(entry(CLAIM, "KV-read ÷ compute time per step at 200k", None, numbers["kv_over_compute_200k"], "×",
                     inputs=inputs, kind=STRUCTURAL, holds_if=lambda ratio: ratio > 1,
                     assumptions=[kv_bytes], recompute=kv_ratio,
                     note="'bandwidth, not compute, binds' read as KV reads > compute at 200k, attention FLOPs "
                          f"counted; the blackboard, which leaves them out, gives "
                          f"{numbers['board_kv_over_compute_200k']:,.0f}×"))
    out.append(entry(CLAIM, "cost per token at 1M ÷ at 200k (dense)", None, numbers["ratio_1m"], "×",
                     inputs=inputs, kind=STRUCTURAL, verdict=HOLDS if numbers["ratio_1m"] >= EXPENSIVE_FACTOR else FAILS,
                     note=f"'expensive' read as ≥ {EXPENSIVE_FACTOR:g}× the 200k cost"))
    rate = nvidia_bandwidth_growth(sel)
    factor = numbers["hardware_factor_100m"]
    if rate is None:
        out.append(entry(CLAIM, "compute and bandwidth × needed for 100M at the 200k cost", None, factor, "×",
                         inputs=inputs, kind=STRUCTURAL, verdict=HOLDS if factor > 10 else FAILS,
                         note="no NVIDIA bandwidth trend in the data: 'out of reach' read as > 10× hardware"))
    else:
        years = years_to_grow(factor, rate)
        out.append(entry(CLAIM, "compute and bandwidth × needed for 100M at the 200k cost", None, factor, "×",
                         inputs={**inputs, "years_at_trend": round(years, 1), "trend_per_year": round(rate, 3)},
                         kind=STRUCTURAL, verdict=HOLDS if years > OUT_OF_REACH_YEARS else FAILS,
                         note=f"'out of reach' read as > {OUT_OF_REACH_YEARS:g} years of NVIDIA bandwidth growth "
                              f"({rate:.2f}×/year in the data), here {years:.0f} years; bandwidth alone "
                              + ("cannot close the gap: attention FLOPs at 100M already cost "
                                 f"{numbers['compute_100m_over_cost_200k']:,.1f}× the 200k token"
                                 if not math.isfinite(numbers["bandwidth_factor_100m"])
                                 else f"would need {numbers['bandwidth_factor_100m']:,.0f}×")))
    if "dsa_model" in numbers:
        dsa_inputs = {**inputs, "model": numbers["dsa_model"], "reference": numbers["dsa_reference"]}
        out.append(entry(CLAIM, "exponent of the sparse gain, 1M → 100M (DSA as built)", 0.5,
                         numbers["dsa_gain_exponent"], "", inputs=dsa_inputs, rel_tol=0.1,
                         note="d ln(dense cost ÷ DSA cost) / d ln L: 0.5 would be the talk's square root; DSA's "
                              f"gain saturates near the index-key ratio {numbers['dsa_read_limit']:.1f}×"))
        out.append(entry(CLAIM, "context where DSA costs what dense 200k costs", None,
                         numbers["dsa_match_context"], "tokens", inputs=dsa_inputs, kind=STRUCTURAL,
                         verdict=HOLDS if numbers["dsa_match_context"] < HUGE_CONTEXT else FAILS,
                         note="'not unlimited' read as sparse attention alone not bringing 100M to today's cost"))
    else:
        out.append(entry(CLAIM, "exponent of the sparse gain, 1M → 100M (DSA as built)", 0.5, None, "",
                         inputs=inputs, note="the data have no model with DeepSeek Sparse Attention"))
    l0 = Assumption("crossover_tokens", float(SPARSE_CROSSOVER_TOKENS), 1024.0, 65536.0, "tokens",
                    "the talk's hypothesis has no published L₀; the range spans 1k–64k")
    out.append(entry(CLAIM, "cost per 100M token ÷ dense 200k, the talk's √-sparse hypothesis", None,
                     float(cost_per_token_s(hw, model, HUGE_CONTEXT, numbers["batch"], SPARSE_CROSSOVER_TOKENS))
                     / numbers["dense_200k"], "×", inputs=inputs, kind=SCENARIO_KIND, assumptions=[l0],
                     recompute=lambda crossover_tokens: float(cost_per_token_s(
                         hw, model, HUGE_CONTEXT, numbers["batch"], crossover_tokens)) / numbers["dense_200k"],
                     note="a hypothesis, not a published design: reads and computes on √(L·L₀) tokens per layer, "
                          "choosing them free"))
    out.append(entry(CLAIM, "KV of one 100M sequence ÷ HBM of a scale-up domain", None,
                     numbers["kv_100m_over_domain"], "×", inputs=inputs, kind=STRUCTURAL,
                     verdict=HOLDS if numbers["kv_100m_over_domain"] > 1 else FAILS,
                     note="sparse reads do not shrink storage; > 1 means 100M needs offload or KV compression, "
                          "whatever the sparsity"))
    return out
