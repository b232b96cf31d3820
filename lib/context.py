"""Cost and speed of decoding against context length: KV reads, KV capacity, and sparse attention.

Notation (see the notation page): L is the context in tokens, B the batch, n the accelerators of a
replica, F the dense FLOP/s and W_hbm the HBM bandwidth of one accelerator, C_hbm its capacity, b_w the
bytes per weight, kv(L) the KV-cache bytes one sequence holds at context L (``Model.kv_cache_bytes``,
which stops growing at the window on sliding-window layers).

The decode roofline of :mod:`lib.roofline` gives the cost of a token in accelerator-seconds,

    c(L) = n · t_step / B = max( 2 N_active / F ,  N_total b_w / (B W_hbm) + r(L) / W_hbm )      (1)

where r(L) is the KV bytes one sequence *reads* per step. Dense attention reads everything it stores,
r(L) = kv(L). A sparse attention that reads k(L) of the L tokens on each full-attention layer reads

    k(L) = min(L, √(L · L₀))                                                                        (2)

tokens: all of them up to a crossover context L₀, then a number that grows as √L. Its gain over dense
reads, L / k(L) = √(L / L₀), grows without bound, but only as a square root; and it reduces *reads*,
not *storage*: the cache still holds kv(L) bytes, so the capacity ceilings below do not move.

Capacity: one sequence's KV fits a pool of C bytes while kv(L) ≤ C. :func:`kv_capacity_context`
inverts kv(L) (exactly, sliding windows included).

Also here: the table of published maximum context lengths (``data/context_history.csv``), the
arithmetic intensity of attention itself (FLOPs per KV byte, which the roofline ignores), and the
bandwidth or KV-compression factor that brings a long context down to a reference context's cost.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .data import Column, Plausible, TableSchema, read_table, register_schema, table_dir
from .hardware import Hardware
from .models import Model
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
# Sparse attention: tokens read


def sparse_attended_tokens(context: ArrayLike, crossover_tokens: ArrayLike) -> np.ndarray:
    """k(L) = min(L, √(L · L₀)): tokens a square-root sparse attention reads per full-attention layer (eq. 2).

    ``crossover_tokens`` is L₀, the context up to which it reads everything. Broadcasts.
    """
    context_arr = np.asarray(context, dtype=float)
    crossover = np.asarray(crossover_tokens, dtype=float)
    if np.any(context_arr < 0):
        raise ValueError(f"context must be ≥ 0 tokens; got min {context_arr.min():g}")
    if np.any(crossover <= 0):
        raise ValueError(f"the sparse crossover L₀ must be > 0 tokens; got {crossover.min():g}")
    return np.minimum(context_arr, np.sqrt(context_arr * crossover))


def sparse_read_gain(context: ArrayLike, crossover_tokens: ArrayLike) -> np.ndarray:
    """L / k(L) = max(1, √(L / L₀)): how many times fewer KV bytes a sparse layer reads than a dense one."""
    context_arr = np.asarray(context, dtype=float)
    attended = sparse_attended_tokens(context_arr, crossover_tokens)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(attended > 0, context_arr / np.where(attended > 0, attended, 1.0), 1.0)


def kv_read_bytes(model: Model, context: ArrayLike, crossover_tokens: float | None = None,
                  kv_precision: str = "bf16") -> np.ndarray:
    """r(L): KV bytes one sequence reads per decode step.

    Dense (``crossover_tokens`` None): r(L) = kv(L), everything stored is read. Sparse: the full-attention
    layers read k(L) tokens (eq. 2); sliding-window layers read their window as before:
    r(L) = k(L) · b_kv(full layers) + min(L, w) · b_kv(window layers).
    """
    context_arr = np.asarray(context, dtype=float)
    if crossover_tokens is None:
        if np.any(context_arr < 0):
            raise ValueError(f"context must be ≥ 0 tokens; got min {context_arr.min():g}")
        return model.kv_cache_bytes(context_arr, kv_precision)
    per_layer = model.kv_bytes_per_token_per_layer(kv_precision)
    attended = sparse_attended_tokens(context_arr, crossover_tokens)
    windowed = np.minimum(context_arr, model.sliding_window_tokens) * per_layer * model.sliding_window_layers
    return attended * per_layer * model.full_attention_layers + windowed


# --------------------------------------------------------------------------------------------------
# The roofline against context


def design_batch(hardware: Hardware, model: Model, precision: str = "bf16") -> float:
    """The batch the cost curves use: B* = (F / W_hbm) · (N_total / N_active) · b_w / 2, where compute time
    equals weight-read time (``lib.roofline.optimal_batch``; KV ignored). At B* weights are amortised as well
    as the chip allows, so what is left of c(L) beyond the compute floor is the per-sequence KV term."""
    return float(optimal_batch(hardware.flops(precision), hardware.hbm_bandwidth_Bps, model.sparsity,
                               bytes_per_element(precision)))


def context_step(hardware: Hardware, model: Model, batch: ArrayLike, context: ArrayLike,
                 crossover_tokens: float | None = None, precision: str = "bf16", kv_precision: str = "bf16",
                 chips: int | None = None) -> DecodeStep:
    """The decode-step roofline (a :class:`lib.roofline.DecodeStep`) with KV *reads* r(L) in place of kv(L).

    With ``crossover_tokens`` None it equals ``lib.roofline.decode_step``; with L₀ given the full-attention
    layers read k(L) tokens (eq. 2). ``chips`` defaults to the fewest accelerators holding the weights;
    cost per token, ``chip_seconds_per_token``, does not depend on it.
    """
    batch_arr = np.asarray(batch, dtype=float)
    if np.any(batch_arr < 1):
        raise ValueError(f"batch must be ≥ 1 sequence; got min {batch_arr.min():g}")
    n = chips if chips is not None else min_chips_for_weights(model, hardware, precision)
    if n < 1:
        raise ValueError(f"chips must be ≥ 1; got {n}")
    reads = kv_read_bytes(model, context, crossover_tokens, kv_precision)
    batch_arr, context_arr, reads = np.broadcast_arrays(batch_arr, np.asarray(context, dtype=float), reads)
    bw = hardware.hbm_bandwidth_Bps
    compute = compute_time_s(batch_arr, model.active_params, hardware.flops(precision), n)
    weights = np.full(batch_arr.shape, weight_read_time_s(model.total_params, bytes_per_element(precision), bw, n))
    return DecodeStep(batch_arr, context_arr, n, compute, weights, kv_read_time_s(batch_arr, reads, bw, n))


def cost_per_token_s(hardware: Hardware, model: Model, context: ArrayLike, batch: ArrayLike | None = None,
                     crossover_tokens: float | None = None, precision: str = "bf16",
                     kv_precision: str = "bf16") -> np.ndarray:
    """c(L), eq. (1), in accelerator-seconds per token; ``batch`` defaults to :func:`design_batch`."""
    b = design_batch(hardware, model, precision) if batch is None else batch
    return context_step(hardware, model, b, context, crossover_tokens, precision, kv_precision).chip_seconds_per_token


def sequence_cost_s(hardware: Hardware, model: Model, context: ArrayLike, batch: ArrayLike | None = None,
                    crossover_tokens: float | None = None, precision: str = "bf16", kv_precision: str = "bf16",
                    points: int = 2049) -> np.ndarray:
    """Accelerator-seconds to decode a whole sequence out to L tokens: ∫₀ᴸ c(l) dl ≈ Σ_{l ≤ L} c(l).

    Integrated by the trapezoid rule on a geometric grid of ``points`` contexts from 1 to L (c is smooth
    and monotone in l, so the error is far below a percent). Dense reads make it grow as L² once KV reads
    dominate; √-sparse reads as L^1.5. Broadcasts over ``context`` (each L ≥ 1).
    """
    context_arr = np.asarray(context, dtype=float)
    if np.any(context_arr < 1):
        raise ValueError(f"context must be ≥ 1 token; got min {context_arr.min():g}")
    grid = np.geomspace(np.ones_like(context_arr), context_arr, points, axis=-1)
    grid = np.concatenate([np.zeros_like(grid[..., :1]), grid], axis=-1)
    costs = cost_per_token_s(hardware, model, grid, batch, crossover_tokens, precision, kv_precision)
    return np.trapezoid(costs, grid, axis=-1)


def kv_dominance_context(hardware: Hardware, model: Model, batch: float | None = None,
                         precision: str = "bf16", kv_precision: str = "bf16") -> dict[str, float]:
    """The contexts where dense KV reads of a step overtake (a) its weight reads and (b) its compute.

    (a) B · kv(L) = N_total b_w;  (b) B · kv(L) / W_hbm = 2 B N_active / F, i.e. kv(L) = 2 N_active W_hbm / F
    (``lib.roofline.compute_bound_context_limit``; independent of B). ``batch`` defaults to B*.
    """
    b = design_batch(hardware, model, precision) if batch is None else float(batch)
    if b < 1:
        raise ValueError(f"batch must be ≥ 1 sequence; got {b:g}")
    weights = model.weight_bytes(precision)
    compute_bytes = 2.0 * model.active_params * hardware.hbm_bandwidth_Bps / hardware.flops(precision)
    return {"weights": float(kv_capacity_context(model, weights / b, kv_precision)),
            "compute": float(kv_capacity_context(model, compute_bytes, kv_precision))}


# --------------------------------------------------------------------------------------------------
# Capacity


def kv_capacity_context(model: Model, capacity_bytes: ArrayLike, kv_precision: str = "bf16") -> np.ndarray:
    """The longest context L whose KV cache fits ``capacity_bytes``: the inverse of kv(L) = L·a + min(L, w)·c.

    a, c are the KV bytes per token of the full and the windowed layers, w the window. ``inf`` where the cache
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
    """Where one sequence's KV cache stops fitting HBM (tokens of context, bf16 KV unless stated)."""

    replica_chips: int
    replica_free_bytes: float  # n_min · C_hbm − N_total b_w: what the smallest replica has left for KV
    replica_context: float  # longest single sequence the smallest replica holds beside its weights
    domain_chips: int
    domain_bytes: float  # n_dom · C_hbm: all HBM of one scale-up domain
    domain_context: float  # longest single sequence whose KV alone fills a whole scale-up domain


