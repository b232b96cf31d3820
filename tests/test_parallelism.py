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


# ---------------------------------------------------------------- topologies and collectives


def test_v6e_bisection_from_the_torus_matches_googles_published_figure():
    # 16 x 16 torus, 4 ports of 100 GB/s one way: cutting one axis cuts 16 rings twice = 32 links x 100 GB/s.
    v6e = data.get_hardware("TPU Trillium")
    topo = par.load_topology(v6e)
    assert topo.kind == "torus" and topo.dims == (16, 16) and topo.link_Bps == pytest.approx(100e9)
    structural = par.Topology("torus", 256, 400e9, links=4, dims=(16, 16))  # no published override
    assert par.bisection_Bps(structural) == pytest.approx(32 * 100e9)
    assert par.bisection_Bps(topo) == pytest.approx(3.2e12)  # Google: 'Bisection bandwidth per Pod 3.2 TB/s'
    # v5e: 50 GB/s links, Google's 1.6 TB/s
    v5e = par.load_topology(data.get_hardware("TPU v5e"))
    assert par.bisection_Bps(par.Topology("torus", 256, v5e.injection_Bps, links=4, dims=(16, 16))) == pytest.approx(1.6e12)


def test_torus_all_to_all_is_bisection_limited_by_hand():
    topo = par.load_topology(data.get_hardware("TPU Trillium"))
    # 4 (g - 1) W_bis / g^2 = 4 * 255 * 3.2e12 / 65536 = 49.8 GB/s, an eighth of the 400 GB/s ICI
    assert par.a2a_effective_Bps(topo, 256) == pytest.approx(4 * 255 * 3.2e12 / 256 ** 2)
    assert par.a2a_effective_Bps(topo, 256) / 400e9 == pytest.approx(0.1245, rel=1e-3)
    # the all-reduce keeps both ring directions on both axes: the whole 400 GB/s
    assert par.allreduce_effective_Bps(topo, 256) == pytest.approx(400e9)
    # a group of 2 is never bisection-limited
    assert par.a2a_effective_Bps(topo, 2) <= 400e9


def test_slices_and_wraparound_follow_googles_rules():
    assert par.torus_slice_dims(256, (16, 16)) == (16, 16)
    assert par.torus_slice_dims(128, (16, 16)) == (8, 16)
    assert par.torus_slice_dims(128, (16, 16, 24)) == (4, 4, 8)
    assert par.torus_slice_dims(384, (16, 16, 24)) == (6, 8, 8)
    # v5e 8 x 16: the 8-chip axis has no wraparound (2D tori wrap only on full 16-chip axes):
    # cut across the 16 axis: 8 rings x 2 = 16 links; across the 8 axis: 16 lines x 1 = 16 links; 16 x 50 GB/s.
    v5e = par.Topology("torus", 256, 200e9, links=4, dims=(16, 16))
    assert par.bisection_Bps(v5e, 128) == pytest.approx(16 * 50e9)
    # v5p 4x8x8 slice of the 16x16x24 maximum: every axis a multiple of 4 wraps; cut the 8 axis: 256/8 * 2 links
    v5p = par.load_topology(data.get_hardware("TPU v5p"))
    assert par.bisection_Bps(v5p, 256) == pytest.approx(min(256 / 4 * 2, 256 / 8 * 2) * 100e9)


def test_mi300x_mesh_of_seven_64_gbps_links():
    topo = par.load_topology(data.get_hardware("MI300X"))
    assert topo.kind == "mesh" and topo.links == 7 and topo.link_Bps == pytest.approx(64e9)
    assert par.a2a_effective_Bps(topo, 8) == pytest.approx(448e9)      # all 7 links, one per partner
    assert par.allreduce_effective_Bps(topo, 4) == pytest.approx(3 * 64e9)  # a TP4 group uses 3 links
    assert par.bisection_Bps(topo, 8) == pytest.approx(16 * 64e9)       # (8/2)^2 pairs cross the cut


