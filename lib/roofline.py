"""The step model: one decode or prefill step, per operation, against three budgets (eq. step-model).

A replica of ``n`` accelerators (F dense FLOP/s in the format an operation runs in, W_hbm bytes/s and C_hbm
bytes of HBM each) runs one step of B sequences. Every operation ``i`` of the model has its FLOPs f_i and
the bytes it reads from HBM m_i (weights, or the KV cache); see :mod:`lib.models` for the counts:

- ``attention_projections``: 2·T·P_attn FLOPs, P_attn·b_w bytes (T tokens in the step);
- ``attention_core``: attention over the context, B·Σ_layers f_attn·L_eff FLOPs against B·kv(L) bytes
  (MLA absorbed, GQA/MHA, sliding windows; run in the attention compute format);
- ``attention_index``: DeepSeek Sparse Attention's lightning indexer, which scores every context token
  (B·Σ_layers 2·H_I·d_I·L FLOPs in fp8 against the index keys), while ``attention_core`` then reads only
  the top k_sparse tokens; zero for dense attention;
- ``dense_ffn``, ``shared_experts``, ``lm_head``: 2·T·P FLOPs against P·b bytes;
- ``routed_experts``: 2·T·k·P_e FLOPs, but only the experts the step's tokens touch are read. With T tokens
  each routed to k of E experts, a MoE layer reads in expectation

      E_touched(T) = E · (1 − (1 − k/E)^T)                                            (eq. experts-touched)

  experts (k at T = 1, all E as T → ∞), so P_e·b_e·E_touched bytes per MoE layer, plus the router.

Each operation has its own roofline, t_i = max(f_i / (n F_i), m_i / (n W_hbm)). The step is reported two ways,
the two ends of how well different kernels overlap:

    t_pooled = max(Σ f_i / (n F_i), Σ m_i / (n W_hbm))      perfect overlap of every kernel (a lower bound)
    t_per_op = Σ_i max(f_i / (n F_i), m_i / (n W_hbm))      kernels one after another, each at its own roofline

``step_s`` is ``t_per_op``: engines run a step's kernels in sequence. The third budget is capacity: the
weights (stored in their formats) and the batch's KV cache must fit the replica's HBM less a reserve ρ for
activations, workspace and fragmentation,

    N_bytes + B · kv(L) ≤ (1 − ρ) · n · C_hbm                                          (eq. capacity)

and a batch that does not fit is not a point on any curve (``fits`` is False there; ``max_batch`` is the
largest that fits). Precisions are per tensor class (:class:`Precisions`): weights and expert weights in their
storage formats (by default the model's release formats), the KV cache, and the compute format of attention.
A weight matmul runs in the chip's format for its storage (fp8 weights on fp8 tensor cores); where the chip
has no such format the weights are dequantised and multiplied in bf16 (weight-only quantisation).

Prefill of a prompt of P tokens (C of them already cached) runs T = B·(P − C) tokens through every weight
and causal attention over Σ_{i=C+1}^{P} i context tokens per layer: its time is the time to first token
when the prompt is served alone.

A decode step may run n_q query tokens per sequence (``query_tokens_per_sequence``, speculative verification of
n_q − 1 draft tokens): the weights see n_q·B tokens, attention does n_q times the FLOPs over one read of each KV
cache.

Left out, and named where a chapter needs them: communication between the n accelerators (all-to-all,
all-reduce; see :mod:`lib.parallelism`), kernel efficiency (the reality-check chapter measures it), load
imbalance between experts, norms, softmax and the embedding lookup.

The blackboard's model, eq. (two-budgets) of the lecture, stays available by name for the talk's own numbers
(:func:`blackboard_decode_step`, :func:`optimal_batch`, :func:`crossover_batch`): every weight read at every
step, 2·N_active FLOPs per token, no attention arithmetic, no capacity limit.

Every function broadcasts over numpy arrays (batch and context grids) with no Python loops over points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .hardware import Hardware
from .models import Model
from .units import bytes_per_element, native_compute_format

ArrayLike = np.ndarray | float | int

#: Share of HBM kept free of weights and KV cache for activations, workspace, CUDA graphs and fragmentation.
#: vLLM's default ``gpu_memory_utilization`` is 0.9 (https://docs.vllm.ai/en/latest/configuration/engine_args.html).
HBM_RESERVE_FRACTION = 0.10

#: The operations of a step, in the order a layer runs them (the LM head last).
OPERATIONS: tuple[str, ...] = ("attention_projections", "attention_index", "attention_core", "dense_ffn",
                               "shared_experts", "routed_experts", "lm_head")

#: Operations whose bytes are the KV cache (the rest read weights).
CONTEXT_OPERATIONS: tuple[str, ...] = ("attention_index", "attention_core")

PHASES: tuple[str, ...] = ("decode", "prefill")


# --------------------------------------------------------------------------------------------------
# Precisions


@dataclass(frozen=True)
class Precisions:
    """Formats per tensor class: storage of the non-expert and expert weights, of the KV cache, and the
    compute format of attention over the context."""

    weights: str = "bf16"
    experts: str = "bf16"
    kv: str = "bf16"
    attention: str = "bf16"

    def __post_init__(self):
        for name in ("weights", "experts", "kv", "attention"):
            bytes_per_element(getattr(self, name))  # a clear error for an unknown format

    @property
    def label(self) -> str:
        """A short description: ``"fp8 weights, bf16 KV"`` or ``"bf16 / mxfp4 experts weights, bf16 KV"``."""
        w = self.weights if self.weights == self.experts else f"{self.weights} / {self.experts} experts"
        return f"{w} weights, {self.kv} KV"


def release_precisions(model: Model, kv: str = "bf16", attention: str = "bf16") -> Precisions:
    """The model's release formats (``weights_format``, ``expert_weights_format`` in models.csv)."""
    return Precisions(model.weights_format, model.expert_weights_format, kv, attention)


