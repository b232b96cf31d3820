"""Compute demand along four axes: pre-training, post-training (RL), test-time reasoning and agentic fan-out.

With N the active parameters of a model (N_active in the notation table), D its pre-training tokens and
D_serve the tokens it serves (prompt and output alike: V_day = U_day · r_day tokens a day — U_day daily users ×
r_day tokens per daily user per day — for d_serve days), the useful work of each axis is counted in FLOP
(eq. demand-flop)::

    F_pre   = 6 · N · D                          forward + backward pass over every training token
    F_test  = 2 · N · D_serve                    a forward pass per served token (reasoning included)
    F_agent = 2 · N · D_serve · (a − 1)          a model calls per task instead of one (sub-agents)

Work is not what a builder pays for: accelerator time is. A FLOP done at utilisation u (achieved ÷ peak dense
FLOP/s of the format used, the book's one definition of utilisation) occupies 1/u peak-FLOPs of accelerator
time. Pre-training runs at u_train, every decode-heavy workload — RL rollouts, test-time reasoning, agentic
calls — at the same u_dec, and RL compute is given as a multiple χ_RL of pre-training's accelerator time
(eq. demand-time)::

    C_pre   = F_pre / u_train                    accelerator time, in peak-FLOP equivalents
    C_post  = χ_RL · C_pre                       RL, as a multiple of pre-training's accelerator time
    C_test  = F_test / u_dec
    C_agent = F_agent / u_dec

The inference terms compound: C_test + C_agent = 2 · N · D_serve · a / u_dec. Inference equals pre-training
after d* = 3 · D · u_dec / (U_day · r_day · a · u_train) days (eq. demand-breakeven): N cancels. Only the product
V_day = U_day · r_day enters, and it is what is measured (ChatGPT's messages a day × tokens per message), so the
functions take the daily volume V_day, and a sensitivity turns it as one quantity: turning U_day at fixed r_day (or
r_day at fixed U_day) would move the volume away from the measurement. Every function broadcasts over numpy arrays;
FLOP are operations, not FLOP/s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .roofline import ArrayLike
from .scaling import SERVE_FLOP_PER_PARAM_TOKEN, TRAIN_FLOP_PER_PARAM_TOKEN

#: The four axes, in the order the talk names them.
AXES: tuple[str, ...] = ("pre-training", "post-training", "test-time", "agentic")



def _positive(name: str, value: ArrayLike) -> np.ndarray:
    x = np.asarray(value, dtype=float)
    if np.any(x <= 0) or np.any(np.isnan(x)):
        raise ValueError(f"{name} must be positive")
    return x


def _utilisation(name: str, value: ArrayLike) -> np.ndarray:
    u = np.asarray(value, dtype=float)
    if np.any((u <= 0) | (u > 1)) or np.any(np.isnan(u)):
        raise ValueError(f"{name} is achieved ÷ peak FLOP/s and must lie in (0, 1]")
    return u


def pretraining_flop(active_params: ArrayLike, tokens: ArrayLike) -> np.ndarray:
    """F_pre = 6 · N · D (FLOP)."""
    d = np.asarray(tokens, dtype=float)
    if np.any(d < 0):
        raise ValueError("tokens must be non-negative")
    return TRAIN_FLOP_PER_PARAM_TOKEN * _positive("active_params", active_params) * d


def serving_flop(active_params: ArrayLike, served_tokens: ArrayLike) -> np.ndarray:
    """F_test = 2 · N · D_serve (FLOP): one forward pass per served token, prompt and output alike."""
    t = np.asarray(served_tokens, dtype=float)
    if np.any(t < 0):
        raise ValueError("served tokens must be non-negative")
    return SERVE_FLOP_PER_PARAM_TOKEN * _positive("active_params", active_params) * t


def agentic_flop(active_params: ArrayLike, served_tokens: ArrayLike, calls_per_task: ArrayLike) -> np.ndarray:
    """F_agent = 2 · N · D_serve · (a − 1): the extra model calls when each task fans out to a ≥ 1 calls."""
    a = np.asarray(calls_per_task, dtype=float)
    if np.any(a < 1):
        raise ValueError("a task makes at least one model call (a ≥ 1)")
    return serving_flop(active_params, served_tokens) * (a - 1.0)


def accelerator_flop(flop: ArrayLike, utilisation: ArrayLike) -> np.ndarray:
    """C = F_work / u: the accelerator time a workload of F_work FLOP occupies at utilisation u, in peak-FLOP equivalents
    (divide by an accelerator's peak FLOP/s for accelerator-seconds)."""
    f = np.asarray(flop, dtype=float)
    if np.any(f < 0):
        raise ValueError("FLOP must be non-negative")
    return f / _utilisation("utilisation", utilisation)


def served_tokens_over(served_tokens_per_day: ArrayLike, days: ArrayLike) -> np.ndarray:
    """D_serve = V_day · d_serve (tokens), V_day = U_day · r_day the tokens served a day."""
    return _positive("served_tokens_per_day", served_tokens_per_day) * _positive("days", days)


@dataclass(frozen=True)
class Demand:
    """The four terms of eq. demand-time: accelerator time in peak-FLOP equivalents (FLOP ÷ utilisation)."""

    pretraining: float
    posttraining: float
    testtime: float
    agentic: float

    @property
    def total(self) -> float:
        return self.pretraining + self.posttraining + self.testtime + self.agentic

    @property
    def inference(self) -> float:
        """C_test + C_agent = 2 · N · D_serve · a / u_dec."""
        return self.testtime + self.agentic

    def as_dict(self) -> dict[str, float]:
        return dict(zip(AXES, (self.pretraining, self.posttraining, self.testtime, self.agentic)))

    def relative(self) -> dict[str, float]:
        """Each term ÷ the pre-training term (pre-training runs)."""
        return {axis: value / self.pretraining for axis, value in self.as_dict().items()}

    @property
    def dominant(self) -> str:
        """The axis with the largest term."""
        terms = self.as_dict()
        return max(terms, key=terms.get)


def demand(active_params: float, pretraining_tokens: float, served_tokens: float, calls_per_task: float = 1.0,
           training_utilisation: float = 0.4, decode_utilisation: float = 0.3,
           rl_to_pretraining: float = 1.0) -> Demand:
    """All four terms of eq. demand-time for one scenario (accelerator time, peak-FLOP equivalents)."""
    if rl_to_pretraining < 0:
        raise ValueError("the RL-to-pre-training compute ratio must be non-negative")
    pre = float(accelerator_flop(pretraining_flop(active_params, pretraining_tokens), training_utilisation))
    return Demand(
        pre,
        rl_to_pretraining * pre,
        float(accelerator_flop(serving_flop(active_params, served_tokens), decode_utilisation)),
        float(accelerator_flop(agentic_flop(active_params, served_tokens, calls_per_task), decode_utilisation)),
    )


def inference_to_pretraining(pretraining_tokens: ArrayLike, served_tokens: ArrayLike, calls_per_task: ArrayLike = 1.0,
                             training_utilisation: ArrayLike = 0.4, decode_utilisation: ArrayLike = 0.3) -> np.ndarray:
    """(C_test + C_agent) / C_pre = (2 · D_serve · a / u_dec) / (6 · D / u_train); N cancels."""
    d = _positive("pretraining_tokens", pretraining_tokens)
    a = np.asarray(calls_per_task, dtype=float)
    if np.any(a < 1):
        raise ValueError("a task makes at least one model call (a ≥ 1)")
    t = np.asarray(served_tokens, dtype=float)
    if np.any(t < 0):
        raise ValueError("served tokens must be non-negative")
    return (SERVE_FLOP_PER_PARAM_TOKEN * t * a / _utilisation("decode_utilisation", decode_utilisation)) / (
        TRAIN_FLOP_PER_PARAM_TOKEN * d / _utilisation("training_utilisation", training_utilisation))


def days_to_match_pretraining(pretraining_tokens: ArrayLike, served_tokens_per_day: ArrayLike,
                              calls_per_task: ArrayLike = 1.0, training_utilisation: ArrayLike = 0.4,
                              decode_utilisation: ArrayLike = 0.3) -> np.ndarray:
    """d* = 3 · D · u_dec / (V_day · a · u_train), V_day = U_day · r_day (eq. demand-breakeven): the days of serving
    whose accelerator time equals one pre-training run's. N cancels."""
    a = np.asarray(calls_per_task, dtype=float)
    if np.any(a < 1):
        raise ValueError("a task makes at least one model call (a ≥ 1)")
    per_day = (_positive("served_tokens_per_day", served_tokens_per_day)
               * a / _utilisation("decode_utilisation", decode_utilisation))
    return (TRAIN_FLOP_PER_PARAM_TOKEN / SERVE_FLOP_PER_PARAM_TOKEN * _positive("pretraining_tokens", pretraining_tokens)
            / _utilisation("training_utilisation", training_utilisation) / per_day)
