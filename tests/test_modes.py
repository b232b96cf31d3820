"""Fast and slow modes: closed forms against hand calculations, the inverse problem against the forward
roofline, invariants, the offers table and its validation."""

import numpy as np
import pytest

from lib import data, modes, roofline
from lib.data import DataError

from conftest import rewrite_cell


# --- closed forms ------------------------------------------------------------------------------------


def test_lecture_pair_by_hand():
    # 6× price, 2.5× speed: β = 15; φ = (1 − 1/2.5) / (1 − 1/15) = 0.6 / (14/15) = 9/14.
    assert float(modes.occupancy_ratio(6, 2.5)) == 15.0
    assert float(modes.memory_bound_kv_share(6, 2.5)) == pytest.approx(9 / 14)
    # the speed ceiling of that standard step: 1 / (1 − 9/14) = 14/5 = 2.8
    assert float(modes.speed_ceiling(9 / 14)) == pytest.approx(2.8)


def test_price_ratio_for_inverts_the_share():
    s = np.array([1.2, 1.5, 2.5, 3.0])
    phi = np.array([0.3, 0.5, 0.7, 0.9])
    p = modes.price_ratio_for(s, phi)
    assert np.allclose(modes.memory_bound_kv_share(p, s), phi)
    # beyond the ceiling: no price buys it
    assert np.isnan(modes.price_ratio_for(3.0, 0.5))  # ceiling 1 / (1 − 0.5) = 2


def test_share_is_nan_when_no_memory_bound_solution():
    assert np.isnan(modes.memory_bound_kv_share(0.5, 2.0))   # cheaper and faster
    assert np.isnan(modes.memory_bound_kv_share(1.0, 2.0))   # P = 1 needs compute-bound steps
    assert float(modes.memory_bound_kv_share(3.0, 1.0)) == 0.0


def test_chips_only_and_speculation_by_hand():
    m, e = modes.chips_only_efficiency(6, 2.5)
    assert float(m) == 15.0 and float(e) == pytest.approx(1 / 6)
    assert float(modes.speculative_step_ratio(2.5, 2.0)) == pytest.approx(1.25)
    with pytest.raises(ValueError):
        modes.speculative_step_ratio(2.5, 0.5)
    # α = 2: step ratio 1.25, φ = (1 − 1/1.25) / (1 − 1/15) = 0.2 / (14/15) = 3/14
    assert float(modes.kv_share_with_speculation(6, 2.5, 2.0)) == pytest.approx(3 / 14)
    assert float(modes.kv_share_with_speculation(6, 2.5, 3.0)) == 0.0


# --- the inverse problem ------------------------------------------------------------------------------


def test_memory_branch_hand_case():
    # t_w = 1 s, k = 0.01 s, c → 0: B_s = 1.5 / (0.01 · (1 − 1/6)) = 180, B_f = 12
    sol = modes.solve_standard_batch(6, 2.5, 1.0, 0.01, 1e-9)
    assert str(sol.branch) == "memory"
    assert float(sol.standard_batch) == pytest.approx(180)
    assert float(sol.fast_batch) == pytest.approx(12)
    assert float(sol.standard_step_s) == pytest.approx(2.8)
    assert float(sol.fast_step_s) == pytest.approx(1.12)
    assert float(sol.kv_share) == pytest.approx(9 / 14)


def test_compute_branch_hand_case():
    # No KV (t_w = 1, c = 0.01, B* = 100): standard at 2.5 B* = 250, fast at B*/6
    sol = modes.solve_standard_batch(6, 2.5, 1.0, 0.0, 0.01)
    assert str(sol.branch) == "compute"
    assert float(sol.standard_batch) == pytest.approx(250)
    assert float(sol.fast_batch) == pytest.approx(100 / 6)
    assert float(sol.kv_share) == 0.0


def test_both_compute_branch_at_price_one():
    sol = modes.solve_standard_batch(1.0, 2.0, 1.0, 0.0, 0.01)
    assert str(sol.branch) == "both compute"
    assert float(sol.standard_batch) == pytest.approx(200)  # β · B_sweet = 2 · 100


