"""Cost and speed of decoding against context length, on the refined step model: attention arithmetic, KV
reads, KV capacity, and sparse attention (DeepSeek Sparse Attention as built, and the talk's √ hypothesis).

Notation (see the notation page): L is the context in tokens, B the batch, n the accelerators of a replica,
F the dense FLOP/s and W_hbm the HBM bandwidth of one accelerator, C_hbm its capacity, kv(L) the cache bytes
one sequence holds at context L (``Model.kv_cache_bytes``: it stops growing at the window on sliding-window
layers, and includes DSA's index keys).

The cost of a token in accelerator-seconds is the refined step's n · t_step / B (:mod:`lib.roofline`). Per
sequence, attention over the context adds Λ(L) layer-tokens of work to every step: Λ(L) · f_attn FLOPs and
Λ(L) · b_kv,layer bytes (Λ(L) = L · full layers + min(L, w) · windowed layers). Neither is shared between the
B sequences of a batch, so once it dominates, the cost per token grows in proportion to L whatever the batch,
and its *intensity* f_attn / b_kv,layer decides whether HBM bandwidth or arithmetic sets the slope: about
n_h / n_kv FLOP/byte for GQA (far below any ridge: memory bound), ≈ 242 for MLA in bf16 (near the H100's
ridge of 295: both budgets grow together).

Sparse attention, two ways:

- DeepSeek Sparse Attention (DSA), as published (a model row with ``sparse_topk_tokens``): a lightning indexer
  scores every context token (O(L), with a small fp8 key), the main attention reads the top k tokens. The
  step model counts both. Its read gain over dense MLA saturates at the ratio of a full KV entry to an index
  key (1,152 / 132 ≈ 8.7 in bf16): a constant factor, not a growing one.
- The talk's hypothesis, a √-sparse attention that reads and computes on

      k(L) = min(L, √(L · L₀))                                                                  (eq. sqrt)

  tokens per full-attention layer, at no cost to choose them: a gain √(L / L₀) that grows without bound.
  :func:`sqrt_sparse_step` applies it to a model's attention. It is a hypothesis the chapter shows, not a
  result it grades.

Either way sparse attention reduces *reads*, not *storage*: the cache still holds kv(L) bytes (DSA adds
its index keys), so the capacity ceilings do not move.

Also here: the table of published maximum context lengths (``data/context_history.csv``), the factor by which
hardware (bandwidth alone, or compute and bandwidth together) or a KV compression must improve to bring a
long context down to a reference context's cost, and the context where a budget overtakes another.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

import numpy as np

from .data import Column, Plausible, provenance_column, TableSchema, read_table, register_schema, table_dir
from .hardware import Hardware
from .models import Model
from .roofline import (HBM_RESERVE_FRACTION, Operation, Precisions, Step, as_precisions, bisect_log, chips_to_fit,
                       decode_step, pooled_optimal_batch, weight_storage_bytes)
from .roofline import (DecodeStep, compute_time_s, kv_read_time_s, min_chips_for_weights, optimal_batch,
                       weight_read_time_s)
from .units import bytes_per_element

ArrayLike = np.ndarray | float | int

# --------------------------------------------------------------------------------------------------
# The table of published context lengths

AVAILABILITY = ("ga", "limited", "research")


def _iso_date(row: dict) -> Iterable[tuple[str, object, str]]:
    text = row.get("release_date")
    if text is None:
        return
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        yield ("release_date", text, "an ISO date YYYY-MM-DD")


def _yes_no(row: dict) -> Iterable[tuple[str, object, str]]:
    if row.get("frontier") not in (None, "yes", "no"):
        yield ("frontier", row["frontier"], "yes or no")


CONTEXT_HISTORY_SCHEMA = register_schema(TableSchema(
    file="context_history.csv",
    columns=(
        Column("name", "str", meaning="model and variant"),
        Column("org", "str"),
        Column("release_date", "str", meaning="ISO date YYYY-MM-DD of the announcement"),
        Column("max_context_tokens", "int", positive=True, meaning="largest published context window, tokens",
               plausible=Plausible(256, 1e10, "tokens")),
        Column("availability", "enum", choices=AVAILABILITY,
               meaning="ga: any API user; limited: preview or beta; research: not served"),
        Column("frontier", "enum", choices=("yes", "no"), meaning="a frontier lab's flagship API model"),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_iso_date, _yes_no),
))


@dataclass(frozen=True)
class ContextRelease:
    """One published maximum context length."""

    name: str
    org: str
    release_date: _dt.date
    max_context_tokens: int
    availability: str
    frontier: bool
    source: str
    notes: str = ""

    @property
    def year(self) -> float:
        """The release date as a fractional year (2024.5 is about 1 July 2024)."""
        start = _dt.date(self.release_date.year, 1, 1)
        return self.release_date.year + (self.release_date - start).days / 365.25


def load_context_history(data_dir=None) -> list[ContextRelease]:
    """Rows of ``context_history.csv``, sorted by release date (validated; DataError on a bad cell)."""
    rows = read_table(CONTEXT_HISTORY_SCHEMA, table_dir(CONTEXT_HISTORY_SCHEMA.file, data_dir))
    releases = [ContextRelease(r["name"], r["org"], _dt.date.fromisoformat(r["release_date"]),
                               int(r["max_context_tokens"]), r["availability"], r["frontier"] == "yes",
                               r["source"], str(r.get("notes", "") or "")) for r in rows]
    return sorted(releases, key=lambda r: (r.release_date, r.max_context_tokens))


def frontier_ga(releases: Sequence[ContextRelease], since: _dt.date | None = None,
                until: _dt.date | None = None) -> list[ContextRelease]:
    """Generally available releases of frontier flagships, optionally within [since, until]."""
    return [r for r in releases if r.frontier and r.availability == "ga"
            and (since is None or r.release_date >= since) and (until is None or r.release_date <= until)]


def running_max_context(releases: Sequence[ContextRelease]) -> np.ndarray:
    """The largest context published up to and including each release (releases in date order)."""
    if not releases:
        raise ValueError("no releases given")
    return np.maximum.accumulate(np.array([r.max_context_tokens for r in releases], dtype=float))


# --------------------------------------------------------------------------------------------------
# The talk's hypothesis: √-sparse attention


def sparse_attended_tokens(context: ArrayLike, crossover_tokens: ArrayLike) -> np.ndarray:
    """k(L) = min(L, √(L · L₀)): tokens a √-sparse attention layer reads (eq. sqrt); L₀ the crossover."""
    context_arr = np.asarray(context, dtype=float)
    crossover = np.asarray(crossover_tokens, dtype=float)
    if np.any(context_arr < 0):
        raise ValueError(f"context must be ≥ 0 tokens; got min {context_arr.min():g}")
    if np.any(crossover <= 0):
        raise ValueError(f"the sparse crossover L₀ must be > 0 tokens; got {crossover.min():g}")
    return np.minimum(context_arr, np.sqrt(context_arr * crossover))


def sparse_read_gain(context: ArrayLike, crossover_tokens: ArrayLike) -> np.ndarray:
    """L / k(L) = max(1, √(L / L₀)): how many times fewer tokens a √-sparse layer reads than a dense one."""
    context_arr = np.asarray(context, dtype=float)
    attended = sparse_attended_tokens(context_arr, crossover_tokens)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(attended > 0, context_arr / np.where(attended > 0, attended, 1.0), 1.0)


def sqrt_sparse_step(step: Step, crossover_tokens: float) -> Step:
    """The step with its main attention reading and computing on k(L) tokens per full-attention layer instead
    of L (eq. sqrt; windowed layers unchanged), the choice of tokens free. Weights and storage are unchanged."""
    model = step.model
    context = step.context
    dense = model.attended_tokens_sum(context, sparse=True)
    windowed = np.minimum(context, model.sliding_window_tokens) * model.sliding_window_layers
    full_tokens = np.minimum(context, model.sparse_topk_tokens) if model.is_sparse_attention else context
    sparse = sparse_attended_tokens(full_tokens, crossover_tokens) * model.full_attention_layers + windowed
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(dense > 0, sparse / np.where(dense > 0, dense, 1.0), 1.0)
    core = step.operations["attention_core"]
    ops = dict(step.operations)
    ops["attention_core"] = Operation(core.name, core.flops * scale, core.weight_bytes, core.kv_bytes * scale,
                                      core.flops_per_s, core.compute_format)
    return replace(step, operations=ops)


# --------------------------------------------------------------------------------------------------
# Cost against context


def design_batch(hardware: Hardware, model: Model, precision: str | Precisions | None = None) -> float:
    """The batch the cost curves use: the refined B* at context 0, where the step's pooled compute meets its
    weight reads (``lib.roofline.pooled_optimal_batch``). At B* weights are amortised as well as the chip
    allows, so what grows with L beyond that is the per-sequence attention term. Holding B* long sequences
    takes many accelerators; cost per token does not depend on how many (see :func:`capacity_ceilings`).
    Remembered per (hardware, model, precision), keyed by their full contents (the chapter asks hundreds of times)."""
    key = (repr(hardware), repr(model), repr(precision))
    if key not in _DESIGN_BATCH:
        if len(_DESIGN_BATCH) > 1024:
            _DESIGN_BATCH.clear()
        _DESIGN_BATCH[key] = pooled_optimal_batch(hardware, model, 0.0, precision)
    return _DESIGN_BATCH[key]


_DESIGN_BATCH: dict[tuple[str, str, str], float] = {}


def context_step(hardware: Hardware, model: Model, batch: ArrayLike, context: ArrayLike,
                 crossover_tokens: float | None = None, precision: str | Precisions | None = None,
                 kv_precision: str | None = None, chips: int = 1) -> Step:
    """The refined decode step (one replica of ``chips``; cost per token does not depend on it), with the talk's
    √-sparse hypothesis applied when ``crossover_tokens`` is given."""
    step = decode_step(hardware, model, batch, context, precision, kv_precision, chips=chips)
    return step if crossover_tokens is None else sqrt_sparse_step(step, crossover_tokens)


def cost_per_token_s(hardware: Hardware, model: Model, context: ArrayLike, batch: ArrayLike | None = None,
                     crossover_tokens: float | None = None, precision: str | Precisions | None = None,
                     kv_precision: str | None = None) -> np.ndarray:
    """Accelerator-seconds per token at context L and ``batch`` (default :func:`design_batch`)."""
    b = design_batch(hardware, model, precision) if batch is None else batch
    return context_step(hardware, model, b, context, crossover_tokens, precision, kv_precision).chip_seconds_per_token


def sequence_cost_s(hardware: Hardware, model: Model, context: ArrayLike, batch: ArrayLike | None = None,
                    crossover_tokens: float | None = None, precision: str | Precisions | None = None,
                    kv_precision: str | None = None, points: int = 2049) -> np.ndarray:
    """Accelerator-seconds to decode a whole sequence out to L tokens: ∫₀ᴸ c(l) dl ≈ Σ_{l ≤ L} c(l).

    Trapezoid rule on a geometric grid of ``points`` contexts from 1 to L (c is smooth and monotone in l, so
    the error is far below a percent). Once the attention term dominates it grows as L². Broadcasts.
    """
    context_arr = np.asarray(context, dtype=float)
    if np.any(context_arr < 1):
        raise ValueError(f"context must be ≥ 1 token; got min {context_arr.min():g}")
    b = design_batch(hardware, model, precision) if batch is None else batch
    grid = np.geomspace(np.ones_like(context_arr), context_arr, points, axis=-1)
    grid = np.concatenate([np.zeros_like(grid[..., :1]), grid], axis=-1)
    costs = cost_per_token_s(hardware, model, grid, b, crossover_tokens, precision, kv_precision)
    return np.trapezoid(costs, grid, axis=-1)


def _bisect_log(gap, low: float, high: float, vector_gap=None) -> float:
    """:func:`lib.roofline.bisect_log` over contexts: 44 halvings of twelve decades leave a relative error of
    ln(10¹²) / 2⁴⁴ ≈ 2·10⁻¹², far below any digit a page prints (fewer inside a bracket from ``vector_gap``)."""
    return bisect_log(gap, low, high, iterations=44, vector_gap=vector_gap)


def kv_dominance_context(hardware: Hardware, model: Model, batch: float | None = None,
                         precision: str | Precisions | None = None, kv_precision: str | None = None,
                         ) -> dict[str, float]:
    """The contexts where a step's KV reads overtake (a) its weight reads and (b) its compute (attention FLOPs
    included), at ``batch`` (default B*). ``inf`` where they never do: with MLA the attention FLOPs grow with L
    as the KV reads do, so (b) is reached only if the KV time per layer-token exceeds its FLOP time."""
    b = design_batch(hardware, model, precision) if batch is None else float(batch)
    if b < 1:
        raise ValueError(f"batch must be ≥ 1 sequence; got {b:g}")

    def step(length: float) -> Step:
        return decode_step(hardware, model, b, length, precision, kv_precision, chips=1)

    def kv_minus(budget: str):
        def gaps(length: np.ndarray) -> np.ndarray:
            s = step(length)
            return s.kv_s - getattr(s, budget)
        return gaps

    return {"weights": _bisect_log(lambda x: float(kv_minus("weights_s")(x)), 1.0, 1e12, kv_minus("weights_s")),
            "compute": _bisect_log(lambda x: float(kv_minus("compute_s")(x)), 1.0, 1e12, kv_minus("compute_s"))}


def kv_over_compute(hardware: Hardware, model: Model, context: ArrayLike, batch: float | None = None,
                    precision: str | Precisions | None = None, kv_precision: str | None = None) -> np.ndarray:
    """KV-read time ÷ compute time of a decode step (attention FLOPs included) at context L."""
    b = design_batch(hardware, model, precision) if batch is None else batch
    s = decode_step(hardware, model, b, context, precision, kv_precision, chips=1)
    return s.kv_s / s.compute_s


# --------------------------------------------------------------------------------------------------
# Capacity


def kv_capacity_context(model: Model, capacity_bytes: ArrayLike, kv_precision: str = "bf16") -> np.ndarray:
    """The longest context L whose cache fits ``capacity_bytes``: the inverse of kv(L) = L·a + min(L, w)·c.

    a, c are the cache bytes per token of the full and the windowed layers, w the window. ``inf`` where the cache
    never reaches the capacity (all layers windowed); 0 for a capacity ≤ 0. Broadcasts.
    """
    capacity = np.asarray(capacity_bytes, dtype=float)
    per_layer = model.kv_bytes_per_token_per_layer(kv_precision)
    full = per_layer * model.full_attention_layers
    windowed = per_layer * model.sliding_window_layers
    window = float(model.sliding_window_tokens) if model.sliding_window_layers else 0.0
    cap = np.maximum(capacity, 0.0)
    inside = cap / (full + windowed)
    with np.errstate(divide="ignore", invalid="ignore"):
        outside = (cap - window * windowed) / full if full > 0 else np.full(cap.shape, np.inf)
    return np.where(inside <= window, inside, outside)


@dataclass(frozen=True)
class CapacityCeilings:
    """Where one sequence's cache stops fitting HBM (tokens of context), with the HBM reserve of lib.roofline."""

    replica_chips: int
    replica_free_bytes: float  # (1 − ρ) n_min C_hbm − N_bytes: what the smallest replica has left for KV
    replica_context: float  # longest single sequence the smallest replica holds beside its weights
    domain_chips: int
    domain_bytes: float  # (1 − ρ) n_dom C_hbm: the usable HBM of one scale-up domain
    domain_context: float  # longest single sequence whose cache alone fills a whole scale-up domain


