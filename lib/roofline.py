"""The decode-step roofline: step time = max(compute time, weight-read time + KV-read time).

For a replica of ``n`` accelerators serving a batch of B sequences, each at context L (eq. two-budgets):

    t_compute = 2 · B · N_active / (n · F)
    t_weights = N_total · b_w / (n · W_hbm)
    t_kv      = B · kv(L) / (n · W_hbm)          kv(L) = KV-cache bytes of one sequence at context L
    t_step    = max(t_compute, t_weights + t_kv)

One step emits one token per sequence, so the replica's throughput is B / t_step tokens/s and each
user sees 1 / t_step tokens/s. The cost of a token in accelerator-seconds is n · t_step / B: in this
ideal model it does not depend on n, only on the batch. The model ignores communication, attention
FLOPs, and kernel efficiency: it is a lower bound on step time, not a prediction.

Every function broadcasts over numpy arrays (batch and context grids) with no Python loops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .hardware import Hardware
from .models import Model
from .units import bytes_per_element

ArrayLike = np.ndarray | float | int


def compute_time_s(batch: ArrayLike, active_params: float, flops_per_s: float, chips: int = 1) -> np.ndarray:
    """t_compute = 2 · B · N_active / (n · F): two FLOPs per active parameter per token."""
    return 2.0 * np.asarray(batch, dtype=float) * active_params / (chips * flops_per_s)


def weight_read_time_s(total_params: float, bytes_per_weight: float, bandwidth_Bps: float, chips: int = 1) -> float:
    """t_weights = N_total · b_w / (n · W_hbm): every weight read once per step, whatever the batch."""
    return total_params * bytes_per_weight / (chips * bandwidth_Bps)


def kv_read_time_s(batch: ArrayLike, kv_bytes_per_sequence: ArrayLike, bandwidth_Bps: float,
                   chips: int = 1) -> np.ndarray:
    """t_kv = B · kv(L) / (n · W_hbm): each sequence's own KV cache read once per step."""
    return np.asarray(batch, dtype=float) * np.asarray(kv_bytes_per_sequence, dtype=float) / (chips * bandwidth_Bps)


def optimal_batch(flops_per_s: ArrayLike, bandwidth_Bps: ArrayLike, sparsity: ArrayLike,
                  bytes_per_weight: ArrayLike = 2.0) -> np.ndarray:
    """B* where compute time equals weight-read time (KV ignored): B* = (F / W_hbm) · (N_total / N_active) · b_w / 2.

    With weights and compute at the same precision, F scales as 1 / b_w on most chips, so the precision
    largely cancels and B* ≈ ridge(bf16) × sparsity.
    """
    return (np.asarray(flops_per_s, dtype=float) / np.asarray(bandwidth_Bps, dtype=float)
            * np.asarray(sparsity, dtype=float) * np.asarray(bytes_per_weight, dtype=float) / 2.0)


@dataclass(frozen=True)
class DecodeStep:
    """The times of one decode step (seconds), broadcast over batch × context; see the module docstring."""

    batch: np.ndarray
    context: np.ndarray
    chips: int
    compute_s: np.ndarray
    weights_s: np.ndarray
    kv_s: np.ndarray

    @property
    def memory_s(self) -> np.ndarray:
        """t_weights + t_kv."""
        return self.weights_s + self.kv_s

    @property
    def step_s(self) -> np.ndarray:
        """t_step = max(t_compute, t_weights + t_kv)."""
        return np.maximum(self.compute_s, self.memory_s)

    @property
    def tokens_per_s(self) -> np.ndarray:
        """Replica throughput B / t_step (tokens per second)."""
        return self.batch / self.step_s

    @property
    def user_tokens_per_s(self) -> np.ndarray:
        """Per-sequence decode speed 1 / t_step."""
        return 1.0 / self.step_s

    @property
    def chip_seconds_per_token(self) -> np.ndarray:
        """Cost of a token in accelerator-seconds, n · t_step / B (multiply by a price per accelerator-second)."""
        return self.chips * self.step_s / self.batch

    @property
    def compute_bound(self) -> np.ndarray:
        """True where compute time is the larger budget."""
        return self.compute_s >= self.memory_s

    @property
    def bound(self) -> np.ndarray:
        """``"compute"`` or ``"memory"`` for each point."""
        return np.where(self.compute_bound, "compute", "memory")

    def memory_needed_bytes(self, model: Model, precision: str = "bf16", kv_precision: str = "bf16") -> np.ndarray:
        """Weights plus the batch's KV cache, the HBM the replica must hold."""
        return model.weight_bytes(precision) + self.batch * model.kv_cache_bytes(self.context, kv_precision)


