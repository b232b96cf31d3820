"""Continuous batching (lib.batching): the trace table, the step tables against the refined model, the simulation
against hand arithmetic (a deterministic case, a lone request, chunking, an M/D/1 limit, Little's law), errors.

Hand figures: the Azure 2023 conversation trace (19,366 requests in
https://github.com/Azure/AzurePublicDataset/blob/master/data/AzureLLMInferenceTrace_conv.csv) has median prompt
1,020 and output 129 tokens, means 1,154.7 and 211.1 (computed from the file). DeepSeek-V3 in fp8 on H100 SXM:
see tests/test_step_model.py.
"""

import math

import numpy as np
import pytest

from conftest import rewrite_cell
from lib import batching as cb
from lib import data, queueing, roofline
from lib.data import DataError

CONV = "Azure 2023 conversation"


@pytest.fixture(scope="module")
def lengths():
    return cb.load_length_distributions()


@pytest.fixture(scope="module")
def dsv3_costs():
    return cb.StepCosts.refined(data.get_hardware("H100 SXM"), data.get_model("DeepSeek-V3"), 10)


# -- the trace table ---------------------------------------------------------------------------------

def test_traces_and_their_medians(lengths):
    assert set(lengths) == {CONV, "Azure 2023 code"}
    conv = lengths[CONV]
    q = dict(zip(conv.quantiles, zip(conv.prompt_tokens, conv.output_tokens)))
    assert q[0.5] == (1020, 129) and q[0.0] == (2, 7) and q[1.0] == (14050, 1000)
    assert "AzureLLMInferenceTrace_conv.csv" in conv.source


def test_sampled_lengths_reproduce_the_trace_means(lengths):
    conv = lengths[CONV]
    # The interpolated distribution's means lie within 2% of the trace file's 1,154.7 and 211.1 tokens
    assert conv.mean_prompt_tokens() == pytest.approx(1154.7, rel=0.02)
    assert conv.mean_output_tokens() == pytest.approx(211.1, rel=0.02)
    p, o = conv.sample(200_000, np.random.default_rng(1))
    assert p.min() >= 2 and p.max() <= 14050 and o.min() >= 7 and o.max() <= 1000
    assert p.mean() == pytest.approx(conv.mean_prompt_tokens(), rel=0.01)
    assert np.median(o) == pytest.approx(129, abs=1)
    p4, _ = conv.sample(1000, np.random.default_rng(1), prompt_scale=4.0)
    assert np.array_equal(p4, np.maximum(1, np.rint(conv._inverse(conv.prompt_tokens, np.random.default_rng(1).random(1000)) * 4)))


def test_time_averaged_context_by_hand(lengths):
    # A request of P = 100 and O = 3 holds contexts 101, 102, 103 while it decodes: mean 102 = 100 + 3·4/(2·3)
    assert cb.time_averaged_context(100.0, 3.0, 12.0) == pytest.approx(102.0)
    conv = lengths[CONV]
    p, o = conv._moments(1.0, 1.0)
    assert conv.time_averaged_context() == pytest.approx(p.mean() + (o * (o + 1)).mean() / (2 * o.mean()))
    assert 1200 < conv.time_averaged_context() < 1400


def test_a_decreasing_quantile_is_an_error_naming_the_row(data_copy):
    rewrite_cell(data_copy / "request_lengths.csv", f"{CONV} q0.60", "prompt_tokens", "900")
    with pytest.raises(DataError) as err:
        cb.load_length_distributions(data_copy)
    assert "q0.60" in str(err.value) and "prompt_tokens" in str(err.value) and "do not decrease" in str(err.value)
    assert any("request_lengths.csv" in str(p) for p in data.check_data_dir(data_copy))


def test_a_missing_end_quantile_is_an_error(data_copy):
    rewrite_cell(data_copy / "request_lengths.csv", f"{CONV} q1.00", "quantile", "0.999")
    with pytest.raises(DataError, match="from 0 to 1"):
        cb.load_length_distributions(data_copy)


# -- seats -----------------------------------------------------------------------------------------