def test_infeasible_pairs_are_named():
    sol = modes.solve_standard_batch(np.array([0.5, 3.0, 1.0, 1.5]), np.array([2.0, 0.8, 2.0, 1.001]),
                                     1.0, 0.01, 0.001)
    assert list(sol.branch) == ["infeasible"] * 4
    assert "price ratio below 1" in sol.reason[0]
    assert "speed ratio below 1" in sol.reason[1]
    assert "no batch" in sol.reason[2]          # P = 1 but KV reads keep every batch memory bound
    assert "fast batch below" in sol.reason[3]  # tiny speed-up: B_s < β
    assert np.all(np.isnan(sol.standard_batch))


@pytest.mark.parametrize("context", [512, 4096, 32768, 200_000])
@pytest.mark.parametrize("pair", [(6, 2.5), (2, 2.5), (2.5, 1.5), (1.5, 1.2)])
def test_inverse_round_trips_through_decode_step(h100, dsv3, context, pair):
    p, s = pair
    sol = modes.inverse_problem(h100, dsv3, context, p, s)
    if not bool(sol.feasible):
        pytest.skip(str(sol.reason))
    speed, price = modes.mode_ratios(h100, dsv3, sol.standard_batch, sol.fast_batch, context)
    assert float(speed) == pytest.approx(s, rel=1e-9)
    assert float(price) == pytest.approx(p, rel=1e-9)


def test_inverse_vectorises(h100, dsv3):
    contexts = np.array([1024.0, 8192.0, 131072.0])
    sol = modes.inverse_problem(h100, dsv3, contexts, 6, 2.5)
    assert sol.standard_batch.shape == (3,)
    # longer context → bigger per-sequence KV → fewer sequences for the same KV share
    assert np.all(np.diff(sol.standard_batch) < 0)
    # on the memory branch the share is the closed form, whatever the context
    memory = sol.branch == "memory"
    assert memory.any()
    assert np.allclose(sol.kv_share[memory], 9 / 14)


def test_speed_ratio_never_exceeds_batch_ratio(h100, dsv3):
    rng = np.random.default_rng(0)
    b_s = rng.uniform(2, 20_000, 200)
    b_f = b_s * rng.uniform(0.01, 1.0, 200)
    speed, price = modes.mode_ratios(h100, dsv3, b_s, np.maximum(b_f, 1), 4096)
    assert np.all(speed <= b_s / np.maximum(b_f, 1) + 1e-9)
    assert np.all(price >= 1 - 1e-12)


def test_replica_chips_hold_weights_and_kv(h100, dsv3):
    assert float(modes.replica_chips_for(h100, dsv3, 0, 0)) == roofline.min_chips_for_weights(dsv3, h100)
    # weights 1.342 TB + 1,000 × 32,768 × 70,272 B = 3.645 TB → 46 H100s of 80 GB
    assert float(modes.replica_chips_for(h100, dsv3, 1000, 32768)) == np.ceil(
        (671e9 * 2 + 1000 * 32768 * 70272) / 80e9)


def test_bad_inputs_raise():
    with pytest.raises(ValueError):
        modes.occupancy_ratio(-1, 2)
    with pytest.raises(ValueError):
        modes.memory_bound_kv_share(6, float("nan"))
    with pytest.raises(ValueError):
        modes.speed_ceiling(1.5)
    with pytest.raises(ValueError):
        modes.solve_standard_batch(6, 2.5, 0.0, 0.01, 0.01)


# --- slow mode ----------------------------------------------------------------------------------------


def test_slow_mode_hand_calculation(h100, dsv3):
    # per token, one accelerator: c = 2 · 37e9 / 989e12, k = 32,768 · 70,272 / 3.35e12; saving at B* = c/(c+k)
    c = 2 * 37e9 / 989e12
    k = 32768 * 70272 / 3.35e12
    assert float(modes.slow_mode_saving(h100, dsv3, 32768)) == pytest.approx(min(c, k) / (c + k), rel=1e-9)


def test_slow_mode_saving_is_at_most_half(h100):
    contexts = np.logspace(2, 6, 41)
    for model in data.load_models():
        saving = modes.slow_mode_saving(h100, model, contexts)
        assert np.all(saving >= -1e-12) and np.all(saving <= 0.5 + 1e-12)
        # more headroom in the standard mode leaves less to save
        assert np.all(modes.slow_mode_saving(h100, model, contexts, headroom=3) <= saving + 1e-12)


