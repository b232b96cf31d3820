"""Measured throughput, training and DeepSeek's day: the tables load, names resolve, figures re-derive by hand."""

import csv
import dataclasses
import json
import math

import numpy as np
import pytest

from lib import data, reality, roofline, scaling, units
from lib.__main__ import main
from lib.data import DataError

from conftest import rewrite_cell


@pytest.fixture
def rows():
    return {r.id: r for r in reality.load_measured_throughput()}


@pytest.fixture
def runs():
    return {r.id: r for r in reality.load_measured_training()}


# -- the tables load, and every name resolves ----------------------------------------------------------


def test_tables_load_with_sources_and_known_names(rows, runs):
    assert len(rows) >= 10 and len(runs) >= 5
    hardware = {h.name for h in data.load_hardware()}
    models = {m.name for m in data.load_models()}
    for row in list(rows.values()) + list(runs.values()):
        assert row.source.strip() and row.notes.strip(), row.id
        assert row.hardware in hardware and row.model in models, row.id
    assert {r.phase for r in rows.values()} == set(reality.PHASES)
    assert {"H800 SXM", "TPU v4"} <= hardware and {"Llama 2 70B", "PaLM 540B"} <= models


def test_check_data_validates_the_measurement_tables():
    assert data.check_data_dir(data.DEFAULT_DATA_DIR) == []
    for file in (reality.THROUGHPUT_FILE, reality.TRAINING_FILE, reality.DAY_FILE):
        assert file in data.SCHEMAS


def test_an_unknown_hardware_name_is_an_error_naming_file_line_column_value(data_copy):
    rewrite_cell(data_copy / reality.THROUGHPUT_FILE, "deepseek-v3r1-h800-decode", "hardware", "H900 SXM")
    with pytest.raises(DataError) as info:
        reality.load_measured_throughput(data_copy)
    (p,) = info.value.problems
    assert p.file.endswith(reality.THROUGHPUT_FILE) and p.line == 2 and p.column == "hardware"
    assert p.value == "H900 SXM" and "hardware.csv" in p.expected and "H800 SXM" in p.expected
    # check-data reports the same problem
    problems = data.check_data_dir(data_copy)
    assert [(q.column, q.value) for q in problems] == [("hardware", "H900 SXM")]


def test_an_unknown_model_in_the_training_table_is_an_error(data_copy):
    rewrite_cell(data_copy / reality.TRAINING_FILE, "palm-540b-pretraining", "model", "PaLM 2")
    with pytest.raises(DataError, match="measured_training.csv.*column 'model'.*'PaLM 2'.*models.csv"):
        reality.load_measured_training(data_copy)