def test_seats_of_deepseek_v3_on_h100_by_hand(h100, dsv3):
    """The standard-mode replica (weights ≤ 50% of usable HBM, fp8 KV: 576 B per token per layer × 61 layers)."""
    s = cb.refined_seats(h100, dsv3, 4989)
    weights = dsv3.config_total_params * 1.0  # fp8
    assert s.chips == math.ceil(weights / (0.5 * 0.9 * 80e9)) == 19  # 671 GB over 36 GB per chip → 19
    assert s.precisions.kv == "fp8" and s.precisions.weights == "fp8"
    kv = 4989 * 576 * 61  # 35,136 B per token
    room = 0.9 * 19 * 80e9 - weights
    assert s.capacity == math.floor(room / kv) == 3976
    # B* binds here: fp8 KV makes attention compute bound on H100 (≈ 484 FLOP/B against a 295 ridge)
    assert 2000 < s.optimal_batch < s.capacity and not s.capacity_bound and s.seats == round(s.optimal_batch)
    # Seating B* at that context needs ⌈(N + B*·kv) / 72 GB⌉ accelerators
    assert s.chips_for_optimal == math.ceil((weights + s.optimal_batch * kv) / 72e9)
    # The same replica as the book's standard mode
    from lib.modes import standard_mode
    assert standard_mode(h100, dsv3, 4989).chips == s.chips and float(standard_mode(h100, dsv3, 4989).batch) == s.capacity
    # An explicit replica and release formats still work: 10 H100s, bf16 KV (70,272 B per token)
    from lib.roofline import as_precisions
    old = cb.refined_seats(h100, dsv3, 4989, chips=10, precision=as_precisions(dsv3))
    assert old.chips == 10 and old.capacity == math.floor((0.9 * 10 * 80e9 - weights) / (4989 * 70_272)) == 139


# -- the step tables against the refined model -----------------------------------------------------

def test_a_decode_step_is_weights_plus_attention_per_sequence(h100, dsv3, dsv3_costs):
    for b, l in ((1, 0), (64, 4096), (139, 4989), (3000, 30_000)):
        exact = float(roofline.decode_step(h100, dsv3, b, l, chips=10).step_s)
        assert float(dsv3_costs.decode_step_s(b, l)) == pytest.approx(exact, rel=1e-9)
    # Two sequences at different contexts cost what two at their mean context cost (attention linear in L)
    mixed = float(dsv3_costs.weights_s(2) + dsv3_costs.decode_attention_s([1000, 9000]).sum())
    assert mixed == pytest.approx(float(roofline.decode_step(h100, dsv3, 2, 5000, chips=10).step_s), rel=1e-9)
    assert dsv3_costs.attention_linear


def test_sparse_attention_tables_match_the_model_off_the_linear_path(h100):
    m = data.get_model("DeepSeek-V3.2-Exp")
    costs = cb.StepCosts.refined(h100, m, 10)
    assert not costs.attention_linear  # the main attention stops growing at the top-2,048
    for b, l in ((8, 1000), (8, 2048), (8, 50_000)):
        assert float(costs.decode_step_s(b, l)) == pytest.approx(
            float(roofline.decode_step(h100, m, b, l, chips=10).step_s), rel=1e-9)


def test_affine_pieces_of_synthetic_tables_by_hand():
    """A_dec = 2e-6·L + 1e-5·min(L, 128) (a window of 128): below 128 it is (2e-6 + 1e-5)·L = 1.2e-5·L; from 128
    on, 1e-5·128 = 1.28e-3 plus 2e-6·L. A top-k of 1,024 on top (+ 3e-6·min(L, 1024)) adds a third piece:
    below 128, (2 + 10 + 3)e-6·L = 1.5e-5·L; 128…1,024, 1.28e-3 + 5e-6·L; from 1,024, 1.28e-3 + 3e-6·1024 =
    4.352e-3 plus 2e-6·L. Full attention 3e-6·L is one piece through 0."""
    contexts = np.unique(np.concatenate([[0.0], np.geomspace(1.0, 2.0 ** 20, 200), [128.0, 1024.0]]))

    def pieces(attention):
        costs = cb.StepCosts(np.array([1.0, 2.0]), np.full(2, 1e-3), contexts, attention)
        return costs, costs.attention_pieces

    window, got = pieces(2e-6 * contexts + 1e-5 * np.minimum(contexts, 128.0))
    assert not window.attention_linear and len(got) == 2
    assert got[0][0] == 0.0 and got[0][1] == pytest.approx(0.0, abs=1e-15) and got[0][2] == pytest.approx(1.2e-5)
    assert got[1] == pytest.approx((128.0, 1.28e-3, 2e-6), rel=1e-9)
    _, got = pieces(2e-6 * contexts + 1e-5 * np.minimum(contexts, 128.0) + 3e-6 * np.minimum(contexts, 1024.0))
    assert len(got) == 3 and got[0][2] == pytest.approx(1.5e-5)
    assert got[1] == pytest.approx((128.0, 1.28e-3, 5e-6), rel=1e-9)
    assert got[2] == pytest.approx((1024.0, 4.352e-3, 2e-6), rel=1e-9)
    full, got = pieces(3e-6 * contexts)
    assert full.attention_linear and got == ((0.0, 0.0, pytest.approx(3e-6)),)


