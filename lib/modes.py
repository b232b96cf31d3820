"""Fast and slow serving modes on the decode roofline, and the inverse problem a fast-mode offer poses.

One replica of n accelerators decodes B sequences at context L. With the per-sequence times of
:mod:`lib.roofline` (all in seconds, for the replica of n chips):

    t_w = N_total · b_w / (n · W_hbm)       weight reads, once per step, whatever B
    k   = kv(L) / (n · W_hbm)               KV reads of ONE sequence per step
    c   = 2 · N_active / (n · F)            arithmetic of ONE sequence per step
    t(B) = max(B · c, t_w + B · k)          the step time (eq. fm-step)

A user sees 1 / t(B) tokens/s; a token costs n · t(B) / B accelerator-seconds. Comparing a fast mode at
batch B_f with a standard mode at B_s on the same replica, the speed ratio and the cost (price) ratio are

    S = t(B_s) / t(B_f),      P = (B_s / B_f) / S          ⇒      P · S = B_s / B_f   (eq. fm-product)

P · S is the ratio of what the two users pay per second of generation, so under cost-based pricing it is
the ratio of the hardware each occupies (B_s / B_f here; n_fast / n_std · B_s / B_f if the fast mode also uses
more chips). With both steps memory bound, write φ = B_s κ / t(B_s) for the KV share of the standard step:

    1 / S = (1 − φ) + φ / (P S)      ⇒      φ = (1 − 1/S) / (1 − 1/(P S))       (eq. fm-share)

and however small the fast batch, S < t(B_s) / t_w = 1 / (1 − φ) (the weight-read floor, eq. fm-ceiling).
:func:`solve_standard_batch` solves the general case, compute-bound branch included, in closed form per
branch and vectorised over every argument.

The Slow Mode bound: past the batch B* where compute time equals weight-read time, the cost per token
can fall at most to the plateau max(c, k) · n (eq. fm-plateau); at B* it is (c + k) · n, so batching
further saves at most min(c, k) / (c + k) ≤ 1/2 of the cost (eq. fm-slow).

Everything above is the blackboard's two-budget model (every weight read at every step, 2·N_active FLOPs
per token, no capacity limit), kept by name for the talk's own numbers. The second half of this module puts
both modes on the refined step model of :mod:`lib.roofline` (experts touched, attention arithmetic over the
context, per-operation rooflines, HBM capacity):

- **one standard mode** (:func:`standard_mode`), shared with the chapter ``prices-leak``: a replica whose
  weights fill a share w of its usable HBM (``WEIGHT_SHARE``, an assumption with a range), running as many
  sequences at context L as the rest holds;
- the **fast-mode forward problem** (:func:`price_for_speed`): the smallest batch cut that gives speed S and
  the price ratio it implies, P = (B_s / B_f) / S (eq. fm-product still holds: it needs only t(B) and one
  replica); its inverse (:func:`standard_batches_for_offer`) lists every standard batch that makes (P, S) a
  batch effect, since on the refined model S(B_s) need not be monotonic;
- a **latency floor** per step (:func:`collective_latency_floor_s`): two collectives per layer at a
  measured per-collective latency, which no replica size removes;
- the **Slow Mode** as unlimited batching past the standard mode (:func:`refined_slow_mode_saving`), against
  the **batch APIs** of ``batch_offers.csv`` and a second source of discount, filling the idle capacity of a
  daily load curve (:func:`daily_load_utilisation`, :func:`implied_interactive_utilisation`).

All quantities are SI (seconds, bytes, FLOP/s); ratios are dimensionless.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from .claims import Assumption
from .data import Column, Plausible, PlausibleBy, as_of_is_a_date, provenance_column, TableSchema, read_table, register_schema, table_dir
from .hardware import Hardware
from .models import Model
from .roofline import (HBM_RESERVE_FRACTION, ArrayLike, Precisions, Step, as_precisions, blackboard_decode_step,
                       chips_to_fit, compute_time_s, decode_step, kv_read_time_s, max_batch, min_chips_for_weights,
                       optimal_batch, weight_read_time_s)
from .units import bytes_per_element, native_compute_format

# --------------------------------------------------------------------------------------------------
# The offers table

#: How far price_multiplier may sit from fast ÷ standard output price when both prices are given.
PRICE_CHECK_REL_TOL = 0.02


#: Price columns that come in (standard, fast) pairs; a pair is either both blank or both given.
PRICE_PAIRS: tuple[tuple[str, str], ...] = (
    ("standard_input_usd_per_Mtok", "fast_input_usd_per_Mtok"),
    ("standard_output_usd_per_Mtok", "fast_output_usd_per_Mtok"),
    ("standard_input_long_usd_per_Mtok", "fast_input_long_usd_per_Mtok"),
    ("standard_output_long_usd_per_Mtok", "fast_output_long_usd_per_Mtok"),
)


def _offer_checks(row: dict) -> Iterable[tuple[str, object, str]]:
    yield from as_of_is_a_date(row)
    base, fast = row["standard_output_usd_per_Mtok"], row["fast_output_usd_per_Mtok"]
    if base is not None and fast is not None and row["price_multiplier"] is not None:
        if abs(fast / base / row["price_multiplier"] - 1.0) > PRICE_CHECK_REL_TOL:
            yield ("price_multiplier", row["price_multiplier"],
                   f"fast ÷ standard output price = {fast / base:g} (the two price columns disagree with it)")
    for standard, fast in PRICE_PAIRS:
        if (row[standard] is None) != (row[fast] is None):
            blank = standard if row[standard] is None else fast
            yield (blank, None, f"a price: {standard} and {fast} are given together or not at all")
    long_prices = [row[c] for pair in PRICE_PAIRS[2:] for c in pair]
    if any(v is not None for v in long_prices) and row["long_context_min_tokens"] is None:
        yield ("long_context_min_tokens", None, "the prompt length where the long-context prices start")
    for standard, fast in PRICE_PAIRS:
        if row[standard] is not None and row[fast] is not None and row[fast] < row[standard] and row["mode"] == "fast":
            yield (fast, row[fast], f"a fast-mode price ≥ the standard price ({row[standard]:g})")


OFFERS_SCHEMA = register_schema(TableSchema(
    file="mode_offers.csv",
    columns=(
        Column("name", "str"),
        Column("provider", "str"),
        Column("model", "str"),
        Column("mode", "enum", choices=("fast", "slow")),
        Column("price_multiplier", positive=True, meaning="price per token of the mode ÷ standard price",
               plausible=Plausible(0.01, 100, "×", ())),
        Column("speed_multiplier", positive=True, meaning="output tokens/s of the mode ÷ standard tokens/s",
               plausible=Plausible(0.01, 100, "×", ())),
        Column("standard_input_usd_per_Mtok", required=False, positive=True,
               meaning="standard-mode input price, USD per million tokens, blank if not priced per token", plausible=Plausible(0.001, 10_000, "USD per million tokens")),
        Column("fast_input_usd_per_Mtok", required=False, positive=True,
               meaning="the mode's input price, USD per million tokens", plausible=Plausible(0.001, 10_000, "USD per million tokens")),
        Column("standard_output_usd_per_Mtok", required=False, positive=True, plausible=Plausible(0.001, 10_000, "USD per million tokens")),
        Column("fast_output_usd_per_Mtok", required=False, positive=True, plausible=Plausible(0.001, 10_000, "USD per million tokens")),
        Column("long_context_min_tokens", "int", required=False, positive=True,
               meaning="prompt tokens where the long-context prices start, blank if none",
               plausible=Plausible(1_000, 1e8, "tokens")),
        Column("standard_input_long_usd_per_Mtok", required=False, positive=True,
               meaning="standard input price above long_context_min_tokens", plausible=Plausible(0.001, 10_000, "USD per million tokens")),
        Column("standard_output_long_usd_per_Mtok", required=False, positive=True, plausible=Plausible(0.001, 10_000, "USD per million tokens")),
        Column("fast_input_long_usd_per_Mtok", required=False, positive=True,
               meaning="the mode's input price above long_context_min_tokens", plausible=Plausible(0.001, 10_000, "USD per million tokens")),
        Column("fast_output_long_usd_per_Mtok", required=False, positive=True, plausible=Plausible(0.001, 10_000, "USD per million tokens")),
        Column("as_of", "str", meaning="YYYY, YYYY-MM or YYYY-MM-DD"),
        Column("source", "str"),
        provenance_column(),
        Column("notes", "str", required=False),
    ),
    row_checks=(_offer_checks,),
))

#: The offer the lecture quotes (6× the price for 2.5× the speed).
LECTURE_OFFER = "Claude Opus 4.6 fast mode"


@dataclass(frozen=True)
class ModeOffer:
    """A provider's priced serving mode: price and speed as multiples of its standard mode."""

    name: str
    provider: str
    model: str
    mode: str
    price_multiplier: float
    speed_multiplier: float
    as_of: str
    source: str
    notes: str
    standard_input_usd_per_Mtok: float | None = None
    fast_input_usd_per_Mtok: float | None = None
    standard_output_usd_per_Mtok: float | None = None
    fast_output_usd_per_Mtok: float | None = None
    long_context_min_tokens: int | None = None
    standard_input_long_usd_per_Mtok: float | None = None
    standard_output_long_usd_per_Mtok: float | None = None
    fast_input_long_usd_per_Mtok: float | None = None
    fast_output_long_usd_per_Mtok: float | None = None

    @property
    def input_price_ratio(self) -> float | None:
        """Fast ÷ standard input price (short prompts); None where the offer is not priced per token."""
        if self.fast_input_usd_per_Mtok is None or self.standard_input_usd_per_Mtok is None:
            return None
        return self.fast_input_usd_per_Mtok / self.standard_input_usd_per_Mtok

    @property
    def output_price_ratio(self) -> float | None:
        """Fast ÷ standard output price (short prompts); None where not priced per token."""
        if self.fast_output_usd_per_Mtok is None or self.standard_output_usd_per_Mtok is None:
            return None
        return self.fast_output_usd_per_Mtok / self.standard_output_usd_per_Mtok

    def long_ratios(self) -> dict[str, float] | None:
        """The long-context prices as multiples: fast long ÷ standard short ("12×" is this one for input),
        and fast long ÷ standard long (the mode's own multiplier above the step); None without such prices."""
        if self.fast_input_long_usd_per_Mtok is None or self.standard_input_usd_per_Mtok is None:
            return None
        out = {"input vs standard short": self.fast_input_long_usd_per_Mtok / self.standard_input_usd_per_Mtok,
               "output vs standard short": self.fast_output_long_usd_per_Mtok / self.standard_output_usd_per_Mtok}
        if self.standard_input_long_usd_per_Mtok is not None:
            out["input vs standard long"] = self.fast_input_long_usd_per_Mtok / self.standard_input_long_usd_per_Mtok
            out["output vs standard long"] = (self.fast_output_long_usd_per_Mtok
                                              / self.standard_output_long_usd_per_Mtok)
        return out


