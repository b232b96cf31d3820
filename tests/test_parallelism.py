"""lib.parallelism: hand calculations, published figures, invariants, errors and table validation."""

import math

import numpy as np
import pytest

from lib import claims, data, parallelism as par
from lib.data import DataError

from conftest import rewrite_cell


@pytest.fixture
def ds3():
    return data.get_model("DeepSeek-V3")


# ---------------------------------------------------------------- expert all-to-all


def test_a2a_bytes_hand_calculation():
    # DeepSeek-V3: k = 8, d = 7168, bf16, 8 accelerators: 2 * 8 * 7168 * 2 * 7/8
    assert float(par.a2a_bytes_per_token(7168, 8, 8)) == pytest.approx(2 * 8 * 7168 * 2 * 7 / 8)
    assert float(par.a2a_bytes_per_token(7168, 8, 1)) == 0.0  # every expert local: no link traffic


def test_moe_layer_times_hand_calculation(h100, ds3):
    t = par.moe_layer_times(h100, ds3, 1000.0, 8, "scale_out")
    assert float(t.compute_s) == pytest.approx(2 * 1000 * 37e9 / 61 / (8 * 989e12))
    assert float(t.weights_s) == pytest.approx(671e9 / 61 * 2 / (8 * 3.35e12))
    assert float(t.a2a_s) == pytest.approx(1000 * 2 * 8 * 7168 * 2 * 7 / 8 / (8 * 50e9))
    assert float(t.step_s) == pytest.approx(max(t.compute_s, t.weights_s, t.a2a_s))


def test_ratio_is_batch_independent_and_scale_out_is_worse(h100, ds3):
    up = par.moe_layer_times(h100, ds3, np.array([10.0, 1e4]), 8, "scale_up")
    ratios = up.a2a_s / up.compute_s
    assert ratios[0] == pytest.approx(ratios[1])
    assert par.a2a_to_compute_ratio(h100, ds3, 8, "scale_out") == pytest.approx(
        9 * par.a2a_to_compute_ratio(h100, ds3, 8, "scale_up"))  # 450 / 50 GB/s


def test_comm_bound_batch(h100, ds3):
    assert math.isinf(par.comm_bound_batch(h100, ds3, 8, "scale_up"))
    b = par.comm_bound_batch(h100, ds3, 8, "scale_out")
    t = par.moe_layer_times(h100, ds3, np.array([0.99 * b, 1.01 * b]), 8, "scale_out")
    assert list(t.comm_bound) == [False, True]
    # eq. rk-comm-batch: N_total,l b_w W_link / (W_hbm a), independent of n up to (n-1)/n
    a = 2 * 8 * 7168 * 2 * 7 / 8
    assert b == pytest.approx(671e9 / 61 * 2 * 50e9 / (3.35e12 * a))


def test_errors_on_bad_input(h100, ds3):
    with pytest.raises(ValueError, match="dense"):
        par.moe_layer_times(h100, data.get_model("Llama 3.1 70B"), 1, 8)
    with pytest.raises(ValueError, match="unknown link"):
        par.link_bandwidth_Bps(h100, "ethernet")
    with pytest.raises(ValueError, match="batch"):
        par.moe_layer_times(h100, ds3, 0, 8)
    with pytest.raises(ValueError, match="chips"):
        par.a2a_bytes_per_token(7168, 8, 0)
    with pytest.raises(ValueError, match="stages"):
        par.bubble_fraction(0, 4)
    with pytest.raises(ValueError, match="hop_latency_s"):
        par.pipeline_hop_time_s(1, 7168, 50e9, 8, -1.0)


# ---------------------------------------------------------------- domains and memory


def test_domain_totals_published_nvl72():
    nvl72 = data.get_hardware("GB200 NVL72")
    cap, bw = par.domain_totals(nvl72)
    # NVIDIA: GB200 NVL72 has up to 13.4 TB HBM3e and 576 TB/s
    assert cap == pytest.approx(13.4e12, rel=0.01)
    assert bw == pytest.approx(576e12)


def test_weight_read_and_fit():
    assert float(par.weight_read_time_s(1e12, 2.0, 576e12)) == pytest.approx(2e12 / 576e12)
    assert float(par.sequences_that_fit(10e12, 4e12, 2e9)) == pytest.approx(3000)
    assert float(par.sequences_that_fit(1e12, 4e12, 2e9)) == 0.0  # weights alone do not fit
    assert float(par.max_params_in_domain(13.4e12, 1.0, 3.4e12)) == pytest.approx(10e12)


# ---------------------------------------------------------------- pipelining


def test_pipeline_memory_weights_fall_kv_stays():
    stages = np.array([1, 2, 4, 8])
    w = par.pipeline_stage_weight_bytes(1.342e12, stages)
    kv = par.pipeline_stage_kv_bytes(5000, 5.8e8, stages)
    assert np.allclose(w * stages, 1.342e12)
    assert np.allclose(kv, 5000 * 5.8e8)