def test_plateau_is_below_every_batch(h100, dsv3):
    plateau = modes.plateau_chip_seconds_per_token(h100, dsv3, 8192)
    step = roofline.decode_step(h100, dsv3, np.logspace(0, 6, 30), 8192, chips=1)
    assert np.all(step.chip_seconds_per_token >= plateau * (1 - 1e-12))


# --- the offers table ---------------------------------------------------------------------------------


def test_offers_load_and_lecture_row():
    offers = {o.name: o for o in modes.load_offers()}
    lecture = offers[modes.LECTURE_OFFER]
    assert (lecture.price_multiplier, lecture.speed_multiplier) == (6.0, 2.5)
    assert all(o.source.startswith("http") for o in offers.values())


def test_malformed_offer_names_the_column(data_copy):
    rewrite_cell(data_copy / "mode_offers.csv", modes.LECTURE_OFFER, "speed_multiplier", "fast")
    with pytest.raises(DataError) as err:
        modes.load_offers(data_copy)
    assert "speed_multiplier" in str(err.value) and "line 2" in str(err.value)


def test_price_columns_must_agree_with_multiplier(data_copy):
    rewrite_cell(data_copy / "mode_offers.csv", modes.LECTURE_OFFER, "price_multiplier", "5")
    with pytest.raises(DataError) as err:
        modes.load_offers(data_copy)
    assert "price_multiplier" in str(err.value)


# --- the ledger on a reader's data --------------------------------------------------------------------


def test_offers_fall_back_to_the_book_when_the_reader_has_none(data_copy):
    (data_copy / "mode_offers.csv").unlink()
    assert [o.name for o in modes.load_offers(data_copy)] == [o.name for o in modes.load_offers()]


def test_ledger_copes_without_the_lecture_row(data_copy):
    from lib import claims

    path = data_copy / "mode_offers.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0]] + [l for l in lines[1:] if not l.startswith(modes.LECTURE_OFFER)]) + "\n",
                    encoding="utf-8")
    entries = {e.quantity: e for e in claims.derive("fast-mode", data.selection(data_dir=data_copy))}
    assert entries["price ratio of the fast mode (published)"].derived is None
    assert entries["price ratio of the fast mode (published)"].verdict == claims.NOT_DERIVED
    # the inverse problem falls back on the talk's pair
    assert entries["KV share of the standard step that batch alone needs (blackboard)"].derived == pytest.approx(900 / 14)


def test_ledger_reports_an_infeasible_pair():
    from lib import claims

    sel = data.selection(hardware="H100 SXM", model="Llama 3.1 8B")
    entry = next(e for e in claims.derive("fast-mode", sel) if e.quantity.startswith("blackboard standard batch"))
    assert entry.derived is None and entry.verdict == claims.SHAPE_FAILS and entry.kind == claims.STRUCTURAL
    assert "fast batch below" in entry.note


def test_ledger_marks_the_32k_standard_batch_as_outside_one_domain():
    """#22: the blackboard's 32k standard batch needs 47 H100s against an 8-GPU domain: a shape that fails,
    not a 'holds'."""
    from lib import claims

    entries = {e.quantity: e for e in claims.derive("fast-mode", data.selection())}
    e = entries["blackboard standard batch at 32k fits one scale-up domain"]
    assert e.kind == claims.STRUCTURAL and e.verdict == claims.SHAPE_FAILS
    assert "need 47 × H100 SXM" in e.note
    # the compute-bound branch with no KV at all gives the lecture's pair: standard at 2.5 B*, fast at B*/6
    assert entries["blackboard pair with no KV at all: standard batch ÷ B*"].derived == pytest.approx(2.5)


def test_slow_mode_entries_are_not_checked_holds():
    """#22: "≤ 50% by construction" is a shape; the refined savings are scenarios with their sensitivity."""
    from lib import claims

    entries = claims.derive("slow-mode", data.selection())
    assert all(e.kind != claims.CHECKED for e in entries)
    bound = next(e for e in entries if e.quantity.startswith("blackboard saving"))
    assert bound.verdict == claims.SHAPE_HOLDS and bound.derived <= 50 + 1e-9
    refined = [e for e in entries if "refined" in e.quantity and e.quantity.startswith("saving")]
    assert len(refined) == 4 and all(e.verdict == claims.SCENARIO for e in refined)
    for e in refined:
        ends = e.sensitivity[modes.WEIGHT_SHARE.name]
        assert ends["high"]["derived"] > e.derived  # a bigger weight share leaves more to save


