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


def test_sqrt_hypothesis_scales_only_the_main_attention_of_full_layers(h100, gptoss):
    # gpt-oss: half the layers windowed at 128 tokens; √-sparse only changes the full-attention layers.
    L = 1e6
    dense = cx.context_step(h100, gptoss, 1, L)
    sparse = cx.context_step(h100, gptoss, 1, L, crossover_tokens=4096)
    per_layer = gptoss.attention_kv_bytes_per_token_per_layer()
    expected = (64_000 * gptoss.full_attention_layers + 128 * gptoss.sliding_window_layers) * per_layer
    assert float(sparse.operations["attention_core"].kv_bytes) == pytest.approx(expected)
    assert float(sparse.operations["attention_core"].flops) == pytest.approx(
        float(dense.operations["attention_core"].flops) * expected / float(dense.operations["attention_core"].kv_bytes))
    assert float(sparse.weights_s) == float(dense.weights_s)
    assert float(sparse.kv_storage_bytes) == float(dense.kv_storage_bytes)  # reads, not storage


# --- cost against context ------------------------------------------------------------------------

def test_context_step_is_the_refined_step(h100, dsv3):
    B, L = np.array([[1.0], [64.0], [4096.0]]), np.array([[1e3, 2e5, 1e8]])
    a = cx.context_step(h100, dsv3, B, L)
    b = roofline.decode_step(h100, dsv3, B, L, chips=1)
    assert a.step_s == pytest.approx(b.step_s)


def test_cost_hand_calculation(h100, llama405):
    # Llama 3.1 405B (dense GQA, bf16) at B = 1000 and L = 200k: every weight matmul is compute bound
    # (B > F/W = 295), attention is memory bound (intensity 16 FLOP/byte).
    B, L = 1000.0, 2e5
    matmul = 2 * llama405.config_active_params / 989e12
    attention = max(4 * 128 * 128 * 126 * L / 989e12, 2 * 8 * 128 * 2 * 126 * L / 3.35e12)
    assert float(cx.cost_per_token_s(h100, llama405, L, B)) == pytest.approx(matmul + attention, rel=1e-9)


def test_design_batch_is_the_refined_optimal_batch(h100, dsv3):
    b = cx.design_batch(h100, dsv3)
    assert b == pytest.approx(roofline.pooled_optimal_batch(h100, dsv3))
    assert b == pytest.approx(989e12 / 3.35e12 * 671 / 37, rel=0.02)  # near the blackboard's 5,354


def test_kv_over_compute_at_200k_mla_is_near_one(h100, dsv3):
    # With attention FLOPs counted, MLA's KV reads at 200k are ≈ 1.2× its compute (the blackboard says 56×).
    r = float(cx.kv_over_compute(h100, dsv3, 2e5))
    assert r == pytest.approx(1.21, abs=0.02)
    per_token = 1152 / 3.35e12 / (278_528 / 989e12)  # the limit at long context: 1.22
    assert float(cx.kv_over_compute(h100, dsv3, 1e9)) == pytest.approx(per_token, rel=0.01)
    b = cx.design_batch(h100, dsv3)
    board = roofline.blackboard_decode_step(h100, dsv3, b, 2e5, chips=1)
    assert float(board.kv_s / board.compute_s) == pytest.approx(56, abs=1)
    assert float(cx.kv_over_compute(h100, dsv3, 2e5, kv_precision="fp8")) < 1  # an fp8 cache flips it


def test_cost_grows_linearly_and_sqrt_hypothesis_as_root(h100, llama405):
    c = cx.cost_per_token_s(h100, llama405, np.array([1e7, 1e8]))
    assert c[1] / c[0] == pytest.approx(10, rel=0.01)  # attention-dominated: proportional to L
    s = cx.cost_per_token_s(h100, llama405, np.array([1e7, 1e8]), crossover_tokens=4096)
    assert s[1] / s[0] == pytest.approx(math.sqrt(10), rel=0.02)
    assert np.all(s <= c)


def test_dsa_gain_saturates(h100, dsv3):
    v32 = data.get_model("DeepSeek-V3.2-Exp")
    L = np.array([1e6, 1e8])
    gain = cx.cost_per_token_s(h100, dsv3, L) / cx.cost_per_token_s(h100, v32, L)
    assert gain[1] / gain[0] < 1.1  # 100× the context, almost no more gain
    assert gain[1] == pytest.approx(1152 / 132, rel=0.02)  # the index-key limit
    m = cx.matching_context(h100, v32, dsv3, 2e5)
    assert float(cx.cost_per_token_s(h100, v32, m)) == pytest.approx(float(cx.cost_per_token_s(h100, dsv3, 2e5)),
                                                                        rel=1e-6)


def test_cost_is_monotone_in_context(h100, gptoss):
    L = np.logspace(0, 8, 200)
    for crossover in (None, 1024):
        c = cx.cost_per_token_s(h100, gptoss, L, crossover_tokens=crossover)
        assert np.all(np.diff(c) >= -1e-18)


def test_sequence_cost_matches_closed_form(h100, llama405):
    # Far into the attention-dominated regime the integral is ≈ L·m + L² a / 2, m the per-token matmul and
    # weight term at B, a the attention time per token of context.
    B, L = 100.0, 1e8
    step = roofline.decode_step(h100, llama405, B, 0.0, chips=1)
    m = float(step.chip_seconds_per_token)
    a = 2 * 8 * 128 * 2 * 126 / 3.35e12
    closed = L * m + L**2 * a / 2
    assert float(cx.sequence_cost_s(h100, llama405, L, B)) == pytest.approx(closed, rel=2e-3)
    with pytest.raises(ValueError):
        cx.sequence_cost_s(h100, llama405, 0.5)