def test_bubble_hand_values():
    assert float(par.bubble_fraction(1, 1)) == 0.0
    assert float(par.bubble_fraction(4, 8)) == pytest.approx(3 / 11)
    assert float(par.bubble_fraction(8, 64)) == pytest.approx(7 / 71)
    m = np.arange(1, 100)
    assert np.all(np.diff(par.bubble_fraction(8, m)) < 0)  # more micro-batches, smaller bubble


def test_hop_and_latency():
    hop = float(par.pipeline_hop_time_s(5000, 7168, 50e9, 8, 20e-6))
    assert hop == pytest.approx(20e-6 + 5000 * 7168 * 2 / (8 * 50e9))
    assert float(par.pipeline_decode_latency_s(0.1, 4, hop)) == pytest.approx(0.1 + 4 * hop)
    assert float(par.weight_reads_per_training_step(8)) == 16


# ---------------------------------------------------------------- recomputation


def test_revnet_exchange_rates(ds3):
    stored = float(par.stored_activation_bytes_per_token(7168, 61))
    assert stored == 34 * 7168 * 61
    assert float(par.reversible_activation_bytes_per_token(7168)) == 2 * 7168 * 2
    assert par.recompute_flops_overhead() == pytest.approx(1 / 3)
    kv_rate = float(par.flops_per_byte_of_kv_cache(37e9, ds3.kv_bytes_per_token()))
    assert kv_rate == pytest.approx(2 * 37e9 / ((512 + 64) * 2 * 61))
    rev_rate = float(par.flops_per_byte_of_activation_saved(37e9, 7168, 61))
    assert rev_rate == pytest.approx(2 * 37e9 / (34 * 7168 * 61 - 4 * 7168))


# ---------------------------------------------------------------- tables


def test_tables_load_with_sources():
    shares = par.load_memory_shares()
    assert all(0 < s.share <= 1 and s.source for s in shares)
    b200 = next(s for s in shares if s.name == "B200 HBM share of manufacturing cost")
    assert b200.share == pytest.approx(2900 / 6400)
    domains = {d.name: d for d in par.load_scale_up_domains()}
    assert domains["Rubin Ultra NVL576"].dies == 576 and domains["Rubin Ultra NVL576"].packages == 144
    assert data.check_data_dir(data.DEFAULT_DATA_DIR) == []


def test_malformed_memory_capex_row_names_column(data_copy):
    rewrite_cell(data_copy / "memory_capex.csv", "B200 HBM share of manufacturing cost", "memory_cost_USD", "lots")
    with pytest.raises(DataError) as info:
        par.load_memory_shares(data_copy)
    p = info.value.problems[0]
    assert p.column == "memory_cost_USD" and p.value == "lots" and p.file.endswith("memory_capex.csv")


def test_memory_capex_row_needs_share_or_costs(data_copy):
    rewrite_cell(data_copy / "memory_capex.csv", "H100 HBM share of manufacturing cost", "memory_share_percent", "")
    with pytest.raises(DataError) as info:
        par.load_memory_shares(data_copy)
    assert info.value.problems[0].column == "memory_share_percent"


def test_malformed_domain_row_names_column(data_copy):
    rewrite_cell(data_copy / "scale_up_domains.csv", "GB200 NVL72", "domain_dies", "0")
    with pytest.raises(DataError) as info:
        par.load_scale_up_domains(data_copy)
    assert info.value.problems[0].column == "domain_dies"
    assert "problem" in str(info.value) and "scale_up_domains.csv" in str(info.value)


# ---------------------------------------------------------------- ledger


def test_ledger_verdicts_on_default_data():
    sel = data.selection()
    entries = {e.quantity: e for cid in ("moe-in-a-rack", "scale-up-domains", "pipeline-not-wise", "memory-wall",
                                         "revnets") for e in claims.derive(cid, sel)}
    assert entries["scale-up ÷ scale-out bandwidth per accelerator"].derived == pytest.approx(9.0)
    assert entries["aggregate HBM bandwidth, GB200 NVL72 domain ÷ H100 domain"].derived == pytest.approx(
        72 * 8 / (8 * 3.35))
    assert entries["aggregate HBM bandwidth, GB200 NVL72 domain ÷ H100 domain"].verdict == claims.FAILS
    assert entries["memory share of hyperscaler capex"].verdict == claims.NOT_DERIVED


def test_ledger_copes_with_missing_rows_and_dense_model(tmp_path, data_copy):
    import csv
    path = data_copy / "hardware.csv"
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([r for r in rows if r[0] != "GB200 NVL72"])
    (data_copy / "scale_up_domains.csv").unlink()
    sel = data.selection(model="Llama 3.1 70B", data_dir=data_copy)
    moe = claims.derive("moe-in-a-rack", sel)
    assert any(e.verdict == claims.NOT_DERIVED for e in moe)
    domains = {e.quantity: e for e in claims.derive("scale-up-domains", sel)}
    assert domains["aggregate HBM bandwidth, GB200 NVL72 domain ÷ H100 domain"].verdict == claims.NOT_DERIVED
    assert domains["Rubin-generation domain, dies (Rubin Ultra NVL576)"].derived == 576  # falls back to book data
    wall = {e.quantity: e for e in claims.derive("memory-wall", sel)}
    assert wall["rack HBM (GB200 NVL72 domain)"].verdict == claims.NOT_DERIVED