# --- input prices of the offers -----------------------------------------------------------------------


def test_offer_input_and_long_context_prices():
    offers = {o.name: o for o in modes.load_offers()}
    lecture = offers[modes.LECTURE_OFFER]
    # $30 / $5 input and $150 / $25 output: 6× both; above 200k $60 and $225 against $5 / $25 short and
    # $10 / $37.50 long: 12× and 9× of the short rates, 6× of the long ones.
    assert lecture.input_price_ratio == pytest.approx(6.0) and lecture.output_price_ratio == pytest.approx(6.0)
    assert lecture.long_ratios() == pytest.approx({"input vs standard short": 12.0, "output vs standard short": 9.0,
                                                   "input vs standard long": 6.0, "output vs standard long": 6.0})
    assert offers["GPT-5.5 Codex fast mode"].input_price_ratio is None  # credits, not prices per token


def test_price_pairs_must_come_together(data_copy):
    rewrite_cell(data_copy / "mode_offers.csv", modes.LECTURE_OFFER, "fast_input_usd_per_Mtok", "")
    with pytest.raises(DataError) as err:
        modes.load_offers(data_copy)
    assert "fast_input_usd_per_Mtok" in str(err.value)


def test_long_prices_need_their_threshold(data_copy):
    rewrite_cell(data_copy / "mode_offers.csv", modes.LECTURE_OFFER, "long_context_min_tokens", "")
    with pytest.raises(DataError, match="long_context_min_tokens"):
        modes.load_offers(data_copy)


# --- the refined model: one standard mode -------------------------------------------------------------


def test_standard_mode_by_hand(h100, dsv3):
    # fp8 weights 671.025 GB; usable HBM 0.9 × 80 GB = 72 GB per H100; w = ½: n = ⌈671.025 / 36⌉ = 19.
    sm = modes.standard_mode(h100, dsv3, np.array([32768.0, 131072.0]))
    assert sm.chips == 19
    # room 19 × 72 − 671.025 = 696.97 GB; fp8 MLA KV at 32k: 32,768 × 576 × 61 B = 1.1513 GB → 605 sequences
    room = 19 * 72e9 - roofline.weight_storage_bytes(dsv3, sm.precisions)
    assert sm.batch[0] == np.floor(room / (32768 * 576 * 61)) == 605
    assert sm.batch[1] == np.floor(room / (131072 * 576 * 61))
    # w = 1: the fewest chips that hold the weights (10), with room for a few sequences
    assert modes.standard_mode(h100, dsv3, 32768, weight_share=1.0).chips == 10
    with pytest.raises(ValueError):
        modes.standard_mode(h100, dsv3, 1024, weight_share=0)


def test_standard_mode_reports_a_context_that_does_not_fit(h100, llama70):
    # Llama 3.1 70B, bf16 weights, w = ½: 4 H100s; a 1M-token fp8 KV cache (80 × 2 × 8 × 128 B per token =
    # 164 GB) does not fit beside the weights.
    sm = modes.standard_mode(h100, llama70, np.array([8192.0, 1_048_576.0]))
    assert sm.chips == 4
    assert list(sm.feasible) == [True, False]
    assert np.isnan(sm.chip_seconds_per_token[1])


# --- the refined fast mode ---------------------------------------------------------------------------


def test_price_for_speed_solves_the_step_and_keeps_p_times_s(h100, dsv3):
    sm = modes.standard_mode(h100, dsv3, 8192.0)
    fast = modes.price_for_speed(h100, dsv3, float(sm.batch), 8192.0, 2.5, sm.chips)
    assert bool(fast.feasible)
    assert float(fast.standard_step_s / fast.fast_step_s) == pytest.approx(2.5, rel=1e-6)
    # eq. fm-product on the refined model: P · S = B_s / B_f, and P is the ratio of accelerator-seconds per token
    big = roofline.decode_step(h100, dsv3, float(sm.batch), 8192.0, precision=sm.precisions, chips=sm.chips)
    small = roofline.decode_step(h100, dsv3, float(fast.fast_batch), 8192.0, precision=sm.precisions, chips=sm.chips)
    assert float(fast.price_ratio) == pytest.approx(
        float(small.chip_seconds_per_token / big.chip_seconds_per_token), rel=1e-6)
    assert float(fast.price_ratio * fast.speed_ratio) == pytest.approx(float(sm.batch / fast.fast_batch))