@pytest.mark.parametrize("name, kink", [("gpt-oss-120b", 128.0), ("DeepSeek-V3.2-Exp", 2048.0)])
def test_the_refined_tables_of_a_window_and_a_top_k_have_two_pieces(h100, name, kink):
    """gpt-oss alternates full layers with a 128-token window; DeepSeek's sparse attention reads the top 2,048."""
    costs = cb.StepCosts.refined(h100, data.get_model(name), 8)
    (k0, a0, s0), (k1, a1, s1) = costs.attention_pieces
    assert (k0, k1) == (0.0, kink) and a0 == pytest.approx(0.0, abs=1e-15)
    inside = np.array([1.0, 77.0, kink - 1, kink, kink + 1, 5000.0, 131072.0])
    pieces = np.where(inside < kink, a0 + s0 * inside, a1 + s1 * inside)
    assert np.allclose(pieces, costs.decode_attention_s(inside), rtol=1e-10, atol=0)


def _run_pair(costs, prompts, outputs, arrivals, seats, budget):
    fast = cb.simulate_continuous_batching(arrivals, prompts, outputs, seats, costs, budget)
    looked_up = cb.simulate_continuous_batching(arrivals, prompts, outputs, seats, costs, budget, _running_sums=False)
    return fast, looked_up


@pytest.mark.parametrize("name, scale", [("gpt-oss-120b", 0.3), ("DeepSeek-V3.2-Exp", 2.0)])
@pytest.mark.parametrize("budget", [512.0, 8192.0, math.inf])
@pytest.mark.parametrize("load", [0.3, 1.1])
def test_the_running_sums_reproduce_the_table_look_ups(lengths, h100, name, scale, budget, load):
    """The pieces' running sums (eq. cb-pieces) against every seat looked up in the table at every step, on a
    seeded run whose short prompts start below the kink and cross it while they decode."""
    conv = lengths[CONV]
    rep = cb.replica(h100, data.get_model(name), conv, scale, token_budget=budget)
    kink = rep.costs.attention_pieces[1][0]
    rng = np.random.default_rng(5)
    prompts, outputs = conv.sample(300, rng, scale)
    arrivals = cb.poisson_arrivals(rep.rate_for_load(load), 300, rng)
    assert np.sum((prompts + 1 < kink) & (prompts + outputs - 1 >= kink)) >= 5  # seats that cross the kink
    fast, looked_up = _run_pair(rep.costs, prompts, outputs, arrivals, rep.seats.seats, budget)
    for field in ("admit_s", "first_token_s", "finish_s", "step_start_s", "step_s"):
        np.testing.assert_allclose(getattr(fast, field), getattr(looked_up, field), rtol=1e-12, atol=0, err_msg=field)
    for field in ("step_seated", "step_decoding", "step_prefill_tokens"):
        assert np.array_equal(getattr(fast, field), getattr(looked_up, field)), field


