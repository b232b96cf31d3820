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
the ratio of the hardware each occupies (B_s / B_f here; n_f / n_s · B_s / B_f if the fast mode also uses
more chips). With both steps memory bound, write φ = B_s k / t(B_s) for the KV share of the standard step:

    1 / S = (1 − φ) + φ / (P S)      ⇒      φ = (1 − 1/S) / (1 − 1/(P S))       (eq. fm-share)

and however small the fast batch, S < t(B_s) / t_w = 1 / (1 − φ) (the weight-read floor, eq. fm-ceiling).
:func:`solve_standard_batch` solves the general case, compute-bound branch included, in closed form per
branch and vectorised over every argument.

The Slow Mode bound: past the batch B* where compute time equals weight-read time, the cost per token
can fall at most to the plateau max(c, k) · n (eq. fm-plateau); at B* it is (c + k) · n, so batching
further saves at most min(c, k) / (c + k) ≤ 1/2 of the cost (eq. fm-slow).

All quantities are SI (seconds, bytes, FLOP/s); ratios are dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from .data import Column, as_of_is_a_date, provenance_column, TableSchema, read_table, register_schema, table_dir
from .hardware import Hardware
from .models import Model
from .roofline import (ArrayLike, compute_time_s, blackboard_decode_step, kv_read_time_s, min_chips_for_weights,
                       optimal_batch, weight_read_time_s)
from .units import bytes_per_element

# --------------------------------------------------------------------------------------------------
# The offers table

#: How far price_multiplier may sit from fast ÷ standard output price when both prices are given.
PRICE_CHECK_REL_TOL = 0.02


def _offer_checks(row: dict) -> Iterable[tuple[str, object, str]]:
    yield from as_of_is_a_date(row)
    for side in ("input", "output"):
        base, fast = row[f"standard_{side}_usd_per_Mtok"], row[f"fast_{side}_usd_per_Mtok"]
        if base is not None and fast is not None and row["price_multiplier"] is not None:
            if abs(fast / base / row["price_multiplier"] - 1.0) > PRICE_CHECK_REL_TOL:
                yield ("price_multiplier", row["price_multiplier"],
                       f"fast ÷ standard {side} price = {fast / base:g} (the two price columns disagree with it)")
    long_cols = ("long_context_min_tokens", "fast_input_long_usd_per_Mtok", "fast_output_long_usd_per_Mtok")
    given = [c for c in long_cols if row[c] is not None]
    if given and len(given) < len(long_cols):
        missing = next(c for c in long_cols if row[c] is None)
        yield (missing, None, "a value: the long-context fast tier needs its threshold and both prices")
    for side in ("input", "output"):
        short, long = row[f"fast_{side}_usd_per_Mtok"], row[f"fast_{side}_long_usd_per_Mtok"]
        if short is not None and long is not None and long < short:
            yield (f"fast_{side}_long_usd_per_Mtok", long, f"≥ the short-context fast price ({short:g})")


