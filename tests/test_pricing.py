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


def test_ended_offers_are_kept_as_dated_history():
    prices = pricing.load_prices()
    long = by_name(prices, "Claude Sonnet 4.6 (>200k)")
    # 6 / 22.5 was the 1M-window beta's long-context rate; it ended when the window went to standard price.
    assert (long.input_usd_per_Mtok, long.output_usd_per_Mtok, long.ended) == (6, 22.5, "2026-03-13")
    assert not long.is_current and by_name(prices, "Claude Sonnet 4.6 (<=200k)").is_current
    current = pricing.current_prices(prices)
    assert long not in current and all(p.ended is None for p in current)
    # The current sheet has no Sonnet 4.6 long-context tier: its 1M window is at the standard price.
    assert not [s for s, l in pricing.tier_pairs(current) if s.model == "Claude Sonnet 4.6"]
    assert [s for s, l in pricing.tier_pairs(prices) if s.model == "Claude Sonnet 4.6"]


def test_gpt55_long_context_tier_is_2x_input_1_5x_output_with_its_cached_price():
    prices = pricing.load_prices()
    short, long = by_name(prices, "GPT-5.5 (<=272k)"), by_name(prices, "GPT-5.5 (>272k)")
    assert pricing.long_context_premium(short, long) == pytest.approx((1.0, 0.5))
    assert long.cached_input_usd_per_Mtok == pytest.approx(2 * short.cached_input_usd_per_Mtok)
    assert "hivebook" not in long.source and "developers.openai.com" in long.source


def test_every_price_is_dated_with_a_provenance():
    for p in pricing.load_prices():
        assert p.as_of and p.provenance in ("primary", "secondary", "estimate", "assumption"), p.name