@pytest.mark.parametrize("budget", [1.0, 7.0, 64.0, math.inf])
def test_running_sums_on_a_table_with_a_flat_piece_and_fractional_kinks(budget):
    """A synthetic A_dec with kinks at 50.3 and 50.8 tokens (a piece shorter than a token) and a flat last piece
    (a top-k reads a fixed number of tokens): prompts that start below, on and above the kinks, one-token answers
    among them, at budgets from one token a step to whole prompts. The running sums against the look-ups."""
    contexts = np.unique(np.concatenate([[0.0], np.geomspace(1.0, 4096.0, 300), [50.3, 50.8]]))
    attention = np.where(contexts < 50.3, 2e-6 * contexts,
                         np.where(contexts < 50.8, 1.006e-4 + 5e-6 * (contexts - 50.3), 1.031e-4))
    costs = cb.StepCosts(np.arange(1.0, 8193.0), 1e-3 + 1e-7 * np.arange(1.0, 8193.0), contexts, attention,
                         lambda prompts: 1e-7 * np.asarray(prompts) ** 2)
    assert len(costs.attention_pieces) == 3 and costs.attention_pieces[2][2] == pytest.approx(0.0, abs=1e-15)
    rng = np.random.default_rng(3)
    prompts = np.concatenate([[49, 50, 51], rng.integers(1, 120, 97)])
    outputs = np.concatenate([[1, 5, 1], rng.integers(1, 60, 97)])
    arrivals = np.sort(rng.uniform(0.0, 0.5, 100))
    fast, looked_up = _run_pair(costs, prompts, outputs, arrivals, 12, budget)
    for field in ("admit_s", "first_token_s", "finish_s", "step_s"):
        np.testing.assert_allclose(getattr(fast, field), getattr(looked_up, field), rtol=1e-12, atol=0, err_msg=field)
    assert np.array_equal(fast.step_decoding, looked_up.step_decoding)


def test_contexts_beyond_the_table_are_looked_up(h100):
    """Beyond its last context the table grows A_dec in proportion to L, off the last piece's line, so a run
    that reaches past it looks every seat up: the same numbers as the reference path."""
    costs = cb.StepCosts.refined(h100, data.get_model("gpt-oss-120b"), 8, max_context=2048.0)
    rng = np.random.default_rng(1)
    prompts, outputs = rng.integers(50, 1500, 60), rng.integers(200, 1500, 60)
    assert (prompts + outputs).max() > 2048
    fast, looked_up = _run_pair(costs, prompts, outputs, np.sort(rng.uniform(0, 2.0, 60)), 16, 1024.0)
    assert np.array_equal(fast.finish_s, looked_up.finish_s) and np.array_equal(fast.step_s, looked_up.step_s)


def test_prefill_attention_completes_the_prefill_step(h100, dsv3, dsv3_costs):
    for p in (100, 1020, 8192):
        whole = float(roofline.prefill_step(h100, dsv3, p, chips=10).step_s)
        assert float(dsv3_costs.weights_s(p) + dsv3_costs.prefill_attention_s(p)) == pytest.approx(whole, rel=1e-9)


# -- the simulation against hand arithmetic ---------------------------------------------------------

def test_deterministic_case_by_hand():
    """Every step lasts τ. Three requests at t = 0 (P = 1; O = 2, 3, 1), two seats, whole prompts:
    step 0 seats r0 and r1 and prefills them (first tokens at τ); step 1 decodes both (r0 ends at 2τ); step 2
    seats r2 and prefills it (its only token at 3τ) while r1 decodes its last (3τ)."""
    tau = 0.02
    run = cb.simulate_continuous_batching([0.0, 0.0, 0.0], [1, 1, 1], [2, 3, 1], 2, cb.StepCosts.constant(tau),
                                          token_budget=math.inf)
    assert np.allclose(run.ttft_s, [tau, tau, 3 * tau])
    assert np.allclose(run.finish_s, [2 * tau, 3 * tau, 3 * tau])
    assert np.allclose(run.admit_s, [0, 0, 2 * tau])
    assert np.allclose(run.tpot_s[:2], [tau, tau]) and np.isnan(run.tpot_s[2])
    assert run.step_seated.tolist() == [2, 2, 2] and run.step_decoding.tolist() == [0, 2, 1]


