"""Continuous batching: requests hold their seats, and new requests board only as others finish.

The talk's train (:mod:`lib.queueing`) carries a request for one ride. A real request holds a seat — a slot in
the decode batch and its KV cache in HBM — for its whole answer: its prompt is prefilled, its first token comes
out, and it then emits one token per step until its last. A new request boards only when a seat is free
(iteration-level scheduling, as in Orca and vLLM). This module simulates that on the refined step model.

Notation (see the notation page): B_cap seats, λ arrivals per second, n_in prompt tokens and n_out output tokens
of a request, L context tokens, t_step a step's duration, K_step the step's token budget. Time to first token
TTFT = t_first − t_arrive; time per output token TPOT = (t_last − t_first) / (n_out − 1).

**The step** (eq. cb-step). A step runs the n_dec seated sequences that are decoding (one token each) and n_pre
prompt tokens of seated requests still in prefill. Its duration, from :mod:`lib.roofline` (the per-operation
sum the book uses), is

    t_step = W(n_dec + n_pre) + Σ_{j decoding} A_dec(L_j) + Σ_{chunks} A_chunk

- W(T): the weight operations of a step that runs T tokens (experts touched at T) — decode and prefill
  tokens share one read of the weights, which is what mixing them in one step buys;
- A_dec(L): attention over the context for one decoding sequence at context L (= decode_step(1, L) − W(1));
  the sum over sequences is exact, because each attention operation's FLOPs and bytes are both proportional
  to the context tokens it covers, so the maximum of the sums is the sum of the maxima;
- A_chunk: the attention of a prompt chunk: the prompt's whole prefill attention
  A_pre(n_in) = prefill_step(n_in) − W(n_in), shared among its chunks in proportion to their causal
  (query, key) pairs. This keeps the compute right (prefill attention is compute bound) and leaves out a
  chunk's re-read of the prefix's KV cache.

**Running sums** (eq. cb-pieces). A_dec is a table interpolated linearly in L, so it is affine between
neighbouring contexts, and on real tables it is affine on a few long pieces: one for full attention (A_dec = s·L),
two where a sliding window or a sparse top-k caps part of the attention (the kink at the window's or the top-k's
size). :class:`StepCosts` finds the pieces, A_dec(L) = a_g + s_g·L for K_g ≤ L < K_{g+1}. A decoding sequence's
context at step t is L_j = b_j + t (it grows by one token a step), so with n_g sequences in piece g

    Σ_{j decoding} A_dec(L_j) = Σ_g [ n_g·a_g + s_g·(Σ_{j in g} b_j + n_g·t) ]

and a sequence moves up a piece at the step its context reaches K_{g+1}. A step then costs O(pieces), and a
run of decode-only steps between two events (a last token, a boarding, a sequence moving up a piece) is one
closed form: step t + i lasts c0 + c1·i with c1 = Σ_g s_g·n_g. Beyond the table's last context A_dec grows in
proportion to L, the last piece's line only for full attention, so a run whose contexts leave the table looks
every sequence up in the table at every step instead.

**The policy** (decode first, chunked prefill; Sarathi-Serve, and vLLM with chunked prefill):
at the start of each step, arrived requests take free seats first come, first served; every decoding seat
gets its token; the rest of the token budget, K_step − n_dec, goes to prompt tokens of seated requests in
prefill, in arrival order, splitting a prompt across steps where it does not fit. K_step = ∞
(:data:`WHOLE_PROMPTS`) prefills every newly seated prompt whole in the next step (Orca's iteration-level
scheduling). The prefill step emits the request's first token; a request with n_out output tokens then decodes
n_out − 1 more steps and frees its seat at the end of its last. An idle engine starts a step as soon as a
request arrives.

**Seats** B_cap come from the refined model (:func:`refined_seats`): the pooled optimal batch B* at the
traffic's context, capped by capacity — the most sequences whose KV cache at that context fits beside the
weights (``max_batch``) on the book's standard-mode replica (:func:`lib.modes.standard_mode`: weights at a share
w of usable HBM, fp8 KV). The context is the time-averaged context of a seated request,
L̄ = E[n_out·n_in + n_out(n_out+1)/2] / E[n_out] (a request holds its seat for n_out steps at contexts
n_in+1 … n_in+n_out).

**Traffic**: Poisson arrivals; prompt and output lengths drawn independently from a published trace's
quantiles (``data/request_lengths.csv``: the Azure LLM inference traces of 2023, Patel et al. 2024), by
inverse-CDF sampling with log-linear interpolation between the stored quantiles. In the trace the logs of
prompt and output length are nearly uncorrelated (0.09 for conversation, −0.005 for code), which is why the
draws are independent.

Left out: preemption (a seat is never taken back; the cap is set so that the average KV fits), prefix
caching, communication between accelerators, and kernel efficiency (the reality-check chapter measures it).
The simulation loops over events with O(1) Python work each (eq. cb-pieces).
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .data import (Column, DataError, Plausible, Problem, TableSchema, provenance_column, read_table,
                   register_directory_check, register_schema, table_dir)
from .hardware import Hardware
from .models import Model
from .roofline import (Precisions, as_precisions, chips_to_fit, decode_step, max_batch, pooled_optimal_batch,
                       prefill_step)

ArrayLike = np.ndarray | float | int

#: The step's token budget K_step of the chapter's default policy (decode tokens count first): an assumption. vLLM
#: sets max_num_batched_tokens per usage context; smaller budgets (≈ 2,048) smooth the time per token, larger
#: ones (≥ 8,192) let prompts through faster. Raised to the seat count when that is larger, as vLLM requires.
DEFAULT_TOKEN_BUDGET = 8192

#: The token budget that prefills every newly seated prompt whole in the next step (Orca's iteration-level
#: scheduling), K_step = ∞.
WHOLE_PROMPTS = math.inf

#: Share of requests left out of the statistics at the start of a run, while the batch fills from empty.
WARMUP_FRACTION = 0.1

# --------------------------------------------------------------------------------------------------
# Request lengths (data/request_lengths.csv)

LENGTHS_FILE = "request_lengths.csv"


def _quantile_in_range(row: dict):
    q = row.get("quantile")
    if q is not None and not 0.0 <= q <= 1.0:
        yield ("quantile", q, "a quantile between 0 and 1")


LENGTHS_SCHEMA = register_schema(TableSchema(
    file=LENGTHS_FILE,
    columns=(
        Column("name", "str"),
        Column("trace", "str", meaning="the trace the quantile belongs to"),
        Column("quantile", minimum=0.0, meaning="the probability level, 0 to 1",
               plausible=Plausible(0.0, 1.0, "", ("percent",))),
        Column("prompt_tokens", positive=True, meaning="the prompt length at that quantile",
               plausible=Plausible(1.0, 1e7, "tokens")),
        Column("output_tokens", positive=True, meaning="the output length at that quantile",
               plausible=Plausible(1.0, 1e6, "tokens")),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_quantile_in_range,),
))


@dataclass(frozen=True)
class LengthDistribution:
    """A trace's prompt and output lengths as quantiles (q from 0 to 1, lengths non-decreasing)."""

    trace: str
    quantiles: tuple[float, ...]
    prompt_tokens: tuple[float, ...]
    output_tokens: tuple[float, ...]
    source: str

    def _inverse(self, values: tuple[float, ...], u: np.ndarray) -> np.ndarray:
        """Inverse CDF: log-linear interpolation between the stored quantiles."""
        return np.exp(np.interp(u, self.quantiles, np.log(values)))

    def sample(self, n: int, rng: np.random.Generator, prompt_scale: float = 1.0,
               output_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` independent (prompt, output) lengths in tokens, integers ≥ 1; ``prompt_scale`` and
        ``output_scale`` stretch the trace's lengths (a scenario, e.g. longer agentic prompts)."""
        if n < 1 or prompt_scale <= 0 or output_scale <= 0:
            raise ValueError("need n ≥ 1 and positive scales")
        prompts = np.maximum(1, np.rint(self._inverse(self.prompt_tokens, rng.random(n)) * prompt_scale))
        outputs = np.maximum(1, np.rint(self._inverse(self.output_tokens, rng.random(n)) * output_scale))
        return prompts.astype(np.int64), outputs.astype(np.int64)

    def _moments(self, prompt_scale: float, output_scale: float, points: int = 20_000):
        u = (np.arange(points) + 0.5) / points
        p = self._inverse(self.prompt_tokens, u) * prompt_scale
        o = self._inverse(self.output_tokens, u) * output_scale
        return p, o

    def mean_prompt_tokens(self, prompt_scale: float = 1.0) -> float:
        """E[n_in] of the interpolated distribution (midpoint rule over the probability)."""
        return float(self._moments(prompt_scale, 1.0)[0].mean())

    def mean_output_tokens(self, output_scale: float = 1.0) -> float:
        """E[n_out] of the interpolated distribution."""
        return float(self._moments(1.0, output_scale)[1].mean())

    def time_averaged_context(self, prompt_scale: float = 1.0, output_scale: float = 1.0) -> float:
        """L̄ = E[n_out·n_in + n_out(n_out+1)/2] / E[n_out] = E[n_in] + E[n_out(n_out+1)] / (2 E[n_out]) for
        independent n_in and n_out: the context a seated request holds on average while it decodes (eq. cb-context)."""
        p, o = self._moments(prompt_scale, output_scale)
        return float(time_averaged_context(p.mean(), o.mean(), (o * (o + 1.0)).mean()))


def time_averaged_context(mean_prompt: float, mean_output: float, mean_output_times_next: float) -> float:
    """L̄ = E[n_in] + E[n_out(n_out+1)] / (2 E[n_out]) tokens, for independent prompt and output lengths
    (eq. cb-context)."""
    if mean_output <= 0:
        raise ValueError("the mean output length must be > 0")
    return mean_prompt + mean_output_times_next / (2.0 * mean_output)


def _length_problems(rows: list[dict], label: str) -> list[Problem]:
    problems: list[Problem] = []
    by_trace: dict[str, list[dict]] = {}
    for row in rows:
        by_trace.setdefault(row["trace"], []).append(row)
    for trace, group in by_trace.items():
        group = sorted(group, key=lambda r: r["quantile"])
        qs = [r["quantile"] for r in group]
        if qs[0] != 0.0 or qs[-1] != 1.0 or len(set(qs)) != len(qs):
            problems.append(Problem(label, group[0]["_line"], group[0]["name"], "quantile",
                                    ", ".join(f"{q:g}" for q in qs),
                                    f"distinct quantiles of trace {trace!r} from 0 to 1 (both ends present)"))
        for column in ("prompt_tokens", "output_tokens"):
            values = [r[column] for r in group]
            for before, row in zip(values, group[1:]):
                if row[column] < before:
                    problems.append(Problem(label, row["_line"], row["name"], column, f"{row[column]:g}",
                                            f"a length ≥ the one at the quantile below ({before:g}): quantiles "
                                            "of a trace do not decrease"))
    return problems


def load_length_distributions(data_dir: Path | str | None = None) -> dict[str, LengthDistribution]:
    """Every trace of ``request_lengths.csv`` (the reader's copy if present, else the book's), validated:
    quantiles from 0 to 1 per trace, lengths non-decreasing. Keyed by trace name, in file order."""
    directory = table_dir(LENGTHS_FILE, data_dir)
    rows = read_table(LENGTHS_SCHEMA, directory)
    problems = _length_problems(rows, str(directory / LENGTHS_FILE))
    if problems:
        raise DataError(problems)
    out: dict[str, LengthDistribution] = {}
    for trace in dict.fromkeys(r["trace"] for r in rows):
        group = sorted((r for r in rows if r["trace"] == trace), key=lambda r: r["quantile"])
        out[trace] = LengthDistribution(trace, tuple(r["quantile"] for r in group),
                                        tuple(r["prompt_tokens"] for r in group),
                                        tuple(r["output_tokens"] for r in group), group[0]["source"])
    return out


register_directory_check(LENGTHS_FILE, lambda directory: _length_problems(
    read_table(LENGTHS_SCHEMA, directory), str(directory / LENGTHS_FILE)))


# --------------------------------------------------------------------------------------------------
# Seats: the refined model's batch, capped by capacity


@dataclass(frozen=True)
class Seats:
    """The decode batch a replica of ``chips`` accelerators runs at context L: the pooled optimal batch B*,
    capped by the most sequences whose KV cache fits beside the weights (``capacity``)."""

    context_tokens: float
    chips: int
    optimal_batch: float  # pooled B* at L (inf where KV reads keep every batch memory bound)
    capacity: float  # max_batch(chips, L)
    chips_for_optimal: float  # the fewest accelerators that seat B* at L (inf if B* is)
    precisions: Precisions | None = None  # the formats B*, capacity and the step use (None: release formats)
    token_budget: float = math.inf  # K_step: a step carries one token per decoding sequence, so at most K_step seats

    @property
    def seats(self) -> int:
        """B = min(B*, capacity, K_step), at least 1 (⌊·⌋ of the capacity and the budget, B* rounded)."""
        cap = math.floor(self.capacity) if math.isfinite(self.capacity) else math.inf
        best = round(self.optimal_batch) if math.isfinite(self.optimal_batch) else math.inf
        budget = math.floor(self.token_budget) if math.isfinite(self.token_budget) else math.inf
        value = min(cap, best, budget)
        if not math.isfinite(value):
            raise ValueError("neither the optimal batch nor capacity limits the batch (a sequence with no KV cache)")
        return max(1, int(value))

    @property
    def capacity_bound(self) -> bool:
        """True where capacity, not B*, sets the seats."""
        return self.capacity < self.optimal_batch


def refined_seats(hardware: Hardware, model: Model, context_tokens: float, chips: int | None = None,
                  precision: str | Precisions | None = None, weight_share: float | None = None) -> Seats:
    """Seats of the refined model at context L: B = min(B*(L), B_cap(n, L)) (eq. tr-seats).

    The replica is the book's standard mode (:func:`lib.modes.standard_mode`) unless ``chips`` says otherwise:
    n = max(n_weights, ⌈N_bytes / (w (1 − r_hbm) C_hbm)⌉), the fewest accelerators on which the weights fill at
    most a share w (default 50%) of the usable HBM, whatever L. Formats: the model's release formats for the
    weights and the standard mode's fp8 KV cache when ``precision`` is None; B*, the capacity and every step
    built on these seats use the same formats (:attr:`Seats.precisions`)."""
    from .modes import STANDARD_KV_FORMAT, WEIGHT_SHARE, standard_mode

    p = as_precisions(model, precision, STANDARD_KV_FORMAT if precision is None else None)
    share = WEIGHT_SHARE.value if weight_share is None else float(weight_share)
    n = int(chips) if chips is not None else int(standard_mode(hardware, model, 0.0, share, p).chips)
    b_star = pooled_optimal_batch(hardware, model, context_tokens, p)
    capacity = float(max_batch(model, hardware, n, context_tokens, p))
    need = float(chips_to_fit(model, hardware, b_star, context_tokens, p)) if math.isfinite(b_star) else math.inf
    return Seats(float(context_tokens), n, float(b_star), capacity, need, p)


# --------------------------------------------------------------------------------------------------
# Step costs from the refined model


class StepCosts:
    """Step-time tables of one replica (seconds): W(T), A_dec(L) and a prompt's prefill attention (eq. cb-step).

    Build one with :meth:`refined` (the refined step model) or :meth:`constant` (every step lasts the same,
    for hand arithmetic).
    """

    def __init__(self, token_grid: np.ndarray, weights_s: np.ndarray, context_grid: np.ndarray,
                 attention_s: np.ndarray, prefill_attention=None, pairs=None, label: str = ""):
        self.token_grid = np.asarray(token_grid, dtype=float)
        self.weights_grid_s = np.asarray(weights_s, dtype=float)
        self.context_grid = np.asarray(context_grid, dtype=float)
        self.attention_grid_s = np.asarray(attention_s, dtype=float)
        self._prefill_attention = prefill_attention
        self._pairs = pairs
        self.label = label
        # Integer token counts up to the end of the dense part of the grid are looked up directly.
        dense = self.token_grid[: int(np.searchsorted(np.diff(self.token_grid), 1.0 + 1e-9, side="right")) + 1]
        self._dense_w = dict(zip(dense.astype(int).tolist(), self.weights_grid_s[: dense.size].tolist()))
        slope = self.attention_grid_s[-1] / self.context_grid[-1] if self.context_grid[-1] > 0 else 0.0
        self.attention_slope_s_per_token = float(slope)
        #: True where A_dec(L) = slope · L exactly (full attention).
        self.attention_linear = bool(np.allclose(self.attention_grid_s, slope * self.context_grid,
                                                 rtol=1e-9, atol=1e-15))
        #: The table's affine pieces (eq. cb-pieces), ((K_g, a_g, s_g), …) with K_0 the first context: A_dec(L) =
        #: a_g + s_g·L for K_g ≤ L < K_{g+1} (the last piece up to the table's last context); K in tokens, a in
        #: seconds, s in seconds per token. Full attention is one piece (0, 0, the slope above); a window or a
        #: top-k adds a kink at its size.
        self.attention_pieces: tuple[tuple[float, float, float], ...] = (
            ((float(self.context_grid[0]), 0.0, float(slope)),) if self.attention_linear
            else _affine_pieces(self.context_grid, self.attention_grid_s))

    # -- constructors -----------------------------------------------------------------------------
    @classmethod
    def refined(cls, hardware: Hardware, model: Model, chips: int, precision: str | Precisions | None = None,
                kv_precision: str | None = None, max_tokens: float = 2.0 ** 26,
                max_context: float = 2.0 ** 25) -> "StepCosts":
        """The tables of :func:`lib.roofline.decode_step` and :func:`lib.roofline.prefill_step` for a replica of
        ``chips`` accelerators: W on every integer token count to 8,192 and a log grid beyond; a on a log grid
        of contexts with the model's window and top-k as grid points."""
        key = (repr(hardware), repr(model), int(chips), repr(precision), kv_precision, float(max_tokens),
               float(max_context))
        if key not in _COSTS_CACHE:
            if len(_COSTS_CACHE) >= 32:
                _COSTS_CACHE.pop(next(iter(_COSTS_CACHE)))
            _COSTS_CACHE[key] = _refined_costs(hardware, model, int(chips), precision, kv_precision,
                                               float(max_tokens), float(max_context))
        return _COSTS_CACHE[key]

    @classmethod
    def constant(cls, step_s: float) -> "StepCosts":
        """Every step lasts ``step_s`` whatever it carries (no attention, no prefill cost): hand arithmetic."""
        if not step_s > 0:
            raise ValueError("the step time must be > 0 s")
        grid = np.array([1.0, 2.0])
        return cls(grid, np.full(2, float(step_s)), np.array([0.0, 1.0]), np.zeros(2),
                   lambda prompts: np.zeros(np.shape(prompts)), None, label=f"constant {step_s:g} s")

    # -- look-ups ---------------------------------------------------------------------------------
    def weights_s(self, tokens: ArrayLike) -> np.ndarray:
        """W(T), seconds: interpolated on the grid, proportional to T beyond it (every weight op compute bound)."""
        t = np.asarray(tokens, dtype=float)
        top = self.token_grid[-1]
        inside = np.interp(t, self.token_grid, self.weights_grid_s)
        return np.where(t > top, self.weights_grid_s[-1] * t / top, inside)

    def _weights_scalar(self, tokens: int) -> float:
        hit = self._dense_w.get(tokens)
        return hit if hit is not None else float(self.weights_s(tokens))

    def decode_attention_s(self, context_tokens: ArrayLike) -> np.ndarray:
        """A_dec(L), seconds per decoding sequence: attention over its L tokens of context."""
        c = np.asarray(context_tokens, dtype=float)
        top = self.context_grid[-1]
        inside = np.interp(c, self.context_grid, self.attention_grid_s)
        return np.where(c > top, self.attention_grid_s[-1] * c / top, inside)

    def decode_step_s(self, batch: ArrayLike, context_tokens: ArrayLike) -> np.ndarray:
        """A decode-only step of B sequences all at context L: W(B) + B · A_dec(L)."""
        b = np.asarray(batch, dtype=float)
        return self.weights_s(b) + b * self.decode_attention_s(context_tokens)

    def prefill_attention_s(self, prompt_tokens: ArrayLike) -> np.ndarray:
        """A_pre(n_in): attention of a whole prompt prefilled from scratch, seconds."""
        return np.asarray(self._prefill_attention(np.asarray(prompt_tokens, dtype=float)), dtype=float)

    def pairs(self, end_tokens: ArrayLike, start_tokens: ArrayLike = 0.0) -> np.ndarray:
        """Causal (query, key) pairs of prefilling prompt tokens start+1 … end (summed over layers). Scalars in,
        a float out, without numpy (the simulation asks once per prefill chunk)."""
        if isinstance(end_tokens, (float, int)) and isinstance(start_tokens, (float, int)):
            return float((self._pairs or _full_pairs)(float(end_tokens), float(start_tokens)))
        end = np.asarray(end_tokens, dtype=float)
        start = np.asarray(start_tokens, dtype=float)
        return np.asarray((self._pairs or _full_pairs)(end, start), dtype=float)


def _full_pairs(end, start):
    """Causal (query, key) pairs of prompt tokens start+1 … end under full attention in one layer."""
    return end * (end + 1.0) / 2.0 - start * (start + 1.0) / 2.0


def _affine_pieces(contexts: np.ndarray, attention_s: np.ndarray) -> tuple[tuple[float, float, float], ...]:
    """((K_g, a_g, s_g), …), K ascending: a table (contexts ascending, interpolated linearly, so affine between
    neighbouring points) cut into affine pieces, found from the top down: a piece reaches as far down as the
    table's points stay on the line through its two ends, to the tolerance of :attr:`StepCosts.attention_linear`."""
    def line(lo: int, hi: int) -> tuple[float, float]:
        slope = (attention_s[hi] - attention_s[lo]) / (contexts[hi] - contexts[lo])
        return float(attention_s[hi] - slope * contexts[hi]), float(slope)

    pieces = []
    hi = contexts.size - 1
    while hi > 0:
        lo, (intercept, slope) = hi - 1, line(hi - 1, hi)
        while lo > 0:
            a, s = line(lo - 1, hi)
            if not np.allclose(attention_s[lo - 1:hi + 1], a + s * contexts[lo - 1:hi + 1], rtol=1e-9, atol=1e-15):
                break
            lo, intercept, slope = lo - 1, a, s
        pieces.append((float(contexts[lo]), intercept, slope))
        hi = lo
    return tuple(reversed(pieces)) or ((float(contexts[0]), float(attention_s[0]), 0.0),)


#: Step tables already built, keyed by the rows' full contents (a reader's edited row builds its own).
_COSTS_CACHE: dict[tuple, StepCosts] = {}


def _refined_costs(hardware: Hardware, model: Model, chips: int, precision, kv_precision, max_tokens: float,
                   max_context: float) -> StepCosts:
    tokens = np.unique(np.concatenate([np.arange(1.0, 8193.0), np.geomspace(8192.0, max_tokens, 160)]))
    weights = decode_step(hardware, model, tokens, 0.0, precision, kv_precision, chips=chips).step_s
    kinks = [float(k) for k in (model.sliding_window_tokens, model.sparse_topk_tokens) if k]
    contexts = np.unique(np.concatenate([[0.0], np.geomspace(1.0, max_context, 400), kinks]))
    per_sequence = decode_step(hardware, model, 1.0, contexts, precision, kv_precision, chips=chips).step_s
    attention = np.maximum(per_sequence - float(weights[0]), 0.0)

    def prefill_attention(prompts: np.ndarray) -> np.ndarray:
        whole = prefill_step(hardware, model, prompts, 1.0, 0.0, precision, kv_precision, chips=chips).step_s
        alone = decode_step(hardware, model, prompts, 0.0, precision, kv_precision, chips=chips).step_s
        return np.maximum(whole - alone, 0.0)

    full_layers, window_layers = float(model.full_attention_layers), float(model.sliding_window_layers)
    window = float(model.sliding_window_tokens or 0.0)

    def capped(n: float, cap: float) -> float:  # Σ_{i=1}^{n} min(i, cap), as in Model.causal_attended_tokens_sum
        inside = min(n, cap)
        return inside * (inside + 1.0) / 2.0 + max(n - cap, 0.0) * cap

    def pairs(end, start):
        if isinstance(end, float) and isinstance(start, float):  # the simulation's per-chunk scalar path
            total = (end * (end + 1.0) - start * (start + 1.0)) / 2.0 * full_layers
            return total + (capped(end, window) - capped(start, window)) * window_layers if window_layers else total
        return model.causal_attended_tokens_sum(end, start)

    return StepCosts(tokens, weights, contexts, attention, prefill_attention, pairs,
                     label=f"{model.name} on {chips} × {hardware.name}")


# --------------------------------------------------------------------------------------------------
# The simulation


@dataclass(frozen=True)
class BatchingRun:
    """The outcome of :func:`simulate_continuous_batching`: per-request times (seconds, arrival order) and a
    per-step log."""

    arrival_s: np.ndarray
    admit_s: np.ndarray  # the start of the step in which the request took its seat
    first_token_s: np.ndarray
    finish_s: np.ndarray  # the end of the step that emitted its last token (its seat is free after it)
    prompt_tokens: np.ndarray
    output_tokens: np.ndarray
    step_start_s: np.ndarray
    step_s: np.ndarray
    step_seated: np.ndarray  # seats held during the step (decoding or in prefill)
    step_decoding: np.ndarray  # sequences that decoded one token in the step
    step_prefill_tokens: np.ndarray  # prompt tokens the step prefilled
    seats: int
    token_budget: float

    @property
    def requests(self) -> int:
        return int(self.arrival_s.size)

    @property
    def ttft_s(self) -> np.ndarray:
        """Time to first token: first token − arrival."""
        return self.first_token_s - self.arrival_s

    @property
    def tpot_s(self) -> np.ndarray:
        """Time per output token after the first: (last − first) / (O − 1); NaN for one-token answers."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.output_tokens > 1, (self.finish_s - self.first_token_s)
                            / np.maximum(self.output_tokens - 1, 1), np.nan)

    @property
    def seat_wait_s(self) -> np.ndarray:
        """Time on the platform: admission − arrival."""
        return self.admit_s - self.arrival_s

    @property
    def prefill_s(self) -> np.ndarray:
        """From taking a seat to the first token: the request's prefill, and the prompts queued before it."""
        return self.first_token_s - self.admit_s

    @property
    def seat_time_s(self) -> np.ndarray:
        """Time a request holds its seat: finish − admission."""
        return self.finish_s - self.admit_s

    @property
    def end_s(self) -> float:
        return float(self.finish_s.max())

    def measured(self, warmup_fraction: float = WARMUP_FRACTION) -> np.ndarray:
        """A mask of the requests the statistics use: all but the first ``warmup_fraction`` to arrive."""
        mask = np.zeros(self.requests, dtype=bool)
        mask[int(math.floor(warmup_fraction * self.requests)):] = True
        return mask

    def quantile_s(self, metric: str, q: ArrayLike, warmup_fraction: float = WARMUP_FRACTION) -> np.ndarray:
        """Quantiles of ``metric`` ('ttft', 'tpot', 'seat_wait', 'prefill', 'seat_time') over the measured requests."""
        values = getattr(self, f"{metric}_s")[self.measured(warmup_fraction)]
        return np.nanquantile(values, q)

    def time_average_seated(self) -> float:
        """∫ seats held dt ÷ the run's length (idle time counts as zero)."""
        return float(np.sum(self.step_s * self.step_seated) / self.end_s)

    @property
    def max_step_s(self) -> float:
        return float(self.step_s.max())


def simulate_continuous_batching(arrival_s: ArrayLike, prompt_tokens: ArrayLike, output_tokens: ArrayLike,
                                 seats: int, costs: StepCosts, token_budget: float = DEFAULT_TOKEN_BUDGET,
                                 *, _running_sums: bool = True) -> BatchingRun:
    """Serve every request to its last token under the module's policy; see the module docstring.

    ``arrival_s`` non-decreasing; ``prompt_tokens`` n_in ≥ 1 and ``output_tokens`` n_out ≥ 1 per request;
    ``seats`` B_cap ≥ 1; ``token_budget`` K_step ≥ 1 tokens per step (:data:`WHOLE_PROMPTS`: whole prompts).
    ``_running_sums=False`` looks every decoding sequence's A_dec up in the table at every step (the reference
    the tests hold the running sums of eq. cb-pieces to).
    """
    arrival = np.asarray(arrival_s, dtype=float)
    prompts = np.asarray(prompt_tokens)
    outputs = np.asarray(output_tokens)
    n = arrival.size
    if n == 0 or prompts.shape != (n,) or outputs.shape != (n,):
        raise ValueError("need one prompt and one output length per arrival, and at least one request")
    if not np.all(np.isfinite(arrival)) or np.any(np.diff(arrival) < 0) or arrival[0] < 0:
        raise ValueError("arrival times must be finite, ≥ 0 and non-decreasing")
    if np.any(prompts < 1) or np.any(outputs < 1) or np.any(prompts != np.rint(prompts)) \
            or np.any(outputs != np.rint(outputs)):
        raise ValueError("prompt and output lengths must be whole numbers of tokens ≥ 1")
    if int(seats) != seats or seats < 1:
        raise ValueError(f"seats must be a positive integer; got {seats!r}")
    if not token_budget >= 1:
        raise ValueError(f"the token budget must be ≥ 1 token per step; got {token_budget!r}")
    seats = int(seats)
    p_list = prompts.astype(np.int64).tolist()
    o_list = outputs.astype(np.int64).tolist()
    arr = arrival.tolist()
    pre_attention = costs.prefill_attention_s(prompts).tolist()
    pairs = costs._pairs or _full_pairs  # StepCosts.pairs on floats, without its checks (once per prompt chunk)
    whole_pairs = costs.pairs(prompts.astype(float)).tolist()

    admit = [math.nan] * n
    first = [math.nan] * n
    finish = [math.nan] * n
    # Eq. cb-pieces: each affine piece of A_dec keeps its count of decoding seats and the sum of their bases
    # (whole numbers, so the sums are exact), while every context the run reaches lies inside the table.
    fast = _running_sums and (costs.attention_linear or (
        prompts.min() + 1 >= costs.context_grid[0] and (prompts + outputs).max() <= costs.context_grid[-1]))
    starts, a_piece, s_piece = (list(column) for column in zip(*costs.attention_pieces))
    pieces = range(len(starts)) if fast else range(0)
    n_piece, base_piece = [0] * len(starts), [0.0] * len(starts)
    piece_of = [-1] * n  # a decoding request's piece (-1: none)
    base_of = [0] * n
    crossings: list[tuple[int, int, int]] = []  # (the step at which a seat's context reaches K_g, request, g)
    base = np.zeros(seats)  # a decoding seat's context at step s is base + s (the table look-up path)
    decoding = np.zeros(seats, dtype=bool)

    def pieces_s(at: int) -> tuple[float, float]:
        """The pieces' attention at step ``at`` and its growth per step (eq. cb-pieces)."""
        attention, growth = 0.0, 0.0
        for g in pieces:
            attention += n_piece[g] * a_piece[g] + s_piece[g] * (base_piece[g] + n_piece[g] * at)
            growth += s_piece[g] * n_piece[g]
        return attention, growth

    def join(i: int, g: int) -> None:
        """Request i's seat joins piece g, and will move up at the step its context reaches the next K."""
        piece_of[i] = g
        n_piece[g] += 1
        base_piece[g] += base_of[i]
        if g + 1 < len(starts):
            heapq.heappush(crossings, (math.ceil(starts[g + 1] - base_of[i]), i, g + 1))

    def leave(i: int) -> None:
        g = piece_of[i]
        n_piece[g] -= 1
        base_piece[g] -= base_of[i]
        piece_of[i] = -1

    free_slots = list(range(seats - 1, -1, -1))
    slot_of = [-1] * n
    ending: list[tuple[int, int]] = []  # (the step that emits the last token, request)
    # The step log, one record per run of steps: (start, steps m, c0, c1, seats held, decoding, prompt tokens,
    # explicit durations or None). A run's step j lasts c0 + c1·j (eq. cb-pieces), unless its durations are given
    # (the table look-up path); a single step is a run of one. Expanded into per-step arrays at the end.
    runs: list[tuple] = []
    tau, step, nxt, head, head_done = 0.0, 0, 0, 0, 0
    seated = n_dec = done = 0
    while done < n:
        while nxt < n and seated < seats and arr[nxt] <= tau:
            admit[nxt] = tau
            seated += 1
            nxt += 1
        if seated == 0:  # idle until the next arrival
            tau = max(tau, arr[nxt])
            continue
        while crossings and crossings[0][0] <= step:  # seats whose context reaches the next piece move up
            _, i, g = heapq.heappop(crossings)
            if piece_of[i] == g - 1:  # still decoding
                leave(i)
                join(i, g)
        completed: list[int] = []
        if head == nxt and n_dec and ending[0][0] > step:
            # Decode-only steps until the next last token, the next boarding or the next seat moving up a piece,
            # in one go.
            m = ending[0][0] - step + 1
            free = nxt < n and seated < seats  # a free seat: the next arrival boards at the step after it arrives
            if fast:
                while crossings and piece_of[crossings[0][1]] != crossings[0][2] - 1:  # seats already gone
                    heapq.heappop(crossings)
                if crossings:
                    m = min(m, crossings[0][0] - step)
                attention, c1 = pieces_s(step)
                c0 = costs._weights_scalar(n_dec) + attention
                if free:
                    m = min(m, _steps_to_reach(arr[nxt] - tau, c0, c1))
                runs.append((tau, m, c0, c1, seated, n_dec, 0, None))
                tau += m * c0 + c1 * m * (m - 1) / 2.0
            else:
                offsets = step + np.arange(m, dtype=float)
                contexts = base[decoding][None, :] + offsets[:, None]
                durations = costs._weights_scalar(n_dec) + costs.decode_attention_s(contexts).sum(axis=1)
                ends = tau + np.cumsum(durations)
                if free:
                    m = min(m, int(np.searchsorted(ends, arr[nxt], side="left")) + 1)
                runs.append((tau, m, 0.0, 0.0, seated, n_dec, 0, durations[:m]))
                tau = float(ends[m - 1])
            last = step + m - 1
        else:
            # Decode tokens first; the rest of the budget goes to prompts in prefill, in arrival order.
            allowance = token_budget - n_dec
            chunk_tokens, chunk_attention = 0, 0.0
            j, done_j = head, head_done
            while j < nxt and allowance > 0:
                left = p_list[j] - done_j
                take = left if left <= allowance else int(allowance)
                if take == p_list[j]:
                    chunk_attention += pre_attention[j]
                elif take > 0 and whole_pairs[j] > 0:
                    chunk_attention += pre_attention[j] * pairs(float(done_j + take), float(done_j)) / whole_pairs[j]
                chunk_tokens += take
                allowance -= take
                if take == left:
                    completed.append(j)
                    j, done_j = j + 1, 0
                else:
                    done_j += take
            head, head_done = j, done_j
            if not n_dec:
                attention = 0.0
            elif fast:
                attention = pieces_s(step)[0]
            else:
                attention = float(costs.decode_attention_s(base[decoding] + step).sum())
            dt = costs._weights_scalar(n_dec + chunk_tokens) + attention + chunk_attention
            runs.append((tau, 1, dt, 0.0, seated, n_dec, chunk_tokens, None))
            tau += dt
            last = step
        while ending and ending[0][0] == last:  # last tokens emitted in this step
            _, i = heapq.heappop(ending)
            finish[i] = tau
            slot = slot_of[i]
            decoding[slot] = False
            if fast:
                leave(i)
            free_slots.append(slot)
            seated -= 1
            n_dec -= 1
            done += 1
        for i in completed:  # prefill done: the first token comes out at the end of this step
            first[i] = tau
            if o_list[i] == 1:
                finish[i] = tau
                seated -= 1
                done += 1
                continue
            slot = free_slots.pop()
            slot_of[i] = slot
            base_of[i] = base[slot] = p_list[i] + 1 - (last + 1)  # context n_in + 1 at its first decode step
            decoding[slot] = True
            if fast:
                join(i, max(0, bisect.bisect_right(starts, p_list[i] + 1) - 1))  # below the table: its first piece
            n_dec += 1
            heapq.heappush(ending, (last + o_list[i] - 1, i))
        step = last + 1

    starts, dts, held, dec, pre = _expand_runs(runs)
    return BatchingRun(arrival, np.array(admit), np.array(first), np.array(finish), prompts.astype(np.int64),
                       outputs.astype(np.int64), starts, dts, held, dec, pre, seats, float(token_budget))


def _steps_to_reach(gap_s: float, c0: float, c1: float) -> int:
    """The fewest steps, durations c0 + c1·j (j = 0, 1, …), whose total reaches ``gap_s``:
    the smallest m ≥ 1 with m·c0 + c1·m(m−1)/2 ≥ gap."""
    def total(m: int) -> float:
        return m * c0 + c1 * m * (m - 1) / 2.0
    if c1 > 0:
        b = c0 - c1 / 2.0
        guess = (-b + math.sqrt(b * b + 2.0 * c1 * max(gap_s, 0.0))) / c1
    else:
        guess = max(gap_s, 0.0) / c0
    m = max(1, math.ceil(guess))
    while total(m) < gap_s:
        m += 1
    while m > 1 and total(m - 1) >= gap_s:
        m -= 1
    return m


def _expand_runs(runs: list[tuple]) -> tuple[np.ndarray, ...]:
    """Per-step arrays (start, duration, seats held, decoding, prompt tokens) from the run records."""
    starts, counts, c0, c1, held, dec, pre, explicit = zip(*runs)
    counts = np.asarray(counts, dtype=np.int64)
    first_step = np.cumsum(counts) - counts
    j = np.arange(int(counts.sum())) - np.repeat(first_step, counts)
    dt = np.repeat(np.asarray(c0), counts) + np.repeat(np.asarray(c1), counts) * j
    for at, m, durations in zip(first_step, counts, explicit):
        if durations is not None:
            dt[at:at + m] = durations
    before = np.cumsum(dt) - dt  # time from the first step's start to each step's start, across runs
    start = np.repeat(np.asarray(starts), counts) + before - np.repeat(before[first_step], counts)
    return (start, dt, np.repeat(np.asarray(held, dtype=np.int64), counts),
            np.repeat(np.asarray(dec, dtype=np.int64), counts), np.repeat(np.asarray(pre, dtype=np.int64), counts))


def poisson_arrivals(rate_per_s: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` arrival times (seconds) of a Poisson process of rate λ, starting after time 0."""
    if not rate_per_s > 0 or not math.isfinite(rate_per_s):
        raise ValueError(f"the arrival rate must be a positive number of requests/s; got {rate_per_s!r}")
    return np.cumsum(rng.exponential(1.0 / rate_per_s, size=n))


# --------------------------------------------------------------------------------------------------
# A serving scenario: a replica, its seats, a traffic shape and a load


@dataclass(frozen=True)
class Replica:
    """What a scenario runs on: the seats at the traffic's context, the step tables, the token budget, and the
    traffic's means (E[n_in], E[n_out], and the prefill attention Ā_pre per request)."""

    seats: Seats
    costs: StepCosts
    context_tokens: float
    mean_prompt_tokens: float
    mean_output_tokens: float
    mean_prefill_attention_s: float
    token_budget: float

    @property
    def decoding_at_capacity(self) -> float:
        """n_max = min(B, K_step / (1 + E[n_in]/E[n_out])): the most sequences that can decode in a step that also
        carries its share of prefill, E[n_in]/E[n_out] prompt tokens per decoding sequence (eq. cb-capacity)."""
        share = 1.0 + self.mean_prompt_tokens / self.mean_output_tokens
        return min(float(self.seats.seats), self.token_budget / share)

    @property
    def full_step_s(self) -> float:
        """The steady-state step at capacity, n = n_max: t = W(n (1 + E[n_in]/E[n_out])) + n A_dec(L̄)
        + (n / E[n_out]) Ā_pre."""
        n = self.decoding_at_capacity
        tokens = n * (1.0 + self.mean_prompt_tokens / self.mean_output_tokens)
        return float(self.costs.weights_s(tokens) + n * self.costs.decode_attention_s(self.context_tokens)
                     + n / self.mean_output_tokens * self.mean_prefill_attention_s)

    @property
    def budget_bound(self) -> bool:
        """True where the token budget, not the seats, limits the decoding batch at capacity."""
        return self.decoding_at_capacity < self.seats.seats

    @property
    def capacity_rate_per_s(self) -> float:
        """λ_max = n_max / (E[n_out] · t_full): the requests per second the replica finishes at capacity
        (eq. cb-capacity)."""
        return self.decoding_at_capacity / (self.mean_output_tokens * self.full_step_s)

    def rate_for_load(self, load: float) -> float:
        """λ = ρ · λ_max (eq. cb-load)."""
        if not load > 0:
            raise ValueError("the load must be > 0")
        return load * self.capacity_rate_per_s


def replica(hardware: Hardware, model: Model, lengths: LengthDistribution, prompt_scale: float = 1.0,
            chips: int | None = None, token_budget: float = DEFAULT_TOKEN_BUDGET,
            precision: str | Precisions | None = None) -> Replica:
    """The replica a scenario runs on: seats from :func:`refined_seats` at the traffic's time-averaged context
    (the standard-mode replica unless ``chips`` says otherwise), the refined step tables in the seats' formats,
    and the token budget K_step. A step carries one token for every decoding sequence, so a budget below the seats
    caps the seats at K_step (as a server's batch size may not exceed its tokens per step): the policy runs at the
    budget its name says, with fewer seats."""
    context = lengths.time_averaged_context(prompt_scale)
    seats = replace(refined_seats(hardware, model, context, chips, precision), token_budget=float(token_budget))
    costs = StepCosts.refined(hardware, model, seats.chips, seats.precisions)
    budget = float(token_budget)
    prompts, _ = lengths._moments(prompt_scale, 1.0, points=1000)
    return Replica(seats, costs, context, float(prompts.mean()), lengths.mean_output_tokens(),
                   float(costs.prefill_attention_s(np.rint(prompts)).mean()), budget)


def simulate_load(rep: Replica, lengths: LengthDistribution, load: float, requests: int = 2000, seed: int = 0,
                  prompt_scale: float = 1.0) -> BatchingRun:
    """Poisson arrivals at load ρ (λ = ρ λ_max), ``requests`` of them with lengths from ``lengths``, seeded."""
    rng = np.random.default_rng(seed)
    prompts, outputs = lengths.sample(requests, rng, prompt_scale)
    arrivals = poisson_arrivals(rep.rate_for_load(load), requests, rng)
    return simulate_continuous_batching(arrivals, prompts, outputs, rep.seats.seats, rep.costs, rep.token_budget)