def test_switch_keeps_the_whole_link(h100):
    topo = par.load_topology(h100)
    assert topo.kind == "switch" and not topo.assumed
    for g in (2, 4, 8):
        assert par.a2a_effective_Bps(topo, g) == pytest.approx(450e9)
        assert par.bisection_Bps(topo, g) == pytest.approx(g / 2 * 450e9)


def test_allreduce_time_and_latency_by_hand(h100):
    topo = par.load_topology(h100)
    m = 8192 * 2  # Llama 3.1 70B, one token, bf16
    # NCCL tree/LL model: 6.8 us + 2 (8 - 1) 0.6 us = 15.2 us, plus 2 (7/8) M / 450 GB/s
    assert float(par.collective_latency_s(topo, 8)) == pytest.approx(15.2e-6)
    assert float(par.allreduce_time_s(m, topo, 8, 50e9)) == pytest.approx(15.2e-6 + 2 * 7 / 8 * m / 450e9)
    # TP16 over two HGX nodes: alpha = 6.8 + 2 (7 x 0.6 + log2(2) x 5.0) = 25.2 us; hierarchical bandwidth terms
    big = 256 * 16384 * 2
    expected = 25.2e-6 + 2 * 7 / 8 * big / 450e9 + 2 * 1 / 2 * (big / 8) / 50e9
    assert float(par.allreduce_time_s(big, topo, 16, 50e9)) == pytest.approx(expected)
    with pytest.raises(ValueError, match="collective"):
        par.collective_latency_s(topo, 8, "broadcast")


def test_tensor_parallel_decode_comm_by_hand(h100, llama70):
    # two all-reduces per layer, 80 layers, batch 1
    per = 15.2e-6 + 2 * 7 / 8 * 8192 * 2 / 450e9
    assert float(par.tp_decode_comm_s(h100, llama70, 8, 1.0)) == pytest.approx(80 * 2 * per)
    assert float(par.tp_decode_comm_s(h100, llama70, 1, 1.0)) == 0.0
    grid = par.tp_decode_comm_s(h100, llama70, 8, np.array([1.0, 64.0, 4096.0]))
    assert np.all(np.diff(grid) > 0)


def test_unknown_hardware_gets_an_assumed_switch(h100):
    from dataclasses import replace
    odd = replace(h100, name="Some New Accelerator")
    topo = par.topology_for(odd, par.load_scale_up_domains())
    assert topo.assumed and topo.kind == "switch" and topo.injection_Bps == h100.scale_up_bandwidth_Bps


def test_topology_rejects_inconsistent_shapes():
    with pytest.raises(ValueError, match="topology"):
        par.Topology("ring", 8, 1e9, links=2)
    with pytest.raises(ValueError, match="multiply"):
        par.Topology("torus", 256, 1e9, links=4, dims=(16, 8))
    with pytest.raises(ValueError, match="mesh"):
        par.Topology("mesh", 8, 1e9, links=4)
    with pytest.raises(ValueError, match="exceeds"):
        par.bisection_Bps(par.Topology("switch", 8, 1e9), 16)
    with pytest.raises(ValueError, match="torus dimensions"):
        par.parse_torus_dims("16 by 16")


def test_domain_table_agrees_with_hardware_rows():
    domains = par.load_scale_up_domains()
    hardware = {h.name: h for h in data.load_hardware()}
    linked = [d for d in domains if d.hardware]
    assert {d.hardware for d in linked} <= set(hardware)
    for d in linked:
        assert d.packages == hardware[d.hardware].scale_up_domain_size, d.name
    # the v5p row's domain is the largest schedulable slice, not the pod
    assert hardware["TPU v5p"].scale_up_domain_size == 6144
    assert {d.name: d.packages for d in domains}["TPU v5p pod"] == 8960


def test_malformed_torus_row_names_file_and_column(data_copy):
    rewrite_cell(data_copy / "scale_up_domains.csv", "TPU v6e (Trillium) pod", "torus_dims", "16x8")
    with pytest.raises(DataError) as info:
        par.load_scale_up_domains(data_copy)
    p = info.value.problems[0]
    assert p.column == "torus_dims" and p.file.endswith("scale_up_domains.csv") and "256" in p.expected


# ---------------------------------------------------------------- expert parallelism as deployed


