"""API price sheets and the inverse problems they pose: what the prices say about the served model.

``data/prices.csv`` holds public per-million-token prices (input, output, cached input, cache writes,
long-context tiers), each row dated and sourced. The functions here turn the price sheet and the
decode roofline of :mod:`lib.roofline` into three comparisons (chapter ``prices-leak``):

- the **long-context breakpoint**: the KV bytes per token b_kv at which one sequence's KV reads take as long
  as its share of arithmetic at context L (eq. prices-breakpoint)::

      L · b_kv / W_hbm = 2 · N_active / F     ⇒     b_kv* = 2 · N_active · W_hbm / (F · L)

- the **decode ÷ prefill cost ratio**: a decode token costs n · t_step / B accelerator-seconds; a prefill
  token of an n_in-token prompt costs (2 · N_active · n_in / F + N_total · b_w / W_hbm) / n_in (compute bound, plus one
  read of the weights, with no overlap assumed);
- ratios read off the price sheet (output ÷ input, cached ÷ input, long-context premium).

Those are the blackboard's forms (every weight read at every step, no attention arithmetic). The refined
forms use the step model of :mod:`lib.roofline` and the one standard mode of :mod:`lib.modes`:

- a prompt token costs its share of a prefill step, attention over the prompt included (∝ n_in per token, so
  ∝ P² per prompt): :func:`prefill_chip_seconds_per_token_refined`;
- a decode token costs n · t_step / B at the standard mode: :func:`decode_chip_seconds_per_token_refined`;
- the **long-context step** both sides: the input premium a tier implies from prefill cost and the output
  premium from decode cost, :func:`implied_long_context_premiums`.

Offers that have ended (a dated ``ended`` cell, when the table has that column) are history, not prices in
force: :func:`prices_in_force` drops them before any ratio is read off the sheet.

All quantities are SI (bytes, seconds, FLOP/s); prices are USD per token internally.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from .claims import Assumption
from .data import (Column, Plausible, as_of_is_a_date, date_check, ended_not_before_as_of, provenance_column, TableSchema,
                   read_table, register_schema, table_dir)
from .hardware import Hardware
from .models import Model
from .modes import STANDARD_KV_FORMAT, WEIGHT_SHARE, standard_mode
from .roofline import (ArrayLike, Precisions, max_batch, blackboard_decode_step, compute_time_s, min_chips_for_weights,
                       prefill_step, weight_read_time_s)
from .units import MEGA, bytes_per_element



def _cache_prices_below_input(row: dict) -> Iterable[tuple[str, object, str]]:
    cached, base = row["cached_input_usd_per_Mtok"], row["input_usd_per_Mtok"]
    if cached is not None and base is not None and cached > base:
        yield ("cached_input_usd_per_Mtok", cached, f"a cached-input price ≤ the input price ({base:g})")


#: A price per million tokens: from a tenth of a cent to $1,000; catches a per-token or per-thousand figure.
PER_MTOK = Plausible(0.001, 1000, "USD per million tokens")

PRICES_SCHEMA = register_schema(TableSchema(
    file="prices.csv",
    columns=(
        Column("name", "str"),
        Column("provider", "str"),
        Column("model", "str"),
        Column("context_tier", "str", meaning="e.g. <=200k, >200k or all"),
        Column("min_context_tokens", "int", minimum=0, meaning="prompt tokens where this tier starts",
               plausible=Plausible(0, 1e9, "tokens")),
        Column("input_usd_per_Mtok", positive=True, meaning="USD per million input tokens", plausible=PER_MTOK),
        Column("output_usd_per_Mtok", positive=True, meaning="USD per million output tokens", plausible=PER_MTOK),
        Column("cached_input_usd_per_Mtok", required=False, positive=True, plausible=PER_MTOK,
               meaning="USD per million cache-hit input tokens, blank if not offered"),
        Column("cache_write_5m_usd_per_Mtok", required=False, positive=True, plausible=PER_MTOK,
               meaning="USD per million tokens written to a 5-minute cache, blank if none"),
        Column("cache_write_1h_usd_per_Mtok", required=False, positive=True, plausible=PER_MTOK,
               meaning="USD per million tokens written to a 1-hour cache, blank if none"),
        Column("cache_storage_usd_per_Mtok_hour", required=False, positive=True,
               plausible=Plausible(0.001, 10_000, "USD per million tokens per hour"),
               meaning="USD per million cached tokens per hour, blank if none"),
        Column("as_of", "str", meaning="the date the price was read or published"),
        Column("ended", "str", required=False,
               meaning="the date the offer stopped applying (a dated row kept as history), blank if current"),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(as_of_is_a_date, date_check("ended"), ended_not_before_as_of, _cache_prices_below_input),
))


@dataclass(frozen=True)
class PriceRow:
    """One row of the price sheet; prices in USD per million tokens (as published), None where not offered."""

    name: str
    provider: str
    model: str
    context_tier: str
    min_context_tokens: int
    input_usd_per_Mtok: float
    output_usd_per_Mtok: float
    cached_input_usd_per_Mtok: float | None
    cache_write_5m_usd_per_Mtok: float | None
    cache_write_1h_usd_per_Mtok: float | None
    cache_storage_usd_per_Mtok_hour: float | None
    as_of: str
    source: str
    ended: str | None = None  # the date the offer ended (history); None while it is in force
    provenance: str = ""

    @property
    def in_force(self) -> bool:
        """True unless the row carries the date its offer ended."""
        return self.ended is None

    @property
    def is_current(self) -> bool:
        """The same as :attr:`in_force`."""
        return self.in_force

    @property
    def output_to_input(self) -> float:
        """Output price ÷ input price (the talk's "≈ 5×")."""
        return self.output_usd_per_Mtok / self.input_usd_per_Mtok

    @property
    def cached_to_input(self) -> float | None:
        """Cache-hit price ÷ input price (the talk's "≈ 1/10"); None if no cached price."""
        c = self.cached_input_usd_per_Mtok
        return None if c is None else c / self.input_usd_per_Mtok

    @property
    def usd_per_input_token(self) -> float:
        """Input price in USD per token (the sheet's USD per million ÷ 10⁶)."""
        return self.input_usd_per_Mtok / MEGA


def load_prices(data_dir: Path | str | None = None) -> list[PriceRow]:
    """Every row of ``prices.csv`` (validated), in file order, ended offers included (see
    :func:`prices_in_force`)."""
    rows = read_table(PRICES_SCHEMA, table_dir(PRICES_SCHEMA.file, data_dir))
    fields = [k for k in PriceRow.__dataclass_fields__ if k != "ended"]
    return [PriceRow(**{k: r[k] for k in fields}, ended=(r.get("ended") or "").strip() or None) for r in rows]


def prices_in_force(prices: list[PriceRow]) -> list[PriceRow]:
    """The rows whose offer has not ended: the price sheet as a buyer meets it today. Ended rows stay in the
    table as dated history; every ratio the book reads off the sheet uses this function first."""
    return [p for p in prices if p.in_force]


#: The name the data engineer's tests use for :func:`prices_in_force`.
current_prices = prices_in_force


def ended_prices(prices: list[PriceRow]) -> list[PriceRow]:
    """The rows kept as history: offers with an end date."""
    return [p for p in prices if not p.in_force]


def long_context_premium(short: PriceRow, long: PriceRow) -> tuple[float, float]:
    """(input, output) fractional premium of a long-context tier over the short one: long / short − 1.

    Raises ValueError if the rows are not two tiers of one model with the long one starting later.
    """
    if short.model != long.model or long.min_context_tokens <= short.min_context_tokens:
        raise ValueError(f"{short.name!r} and {long.name!r} are not a short and a long tier of one model")
    return (long.input_usd_per_Mtok / short.input_usd_per_Mtok - 1.0,
            long.output_usd_per_Mtok / short.output_usd_per_Mtok - 1.0)


def tier_pairs(prices: list[PriceRow]) -> list[tuple[PriceRow, PriceRow]]:
    """(short, long) tier pairs of every model that has a long-context tier, in file order."""
    out = []
    for long in prices:
        if long.min_context_tokens > 0:
            short = next((p for p in prices if p.model == long.model and p.min_context_tokens == 0), None)
            if short is not None:
                out.append((short, long))
    return out


# --------------------------------------------------------------------------------------------------
# The long-context breakpoint


def breakpoint_kv_bytes_per_token(active_params: ArrayLike, flops_per_s: ArrayLike, bandwidth_Bps: ArrayLike,
                                  context_tokens: ArrayLike) -> np.ndarray:
    """b_kv* = 2 · N_active · W_hbm / (F · L): KV bytes per token at which reading one sequence's KV cache
    at context L takes as long as its decode arithmetic (eq. prices-breakpoint).

    Above b_kv* every decode step at context L is KV-read bound, whatever the batch. At the batch where
    compute equals weight reads (B*), the same b_kv* also makes KV reads equal weight reads. Broadcasts.
    """
    n_a, f, w, ctx = (np.asarray(x, dtype=float) for x in (active_params, flops_per_s, bandwidth_Bps,
                                                         context_tokens))
    if np.any(n_a <= 0) or np.any(f <= 0) or np.any(w <= 0) or np.any(ctx <= 0):
        raise ValueError("active params, FLOP/s, bandwidth and context must all be > 0")
    return 2.0 * n_a * w / (f * ctx)


def breakpoint_context_tokens(active_params: ArrayLike, flops_per_s: ArrayLike, bandwidth_Bps: ArrayLike,
                              kv_bytes_per_token: ArrayLike) -> np.ndarray:
    """The inverse of :func:`breakpoint_kv_bytes_per_token`: L* = 2 · N_active · W_hbm / (F · b_kv)."""
    return breakpoint_kv_bytes_per_token(active_params, flops_per_s, bandwidth_Bps, kv_bytes_per_token)


def gqa_kv_bytes_per_token_per_layer(n_kv_heads: int, head_dim: int, kv_precision: str = "bf16") -> float:
    """2 · n_kv_heads · head_dim · e: one layer's K and V for one token (e bytes per element)."""
    if n_kv_heads < 1 or head_dim < 1:
        raise ValueError("n_kv_heads and head_dim must be ≥ 1")
    return 2.0 * n_kv_heads * head_dim * bytes_per_element(kv_precision)


# --------------------------------------------------------------------------------------------------
# Decode versus prefill


def prefill_chip_seconds_per_token(hardware: Hardware, model: Model, prefill_tokens: ArrayLike | None = None,
                                   precision: str = "bf16") -> np.ndarray:
    """Cost of one prompt token in accelerator-seconds when n_in prompt tokens share one read of the weights:

        n · (2 · N_active · n_in / (n F) + N_total · b_w / (n W_hbm)) / n_in = 2 N_active / F + N_total b_w / (W_hbm n_in)

    Compute bound with one read of the weights added (no overlap: an upper bound); attention FLOPs ignored.
    ``prefill_tokens=None`` means n_in → ∞ (prompts batched until the weight read is negligible): the compute
    floor 2 N_active / F. The result does not depend on the number of chips n.
    """
    compute_per_token = float(compute_time_s(1.0, model.active_params, hardware.flops(precision)))
    if prefill_tokens is None:
        return np.asarray(compute_per_token)
    p = np.asarray(prefill_tokens, dtype=float)
    if np.any(p < 1):
        raise ValueError("prefill_tokens must be ≥ 1")
    weights = weight_read_time_s(model.total_params, bytes_per_element(precision), hardware.hbm_bandwidth_Bps)
    return compute_per_token + weights / p


def replica_chips(model: Model, hardware: Hardware, precision: str = "bf16",
                  weight_share: float = WEIGHT_SHARE.value) -> int:
    """Accelerators in a replica whose HBM the weights fill to ``weight_share`` (default: the standard mode's
    :data:`lib.modes.WEIGHT_SHARE`; the blackboard counts the whole HBM, no reserve).

    n = ceil(N_total · b_w / (weight_share · C_hbm)); at least the chips that hold the weights.
    """
    if not 0 < weight_share <= 1:
        raise ValueError(f"weight_share must be in (0, 1]; got {weight_share}")
    need = model.weight_bytes(precision) / (weight_share * hardware.hbm_capacity_bytes)
    return max(min_chips_for_weights(model, hardware, precision), math.ceil(need - 1e-9))


def hbm_limited_batch(hardware: Hardware, model: Model, context: ArrayLike, chips: int, precision: str = "bf16",
                      kv_precision: str = "bf16") -> np.ndarray:
    """The blackboard's batch limit: the most sequences whose KV caches fit beside the weights in the whole HBM
    (no reserve), B = floor((n C_hbm − N_bytes) / kv(L)) — lib.roofline's one capacity model
    (:func:`lib.roofline.max_batch`) with the blackboard's settings. 0 where not even one sequence fits."""
    return max_batch(model, hardware, chips, context, Precisions(precision, precision, kv_precision),
                     reserve_fraction=0.0)


def decode_to_prefill_cost_ratio(hardware: Hardware, model: Model, context: ArrayLike, precision: str = "bf16",
                                 kv_precision: str = "bf16", chips: int | None = None,
                                 batch: ArrayLike | None = None, prefill_tokens: ArrayLike | None = None,
                                 weight_share: float = WEIGHT_SHARE.value) -> np.ndarray:
    """Decode cost per token ÷ prefill cost per token (both in accelerator-seconds), eq. prices-ratio.

    The blackboard's form. Decode runs ``batch`` sequences at ``context`` on ``chips`` accelerators (defaults:
    :func:`replica_chips` at ``weight_share`` and the HBM-limited batch); prefill shares one weight read among ``prefill_tokens`` prompt tokens
    (default: enough that it is negligible, see :func:`prefill_chip_seconds_per_token`).
    NaN where no sequence fits in HBM.
    """
    n = chips if chips is not None else replica_chips(model, hardware, precision, weight_share)
    ctx = np.asarray(context, dtype=float)
    b = hbm_limited_batch(hardware, model, ctx, n, precision, kv_precision) if batch is None else \
        np.asarray(batch, dtype=float)
    fits = b >= 1
    step = blackboard_decode_step(hardware, model, np.where(fits, np.minimum(b, 1e12), 1.0), ctx, precision, kv_precision, n)
    prefill = prefill_chip_seconds_per_token(hardware, model, prefill_tokens, precision)
    return np.where(fits, step.chip_seconds_per_token / prefill, np.nan)


def decode_to_prefill_ratio_closed_form(context_tokens: ArrayLike, breakpoint_context_tokens: ArrayLike,
                                        weight_share: float = WEIGHT_SHARE.value) -> np.ndarray:
    """r_cost ≈ max(1, (L / L*) / (1 − w)) (eq. eq-pl-ratio), with L* the breakpoint context and w = ``weight_share`` the share
    of the replica's HBM the weights fill.

    With the rest of the HBM full of KV, a memory-bound decode step reads all of HBM, so it takes the drain time
    T = C_hbm / W_hbm; B = n C_hbm (1 − w) / (L b_kv) sequences share it. Dividing n T / B by 2 N_active / F gives
    L b_kv F / (2 N_active W_hbm (1 − w)) = (L / L*) / (1 − w). Ignores the rounding of n and B.
    """
    if not 0 <= weight_share < 1:
        raise ValueError(f"weight_share must be in [0, 1); got {weight_share}")
    ratio = np.asarray(context_tokens, dtype=float) / np.asarray(breakpoint_context_tokens, dtype=float)
    return np.maximum(1.0, ratio / (1.0 - weight_share))


# --------------------------------------------------------------------------------------------------
# The refined step model: prefill with attention over the prompt, decode at the one standard mode

#: The prompt that stands for a long-context tier when a cost ratio is read across its price step: twice the
#: 200k step by default, up to the 1M-token windows of the models that carry such tiers.
LONG_TIER_PROMPT = Assumption(
    "long-tier prompt length", 400_000.0, 300_000.0, 1_000_000.0, "tokens",
    source="book assumption: a prompt in the >200k tier; Gemini 2.5 Pro and Claude Sonnet 4 accept up to 1M tokens")


#: Prompt tokens a prefill step processes together (engines' chunked-prefill budgets run from a few thousand to
#: 16k tokens): short prompts are batched up to it, so their weight reads are shared as a real scheduler shares
#: them. A book assumption.
PREFILL_TOKENS_PER_STEP = 16_384


def prefill_chip_seconds_per_token_refined(hardware: Hardware, model: Model, prompt_tokens: ArrayLike,
                                           batch: ArrayLike | None = None,
                                           precision: str | Precisions | None = None,
                                           kv_precision: str | None = STANDARD_KV_FORMAT) -> np.ndarray:
    """Cost of one prompt token (accelerator-seconds) when ``batch`` prompts of n_in tokens share a prefill step:
    n · t_prefill / (B · P) on the refined model, attention over the prompt included (causal: Σ i over the
    prompt, so the cost per token grows about linearly with P). Independent of n (every time scales as 1/n).
    ``batch=None``: max(1, :data:`PREFILL_TOKENS_PER_STEP` / P) prompts, the scheduler's prefill budget."""
    prompt = np.asarray(prompt_tokens, dtype=float)
    b = np.maximum(1.0, PREFILL_TOKENS_PER_STEP / prompt) if batch is None else batch
    step = prefill_step(hardware, model, prompt, b, 0, precision, kv_precision, chips=1)
    return step.chip_seconds_per_token


def decode_chip_seconds_per_token_refined(hardware: Hardware, model: Model, context: ArrayLike,
                                          weight_share: float = WEIGHT_SHARE.value,
                                          precision: str | Precisions | None = None,
                                          kv_precision: str | None = STANDARD_KV_FORMAT) -> np.ndarray:
    """Cost of one decode token at context L at the standard mode of :func:`lib.modes.standard_mode`
    (accelerator-seconds); NaN where the standard replica holds no sequence at that context."""
    return standard_mode(hardware, model, context, weight_share, precision, kv_precision).chip_seconds_per_token


def decode_to_prefill_ratio_refined(hardware: Hardware, model: Model, context: ArrayLike,
                                    weight_share: float = WEIGHT_SHARE.value,
                                    precision: str | Precisions | None = None,
                                    kv_precision: str | None = STANDARD_KV_FORMAT) -> np.ndarray:
    """Decode ÷ prefill cost per token at context L on the refined model: a decode token at the standard mode
    against a token of an L-token prompt (its own attention over the prompt included; short prompts batched up
    to :data:`PREFILL_TOKENS_PER_STEP` tokens a step)."""
    ctx = np.asarray(context, dtype=float)
    decode = decode_chip_seconds_per_token_refined(hardware, model, ctx, weight_share, precision, kv_precision)
    prefill = prefill_chip_seconds_per_token_refined(hardware, model, np.maximum(ctx, 1.0), None, precision,
                                                     kv_precision)
    return decode / prefill


@dataclass(frozen=True)
class ImpliedPremiums:
    """Cost ratios across a long-context price step, from a prompt of ``short_tokens`` (the top of the short
    tier) to one of ``long_tokens`` (a prompt in the long tier): what cost-based prices would charge more."""

    short_tokens: np.ndarray
    long_tokens: np.ndarray
    input_ratio: np.ndarray              # prefill cost per prompt token, long ÷ short (refined)
    output_ratio: np.ndarray             # decode cost per output token at the standard mode, long ÷ short
    output_ratio_blackboard: np.ndarray  # the same on the blackboard (its input ratio is 1: no attention FLOPs)


def implied_long_context_premiums(hardware: Hardware, model: Model, short_tokens: ArrayLike,
                                  long_tokens: ArrayLike, weight_share: float = WEIGHT_SHARE.value,
                                  precision: str | Precisions | None = None,
                                  kv_precision: str | None = STANDARD_KV_FORMAT) -> ImpliedPremiums:
    """The input and output premiums a long-context tier implies (eq. pl-premium):

        input  = c_prefill(n_in) / c_prefill(L_tier)     prefill: 2 N_active + attention ∝ n_in per token
        output = c_decode(L_long) / c_decode(L_short)       decode at the standard mode: KV reads and
                                                            attention grow with L, fewer sequences fit

    The blackboard's prefill has no attention FLOPs, so its input ratio is 1 and it predicts no input premium
    at all; its output ratio uses :func:`decode_to_prefill_cost_ratio`'s replica (weights fill
    ``weight_share`` of HBM) in the serving precision."""
    short = np.asarray(short_tokens, dtype=float)
    long = np.asarray(long_tokens, dtype=float)
    if np.any(long <= short):
        raise ValueError("the long tier's prompt must be longer than the short tier's")
    c_in = prefill_chip_seconds_per_token_refined
    inp = c_in(hardware, model, long, None, precision, kv_precision) / c_in(hardware, model, short, None, precision,
                                                                            kv_precision)
    c_out = decode_chip_seconds_per_token_refined
    out = c_out(hardware, model, long, weight_share, precision, kv_precision) / c_out(
        hardware, model, short, weight_share, precision, kv_precision)
    prec = "fp8" if hardware.supports("fp8") else "bf16"
    chips = replica_chips(model, hardware, prec, weight_share)
    board = [blackboard_decode_cost(hardware, model, x, chips, prec) for x in (long, short)]
    return ImpliedPremiums(short, long, inp, out, board[0] / board[1])


def blackboard_decode_cost(hardware: Hardware, model: Model, context: ArrayLike, chips: int,
                           precision: str = "bf16") -> np.ndarray:
    """Blackboard decode cost per token (accelerator-seconds) on ``chips`` accelerators with the HBM-limited
    batch of :func:`hbm_limited_batch`; NaN where no sequence fits."""
    ctx = np.asarray(context, dtype=float)
    b = hbm_limited_batch(hardware, model, ctx, chips, precision, precision)
    fits = b >= 1
    step = blackboard_decode_step(hardware, model, np.where(fits, np.minimum(b, 1e12), 1.0), ctx, precision,
                                  precision, chips)
    return np.where(fits, step.chip_seconds_per_token, np.nan)


def prefill_batch_input_premium(hardware: Hardware, model: Model, prompt_tokens: ArrayLike,
                                small_batch: float = 1.0, large_batch: float = 64.0,
                                precision: str | Precisions | None = None,
                                kv_precision: str | None = STANDARD_KV_FORMAT) -> np.ndarray:
    """The input premium a smaller prefill batch can explain: cost per prompt token with ``small_batch``
    prompts per prefill step ÷ with ``large_batch`` (refined). Near 1 once one prompt alone has enough tokens
    to amortise the weight read; large only for short prompts."""
    small = prefill_chip_seconds_per_token_refined(hardware, model, prompt_tokens, small_batch, precision,
                                                   kv_precision)
    large = prefill_chip_seconds_per_token_refined(hardware, model, prompt_tokens, large_batch, precision,
                                                   kv_precision)
    return small / large