def uniform_precisions(precision: str, kv: str = "bf16", attention: str = "bf16") -> Precisions:
    """One storage format for every weight, as the lecture assumes (bf16 on the blackboard)."""
    return Precisions(precision, precision, kv, attention)


def as_precisions(model: Model, precision: str | Precisions | None = None, kv: str | None = None) -> Precisions:
    """``None`` → the model's release formats; a format name → that format for every weight; a
    :class:`Precisions` as given. ``kv`` overrides the KV format when given."""
    if isinstance(precision, Precisions):
        p = precision
    elif precision is None:
        p = release_precisions(model)
    else:
        p = uniform_precisions(precision)
    if kv is not None and kv != p.kv:
        p = Precisions(p.weights, p.experts, kv, p.attention)
    return p


def matmul_format(storage: str, hardware: Hardware) -> str:
    """The compute format of a weight matmul: the chip's format for the storage format where it has one,
    else bf16 (the weights are dequantised in the kernel)."""
    native = native_compute_format(storage)
    return native if hardware.supports(native) else "bf16"


def attention_format(precisions: Precisions, hardware: Hardware) -> str:
    """The compute format of attention over the context (bf16 where the chip lacks the one asked for)."""
    native = native_compute_format(precisions.attention)
    return native if hardware.supports(native) else "bf16"


# --------------------------------------------------------------------------------------------------
# Experts touched by a batch


def experts_touched(tokens: ArrayLike, routed_experts: int, active_experts: int) -> np.ndarray:
    """E · (1 − (1 − k/E)^T): the expected number of a MoE layer's E routed experts that T tokens touch,
    each token routed to k distinct experts uniformly at random (eq. experts-touched). 0 for a dense model.

    Real routers are not uniform: a skewed load touches fewer experts at a given T (reads less) but leaves
    the busiest expert with more tokens (the step waits for it).
    """
    t = np.asarray(tokens, dtype=float)
    if np.any(t < 0):
        raise ValueError(f"tokens must be ≥ 0; got min {t.min():g}")
    if routed_experts == 0:
        return np.zeros_like(t)
    miss = 1.0 - active_experts / routed_experts
    return routed_experts * -np.expm1(t * np.log(miss)) if miss > 0 else np.full_like(t, float(routed_experts))


# --------------------------------------------------------------------------------------------------
# One operation and one step