def min_chips_for_weights(model: Model, hardware: Hardware, precision: str = "bf16") -> int:
    """The fewest accelerators whose HBM together holds the weights at ``precision`` (at least 1)."""
    return max(1, math.ceil(model.weight_bytes(precision) / hardware.hbm_capacity_bytes))


def decode_step(hardware: Hardware, model: Model, batch: ArrayLike, context: ArrayLike,
                precision: str = "bf16", kv_precision: str = "bf16", chips: int | None = None) -> DecodeStep:
    """The roofline of one decode step for ``model`` on ``chips`` accelerators of ``hardware``.

    ``precision`` sets both the weight bytes b_w and the FLOP/s used; ``kv_precision`` the KV-cache
    format. ``chips`` defaults to the fewest accelerators that hold the weights. ``batch`` and
    ``context`` broadcast against each other (pass ``b[:, None]`` and ``L[None, :]`` for a grid).
    """
    batch_arr = np.asarray(batch, dtype=float)
    context_arr = np.asarray(context, dtype=float)
    if np.any(batch_arr < 1):
        raise ValueError(f"batch must be ≥ 1 sequence; got min {batch_arr.min():g}")
    if np.any(context_arr < 0):
        raise ValueError(f"context must be ≥ 0 tokens; got min {context_arr.min():g}")
    n = chips if chips is not None else min_chips_for_weights(model, hardware, precision)
    if n < 1:
        raise ValueError(f"chips must be ≥ 1; got {n}")
    flops = hardware.flops(precision)
    b_w = bytes_per_element(precision)
    batch_arr, context_arr = np.broadcast_arrays(batch_arr, context_arr)
    compute = compute_time_s(batch_arr, model.active_params, flops, n)
    weights = np.full(batch_arr.shape, weight_read_time_s(model.total_params, b_w, hardware.hbm_bandwidth_Bps, n))
    kv = kv_read_time_s(batch_arr, model.kv_cache_bytes(context_arr, kv_precision), hardware.hbm_bandwidth_Bps, n)
    return DecodeStep(batch_arr, context_arr, n, compute, weights, kv)


def crossover_batch(hardware: Hardware, model: Model, context: ArrayLike, precision: str = "bf16",
                    kv_precision: str = "bf16") -> np.ndarray:
    """The batch where t_compute = t_weights + t_kv (the sweet spot), or ``inf`` where KV reads keep the
    step memory bound at every batch.

    Solving 2 B N_a / F = (N_t b_w + B kv(L)) / W for B:  B = N_t b_w / (2 N_a W / F − kv(L)).
    """
    flops = hardware.flops(precision)
    bw = hardware.hbm_bandwidth_Bps
    kv = model.kv_cache_bytes(np.asarray(context, dtype=float), kv_precision)
    denominator = 2.0 * model.active_params * bw / flops - kv
    weights = model.total_params * bytes_per_element(precision)
    with np.errstate(divide="ignore"):
        return np.where(denominator > 0, weights / np.where(denominator > 0, denominator, 1.0), np.inf)


def compute_floor_chip_seconds_per_token(hardware: Hardware, model: Model, precision: str = "bf16") -> float:
    """The large-batch floor of cost per token (accelerator-seconds): 2 · N_active / F."""
    return 2.0 * model.active_params / hardware.flops(precision)


def compute_bound_context_limit(hardware: Hardware, model: Model, precision: str = "bf16",
                                kv_precision: str = "bf16") -> float:
    """The context L_max beyond which no batch is compute bound: kv(L_max) / W_hbm = 2 N_active / F.

    Past it, each sequence's own KV reads take longer than its share of compute, so adding sequences
    never amortises the step into the compute floor. ``inf`` if KV never reaches that size (an all-window
    model). Solves ``L·a + min(L, w)·c = X`` with a, c the full and windowed KV bytes per token.
    """
    budget_bytes = 2.0 * model.active_params * hardware.hbm_bandwidth_Bps / hardware.flops(precision)
    per_layer = model.kv_bytes_per_token_per_layer(kv_precision)
    full = per_layer * model.full_attention_layers
    windowed = per_layer * model.sliding_window_layers
    window = float(model.sliding_window_tokens)
    if full + windowed == 0:
        return math.inf
    # Inside the window every layer grows with L.
    inside = budget_bytes / (full + windowed)
    if model.sliding_window_layers == 0 or inside <= window:
        return inside
    if full == 0:
        return math.inf
    return (budget_bytes - window * windowed) / full
