"""lib.context: KV reads against context, √-sparse reads, capacity ceilings, the context history table."""

import math
import shutil

import numpy as np
import pytest

from lib import claims, context as cx, data, roofline
from lib.data import DataError


# --- sparse reads ---------------------------------------------------------------------------------

def test_sparse_tokens_hand_values():
    # below L0 everything is read; above, sqrt(L * L0)
    assert float(cx.sparse_attended_tokens(1000, 4096)) == 1000
    assert float(cx.sparse_attended_tokens(1e6, 4096)) == pytest.approx(64_000)
    assert float(cx.sparse_attended_tokens(1e8, 4096)) == pytest.approx(640_000)


def test_sparse_gain_is_a_square_root():
    L = np.array([1e6, 1e8])
    gain = cx.sparse_read_gain(L, 4096)
    assert gain == pytest.approx(np.sqrt(L / 4096))
    assert gain[1] / gain[0] == pytest.approx(10.0)  # 100× the context, 10× the gain
    assert float(cx.sparse_read_gain(100, 4096)) == 1.0
    assert float(cx.sparse_read_gain(0, 4096)) == 1.0


def test_sparse_bad_input():
    with pytest.raises(ValueError, match="crossover"):
        cx.sparse_attended_tokens(1e6, 0)
    with pytest.raises(ValueError, match="context"):
        cx.sparse_attended_tokens(-1, 4096)


def test_dense_reads_equal_storage(dsv3, gptoss):
    L = np.logspace(2, 8, 13)
    for m in (dsv3, gptoss):
        assert cx.kv_read_bytes(m, L) == pytest.approx(m.kv_cache_bytes(L))


def test_sparse_reads_keep_window_layers(gptoss):
    # gpt-oss: half the layers windowed at 128 tokens; sparse only changes the full-attention layers.
    per_layer = gptoss.kv_bytes_per_token_per_layer()
    L = 1e6
    expected = 64_000 * per_layer * gptoss.full_attention_layers + 128 * per_layer * gptoss.sliding_window_layers
    assert float(cx.kv_read_bytes(gptoss, L, 4096)) == pytest.approx(expected)
    assert float(cx.kv_read_bytes(gptoss, L, 4096)) < float(gptoss.kv_cache_bytes(L))


# --- roofline against context --------------------------------------------------------------------

def test_context_step_equals_decode_step_when_dense(h100, dsv3):
    B, L = np.array([[1.0], [64.0], [4096.0]]), np.array([[1e3, 2e5, 1e8]])
    a = cx.context_step(h100, dsv3, B, L)
    b = roofline.blackboard_decode_step(h100, dsv3, B, L)
    assert a.step_s == pytest.approx(b.step_s)
    assert a.chip_seconds_per_token == pytest.approx(b.chip_seconds_per_token)


def test_cost_hand_calculation(h100, dsv3):
    # c(L) = max(2 N_a / F, N_t b_w / (B W) + L b_kv / W) with b_kv = 61 * 576 * 2 = 70,272 bytes
    B, L = 1000.0, 2e5
    expected = max(2 * 37e9 / 989e12, 671e9 * 2 / (B * 3.35e12) + L * 70_272 / 3.35e12)
    assert float(cx.cost_per_token_s(h100, dsv3, L, B)) == pytest.approx(expected)


def test_design_batch_is_optimal_batch(h100, dsv3):
    assert cx.design_batch(h100, dsv3) == pytest.approx(989e12 / 3.35e12 * 671 / 37)


def test_cost_grows_linearly_then_sparse_as_root(h100, dsv3):
    c = cx.cost_per_token_s(h100, dsv3, np.array([1e7, 1e8]))
    assert c[1] / c[0] == pytest.approx(10, rel=0.01)  # KV-dominated: proportional to L
    s = cx.cost_per_token_s(h100, dsv3, np.array([1e7, 1e8]), crossover_tokens=4096)
    assert s[1] / s[0] == pytest.approx(math.sqrt(10), rel=0.02)
    assert np.all(s <= c)


def test_cost_is_monotone_in_context(h100, gptoss):
    L = np.logspace(0, 8, 200)
    for crossover in (None, 1024):
        c = cx.cost_per_token_s(h100, gptoss, L, crossover_tokens=crossover)
        assert np.all(np.diff(c) >= -1e-18)


def test_sequence_cost_matches_closed_form(h100, dsv3):
    # Far into the KV-dominated regime the integral is ≈ L·m + L² b_kv / (2W) with m the weight term at B.
    B, L = 100.0, 1e8
    m = 671e9 * 2 / (B * 3.35e12)
    closed = L * m + L**2 * 70_272 / (2 * 3.35e12)
    assert float(cx.sequence_cost_s(h100, dsv3, L, B)) == pytest.approx(closed, rel=2e-3)
    with pytest.raises(ValueError):
        cx.sequence_cost_s(h100, dsv3, 0.5)


def test_kv_dominance_at_optimal_batch_coincide(h100, dsv3):
    cross = cx.kv_dominance_context(h100, dsv3)
    assert cross["compute"] == pytest.approx(cross["weights"])  # B* makes the two coincide
    assert cross["compute"] == pytest.approx(roofline.compute_bound_context_limit(h100, dsv3))


# --- capacity ------------------------------------------------------------------------------------

def test_capacity_inverts_kv_cache_bytes(dsv3, gptoss, llama405):
    for m in (dsv3, gptoss, llama405):
        for L in (50.0, 128.0, 1e4, 3.3e6):
            assert float(cx.kv_capacity_context(m, m.kv_cache_bytes(L))) == pytest.approx(L)
    assert float(cx.kv_capacity_context(dsv3, -5.0)) == 0.0


