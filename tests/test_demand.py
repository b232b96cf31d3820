"""lib.demand: the four-axis demand model, in accelerator time at one definition of utilisation."""

from __future__ import annotations

import numpy as np
import pytest

from lib import assumptions, claims, data, demand
from lib.derivations import overtrained, scaling_power


def test_pretraining_is_six_n_d():
    # DeepSeek-V3: 37B active × 14.8T tokens × 6 = 3.2856e24 FLOP.
    assert float(demand.pretraining_flop(37e9, 14.8e12)) == pytest.approx(3.2856e24)


def test_accelerator_time_divides_by_utilisation():
    # 3.2856e24 FLOP at 40% of peak occupy 8.214e24 peak-FLOP of accelerator time.
    assert float(demand.accelerator_flop(3.2856e24, 0.4)) == pytest.approx(8.214e24)
    for bad in (0.0, 1.2, -0.3):
        with pytest.raises(ValueError):
            demand.accelerator_flop(1e20, bad)


def test_inference_terms_compound():
    n, t = 37e9, 1e15
    test = float(demand.serving_flop(n, t))
    assert test == pytest.approx(2 * n * t)
    for a in (1.0, 3.0, 10.0):
        assert test + float(demand.agentic_flop(n, t, a)) == pytest.approx(test * a)
    assert float(demand.agentic_flop(n, t, 1.0)) == 0.0
    with pytest.raises(ValueError):
        demand.agentic_flop(n, t, 0.5)


def test_served_tokens_over_a_year_by_hand():
    # 1e8 daily users × 25,714 tokens = 2.5714e12 tokens a day; × 365 days = 9.3856e14 tokens.
    assert float(demand.served_tokens_over(1e8 * 25_714, 365)) == pytest.approx(9.385610e14)
    assert float(demand.served_tokens_over(1e8 * 25_714, 60)) == pytest.approx(9.385610e14 * 60 / 365)
    with pytest.raises(ValueError):
        demand.served_tokens_over(-1.0, 365)


def test_demand_terms_by_hand():
    # DeepSeek-V3 over a year of 1e8 daily users at 25,714 tokens: pre-training 3.2856e24 / 0.4 = 8.214e24;
    # test-time 2 × 37e9 × 9.38561e14 / 0.3 = 2.31512e26 (28.19 pre-training runs); agentic at a = 3 twice that.
    served = 9.385610e14
    d = demand.demand(37e9, 14.8e12, served, calls_per_task=3.0, training_utilisation=0.4, decode_utilisation=0.3,
                      rl_to_pretraining=1.0)
    assert d.pretraining == pytest.approx(8.214e24)
    assert d.posttraining == pytest.approx(8.214e24)
    assert d.testtime == pytest.approx(2.315117e26, rel=1e-6)
    assert d.agentic == pytest.approx(2 * d.testtime)
    assert d.relative()["test-time"] == pytest.approx(28.185, abs=1e-3)
    assert d.total == pytest.approx(sum(d.as_dict().values())) and d.dominant == "agentic"
    small = demand.demand(37e9, 14.8e12, 1e9, 1.0, 0.4, 0.3, 0.002)
    assert small.dominant == "pre-training"
    with pytest.raises(ValueError):
        demand.demand(37e9, 14.8e12, served, rl_to_pretraining=-1.0)


def test_ratio_and_breakeven_cancel_model_size():
    # d* = 3 × 14.8e12 × 0.3 / (1e8 × 25,714 × 1 × 0.4) = 12.950 days; serving that long equals pre-training.
    days = float(demand.days_to_match_pretraining(14.8e12, 1e8 * 25_714, 1.0, 0.4, 0.3))
    assert days == pytest.approx(1.332e13 / 1.02856e12, rel=1e-6)
    served = 1e8 * 25_714 * days
    for n in (1e9, 37e9, 1e12):
        d = demand.demand(n, 14.8e12, served, 1.0, 0.4, 0.3)
        assert d.inference == pytest.approx(d.pretraining)
    assert float(demand.inference_to_pretraining(14.8e12, served, 1.0, 0.4, 0.3)) == pytest.approx(1.0)
    grid = demand.inference_to_pretraining(14.8e12, np.array([1e14, 1e15])[:, None], np.array([1.0, 3.0])[None, :])
    assert grid.shape == (2, 2) and grid[1, 1] == pytest.approx(30 * grid[0, 0])
    with pytest.raises(ValueError):
        demand.days_to_match_pretraining(14.8e12, 1e8 * 25_714, 0.5)


