"""lib.pricing: the price sheet, the long-context breakpoint and the decode ÷ prefill ratio, against hand
calculations, invariants and bad input."""

import numpy as np
import pytest

from conftest import rewrite_cell
from lib import claims, data, pricing
from lib.data import DataError


def by_name(rows, name):
    return next(r for r in rows if r.name == name)


def test_price_sheet_loads_with_published_ratios():
    prices = pricing.load_prices()
    sonnet = by_name(prices, "Claude Sonnet 4 (<=200k)")
    # Anthropic: $3 in, $15 out, cache writes 1.25x (5 min) and 2x (1 h), hits 0.1x.
    assert sonnet.output_to_input == pytest.approx(5.0)
    assert sonnet.cached_to_input == pytest.approx(0.1)
    assert sonnet.cache_write_5m_usd_per_Mtok / sonnet.input_usd_per_Mtok == pytest.approx(1.25)
    assert sonnet.cache_write_1h_usd_per_Mtok / sonnet.input_usd_per_Mtok == pytest.approx(2.0)
    assert sonnet.usd_per_input_token == pytest.approx(3e-6)
    assert all(p.as_of and p.source for p in prices)


def test_gemini_long_context_premium():
    prices = pricing.load_prices()
    short, long = by_name(prices, "Gemini 2.5 Pro (<=200k)"), by_name(prices, "Gemini 2.5 Pro (>200k)")
    # $1.25 -> $2.50 input (+100%), $10 -> $15 output (+50%).
    assert pricing.long_context_premium(short, long) == pytest.approx((1.0, 0.5))
    assert (short, long) in pricing.tier_pairs(prices)
    with pytest.raises(ValueError, match="not a short and a long tier"):
        pricing.long_context_premium(long, short)


def test_breakpoint_matches_hand_calculation_and_talk():
    # 2 * 100e9 * 3.35e12 / (1979e12 * 200e3) = 1,692.8 B: the talk's 1.6-2 KB in fp8 on an H100.
    b = pricing.breakpoint_kv_bytes_per_token(100e9, 1979e12, 3.35e12, 200e3)
    assert float(b) == pytest.approx(2 * 100e9 * 3.35e12 / (1979e12 * 200e3))
    assert 1600 <= float(b) <= 2000
    # bf16 halves the FLOP/s and doubles the breakpoint; the inverse function returns the context.
    assert float(pricing.breakpoint_kv_bytes_per_token(100e9, 989.5e12, 3.35e12, 200e3)) == pytest.approx(2 * float(b))
    assert float(pricing.breakpoint_context_tokens(100e9, 1979e12, 3.35e12, b)) == pytest.approx(200e3)
    grid = pricing.breakpoint_kv_bytes_per_token(np.array([1e9, 1e10])[:, None], 1e15, 3e12, np.array([1e3, 1e4]))
    assert grid.shape == (2, 2) and grid[0, 0] == pytest.approx(10 * grid[0, 1])
    with pytest.raises(ValueError, match="must all be > 0"):
        pricing.breakpoint_kv_bytes_per_token(100e9, 1e15, 3e12, 0)


def test_eight_kv_heads_is_two_kib_per_layer_in_fp8():
    assert pricing.gqa_kv_bytes_per_token_per_layer(8, 128, "fp8") == 2048
    assert pricing.gqa_kv_bytes_per_token_per_layer(8, 128, "bf16") == 4096
    llama = data.get_model("Llama 3.1 405B")
    assert llama.kv_bytes_per_token("fp8") == 126 * 2048
    with pytest.raises(ValueError):
        pricing.gqa_kv_bytes_per_token_per_layer(0, 128)


def test_prefill_cost_floor_and_weight_term():
    hw, m = data.get_hardware("H100 SXM"), data.get_model("Llama 3.1 70B")
    floor = float(pricing.prefill_chip_seconds_per_token(hw, m, None, "bf16"))
    assert floor == pytest.approx(2 * 70.6e9 / 989e12)
    p = 4096
    assert float(pricing.prefill_chip_seconds_per_token(hw, m, p, "bf16")) == pytest.approx(
        floor + 70.6e9 * 2 / 3.35e12 / p)
    with pytest.raises(ValueError, match="prefill_tokens"):
        pricing.prefill_chip_seconds_per_token(hw, m, 0)