@dataclass(frozen=True)
class Operation:
    """FLOPs and HBM bytes of one operation in one step, for the whole replica (arrays broadcast)."""

    name: str
    flops: np.ndarray
    weight_bytes: np.ndarray
    kv_bytes: np.ndarray
    flops_per_s: float  # one accelerator, in the format this operation runs in
    compute_format: str

    @property
    def bytes(self) -> np.ndarray:
        return self.weight_bytes + self.kv_bytes

    def compute_s(self, chips: int) -> np.ndarray:
        return self.flops / (chips * self.flops_per_s)

    def memory_s(self, chips: int, bandwidth_Bps: float) -> np.ndarray:
        return self.bytes / (chips * bandwidth_Bps)

    def time_s(self, chips: int, bandwidth_Bps: float) -> np.ndarray:
        """This operation on its own roofline: max(f / (n F), m / (n W))."""
        return np.maximum(self.compute_s(chips), self.memory_s(chips, bandwidth_Bps))

    @property
    def intensity_flop_per_byte(self) -> np.ndarray:
        """Arithmetic intensity f / m (FLOP per byte read)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.flops / self.bytes


class _StepRates:
    """Rates and costs every step derives from its ``tokens``, ``chips``, ``step_s``, ``compute_s`` and
    ``memory_s`` (one definition for the refined and the blackboard step)."""

    @property
    def tokens_per_s(self) -> np.ndarray:
        """Replica throughput: tokens the step emits (decode) or processes (prefill) per second."""
        return self.tokens / self.step_s

    @property
    def tokens_per_s_per_chip(self) -> np.ndarray:
        return self.tokens_per_s / self.chips

    @property
    def user_tokens_per_s(self) -> np.ndarray:
        """Decode speed one sequence sees, 1 / t_step."""
        return 1.0 / self.step_s

    @property
    def chip_seconds_per_token(self) -> np.ndarray:
        """Cost of a token in accelerator-seconds, n · t_step / tokens."""
        return self.chips * self.step_s / self.tokens

    @property
    def compute_bound(self) -> np.ndarray:
        """True where the pooled compute time is at least the pooled memory time."""
        return self.compute_s >= self.memory_s

    @property
    def bound(self) -> np.ndarray:
        """``"compute"`` or ``"memory"`` for each point (pooled budgets)."""
        return np.where(self.compute_bound, "compute", "memory")


@dataclass(frozen=True)
class Step(_StepRates):
    """One step of the refined model (see the module docstring), broadcast over batch × context.

    ``batch`` is sequences; ``tokens`` the tokens the step runs through the weights (B for a decode step,
    B·(P − C) for a prefill). Times are seconds for the replica of ``chips`` accelerators.
    """

    phase: str
    hardware: Hardware
    model: Model
    precisions: Precisions
    batch: np.ndarray
    context: np.ndarray
    tokens: np.ndarray
    chips: int
    operations: dict[str, Operation]
    weight_storage_bytes: float
    kv_storage_bytes: np.ndarray  # the whole batch's KV cache held during the step
    reserve_fraction: float = HBM_RESERVE_FRACTION
    shape: tuple = field(default=())

    # -- times ------------------------------------------------------------------------------------
    def _full(self, value) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=float), self.shape)

    @cached_property
    def op_times_s(self) -> dict[str, np.ndarray]:
        """Each operation on its own roofline (seconds)."""
        bw = self.hardware.hbm_bandwidth_Bps
        return {name: self._full(op.time_s(self.chips, bw)) for name, op in self.operations.items()}

    @cached_property
    def compute_s(self) -> np.ndarray:
        """Σ f_i / (n F_i): the step's arithmetic, every operation in its own format."""
        return self._full(sum(op.compute_s(self.chips) for op in self.operations.values()))

    @cached_property
    def weights_s(self) -> np.ndarray:
        """Σ weight bytes read / (n W_hbm), experts counted as touched."""
        total = sum(op.weight_bytes for op in self.operations.values())
        return self._full(total / (self.chips * self.hardware.hbm_bandwidth_Bps))

    @cached_property
    def kv_s(self) -> np.ndarray:
        """KV bytes read / (n W_hbm)."""
        total = sum(op.kv_bytes for op in self.operations.values())
        return self._full(total / (self.chips * self.hardware.hbm_bandwidth_Bps))

    @property
    def memory_s(self) -> np.ndarray:
        """Weight reads plus KV reads."""
        return self.weights_s + self.kv_s

    @cached_property
    def pooled_s(self) -> np.ndarray:
        """max(Σ compute, Σ memory): every kernel overlapped perfectly (the lower bound on the step)."""
        return np.maximum(self.compute_s, self.memory_s)

    @cached_property
    def per_op_s(self) -> np.ndarray:
        """Σ_i max(compute_i, memory_i): each kernel at its own roofline, one after another."""
        bw = self.hardware.hbm_bandwidth_Bps
        return self._full(sum(op.time_s(self.chips, bw) for op in self.operations.values()))

    @property
    def step_s(self) -> np.ndarray:
        """The step time the book uses: the per-operation sum (see the module docstring)."""
        return self.per_op_s

    # -- per-token figures ------------------------------------------------------------------------
    @property
    def flops(self) -> np.ndarray:
        return self._full(sum(op.flops for op in self.operations.values()))

    @property
    def flops_per_token(self) -> np.ndarray:
        """All FLOPs of the step per token it emits, attention included."""
        return self.flops / self.tokens

    @property
    def weight_bytes_read(self) -> np.ndarray:
        """Weight bytes the step reads (experts counted as touched)."""
        return self._full(sum(op.weight_bytes for op in self.operations.values()))

    @property
    def kv_bytes_read(self) -> np.ndarray:
        return self._full(sum(op.kv_bytes for op in self.operations.values()))

    @property
    def experts_touched(self) -> np.ndarray | None:
        """Expected routed experts touched per MoE layer; None for a dense model."""
        if not self.model.is_moe:
            return None
        return self._full(experts_touched(self.tokens, self.model.routed_experts, self.model.active_experts))

    # -- capacity ---------------------------------------------------------------------------------
    @property
    def hbm_bytes(self) -> float:
        """n · C_hbm: all HBM of the replica."""
        return self.chips * self.hardware.hbm_capacity_bytes

    @property
    def usable_hbm_bytes(self) -> float:
        """(1 − ρ) · n · C_hbm: what weights and KV cache may fill."""
        return (1.0 - self.reserve_fraction) * self.hbm_bytes

    @property
    def memory_needed_bytes(self) -> np.ndarray:
        """Weights in their storage formats plus the batch's KV cache."""
        return self._full(self.weight_storage_bytes + self.kv_storage_bytes)

    @property
    def fits(self) -> np.ndarray:
        """True where weights + KV cache fit the usable HBM (eq. capacity)."""
        return self.memory_needed_bytes <= self.usable_hbm_bytes * (1 + 1e-12)

    @property
    def max_batch(self) -> np.ndarray:
        """The largest batch whose KV cache fits beside the weights at each point's context (0 if the weights
        alone do not fit; ``inf`` where one sequence's KV is empty)."""
        per_sequence = self.model.kv_cache_bytes(self.kv_context, self.precisions.kv)
        room = self.usable_hbm_bytes - self.weight_storage_bytes
        with np.errstate(divide="ignore", invalid="ignore"):
            b = np.where(per_sequence > 0, np.floor(np.maximum(room, 0.0) / np.where(per_sequence > 0, per_sequence, 1.0)),
                         np.inf if room >= 0 else 0.0)
        return self._full(b)

    @property
    def kv_context(self) -> np.ndarray:
        """The context each sequence's KV cache holds during the step (L for decode, P for prefill)."""
        return self.context


