"""Speculative decoding and multi-token prediction (lib.speculative): the expected tokens per step by hand, the
memory-bound and compute-bound limits on the refined model, and the optimal batch counted in sequences."""

import math

import numpy as np
import pytest

from lib import data, roofline
from lib import speculative as sd


def test_expected_tokens_per_step_by_hand():
    # DeepSeek-V3's MTP: k = 1, a = 0.85 → 1 + 0.85 = 1.85 tokens per step
    assert float(sd.expected_tokens_per_step(0.85, 1)) == pytest.approx(1.85)
    # k = 3, a = 0.9: 1 + 0.9 + 0.81 + 0.729 = 3.439
    assert float(sd.expected_tokens_per_step(0.9, 3)) == pytest.approx(3.439)
    assert float(sd.expected_tokens_per_step(1.0, 4)) == 5.0 and float(sd.expected_tokens_per_step(0.0, 4)) == 1.0
    assert float(sd.expected_tokens_per_step(0.7, 0)) == 1.0
    a = np.linspace(0, 1, 11)
    assert np.all(np.diff(sd.expected_tokens_per_step(a, 2)) > 0)


@pytest.mark.parametrize("a, k", [(-0.1, 1), (1.1, 1), (0.5, -1), (0.5, 1.5)])
def test_bad_acceptance_or_draft_length(a, k):
    with pytest.raises(ValueError):
        sd.expected_tokens_per_step(a, k)


def test_memory_bound_step_speeds_up_by_the_expected_tokens(h100, llama70):
    """Llama 3.1 70B at batch 1 reads 141 GB of weights per step (42 ms on 1 H100-worth of bandwidth) against
    0.3 ms of arithmetic for two tokens: verifying a draft costs nothing, so with a free draft (δ = 0) the user
    sees E = 1 + a times the speed at 1/E the cost per token."""
    s = sd.speculative_step(h100, llama70, 1, 0, 1, 0.8, draft_cost_fraction=0.0, chips=2)
    assert float(s.verify.step_s) == pytest.approx(float(s.plain.step_s), rel=1e-12)
    assert float(s.speedup) == pytest.approx(1.8) and float(s.cost_ratio) == pytest.approx(1 / 1.8)
    with_draft = sd.speculative_step(h100, llama70, 1, 0, 1, 0.8, draft_cost_fraction=0.05, chips=2)
    assert float(with_draft.step_s) == pytest.approx(1.05 * float(s.plain.step_s))


def test_compute_bound_step_costs_k_plus_one_over_e(h100, dsv3):
    """At context 0 and a batch far past every operation's ridge the step is all arithmetic: verifying q = k+1
    tokens per sequence takes (k+1) times as long, so the cost per emitted token is (k+1)(1 + kδ/(k+1))/E."""
    b = 1e6
    for k, a, delta in ((1, 0.875, 1 / 61), (3, 0.8, 0.0)):
        s = sd.speculative_step(h100, dsv3, b, 0, k, a, delta, chips=10)
        assert bool(s.plain.compute_bound) and bool(s.verify.compute_bound)
        e = float(sd.expected_tokens_per_step(a, k))
        assert float(s.cost_ratio) == pytest.approx((k + 1 + k * delta) / e, rel=1e-6)
        assert float(s.cost_ratio) > 1
    # 1 − E/(k+1) of the verified FLOPs are thrown away: 1 − 1.875/2 = 6.25% for DeepSeek's MTP
    assert float(sd.speculative_step(h100, dsv3, 8, 0, 1, 0.875, chips=10).wasted_flop_fraction) == pytest.approx(0.0625)


def test_deepseek_mtp_at_the_train_seats_is_near_the_reported_speedup(h100, dsv3):
    # 139 sequences at 4,989 tokens on 10 H100s: a memory-bound step; the model gives 1.73–1.77× at a = 0.85–0.90
    low, high = (float(sd.speculative_step(h100, dsv3, 139, 4989, 1, a, chips=10).speedup) for a in (0.85, 0.90))
    assert 1.6 < low < high < 1.85
    assert high == pytest.approx(sd.DEEPSEEK_MTP_REPORTED_SPEEDUP, rel=0.05)
    s = sd.speculative_step(h100, dsv3, 139, 4989, 1, 0.875, chips=10)
    assert float(s.step_s) == pytest.approx(float(s.verify.step_s) + float(s.plain.step_s) / 61)
    assert float(s.chip_seconds_per_token) == pytest.approx(10 * float(s.step_s) / (139 * 1.875))


def test_optimal_batch_in_sequences_falls_more_than_k_plus_one_fold_with_mla_context(h100, dsv3):
    """At context 0 the q = 2 optimal batch in sequences is half the plain one. At 4,989 tokens MLA's attention
    (242 FLOP/byte, below the bf16 ridge of 295) turns compute bound with two queries (484 FLOP/byte), so its
    arithmetic grows faster than its reads and B* in sequences falls far more than twofold."""
    zero = sd.optimal_batch_sequences(h100, dsv3, 0.0, 1) / roofline.pooled_optimal_batch(h100, dsv3)
    assert zero == pytest.approx(0.5, rel=1e-6)
    long = sd.optimal_batch_sequences(h100, dsv3, 4989.0, 1) / roofline.pooled_optimal_batch(h100, dsv3, 4989.0)
    assert long < 0.25


def test_break_even_batch(h100, dsv3):
    b = sd.break_even_batch(h100, dsv3, 0.0, 1, 0.875, chips=10)
    assert math.isfinite(b)
    grid = np.unique(np.round(np.geomspace(1, 1e6, 400)))
    before = grid[np.searchsorted(grid, b) - 1]
    ratio = lambda x: float(sd.speculative_step(h100, dsv3, x, 0.0, 1, 0.875, chips=10).cost_ratio)
    assert ratio(b) >= 1 > ratio(before)
    # At 4,989 tokens of MLA context KV reads dominate large batches and speculation still pays
    assert sd.break_even_batch(h100, dsv3, 4989.0, 1, 0.875, chips=10) == math.inf


def test_speculative_step_errors(h100, dsv3):
    with pytest.raises(ValueError, match="draft length"):
        sd.speculative_step(h100, dsv3, 4, 100, -1, 0.8)
    with pytest.raises(ValueError, match="c_draft"):
        sd.speculative_step(h100, dsv3, 4, 100, 1, 0.8, draft_cost_fraction=1.5)