def test_replica_and_hbm_limited_batch():
    hw, m = data.get_hardware("H100 SXM"), data.get_model("DeepSeek-V3")
    # 671 GB of fp8 weights fill half of ceil(671 / 40) = 17 H100s.
    assert pricing.replica_chips(m, hw, "fp8") == 17
    assert pricing.replica_chips(m, hw, "fp8", weight_share=1.0) == 9
    batch = pricing.hbm_limited_batch(hw, m, 8192, 17, "fp8", "fp8")
    assert float(batch) == np.floor((17 * 80e9 - 671e9) / (8192 * 576 * 61))
    assert float(pricing.hbm_limited_batch(hw, m, 8192, 8, "fp8", "fp8")) == 0  # weights alone do not fit
    with pytest.raises(ValueError, match="weight_share"):
        pricing.replica_chips(m, hw, "fp8", weight_share=0)


def test_decode_ratio_agrees_with_closed_form_and_grows_with_context():
    hw, m = data.get_hardware("H100 SXM"), data.get_model("DeepSeek-V3")
    contexts = np.array([16384.0, 65536.0, 200000.0])
    numeric = pricing.decode_to_prefill_cost_ratio(hw, m, contexts, "fp8", "fp8")
    l_star = pricing.breakpoint_context_tokens(m.active_params, hw.flops("fp8"), hw.hbm_bandwidth_Bps,
                                               m.kv_bytes_per_token("fp8"))
    closed = pricing.decode_to_prefill_ratio_closed_form(contexts, l_star)
    # Rounding n and B up and down moves the numeric ratio by a few per cent only.
    assert numeric == pytest.approx(closed, rel=0.05)
    assert np.all(np.diff(numeric) > 0)
    assert float(pricing.decode_to_prefill_ratio_closed_form(1.0, 1e6)) == 1.0  # compute bound: never below 1
    assert np.isnan(pricing.decode_to_prefill_cost_ratio(hw, m, 8192, "fp8", "fp8", chips=8))
    with pytest.raises(ValueError):
        pricing.decode_to_prefill_ratio_closed_form(1.0, 1.0, weight_share=1.0)


def test_malformed_price_row_names_the_column(data_copy):
    rewrite_cell(data_copy / "prices.csv", "GPT-5.2", "output_usd_per_Mtok", "fourteen")
    with pytest.raises(DataError, match="output_usd_per_Mtok"):
        pricing.load_prices(data_copy)


def test_cached_price_above_input_and_bad_date_are_errors(data_copy):
    rewrite_cell(data_copy / "prices.csv", "GPT-5.2", "cached_input_usd_per_Mtok", "9")
    rewrite_cell(data_copy / "prices.csv", "GPT-5.4", "as_of", "June 2026")
    with pytest.raises(DataError) as info:
        pricing.load_prices(data_copy)
    columns = {p.column for p in info.value.problems}
    assert columns == {"cached_input_usd_per_Mtok", "as_of"}


def test_ledger_entries_on_default_data():
    sel = data.selection()
    verdicts = {e.quantity: e.verdict for cid in ("context-200k-kv", "decode-5x-prefill")
                for e in claims.derive(cid, sel)}
    assert verdicts["b_kv where KV reads = compute at 200k, 100B active (fp8)"] == claims.HOLDS
    assert verdicts["same heads, WHOLE model (Llama 3.1 405B, fp8)"] == claims.FAILS


def test_ledger_copes_without_named_rows(data_copy):
    import csv
    for file, drop in (("models.csv", "Llama 3.1 405B"), ("prices.csv", "Gemini 2.5 Pro (>200k)")):
        path = data_copy / file
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [r for r in csv.reader(handle) if not r or r[0] != drop]
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
    sel = data.selection(data_dir=data_copy)
    entries = {e.quantity: e for e in claims.derive("context-200k-kv", sel)}
    assert entries["same heads, WHOLE model (Llama 3.1 405B, fp8)"].derived is None
    assert entries["Gemini 2.5 Pro input price premium above 200k"].verdict == claims.NOT_DERIVED


# --- ended offers ------------------------------------------------------------------------------------


def test_ended_offers_are_history():
    prices = pricing.load_prices()
    ended = {p.name for p in pricing.ended_prices(prices)}
    assert "Claude Sonnet 4.6 (>200k)" in ended
    in_force = pricing.prices_in_force(prices)
    assert len(in_force) == len(prices) - len(ended) and pricing.current_prices(prices) == in_force
    assert "Claude Sonnet 4.6" in {s.model for s, _ in pricing.tier_pairs(prices)}
    assert "Claude Sonnet 4.6" not in {s.model for s, _ in pricing.tier_pairs(in_force)}


def test_bad_end_date_names_the_column(data_copy):
    rewrite_cell(data_copy / "prices.csv", "Claude Sonnet 4.6 (>200k)", "ended", "March 2026")
    with pytest.raises(DataError, match="ended"):
        pricing.load_prices(data_copy)


# --- the refined forms -------------------------------------------------------------------------------