# --------------------------------------------------------------------------------------------------
# Building a step


def weight_storage_bytes(model: Model, precisions: Precisions) -> float:
    """Bytes of every stored weight: non-expert weights (attention, dense FFN, routers, embeddings, LM head) in
    ``precisions.weights``, routed and shared experts in ``precisions.experts``. From the config counts."""
    b_w, b_e = bytes_per_element(precisions.weights), bytes_per_element(precisions.experts)
    experts = model.moe_layers * (model.routed_experts + model.shared_experts) * model.expert_params
    return (model.config_total_params - experts) * b_w + experts * b_e


def _weight_operations(hardware: Hardware, model: Model, precisions: Precisions, tokens: np.ndarray,
                       ) -> dict[str, Operation]:
    """The operations whose bytes are weights, for T tokens (their shape)."""
    b_w, b_e = bytes_per_element(precisions.weights), bytes_per_element(precisions.experts)
    f_w = matmul_format(precisions.weights, hardware)
    f_e = matmul_format(precisions.experts, hardware)
    zero = np.zeros_like(tokens)

    def op(name, params_per_token, params_read, bytes_per, fmt):
        return Operation(name, 2.0 * tokens * params_per_token, np.asarray(params_read, dtype=float) * bytes_per + zero,
                         zero, hardware.flops(fmt), fmt)

    attn = model.layers * model.attention_params_per_layer
    dense = model.dense_layers * model.dense_ffn_params
    shared = model.moe_layers * model.shared_experts * model.expert_params
    routers = model.moe_layers * model.router_params
    touched = experts_touched(tokens, model.routed_experts, model.active_experts)
    routed_flops_params = model.moe_layers * model.active_experts * model.expert_params
    routed = Operation("routed_experts",
                       2.0 * tokens * routed_flops_params + 2.0 * tokens * routers,
                       model.moe_layers * touched * model.expert_params * b_e + routers * b_w,
                       zero, hardware.flops(f_e), f_e)
    return {
        "attention_projections": op("attention_projections", attn, attn, b_w, f_w),
        "dense_ffn": op("dense_ffn", dense, dense, b_w, f_w),
        "shared_experts": op("shared_experts", shared, shared, b_e, f_e),
        "routed_experts": routed,
        "lm_head": op("lm_head", model.lm_head_params, model.lm_head_params, b_w, f_w),
    }


def _context_operations(hardware: Hardware, model: Model, precisions: Precisions, batch: np.ndarray,
                        index_layer_tokens: np.ndarray, core_layer_tokens: np.ndarray, kv_layer_tokens: np.ndarray,
                        phase: str) -> dict[str, Operation]:
    """Attention over the context: the DSA indexer (if any) over ``index_layer_tokens`` and the main attention
    over ``core_layer_tokens`` (layer-token pairs per sequence), reading ``kv_layer_tokens`` layer-tokens of KV."""
    attn_fmt = attention_format(precisions, hardware)
    index_fmt = matmul_format("fp8", hardware)
    zero = np.zeros(())
    core = Operation("attention_core", batch * model.attention_core_flops_per_context_token(phase) * core_layer_tokens,
                     zero, batch * model.attention_kv_bytes_per_token_per_layer(precisions.kv) * kv_layer_tokens,
                     hardware.flops(attn_fmt), attn_fmt)
    index = Operation("attention_index", batch * model.indexer_flops_per_context_token * index_layer_tokens, zero,
                      batch * model.index_key_bytes_per_token_per_layer * index_layer_tokens,
                      hardware.flops(index_fmt), index_fmt)
    return {"attention_core": core, "attention_index": index}


