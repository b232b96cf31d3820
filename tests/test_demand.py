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


def test_a_model_without_training_tokens_runs_the_scenario_on_a_named_stand_in():
    from lib.derivations import scaling_power as sp

    sel = data.selection(model="Mixtral 8x7B")                       # 12.9B active, no published tokens
    assert sel.model.training_tokens is None
    stand_in, why = sp.scenario_model(sel)
    # the published model closest in log active parameters: Llama 3.1 8B (8.03B) beats Qwen3-30B-A3B (3.3B)
    assert stand_in.name == "Llama 3.1 8B" and "Mixtral 8x7B publishes no training-token count" in why
    entries = claims.derive("four-scaling-laws", sel)
    assert entries[0].inputs["model"] == "Llama 3.1 8B" and "Llama 3.1 8B" in entries[0].note
    q_star = entries[1].derived                                      # Q* = 3D / (r a) with D = 15T
    assert q_star == pytest.approx(3 * 15e12 / (sp.TOKENS_PER_ANSWER * sp.CALLS_PER_TASK))


def test_with_no_published_tokens_at_all_the_scenario_assumes_chinchilla(data_copy):
    from lib.derivations import scaling_power as sp

    path = data_copy / "models.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("training_tokens_T")
    import csv
    import io

    rows = list(csv.reader(io.StringIO(path.read_text())))
    for r in rows[1:]:
        r[col] = ""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue())
    model, why = sp.scenario_model(data.selection(data_dir=data_copy))
    assert model.training_tokens == pytest.approx(20 * model.active_params) and "20 × N_active" in why