def test_refined_prefill_cost_by_hand(h100, llama70):
    # An 8,192-token prompt of Llama 3.1 70B (bf16) on an H100: every operation is compute bound, so a prompt
    # token costs [2 N P + 4 · 64 · 128 · 80 · P (P + 1) / 2] / (F P) accelerator-seconds.
    p = 8192.0
    flops = 2 * llama70.config_active_params * p + 4 * 64 * 128 * 80 * p * (p + 1) / 2
    got = float(pricing.prefill_chip_seconds_per_token_refined(h100, llama70, p, batch=1))
    # the default batches prompts up to PREFILL_TOKENS_PER_STEP tokens (2 here); compute bound, same cost
    assert float(pricing.prefill_chip_seconds_per_token_refined(h100, llama70, p)) == pytest.approx(got, rel=1e-9)
    assert got == pytest.approx(flops / (989e12 * p), rel=1e-9)
    # the input premium across a step is the ratio of two such costs
    premium = pricing.implied_long_context_premiums(h100, llama70, 100_000.0, 200_000.0)

    def per_token(n):
        return (2 * llama70.config_active_params + 4 * 64 * 128 * 80 * (n + 1) / 2) / 989e12

    assert float(premium.input_ratio) == pytest.approx(per_token(200_000.0) / per_token(100_000.0), rel=1e-9)


def test_refined_decode_and_ratio_use_the_standard_mode(h100, dsv3):
    from lib import modes

    sm = modes.standard_mode(h100, dsv3, 8192.0)
    decode = float(pricing.decode_chip_seconds_per_token_refined(h100, dsv3, 8192.0))
    assert decode == pytest.approx(float(sm.chip_seconds_per_token))
    prefill = float(pricing.prefill_chip_seconds_per_token_refined(h100, dsv3, 8192.0))
    assert float(pricing.decode_to_prefill_ratio_refined(h100, dsv3, 8192.0)) == pytest.approx(decode / prefill)
    premium = pricing.implied_long_context_premiums(h100, dsv3, 200_000.0, 400_000.0)
    both = pricing.decode_chip_seconds_per_token_refined(h100, dsv3, np.array([200_000.0, 400_000.0]))
    assert float(premium.output_ratio) == pytest.approx(both[1] / both[0])
    assert float(premium.input_ratio) > 1.0  # attention over the prompt: a cost the blackboard does not have
    with pytest.raises(ValueError):
        pricing.implied_long_context_premiums(h100, dsv3, 200_000.0, 100_000.0)


def test_decode_ratio_is_not_robust_to_the_weight_share():
    """#22: decode ÷ prefill at 8k depends on the weights' share of HBM enough to change its verdict."""
    entries = {e.quantity: e for e in claims.derive("decode-5x-prefill", data.selection())}
    for quantity in ("decode ÷ prefill cost per token (blackboard, 8k context)",
                     "decode ÷ prefill cost per token (refined, 8k context)"):
        e = entries[quantity]
        assert e.robust is False
        ends = e.sensitivity["weight share of usable HBM"]
        assert ends["low"]["derived"] < e.derived < ends["high"]["derived"]


def test_flash_drain_verdict_carries_its_spread():
    entries = {e.quantity: e for e in claims.derive("cache-tiers", data.selection())}
    flash = entries["drain time of flash (median of distinct rows)"]
    assert flash.robust is False  # the fastest flash row holds loosely, the slowest does not
    # the two 18.3-minute rows (7.68 TB at 7 GB/s, 30.72 TB at 28 GB/s) count once
    from lib.derivations.prices_leak import distinct_drain_times_min
    from lib.memory_tiers import load_memory_tiers
    times = distinct_drain_times_min(load_memory_tiers(), "flash")
    assert len(times) == 3 and times[1] == pytest.approx(7680 / 7 / 60)


def test_prefill_batch_premium_by_hand(h100, llama70):
    """A smaller prefill batch raises the cost of a prompt token only while one prompt is too short to amortise
    the weight read: Llama 3.1 70B (bf16) on an H100."""
    premium = pricing.prefill_batch_input_premium(h100, llama70, np.array([128.0, 16384.0]))
    # 128 tokens alone: the step reads 141 GB of weights (memory bound); 64 × 128 = 8,192 tokens: compute bound
    alone = 2 * llama70.config_total_params / 3.35e12 / 128
    shared = 2 * llama70.config_active_params / 989e12
    assert float(premium[0]) == pytest.approx(alone / shared, rel=0.05)
    # 16k tokens alone are already compute bound: the same cost per token either way
    assert float(premium[1]) == pytest.approx(1.0, rel=1e-9)