def test_one_utilisation_for_every_decode_workload():
    """Test-time and agentic decode are charged the decode utilisation, as RL rollouts are: halving u_dec doubles
    every inference term and leaves pre-training alone."""
    a = demand.demand(37e9, 14.8e12, 1e15, 3.0, 0.4, 0.3)
    b = demand.demand(37e9, 14.8e12, 1e15, 3.0, 0.4, 0.15)
    assert b.testtime == pytest.approx(2 * a.testtime) and b.agentic == pytest.approx(2 * a.agentic)
    assert b.pretraining == a.pretraining


def test_both_demand_chapters_read_one_table():
    """four-scaling-laws' test-time bar and inference-dominates' ratio are one number from assumptions.csv."""
    sel = data.selection()
    model = sel.model_named("DeepSeek-V3")
    inputs = {**scaling_power.demand_assumptions(sel), scaling_power.AGENT_CALLS.name: 1.0}
    bar = scaling_power.scenario(model, inputs).relative()["test-time"]
    ledger = {e.quantity: e for e in claims.derive("inference-dominates", sel)}
    ratio = ledger["serving ÷ pre-training accelerator time, daily users over the serving period"]
    assert ratio.derived == pytest.approx(bar)
    t = overtrained.talk_numbers(sel)
    table = assumptions.load_assumptions()
    assert t.served_tokens_per_day == table["served_tokens_per_day"].value == inputs["served_tokens_per_day"]
    assert t.daily_users * t.tokens_per_user_per_day == pytest.approx(t.served_tokens_per_day, rel=1e-3)
    # The talk's 30% is relative to pre-training; the book's decode utilisation is against peak: η = 0.3 / 0.4.
    assert t.rl_efficiency == pytest.approx(0.75)


def test_four_axes_entries_have_kinds_and_sensitivity():
    entries = {e.quantity: e for e in claims.derive("four-scaling-laws", data.selection())}
    shape = entries["inference ÷ pre-training accelerator time over the serving period"]
    assert shape.kind == claims.STRUCTURAL and shape.verdict == claims.SHAPE_HOLDS
    # ChatGPT's volume, 2.571e12 tokens a day for 365 days: 2 × 2.571e12 × 365 / 0.3 ÷ (6 × 14.8e12 / 0.4) = 28.181
    # test-time runs; × a = 3 calls per task: 84.54.
    assert shape.derived == pytest.approx(3 * 28.181, abs=0.01)
    # The volume is turned as one assumption (500 to 2,000 tokens a message: half and twice the central volume);
    # daily users and tokens per daily user, whose product is pinned to it, are not turned one at a time.
    assert shape.sensitivity["served_tokens_per_day"]["low"]["derived"] == pytest.approx(3 * 28.181 * 1.286 / 2.571, rel=1e-3)
    assert shape.sensitivity["served_tokens_per_day"]["high"]["derived"] == pytest.approx(3 * 28.181 * 5.143 / 2.571, rel=1e-3)
    days = entries["days of serving whose accelerator time equals one pre-training run"]
    assert days.kind == claims.SCENARIO_KIND and days.derived == pytest.approx(12.950 / 3, rel=1e-3)
    for e in (shape, days):
        names = {a.name for a in e.assumptions}
        assert "served_tokens_per_day" in names and not names & {"daily_users", "tokens_per_daily_user_per_day"}
    assert {a.name for a in days.assumptions} >= {"decode_utilisation", "agent_calls_per_task"}


def test_a_model_without_training_tokens_runs_the_scenario_on_a_named_stand_in():
    sel = data.selection(model="Mixtral 8x7B")                       # 12.9B active, no published tokens
    assert sel.model.training_tokens is None
    stand_in, why = scaling_power.scenario_model(sel)
    # the published model closest in log active parameters: Llama 3.1 8B (8.03B) beats Qwen3-30B-A3B (3.3B)
    assert stand_in.name == "Llama 3.1 8B" and "Mixtral 8x7B publishes no training-token count" in why
    entries = claims.derive("four-scaling-laws", sel)
    assert entries[0].inputs["model"] == "Llama 3.1 8B" and "Llama 3.1 8B" in entries[0].note
    # d* = 3 D u_dec / (U_day r_day a u_train) with D = 15T: 3 × 15e12 × 0.3 / (2.571e12 × 3 × 0.4) = 4.38 days
    days = entries[1].derived
    assert days == pytest.approx(3 * 15e12 * 0.3 / (2.571e12 * 3 * 0.4), rel=1e-4)


def test_with_no_published_tokens_at_all_the_scenario_assumes_chinchilla(data_copy):
    import csv
    import io

    path = data_copy / "models.csv"
    rows = list(csv.reader(io.StringIO(path.read_text())))
    col = rows[0].index("training_tokens_T")
    for r in rows[1:]:
        r[col] = ""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue())
    model, why = scaling_power.scenario_model(data.selection(data_dir=data_copy))
    assert model.training_tokens == pytest.approx(20 * model.active_params) and "20 × N_active" in why