def _check_inputs(batch: np.ndarray, context: np.ndarray, chips: int) -> None:
    if np.any(batch < 1):
        raise ValueError(f"batch must be ≥ 1 sequence; got min {batch.min():g}")
    if np.any(context < 0):
        raise ValueError(f"context must be ≥ 0 tokens; got min {context.min():g}")
    if chips < 1:
        raise ValueError(f"chips must be ≥ 1; got {chips}")


def decode_step(hardware: Hardware, model: Model, batch: ArrayLike, context: ArrayLike,
                precision: str | Precisions | None = None, kv_precision: str | None = None,
                chips: int | None = None, reserve_fraction: float = HBM_RESERVE_FRACTION,
                query_tokens_per_sequence: int = 1) -> Step:
    """One decode step of B sequences at context L on ``chips`` accelerators (the refined model).

    ``precision``: None for the model's release formats, a format name for every weight, or a
    :class:`Precisions`. ``kv_precision`` overrides the KV format (default bf16). ``chips`` defaults to the
    fewest accelerators whose usable HBM holds the weights (:func:`chips_to_fit` at batch 0). ``batch`` and
    ``context`` broadcast (pass ``b[:, None]`` and ``L[None, :]`` for a grid).

    ``query_tokens_per_sequence`` n_q (default 1): each sequence runs n_q query tokens in the step, as when a
    speculative step verifies γ = n_q − 1 draft tokens (:mod:`lib.speculative`). The weight operations see
    T = n_q·B tokens (experts touched at n_q·B); attention over the context does n_q times the FLOPs but reads
    each sequence's KV cache once, so its arithmetic intensity rises n_q-fold. ``tokens`` counts the n_q·B
    verified query tokens, not the tokens emitted (that depends on acceptance). Left out: the n_q − 1 draft
    tokens' own KV entries (held and attended to; negligible beside L) and, for sparse attention, any spread
    between the n_q queries' top-k selections (they are taken to read one shared set).
    """
    p = as_precisions(model, precision, kv_precision)
    model._require_config()
    q = int(query_tokens_per_sequence)
    if q != query_tokens_per_sequence or q < 1:
        raise ValueError(f"query_tokens_per_sequence must be an integer ≥ 1; got {query_tokens_per_sequence!r}")
    batch_arr = np.asarray(batch, dtype=float)
    context_arr = np.asarray(context, dtype=float)
    n = int(chips) if chips is not None else int(chips_to_fit(model, hardware, 0.0, 0.0, p, reserve_fraction))
    _check_inputs(batch_arr, context_arr, n)
    shape = np.broadcast_shapes(batch_arr.shape, context_arr.shape)
    tokens = batch_arr * q if q != 1 else batch_arr
    ops = _weight_operations(hardware, model, p, tokens)
    every = model.attended_tokens_sum(context_arr)
    main = model.attended_tokens_sum(context_arr, sparse=True) if model.is_sparse_attention else every
    ops.update(_context_operations(hardware, model, p, batch_arr, every, main, main, "decode"))
    if q != 1:  # n_q queries per sequence: n_q times the attention FLOPs over one read of the KV cache
        for name in CONTEXT_OPERATIONS:
            op = ops[name]
            ops[name] = Operation(name, op.flops * q, op.weight_bytes, op.kv_bytes, op.flops_per_s, op.compute_format)
    ordered = {name: ops[name] for name in OPERATIONS}
    kv_held = batch_arr * model.kv_cache_bytes(context_arr, p.kv)
    return Step("decode", hardware, model, p, np.broadcast_to(batch_arr, shape), np.broadcast_to(context_arr, shape),
                np.broadcast_to(tokens, shape), n, ordered, weight_storage_bytes(model, p), kv_held,
                reserve_fraction, shape)


@dataclass(frozen=True)
class PrefillStep(Step):
    """A prefill step: ``context`` is the prompt length P; ``cached`` the tokens already in the KV cache."""

    cached: np.ndarray = field(default_factory=lambda: np.zeros(()))

    @property
    def time_to_first_token_s(self) -> np.ndarray:
        """The prefill time: the first token comes out at the end of it (queueing not included)."""
        return self.step_s