def capacity_ceilings(hardware: Hardware, model: Model, precision: str | Precisions | None = None,
                      kv_precision: str = "bf16") -> CapacityCeilings:
    """Two ceilings for one sequence (batch 1): the free usable HBM of the smallest replica that holds the
    weights (release formats unless ``precision``), and the whole usable HBM of one scale-up domain given to
    the cache alone (weights elsewhere: an upper bound). Sparse attention does not move either."""
    p = as_precisions(model, precision)
    n = int(chips_to_fit(model, hardware, 0, 0, p))
    usable = (1.0 - HBM_RESERVE_FRACTION) * hardware.hbm_capacity_bytes
    free = n * usable - weight_storage_bytes(model, p)
    domain = hardware.scale_up_domain_size * usable
    return CapacityCeilings(n, free, float(kv_capacity_context(model, free, kv_precision)),
                            hardware.scale_up_domain_size, domain,
                            float(kv_capacity_context(model, domain, kv_precision)))


# --------------------------------------------------------------------------------------------------
# What would close the gap


def hardware_factor_to_match(hardware: Hardware, model: Model, context: float, reference_context: float,
                             batch: float | None = None, crossover_tokens: float | None = None,
                             precision: str | Precisions | None = None) -> float:
    """The factor by which FLOP/s and HBM bandwidth must *both* grow for context L to cost what
    ``reference_context`` costs today at the same batch: every term scales as 1/G_hw, so G_hw = c(L) / c(L_ref)."""
    b = design_batch(hardware, model, precision) if batch is None else float(batch)
    ref = float(cost_per_token_s(hardware, model, reference_context, b, None, precision))
    return max(1.0, float(cost_per_token_s(hardware, model, context, b, crossover_tokens, precision)) / ref)


