"""Claim ``context-plateau``: context lengths rose from 8k to ~200k and stalled; memory bandwidth binds;
1M is expensive, 100M out of reach; sparse attention helps by a square root, not without limit.

The numbers the chapter shows are computed here (and by :mod:`lib.context`) so the ledger and the page agree.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from ..claims import FAILS, HOLDS, Entry, derives, entry
from ..context import (bandwidth_factor_to_match, capacity_ceilings, cost_per_token_s, design_batch,
                       frontier_ga, growth_rate_per_year, kv_compression_to_match, load_context_history,
                       sequence_cost_s, sparse_matching_context, years_to_grow)
from ..data import Selection
from ..roofline import decode_step

CLAIM = "context-plateau"
CHAPTER = "chapters/context-plateau"
#: The contexts the claim names (tokens).
START_CONTEXT, PLATEAU_CONTEXT, LONG_CONTEXT, HUGE_CONTEXT = 8_000, 200_000, 1_000_000, 100_000_000
#: The sparse attention the ledger checks: √-sparse reads past a crossover L₀ (tokens); the chart has a slider.
SPARSE_CROSSOVER_TOKENS = 4096
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


def headline_numbers(sel: Selection, crossover_tokens: float = SPARSE_CROSSOVER_TOKENS) -> dict[str, float]:
    """The roofline numbers of the chapter for the selected rows, at the design batch B* (bf16)."""
    hw, model = sel.hardware, sel.model
    batch = design_batch(hw, model)
    contexts = np.array([PLATEAU_CONTEXT, LONG_CONTEXT, HUGE_CONTEXT], dtype=float)
    dense = cost_per_token_s(hw, model, contexts, batch)
    sparse = cost_per_token_s(hw, model, contexts, batch, crossover_tokens)
    seq_dense = sequence_cost_s(hw, model, contexts, batch)
    seq_sparse = sequence_cost_s(hw, model, contexts, batch, crossover_tokens)
    step = decode_step(hw, model, batch, PLATEAU_CONTEXT)
    ceilings = capacity_ceilings(hw, model)
    kv_huge = float(model.kv_cache_bytes(HUGE_CONTEXT))
    out = {
        "batch": batch,
        "kv_over_compute_200k": float(step.kv_s / step.compute_s),
        "dense_200k": float(dense[0]), "dense_1m": float(dense[1]), "dense_100m": float(dense[2]),
        "sparse_200k": float(sparse[0]), "sparse_1m": float(sparse[1]), "sparse_100m": float(sparse[2]),
        "ratio_1m": float(dense[1] / dense[0]), "ratio_100m": float(dense[2] / dense[0]),
        "seq_ratio_1m": float(seq_dense[1] / seq_dense[0]), "seq_ratio_100m": float(seq_dense[2] / seq_dense[0]),
        "sparse_seq_ratio_100m": float(seq_sparse[2] / seq_dense[0]),
        "gain_1m": float(dense[1] / sparse[1]), "gain_100m": float(dense[2] / sparse[2]),
        "bandwidth_factor_100m": bandwidth_factor_to_match(hw, model, HUGE_CONTEXT, PLATEAU_CONTEXT, batch),
        "bandwidth_factor_1m": bandwidth_factor_to_match(hw, model, LONG_CONTEXT, PLATEAU_CONTEXT, batch),
        "compression_100m": kv_compression_to_match(hw, model, HUGE_CONTEXT, PLATEAU_CONTEXT, batch),
        "compression_100m_sparse": kv_compression_to_match(hw, model, HUGE_CONTEXT, PLATEAU_CONTEXT, batch,
                                                           crossover_tokens),
        "sparse_match_context": float(sparse_matching_context(PLATEAU_CONTEXT, crossover_tokens)),
        "replica_ceiling": ceilings.replica_context, "domain_ceiling": ceilings.domain_context,
        "kv_100m_bytes": kv_huge, "kv_100m_over_domain": kv_huge / ceilings.domain_bytes,
    }
    out["gain_exponent"] = math.log(out["gain_100m"] / out["gain_1m"]) / math.log(HUGE_CONTEXT / LONG_CONTEXT)
    return out


@derives(CLAIM, CHAPTER)
def context_plateau(sel: Selection) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    inputs = {"hardware": hw.name, "model": model.name, "precision": "bf16", "batch": "B* (optimal_batch)",
              "sparse_crossover_tokens": SPARSE_CROSSOVER_TOKENS}
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
    out.append(entry(CLAIM, "KV-read ÷ compute time per step at 200k", None, numbers["kv_over_compute_200k"], "×",
                     inputs=inputs, verdict=HOLDS if numbers["kv_over_compute_200k"] > 1 else FAILS,
                     note="structural: 'bandwidth, not compute, binds' read as KV reads > compute at 200k"))
    out.append(entry(CLAIM, "cost per token at 1M ÷ at 200k (dense)", None, numbers["ratio_1m"], "×",
                     inputs=inputs, verdict=HOLDS if numbers["ratio_1m"] >= EXPENSIVE_FACTOR else FAILS,
                     note=f"structural: 'expensive' read as ≥ {EXPENSIVE_FACTOR:g}× the 200k cost"))
    rate = nvidia_bandwidth_growth(sel)
    factor = numbers["bandwidth_factor_100m"]
    if rate is None:
        out.append(entry(CLAIM, "HBM bandwidth × needed for 100M at the 200k cost", None, factor, "×",
                         inputs=inputs, verdict=HOLDS if factor > 10 else FAILS,
                         note="no NVIDIA bandwidth trend in the data: 'out of reach' read as > 10× bandwidth"))
    else:
        years = years_to_grow(factor, rate)
        out.append(entry(CLAIM, "HBM bandwidth × needed for 100M at the 200k cost", None, factor, "×",
                         inputs={**inputs, "years_at_trend": round(years, 1), "trend_per_year": round(rate, 3)},
                         verdict=HOLDS if years > OUT_OF_REACH_YEARS else FAILS,
                         note=f"structural: 'out of reach' read as > {OUT_OF_REACH_YEARS:g} years of NVIDIA "
                              f"bandwidth growth ({rate:.2f}×/year in the data); here {years:.0f} years"))
    out.append(entry(CLAIM, "exponent of the sparse gain, 1M → 100M", 0.5, numbers["gain_exponent"], "",
                     inputs=inputs, rel_tol=0.1,
                     note="d ln(dense cost ÷ sparse cost) / d ln L: 0.5 is a square-root gain"))
    out.append(entry(CLAIM, "context where √-sparse costs what dense 200k costs", None,
                     numbers["sparse_match_context"], "tokens", inputs=inputs,
                     verdict=HOLDS if numbers["sparse_match_context"] < HUGE_CONTEXT else FAILS,
                     note="structural: 'not unlimited' read as sparse alone not bringing 100M to today's cost"))
    out.append(entry(CLAIM, "KV of one 100M sequence ÷ HBM of a scale-up domain", None,
                     numbers["kv_100m_over_domain"], "×", inputs=inputs,
                     verdict=HOLDS if numbers["kv_100m_over_domain"] > 1 else FAILS,
                     note="structural: sparse reads do not shrink storage; > 1 means 100M needs offload or "
                          "KV compression, whatever the sparsity"))
    return out