def prefill_step(hardware: Hardware, model: Model, prompt_tokens: ArrayLike, batch: ArrayLike = 1,
                 cached_tokens: ArrayLike = 0, precision: str | Precisions | None = None,
                 kv_precision: str | None = None, chips: int | None = None,
                 reserve_fraction: float = HBM_RESERVE_FRACTION) -> PrefillStep:
    """Prefill of B prompts of P tokens, C of them already cached (prefix-cache hits), in one step.

    FLOPs: 2·N_active·(P − C) per prompt through the weights, plus causal attention over
    Σ_{i=C+1}^{P} i context tokens per full layer (the MLA expanded form). Bytes: every weight the B·(P − C)
    tokens touch, and the KV cache written (B·kv(P) − B·kv(C)) plus the cached prefix read once.
    FlashAttention's repeated reads of K/V tiles from HBM are not counted: prefill attention is far above the
    ridge either way. Its ``step_s`` is the time to first token of a prompt served alone.
    """
    p = as_precisions(model, precision, kv_precision)
    model._require_config()
    prompt = np.asarray(prompt_tokens, dtype=float)
    batch_arr = np.asarray(batch, dtype=float)
    cached = np.asarray(cached_tokens, dtype=float)
    n = int(chips) if chips is not None else int(chips_to_fit(model, hardware, 0.0, 0.0, p, reserve_fraction))
    _check_inputs(batch_arr, prompt, n)
    if np.any(cached < 0) or np.any(cached > prompt):
        raise ValueError("cached tokens must lie between 0 and the prompt length")
    if np.any(prompt - cached < 1):
        raise ValueError("a prefill needs at least one new (uncached) prompt token")
    shape = np.broadcast_shapes(prompt.shape, batch_arr.shape, cached.shape)
    tokens = batch_arr * (prompt - cached)
    ops = _weight_operations(hardware, model, p, tokens)
    every = model.causal_attended_tokens_sum(prompt, cached)
    main = model.causal_attended_tokens_sum(prompt, cached, sparse=True) if model.is_sparse_attention else every
    # KV bytes: the prompt's cache written (new tokens) plus the cached prefix read once.
    ops.update(_context_operations(hardware, model, p, batch_arr, every, main, model.attended_tokens_sum(prompt),
                                   "prefill"))
    ops["attention_index"] = Operation(
        "attention_index", ops["attention_index"].flops, np.zeros(()),
        batch_arr * model.index_key_bytes_per_token_per_layer * model.attended_tokens_sum(prompt),
        ops["attention_index"].flops_per_s, ops["attention_index"].compute_format)
    kv_bytes = batch_arr * model.kv_cache_bytes(prompt, p.kv)
    ordered = {name: ops[name] for name in OPERATIONS}
    return PrefillStep("prefill", hardware, model, p, np.broadcast_to(batch_arr, shape),
                       np.broadcast_to(prompt, shape), np.broadcast_to(tokens, shape), n, ordered,
                       weight_storage_bytes(model, p), kv_bytes, reserve_fraction, shape,
                       np.broadcast_to(cached, shape))


# --------------------------------------------------------------------------------------------------
# Capacity


def chips_to_fit(model: Model, hardware: Hardware, batch: ArrayLike = 0.0, context: ArrayLike = 0.0,
                 precision: str | Precisions | None = None, reserve_fraction: float = HBM_RESERVE_FRACTION,
                 ) -> np.ndarray:
    """The fewest accelerators whose usable HBM holds the weights and B sequences' KV at context L:
    ⌈(N_bytes + B·kv(L)) / ((1 − ρ) C_hbm)⌉, at least 1 (eq. capacity)."""
    if not 0.0 <= reserve_fraction < 1.0:
        raise ValueError(f"the HBM reserve must lie in [0, 1); got {reserve_fraction}")
    p = as_precisions(model, precision)
    need = weight_storage_bytes(model, p) + np.asarray(batch, dtype=float) * model.kv_cache_bytes(context, p.kv)
    usable = (1.0 - reserve_fraction) * hardware.hbm_capacity_bytes
    return np.maximum(1.0, np.ceil(need / usable - 1e-9))


def max_batch(model: Model, hardware: Hardware, chips: int, context: ArrayLike,
              precision: str | Precisions | None = None, reserve_fraction: float = HBM_RESERVE_FRACTION,
              ) -> np.ndarray:
    """⌊((1 − ρ) n C_hbm − N_bytes) / kv(L)⌋: the most sequences at context L that fit beside the weights
    (0 when the weights alone do not fit; ``inf`` when a sequence holds no KV)."""
    p = as_precisions(model, precision)
    room = (1.0 - reserve_fraction) * chips * hardware.hbm_capacity_bytes - weight_storage_bytes(model, p)
    per = model.kv_cache_bytes(np.asarray(context, dtype=float), p.kv)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(per > 0, np.floor(max(room, 0.0) / np.where(per > 0, per, 1.0)),
                        np.inf if room >= 0 else 0.0)


# --------------------------------------------------------------------------------------------------
# Where budgets meet: the optimal batch, pooled and per operation