def bandwidth_factor_to_match(hardware: Hardware, model: Model, context: float, reference_context: float,
                              batch: float | None = None, crossover_tokens: float | None = None,
                              precision: str | Precisions | None = None) -> float:
    """The factor k by which W_hbm alone must grow for context L to cost what ``reference_context`` costs today
    (dense, same batch): ``inf`` when the step's arithmetic alone already costs more (attention FLOPs grow with
    L too, so for MLA more bandwidth cannot close the gap); 1 if L is already as cheap."""
    from dataclasses import replace as _replace

    b = design_batch(hardware, model, precision) if batch is None else float(batch)
    ref = float(cost_per_token_s(hardware, model, reference_context, b, None, precision))

    def gap(k: float) -> float:
        faster = _replace(hardware, hbm_bandwidth_Bps=hardware.hbm_bandwidth_Bps * k)
        return ref - float(cost_per_token_s(faster, model, context, b, crossover_tokens, precision))

    return _bisect_log(gap, 1.0, 1e12)


def kv_compression_to_match(hardware: Hardware, model: Model, context: float, reference_context: float,
                            batch: float | None = None, crossover_tokens: float | None = None,
                            precision: str | Precisions | None = None) -> float:
    """The factor ρ by which the KV bytes read per token must shrink (compression, quantisation), attention
    FLOPs unchanged, for context L to cost what the reference context costs densely today. ``inf`` if the
    arithmetic alone already costs more; 1 if none is needed."""
    b = design_batch(hardware, model, precision) if batch is None else float(batch)
    ref = float(cost_per_token_s(hardware, model, reference_context, b, None, precision))
    base = context_step(hardware, model, b, context, crossover_tokens, precision)

    def gap(rho: float) -> float:
        ops = {name: (Operation(op.name, op.flops, op.weight_bytes, op.kv_bytes / rho, op.flops_per_s,
                                op.compute_format) if name in ("attention_core", "attention_index") else op)
               for name, op in base.operations.items()}
        return ref - float(replace(base, operations=ops).chip_seconds_per_token)

    return _bisect_log(gap, 1.0, 1e12)