OFFERS_SCHEMA = register_schema(TableSchema(
    file="mode_offers.csv",
    columns=(
        Column("name", "str"),
        Column("provider", "str"),
        Column("model", "str"),
        Column("mode", "enum", choices=("fast", "slow")),
        Column("price_multiplier", positive=True, meaning="price per token of the mode ÷ standard price"),
        Column("speed_multiplier", positive=True, meaning="output tokens/s of the mode ÷ standard tokens/s"),
        Column("standard_input_usd_per_Mtok", required=False, positive=True,
               meaning="USD per million input tokens in standard mode, blank if not in USD"),
        Column("fast_input_usd_per_Mtok", required=False, positive=True,
               meaning="USD per million input tokens in the mode, blank if not in USD"),
        Column("standard_output_usd_per_Mtok", required=False, positive=True),
        Column("fast_output_usd_per_Mtok", required=False, positive=True),
        Column("long_context_min_tokens", "int", required=False, positive=True,
               meaning="prompt tokens where the mode's long-context tier starts, blank if none"),
        Column("fast_input_long_usd_per_Mtok", required=False, positive=True,
               meaning="USD per million input tokens in the mode above the long-context threshold"),
        Column("fast_output_long_usd_per_Mtok", required=False, positive=True,
               meaning="USD per million output tokens in the mode above the long-context threshold"),
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
    provenance: str = ""
    #: USD per million tokens (None where the offer is not priced in USD per token).
    standard_input_usd_per_Mtok: float | None = None
    fast_input_usd_per_Mtok: float | None = None
    standard_output_usd_per_Mtok: float | None = None
    fast_output_usd_per_Mtok: float | None = None
    long_context_min_tokens: int | None = None
    fast_input_long_usd_per_Mtok: float | None = None
    fast_output_long_usd_per_Mtok: float | None = None

    def long_context_multipliers(self) -> tuple[float, float] | None:
        """(input, output) price of the mode's long-context tier ÷ the standard short-context price, or None.

        For the lecture's offer: 60 / 5 = 12× input and 225 / 25 = 9× output.
        """
        if None in (self.fast_input_long_usd_per_Mtok, self.fast_output_long_usd_per_Mtok,
                    self.standard_input_usd_per_Mtok, self.standard_output_usd_per_Mtok):
            return None
        return (self.fast_input_long_usd_per_Mtok / self.standard_input_usd_per_Mtok,
                self.fast_output_long_usd_per_Mtok / self.standard_output_usd_per_Mtok)


_PRICE_COLUMNS = ("standard_input_usd_per_Mtok", "fast_input_usd_per_Mtok", "standard_output_usd_per_Mtok",
                  "fast_output_usd_per_Mtok", "long_context_min_tokens", "fast_input_long_usd_per_Mtok",
                  "fast_output_long_usd_per_Mtok")


def load_offers(data_dir: Path | str | None = None) -> list[ModeOffer]:
    """Rows of ``mode_offers.csv`` from the reader's data directory, or from the book's own ``data/`` when
    the reader's directory has no such file (a reader who brings only hardware and models keeps the offers)."""
    rows = read_table(OFFERS_SCHEMA, table_dir(OFFERS_SCHEMA.file, data_dir))
    return [ModeOffer(r["name"], r["provider"], r["model"], r["mode"], float(r["price_multiplier"]),
                      float(r["speed_multiplier"]), r["as_of"], r["source"], r["notes"] or "", r["provenance"],
                      **{c: r[c] for c in _PRICE_COLUMNS}) for r in rows]


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
    (n_f / n_s) · (B_s / B_f). With the same replica it is the batch ratio B_s / B_f.
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
    """t(B) = max(B · c, t_w + B · k) (eq. fm-step), the decode roofline in per-sequence terms."""
    b = np.asarray(batch, dtype=float)
    return np.maximum(b * np.asarray(compute_per_sequence_s, dtype=float),
                      np.asarray(weights_s, dtype=float) + b * np.asarray(kv_per_sequence_s, dtype=float))


def solve_standard_batch(price_ratio: ArrayLike, speed_ratio: ArrayLike, weights_s: ArrayLike,
                         kv_per_sequence_s: ArrayLike, compute_per_sequence_s: ArrayLike,
                         min_fast_batch: float = 1.0) -> InverseSolution:
    """Solve S = t(B_s) / t(B_s / β), β = P · S, for the standard batch B_s (vectorised, closed form).

    S(B_s) is continuous and non-decreasing, from 1 toward β, so there is one solution per branch:

    - memory (both memory bound, B_s ≤ B_sweet):  B_s = (S − 1) · t_w / (k · (1 − S/β))
    - compute (standard compute bound, fast memory bound):  B_s = S · t_w / (c − S · k / β)
    - both compute (S = β, P = 1): the smallest such B_s, β · B_sweet

    with B_sweet = t_w / (c − k) (∞ when c ≤ k: no batch is compute bound). Infeasible: P < 1 (no
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
    """The fewest accelerators whose HBM holds the weights plus ``batch`` sequences of KV at ``context``:
    ⌈(N_total b_w + B kv(L)) / C_hbm⌉ (NaN batch gives NaN)."""
    needed = (model.weight_bytes(precision)
              + np.asarray(batch, dtype=float) * model.kv_cache_bytes(np.asarray(context, dtype=float), kv_precision))
    return np.ceil(needed / hardware.hbm_capacity_bytes)


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
