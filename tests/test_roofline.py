"""The blackboard's decode-step roofline (eq. two-budgets of the lecture): hand calculations, invariants, errors.

The refined step model is tested in test_step_model.py."""

import math

import numpy as np
import pytest

from lib import data, roofline


def test_hand_calculation_llama70b_on_two_h100(h100, llama70):
    step = roofline.blackboard_decode_step(h100, llama70, batch=64, context=4096, chips=2)
    # compute: 2 * 64 * 70.6e9 / (2 * 989e12)
    assert float(step.compute_s) == pytest.approx(2 * 64 * 70.6e9 / (2 * 989e12))
    # weights: 70.6e9 * 2 bytes / (2 * 3.35e12)
    assert float(step.weights_s) == pytest.approx(70.6e9 * 2 / (2 * 3.35e12))
    # kv: 64 * 4096 * 327,680 / (2 * 3.35e12)
    assert float(step.kv_s) == pytest.approx(64 * 4096 * 327_680 / (2 * 3.35e12))
    assert float(step.step_s) == pytest.approx(max(step.compute_s, step.weights_s + step.kv_s))
    assert str(step.bound) == "memory"
    assert float(step.tokens_per_s) == pytest.approx(64 / float(step.step_s))


def test_default_chips_hold_the_weights(h100):
    ds = data.get_model("DeepSeek-V3")
    n = roofline.min_chips_for_weights(ds, h100)
    assert n == math.ceil(671e9 * 2 / 80e9) == 17
    assert roofline.blackboard_decode_step(h100, ds, 1, 0).chips == n
    assert roofline.min_chips_for_weights(ds, h100, "fp8") == 9


def test_step_is_at_least_each_budget_and_grid_broadcasts(h100, llama70):
    b = np.logspace(0, 5, 40)[:, None]
    l = np.logspace(2, 6, 30)[None, :]
    step = roofline.blackboard_decode_step(h100, llama70, b, l, chips=4)
    assert step.step_s.shape == (40, 30)
    assert np.all(step.step_s >= step.compute_s)
    assert np.all(step.step_s >= step.weights_s + step.kv_s)


def test_throughput_never_decreases_with_batch(h100, llama70):
    b = np.arange(1, 20_000, 7, dtype=float)
    for context in (0, 1024, 131_072):
        tput = roofline.blackboard_decode_step(h100, llama70, b, context, chips=2).tokens_per_s
        assert np.all(np.diff(tput) >= -1e-9 * tput[1:])


def test_cost_per_token_never_increases_with_batch_when_weight_bound(h100):
    ds = data.get_model("DeepSeek-V3")
    b = np.arange(1, 3000, dtype=float)
    step = roofline.blackboard_decode_step(h100, ds, b, 1024)
    memory_bound = ~step.compute_bound
    cost = step.chip_seconds_per_token[memory_bound]
    assert memory_bound.sum() > 100
    assert np.all(np.diff(cost) <= 0)


def test_cost_per_token_does_not_depend_on_replica_size(h100, llama70):
    costs = [float(roofline.blackboard_decode_step(h100, llama70, 256, 8192, chips=n).chip_seconds_per_token) for n in (1, 2, 8)]
    assert costs == pytest.approx([costs[0]] * 3)


def test_crossover_is_where_budgets_meet(h100):
    ds = data.get_model("DeepSeek-V3")
    b = float(roofline.crossover_batch(h100, ds, 1024))
    step = roofline.blackboard_decode_step(h100, ds, b, 1024)
    assert float(step.compute_s) == pytest.approx(float(step.memory_s), rel=1e-9)
    # Past L_max there is no crossover at all.
    l_max = roofline.compute_bound_context_limit(h100, ds)
    assert math.isinf(float(roofline.crossover_batch(h100, ds, l_max * 1.01)))
    assert math.isfinite(float(roofline.crossover_batch(h100, ds, l_max * 0.99)))


def test_context_limit_with_sliding_windows(h100):
    m = data.get_model("gpt-oss-120b")
    l_max = roofline.compute_bound_context_limit(h100, m)
    kv_budget = 2 * m.active_params * h100.hbm_bandwidth_Bps / h100.flops("bf16")
    assert float(m.kv_cache_bytes(l_max)) == pytest.approx(kv_budget, rel=1e-9)


def test_optimal_batch_is_ridge_times_sparsity_and_precision_cancels():
    # B* = (F / W) * s * b_w / 2: with F doubling as b_w halves, B* is unchanged.
    assert float(roofline.optimal_batch(1000e12, 4e12, 8.0, 2.0)) == pytest.approx(2000)
    assert float(roofline.optimal_batch(2000e12, 4e12, 8.0, 1.0)) == pytest.approx(2000)
    assert float(roofline.optimal_batch(4000e12, 4e12, 8.0, 0.5)) == pytest.approx(2000)


@pytest.mark.parametrize("kwargs, match", [
    ({"batch": 0, "context": 10}, "batch must be"),
    ({"batch": 4, "context": -1}, "context must be"),
    ({"batch": 4, "context": 10, "chips": 0}, "chips must be"),
    ({"batch": 4, "context": 10, "precision": "fp6"}, "unknown precision"),
])
def test_bad_inputs_are_clear_errors(h100, llama70, kwargs, match):
    with pytest.raises(ValueError, match=match):
        roofline.blackboard_decode_step(h100, llama70, **kwargs)


def test_fp4_on_hardware_without_fp4_is_an_error(h100, llama70):
    with pytest.raises(ValueError, match="H100 SXM.*fp4"):
        roofline.blackboard_decode_step(h100, llama70, 1, 1, precision="fp4")


def test_bracketed_bisection_lands_where_full_bisection_does():
    """B* from the vectorised bracket equals a plain 64-step bisection over [1, 1e9] to 1e-12 (the calculator's
    port bisects the whole range and must match lib to 1e-9)."""
    from lib import data

    for hw_name, model_name in [("H100 SXM", "DeepSeek-V3"), ("TPU v4", "PaLM 540B"), ("A100 SXM 80GB", "Llama 3.1 70B")]:
        hw, model = data.get_hardware(hw_name), data.get_model(model_name)

        def gap(b, hw=hw, model=model):
            s = roofline.decode_step(hw, model, b, 0.0, None, None, chips=1)
            return float(s.compute_s - s.memory_s)

        full = roofline.bisect_log(gap, 1.0, 1e9, 64)
        assert roofline.pooled_optimal_batch(hw, model, 0.0) == pytest.approx(full, rel=1e-12)