def matching_context(hardware: Hardware, model: Model, reference_model: Model, reference_context: float,
                     batch: float | None = None, crossover_tokens: float | None = None) -> float:
    """The longest context at which ``model`` (sparse, or with the √ hypothesis) costs no more per token than
    ``reference_model`` (dense) at ``reference_context``, each at its own B*; ``inf`` if always cheaper."""
    ref = float(cost_per_token_s(hardware, reference_model, reference_context))
    b = design_batch(hardware, model) if batch is None else batch
    return _bisect_log(lambda x: float(cost_per_token_s(hardware, model, x, b, crossover_tokens)) - ref,
                       1.0, 1e13)


def sparse_matching_context(reference_context: ArrayLike, crossover_tokens: ArrayLike) -> np.ndarray:
    """The context whose √-sparse reads equal a dense read of ``reference_context`` tokens: K(L) = L_ref,
    so L = L_ref² / L₀ (for L_ref ≥ L₀; below L₀ sparse reads everything and L = L_ref)."""
    ref = np.asarray(reference_context, dtype=float)
    crossover = np.asarray(crossover_tokens, dtype=float)
    if np.any(crossover <= 0) or np.any(ref < 0):
        raise ValueError("need L₀ > 0 and a reference context ≥ 0")
    return np.where(ref >= crossover, ref ** 2 / crossover, ref)