def test_magic_published_405b_100m_kv(h100, llama405):
    # Magic (2024): one 100M-token KV cache of Llama 3.1 405B fills 638 H100s.
    chips = float(llama405.kv_cache_bytes(1e8)) / h100.hbm_capacity_bytes
    assert chips == pytest.approx(638, rel=0.02)


def test_ceilings_hand_values(h100, dsv3):
    c = cx.capacity_ceilings(h100, dsv3)
    assert c.replica_chips == 17  # 1,342 GB of bf16 weights over 80 GB parts
    assert c.replica_free_bytes == pytest.approx(17 * 80e9 - 671e9 * 2)
    assert c.replica_context == pytest.approx(c.replica_free_bytes / 70_272)
    assert c.domain_context == pytest.approx(8 * 80e9 / 70_272)


def test_chips_to_hold(h100, dsv3):
    assert float(cx.chips_to_hold(h100, dsv3, 1, 0)) == 17
    assert float(cx.chips_to_hold(h100, dsv3, 10, 1e6)) == math.ceil((1342e9 + 10 * 70_272e6) / 80e9)


# --- closing the gap -----------------------------------------------------------------------------

def test_bandwidth_factor_brings_cost_back(h100, dsv3):
    B = cx.design_batch(h100, dsv3)
    k = cx.bandwidth_factor_to_match(h100, dsv3, 1e8, 2e5, B)
    import dataclasses
    faster = dataclasses.replace(h100, hbm_bandwidth_Bps=h100.hbm_bandwidth_Bps * k)
    assert float(cx.cost_per_token_s(faster, dsv3, 1e8, B)) == pytest.approx(
        float(cx.cost_per_token_s(h100, dsv3, 2e5, B)))
    assert cx.bandwidth_factor_to_match(h100, dsv3, 1e3, 2e5, B) == 1.0


def test_compression_factor(h100, dsv3):
    B = cx.design_batch(h100, dsv3)
    # at B*, weights/B per token equal compute, so room = 200k KV term: rho = kv(100M)/kv(200k) = 500
    assert cx.kv_compression_to_match(h100, dsv3, 1e8, 2e5, B) == pytest.approx(500)
    assert cx.kv_compression_to_match(h100, dsv3, 1e8, 2e5, B, 4096) == pytest.approx(640_000 / 200_000)
    # at batch 1 and a 0-token reference the weights alone fill the budget: no compression suffices
    assert math.isinf(cx.kv_compression_to_match(h100, dsv3, 1e8, 0.0, 1.0))


def test_sparse_matching_context():
    assert float(cx.sparse_matching_context(2e5, 4096)) == pytest.approx(4e10 / 4096)
    assert float(cx.sparse_matching_context(1000, 4096)) == 1000
    with pytest.raises(ValueError):
        cx.sparse_matching_context(2e5, 0)


def test_growth_rate_and_years():
    assert cx.growth_rate_per_year([2020, 2022], [1.0, 4.0]) == pytest.approx(2.0)
    assert cx.years_to_grow(8.0, 2.0) == pytest.approx(3.0)
    with pytest.raises(ValueError):
        cx.growth_rate_per_year([2020, 2020], [1.0, 2.0])
    with pytest.raises(ValueError):
        cx.years_to_grow(8.0, 1.0)


def test_attention_intensity(dsv3, llama405):
    assert cx.attention_flops_per_kv_byte(llama405) == pytest.approx(16.0)  # 128 / 8 query heads per KV head
    assert cx.attention_flops_per_kv_byte(dsv3) == pytest.approx(2 * 128 * (1024 + 64) / (576 * 2))


# --- the history table ---------------------------------------------------------------------------

def test_history_loads_sorted_with_sources():
    rows = cx.load_context_history()
    assert len(rows) >= 15
    assert all(r.source for r in rows)
    assert [r.release_date for r in rows] == sorted(r.release_date for r in rows)
    by_name = {r.name: r for r in rows}
    assert by_name["Claude 2.1"].max_context_tokens == 200_000
    assert by_name["GPT-4 (8k)"].max_context_tokens == 8192
    run = cx.running_max_context(cx.frontier_ga(rows))
    assert np.all(np.diff(run) >= 0)


def test_history_bad_row_names_column(tmp_path):
    src = data.DEFAULT_DATA_DIR
    for name in ("hardware.csv", "models.csv", "context_history.csv"):
        shutil.copy(src / name, tmp_path / name)
    path = tmp_path / "context_history.csv"
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace("2023-03-01", "March 2023")
    lines[2] = lines[2].replace(",8192,", ",-8,")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as err:
        cx.load_context_history(tmp_path)
    columns = {p.column for p in err.value.problems}
    assert {"release_date", "max_context_tokens"} <= columns


def test_ledger_on_default_data():
    entries = {e.quantity: e for e in claims.derive("context-plateau", data.selection())}
    assert entries["largest GA frontier context, early 2023"].verdict == claims.HOLDS
    assert entries["largest GA frontier context, two years after 200k"].verdict == claims.FAILS
    assert entries["exponent of the sparse gain, 1M → 100M"].derived == pytest.approx(0.5, abs=0.05)


def test_ledger_without_history(tmp_path):
    for name in ("hardware.csv", "models.csv", "claims.csv"):
        shutil.copy(data.DEFAULT_DATA_DIR / name, tmp_path / name)
    # A reader's directory without context_history.csv reads the book's own table (lib.data.table_dir).
    entries = claims.derive("context-plateau", data.selection(data_dir=tmp_path))
    book = claims.derive("context-plateau", data.selection())
    history = [(e.quantity, e.derived) for e in entries if "GA frontier" in e.quantity]
    assert history and history == [(e.quantity, e.derived) for e in book if "GA frontier" in e.quantity]
