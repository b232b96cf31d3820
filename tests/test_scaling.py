"""lib.scaling: loss laws, Chinchilla split, inference-aware optimum, the talk's heuristic, serving arithmetic."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from lib import data, scaling
from lib.data import DataError
from lib.scaling import LossLaw

from conftest import rewrite_cell

HOFFMANN = LossLaw("Hoffmann", 1.69, 406.4, 410.7, 0.34, 0.28)
EPOCH = LossLaw("Epoch", 1.8172, 482.01, 2085.43, 0.3478, 0.3658)
CHINCHILLA_FLOP = 6 * 70e9 * 1.4e12


def test_table_loads_both_published_fits():
    laws = {law.name: law for law in scaling.load_loss_laws()}
    # The default Hoffmann row carries the unrounded TeX-source constants (Besiroglu et al. 2024); the paper's
    # rounded ones are a separate sensitivity row.
    hoffmann = laws["Hoffmann 2022 (approach 3)"]
    assert (hoffmann.E, hoffmann.A, hoffmann.B, hoffmann.alpha, hoffmann.beta) == (1.6934, 406.4, 410.7, 0.3392, 0.2849)
    rounded = laws["Hoffmann 2022 (approach 3 rounded)"]
    assert rounded == LossLaw("Hoffmann 2022 (approach 3 rounded)", 1.69, 406.4, 410.7, 0.34, 0.28, 2022, rounded.source)
    epoch = laws["Epoch AI 2024 replication"]
    assert (epoch.E, epoch.A, epoch.B, epoch.alpha, epoch.beta) == (1.8172, 482.01, 2085.43, 0.3478, 0.3658)
    assert all(law.source for law in laws.values())


def test_loss_by_hand():
    # Chinchilla (70B, 1.4T) under Hoffmann's rounded fit: 1.69 + 406.4/70e9^0.34 + 410.7/1.4e12^0.28
    by_hand = 1.69 + 406.4 / math.pow(70e9, 0.34) + 410.7 / math.pow(1.4e12, 0.28)
    assert float(HOFFMANN.loss(70e9, 1.4e12)) == pytest.approx(by_hand, rel=1e-12)
    assert by_hand == pytest.approx(1.9367, abs=1e-3)


def test_tokens_and_params_for_loss_invert_the_law():
    ell = float(HOFFMANN.loss(100e9, 150e12))
    assert float(HOFFMANN.tokens_for_loss(ell, 100e9)) == pytest.approx(150e12, rel=1e-9)
    assert float(HOFFMANN.params_for_loss(ell, 150e12)) == pytest.approx(100e9, rel=1e-9)
    assert np.isinf(HOFFMANN.tokens_for_loss(ell, 1e6))  # a tiny model cannot reach the loss on any data


def test_compute_optimal_spends_the_budget_and_minimises_loss():
    n, d = HOFFMANN.compute_optimal(CHINCHILLA_FLOP)
    assert 6 * n * d == pytest.approx(CHINCHILLA_FLOP, rel=1e-12)
    grid = np.logspace(9, 12, 300_001)
    losses = HOFFMANN.loss(grid, CHINCHILLA_FLOP / (6 * grid))
    assert grid[np.argmin(losses)] == pytest.approx(float(n), rel=1e-4)


def test_compute_optimal_tokens_per_param_published_figures():
    # Epoch's refit reproduces ~20 tokens per parameter at Chinchilla's budget (they report it agrees with
    # approaches 1 and 2); Hoffmann's rounded approach-3 values do not (N_opt ≈ 32B, not 70B).
    assert float(EPOCH.compute_optimal_tokens_per_param(CHINCHILLA_FLOP)) == pytest.approx(20, rel=0.1)
    n, _ = HOFFMANN.compute_optimal(CHINCHILLA_FLOP)
    assert float(n) == pytest.approx(32.5e9, rel=0.01)
    assert float(HOFFMANN.compute_optimal_tokens_per_param(CHINCHILLA_FLOP)) > 80
    # α < β (Epoch): the ratio falls with compute; α > β (Hoffmann): it rises.
    assert EPOCH.compute_optimal_tokens_per_param(1e26) < EPOCH.compute_optimal_tokens_per_param(1e22)
    assert HOFFMANN.compute_optimal_tokens_per_param(1e26) > HOFFMANN.compute_optimal_tokens_per_param(1e22)


@pytest.mark.parametrize("law", [HOFFMANN, EPOCH])
def test_inference_optimum_reduces_to_chinchilla_without_serving(law):
    n_c, d_c = law.compute_optimal(1e24)
    n, d = law.inference_optimal(law.loss(n_c, d_c), 0.0)
    assert float(n) == pytest.approx(float(n_c), rel=1e-9) and float(d) == pytest.approx(float(d_c), rel=1e-9)


@pytest.mark.parametrize("law", [HOFFMANN, EPOCH])
@pytest.mark.parametrize("served", [1e12, 150e12, 2e15])
def test_inference_optimum_matches_brute_force_grid(law, served):
    ell = float(law.loss(100e9, 150e12))
    n, d = law.inference_optimal(ell, served)
    n_grid, d_grid = law.inference_optimal_grid(ell, served)
    assert float(n) == pytest.approx(n_grid, rel=2e-3)
    assert float(d) == pytest.approx(d_grid, rel=2e-3)
    assert float(law.loss(n, d)) == pytest.approx(ell, rel=1e-12)


def test_inference_optimum_is_vectorised_and_monotone():
    ell = float(EPOCH.loss(100e9, 150e12))
    served = np.logspace(9, 17, 50)
    n, d = EPOCH.inference_optimal(ell, served)
    assert n.shape == served.shape
    assert np.all(np.diff(n) < 0) and np.all(np.diff(d / n) > 0)  # more demand: smaller model, more tokens


def test_optimum_terms_ratio_is_r_minus_one():
    # At the optimum, serving FLOP ÷ training FLOP = r − 1; equal terms (r = 2) means T = 3·D.
    n, d, t = HOFFMANN.optimum_along_loss(1.9, np.array([1.0, 2.0, 5.0]))
    assert t[0] == 0
    assert t[1] == pytest.approx(3 * d[1])
    assert (2 * n * t / (6 * n * d)) == pytest.approx(np.array([0.0, 1.0, 4.0]))
    assert scaling.optimality_ratio(HOFFMANN, n, d) == pytest.approx(np.array([1.0, 2.0, 5.0]))


def test_served_tokens_for_optimality_and_for_ratio_agree():
    for law in (HOFFMANN, EPOCH):
        ell = float(law.loss(100e9, 150e12))
        t_point = float(scaling.served_tokens_for_optimality(law, 100e9, 150e12))
        t_ratio = float(law.served_tokens_for_tokens_per_param(ell, 1500.0))
        assert t_ratio == pytest.approx(t_point, rel=1e-8)
    # Hand value for Hoffmann: r = 0.34·406.4·1e11^-0.34 / (0.28·410.7·1.5e14^-0.28) ≈ 2.04, T = 3·150T·(r−1)
    r = 0.34 * 406.4 * 1e11 ** -0.34 / (0.28 * 410.7 * 1.5e14 ** -0.28)
    assert float(scaling.served_tokens_for_optimality(HOFFMANN, 100e9, 150e12)) == pytest.approx(3 * 150e12 * (r - 1))
    assert np.isnan(HOFFMANN.served_tokens_for_tokens_per_param(1.9, 1.0))  # below the Chinchilla ratio


def test_equal_terms_heuristic_by_hand():
    d_rl, d_served = scaling.equal_terms_tokens(150e12, 2.0, 0.3)
    assert float(d_served) == pytest.approx(450e12)  # 6·D = 2·T
    assert float(d_rl) == pytest.approx(135e12)      # 6·D = 2·D_RL/0.3
    life = scaling.lifetime_flop(100e9, 150e12, d_served, d_rl, 2.0, 0.3)
    assert float(life) == pytest.approx(3 * 6 * 100e9 * 150e12)
    assert float(scaling.overtraining_factor(100e9, 150e12)) == pytest.approx(75.0)
    assert float(scaling.rl_served_equivalent(135e12, 2.0, 0.3)) == pytest.approx(450e12)


def test_equal_terms_design_never_beats_the_optimum():
    ell = float(EPOCH.loss(100e9, 150e12))
    served = np.logspace(13, 17, 20)
    n_h, d_h = scaling.equal_terms_design(EPOCH, ell, served)
    n_o, d_o = EPOCH.inference_optimal(ell, served)
    ok = np.isfinite(n_h)
    cost_h = scaling.train_serve_flop(n_h[ok], d_h[ok], served[ok])
    cost_o = scaling.train_serve_flop(n_o[ok], d_o[ok], served[ok])
    assert np.all(cost_h >= cost_o * (1 - 1e-9))


def test_serving_arithmetic_by_hand():
    assert float(scaling.tokens_served(300e6, 150e12 / (300e6 * 60), 60)) == pytest.approx(150e12)
    assert float(scaling.days_to_serve(150e12, 300e6, 5000)) == pytest.approx(100.0)
    assert float(scaling.tokens_per_user_per_day(150e12, 500e6, 60)) == pytest.approx(5000.0)
    assert float(scaling.usd_per_flop(989e12, 0.4, 2.0)) == pytest.approx(2.0 / (3600 * 989e12 * 0.4))
    flop = 6 * 37e9 * 14.8e12
    assert float(scaling.accelerator_hours(flop, 989e12, 0.4)) == pytest.approx(flop / (989e12 * 0.4 * 3600))
    assert float(scaling.implied_utilisation(flop, 2.788e6, 989e12)) == pytest.approx(0.3307, abs=1e-3)
    # DeepSeek-V3 trained in FP8 (1,979 TFLOP/s dense on an H800) and 2.664M of its 2.788M hours were pre-training:
    # 3.2856e24 / (2.664e6 × 3600 × 1.979e15) = 17.3%, not 33%.
    assert float(scaling.implied_utilisation(flop, 2.664e6, 1979e12)) == pytest.approx(0.1731, abs=1e-3)


def test_excess_lifetime_compute_is_zero_at_the_optimum_and_fourteen_percent_for_the_talk():
    loss = float(EPOCH.loss(100e9, 150e12))
    n, d = EPOCH.inference_optimal(loss, 450e12)
    assert float(scaling.excess_lifetime_compute(EPOCH, n, d, 450e12)) == pytest.approx(0.0, abs=1e-6)
    # The talk's 100B on 150T is 3× the optimum's tokens per parameter under Epoch's fit, but only 14% dearer.
    excess = float(scaling.excess_lifetime_compute(EPOCH, 100e9, 150e12, 450e12))
    talk = 6 * 100e9 * 150e12 + 2 * 100e9 * 450e12
    assert excess == pytest.approx(talk / float(6 * n * d + 2 * n * 450e12) - 1)
    assert 0.13 < excess < 0.15
    grid = scaling.excess_lifetime_compute(HOFFMANN, 100e9, 150e12, np.array([1e13, 4.5e14, 1e16]))
    assert np.all(grid >= -1e-9) and grid.shape == (3,)


def test_output_share_and_output_tokens_at_equal_compute_by_hand():
    # DeepSeek's day: 608B input (342B cache hits) and 168B output tokens. Computed tokens 266B + 168B: output
    # 168 / 434 = 38.7%; counting every input token, 168 / 776 = 21.6%.
    assert float(scaling.output_share_of_computed_tokens(168e9, 608e9, 342e9)) == pytest.approx(168 / 434)
    assert float(scaling.output_share_of_computed_tokens(168e9, 608e9)) == pytest.approx(168 / 776)
    # Equal compute serves 3 × 150T computed tokens, 38.7% of them output: 174T out per 150T in.
    assert float(scaling.output_tokens_at_equal_compute(150e12, 168 / 434)) == pytest.approx(3 * 150e12 * 168 / 434)
    with pytest.raises(ValueError):
        scaling.output_share_of_computed_tokens(1.0, 1.0, 2.0)
    with pytest.raises(ValueError):
        scaling.output_tokens_at_equal_compute(150e12, 0.0)


def test_overtrained_ledger_on_default_data():
    from lib import claims

    by = {e.quantity: e for cid in ("overtrained-100x", "tokens-out-equal-in", "inference-dominates", "rlvr-log-linear")
          for e in claims.derive(cid, data.selection())}
    # Chinchilla's budget is the paper's 5.76e23 FLOP, not 6 × 70B × 1.4T = 5.88e23.
    assert by["compute-optimal tokens per parameter, Epoch fit"].inputs["compute_FLOP"] == 5.76e23
    # 2.664M pre-training H800-hours × 2 USD: 5.328M USD, just above the talk's 2-5M.
    cost = by["DeepSeek-V3 pre-training at its reported hours and price"]
    assert cost.derived == pytest.approx(5.328e6) and cost.verdict == claims.LOOSE
    out = by["output ÷ training tokens when serving compute = pre-training compute"]
    assert out.derived == pytest.approx(3 * 168 / 434) and out.verdict == claims.HOLDS and out.robust is False
    excess = by["extra training + serving compute of 100B on 150T over the optimum, Epoch fit, equal compute"]
    assert excess.kind == claims.STRUCTURAL and excess.verdict == claims.SHAPE_HOLDS and 13 < excess.derived < 15
    # Checked at the talk's η = 0.3: k_RL = 2 gives 6 × 0.3 / 2 = 0.9 (holds), k_RL = 6 gives 0.3 (does not hold).
    k2, k6 = by["D_RL ÷ D_pre with equal terms, k_RL = 2"], by["D_RL ÷ D_pre with equal terms, k_RL = 6"]
    assert (k2.derived, k2.verdict, k2.kind) == (0.9, claims.HOLDS, claims.CHECKED)
    assert (k6.derived, k6.verdict) == (0.3, claims.FAILS)
    # The book's η = u_dec / u_train = 0.3 / 0.4 is a scenario: with k_RL = 6, 6 × 0.75 / 6 = 0.75.
    book6 = by["D_RL ÷ D_pre with equal terms, k_RL = 6, book's η = u_dec/u_train"]
    assert book6.derived == 0.75 and book6.kind == claims.SCENARIO_KIND
    assert by["RL compute ÷ pre-training compute, one frontier model (xAI's Grok 4)"].verdict == claims.HOLDS
    # Llama 3's 40% MFU is against the bf16 peak, so it is charged against H100's 989 TFLOP/s bf16 (not its FP8):
    # 3.2856e24 FLOP / (0.4 × 989e12 × 3600) = 2.307M h × 6.16 USD = 14.21M USD.
    train = by["pre-training cost, 6·N·D at the book's utilisation and price"]
    assert train.inputs["format"] == "bf16"
    assert train.derived == pytest.approx(3.2856e24 / (0.4 * 989e12 * 3600) * 6.16, rel=1e-3)
    assert all(e.kind in claims.KINDS for e in by.values())


@pytest.mark.parametrize("call", [
    lambda: HOFFMANN.loss(-1, 1e12),
    lambda: HOFFMANN.loss(1e9, float("nan")),
    lambda: HOFFMANN.inference_optimal(1.5, 1e12),        # loss below E
    lambda: HOFFMANN.inference_optimal(1.9, -1.0),        # negative demand
    lambda: HOFFMANN.optimum_along_loss(1.9, 0.5),        # r < 1
    lambda: LossLaw("bad", 1.69, 406.4, 410.7, 1.2, 0.28),
    lambda: LossLaw("bad", 0.0, 406.4, 410.7, 0.34, 0.28),
    lambda: scaling.usd_per_flop(989e12, 1.5, 2.0),
    lambda: scaling.lifetime_flop(1e9, 1e12, 1e12, 1e12, 2.0, 0.0),
])
def test_bad_inputs_raise(call):
    with pytest.raises(ValueError):
        call()


def test_malformed_scaling_law_row_names_the_column(data_copy):
    rewrite_cell(data_copy / "scaling_laws.csv", "Epoch AI 2024 replication", "beta", "steep")
    with pytest.raises(DataError) as info:
        scaling.load_loss_laws(data_copy)
    problem = info.value.problems[0]
    assert problem.column == "beta" and problem.value == "steep" and "scaling_laws.csv" in problem.file


def test_exponent_above_one_is_rejected(data_copy):
    rewrite_cell(data_copy / "scaling_laws.csv", "Hoffmann 2022 (approach 3)", "alpha", "1.3")
    with pytest.raises(DataError, match="exponent below 1"):
        scaling.load_loss_laws(data_copy)


def test_malformed_demand_rows_name_the_column(data_copy):
    rewrite_cell(data_copy / "serving_demand.csv", "talk users", "value", "many")
    rewrite_cell(data_copy / "serving_demand.csv", "talk serving period", "unit", "tokens")
    rewrite_cell(data_copy / "serving_demand.csv", "RL rollout efficiency", "value", "30")
    with pytest.raises(DataError) as info:
        scaling.load_serving_demand(data_copy)
    columns = {(p.row_name, p.column) for p in info.value.problems}
    assert ("talk users", "value") in columns
    assert ("talk serving period", "unit") in columns
    assert ("RL rollout efficiency", "value") in columns


def test_missing_demand_row_is_a_data_error():
    rows = scaling.load_serving_demand()
    assert scaling.demand_value(rows, "talk pre-training tokens") == 150e12
    with pytest.raises(DataError, match="no such row|a row named"):
        scaling.demand_value(rows, "no such row")


def test_reader_data_without_the_tables_falls_back_to_the_book(data_copy):
    (data_copy / "scaling_laws.csv").unlink()
    (data_copy / "serving_demand.csv").unlink()
    assert len(scaling.load_loss_laws(data_copy)) == len(scaling.load_loss_laws()) == 3
    assert "talk users" in scaling.load_serving_demand(data_copy)


def test_check_data_validates_the_new_tables():
    assert data.check_data_dir(data.DEFAULT_DATA_DIR) == []
    assert "scaling_laws.csv" in data.SCHEMAS and "serving_demand.csv" in data.SCHEMAS


def test_format_count():
    assert scaling.format_count(1.5e14, "tokens") == "150T tokens"
    assert scaling.format_count(100e9, "params") == "100B params"
    assert scaling.format_count(3.2e15) == "3,200T"
    assert scaling.format_count(8333.3) == "8.33k"
    assert scaling.format_count(0.3) == "0.3"
    with pytest.raises(ValueError):
        scaling.format_count(float("nan"))


def test_equal_terms_penalty_is_zero_where_equal_terms_are_optimal():
    for law in (HOFFMANN, EPOCH):
        n, d, t = law.optimum_along_loss(1.95, 2.0)  # r = 2: serving compute = training compute
        assert float(scaling.equal_terms_penalty(law, 1.95, t)) == pytest.approx(0.0, abs=1e-9)
        assert float(scaling.equal_terms_penalty(law, 1.95, 10 * t)) > 0.01
        assert np.isnan(scaling.equal_terms_penalty(law, 1.95, 1e6))  # T/3 tokens cannot reach the loss


@settings(max_examples=40, deadline=None)
@given(log_served=st.floats(min_value=9, max_value=17), shift=st.floats(min_value=-1.0, max_value=1.0),
       loss=st.floats(min_value=1.95, max_value=2.5))
def test_no_other_size_on_the_loss_curve_is_cheaper(log_served, shift, loss):
    served = 10 ** log_served
    n, d = EPOCH.inference_optimal(loss, served)
    other_n = float(n) * 10 ** shift
    other_d = EPOCH.tokens_for_loss(loss, other_n)
    best = float(scaling.train_serve_flop(n, d, served))
    if np.isfinite(other_d):
        assert float(scaling.train_serve_flop(other_n, other_d, served)) >= best * (1 - 1e-9)


# ---------------------------------------------------------------- unrounded fits and Hoffmann et al.'s table 3

HOFFMANN_UNROUNDED = LossLaw("Hoffmann unrounded", 1.6934, 406.4, 410.7, 0.3392, 0.2849)


def test_rounding_moves_the_compute_optimal_ratio_from_59_to_93():
    # at Chinchilla's budget: G = (alpha A / (beta B))^(1/(alpha+beta)), N = G (C/6)^(beta/(alpha+beta))
    c6 = CHINCHILLA_FLOP / 6
    s = 0.3392 + 0.2849
    g = (0.3392 * 406.4 / (0.2849 * 410.7)) ** (1 / s)
    n = g * c6 ** (0.2849 / s)
    assert float(HOFFMANN_UNROUNDED.compute_optimal_tokens_per_param(CHINCHILLA_FLOP)) == pytest.approx(c6 / n / n)
    assert float(HOFFMANN_UNROUNDED.compute_optimal_tokens_per_param(CHINCHILLA_FLOP)) == pytest.approx(59, abs=1)
    assert float(HOFFMANN.compute_optimal_tokens_per_param(CHINCHILLA_FLOP)) == pytest.approx(93, abs=1)


@pytest.mark.parametrize("law", [HOFFMANN, HOFFMANN_UNROUNDED, EPOCH])
def test_compute_optimal_for_params_inverts_compute_optimal(law):
    for c in (1e20, 5.76e23, 1e26):
        n, d = law.compute_optimal(c)
        c_back, d_back = law.compute_optimal_for_params(n)
        assert float(c_back) == pytest.approx(c, rel=1e-9) and float(d_back) == pytest.approx(float(d), rel=1e-9)


def test_table3_reproduction():
    rows = scaling.load_compute_optimal_table()
    assert len(rows) == 9 and rows[3].name == "67B" and rows[3].tokens == pytest.approx(1.5e12)
    # the table is 6 N D to its rounding, except the 67B row (1.43T from its FLOPs, printed 1.5T)
    for r in rows:
        assert r.flops == pytest.approx(6 * r.params * r.tokens, rel=0.05 if r.name != "67B" else 0.06)
    epoch = scaling.compute_optimal_token_errors(EPOCH, rows)
    hoffmann = scaling.compute_optimal_token_errors(HOFFMANN_UNROUNDED, rows)
    assert np.all(np.abs(epoch) < 0.35)        # Epoch's refit agrees with approach 1 to about a third
    assert np.all(hoffmann > 0.2)              # the published approach-3 fit trains longer at every size
    assert np.all(scaling.compute_optimal_token_errors(HOFFMANN, rows) > hoffmann)  # rounding makes it worse
    # by hand at 67B for the Epoch fit: D = (C/6)/N with C/6 = (N/G)^((alpha+beta)/beta)
    s = 0.3478 + 0.3658
    g = (0.3478 * 482.01 / (0.3658 * 2085.43)) ** (1 / s)
    d = (67e9 / g) ** (s / 0.3658) / 67e9
    assert float(epoch[3]) == pytest.approx(d / 1.5e12 - 1)


# ---------------------------------------------------------------- RL compute


def test_rl_sigmoid_by_hand():
    # at the midpoint half the gain; at 10x the midpoint with b = 1, 10/11 of it
    assert float(scaling.rl_sigmoid(1e4, 0.2, 0.6, 1e4, 1.0)) == pytest.approx(0.4)
    assert float(scaling.rl_sigmoid(1e5, 0.2, 0.6, 1e4, 1.0)) == pytest.approx(0.2 + 0.4 * 10 / 11)
    assert float(scaling.rl_gain_per_decade(1e4, 0.2, 0.6, 1e4, 1.0)) == pytest.approx(0.4 * (10 / 11 - 0.5))
    assert float(scaling.rl_peak_gain_per_decade(0.2, 0.6, 1.0)) == pytest.approx(0.4 * math.log(10) / 4)


def test_where_sigmoid_and_log_linear_part():
    # slope per decade 4 s (1 - s) of its peak; half at s = (2 + sqrt 2)/4, i.e. 10^(-b k) = 3 - 2 sqrt 2
    k = float(scaling.rl_half_gain_decades(1.0))
    assert k == pytest.approx(math.log10(3 + 2 * math.sqrt(2)))
    s = float(scaling.rl_sigmoid(10 ** k, 0.0, 1.0, 1.0, 1.0))
    assert 4 * s * (1 - s) == pytest.approx(0.5)
    assert float(scaling.rl_half_gain_decades(2.0)) == pytest.approx(k / 2)
    # the tangent line at the midpoint, 0.5 + peak slope x decades, reaches 1 after 2 / (b ln 10) decades
    over = float(scaling.rl_loglinear_overshoot_decades(1.0))
    assert 0.5 + float(scaling.rl_peak_gain_per_decade(0.0, 1.0, 1.0)) * over == pytest.approx(1.0)
    assert float(scaling.rl_sigmoid(10 ** over, 0.0, 1.0, 1.0, 1.0)) < 0.9  # the sigmoid is still short of it


def test_rl_decade_gain_of_the_scalerl_fit_by_hand():
    # Khatri et al.'s table 1, ScaleRL 8B (batch 768): C_mid = 2542 GPU-hours, B = 1.92. The decade 10k -> 100k
    # GPU-hours: s = 1 / (1 + (C_mid / C)^B), (2542/10000)^1.92 = e^(1.92 ln 0.2542) = 0.07214 -> s = 0.93271;
    # (2542/100000)^1.92 = 8.673e-4 -> s = 0.99913; the decade brings 0.0664 of the total gain.
    assert 2542 / 1e4 == pytest.approx(0.2542)
    assert math.exp(1.92 * math.log(0.2542)) == pytest.approx(0.07214, rel=1e-3)
    share = float(scaling.rl_decade_gain_share(1e4, 2542.0, 1.92))
    assert share == pytest.approx(0.99913 - 0.93271, abs=2e-4)
    # the best decade, centred on C_mid: (10^0.96 - 1) / (10^0.96 + 1) = 8.1201 / 10.1201 = 0.8024
    best = float(scaling.rl_best_decade_gain_share(1.92))
    assert best == pytest.approx(8.1201 / 10.1201, rel=1e-4)
    # ... and no decade brings more (brute force over where the decade starts)
    starts = 2542.0 * 10 ** np.linspace(-3, 2, 5001)
    shares = scaling.rl_decade_gain_share(starts, 2542.0, 1.92)
    assert shares.max() == pytest.approx(best, rel=1e-6)
    assert starts[shares.argmax()] == pytest.approx(2542.0 / math.sqrt(10), rel=1e-2)
    # times (A - R_0) it is the gain in pass rate
    assert float(scaling.rl_gain_per_decade(1e4, 0.3, 0.61, 2542.0, 1.92)) == pytest.approx(0.31 * share)
    with pytest.raises(ValueError):
        scaling.rl_best_decade_gain_share(0.0)


def test_rl_fits_load_complete_and_reject_a_unit_that_does_not_fit_the_kind(data_copy):
    fits = scaling.load_rl_fits()
    main = fits["ScaleRL 8B dense"]
    assert (main.asymptote, main.exponent, main.midpoint_gpu_hours) == (0.61, 1.92, 2542.0)
    assert "ScaleRL 17Bx16 MoE (Scout)" not in fits  # only its ceiling is published here
    rewrite_cell(data_copy / "rl_scaling.csv", "ScaleRL 8B dense: fitted exponent B", "unit", "GPU-hours")
    with pytest.raises(DataError) as info:
        scaling.load_rl_fits(data_copy)
    assert info.value.problems[0].column == "unit" and "'1'" in info.value.problems[0].expected


def test_rlvr_gain_entries_follow_the_fit(data_copy):
    from lib.claims import derive

    by_quantity = {e.quantity: e for e in derive("rlvr-log-linear", data.selection())}
    main = by_quantity["gain per 10× RL compute at the largest run's last decade ÷ the best decade's, ScaleRL 8B dense fit"]
    expected = float(scaling.rl_decade_gain_share(1e4, 2542.0, 1.92) / scaling.rl_best_decade_gain_share(1.92))
    assert main.derived == pytest.approx(expected) and main.derived == pytest.approx(0.0827, abs=5e-4)
    assert main.kind == "structural" and main.verdict == "shape does not hold"
    # a midpoint at 100k GPU-hours puts the largest run's last decade just below it: nearly straight on a log axis
    rewrite_cell(data_copy / "rl_scaling.csv", "ScaleRL 8B dense: fitted midpoint C_mid", "value", "100000")
    moved = {e.quantity: e for e in derive("rlvr-log-linear", data.selection(data_dir=data_copy))}
    assert moved[main.quantity].verdict == "shape holds"


def test_rl_table_loads_and_rejects_percentages(data_copy):
    rl = scaling.load_rl_scaling()
    assert rl["ScaleRL 8B dense: fitted asymptote A"] == 0.61
    assert rl["DeepSeek-R1-Zero: RL GPU-hours"] == 512 * 198
    rewrite_cell(data_copy / "rl_scaling.csv", "ScaleRL 8B dense: fitted asymptote A", "value", "61")
    with pytest.raises(DataError) as info:
        scaling.load_rl_scaling(data_copy)
    assert info.value.problems[0].column == "value" and "pass rate" in info.value.problems[0].expected
    with pytest.raises(ValueError):
        scaling.rl_sigmoid(0.0, 0.1, 0.5, 1.0, 1.0)


def test_the_rl_shape_charts_expressions_are_libs_curves():
    """The browser draws the RL sigmoid and its tangent from two Vega expressions: evaluated here (pow as in Vega)
    they give lib.scaling's sigmoid and midpoint slope at every decade and exponent."""
    from types import SimpleNamespace

    from lib.figures import overtrained as fig

    for b in (0.5, 1.0, 1.92, 3.0):
        for d in (-3.0, -0.5, 0.0, 0.7, 3.0):
            env = {"pow": pow, "rl_b": b, "datum": SimpleNamespace(decades=d)}
            sigmoid = eval(fig.RL_SIGMOID_EXPR, {}, env)
            tangent = eval(fig.RL_TANGENT_EXPR, {}, env)
            assert sigmoid == pytest.approx(float(scaling.rl_sigmoid(10.0 ** d, 0.0, 1.0, 1.0, b)), rel=1e-12)
            assert tangent == pytest.approx(0.5 + float(scaling.rl_peak_gain_per_decade(0.0, 1.0, b)) * d, rel=1e-12)
