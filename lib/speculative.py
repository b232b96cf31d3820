"""Speculative decoding and multi-token prediction: a seat that carries more than one token per step.

A draft (a small model, or the model's own multi-token-prediction module) proposes γ tokens; one step of the
target model verifies them together with the next token, n_q = γ + 1 query tokens per sequence; the accepted
prefix of the drafts plus one token from the target come out. With each draft token accepted with probability
α_acc, independently, and the drafts judged in order (the first rejection ends the run), a step emits in
expectation (Leviathan et al. 2023)

    μ = Σ_{i=0}^{γ} α_acc^i = (1 − α_acc^{γ+1}) / (1 − α_acc)                         (eq. sd-tokens)

(γ + 1 at α_acc = 1, 1 at α_acc = 0). DeepSeek-V3's MTP module drafts one token (γ = 1) and its second token
is accepted 85–90% of the time (DeepSeek-V3 technical report, §5.4.3), so 1.85–1.90 tokens per step. In code,
γ is ``draft_tokens`` and α_acc ``acceptance``.

**The step** comes from the refined model with n_q = γ + 1 query tokens per sequence
(:func:`lib.roofline.decode_step`, ``query_tokens_per_sequence``): the weights see n_q·B tokens, so their reads
are shared by n_q·B tokens; attention does n_q times the FLOPs over one read of each sequence's KV cache, so its
arithmetic intensity rises n_q-fold. Drafting adds γ passes of the draft, each a fraction c_draft of a plain step:

    t_spec(B, L) = t_step(B, L; n_q = γ+1) + γ · c_draft · t_step(B, L; n_q = 1)             (eq. sd-step)

Per-user speed is μ / t_spec; cost per emitted token n · t_spec / (B · μ). Against plain decoding
(1 / t_step and n · t_step / B):

    speed-up = μ · t_step / t_spec,     cost ratio = t_spec / (μ · t_step)             (eq. sd-ratios)

Memory bound (small batch), t_spec ≈ t_step and both improve by about μ. Compute bound (large batch),
t_spec ≈ (γ+1) · t_step: every one of the γ + 1 verified tokens costs its FLOPs, accepted or not, so the cost
per emitted token rises by (γ+1)/μ ≥ 1 — speculation pays at small batch and costs at large batch.
Counted in sequences, the optimal batch falls about n_q-fold (:func:`lib.roofline.pooled_optimal_batch`).

**Capacity.** The draft's weights sit in HBM beside the model's: an MTP module is one more transformer block,
N_draft ≈ N_total / layers parameters (:func:`draft_module_params`; DeepSeek-V3 publishes 11.5B), which
N_total does not count. They take N_draft · b_w bytes from the KV caches, so a replica seats
⌊((1 − r_hbm) n C_hbm − N_bytes − N_draft b_w) / kv(L)⌋ sequences with speculation (:func:`capacity_with_draft`).

Assumptions, named: acceptance independent of position (real acceptance falls along the draft); the draft
tokens' own KV entries and the target's sampling overhead left out; c_draft a fixed fraction of a plain step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hardware import Hardware
from .models import Model
from .roofline import (HBM_RESERVE_FRACTION, Precisions, Step, as_precisions, decode_step, pooled_optimal_batch,
                       weight_storage_bytes)
from .units import bytes_per_element

ArrayLike = np.ndarray | float | int

#: DeepSeek-V3's reported acceptance of its MTP module's second token, 85–90% (arXiv:2412.19437, §5.4.3).
DEEPSEEK_MTP_ACCEPTANCE = (0.85, 0.90)
#: DeepSeek-V3's MTP depth: one extra token predicted (D = 1), so γ = 1 draft token per step.
DEEPSEEK_MTP_DRAFT_TOKENS = 1
#: The decoding speed-up DeepSeek reports with it, "1.8 times TPS" (same section; batch and hardware not stated).
DEEPSEEK_MTP_REPORTED_SPEEDUP = 1.8
#: c_draft: one MTP module is one transformer block against DeepSeek-V3's 61 (its embedding and output head are
#: shared with the model, and their cost is not counted), so a draft pass ≈ 1/61 of a plain step.
MTP_DRAFT_COST_FRACTION = 1.0 / 61.0
#: DeepSeek-V3's MTP module as published: 11.5B unique parameters, its embedding and output head shared with the
#: main model (README_WEIGHTS.md, github.com/deepseek-ai/DeepSeek-V3); the 671B of N_total exclude it (the
#: Hugging Face checkpoint's 685B include it with the shared layers). A check on :func:`draft_module_params`.
DEEPSEEK_MTP_PUBLISHED_PARAMS = 11.5e9


def draft_module_params(model: Model) -> float:
    """N_draft = N_total / layers: the parameters of a one-block MTP draft module (one more transformer block of
    the model's average size, embedding and head shared), which N_total does not count. DeepSeek-V3:
    671B / 61 = 11.0B against the published 11.5B (its MoE blocks are a little above the average, which includes
    three dense layers)."""
    return model.total_params / model.layers


def capacity_with_draft(hardware: Hardware, model: Model, chips: int, context: ArrayLike,
                        precision: str | Precisions | None = None,
                        reserve_fraction: float = HBM_RESERVE_FRACTION) -> np.ndarray:
    """⌊((1 − r_hbm) n C_hbm − N_bytes − N_draft · b_w) / kv(L)⌋: the sequences at context L whose KV caches fit
    beside the model's weights and a one-block draft module's (stored in the experts' format; 0 when nothing fits)."""
    p = as_precisions(model, precision)
    draft_bytes = draft_module_params(model) * bytes_per_element(p.experts)
    room = (1.0 - reserve_fraction) * chips * hardware.hbm_capacity_bytes - weight_storage_bytes(model, p) - draft_bytes
    per = np.asarray(model.kv_cache_bytes(np.asarray(context, dtype=float), p.kv), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(per > 0, np.floor(max(room, 0.0) / np.where(per > 0, per, 1.0)), np.inf if room >= 0 else 0.0)


def expected_tokens_per_step(acceptance: ArrayLike, draft_tokens: ArrayLike) -> np.ndarray:
    """μ = (1 − α_acc^{γ+1}) / (1 − α_acc): tokens a sequence emits per verified step (eq. sd-tokens); γ + 1 at
    α_acc = 1 (γ is ``draft_tokens``, α_acc ``acceptance``)."""
    a = np.asarray(acceptance, dtype=float)
    k = np.asarray(draft_tokens, dtype=float)
    if np.any((a < 0) | (a > 1)):
        raise ValueError("the acceptance rate α_acc must lie in [0, 1]")
    if np.any((k < 0) | (k != np.round(k))):
        raise ValueError("the draft length γ must be a whole number ≥ 0")
    with np.errstate(divide="ignore", invalid="ignore"):
        geometric = (1.0 - a ** (k + 1.0)) / (1.0 - a)
    return np.where(a == 1.0, k + 1.0, geometric)


@dataclass(frozen=True)
class SpeculativeStep:
    """A speculative decode step beside the plain one (seconds, accelerator-seconds; arrays broadcast)."""

    plain: Step
    verify: Step
    draft_tokens: int
    acceptance: np.ndarray
    draft_cost_fraction: float

    @property
    def tokens_per_sequence(self) -> np.ndarray:
        """μ, tokens each sequence emits per step."""
        return expected_tokens_per_step(self.acceptance, self.draft_tokens)

    @property
    def step_s(self) -> np.ndarray:
        """t_spec = t_step(n_q = γ+1) + γ · c_draft · t_step(n_q = 1) (eq. sd-step)."""
        return self.verify.step_s + self.draft_tokens * self.draft_cost_fraction * self.plain.step_s

    @property
    def user_tokens_per_s(self) -> np.ndarray:
        """μ / t_spec: the decode speed one sequence sees."""
        return self.tokens_per_sequence / self.step_s

    @property
    def chip_seconds_per_token(self) -> np.ndarray:
        """n · t_spec / (B · μ): accelerator-seconds per emitted token."""
        return self.plain.chips * self.step_s / (self.plain.batch * self.tokens_per_sequence)

    @property
    def speedup(self) -> np.ndarray:
        """Per-user speed against plain decoding: μ · t_step / t_spec (eq. sd-ratios)."""
        return self.tokens_per_sequence * self.plain.step_s / self.step_s

    @property
    def cost_ratio(self) -> np.ndarray:
        """Cost per emitted token against plain decoding: t_spec / (μ · t_step); < 1 means it pays."""
        return self.step_s / (self.tokens_per_sequence * self.plain.step_s)

    @property
    def wasted_flop_fraction(self) -> np.ndarray:
        """Share of the verified tokens' FLOPs spent on tokens that are thrown away: 1 − μ / (γ + 1)."""
        return 1.0 - self.tokens_per_sequence / (self.draft_tokens + 1.0)


def speculative_step(hardware: Hardware, model: Model, batch: ArrayLike, context: ArrayLike, draft_tokens: int,
                     acceptance: ArrayLike, draft_cost_fraction: float = MTP_DRAFT_COST_FRACTION,
                     precision: str | Precisions | None = None, kv_precision: str | None = None,
                     chips: int | None = None) -> SpeculativeStep:
    """A step that verifies γ draft tokens per sequence (n_q = γ + 1 query tokens) on the refined model,
    beside the plain step of the same batch, context and replica."""
    k = int(draft_tokens)
    if k != draft_tokens or k < 0:
        raise ValueError(f"the draft length γ must be a whole number ≥ 0; got {draft_tokens!r}")
    if not 0.0 <= draft_cost_fraction < 1.0:
        raise ValueError("the draft's cost per token, c_draft, must lie in [0, 1) of a plain step")
    plain = decode_step(hardware, model, batch, context, precision, kv_precision, chips=chips)
    verify = decode_step(hardware, model, batch, context, precision, kv_precision, chips=plain.chips,
                         query_tokens_per_sequence=k + 1)
    a = np.asarray(acceptance, dtype=float)
    expected_tokens_per_step(a, k)  # validates a
    return SpeculativeStep(plain, verify, k, a, float(draft_cost_fraction))


def optimal_batch_sequences(hardware: Hardware, model: Model, context: float, draft_tokens: int,
                            precision: str | Precisions | None = None) -> float:
    """The pooled optimal batch B* counted in sequences when each brings γ + 1 query tokens (about B*/(γ+1))."""
    return pooled_optimal_batch(hardware, model, context, precision, query_tokens_per_sequence=int(draft_tokens) + 1)


def break_even_batch(hardware: Hardware, model: Model, context: float, draft_tokens: int, acceptance: float,
                     draft_cost_fraction: float = MTP_DRAFT_COST_FRACTION, precision: str | Precisions | None = None,
                     chips: int | None = None, batches: np.ndarray | None = None) -> float:
    """The smallest batch on ``batches`` (default a log grid from 1 to 10⁶) at which speculation no longer
    lowers the cost per token (cost ratio ≥ 1); ``inf`` if it pays on the whole grid."""
    grid = np.unique(np.round(np.geomspace(1, 1e6, 400))) if batches is None else np.asarray(batches, dtype=float)
    ratio = speculative_step(hardware, model, grid, context, draft_tokens, acceptance, draft_cost_fraction,
                             precision, chips=chips).cost_ratio
    above = np.nonzero(ratio >= 1.0)[0]
    return float(grid[above[0]]) if above.size else float("inf")
