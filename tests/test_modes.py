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
    assert entries["KV share of the standard step that batch alone needs"].derived == pytest.approx(900 / 14)


def test_ledger_reports_an_infeasible_pair():
    from lib import claims

    sel = data.selection(hardware="H100 SXM", model="Llama 3.1 8B")
    entry = next(e for e in claims.derive("fast-mode", sel) if e.quantity.startswith("standard batch"))
    assert entry.derived is None and entry.verdict == claims.FAILS
    assert "fast batch below" in entry.note


def test_lecture_offer_is_6x_on_input_and_output_and_12x_input_above_200k():
    offer = next(o for o in modes.load_offers() if o.name == modes.LECTURE_OFFER)
    # Anthropic's fast-mode page: 30 / 150 USD per Mtok against 5 / 25; above 200K input tokens 60 / 225.
    assert offer.fast_input_usd_per_Mtok / offer.standard_input_usd_per_Mtok == pytest.approx(6)
    assert offer.fast_output_usd_per_Mtok / offer.standard_output_usd_per_Mtok == pytest.approx(6)
    assert offer.long_context_multipliers() == pytest.approx((12, 9))
    assert offer.long_context_min_tokens == 200_001 and offer.provenance == "primary"


def test_input_prices_must_agree_with_the_multiplier(data_copy):
    rewrite_cell(data_copy / "mode_offers.csv", modes.LECTURE_OFFER, "fast_input_usd_per_Mtok", "20")
    with pytest.raises(DataError, match="fast ÷ standard input price = 4"):
        modes.load_offers(data_copy)


def test_long_context_tier_needs_all_its_columns(data_copy):
    rewrite_cell(data_copy / "mode_offers.csv", modes.LECTURE_OFFER, "fast_output_long_usd_per_Mtok", "")
    with pytest.raises(DataError, match="fast_output_long_usd_per_Mtok"):
        modes.load_offers(data_copy)