def test_an_arrival_waits_for_the_step_in_flight():
    # Arrivals at 0 and 0.005 s with 10 ms steps: the second boards at 10 ms, its first token at 20 ms
    run = cb.simulate_continuous_batching([0.0, 0.005], [1, 1], [3, 3], 4, cb.StepCosts.constant(0.01))
    assert np.allclose(run.ttft_s, [0.01, 0.015]) and np.allclose(run.finish_s, [0.03, 0.04])


def test_a_lone_request_sees_the_refined_prefill_and_decode_steps(h100, dsv3, dsv3_costs):
    p, o = 1020, 5
    run = cb.simulate_continuous_batching([0.0], [p], [o], 100, dsv3_costs, token_budget=math.inf)
    ttft = float(roofline.prefill_step(h100, dsv3, p, chips=10).time_to_first_token_s)
    assert float(run.ttft_s[0]) == pytest.approx(ttft, rel=1e-9)
    decode = sum(float(roofline.decode_step(h100, dsv3, 1, p + j, chips=10).step_s) for j in range(1, o))
    assert float(run.finish_s[0] - run.first_token_s[0]) == pytest.approx(decode, rel=1e-9)


def test_a_long_prompt_is_chunked_within_the_budget(h100, dsv3, dsv3_costs):
    # P = 5,000 with K = 2,048: chunks of 2,048, 2,048 and 904 tokens, the prompt's attention shared among them
    run = cb.simulate_continuous_batching([0.0], [5000], [1], 4, dsv3_costs, token_budget=2048)
    assert run.step_prefill_tokens.tolist() == [2048, 2048, 904]
    expected = float(2 * dsv3_costs.weights_s(2048) + dsv3_costs.weights_s(904) + dsv3_costs.prefill_attention_s(5000))
    assert float(run.ttft_s[0]) == pytest.approx(expected, rel=1e-9)
    chunks = dsv3_costs.pairs([2048, 4096, 5000], [0, 2048, 4096])
    assert float(chunks.sum()) == pytest.approx(float(dsv3_costs.pairs(5000)))


def test_one_seat_and_fixed_answers_is_an_md1_queue():
    """One seat, P = 1, O = 8 and τ = 10 ms: each request holds the seat S = 8τ; at ρ = λS = 0.5 the mean wait
    is W_q = ρS / (2(1 − ρ)) = 4τ (M/D/1), so the mean time to first token is W_q + τ = 5τ."""
    tau, o, rho, n = 0.01, 8, 0.5, 20_000
    rate = rho / (o * tau)
    arrivals = cb.poisson_arrivals(rate, n, np.random.default_rng(3))
    run = cb.simulate_continuous_batching(arrivals, np.ones(n, int), np.full(n, o), 1, cb.StepCosts.constant(tau))
    expected = float(queueing.md1_mean_wait_s(rate, o * tau)) + tau
    assert expected == pytest.approx(5 * tau)
    assert float(run.ttft_s.mean()) == pytest.approx(expected, rel=0.06)
    assert np.allclose(run.seat_time_s, o * tau)


def test_littles_law_on_the_simulated_queue(lengths, h100, dsv3):
    conv = lengths[CONV]
    rep = cb.replica(h100, dsv3, conv)
    # The standard-mode replica seats thousands: a long run, so that its middle is in steady state
    run = cb.simulate_load(rep, conv, 0.7, requests=20_000, seed=5)
    # Exactly, over the whole run: ∫ seats held dt = Σ seat times (the run starts and ends empty)
    assert float(np.sum(run.step_s * run.step_seated)) == pytest.approx(float(run.seat_time_s.sum()), rel=1e-9)
    # L = λW in steady state: seats held on average = arrival rate × mean seat time (middle of the run)
    lo, hi = run.arrival_s[4000], run.arrival_s[16_000]
    inside = (run.step_start_s >= lo) & (run.step_start_s < hi)
    held = float(np.sum(run.step_s[inside] * run.step_seated[inside]) / np.sum(run.step_s[inside]))
    assert held == pytest.approx(rep.rate_for_load(0.7) * float(run.seat_time_s[4000:16_000].mean()), rel=0.05)