def capacity_ceilings(hardware: Hardware, model: Model, precision: str = "bf16",
                      kv_precision: str = "bf16") -> CapacityCeilings:
    """Two ceilings for one sequence (batch 1): the free HBM of the smallest replica that holds the weights,
    and the whole HBM of one scale-up domain given to the KV alone (weights elsewhere: an upper bound).

    Sparse attention that only *reads* fewer tokens does not move either: it still stores kv(L).
    """
    n = min_chips_for_weights(model, hardware, precision)
    free = n * hardware.hbm_capacity_bytes - model.weight_bytes(precision)
    domain = hardware.domain_hbm_capacity_bytes
    return CapacityCeilings(n, free, float(kv_capacity_context(model, free, kv_precision)),
                            hardware.scale_up_domain_size, domain,
                            float(kv_capacity_context(model, domain, kv_precision)))


def chips_to_hold(hardware: Hardware, model: Model, batch: ArrayLike, context: ArrayLike,
                  precision: str = "bf16", kv_precision: str = "bf16") -> np.ndarray:
    """Accelerators whose HBM holds the weights plus B sequences' KV: ⌈(N_total b_w + B kv(L)) / C_hbm⌉."""
    need = model.weight_bytes(precision) + np.asarray(batch, dtype=float) * model.kv_cache_bytes(context, kv_precision)
    return np.ceil(need / hardware.hbm_capacity_bytes)


