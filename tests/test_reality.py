"""Measured throughput, training and DeepSeek's day: the tables load, names resolve, figures re-derive by hand."""

import csv
import math

import pytest

from lib import data, reality, scaling
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