def test_names_are_checked_against_the_readers_own_hardware_table(data_copy, tmp_path):
    """A reader's directory without the measurement tables falls back to the book's, but their names must
    still exist in the reader's hardware.csv: drop H800 there and the loader says which row needs it."""
    reader = tmp_path / "reader"
    reader.mkdir()
    with (data_copy / "hardware.csv").open(newline="") as handle:
        kept = [r for r in csv.reader(handle) if r[0] != "H800 SXM"]
    with (reader / "hardware.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(kept)
    (reader / "models.csv").write_text((data_copy / "models.csv").read_text())
    with pytest.raises(DataError) as info:
        reality.load_measured_throughput(reader)
    assert {p.row_name for p in info.value.problems} == {"deepseek-v3r1-h800-decode", "deepseek-v3r1-h800-prefill"}
    assert all(p.value == "H800 SXM" and str(reader) in p.expected for p in info.value.problems)


@pytest.mark.parametrize("row, column, value, expected", [
    ("sglang-h100-decode", "phase", "decoding", "one of decode, prefill, offline"),
    ("sglang-h100-decode", "kv_format", "int3", "one of " + ", ".join(reality.FORMATS)),
    ("sglang-h100-decode", "measured_tokens_per_s_per_accelerator", "0", "positive"),
    ("sglang-h100-decode", "date", "5 May 2025", "a date"),
    ("sglang-h100-prefill", "user_tokens_per_s", "20", "blank for a prefill row"),
])
def test_bad_cells_name_file_line_column_and_value(data_copy, row, column, value, expected):
    rewrite_cell(data_copy / reality.THROUGHPUT_FILE, row, column, value)
    with pytest.raises(DataError) as info:
        reality.load_measured_throughput(data_copy)
    (p,) = info.value.problems
    assert p.file.endswith(reality.THROUGHPUT_FILE) and p.row_name == row and p.column == column
    assert p.line is not None and expected in p.expected


def test_training_rows_need_hours_unless_they_are_benchmarks(data_copy):
    rewrite_cell(data_copy / reality.TRAINING_FILE, "deepseek-v3-all", "accelerator_hours", "")
    with pytest.raises(DataError, match="accelerator-hours for a all row"):
        reality.load_measured_training(data_copy)


def test_deepseek_day_needs_every_quantity_in_its_unit(data_copy):
    rewrite_cell(data_copy / reality.DAY_FILE, "daily_cost", "unit", "tokens")
    with pytest.raises(DataError, match="'USD' for 'daily_cost'"):
        reality.load_deepseek_day(data_copy)
    rewrite_cell(data_copy / reality.DAY_FILE, "daily_cost", "unit", "USD")
    path = data_copy / reality.DAY_FILE
    with path.open(newline="") as handle:
        kept = [r for r in csv.reader(handle) if r[0] != "output_tokens"]
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(kept)
    with pytest.raises(DataError, match="output_tokens"):
        reality.load_deepseek_day(data_copy)


# -- figures re-derived by hand from their sources -------------------------------------------------------


def test_deepseek_decode_per_h800_is_the_per_node_figure_over_eight(rows):
    # open-infra-index Day 6: "~14.8k tokens/s output during decoding" per H800 node of 8 GPUs
    row = rows["deepseek-v3r1-h800-decode"]
    assert row.tokens_per_s_per_accelerator == pytest.approx(14_800 / 8)
    assert row.accelerators == 18 * 8 and row.context_tokens == 4989
    # 1,850 tokens/s per GPU at 21 tokens/s per user: Little's law gives ~88 sequences per GPU
    assert row.sequences_per_accelerator == pytest.approx(1850 / 21)
    assert row.step_time_s == pytest.approx(1 / 21)
    assert rows["deepseek-v3r1-h800-prefill"].tokens_per_s_per_accelerator == pytest.approx(73_700 / 8)


@pytest.mark.parametrize("row_id, system_tokens_per_s, gpus", [
    ("mlperf51-b200-llama2-70b-offline", 101_527, 8),     # B200-SXM-180GBx8_TRT, llama2-70b-99 Offline
    ("mlperf41-h200-llama2-70b-offline", 31_302.7, 8),    # H200-SXM-141GBx8_TRT (v4.1)
    ("mlperf51-gb200-deepseek-r1-offline", 289_712, 72),  # GB200-NVL72 x72, deepseek-r1 Offline
])
def test_mlperf_per_gpu_is_the_system_total_over_its_gpus(rows, row_id, system_tokens_per_s, gpus):
    row = rows[row_id]
    assert row.accelerators == gpus
    assert row.tokens_per_s_per_accelerator == pytest.approx(system_tokens_per_s / gpus, abs=0.05)
    assert row.tokens_per_s == pytest.approx(system_tokens_per_s, rel=1e-4)


def test_mlperf_latency_rows_carry_the_measured_time_per_output_token(rows):
    # Interactive log: "Mean Time to Output Token (ns): 34209789" -> 29.2 tokens/s per user (limit 40 ms = 25)
    interactive = rows["mlperf51-b200-llama2-70b-interactive"]
    assert interactive.user_tokens_per_s == pytest.approx(1e9 / 34_209_789, abs=0.05)
    assert interactive.step_time_s < 0.040
    server = rows["mlperf51-gb200-deepseek-r1-server"]
    assert server.user_tokens_per_s == pytest.approx(1e9 / 69_572_752, abs=0.05) and server.step_time_s < 0.080


def test_no_row_beats_the_compute_roofline_of_its_hardware(rows):
    """A plausibility invariant, not the refined bound: 2·N_active FLOP per token at the best dense peak the
    hardware has. A ×1000 slip, per-node figures left undivided or input counted as output would break it."""
    for row in rows.values():
        hw = data.get_hardware(row.hardware)
        model = data.get_model(row.model)
        flop_per_s = row.tokens_per_s_per_accelerator * scaling.SERVE_FLOP_PER_PARAM_TOKEN * model.active_params
        assert flop_per_s < max(hw.flops_per_s.values()), row.id


def test_deepseek_v3_hours_add_up_and_match_180k_per_trillion_tokens(runs):
    # DeepSeek-V3 report, Table 1: 2,664K + 119K + 5K = 2,788K H800 GPU-hours; 180K per trillion tokens
    stages = [runs[f"deepseek-v3-{s}"].accelerator_hours for s in ("pretraining", "context-extension",
                                                                     "post-training")]
    assert sum(stages) == pytest.approx(runs["deepseek-v3-all"].accelerator_hours) == pytest.approx(2.788e6)
    pre = runs["deepseek-v3-pretraining"]
    assert pre.accelerator_hours / (pre.training_tokens / 1e12) == pytest.approx(180e3)
    assert pre.accelerator_hours / pre.accelerators / 24 / 14.8 == pytest.approx(3.66, abs=0.01)  # "3.7 days" per T


def test_palm_chip_hours_and_mfu_rederive_from_the_paper(runs):
    palm = runs["palm-540b-pretraining"]
    assert palm.accelerator_hours == 6144 * 1200 + 3072 * 336
    # Appendix B: 238.3K tokens/s x 6 x 540B / (275 TFLOP/s x 6144) = 45.7% (46.2% with attention FLOPs)
    one_hour_flop = 238.3e3 * scaling.TRAIN_FLOP_PER_PARAM_TOKEN * 540e9 * scaling.SECONDS_PER_HOUR
    peak = data.get_hardware("TPU v4").flops("bf16")
    mfu = float(scaling.implied_utilisation(one_hour_flop, palm.accelerators, peak))
    assert mfu == pytest.approx(0.457, abs=5e-4) and palm.reported_mfu == pytest.approx(0.462)


def test_benchmark_mfu_agrees_with_its_tflops_over_the_dense_peak(runs):
    for run in runs.values():
        if run.reported_mfu is not None and run.reported_flops_per_s_per_accelerator is not None:
            peak = data.get_hardware(run.hardware).flops(run.precision)
            assert run.reported_flops_per_s_per_accelerator / peak == pytest.approx(run.reported_mfu, abs=0.011)


def test_deepseeks_day_adds_up_from_its_own_figures():
    check = reality.deepseek_day_check(reality.load_deepseek_day())
    # 608e9 input tokens / (86,400 s x 73.7k) + 168e9 output / (86,400 s x 14.8k) = 95.5 + 131.4 nodes
    assert check.prefill_nodes == pytest.approx(608e9 / 86_400 / 73_700)
    assert check.decode_nodes == pytest.approx(168e9 / 86_400 / 14_800)
    assert abs(check.nodes_gap) < 1e-3 and check.nodes_sum == pytest.approx(226.75, abs=0.2)
    assert check.cost_usd == check.reported_cost_usd == 87_072  # 226.75 x 8 x 24 x $2
    assert check.cache_hit_share == pytest.approx(check.reported_cache_hit_share, abs=5e-4)
    assert check.revenue_usd == pytest.approx(562_100) and check.revenue_usd / check.reported_revenue_usd - 1 < 2e-4
    assert check.margin == pytest.approx(check.reported_margin, abs=0.01)
    fastest, slowest = check.decode_sequences_per_gpu
    assert fastest == pytest.approx(1850 / 22) and slowest == pytest.approx(1850 / 20)


def test_nodes_busy_rejects_nonsense():
    assert reality.nodes_busy(86_400.0, 86_400.0, 1.0) == 1.0
    for bad in ((-1.0, 1.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, -2.0)):
        with pytest.raises(ValueError):
            reality.nodes_busy(*bad)
    assert math.isfinite(reality.nodes_busy(0.0, 1.0, 1.0))


# -- the model's bound for each row ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def found():
    return {b.row.id: b for b in reality.bounds()}


def test_no_measurement_beats_its_bound_on_the_default_data(found):
    assert len(found) >= 8
    assert reality.exceeding(found.values()) == []
    for b in found.values():
        assert 0 < b.efficiency <= 1 and b.binding in reality.BINDINGS, b.row.id
        # the pooled step is the lower bound on step time: the per-operation bound never lies above it
        assert b.per_op_tokens_per_s_per_accelerator <= b.tokens_per_s_per_accelerator * (1 + 1e-9), b.row.id
        assert b.tokens_per_s_per_accelerator <= b.unlimited_tokens_per_s_per_accelerator * (1 + 1e-9), b.row.id


def _llama2_70b_active_params():
    # Llama 2 70B config.json: hidden 8192, 80 layers, 64 query heads, 8 KV heads of 128, FFN 28672, vocab 32000
    attention = 8192 * 128 * (64 + 2 * 8) + 64 * 128 * 8192
    return 80 * (attention + 3 * 8192 * 28672) + 32000 * 8192  # the LM head; the embedding lookup is no matmul


def test_offline_bound_by_hand_is_the_fp8_peak_over_two_flops_per_active_parameter(found):
    # MLPerf v4.1 H200 Llama 2 70B Offline: decode only at zero context, batch unlimited -> F_fp8 / (2 N_active)
    b = found["mlperf41-h200-llama2-70b-offline"]
    bound = 1979e12 / (2 * _llama2_70b_active_params())
    assert b.tokens_per_s_per_accelerator == pytest.approx(bound, rel=1e-6)  # ≈ 14,400 tokens/s per H200
    assert b.efficiency == pytest.approx(31_302.7 / 8 / bound, rel=1e-4)
    assert b.binding == "compute" and b.context_tokens == 0
    assert any("prompt lengths are not published" in a for a in b.assumptions)


def test_deepseek_decode_bound_by_hand(found):
    """DeepSeek's decode unit: 144 H800s, each holding every non-expert weight (DP attention) and 2 of the 288
    routed-expert replicas per layer (EP144 + 32 redundant), fp8 weights, bf16 MLA cache at 4,989 tokens."""
    h, layers, moe, vocab = 7168, 61, 58, 129_280
    expert = 3 * h * 2048
    attention = h * 1536 + 1536 * 128 * (128 + 64) + h * (512 + 64) + 512 * 128 * (128 + 128) + 128 * 128 * h
    non_expert_read = layers * attention + 3 * 3 * h * 18_432 + moe * expert + moe * h * 256 + vocab * h
    non_expert_stored = non_expert_read + vocab * h                    # plus the input embedding, never read
    weights_per_gpu = non_expert_stored + moe * 288 * expert / 144     # fp8: one byte per weight
    kv_per_sequence = 4989 * layers * (512 + 64) * 2                   # bf16 latent + RoPE key
    batch = math.floor(144 * (0.9 * 80e9 - weights_per_gpu) / kv_per_sequence)
    b = found["deepseek-v3r1-h800-decode"]
    assert b.batch == batch and 140 < batch / 144 < 145                # capacity: ~142 sequences per GPU
    touched = 256 * (1 - (1 - 8 / 256) ** batch)
    memory_s = (non_expert_read + moe * touched * expert / 144 + batch / 144 * kv_per_sequence) / 3.35e12
    active = non_expert_read - moe * h * 256 + moe * 8 * expert + moe * h * 256
    compute_s = batch / 144 * (2 * active / 1979e12 + 2 * 128 * (2 * 512 + 64) * layers * 4989 / 989e12)
    assert memory_s > compute_s and b.step_budget == "bandwidth"
    assert b.tokens_per_s_per_accelerator == pytest.approx(batch / 144 / memory_s, rel=1e-6)  # ≈ 6,700
    assert b.binding == "capacity" and b.step_s < 1 / 21                # the 21 tokens/s target does not bind
    assert b.efficiency == pytest.approx(1850 / (batch / 144 / memory_s), rel=1e-6)


def test_prefill_bound_by_hand_is_compute_bound_at_2000_tokens(found):
    # SGLang H100 prefill, 2,000-token prompts: per token 2 N_active FLOPs in fp8 plus causal MLA attention
    # (expanded form, 2·128·(2·128 + 64) FLOPs per context token and layer) over (P + 1)/2 tokens on average, bf16
    ds = data.get_model("DeepSeek-V3")
    per_token_s = (2 * ds.config_active_params / 1979e12 + 61 * 2 * 128 * (2 * 128 + 64) * 2001 / 2 / 989e12)
    b = found["sglang-h100-prefill"]
    assert b.tokens_per_s_per_accelerator == pytest.approx(1 / per_token_s, rel=1e-6)  # ≈ 23,800 per H100
    assert b.binding == "compute"


def test_deepseek_prefill_counts_cache_hits_at_no_compute(found):
    b = found["deepseek-v3r1-h800-prefill"]
    day = reality.load_deepseek_day()
    assert b.row.cached_share == pytest.approx(day.cached_input_tokens / day.input_tokens)
    # unknown prompt length: one new token per prompt, so the bound counts 1 / (1 − s) tokens per new token
    assert b.context_tokens == pytest.approx(1 / (1 - 0.5625)) and b.cached_tokens == pytest.approx(0.5625 / 0.4375)
    uncached = reality.bound(dataclasses.replace(b.row, cached_share=0.0), data.get_hardware("H800 SXM"),
                             data.get_model("DeepSeek-V3"))
    assert b.tokens_per_s_per_accelerator == pytest.approx(uncached.tokens_per_s_per_accelerator / 0.4375, rel=1e-3)


def test_the_shared_layout_is_exactly_the_step_model(found):
    hw, ds = data.get_hardware("H200 SXM"), data.get_model("DeepSeek-V3")
    p = roofline.release_precisions(ds)
    batch = np.array([1.0, 64.0, 4096.0])
    unit = reality.unit_step(hw, ds, p, reality.Layout.shared(16), batch, 3000.0)
    step = roofline.decode_step(hw, ds, batch, 3000.0, p, chips=16)
    assert unit.pooled_s == pytest.approx(step.pooled_s, rel=1e-12)
    assert unit.per_op_s == pytest.approx(step.per_op_s, rel=1e-12)
    assert unit.max_batch == pytest.approx(float(roofline.max_batch(ds, hw, 16, 3000.0, p)), abs=16)


def test_data_parallel_attention_costs_what_the_step_model_assumes_away(found):
    """The step model splits every weight over the unit; DeepSeek's decode reads a whole copy of the attention
    weights on every GPU and stores 32 redundant experts, so its bound is lower than the shared one."""
    b = found["deepseek-v3r1-h800-decode"]
    shared = reality.bound(b.row, data.get_hardware("H800 SXM"), data.get_model("DeepSeek-V3"),
                           layout=reality.Layout.shared(144))
    assert shared.tokens_per_s_per_accelerator > b.tokens_per_s_per_accelerator
    assert shared.max_batch > b.max_batch


def test_tokens_per_step_processes_k_tokens_but_reads_the_cache_once():
    hw, ds = data.get_hardware("H800 SXM"), data.get_model("DeepSeek-V3")
    p, layout = roofline.release_precisions(ds), reality.Layout(144, 1, 144, 32)
    two = reality.unit_step(hw, ds, p, layout, 100.0, 4989.0, tokens_per_step=2.0)
    double_batch = reality.unit_step(hw, ds, p, layout, 200.0, 4989.0)
    one = reality.unit_step(hw, ds, p, layout, 100.0, 4989.0)
    assert two.compute_s == pytest.approx(double_batch.compute_s)
    assert two.op_memory_s["attention_core"] == pytest.approx(one.op_memory_s["attention_core"])
    assert two.op_memory_s["routed_experts"] == pytest.approx(double_batch.op_memory_s["routed_experts"])
    assert float(two.tokens_counted) == 200.0 and two.max_batch == one.max_batch
    with pytest.raises(ValueError, match="≥ 1"):
        reality.unit_step(hw, ds, p, layout, 100.0, 4989.0, tokens_per_step=0.5)


def test_more_accepted_tokens_per_step_raise_a_decode_bound(found):
    b = found["deepseek-v3r1-h800-decode"]
    mtp = reality.bound(b.row, data.get_hardware("H800 SXM"), data.get_model("DeepSeek-V3"), tokens_per_step=1.8)
    assert mtp.tokens_per_s_per_accelerator > b.tokens_per_s_per_accelerator
    assert mtp.target_step_s == pytest.approx(1.8 / 21) and any("1.8 accepted" in a for a in mtp.assumptions)


def test_throughput_never_falls_as_the_batch_grows():
    for row_id, context in (("deepseek-v3r1-h800-decode", 4989.0), ("mlperf51-b200-llama2-70b-offline", 0.0)):
        row = next(r for r in reality.load_measured_throughput() if r.id == row_id)
        hw, model = data.get_hardware(row.hardware), data.get_model(row.model)
        unit = reality.unit_step(hw, model, reality.row_precisions(row, model, hw), reality.Layout.of(row),
                                 np.geomspace(1, 1e7, 200), context)
        x = unit.tokens_per_s_per_accelerator()
        assert np.all(np.diff(x) >= -1e-9 * x[1:]), row_id


def test_a_latency_target_binds_and_an_impossible_one_leaves_nothing(found):
    row = found["sglang-h100-decode"].row
    hw, ds = data.get_hardware("H100 SXM"), data.get_model("DeepSeek-V3")
    fast = reality.bound(dataclasses.replace(row, user_tokens_per_s=150.0), hw, ds)
    assert fast.binding == "latency target" and fast.step_s <= 1 / 150 * (1 + 1e-9)
    assert fast.tokens_per_s_per_accelerator < found["sglang-h100-decode"].tokens_per_s_per_accelerator
    impossible = reality.bound(dataclasses.replace(row, user_tokens_per_s=1e4), hw, ds)
    assert impossible.tokens_per_s_per_accelerator == 0 and impossible.binding == "latency target"
    assert impossible.exceeded


def test_weights_that_do_not_fit_leave_no_bound_unless_offloaded(found):
    b = found["sglang-gb200-prefill-fp8-sep2025"]
    hw, ds = data.get_hardware("GB200 NVL72"), data.get_model("DeepSeek-V3")
    on_hbm = reality.bound(dataclasses.replace(b.row, weights_offloaded=False), hw, ds)
    assert on_hbm.tokens_per_s_per_accelerator == 0 and on_hbm.binding == "capacity"
    assert b.tokens_per_s_per_accelerator > b.measured_tokens_per_s_per_accelerator


def test_nvfp4_is_four_and_a_half_bits_computed_in_fp4():
    assert units.bytes_per_element("nvfp4") == 0.5625 and units.native_compute_format("nvfp4") == "fp4"


@pytest.mark.parametrize("column, value, expected", [
    ("weight_shards", "5", "a divisor of the row's 144 accelerators"),
    ("expert_shards", "288", "a divisor of the row's 144 accelerators"),
    ("cached_share", "0.3", "blank for a decode or offline row"),
    ("weights_offloaded", "maybe", "one of yes, no"),
])
def test_layout_cells_are_validated(data_copy, column, value, expected):
    rewrite_cell(data_copy / reality.THROUGHPUT_FILE, "deepseek-v3r1-h800-decode", column, value)
    with pytest.raises(DataError) as info:
        reality.load_measured_throughput(data_copy)
    (p,) = info.value.problems
    assert p.column == column and expected in p.expected


def test_realism_factors_are_the_median_efficiency_per_phase(found):
    factors = reality.realism_factors()
    assert set(factors) == set(reality.PHASES)
    for phase, f in factors.items():
        values = [b.efficiency for b in found.values() if b.row.phase == phase]
        assert f.value == pytest.approx(float(np.median(values))) and f.low <= f.value <= f.high <= 1
    assert reality.realism_factor("decode") == factors["decode"].value
    assert reality.calibrated_tokens_per_s([1000.0, 2000.0], "prefill") == pytest.approx(
        [1000 * factors["prefill"].value, 2000 * factors["prefill"].value])
    assert reality.calibrated_seconds_per_token(1.0, "decode") == pytest.approx(1 / factors["decode"].value)
    assert reality.realistic_context_tokens() == 4989
    with pytest.raises(ValueError, match="no realism factor"):
        reality.realism_factor("training")


def test_deepseek_v3_pretraining_mfu_at_the_fp8_peak_by_hand():
    # 6 x 37B active x 14.8T tokens / (2,664K GPU-hours x 3600 s x 1979 TFLOP/s) = 17.3%
    checks = {c.run.id: c for c in reality.training_checks()}
    v3 = checks["deepseek-v3-pretraining"]
    assert v3.precision == "fp8" and v3.implied_mfu == pytest.approx(6 * 37e9 * 14.8e12 / (2.664e6 * 3600 * 1979e12))
    assert 0.17 < v3.implied_mfu < 0.18
    palm = checks["palm-540b-pretraining"]
    assert palm.implied_mfu < palm.reported_mfu  # the hours include downtime and repeats; attention not counted
    bench = checks["llama3-405b-8k-8192gpu"]
    assert bench.benchmark_mfu == pytest.approx(430 / 989) and bench.implied_mfu is None
    assert not checks["deepseek-v2-pretraining"].precision_stated


def test_reality_command_lists_rows_and_fails_when_a_row_beats_its_bound(capsys, data_copy):
    assert main(["reality", "--json", "--efficiency", "measured"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["serving"]) >= 8 and out["exceeded"] == []
    row = next(r for r in out["serving"] if r["id"] == "deepseek-v3r1-h800-decode")
    assert row["efficiency"] == pytest.approx(row["measured_tokens_per_s_per_accelerator"]
                                              / row["bound_tokens_per_s_per_accelerator"])
    assert row["calibrated_bound_tokens_per_s_per_accelerator"] == pytest.approx(
        row["bound_tokens_per_s_per_accelerator"] * out["realism_factors"]["decode"]["value"])
    # the per-node figure (22,282 output tokens/s per 8-GPU node) typed as per-GPU: plausible, but above the bound
    rewrite_cell(data_copy / reality.THROUGHPUT_FILE, "sglang-h100-decode", "measured_tokens_per_s_per_accelerator",
                 "22282")
    assert main(["reality", "--data-dir", str(data_copy)]) == 1
    err = capsys.readouterr().err
    assert "sglang-h100-decode" in err and "exceeds the model's bound" in err
    # a x1000 slip is caught before any bound, by the column's plausible range
    rewrite_cell(data_copy / reality.THROUGHPUT_FILE, "sglang-h100-decode", "measured_tokens_per_s_per_accelerator",
                 "2785300")
    with pytest.raises(DataError, match="plausible range.*did you mean 2785"):
        reality.load_measured_throughput(data_copy)


def test_ledger_entries_of_the_reality_check():
    from lib import claims
    sel = data.selection()
    mine = {e.quantity: e for cid in ("two-budgets", "decode-5x-prefill", "inference-dominates")
            for e in claims.calibrations(cid, sel)}
    # the claims' own chapters check their entries one by one: derive() leaves the calibrations out, the ledger not
    assert not any(e.chapter == "chapters/reality-check" for e in claims.derive("two-budgets", sel))
    ledger = [e for e in claims.ledger(sel) if e.chapter == "chapters/reality-check"]
    assert {e.quantity for e in ledger} == set(mine)
    worst = mine["highest measured ÷ bound over the measured rows"]
    assert worst.kind == claims.STRUCTURAL and worst.verdict == claims.SHAPE_HOLDS and worst.derived <= 1
    decode = mine["decode realism factor (median measured ÷ bound, MBU-like)"]
    assert decode.kind == claims.SCENARIO_KIND and decode.derived == pytest.approx(reality.realism_factor("decode"))
    assert set(decode.sensitivity) == {"hbm_reserve", "tokens_per_step"}
    # measured output ÷ input cost: DeepSeek's pair is 73.7k x (1 - 342/608) / 14.8k = 2.18 per node
    ratio = mine["output ÷ input accelerator-time per token, measured (median of systems)"]
    assert ratio.kind == claims.CHECKED and ratio.stated == 5.0
    pairs = {p.decode.id: p for p in reality.phase_pairs(reality.load_measured_throughput())}
    assert pairs["deepseek-v3r1-h800-decode"].output_to_input_cost == pytest.approx(73_700 * (1 - 0.5625) / 14_800)
    assert len(pairs) >= 4 and ratio.derived == pytest.approx(float(np.median([p.output_to_input_cost
                                                                                 for p in pairs.values()])))
    # DeepSeek-V3 pre-training at its own $2 per GPU-hour: 2,664K x $2 = $5.328M (the talk: $2-5M)
    cost = mine["DeepSeek-V3 pre-training cost, reported GPU-hours × $2"]
    assert cost.derived == pytest.approx(5.328e6) and cost.verdict == claims.LOOSE
    serve = mine["DeepSeek serving ÷ V3 pre-training cost, at its measured day"]
    assert serve.derived == pytest.approx(87_072 * 365 / 5.328e6) and serve.kind == claims.SCENARIO_KIND


def test_ideal_decode_throughput_for_other_chapters():
    hw, ds = data.get_hardware("H100 SXM"), data.get_model("DeepSeek-V3")
    context = reality.realistic_context_tokens()
    small = reality.ideal_decode_tokens_per_s_per_accelerator(hw, ds, context)
    large = reality.ideal_decode_tokens_per_s_per_accelerator(hw, ds, context, chips=80)
    assert 0 < small < large  # a larger replica holds a larger batch beside the weights
    # at zero context nothing limits the batch: the compute floor, F / FLOPs per token (fp8 matmuls)
    floor = reality.ideal_decode_tokens_per_s_per_accelerator(hw, ds, 0.0)
    assert floor == pytest.approx(1979e12 / (2 * ds.config_active_params), rel=1e-3)
    slow = reality.ideal_decode_tokens_per_s_per_accelerator(hw, ds, context, chips=80, user_tokens_per_s=200.0)
    assert slow < large


def test_a2a_link_share_by_hand(found):
    # DeepSeek decode: EP144 over 18 nodes; a token's 8 experts land on 17 x (1 - (17/18)^8) other nodes on average,
    # each copy 7168 elements dispatched in fp8 and combined in bf16; 58 MoE layers; 50 GB/s InfiniBand per GPU
    b = found["deepseek-v3r1-h800-decode"]
    copies = 17 * (1 - (17 / 18) ** 8)
    share = 1850 * 58 * copies * 7168 * (1 + 2) / 50e9
    assert reality.a2a_link_share(b, data.get_hardware("H800 SXM"), data.get_model("DeepSeek-V3")) == \
        pytest.approx(share)
    assert reality.a2a_link_share(found["mlperf41-h200-llama2-70b-offline"], data.get_hardware("H200 SXM"),
                                  data.get_model("Llama 2 70B")) is None