# --------------------------------------------------------------------------------------------------
# What would close the gap


def bandwidth_factor_to_match(hardware: Hardware, model: Model, context: float, reference_context: float,
                              batch: float | None = None, crossover_tokens: float | None = None,
                              precision: str = "bf16", kv_precision: str = "bf16") -> float:
    """The factor k by which W_hbm must grow for context L to cost what ``reference_context`` costs today
    (dense reads at the reference), at a fixed batch: the memory term of eq. (1) scales as 1/k, so
    k = (N_total b_w / B + r(L)) / (W_hbm · c(L_ref)); 1 if L is already as cheap."""
    b = design_batch(hardware, model, precision) if batch is None else float(batch)
    reference = float(cost_per_token_s(hardware, model, reference_context, b, None, precision, kv_precision))
    memory_bytes = model.weight_bytes(precision) / b + float(kv_read_bytes(model, context, crossover_tokens, kv_precision))
    return max(1.0, memory_bytes / (hardware.hbm_bandwidth_Bps * reference))


def kv_compression_to_match(hardware: Hardware, model: Model, context: float, reference_context: float,
                            batch: float | None = None, crossover_tokens: float | None = None,
                            precision: str = "bf16", kv_precision: str = "bf16") -> float:
    """The factor ρ by which the KV read per token must shrink (compression, quantisation, sparsity beyond
    what ``crossover_tokens`` gives) for context L to cost what the reference context costs densely today:
    N_total b_w / (B W) + r(L) / (ρ W) = c(L_ref). ``inf`` if weights alone already cost more; 1 if none needed."""
    b = design_batch(hardware, model, precision) if batch is None else float(batch)
    bw = hardware.hbm_bandwidth_Bps
    reference = float(cost_per_token_s(hardware, model, reference_context, b, None, precision, kv_precision))
    room = reference - model.weight_bytes(precision) / (b * bw)
    reads = float(kv_read_bytes(model, context, crossover_tokens, kv_precision)) / bw
    if room <= 0:
        return math.inf
    return max(1.0, reads / room)


def sparse_matching_context(reference_context: ArrayLike, crossover_tokens: ArrayLike) -> np.ndarray:
    """The context whose √-sparse reads equal a dense read of ``reference_context`` tokens: k(L) = L_ref,
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
# What the roofline leaves out: attention arithmetic


def attention_flops_per_kv_byte(model: Model, kv_precision: str = "bf16") -> float:
    """Arithmetic intensity of decode attention: FLOPs per KV byte read (one query token).

    GQA/MHA: per attended token and layer, QKᵀ and AV cost 4 · n_heads · head_dim FLOPs against
    2 · n_kv_heads · head_dim · e bytes, so 2 · (n_heads / n_kv_heads) / e. MLA with absorbed projections:
    2 · n_heads · (2 r + d_rope) FLOPs against (r + d_rope) · e bytes. Below the chip's ridge point F / W_hbm
    the KV term is memory bound, as eq. (1) assumes; near it attention compute is as large as the KV reads.
    """
    e = bytes_per_element(kv_precision)
    if model.attention == "mla":
        r, rope = model.kv_lora_rank, model.qk_rope_head_dim
        return 2.0 * model.n_heads * (2 * r + rope) / ((r + rope) * e)
    return 2.0 * model.n_heads / (model.n_kv_heads * e)
