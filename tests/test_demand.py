"""lib.demand: the four-axis compute-demand model."""

from __future__ import annotations

import numpy as np
import pytest

from lib import claims, data, demand


def test_pretraining_is_six_n_d():
    # DeepSeek-V3: 37B active × 14.8T tokens × 6 = 3.29e24 FLOP (the paper reports 2.788M H800-hours).
    assert float(demand.pretraining_flop(37e9, 14.8e12)) == pytest.approx(3.2856e24)


def test_posttraining_charges_for_rollout_efficiency():
    base = float(demand.posttraining_flop(1e9, 1e12, 6.0, 1.0))
    assert base == pytest.approx(6e21)
    assert float(demand.posttraining_flop(1e9, 1e12, 6.0, 0.3)) == pytest.approx(base / 0.3)
    with pytest.raises(ValueError):
        demand.posttraining_flop(1e9, 1e12, 6.0, 0.0)


def test_inference_terms_compound():
    n, q, r = 37e9, 1e9, 2000.0
    test = float(demand.testtime_flop(n, q, r))
    assert test == pytest.approx(2 * n * q * r)
    for a in (1.0, 3.0, 10.0):
        assert test + float(demand.agentic_flop(n, q, r, a)) == pytest.approx(test * a)
    assert float(demand.agentic_flop(n, q, r, 1.0)) == 0.0
    with pytest.raises(ValueError):
        demand.agentic_flop(n, q, r, 0.5)


def test_demand_total_dominant_and_broadcasting():
    d = demand.demand(37e9, 14.8e12, 1.48e12, 1e6, 1000.0)
    assert d.total == pytest.approx(sum(d.as_dict().values()))
    assert d.dominant == "pre-training"  # a million answers are nothing next to 14.8T training tokens
    big = demand.demand(37e9, 14.8e12, 1.48e12, 1e11, 2000.0, 3.0)
    assert big.dominant == "agentic"
    grid = demand.testtime_flop(1e9, np.array([1, 10])[:, None], np.array([100, 1000])[None, :])
    assert grid.shape == (2, 2)


def test_breakeven_answers_cancel_model_size():
    q = float(demand.answers_to_match_pretraining(14.8e12, 2000.0, 3.0))
    assert q == pytest.approx(3 * 14.8e12 / 6000)
    for n in (1e9, 1e12):
        d = demand.demand(n, 14.8e12, 0.0, q, 2000.0, 3.0)
        assert d.inference == pytest.approx(d.pretraining)
    with pytest.raises(ValueError):
        demand.answers_to_match_pretraining(1e12, 0.0)


def test_ledger_copes_with_a_model_without_training_tokens():
    sel = data.selection()
    missing = next((m for m in sel.all_models() if m.training_tokens is None), None)
    if missing is None:
        pytest.skip("every model row has training tokens")
    entries = claims.derive("four-scaling-laws", data.selection(model=missing.name))
    assert entries[0].derived is None