def test_ep_sends_by_hand():
    # training: EP64 over 8 nodes, <= 4 nodes per token, one send per node: 4 x 7/8
    assert float(par.ep_sends_per_token(8, 64, 8, 4)) == pytest.approx(3.5)
    # prefill: EP32 over 4 nodes: 4 x 3/4
    assert float(par.ep_sends_per_token(8, 32, 8, 4)) == pytest.approx(3.0)
    # decode: one send per expert, 136 of 144 GPUs on other nodes
    assert float(par.ep_sends_per_token(8, 144, 8)) == pytest.approx(8 * 136 / 144)
    assert float(par.ep_sends_per_token(9)) == 9.0


def test_ep_bytes_reduce_to_the_naive_all_to_all():
    n = 64
    naive = float(par.a2a_bytes_per_token(7168, 8, n))
    assert float(par.ep_bytes_per_token(7168, 8 * (n - 1) / n, 2.0, 2.0)) == pytest.approx(naive)


def test_deepseek_decode_bound_reproduced():
    # Zhao et al. (2025): (1 + 2) x 32 x 9 x 7K / 50 GB/s = 120.96 us per layer; x 2 micro-batches x 61 layers
    per_layer = float(par.ep_layer_a2a_time_s(32, par.ep_bytes_per_token(7000, 9, 1, 2), 50e9))
    assert per_layer == pytest.approx(120.96e-6)
    assert 2 * 61 * per_layer == pytest.approx(14.757e-3, rel=1e-3)
    assert float(par.ep_layer_a2a_time_s(32, par.ep_bytes_per_token(7000, 9, 1, 2), 900e9)) == pytest.approx(6.72e-6)
    bound = {d.name: d for d in par.load_ep_deployments()}["DeepSeek-V3 decode bound (Insights)"]
    assert bound.published_layer_a2a_s == pytest.approx(120.96e-6) and bound.sends_per_token == 9


def test_training_comm_to_compute_by_hand():
    # forward + backward: 2 x 3.5 x 7168 x 3 B / 50 GB/s against 6 x 37e9/61 FLOP at 1979 TFLOP/s (fp8)
    bytes_per_token = 3.5 * 7168 * 3
    expected = (2 * bytes_per_token / 50e9) / (6 * 37e9 / 61 / 1979e12)
    got = float(par.ep_comm_to_compute(bytes_per_token, 50e9, 37e9 / 61, 1979e12, training=True))
    assert got == pytest.approx(expected)
    forward = float(par.ep_comm_to_compute(bytes_per_token, 50e9, 37e9 / 61, 1979e12))
    assert got == pytest.approx(forward * 2 / 3)


def test_ep_deployment_table():
    deps = {d.name: d for d in par.load_ep_deployments()}
    decode = deps["DeepSeek-V3 decode (EP144)"]
    assert decode.decode_batch_per_gpu == pytest.approx(14800 / 21 / 8)
    assert deps["DeepSeek-V3 training (EP64)"].sends_per_token == pytest.approx(3.5)
    assert all(d.source for d in deps.values())


# ---------------------------------------------------------------- pipeline schedules


def test_schedule_bubbles_by_hand():
    p, m = 4, 8  # F : B : W = 1 : 2 : 1, useful work m (F + B) = 24
    assert float(par.pipeline_bubble_fraction("gpipe", p, m)) == pytest.approx(9 / 33)  # (p-1)(F+B) = 9
    assert float(par.pipeline_bubble_fraction("1f1b", p, m)) == pytest.approx(float(par.bubble_fraction(p, m)))
    assert float(par.pipeline_bubble_fraction("interleaved-1f1b", p, m)) == pytest.approx(4.5 / 28.5)
    assert float(par.pipeline_bubble_fraction("zb-h1", p, m)) == pytest.approx(3 / 27)  # (p-1)(3 - 2)
    assert float(par.pipeline_bubble_fraction("dualpipe", p, m)) == pytest.approx(2 / 26)  # (2-1)(3 + 2 - 3)
    assert float(par.pipeline_bubble_time("dualpipe", 2)) == 0.0
    # ZB-H1 leaves a third of 1F1B's bubble at F = B/2 = W (Qi et al.)
    assert float(par.pipeline_bubble_time("zb-h1", 8)) == pytest.approx(float(par.pipeline_bubble_time("1f1b", 8)) / 3)