def test_price_for_speed_beyond_the_batch_one_ceiling_is_nan(h100, llama70):
    # A dense model at short context: its step is the weight read at every batch up to the ridge, so the
    # ceiling t(B_s) / t(1) is barely above 1 and no batch cut gives 2.5×.
    fast = modes.price_for_speed(h100, llama70, 64.0, 1024.0, np.array([1.01, 2.5]), 2)
    t64 = roofline.decode_step(h100, llama70, 64.0, 1024.0, kv_precision="fp8", chips=2).step_s
    t1 = roofline.decode_step(h100, llama70, 1.0, 1024.0, kv_precision="fp8", chips=2).step_s
    assert fast.speed_ceiling[0] == pytest.approx(float(t64 / t1))
    assert bool(fast.feasible[0]) and not bool(fast.feasible[1])
    with pytest.raises(ValueError):
        modes.price_for_speed(h100, llama70, 0.5, 1024.0, 2.0, 2)


def test_moe_batch_cut_speeds_up_even_without_kv(h100, dsv3):
    """For a MoE model a smaller batch touches fewer experts: at context 0 a 15-fold cut from 15 sequences
    is already faster than 2.5×, where the blackboard (every weight read at every step) gives no speed-up."""
    speed = float(modes.speed_of_batch_cut(h100, dsv3, 15.0, 0.0, 15.0))
    assert speed > 2.5
    board = roofline.blackboard_decode_step(h100, dsv3, np.array([15.0, 1.0]), 0.0, chips=20)
    assert float(board.step_s[0] / board.step_s[1]) == pytest.approx(1.0)


def test_every_offer_solution_gives_the_pair(h100, dsv3):
    solutions = modes.standard_batches_for_offer(h100, dsv3, 1024.0, 6.0, 2.5)
    assert len(solutions) == 2  # one from expert touching, one from the compute-bound side
    for sol in solutions:
        fast = modes.price_for_speed(h100, dsv3, sol.standard_batch, 1024.0, 2.5, sol.chips_to_hold)
        assert float(fast.price_ratio) == pytest.approx(6.0, rel=1e-3)
        assert sol.fast_batch == pytest.approx(sol.standard_batch / 15, rel=1e-3)
        assert sum(sol.saved.values()) == pytest.approx(1.0)
        assert sol.chips_to_hold == int(roofline.chips_to_fit(dsv3, h100, sol.standard_batch, 1024.0,
                                                              roofline.as_precisions(dsv3, None, "fp8")))
    assert solutions[0].lever == "experts"
    assert not solutions[0].fits_domain  # DeepSeek-V3's fp8 weights alone need 10 H100s


# --- the latency floor --------------------------------------------------------------------------------


def test_collective_latency_floor_by_hand(h100, dsv3):
    # 61 layers × 2 collectives × 15 µs = 1.83 ms on a sharded replica; none on one chip
    assert list(modes.collective_latency_floor_s(61, np.array([1, 8]))) == pytest.approx([0.0, 1.83e-3])
    assert float(modes.collective_latency_floor_s(61, 8, per_collective_s=30e-6)) == pytest.approx(3.66e-3)
    with pytest.raises(ValueError):
        modes.collective_latency_floor_s(0, 8)
    speed = modes.max_user_tokens_per_s(h100, dsv3, 0.0, np.array([10, 100, 10_000]))
    one_chip = float(roofline.decode_step(h100, dsv3, 1.0, 0.0, kv_precision="fp8", chips=1).step_s)
    assert speed[0] == pytest.approx(1 / (one_chip / 10 + 1.83e-3))
    assert np.all(np.diff(speed) > 0) and np.all(speed < 1 / 1.83e-3)


# --- slow mode on the refined model, batch APIs and the daily load curve --------------------------------


def test_refined_plateau_is_below_every_batch_and_the_saving_in_range(h100, dsv3, llama70):
    for model in (dsv3, llama70):
        plateau = modes.refined_plateau_chip_seconds_per_token(h100, model, 32768.0)
        cost = roofline.decode_step(h100, model, np.logspace(0, 6, 25), 32768.0, kv_precision="fp8",
                                    chips=1).chip_seconds_per_token
        assert np.all(cost >= plateau * (1 - 1e-9))
        saving = modes.refined_slow_mode_saving(modes.standard_mode(h100, model, np.array([8192.0, 32768.0])))
        assert np.all((saving >= 0) & (saving < 1))