_OFFER_PRICE_FIELDS = tuple(c for pair in PRICE_PAIRS for c in pair) + ("long_context_min_tokens",)


def load_offers(data_dir: Path | str | None = None) -> list[ModeOffer]:
    """Rows of ``mode_offers.csv`` from the reader's data directory, or from the book's own ``data/`` when
    the reader's directory has no such file (a reader who brings only hardware and models keeps the offers)."""
    rows = read_table(OFFERS_SCHEMA, table_dir(OFFERS_SCHEMA.file, data_dir))
    return [ModeOffer(r["name"], r["provider"], r["model"], r["mode"], float(r["price_multiplier"]),
                      float(r["speed_multiplier"]), r["as_of"], r["source"], r["notes"] or "",
                      **{k: r[k] for k in _OFFER_PRICE_FIELDS}) for r in rows]


# --------------------------------------------------------------------------------------------------
# Closed forms on dimensionless shares


def _ratios(price_ratio: ArrayLike, speed_ratio: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(price_ratio, dtype=float)
    s = np.asarray(speed_ratio, dtype=float)
    if np.any(~np.isfinite(p)) or np.any(p <= 0):
        raise ValueError(f"price ratio must be a positive finite number; got {p!r}")
    if np.any(~np.isfinite(s)) or np.any(s <= 0):
        raise ValueError(f"speed ratio must be a positive finite number; got {s!r}")
    return p, s


def occupancy_ratio(price_ratio: ArrayLike, speed_ratio: ArrayLike) -> np.ndarray:
    """P · S (eq. fm-product): the price per second of generation of the mode ÷ the standard's.

    Under cost-based pricing it is the ratio of accelerator share each user holds:
    (n_fast / n_std) · (B_s / B_f). With the same replica it is the batch ratio B_s / B_f.
    """
    p, s = _ratios(price_ratio, speed_ratio)
    return p * s


def memory_bound_kv_share(price_ratio: ArrayLike, speed_ratio: ArrayLike) -> np.ndarray:
    """φ = (1 − 1/S) / (1 − 1/(P·S)) (eq. fm-share): the KV-read share of the standard step that makes a
    fast mode at P× the price and S× the speed follow from a smaller batch alone, both steps memory bound.

    NaN where no memory-bound solution exists: S < 1, or P ≤ 1 with S > 1 (then φ would reach or exceed 1).
    φ = 0 for S = 1.
    """
    p, s = _ratios(price_ratio, speed_ratio)
    beta = p * s
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (1.0 - 1.0 / s) / (1.0 - 1.0 / beta)
    share = np.where(s == 1.0, 0.0, share)
    return np.where((s >= 1.0) & (share >= 0.0) & (share < 1.0), share, np.nan)


def speed_ceiling(kv_share: ArrayLike) -> np.ndarray:
    """S_max = 1 / (1 − φ) = 1 + φ / (1 − φ) (eq. fm-ceiling): the most a memory-bound standard step whose
    time is a share φ KV reads can be sped up by shrinking the batch (B_f → 0 leaves only t_w)."""
    phi = np.asarray(kv_share, dtype=float)
    if np.any((phi < 0) | (phi > 1)):
        raise ValueError(f"KV share must lie in [0, 1]; got {phi!r}")
    with np.errstate(divide="ignore"):
        return 1.0 / (1.0 - phi)


def price_ratio_for(speed_ratio: ArrayLike, kv_share: ArrayLike) -> np.ndarray:
    """P(S, φ): the price ratio a batch-only fast mode needs for speed ratio S when the standard step is a
    share φ KV reads (both memory bound). Inverts eq. fm-share: P·S = 1 / (1 − (1 − 1/S)/φ).

    NaN where S ≥ 1 / (1 − φ): no batch, however small, is that fast.
    """
    s = np.asarray(speed_ratio, dtype=float)
    phi = np.asarray(kv_share, dtype=float)
    if np.any(s < 1):
        raise ValueError(f"speed ratio must be ≥ 1; got {s!r}")
    if np.any((phi <= 0) | (phi > 1)):
        raise ValueError(f"KV share must lie in (0, 1]; got {phi!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = 1.0 - (1.0 - 1.0 / s) / phi
        beta = 1.0 / denominator
    return np.where(denominator > 0, beta / s, np.nan)


# --------------------------------------------------------------------------------------------------
# The inverse problem on a hardware and model


@dataclass(frozen=True)
class InverseSolution:
    """The standard operating point that makes (price ratio, speed ratio) follow from batch size alone.

    Arrays broadcast over the inputs. ``branch`` is ``"memory"`` (both steps memory bound),
    ``"compute"`` (standard compute bound, fast memory bound), ``"both compute"`` (P = 1: any batch
    between the two) or ``"infeasible"``; ``reason`` says why a pair is infeasible ("" otherwise).
    """

    price_ratio: np.ndarray
    speed_ratio: np.ndarray
    batch_ratio: np.ndarray          # B_s / B_f = P · S
    standard_batch: np.ndarray       # B_s (sequences); NaN when infeasible
    fast_batch: np.ndarray           # B_f = B_s / (P · S)
    standard_step_s: np.ndarray      # t(B_s)
    fast_step_s: np.ndarray          # t(B_f)
    kv_share: np.ndarray             # B_s k / t(B_s): KV reads as a share of the standard step
    weight_share: np.ndarray         # t_w / t(B_s)
    branch: np.ndarray
    reason: np.ndarray

    @property
    def feasible(self) -> np.ndarray:
        return self.branch != "infeasible"


def step_time_s(batch: ArrayLike, weights_s: ArrayLike, kv_per_sequence_s: ArrayLike,
                compute_per_sequence_s: ArrayLike) -> np.ndarray:
    """t(B) = max(B · ζ, t_w + B · κ) (eq. fm-step), the decode roofline in per-sequence terms."""
    b = np.asarray(batch, dtype=float)
    return np.maximum(b * np.asarray(compute_per_sequence_s, dtype=float),
                      np.asarray(weights_s, dtype=float) + b * np.asarray(kv_per_sequence_s, dtype=float))


def solve_standard_batch(price_ratio: ArrayLike, speed_ratio: ArrayLike, weights_s: ArrayLike,
                         kv_per_sequence_s: ArrayLike, compute_per_sequence_s: ArrayLike,
                         min_fast_batch: float = 1.0) -> InverseSolution:
    """Solve S = t(B_s) / t(B_s / β), β = P · S, for the standard batch B_s (vectorised, closed form).

    S(B_s) is continuous and non-decreasing, from 1 toward β, so there is one solution per branch:

    - memory (both memory bound, B_s ≤ B_sweet):  B_s = (S − 1) · t_w / (κ · (1 − S/β))
    - compute (standard compute bound, fast memory bound):  B_s = S · t_w / (ζ − S · κ / β)
    - both compute (S = β, P = 1): the smallest such B_s, β · B_sweet

    with B_sweet = t_w / (ζ − κ) (∞ when ζ ≤ κ: no batch is compute bound). Infeasible: P < 1 (no
    smaller batch makes a token cheaper), S < 1, or a fast batch below ``min_fast_batch`` sequences.
    """
    p, s = _ratios(price_ratio, speed_ratio)
    tw = np.asarray(weights_s, dtype=float)
    k = np.asarray(kv_per_sequence_s, dtype=float)
    c = np.asarray(compute_per_sequence_s, dtype=float)
    if np.any(tw <= 0) or np.any(k < 0) or np.any(c <= 0):
        raise ValueError("weights_s and compute_per_sequence_s must be > 0 and kv_per_sequence_s ≥ 0")
    p, s, tw, k, c = np.broadcast_arrays(p, s, tw, k, c)
    beta = p * s
    with np.errstate(divide="ignore", invalid="ignore"):
        sweet = np.where(c > k, tw / np.where(c > k, c - k, 1.0), np.inf)
        memory = np.where((k > 0) & (s < beta), (s - 1.0) * tw / (k * (1.0 - s / beta)), np.inf)
        memory = np.where(s == 1.0, 0.0, memory)
        compute_den = c - s * k / beta
        compute = np.where(compute_den > 0, s * tw / np.where(compute_den > 0, compute_den, 1.0), np.inf)
    both = np.isclose(s, beta, rtol=1e-12) & np.isfinite(sweet)
    in_memory = memory <= sweet
    standard = np.where(in_memory, memory, np.where(both, beta * sweet, compute))
    branch = np.where(in_memory, "memory", np.where(both, "both compute", "compute")).astype(object)
    reason = np.full(p.shape, "", dtype=object)
    bad_price = p < 1.0 - 1e-12
    bad_speed = s < 1.0
    unreachable = ~np.isfinite(standard)
    fast = standard / beta
    too_small = np.isfinite(standard) & (fast < min_fast_batch)
    reason = np.where(too_small, f"fast batch below {min_fast_batch:g} sequence", reason)
    reason = np.where(unreachable, "no batch gives this speed ratio at this price", reason)
    reason = np.where(bad_speed, "speed ratio below 1: not a fast mode", reason)
    reason = np.where(bad_price, "price ratio below 1: a smaller batch never makes a token cheaper", reason)
    infeasible = bad_price | bad_speed | unreachable | too_small
    branch = np.where(infeasible, "infeasible", branch)
    standard = np.where(infeasible, np.nan, standard)
    fast = standard / beta
    t_s = step_time_s(standard, tw, k, c)
    t_f = step_time_s(fast, tw, k, c)
    with np.errstate(invalid="ignore", divide="ignore"):
        kv_share = standard * k / t_s
        weight_share = tw / t_s
    return InverseSolution(p, s, beta, standard, fast, t_s, t_f, kv_share, weight_share, branch, reason)


@dataclass(frozen=True)
class PerSequenceTimes:
    """The roofline's per-sequence constants for one replica (seconds): t_w, k(L), c; and n."""

    chips: int
    weights_s: float
    kv_per_sequence_s: np.ndarray
    compute_per_sequence_s: float

    @property
    def sweet_batch(self) -> np.ndarray:
        """B where c · B = t_w + k · B; ∞ when c ≤ k."""
        c, k = self.compute_per_sequence_s, self.kv_per_sequence_s
        with np.errstate(divide="ignore"):
            return np.where(c > k, self.weights_s / np.where(c > k, c - k, 1.0), np.inf)


def per_sequence_times(hardware: Hardware, model: Model, context: ArrayLike, precision: str = "bf16",
                       kv_precision: str = "bf16", chips: int | None = None) -> PerSequenceTimes:
    """t_w, k = kv(L) / (n W_hbm) and c = 2 N_active / (n F) from :mod:`lib.roofline` (n defaults to the
    fewest chips holding the weights; the ratios S and P do not depend on n)."""
    n = chips if chips is not None else min_chips_for_weights(model, hardware, precision)
    if n < 1:
        raise ValueError(f"chips must be ≥ 1; got {n}")
    tw = weight_read_time_s(model.total_params, bytes_per_element(precision), hardware.hbm_bandwidth_Bps, n)
    k = kv_read_time_s(1.0, model.kv_cache_bytes(np.asarray(context, dtype=float), kv_precision),
                       hardware.hbm_bandwidth_Bps, n)
    c = float(compute_time_s(1.0, model.active_params, hardware.flops(precision), n))
    return PerSequenceTimes(n, tw, k, c)


def inverse_problem(hardware: Hardware, model: Model, context: ArrayLike, price_ratio: ArrayLike,
                    speed_ratio: ArrayLike, precision: str = "bf16", kv_precision: str = "bf16",
                    chips: int | None = None) -> InverseSolution:
    """:func:`solve_standard_batch` with t_w, k(L), c of ``model`` on ``hardware`` at ``context``."""
    times = per_sequence_times(hardware, model, context, precision, kv_precision, chips)
    return solve_standard_batch(price_ratio, speed_ratio, times.weights_s, times.kv_per_sequence_s,
                                times.compute_per_sequence_s)


def mode_ratios(hardware: Hardware, model: Model, standard_batch: ArrayLike, fast_batch: ArrayLike,
                context: ArrayLike, precision: str = "bf16", kv_precision: str = "bf16",
                chips: int | None = None, fast_chips: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The forward problem through :func:`lib.roofline.blackboard_decode_step`: (speed ratio, price ratio) of a fast
    mode at ``fast_batch`` (on ``fast_chips``, default the same replica) against a standard mode at
    ``standard_batch``, both at ``context``. Price ratio = ratio of accelerator-seconds per token."""
    standard = blackboard_decode_step(hardware, model, standard_batch, context, precision, kv_precision, chips)
    fast = blackboard_decode_step(hardware, model, fast_batch, context, precision, kv_precision,
                       fast_chips if fast_chips is not None else standard.chips)
    return standard.step_s / fast.step_s, fast.chip_seconds_per_token / standard.chip_seconds_per_token


def replica_chips_for(hardware: Hardware, model: Model, batch: ArrayLike, context: ArrayLike,
                      precision: str = "bf16", kv_precision: str = "bf16") -> np.ndarray:
    """The blackboard's replica for a batch: the fewest accelerators whose whole HBM (no reserve) holds the
    weights in one ``precision`` plus ``batch`` sequences of KV at ``context`` — lib.roofline's one capacity model
    (:func:`lib.roofline.chips_to_fit`) with the blackboard's settings (NaN batch gives NaN)."""
    b = np.asarray(batch, dtype=float)
    p = Precisions(precision, precision, kv_precision)
    chips = chips_to_fit(model, hardware, np.where(np.isnan(b), 0.0, b), context, p, reserve_fraction=0.0)
    return np.where(np.isnan(b), np.nan, chips)


# --------------------------------------------------------------------------------------------------
# Alternatives: more chips per replica, speculative decoding


def chips_only_efficiency(price_ratio: ArrayLike, speed_ratio: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """A fast mode that keeps the batch and spreads the replica over m× the chips, with parallel efficiency
    e (speed S = m · e): cost per token scales by m / S, so P = 1 / e and m = P · S.

    Returns (chip multiple m, efficiency e). The ideal roofline (e = 1) gives P = 1; a 6× price at 2.5× speed
    by chips alone means 15× the chips at 1/6 efficiency.
    """
    p, s = _ratios(price_ratio, speed_ratio)
    return p * s, 1.0 / p


def speculative_step_ratio(speed_ratio: ArrayLike, accepted_tokens_per_step: ArrayLike) -> np.ndarray:
    """Speculative decoding in the fast mode only, emitting α tokens per step on average (α ≥ 1): the step
    itself need only be S / α times shorter than the standard step. P · S (the occupancy) is unchanged; the
    smaller step ratio means a smaller batch cut. Ignores the draft model's cost and the verifier's extra
    compute (α + drafts tokens per sequence per step), both small while the fast step is memory bound."""
    s = np.asarray(speed_ratio, dtype=float)
    a = np.asarray(accepted_tokens_per_step, dtype=float)
    if np.any(a < 1):
        raise ValueError(f"accepted tokens per step must be ≥ 1; got {a!r}")
    return s / a


def kv_share_with_speculation(price_ratio: ArrayLike, speed_ratio: ArrayLike,
                              accepted_tokens_per_step: ArrayLike) -> np.ndarray:
    """φ needed when the fast mode also speculates (α tokens per step): eq. fm-share with the step ratio
    S / α in place of S and the same occupancy P · S, i.e. φ = (1 − α/S) / (1 − 1/(P S)). 0 when α ≥ S
    (speculation alone gives the speed; the batch cut only sets the price)."""
    p, s = _ratios(price_ratio, speed_ratio)
    step_ratio = np.maximum(speculative_step_ratio(s, accepted_tokens_per_step), 1.0)
    return memory_bound_kv_share(p * s / step_ratio, step_ratio)


# --------------------------------------------------------------------------------------------------
# Slow mode


def plateau_chip_seconds_per_token(hardware: Hardware, model: Model, context: ArrayLike, precision: str = "bf16",
                                   kv_precision: str = "bf16") -> np.ndarray:
    """The large-batch limit of cost per token (eq. fm-plateau): max(2 N_active / F, kv(L) / W_hbm)
    accelerator-seconds. No batch goes below it: compute and each sequence's own KV reads do not amortise."""
    compute = 2.0 * model.active_params / hardware.flops(precision)
    kv = model.kv_cache_bytes(np.asarray(context, dtype=float), kv_precision) / hardware.hbm_bandwidth_Bps
    return np.maximum(compute, kv)


def reference_batch(hardware: Hardware, model: Model, precision: str = "bf16", headroom: float = 1.0) -> float:
    """The standard mode's batch for the Slow Mode comparison: ``headroom`` × B* (B* from
    :func:`lib.roofline.optimal_batch`, compute time = weight-read time, KV ignored)."""
    if headroom <= 0:
        raise ValueError(f"headroom must be > 0; got {headroom}")
    b_star = float(optimal_batch(hardware.flops(precision), hardware.hbm_bandwidth_Bps, model.sparsity,
                                 bytes_per_element(precision)))
    return max(1.0, headroom * b_star)


def slow_mode_saving(hardware: Hardware, model: Model, context: ArrayLike, headroom: float = 1.0,
                     precision: str = "bf16", kv_precision: str = "bf16") -> np.ndarray:
    """The most a Slow Mode saves per token: 1 − plateau / cost(B_ref), B_ref = headroom · B* (eq. fm-slow).

    At B_ref = B* the cost is c + k and the plateau max(c, k), so the saving is min(c, k) / (c + k) ≤ 1/2,
    with the maximum where one sequence's KV reads take as long as its arithmetic (L = L_max).
    """
    batch = reference_batch(hardware, model, precision, headroom)
    step = blackboard_decode_step(hardware, model, batch, context, precision, kv_precision, chips=1)
    plateau = plateau_chip_seconds_per_token(hardware, model, context, precision, kv_precision)
    return 1.0 - plateau / step.chip_seconds_per_token


# ==================================================================================================
# The refined step model (lib.roofline): one standard mode, the fast-mode forward and inverse problems,
# the latency floor, and the Slow Mode against batch APIs and a daily load curve.
# ==================================================================================================

#: The share of a replica's usable HBM (after the reserve) that its weights fill in the standard mode; the
#: KV cache of as many sequences as fit fills the rest. One assumption for both serving chapters
#: (``fast-mode`` and ``prices-leak``): a replica sized for weights alone has w = 1 and no room for a batch;
#: DeepSeek's production decode spreads 671 GB of fp8 weights over 144 H800s (w ≈ 6%); Llama 3.1 70B in bf16
#: on 8 H100s has w ≈ 25%, on 4 H100s w ≈ 49%.
WEIGHT_SHARE = Assumption(
    "weight share of usable HBM", 0.5, 0.1, 0.8, "",
    source="book assumption (half weights, half KV); range from tensor-parallel replicas of a few GPUs (≈ 0.5) "
           "to wide expert-parallel decode (DeepSeek's inference system, 2025: ≈ 0.06)")

#: The KV-cache format of the standard mode: fp8 KV caches are standard in vLLM and SGLang.
STANDARD_KV_FORMAT = "fp8"

#: Per-collective latency on the scale-up network, kernel launch included (seconds). Measured: an 8-byte
#: all-reduce over 8 A100s (DGX A100, NCCL ring, one channel, no CUDA graph) took 33.7 µs
#: (github.com/NVIDIA/nccl-tests/issues/123); a small all-reduce over 2 H100s of an HGX node with NVLink
#: SHARP and CUDA graphs ≈ 6 µs (github.com/NVIDIA/nccl/issues/1259). 15 µs is a mid value.
COLLECTIVE_LATENCY = Assumption(
    "latency per collective", 15e-6, 5e-6, 30e-6, "s",
    source="NCCL measurements: 33.7 µs (8 × A100, ring, no CUDA graph; nccl-tests issue 123), ≈ 6 µs "
           "(2 × H100, NVLS, CUDA graph; nccl issue 1259)")

#: Collectives per layer in a sharded decode step: an all-reduce after attention and one after the FFN (tensor
#: parallel), or a dispatch and a combine all-to-all (expert parallel).
COLLECTIVES_PER_LAYER = 2


# --------------------------------------------------------------------------------------------------
# One standard mode for both serving chapters


@dataclass(frozen=True)
class StandardMode:
    """The standard operating point: ``chips`` accelerators whose usable HBM the weights fill to a share w,
    decoding ``batch`` sequences at ``context`` (arrays over context), the most whose KV caches fit beside the
    weights. ``batch`` is 0 where not one sequence fits."""

    hardware: Hardware
    model: Model
    precisions: Precisions
    weight_share: float
    chips: int
    context: np.ndarray
    batch: np.ndarray
    reserve_fraction: float = HBM_RESERVE_FRACTION

    @property
    def feasible(self) -> np.ndarray:
        """True where at least one sequence fits."""
        return self.batch >= 1

    def step(self) -> Step:
        """The decode step at the standard batch (batch 1 where none fits: check :attr:`feasible`)."""
        return decode_step(self.hardware, self.model, np.maximum(self.batch, 1.0), self.context, self.precisions,
                           chips=self.chips, reserve_fraction=self.reserve_fraction)

    @property
    def chip_seconds_per_token(self) -> np.ndarray:
        """Cost of a decode token, n · t_step / B (accelerator-seconds); NaN where no sequence fits."""
        return np.where(self.feasible, self.step().chip_seconds_per_token, np.nan)


def standard_mode(hardware: Hardware, model: Model, context: ArrayLike, weight_share: float = WEIGHT_SHARE.value,
                  precision: str | Precisions | None = None, kv_precision: str | None = STANDARD_KV_FORMAT,
                  reserve_fraction: float = HBM_RESERVE_FRACTION) -> StandardMode:
    """The standard mode of both serving chapters (eq. fm-standard):

        n = max(n_weights, ⌈N_bytes / (w · (1 − r_hbm) · C_hbm)⌉),      B = ⌊((1 − r_hbm) n C_hbm − N_bytes) / kv(L)⌋

    with N_bytes the weights in their storage formats (the model's release formats by default) and kv(L) one
    sequence's cache at context L (fp8 by default). Vectorised over ``context``.
    """
    if not 0.0 < weight_share <= 1.0:
        raise ValueError(f"weight_share must lie in (0, 1]; got {weight_share}")
    p = as_precisions(model, precision, kv_precision)
    from .roofline import weight_storage_bytes

    n_weights = int(chips_to_fit(model, hardware, 0.0, 0.0, p, reserve_fraction))
    usable = (1.0 - reserve_fraction) * hardware.hbm_capacity_bytes
    n = max(n_weights, math.ceil(weight_storage_bytes(model, p) / (weight_share * usable) - 1e-9))
    ctx = np.asarray(context, dtype=float)
    batch = max_batch(model, hardware, n, ctx, p, reserve_fraction)
    return StandardMode(hardware, model, p, weight_share, n, ctx, np.asarray(batch, dtype=float), reserve_fraction)


# --------------------------------------------------------------------------------------------------
# The latency floor of a sharded step


def collective_latency_floor_s(layers: int, chips: ArrayLike, per_collective_s: float = COLLECTIVE_LATENCY.value,
                               collectives_per_layer: int = COLLECTIVES_PER_LAYER) -> np.ndarray:
    """t_floor = [n > 1] · layers · c · t_coll (eq. fm-floor): the latency of the collectives a sharded decode
    step runs one after another, whatever its batch and however many chips share it (seconds).

    The per-collective figure is a measured small-message latency (:data:`COLLECTIVE_LATENCY`); it stands in
    for a topology-aware model (switch, torus, hop count) that :mod:`lib.parallelism` can supply later.
    """
    if layers < 1 or collectives_per_layer < 0 or per_collective_s < 0:
        raise ValueError("layers must be ≥ 1, collectives_per_layer and per_collective_s ≥ 0")
    n = np.asarray(chips, dtype=float)
    if np.any(n < 1):
        raise ValueError(f"chips must be ≥ 1; got min {n.min():g}")
    return np.where(n > 1, layers * collectives_per_layer * per_collective_s, 0.0)


def decode_time_s(hardware: Hardware, model: Model, batch: ArrayLike, context: ArrayLike, chips: int,
                  precision: str | Precisions | None = None, kv_precision: str | None = STANDARD_KV_FORMAT,
                  latency_floor_s: float = 0.0) -> np.ndarray:
    """The refined decode step time t(B) on ``chips`` accelerators (per-operation roofline of
    :func:`lib.roofline.decode_step`) plus a latency floor (seconds); broadcasts over batch and context."""
    step = decode_step(hardware, model, batch, context, precision, kv_precision, chips=chips)
    return step.step_s + latency_floor_s


def max_user_tokens_per_s(hardware: Hardware, model: Model, context: ArrayLike, chips: ArrayLike,
                          precision: str | Precisions | None = None, kv_precision: str | None = STANDARD_KV_FORMAT,
                          per_collective_s: float = COLLECTIVE_LATENCY.value) -> np.ndarray:
    """The fastest a single sequence decodes on ``chips`` accelerators: 1 / (t(B = 1) + t_floor(n)) (eq.
    fm-ceiling-refined). The roofline part shrinks as 1/n; the floor does not, so no replica beats
    1 / t_floor. Broadcasts over context and chips."""
    n = np.asarray(chips, dtype=float)
    one_chip = decode_step(hardware, model, 1.0, context, precision, kv_precision, chips=1).step_s
    floor = collective_latency_floor_s(model.layers, n, per_collective_s)
    return 1.0 / (one_chip / n + floor)


# --------------------------------------------------------------------------------------------------
# The fast mode on the refined model


@dataclass(frozen=True)
class FastModeForRefined:
    """What a fast mode of speed ratio S costs, starting from a standard batch B_s (arrays broadcast).

    ``fast_batch`` is NaN where even one sequence is not S× faster (S beyond t(B_s) / t(1)).
    """

    standard_batch: np.ndarray
    fast_batch: np.ndarray
    speed_ratio: np.ndarray
    price_ratio: np.ndarray      # P = (B_s / B_f) / S (eq. fm-product)
    standard_step_s: np.ndarray
    fast_step_s: np.ndarray
    speed_ceiling: np.ndarray    # t(B_s) / t(1): the most a batch cut can give

    @property
    def feasible(self) -> np.ndarray:
        return np.isfinite(self.fast_batch)


def price_for_speed(hardware: Hardware, model: Model, standard_batch: ArrayLike, context: ArrayLike,
                    speed_ratio: ArrayLike, chips: int, precision: str | Precisions | None = None,
                    kv_precision: str | None = STANDARD_KV_FORMAT, latency_floor_s: float = 0.0,
                    iterations: int = 60) -> FastModeForRefined:
    """The forward problem on the refined model: the fast batch B_f with t(B_f) = t(B_s) / S, found by
    bisection on log B (t never decreases with B), and the price ratio P = (B_s / B_f) / S it implies under
    cost-based pricing on the same replica (eq. fm-product). Vectorised over every argument but ``chips``.

    Batches are continuous (a batch of 2.4 is an average over steps). NaN where S > t(B_s) / t(1).
    """
    b_s, ctx, s = _speed_arguments(standard_batch, context, speed_ratio)

    def t(batch):
        return decode_time_s(hardware, model, batch, ctx, chips, precision, kv_precision, latency_floor_s)

    return _fast_batch_by_bisection(t, b_s, s, iterations)


def _speed_arguments(standard_batch: ArrayLike, context: ArrayLike, speed_ratio: ArrayLike):
    """(B_s, L, S) as broadcast float arrays; B_s ≥ 1 and S ≥ 1 or a ValueError."""
    b_s = np.asarray(standard_batch, dtype=float)
    s = np.asarray(speed_ratio, dtype=float)
    if np.any(b_s < 1) or np.any(s < 1):
        raise ValueError("standard batch and speed ratio must be ≥ 1")
    return np.broadcast_arrays(b_s, np.asarray(context, dtype=float), s)


def _fast_batch_by_bisection(t, b_s: np.ndarray, s: np.ndarray, iterations: int) -> FastModeForRefined:
    """B_f in [1, B_s] with t(B_f) = t(B_s) / S, for a step time t(B) that never decreases with B."""
    t_s = t(b_s)
    t_one = t(np.ones_like(b_s))
    target = t_s / s
    ok = t_one <= target * (1 + 1e-12)
    lo, hi = np.zeros_like(b_s), np.log(b_s)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        fast_enough = t(np.exp(mid)) <= target
        lo = np.where(fast_enough, mid, lo)
        hi = np.where(fast_enough, hi, mid)
    b_f = np.where(ok, np.exp(lo), np.nan)
    with np.errstate(invalid="ignore"):
        price = b_s / b_f / s
        t_f = np.where(ok, t(np.where(ok, b_f, 1.0)), np.nan)
    return FastModeForRefined(b_s, b_f, s, price, t_s, t_f, t_s / t_one)


def blackboard_formats(model: Model, hardware: Hardware) -> tuple[str, str]:
    """The blackboard's one weight precision (b_w and F) and KV format closest to the standard mode's: the
    chip's format for the model's bulk (expert) weights where it has one, else bf16; the standard KV format.
    With them the blackboard and the refined model hold the same bytes, so their ceilings compare."""
    native = native_compute_format(model.expert_weights_format if model.is_moe else model.weights_format)
    return (native if hardware.supports(native) else "bf16"), STANDARD_KV_FORMAT


def blackboard_price_for_speed(hardware: Hardware, model: Model, standard_batch: ArrayLike, context: ArrayLike,
                               speed_ratio: ArrayLike, precision: str = "bf16", kv_precision: str = "bf16",
                               iterations: int = 60) -> FastModeForRefined:
    """:func:`price_for_speed` on the blackboard's step (eq. fm-step): every weight read at every batch, so
    the ceiling is t(B_s) / t(1) ≈ 1 / (1 − φ) and a replica that only holds its weights gets no speed."""
    b_s, ctx, s = _speed_arguments(standard_batch, context, speed_ratio)

    def t(batch):
        return blackboard_decode_step(hardware, model, batch, ctx, precision, kv_precision, chips=1).step_s

    return _fast_batch_by_bisection(t, b_s, s, iterations)


@dataclass(frozen=True)
class OfferSolution:
    """One standard batch that makes a published (P, S) a batch effect on the refined model.

    ``chips_to_hold`` is the fewest accelerators whose usable HBM holds the weights and the standard batch's
    KV cache; ``fits_domain`` whether that many fit one scale-up domain. ``saved`` splits the time the batch cut
    saves, t(B_s) − t(B_f), between fewer routed experts read (``experts``), attention over the context
    (``context``: KV reads and attention arithmetic) and the dense weights and their arithmetic (``dense``).
    """

    standard_batch: float
    fast_batch: float
    chips_to_hold: int
    fits_domain: bool
    saved: dict[str, float]

    @property
    def lever(self) -> str:
        """The part of the step whose shrinking gives most of the speed."""
        return max(self.saved, key=self.saved.get)


def _saved_shares(hardware: Hardware, model: Model, b_s: float, b_f: float, context: float, chips: int,
                  precision, kv_precision) -> dict[str, float]:
    bw = hardware.hbm_bandwidth_Bps
    big = decode_step(hardware, model, b_s, context, precision, kv_precision, chips=chips)
    small = decode_step(hardware, model, b_f, context, precision, kv_precision, chips=chips)
    groups = {"experts": ("routed_experts",), "context": ("attention_core",),
              "dense": ("attention_projections", "dense_ffn", "shared_experts", "lm_head")}
    saved = {g: float(sum(big.operations[o].time_s(chips, bw) - small.operations[o].time_s(chips, bw) for o in ops))
             for g, ops in groups.items()}
    total = sum(saved.values())
    return {g: v / total if total > 0 else 0.0 for g, v in saved.items()}


def standard_batches_for_offer(hardware: Hardware, model: Model, context: float, price_ratio: float,
                               speed_ratio: float, precision: str | Precisions | None = None,
                               kv_precision: str | None = STANDARD_KV_FORMAT, max_standard_batch: float = 1e6,
                               grid_points: int = 241, refinements: int = 3) -> list[OfferSolution]:
    """Every standard batch B_s ≤ ``max_standard_batch`` at which a batch cut gives speed S at price P on the
    refined model: the roots of P(B_s) − P from :func:`price_for_speed`, bracketed on a log grid and narrowed
    by subdividing every bracket (32 steps, ``refinements`` times, all brackets at once). On the refined model
    P(B_s) need not be monotonic: for a MoE model a small batch touches few experts, so a cut from a moderate
    batch can be fast and cheap. The ratios do not depend on the number of chips (every time scales as 1/n),
    so the solutions do not either; ``chips_to_hold`` says what replica each one needs. An empty list: no
    batch gives the pair."""
    p = as_precisions(model, precision, kv_precision)

    def excess(b):
        return price_for_speed(hardware, model, b, context, speed_ratio, 1, p).price_ratio - price_ratio

    grid = np.logspace(np.log10(max(speed_ratio, 1.0)), np.log10(max_standard_batch), grid_points)
    values = excess(grid)
    crossing = np.isfinite(values[:-1]) & np.isfinite(values[1:]) & (np.sign(values[:-1]) != np.sign(values[1:]))
    lo, hi = np.log(grid[:-1][crossing]), np.log(grid[1:][crossing])
    steps = np.linspace(0.0, 1.0, 33)
    for _ in range(refinements):
        if lo.size == 0:
            break
        sub = lo[:, None] + (hi - lo)[:, None] * steps[None, :]
        v = excess(np.exp(sub))
        change = np.argmax(np.sign(v[:, :-1]) != np.sign(v[:, 1:]), axis=1)
        rows = np.arange(lo.size)
        lo, hi = sub[rows, change], sub[rows, change + 1]
    out = []
    for b_s in np.exp(0.5 * (lo + hi)):
        fast = price_for_speed(hardware, model, float(b_s), context, speed_ratio, 1, p)
        b_f = float(fast.fast_batch)
        n = int(chips_to_fit(model, hardware, float(b_s), context, p))
        out.append(OfferSolution(float(b_s), b_f, n, n <= hardware.scale_up_domain_size,
                                 _saved_shares(hardware, model, float(b_s), b_f, context, n, p, None)))
    return out


# --------------------------------------------------------------------------------------------------
# Slow mode on the refined model, batch APIs and the daily load curve

#: A batch large enough that the weight reads per token are negligible: the plateau of cost per token.
PLATEAU_BATCH = 1e9


def refined_plateau_chip_seconds_per_token(hardware: Hardware, model: Model, context: ArrayLike,
                                           precision: str | Precisions | None = None,
                                           kv_precision: str | None = STANDARD_KV_FORMAT) -> np.ndarray:
    """The large-batch limit of cost per token on the refined model (accelerator-seconds): each operation's
    roofline per token once every expert is touched and the weight reads are shared by 10⁹ sequences. It
    does not depend on the replica size (times scale as 1/n); capacity sets how many chips hold the batch."""
    return decode_step(hardware, model, PLATEAU_BATCH, context, precision, kv_precision,
                       chips=1).chip_seconds_per_token


def refined_slow_mode_saving(standard: StandardMode) -> np.ndarray:
    """1 − plateau / cost(standard mode): the most a Slow Mode saves per token by batching without limit past
    the standard mode (more chips hold the larger batch). NaN where the standard mode holds no sequence."""
    plateau = refined_plateau_chip_seconds_per_token(standard.hardware, standard.model, standard.context,
                                                     standard.precisions)
    return np.maximum(0.0, 1.0 - plateau / standard.chip_seconds_per_token)  # ≥ 0 up to rounding


BATCH_OFFERS_SCHEMA = register_schema(TableSchema(
    file="batch_offers.csv",
    columns=(
        Column("name", "str"),
        Column("provider", "str"),
        Column("price_multiplier", positive=True, meaning="batch price per token ÷ standard price, ≤ 1", plausible=Plausible(0.01, 1, "×", ())),
        Column("applies_to", "str", meaning="which tokens the discount covers"),
        Column("completion_window_h", positive=True, meaning="hours within which a batch completes", plausible=Plausible(0.1, 336, "hours", ())),
        Column("as_of", "str", meaning="YYYY, YYYY-MM or YYYY-MM-DD"),
        Column("source", "str"),
        provenance_column(),
        Column("notes", "str", required=False),
    ),
    row_checks=(as_of_is_a_date,
                lambda row: [("price_multiplier", row["price_multiplier"], "a multiplier ≤ 1 (a discount)")]
                if row["price_multiplier"] is not None and row["price_multiplier"] > 1 else []),
))


@dataclass(frozen=True)
class BatchOffer:
    """A provider's asynchronous batch API: price per token as a multiple of its standard (synchronous) price."""

    name: str
    provider: str
    price_multiplier: float
    applies_to: str
    completion_window_h: float
    as_of: str
    source: str
    notes: str

    @property
    def discount(self) -> float:
        return 1.0 - self.price_multiplier


def load_batch_offers(data_dir: Path | str | None = None) -> list[BatchOffer]:
    """Rows of ``batch_offers.csv`` (the reader's directory, else the book's)."""
    rows = read_table(BATCH_OFFERS_SCHEMA, table_dir(BATCH_OFFERS_SCHEMA.file, data_dir))
    return [BatchOffer(r["name"], r["provider"], float(r["price_multiplier"]), r["applies_to"],
                       float(r["completion_window_h"]), r["as_of"], r["source"], r["notes"] or "") for r in rows]


#: The daily swing of interactive demand: load(t) = 1 + a · cos(2π (t − t_peak) / 24 h), a the amplitude.
DAILY_SWING = Assumption(
    "daily demand swing (amplitude a)", 0.5, 0.2, 0.9, "",
    source="assumption: interactive traffic peaks in the working day; no provider publishes an hourly token "
           "series (production traces show diurnal cycles, e.g. Azure's in DynamoLLM, arXiv 2408.00741)")

HOURS = np.arange(24.0)


def daily_load_curve(amplitude: ArrayLike, hours: ArrayLike = HOURS, peak_hour: float = 14.0) -> np.ndarray:
    """Interactive demand over a day relative to its mean: 1 + a · cos(2π (h − h_peak) / 24), clipped at 0."""
    a = np.asarray(amplitude, dtype=float)
    if np.any(a < 0):
        raise ValueError(f"amplitude must be ≥ 0; got {a!r}")
    h = np.asarray(hours, dtype=float)
    return np.maximum(0.0, 1.0 + a[..., None] * np.cos(2 * np.pi * (h - peak_hour) / 24.0))


def daily_load_utilisation(load: ArrayLike) -> np.ndarray:
    """f_load = mean / peak of a load curve (last axis): the share of capacity sized for the peak that the
    interactive load keeps busy. For 1 + a cos(·) with a ≤ 1, f_load = 1 / (1 + a)."""
    x = np.asarray(load, dtype=float)
    if np.any(x < 0) or np.any(x.max(axis=-1) <= 0):
        raise ValueError("a load curve must be ≥ 0 with a positive peak")
    return x.mean(axis=-1) / x.max(axis=-1)


def trough_fill_price_ratio(utilisation: ArrayLike, roofline_saving: ArrayLike = 0.0) -> np.ndarray:
    """Batch price ÷ standard price when each class pays its cost (eq. sm-fill): capacity sized for the
    interactive peak costs C a day; interactive tokens use a share f_load of it, so cost C / (f_load K) per token; batch
    tokens fill the idle share and, served at full utilisation, cost C / K; a larger batch also cuts the cost
    per token by the roofline saving s_batch. Ratio = f_load · (1 − s_batch)."""
    u = np.asarray(utilisation, dtype=float)
    s = np.asarray(roofline_saving, dtype=float)
    if np.any((u <= 0) | (u > 1)) or np.any((s < 0) | (s >= 1)):
        raise ValueError("utilisation must lie in (0, 1] and the roofline saving in [0, 1)")
    return u * (1.0 - s)


def implied_interactive_utilisation(batch_price_ratio: ArrayLike, roofline_saving: ArrayLike = 0.0) -> np.ndarray:
    """The interactive utilisation u that makes a batch price ratio cost-based (eq. sm-fill inverted):
    u = ratio / (1 − s). A value of 1 or more means the roofline saving s alone covers the discount (no idle
    capacity needed)."""
    r = np.asarray(batch_price_ratio, dtype=float)
    s = np.asarray(roofline_saving, dtype=float)
    if np.any((r <= 0) | (r > 1)) or np.any((s < 0) | (s >= 1)):
        raise ValueError("the batch price ratio must lie in (0, 1] and the roofline saving in [0, 1)")
    return r / (1.0 - s)


def speed_of_batch_cut(hardware: Hardware, model: Model, standard_batch: ArrayLike, context: ArrayLike,
                       batch_ratio: ArrayLike, precision: str | Precisions | None = None,
                       kv_precision: str | None = STANDARD_KV_FORMAT, latency_floor_s: float = 0.0,
                       chips: int = 1) -> np.ndarray:
    """S = t(B_s) / t(B_s / β) on the refined model: the speed a β-fold batch cut gives from B_s (the price
    ratio it implies is β / S). NaN where the fast batch would fall below one sequence."""
    b_s = np.asarray(standard_batch, dtype=float)
    beta = np.asarray(batch_ratio, dtype=float)
    if np.any(beta < 1):
        raise ValueError(f"batch ratio must be ≥ 1; got {beta!r}")
    b_f = b_s / beta
    ok = b_f >= 1
    t_s = decode_time_s(hardware, model, b_s, context, chips, precision, kv_precision, latency_floor_s)
    t_f = decode_time_s(hardware, model, np.where(ok, b_f, 1.0), context, chips, precision, kv_precision,
                        latency_floor_s)
    return np.where(ok, t_s / t_f, np.nan)