def test_kv_dominance_contexts(h100, dsv3, llama405):
    cross = cx.kv_dominance_context(h100, dsv3)
    b = cx.design_batch(h100, dsv3)
    at = roofline.decode_step(h100, dsv3, b, cross["compute"], chips=1)
    assert float(at.kv_s) == pytest.approx(float(at.compute_s), rel=1e-6)
    # On a chip whose ridge lies below MLA's intensity (242), KV reads never overtake compute.
    import dataclasses
    slow = dataclasses.replace(h100, flops_per_s={"bf16": 200e12, "fp8": 400e12})
    assert math.isinf(cx.kv_dominance_context(slow, dsv3)["compute"])


# --- capacity ------------------------------------------------------------------------------------

def test_capacity_inverts_kv_cache_bytes(dsv3, gptoss, llama405):
    for m in (dsv3, gptoss, llama405, data.get_model("DeepSeek-V3.2-Exp")):
        for L in (50.0, 128.0, 1e4, 3.3e6):
            assert float(cx.kv_capacity_context(m, m.kv_cache_bytes(L))) == pytest.approx(L)
    assert float(cx.kv_capacity_context(dsv3, -5.0)) == 0.0


def test_magic_published_405b_100m_kv(h100, llama405):
    # Magic (2024): one 100M-token KV cache of Llama 3.1 405B fills 638 H100s.
    chips = float(llama405.kv_cache_bytes(1e8)) / h100.hbm_capacity_bytes
    assert chips == pytest.approx(638, rel=0.02)


def test_ceilings_hand_values(h100, dsv3):
    c = cx.capacity_ceilings(h100, dsv3)
    assert c.replica_chips == 10  # 671 GB of fp8 weights over 72 GB usable (10% reserve)
    assert c.replica_free_bytes == pytest.approx(10 * 72e9 - dsv3.config_total_params)
    assert c.replica_context == pytest.approx(c.replica_free_bytes / 70_272)
    assert c.domain_context == pytest.approx(8 * 72e9 / 70_272)


# --- closing the gap -----------------------------------------------------------------------------

def test_hardware_factor_brings_cost_back(h100, dsv3):
    import dataclasses

    B = cx.design_batch(h100, dsv3)
    k = cx.hardware_factor_to_match(h100, dsv3, 1e8, 2e5, B)
    faster = dataclasses.replace(h100, hbm_bandwidth_Bps=h100.hbm_bandwidth_Bps * k,
                                 flops_per_s={p: f * k for p, f in h100.flops_per_s.items()})
    assert float(cx.cost_per_token_s(faster, dsv3, 1e8, B)) == pytest.approx(
        float(cx.cost_per_token_s(h100, dsv3, 2e5, B)))


def test_bandwidth_alone_cannot_buy_100m_but_can_buy_a_little(h100, dsv3, llama405):
    import dataclasses

    B = cx.design_batch(h100, dsv3)
    assert math.isinf(cx.bandwidth_factor_to_match(h100, dsv3, 1e8, 2e5, B))  # attention FLOPs alone cost more
    k = cx.bandwidth_factor_to_match(h100, llama405, 4e5, 2e5)
    assert 1 < k < 3
    faster = dataclasses.replace(h100, hbm_bandwidth_Bps=h100.hbm_bandwidth_Bps * k)
    b = cx.design_batch(h100, llama405)
    assert float(cx.cost_per_token_s(faster, llama405, 4e5, b)) == pytest.approx(
        float(cx.cost_per_token_s(h100, llama405, 2e5, b)), rel=1e-6)
    assert cx.bandwidth_factor_to_match(h100, dsv3, 1e3, 2e5, B) == 1.0


def test_compression_factor(h100, dsv3, llama405):
    B = cx.design_batch(h100, dsv3)
    assert math.isinf(cx.kv_compression_to_match(h100, dsv3, 1e8, 2e5, B))  # MLA's FLOPs alone cost more
    rho = cx.kv_compression_to_match(h100, llama405, 4e5, 2e5)
    assert 1 < rho < 2.5


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
    exponent = entries["exponent of the sparse gain, 1M → 100M (DSA as built)"]
    assert exponent.derived == pytest.approx(0.0, abs=0.05) and exponent.verdict == claims.FAILS
    assert entries["KV-read ÷ compute time per step at 200k"].robust is False  # flips with an fp8 cache
    scenario = entries["cost per 100M token ÷ dense 200k, the talk's √-sparse hypothesis"]
    assert scenario.kind == "scenario" and scenario.assumptions[0].name == "crossover_tokens"


def test_ledger_without_history(tmp_path):
    for name in ("hardware.csv", "models.csv", "claims.csv"):
        shutil.copy(data.DEFAULT_DATA_DIR / name, tmp_path / name)
    # A reader's directory without context_history.csv reads the book's own table (lib.data.table_dir).
    entries = claims.derive("context-plateau", data.selection(data_dir=tmp_path))
    book = claims.derive("context-plateau", data.selection())
    history = [(e.quantity, e.derived) for e in entries if "GA frontier" in e.quantity]
    assert history and history == [(e.quantity, e.derived) for e in book if "GA frontier" in e.quantity]