def test_batch_offers_load_and_validate(data_copy):
    offers = modes.load_batch_offers()
    assert {o.provider for o in offers} >= {"Anthropic", "OpenAI", "Google"}
    assert all(o.price_multiplier == 0.5 and o.source.startswith("http") for o in offers)
    rewrite_cell(data_copy / "batch_offers.csv", "OpenAI Batch API", "price_multiplier", "1.5")
    with pytest.raises(DataError, match="price_multiplier"):
        modes.load_batch_offers(data_copy)


def test_daily_load_curve_and_the_utilisation_a_discount_implies():
    # 1 + a cos(·) over 24 whole hours has mean 1 and peak 1 + a: u = 1 / (1 + a)
    assert float(modes.daily_load_utilisation(modes.daily_load_curve(0.5))) == pytest.approx(1 / 1.5)
    assert modes.daily_load_utilisation(modes.daily_load_curve(np.array([0.2, 1.0]))) == pytest.approx([1 / 1.2, 0.5])
    # a 50% batch price is cost-based at u = 0.5 with no roofline saving, at u = 0.75 with a 1/3 saving
    assert float(modes.trough_fill_price_ratio(0.5)) == pytest.approx(0.5)
    assert float(modes.implied_interactive_utilisation(0.5, 1 / 3)) == pytest.approx(0.75)
    assert float(modes.trough_fill_price_ratio(modes.implied_interactive_utilisation(0.5, 0.2), 0.2)) == \
        pytest.approx(0.5)
    with pytest.raises(ValueError):
        modes.trough_fill_price_ratio(1.5)
    with pytest.raises(ValueError):
        modes.daily_load_curve(-0.1)


def test_blackboard_forward_problem_matches_the_closed_form(h100, llama70):
    # memory-bound standard step of Llama 3.1 70B at 32k: the price of S follows eq. fm-share inverted
    step = roofline.blackboard_decode_step(h100, llama70, 50.0, 32768.0, chips=1)
    assert not bool(step.compute_bound)
    phi = float(step.kv_s / step.step_s)
    fast = modes.blackboard_price_for_speed(h100, llama70, 50.0, 32768.0, 1.5)
    assert float(fast.price_ratio) == pytest.approx(float(modes.price_ratio_for(1.5, phi)), rel=1e-6)
    # the ceiling is t(B_s) / t(1), just under 1 / (1 − φ)
    assert float(fast.speed_ceiling) < 1 / (1 - phi)


def test_one_standard_mode_caps_the_blackboard_near_one_over_w(h100, llama70, dsv3):
    """#22: with the weights at w of a full HBM, the blackboard's memory-bound ceiling is about 1/w, so w = ½
    allows no 2.5× fast mode there; on the refined model a MoE model's small batch reads few experts."""
    for model in (llama70, dsv3):
        sm = modes.standard_mode(h100, model, 32768.0, 0.5)
        board = modes.blackboard_price_for_speed(h100, model, float(sm.batch), 32768.0, 2.5,
                                                 *modes.blackboard_formats(model, h100))
        assert float(board.speed_ceiling) == pytest.approx(2.0, rel=0.05)
        assert not bool(board.feasible)
    sm = modes.standard_mode(h100, dsv3, 32768.0, 0.5)
    refined = modes.price_for_speed(h100, dsv3, float(sm.batch), 32768.0, 2.5, sm.chips)
    assert float(refined.speed_ceiling) > 10 and bool(refined.feasible)


def test_blackboard_formats_follow_the_release_formats(h100, dsv3, llama70, gptoss):
    assert modes.blackboard_formats(dsv3, h100) == ("fp8", "fp8")
    assert modes.blackboard_formats(llama70, h100) == ("bf16", "fp8")
    # mxfp4 experts multiply in fp4, which an H100 lacks: the blackboard falls back to bf16
    assert modes.blackboard_formats(gptoss, h100) == ("bf16", "fp8")
    assert modes.blackboard_formats(gptoss, data.get_hardware("B200")) == ("fp4", "fp8")
