"""Compute demand along four axes: pre-training, post-training (RL), test-time reasoning and agentic fan-out.

With N the active parameters of a model (N_active in the notation table) and D its pre-training tokens
(eq. demand-terms)::

    C_pre   = 6 · N · D                          forward + backward pass over every training token
    C_post  = k_rl · N · T_rl / ρ                RL: T_rl rollout tokens, k_rl FLOP per parameter per token
                                                  (2 to score a rollout, 6 to also train on it), ρ the
                                                  rollout efficiency (decode runs below peak FLOP/s)
    C_test  = 2 · N · Q · r                      Q answers served, r tokens each (reasoning + answer)
    C_agent = 2 · N · Q · r · (a − 1)            a model calls per task instead of one (sub-agents)

The inference terms compound: C_test + C_agent = 2 · N · Q · r · a, a product of three axes a reader can
turn. The pre-training term is paid once; the inference terms grow with use. Every function broadcasts
over numpy arrays and returns FLOPs (floating-point operations, not FLOP/s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .roofline import ArrayLike

#: The four axes, in the order the talk names them.
AXES: tuple[str, ...] = ("pre-training", "post-training", "test-time", "agentic")

#: FLOP per parameter per token: a forward pass is 2, forward + backward 6.
FORWARD_FLOP_PER_PARAM = 2.0
TRAIN_FLOP_PER_PARAM = 6.0


def pretraining_flop(active_params: ArrayLike, tokens: ArrayLike) -> np.ndarray:
    """C_pre = 6 · N · D."""
    n, d = np.asarray(active_params, dtype=float), np.asarray(tokens, dtype=float)
    if np.any(n <= 0) or np.any(d < 0):
        raise ValueError("parameters must be positive and tokens non-negative")
    return TRAIN_FLOP_PER_PARAM * n * d


def posttraining_flop(active_params: ArrayLike, rl_tokens: ArrayLike, flop_per_param: ArrayLike = 6.0,
                      rollout_efficiency: ArrayLike = 0.3) -> np.ndarray:
    """C_post = k_rl · N · T_rl / ρ, in peak-equivalent FLOPs (ρ < 1 charges for decode-bound rollouts)."""
    n, t = np.asarray(active_params, dtype=float), np.asarray(rl_tokens, dtype=float)
    k, rho = np.asarray(flop_per_param, dtype=float), np.asarray(rollout_efficiency, dtype=float)
    if np.any((rho <= 0) | (rho > 1)):
        raise ValueError("rollout efficiency must lie in (0, 1]")
    if np.any(k <= 0) or np.any(t < 0) or np.any(n <= 0):
        raise ValueError("k_rl and N must be positive, RL tokens non-negative")
    return k * n * t / rho


def testtime_flop(active_params: ArrayLike, answers: ArrayLike, tokens_per_answer: ArrayLike) -> np.ndarray:
    """C_test = 2 · N · Q · r: Q answers of r generated tokens (reasoning plus the answer)."""
    n, q, r = (np.asarray(x, dtype=float) for x in (active_params, answers, tokens_per_answer))
    if np.any(n <= 0) or np.any(q < 0) or np.any(r < 0):
        raise ValueError("N must be positive, answers and tokens non-negative")
    return FORWARD_FLOP_PER_PARAM * n * q * r


def agentic_flop(active_params: ArrayLike, answers: ArrayLike, tokens_per_answer: ArrayLike,
                 calls_per_task: ArrayLike) -> np.ndarray:
    """C_agent = 2 · N · Q · r · (a − 1): the extra model calls when each task fans out to a ≥ 1 calls."""
    a = np.asarray(calls_per_task, dtype=float)
    if np.any(a < 1):
        raise ValueError("a task makes at least one model call (a ≥ 1)")
    return testtime_flop(active_params, answers, tokens_per_answer) * (a - 1.0)


@dataclass(frozen=True)
class Demand:
    """The four terms (FLOPs) for one set of assumptions."""

    pretraining: float
    posttraining: float
    testtime: float
    agentic: float

    @property
    def total(self) -> float:
        return self.pretraining + self.posttraining + self.testtime + self.agentic

    @property
    def inference(self) -> float:
        """C_test + C_agent = 2 N Q r a."""
        return self.testtime + self.agentic

    def as_dict(self) -> dict[str, float]:
        return dict(zip(AXES, (self.pretraining, self.posttraining, self.testtime, self.agentic)))

    @property
    def dominant(self) -> str:
        """The axis with the largest term."""
        terms = self.as_dict()
        return max(terms, key=terms.get)


def demand(active_params: float, pretraining_tokens: float, rl_tokens: float, answers: float,
           tokens_per_answer: float, calls_per_task: float = 1.0, rl_flop_per_param: float = 6.0,
           rollout_efficiency: float = 0.3) -> Demand:
    """All four terms of eq. demand-terms for one scenario."""
    return Demand(
        float(pretraining_flop(active_params, pretraining_tokens)),
        float(posttraining_flop(active_params, rl_tokens, rl_flop_per_param, rollout_efficiency)),
        float(testtime_flop(active_params, answers, tokens_per_answer)),
        float(agentic_flop(active_params, answers, tokens_per_answer, calls_per_task)),
    )


def answers_to_match_pretraining(pretraining_tokens: ArrayLike, tokens_per_answer: ArrayLike,
                                 calls_per_task: ArrayLike = 1.0) -> np.ndarray:
    """Q* where inference equals pre-training: 2 N Q r a = 6 N D  ⇒  Q* = 3 D / (r · a). N cancels."""
    d, r, a = (np.asarray(x, dtype=float) for x in (pretraining_tokens, tokens_per_answer, calls_per_task))
    if np.any(r <= 0) or np.any(a < 1):
        raise ValueError("tokens per answer must be positive and calls per task ≥ 1")
    return 3.0 * d / (r * a)