def test_latency_rises_with_load_and_the_queue_grows_past_capacity(lengths, h100, dsv3):
    conv = lengths[CONV]
    rep = cb.replica(h100, dsv3, conv)
    ttft = [cb.simulate_load(rep, conv, load, 1500, seed=2).quantile_s("ttft", [0.5, 0.99]) for load in (0.3, 0.9, 1.2)]
    assert ttft[0][0] < ttft[1][0] < ttft[2][0]
    assert ttft[2][1] > 5 * ttft[1][1]  # past capacity the tail grows with the length of the run
    run = cb.simulate_load(rep, conv, 0.5, 1500, seed=2)
    assert run.step_seated.max() <= rep.seats.seats


def test_the_capacity_rate_by_hand(lengths, h100, dsv3):
    conv = lengths[CONV]
    rep = cb.replica(h100, dsv3, conv, token_budget=2048)
    # A step carries one token per decoding sequence: the policy keeps its 2,048 tokens and the seats are capped
    # there (the standard mode alone seats ≈ 4,353 at this context)
    unbounded = cb.replica(h100, dsv3, conv, token_budget=cb.WHOLE_PROMPTS)
    assert unbounded.seats.seats > 2048
    assert rep.token_budget == 2048 and rep.seats.seats == 2048
    assert rep.seats.optimal_batch == unbounded.seats.optimal_batch and rep.seats.chips == unbounded.seats.chips
    share = 1 + rep.mean_prompt_tokens / rep.mean_output_tokens
    n = min(rep.seats.seats, rep.token_budget / share)
    assert rep.decoding_at_capacity == pytest.approx(n) and rep.budget_bound
    step = (float(rep.costs.weights_s(n * share)) + n * float(rep.costs.decode_attention_s(rep.context_tokens))
            + n / rep.mean_output_tokens * rep.mean_prefill_attention_s)
    assert rep.full_step_s == pytest.approx(step)
    assert rep.capacity_rate_per_s == pytest.approx(n / (rep.mean_output_tokens * step))
    # With 8,192 tokens a step the budget binds too: ≈ 4,353 seats, but 8,192 / (1 + E[n_in]/E[n_out]) decode
    wide = cb.replica(h100, dsv3, conv, token_budget=8192)
    assert wide.decoding_at_capacity == pytest.approx(8192 / share) and wide.budget_bound


def test_runs_are_seeded(lengths, h100, dsv3):
    conv = lengths[CONV]
    rep = cb.replica(h100, dsv3, conv)
    a, b = (cb.simulate_load(rep, conv, 0.6, 500, seed=9) for _ in range(2))
    assert np.array_equal(a.finish_s, b.finish_s)


@pytest.mark.parametrize("kwargs, match", [
    (dict(arrival_s=[0.1, 0.0], prompt_tokens=[1, 1], output_tokens=[1, 1], seats=1), "non-decreasing"),
    (dict(arrival_s=[0.0], prompt_tokens=[0], output_tokens=[1], seats=1), "whole numbers"),
    (dict(arrival_s=[0.0], prompt_tokens=[1.5], output_tokens=[1], seats=1), "whole numbers"),
    (dict(arrival_s=[0.0], prompt_tokens=[1], output_tokens=[1], seats=0), "seats"),
    (dict(arrival_s=[0.0], prompt_tokens=[1], output_tokens=[1], seats=1, token_budget=0), "budget"),
    (dict(arrival_s=[], prompt_tokens=[], output_tokens=[], seats=1), "at least one"),
])
def test_bad_inputs_are_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cb.simulate_continuous_batching(costs=cb.StepCosts.constant(0.01), **kwargs)


@pytest.mark.parametrize("name", ["DeepSeek-V3", "gpt-oss-120b", "Llama 3.1 70B"])
def test_the_scalar_pairs_path_matches_the_model(name, h100):
    """The simulation's float-only path for causal pairs is the model's closed form (windows included)."""
    model = data.get_model(name)
    costs = cb.StepCosts.refined(h100, model, 8)
    for end, start in [(5000.0, 0.0), (200000.0, 131072.0), (300.0, 100.0), (130.0, 0.0)]:
        expected = float(model.causal_attended_tokens_sum(np.array(end), np.array(start)))
        assert costs.pairs(end, start) == pytest.approx(expected, rel=1e-12)
        assert float(costs.pairs(np.array([end]), np.array([start]))[0]) == pytest.approx(expected, rel=1e-12)