def test_schedules_order_and_errors():
    m = np.array([8, 32, 128])
    fractions = [par.pipeline_bubble_fraction(s, 16, m) for s in ("1f1b", "interleaved-1f1b", "zb-h1", "dualpipe")]
    for slower, faster in zip(fractions, fractions[1:]):
        assert np.all(faster < slower)
    with pytest.raises(ValueError, match="even"):
        par.pipeline_bubble_time("dualpipe", 5)
    with pytest.raises(ValueError, match="unknown schedule"):
        par.pipeline_bubble_time("pipedream", 4)
    with pytest.raises(ValueError, match="weight_grad_s"):
        par.pipeline_bubble_time("zb-h1", 4, weight_grad_s=3.0)
    assert par.pipeline_activation_microbatches("gpipe", 4, 32) == 32
    assert par.pipeline_activation_microbatches("dualpipe", 16, 64) == 17


def test_microbatch_weight_reads_hide_under_the_arithmetic(h100):
    # one 4,096-token sequence in bf16: intensity 4,096 FLOP/B against a ridge of 989/3.35 = 295
    assert float(par.microbatch_arithmetic_intensity(4096)) == pytest.approx(4096)
    share = float(par.microbatch_weight_time_share(4096, h100.flops("bf16"), h100.hbm_bandwidth_Bps))
    assert share == pytest.approx((989e12 / 3.35e12) / 4096)
    assert share < 0.1
    # below the ridge the reads do cost time
    assert float(par.microbatch_weight_time_share(64, h100.flops("bf16"), h100.hbm_bandwidth_Bps)) > 1


# ---------------------------------------------------------------- the ledger on the book's data


def test_racks_ledger_topology_and_deployment_entries():
    sel = data.selection()
    moe = {e.quantity: e for e in claims.derive("moe-in-a-rack", sel)}
    torus = moe["uniform all-to-all bandwidth ÷ per-chip ICI, TPU v6e pod (256 chips, bisection-limited)"]
    assert torus.derived == pytest.approx(4 * 255 * 3.2e12 / 256 ** 2 / 400e9)
    train = moe["communication ÷ computation, DeepSeek-V3 training as deployed (DeepSeek: ≈ 1 : 1)"]
    # H100 stands in for the H800 until that row exists: same 50 GB/s NIC and 1979 fp8 TFLOP/s
    assert train.derived == pytest.approx((2 * 3.5 * 7168 * 3 / 50e9) / (6 * 37e9 / 61 / 1979e12))
    assert train.verdict == "holds loosely"
    share = moe["decode all-to-all ÷ time per output token, DeepSeek-V3 EP144 at its reported traffic"]
    per_token = 8 * 136 / 144 * 7168 * 3
    assert share.derived == pytest.approx(61 * (14800 / 21 / 8) * per_token / 50e9 * 21)
    # on a TPU selection the scale-up verdict uses the bisection-limited bandwidth
    tpu = data.selection(hardware="TPU Trillium")
    up = {e.quantity: e for e in claims.derive("moe-in-a-rack", tpu)}["all-to-all ÷ compute time, scale-up link"]
    nominal = par.a2a_to_compute_ratio(tpu.hardware, tpu.model, 256, "scale_up")
    assert up.derived == pytest.approx(nominal * 400e9 / par.a2a_effective_Bps(par.load_topology(tpu.hardware), 256))


def test_racks_ledger_pipeline_entries(h100):
    entries = {e.quantity: e for e in claims.derive("pipeline-not-wise", data.selection())}
    mb = entries["weight-read ÷ compute time per training micro-batch (one 4,096-token sequence)"]
    assert mb.derived == pytest.approx((989e12 / 3.35e12) / 4096) and mb.verdict == "does not hold"
    assert entries["training bubble, 4 stages and 8 micro-batches, DualPipe"].derived == pytest.approx(2 / 26)