def bisect_log(gap, low: float, high: float, iterations: int = 64, vector_gap=None, points: int = 241) -> float:
    """The smallest x in [low, high] with gap(x) ≥ 0, for gap increasing in x (bisection on log x);
    ``inf`` if gap(high) < 0, ``low`` if gap(low) ≥ 0 already.

    With ``vector_gap`` (the same function over an array of x) the first crossing is bracketed on one
    log-spaced grid of ``points`` in a single vectorised call, and bisection runs only inside that bracket (to a
    relative error of about ln(high/low) / (points · 2⁴⁰), below 10⁻¹³ for twelve decades, so that the
    calculator's full-range bisection lands on the same number to 10⁻⁹): one array call replaces some twenty-five
    scalar ones."""
    if vector_gap is not None:
        x = np.geomspace(low, high, points)
        above = np.asarray(vector_gap(x), dtype=float) >= 0
        if above[0]:
            return low
        if not above.any():
            return math.inf
        i = int(np.argmax(above))
        low, high, iterations = float(x[i - 1]), float(x[i]), min(iterations, 40)
    elif gap(low) >= 0:
        return low
    elif gap(high) < 0:
        return math.inf
    lo, hi = math.log(low), math.log(high)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if gap(math.exp(mid)) >= 0:
            hi = mid
        else:
            lo = mid
    return math.exp(hi)


def _bisect_batch(gap, low: float = 1.0, high: float = 1e9, iterations: int = 64, vector_gap=None) -> float:
    """The smallest batch in [low, high] with gap(B) ≥ 0 (:func:`bisect_log` over batches; the calculator's
    port reads these defaults and bisects the whole range, which lands on the same batch to < 10⁻⁸)."""
    return bisect_log(gap, low, high, iterations, vector_gap=vector_gap)


def pooled_optimal_batch(hardware: Hardware, model: Model, context: float = 0.0,
                         precision: str | Precisions | None = None, kv_precision: str | None = None,
                         query_tokens_per_sequence: int = 1) -> float:
    """The refined B*: the batch where the step's pooled compute time reaches its pooled memory time (weight
    reads with experts touched, and KV reads at context L). ``inf`` if KV and attention keep every batch
    memory bound. Found by bisection: compute − memory is convex in B and negative at B = 0.

    Counted in sequences; with ``query_tokens_per_sequence`` n_q > 1 (speculative verification, see
    :func:`decode_step`) each sequence brings n_q tokens to the weights, so B* in sequences falls about n_q-fold."""
    def gaps(b: np.ndarray) -> np.ndarray:
        s = decode_step(hardware, model, b, context, precision, kv_precision, chips=1,
                        query_tokens_per_sequence=query_tokens_per_sequence)
        return s.compute_s - s.memory_s
    return _bisect_batch(lambda b: float(gaps(b)), vector_gap=gaps)


def operation_optimal_batch(hardware: Hardware, model: Model, operation: str,
                            precision: str | Precisions | None = None) -> float:
    """The batch at which one weight operation turns compute bound on its own roofline (context plays no
    part in weight operations). For a dense matmul B = F_p · b / (2 W_hbm); for the routed experts the
    tokens per touched expert, B·k / E_touched(B), must reach that, so B → (E/k) · F_p · b / (2 W_hbm)
    at large batch: the expert-count ratio E/k is the sparsity of the expert layers."""
    if operation not in OPERATIONS or operation in CONTEXT_OPERATIONS:
        raise ValueError(f"operation must be one of the weight operations; got {operation!r}")

    def gap(b: float) -> float:
        op = decode_step(hardware, model, b, 0.0, precision, chips=1).operations[operation]
        if float(op.flops) == 0.0:
            return 1.0
        return float(op.compute_s(1) - op.memory_s(1, hardware.hbm_bandwidth_Bps))
    return _bisect_batch(gap)


def per_op_optimal_batch(hardware: Hardware, model: Model, precision: str | Precisions | None = None) -> float:
    """The smallest batch at which every weight operation is compute bound: the routed experts' for a MoE
    model, the dense matmuls' for a dense one."""
    ops = [o for o in OPERATIONS if o not in CONTEXT_OPERATIONS]
    return max(operation_optimal_batch(hardware, model, o, precision) for o in ops)


# --------------------------------------------------------------------------------------------------
# The blackboard's model (eq. two-budgets of the lecture), kept by name for the talk's own numbers


def compute_time_s(batch: ArrayLike, active_params: float, flops_per_s: float, chips: int = 1) -> np.ndarray:
    """Blackboard t_compute = 2 · B · N_active / (n · F): two FLOPs per active parameter per token."""
    return 2.0 * np.asarray(batch, dtype=float) * active_params / (chips * flops_per_s)


def weight_read_time_s(total_params: float, bytes_per_weight: float, bandwidth_Bps: float, chips: int = 1) -> float:
    """Blackboard t_weights = N_total · b_w / (n · W_hbm): every weight read once per step, whatever the batch."""
    return total_params * bytes_per_weight / (chips * bandwidth_Bps)


def kv_read_time_s(batch: ArrayLike, kv_bytes_per_sequence: ArrayLike, bandwidth_Bps: float,
                   chips: int = 1) -> np.ndarray:
    """t_kv = B · kv(L) / (n · W_hbm): each sequence's own KV cache read once per step."""
    return np.asarray(batch, dtype=float) * np.asarray(kv_bytes_per_sequence, dtype=float) / (chips * bandwidth_Bps)