def growth_rate_per_year(years: ArrayLike, values: ArrayLike) -> float:
    """The yearly growth factor of a quantity that grows exponentially: exp of the least-squares slope of
    ln(value) against year (e.g. HBM bandwidth across accelerator generations)."""
    x = np.asarray(years, dtype=float)
    y = np.asarray(values, dtype=float)
    if x.shape != y.shape or x.size < 2 or np.ptp(x) == 0:
        raise ValueError("need at least two points at distinct years")
    if np.any(y <= 0):
        raise ValueError("values must be positive")
    slope = np.polyfit(x, np.log(y), 1)[0]
    return float(math.exp(slope))


def years_to_grow(factor: float, rate_per_year: float) -> float:
    """ln(factor) / ln(rate): years for a quantity growing by ``rate_per_year`` to grow by ``factor``."""
    if factor <= 0 or rate_per_year <= 1:
        raise ValueError("need factor > 0 and a growth rate > 1 per year")
    return max(0.0, math.log(factor) / math.log(rate_per_year))




# --------------------------------------------------------------------------------------------------
# Attention's own arithmetic


def attention_flops_per_kv_byte(model: Model, kv_precision: str = "bf16") -> float:
    """Arithmetic intensity of decode attention over the context: FLOPs per KV byte read (one query token).

    GQA/MHA: 4 · n_h · d FLOPs against 2 · n_kv · d · e bytes per attended token and layer, so
    2 · (n_h / n_kv) / e. MLA with absorbed projections: 2 · n_h · (2r + d_r) FLOPs against (r + d_r) · e
    bytes. Below the chip's ridge F / W_hbm attention is memory bound; near it, its arithmetic is as large as
    its reads, and the refined step model counts both.
    """
    return model.attention_core_flops_per_context_token("decode") / model.attention_kv_bytes_per_token_per_layer(
        kv_precision)