def optimal_batch(flops_per_s: ArrayLike, bandwidth_Bps: ArrayLike, sparsity: ArrayLike,
                  bytes_per_weight: ArrayLike = 2.0) -> np.ndarray:
    """The blackboard's B*, where compute time equals weight-read time (KV ignored, every weight read):
    B* = (F / W_hbm) · (N_total / N_active) · b_w / 2.

    With weights and compute at the same precision, F scales as 1 / b_w on most chips, so the precision
    largely cancels and B* ≈ ridge(bf16) × sparsity.
    """
    return (np.asarray(flops_per_s, dtype=float) / np.asarray(bandwidth_Bps, dtype=float)
            * np.asarray(sparsity, dtype=float) * np.asarray(bytes_per_weight, dtype=float) / 2.0)


@dataclass(frozen=True)
class BlackboardStep(_StepRates):
    """The times of one blackboard decode step (seconds), broadcast over batch × context."""

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
    def tokens(self) -> np.ndarray:
        """Tokens the step emits: one per sequence, B."""
        return self.batch


#: The name the first edition used for the blackboard step.
DecodeStep = BlackboardStep


def min_chips_for_weights(model: Model, hardware: Hardware, precision: str = "bf16") -> int:
    """The blackboard's replica: the fewest accelerators whose whole HBM holds N_total · b_w (no reserve, no KV)."""
    return max(1, math.ceil(model.weight_bytes(precision) / hardware.hbm_capacity_bytes - 1e-9))


def blackboard_decode_step(hardware: Hardware, model: Model, batch: ArrayLike, context: ArrayLike,
                           precision: str = "bf16", kv_precision: str = "bf16",
                           chips: int | None = None) -> BlackboardStep:
    """The lecture's decode step: t = max(2 B N_active / (n F), (N_total b_w + B kv(L)) / (n W_hbm)).

    ``precision`` sets both b_w and the FLOP/s; ``chips`` defaults to :func:`min_chips_for_weights`.
    """
    batch_arr = np.asarray(batch, dtype=float)
    context_arr = np.asarray(context, dtype=float)
    n = chips if chips is not None else min_chips_for_weights(model, hardware, precision)
    _check_inputs(batch_arr, context_arr, n)
    flops = hardware.flops(precision)
    b_w = bytes_per_element(precision)
    batch_arr, context_arr = np.broadcast_arrays(batch_arr, context_arr)
    compute = compute_time_s(batch_arr, model.active_params, flops, n)
    weights = np.full(batch_arr.shape, weight_read_time_s(model.total_params, b_w, hardware.hbm_bandwidth_Bps, n))
    kv = kv_read_time_s(batch_arr, model.kv_cache_bytes(context_arr, kv_precision), hardware.hbm_bandwidth_Bps, n)
    return BlackboardStep(batch_arr, context_arr, n, compute, weights, kv)


def crossover_batch(hardware: Hardware, model: Model, context: ArrayLike, precision: str = "bf16",
                    kv_precision: str = "bf16") -> np.ndarray:
    """The blackboard's sweet spot: the batch where t_compute = t_weights + t_kv, or ``inf`` where KV reads
    keep the step memory bound at every batch.  B = N_t b_w / (2 N_a W / F − kv(L)).
    """
    flops = hardware.flops(precision)
    bw = hardware.hbm_bandwidth_Bps
    kv = model.kv_cache_bytes(np.asarray(context, dtype=float), kv_precision)
    denominator = 2.0 * model.active_params * bw / flops - kv
    weights = model.total_params * bytes_per_element(precision)
    with np.errstate(divide="ignore"):
        return np.where(denominator > 0, weights / np.where(denominator > 0, denominator, 1.0), np.inf)


def compute_floor_chip_seconds_per_token(hardware: Hardware, model: Model, precision: str = "bf16") -> float:
    """The blackboard's large-batch floor of cost per token (accelerator-seconds): 2 · N_active / F."""
    return 2.0 * model.active_params / hardware.flops(precision)


def compute_bound_context_limit(hardware: Hardware, model: Model, precision: str = "bf16",
                                kv_precision: str = "bf16") -> float:
    """The blackboard's L_max beyond which no batch is compute bound: kv(L_max) / W_hbm = 2 N_active / F.

    ``inf`` if KV never reaches that size (an all-window model). Solves ``L·a + min(L, w)·c = X`` with a, c
    the full and windowed KV bytes per token.
    """
    budget_bytes = 2.0 * model.active_params * hardware.hbm_bandwidth_Bps / hardware.flops(precision)
    per_layer = model.kv_bytes_per_token_per_layer(kv_precision)
    full = per_layer * model.full_attention_layers
    windowed = per_layer * model.sliding_window_layers
    window = float(model.sliding_window_tokens)
    if full + windowed == 0:
        return math.inf
    inside = budget_bytes / (full + windowed)
    if model.sliding_window_layers == 0 or inside <= window:
        return inside
    if full == 0:
        return math.inf
    return (budget_bytes - window * windowed) / full
