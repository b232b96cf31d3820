"""lib.measure: the benchmark's arithmetic, a real (small) CPU run, the written row, the GPU path, and the
published measurements of data/measured_hardware.csv."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest

from lib import data, measure
from lib.__main__ import main
from lib.hardware import Hardware

from chapter_runs import run_measure_cli
from conftest import rewrite_cell

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------------------------
# Arithmetic, by hand


def test_stream_bytes_are_counted_the_stream_way():
    # STREAM's own report: copy moves 2 arrays, triad 3; 10 million doubles = 80 MB per array.
    assert measure.stream_bytes("copy", 10_000_000, 8) == 160_000_000
    assert measure.stream_bytes("triad", 10_000_000, 8) == 240_000_000
    with pytest.raises(ValueError, match="unknown STREAM kernel 'scale'"):
        measure.stream_bytes("scale", 10, 8)


def test_matmul_flops_by_hand():
    # 4096³ multiply-adds = 68,719,476,736; two FLOPs each.
    assert measure.matmul_flops(4096, 4096, 4096) == 137_438_953_472
    assert measure.matmul_flops(2, 3, 4) == 48
    assert list(measure.matmul_flops([1, 2], 2, 2)) == [8, 16]


def test_summarize_median_and_spreads():
    stat = measure.summarize([4.0, 1.0, 3.0, 2.0, 10.0])
    assert stat.median == 3.0 and stat.low == 1.0 and stat.high == 10.0
    assert stat.relative_spread == pytest.approx(9.0 / 3.0)
    # Quartiles (inclusive) of 1, 2, 3, 4, 10 are 2 and 4: the outlier does not set the IQR.
    assert stat.relative_iqr == pytest.approx((4.0 - 2.0) / 3.0)
    for bad in ([], [1.0, 0.0], [1.0, float("nan")], [float("inf")]):
        with pytest.raises(ValueError):
            measure.summarize(bad)


def test_achievable_fraction_and_derate(h100):
    assert measure.achievable_fraction(2.97e12, 3.35e12) == pytest.approx(0.8866, abs=1e-4)
    slow = measure.derate(h100, 0.85, 0.80)
    assert slow.hbm_bandwidth_Bps == pytest.approx(0.85 * 3.35e12)
    assert slow.flops("fp8") == pytest.approx(0.80 * 1979e12)
    # The ridge F / W moves by η_F ÷ η_W.
    assert slow.ridge_flop_per_byte == pytest.approx(h100.ridge_flop_per_byte * 0.80 / 0.85)
    for bad in (0.0, 1.2):
        with pytest.raises(ValueError, match=r"\(0, 1\]"):
            measure.derate(h100, bad, 0.8)


def test_stream_arrays_follow_the_cache_and_memory():
    # 4 × a 32 MiB cache = 128 MiB; a GPU's floor is 1 GiB; never more than 1/8 of memory.
    assert measure.stream_array_bytes("cpu", 32 * measure.MIB, 64 * measure.GIB) == 128 * measure.MIB
    assert measure.stream_array_bytes("cpu", None, 64 * measure.GIB) == 4 * measure.DEFAULT_LLC_BYTES
    assert measure.stream_array_bytes("cuda", 50 * 2**20, 80e9) == measure.GIB
    assert measure.stream_array_bytes("cpu", 4 * measure.GIB, 8 * measure.GIB) == measure.GIB


# --------------------------------------------------------------------------------------------------
# A real CPU run, small


#: The tests that read ``cpu_run`` share one worker under `pytest -n 2 --dist loadgroup`, so the benchmark runs once.
CPU_RUN = pytest.mark.xdist_group("measure-cpu-run")


@pytest.fixture(scope="module")
def cpu_run():
    """A real run of the command on one core (the test machine is shared), read back from its JSON."""
    done = run_measure_cli("--json", "--no-write", "--repetitions", "9", "--array-MiB", "64", "--matmul-n", "768")
    return measure.Measurement.from_json(json.loads(done.stdout))


#: Bound on the relative interquartile range of 9 repetitions: the middle half within the median's own size.
#: Loose because the test machine is shared (another test worker may hold a core); observed ≤ 0.5 unloaded.
MAX_RELATIVE_IQR = 1.0


@CPU_RUN
def test_cpu_measurement_is_positive_plausible_and_repeatable(cpu_run):
    assert set(cpu_run.bandwidth_Bps) == {"copy", "triad"}
    assert set(cpu_run.flops_per_s) == {"fp64", "fp32"}
    assert set(cpu_run.unsupported) >= {"bf16", "fp8"}
    for kernel, stat in cpu_run.bandwidth_Bps.items():
        assert len(stat.samples) == 9
        assert 1e8 < stat.median < 1e13, f"{kernel}: {stat.median:g} B/s is not a memory bandwidth"
        assert stat.relative_iqr < MAX_RELATIVE_IQR, f"{kernel} repetitions disagree: {stat.samples}"
    for precision, stat in cpu_run.flops_per_s.items():
        assert 1e8 < stat.median < 1e14, f"{precision}: {stat.median:g} FLOP/s"
        assert stat.relative_iqr < MAX_RELATIVE_IQR, f"{precision} repetitions disagree: {stat.samples}"
    assert cpu_run.matmul_n == {"fp64": 768, "fp32": 768}
    assert "--threads 1" in cpu_run.command
    assert cpu_run.stream_array_bytes == 64 * measure.MIB


@CPU_RUN
def test_cpu_row_uses_fp32_for_bf16_and_waives_the_accelerator_ranges(cpu_run):
    row = measure.hardware_row(cpu_run, "Test CPU (measured)")
    assert float(row["dense_bf16_TFLOPs"]) == pytest.approx(cpu_run.flops_per_s["fp32"].median / 1e12, rel=1e-3)
    assert row["dense_fp8_TFLOPs"] == "" and row["dense_fp4_TFLOPs"] == ""
    assert float(row["hbm_bandwidth_TBps"]) == pytest.approx(cpu_run.bandwidth.median / 1e12, rel=1e-3)
    assert float(row["hbm_capacity_GB"]) == pytest.approx(measure.memory_bytes() / 1e9, rel=1e-3)
    waived = row["accept_extreme"].split(";")
    assert {"hbm_bandwidth_TBps", "dense_bf16_TFLOPs", "scale_up_domain_size"} <= set(waived)
    assert "year" not in waived
    assert "not measured" in row["notes"] and "fp32 matmul" in row["notes"]
    assert "python -m lib measure" in row["source"] and "numpy" in row["source"]
    # A first-hand measurement is primary (lib.data.PROVENANCE), whatever the cells it could not measure
    assert row["provenance"] == measure.MEASURED_PROVENANCE == "primary"


# --------------------------------------------------------------------------------------------------
# The command line


SMALL = ["--array-MiB", "16", "--matmul-n", "256", "--repetitions", "3"]


def run_cli(capsys, *args) -> tuple[int, str, str]:
    status = main(["measure", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_json_schema_and_progress_on_stderr(capsys, tmp_path):
    status, out, err = run_cli(capsys, "--json", "--out", str(tmp_path / "mine"), *SMALL)
    assert status == 0
    payload = json.loads(out)  # stdout is pure JSON: the progress display went to stderr
    assert "[1/4] copy" in err and "[4/4] fp32 matmul" in err
    for key, kind in {"device": str, "device_name": str, "date": str, "library": str, "repetitions": int,
                      "machine": dict, "bandwidth_Bps": dict, "bandwidth_method": dict, "flops_per_s": dict,
                      "matmul_n": dict, "unsupported": dict, "row": dict, "written_to": str}.items():
        assert isinstance(payload[key], kind), key
    assert payload["device"] == "cpu" and payload["repetitions"] == 3
    for stat in [*payload["bandwidth_Bps"].values(), *payload["flops_per_s"].values()]:
        assert set(stat) == {"median", "min", "max", "relative_spread", "relative_iqr", "samples"}
        assert stat["min"] <= stat["median"] <= stat["max"] and len(stat["samples"]) == 3
    assert set(payload["bandwidth_Bps"]) == {"copy", "triad"}
    assert "STREAM" in payload["bandwidth_method"]["bytes_counted"]
    assert set(payload["flops_per_s"]) == {"fp64", "fp32"}
    assert "bfloat16" in payload["unsupported"]["bf16"]
    assert payload["datasheet"] is None
    assert list(payload["row"])[:len(data.HARDWARE_SCHEMA.columns)] == [c.name for c in data.HARDWARE_SCHEMA.columns]
    assert payload["row"]["provenance"] == "primary"
    assert Path(payload["written_to"]) == (tmp_path / "mine" / "hardware.csv").resolve()


def test_written_row_passes_check_data_and_loads_as_hardware(capsys, tmp_path):
    out_dir = tmp_path / "mine"
    status, out, _ = run_cli(capsys, "--out", str(out_dir), "--quiet", "--name", "This box (measured)", *SMALL)
    assert status == 0 and "added the row 'This box (measured)'" in out and "BOOK_HARDWARE=" in out
    assert sorted(p.name for p in out_dir.iterdir()) == ["hardware.csv", "models.csv"]
    assert data.check_data_dir(out_dir) == []
    assert main(["check-data", str(out_dir)]) == 0
    row = data.get_hardware("This box (measured)", out_dir)
    assert isinstance(row, Hardware)
    assert row.hbm_bandwidth_Bps > 0 and row.supports("bf16") and not row.supports("fp8")
    assert row.extra["accept_extreme"]
    # Every column of the book's hardware.csv, in its order, then the waiver column; other rows kept.
    with (out_dir / "hardware.csv").open(newline="") as handle:
        header = next(csv.reader(handle))
    with (ROOT / "data" / "hardware.csv").open(newline="") as handle:
        book_header = next(csv.reader(handle))
    assert header == (book_header if "accept_extreme" in book_header else book_header + ["accept_extreme"])
    assert len(data.load_hardware(out_dir)) == len(data.load_hardware()) + 1


def test_a_second_run_replaces_the_row_of_the_same_name(capsys, tmp_path):
    out_dir = tmp_path / "mine"
    assert run_cli(capsys, "--out", str(out_dir), "--quiet", *SMALL)[0] == 0
    status, out, _ = run_cli(capsys, "--out", str(out_dir), "--quiet", *SMALL)
    assert status == 0 and "replaced the row" in out
    rows = list(csv.DictReader((out_dir / "hardware.csv").open(newline="")))
    measured = [r for r in rows if r["name"].endswith("(measured)")]
    assert len(measured) == 1 and len(rows) == len(data.load_hardware()) + 1


@CPU_RUN
def test_write_row_replaces_by_name_and_refuses_an_invalid_row(tmp_path, cpu_run):
    row = measure.hardware_row(cpu_run, "X (measured)")
    path, replaced = measure.write_row(row, tmp_path)
    assert not replaced
    path, replaced = measure.write_row({**row, "hbm_bandwidth_TBps": "0.5"}, tmp_path)
    assert replaced and data.get_hardware("X (measured)", tmp_path).hbm_bandwidth_Bps == pytest.approx(0.5e12)
    before = path.read_text()
    with pytest.raises(data.DataError) as error:
        measure.write_row({**row, "hbm_bandwidth_TBps": "0"}, tmp_path)
    problem = error.value.problems[0]
    assert problem.file == str(path) and problem.column == "hbm_bandwidth_TBps" and problem.value == "0"
    assert path.read_text() == before  # nothing written


@CPU_RUN
def test_writing_into_an_old_hardware_csv_without_provenance_names_the_column_and_the_file(tmp_path, cpu_run):
    """A reader's hardware.csv from before every table carried ``provenance``: one problem, naming the column
    and the file (not one blank cell per old row), and nothing written."""
    book = (ROOT / "data" / "hardware.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(book)))
    drop = rows[0].index("provenance")
    target = tmp_path / "hardware.csv"
    with target.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([r[:drop] + r[drop + 1:] for r in rows])
    (tmp_path / "models.csv").write_text((ROOT / "data" / "models.csv").read_text(encoding="utf-8"), encoding="utf-8")
    before = target.read_text(encoding="utf-8")
    with pytest.raises(data.DataError) as error:
        measure.write_row(measure.hardware_row(cpu_run, "X (measured)"), tmp_path)
    (problem,) = error.value.problems
    assert problem.file == str(target.resolve()) and problem.column == "provenance" and problem.line == 1
    assert "written before" in problem.expected
    assert target.read_text(encoding="utf-8") == before


def test_default_output_is_my_data_not_the_books_data(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert measure.output_dir(None, None) == (tmp_path / "my-data").resolve()
    monkeypatch.setenv(data.ENV_DATA_DIR, str(tmp_path / "env-dir"))
    assert measure.output_dir(None, None) == (tmp_path / "env-dir").resolve()
    assert measure.output_dir(str(tmp_path / "x"), None) == (tmp_path / "x").resolve()


# --------------------------------------------------------------------------------------------------
# The GPU path: the missing-library error, and a fake backend


def test_gpu_without_a_library_names_what_to_install(monkeypatch, capsys):
    with pytest.raises(measure.BackendUnavailable, match="PyTorch or CuPy"):
        measure.get_backend("cuda", available=lambda name: False)
    monkeypatch.setattr(measure, "_module_available", lambda name: False)
    status, out, err = run_cli(capsys, "--device", "cuda", "--json")
    assert status == 2 and out == ""
    assert "pip install" in err and "torch" in err.lower() and "cupy" in err.lower()
    with pytest.raises(ValueError, match="unknown device"):
        measure.get_backend("tpu")


class FakeGPU(measure.Backend):
    """A GPU that takes exactly the time its rates imply (with a small, fixed jitter): a mocked backend."""

    device = "cuda"
    device_name = "NVIDIA H100 80GB HBM3"
    vendor = "NVIDIA"
    library = "fake 0.0"
    element_bytes = 4
    RATES = {"copy": 3.1e12, "triad": 3.0e12, "fp32": 50e12, "fp16": 790e12, "bf16": 800e12, "fp8": 1400e12}

    def __init__(self):
        self.last = None
        self.jitter = itertools.cycle([1.0, 1.01, 0.99])

    def machine(self):
        return {"gpu": self.device_name, "host_cpu": "fake CPU"}

    def memory_bytes(self):
        return 80 * 2**30

    def precisions(self):
        return {"fp64": "not measured", "fp32": None, "fp16": None, "bf16": None, "fp8": None, "fp4": "no"}

    def allocate_stream(self, elements):
        return elements

    def copy(self, elements):
        self.last = self.RATES["copy"], measure.stream_bytes("copy", elements, 4)

    def triad(self, elements):
        self.last = self.RATES["triad"], measure.stream_bytes("triad", elements, 4)

    def allocate_matmul(self, n, precision):
        return n, precision

    def matmul(self, operands):
        n, precision = operands
        self.last = self.RATES[precision], measure.matmul_flops(n, n, n)

    def timed(self, fn):
        fn()
        rate, work = self.last
        return work / rate * next(self.jitter)


def cli_args(tmp_path, **overrides):
    import argparse

    args = dict(device="cuda", json=True, out=str(tmp_path / "gpu"), data_dir=None, name=None, datasheet=None,
                repetitions=3, array_MiB=None, matmul_n=None, no_write=False, quiet=True)
    args.update(overrides)
    return argparse.Namespace(**args)


def test_fake_gpu_matches_h100_and_prints_measured_over_datasheet(tmp_path):
    stdout, stderr = io.StringIO(), io.StringIO()
    assert measure.run_cli(cli_args(tmp_path), stdout, stderr, backend=FakeGPU()) == 0
    payload = json.loads(stdout.getvalue())
    assert payload["datasheet"]["name"] == "H100 SXM"
    ratios = payload["datasheet"]["measured_over_datasheet"]
    # Medians of (1.0, 1.01, 0.99)-jittered times are the exact rates: 3.0/3.35, 800/989, 1400/1979.
    assert ratios == pytest.approx({"hbm_bandwidth": 3.0 / 3.35, "bf16": 800 / 989, "fp8": 1400 / 1979})
    row = payload["row"]
    assert row["name"] == "NVIDIA H100 80GB HBM3 (measured)"
    assert (row["vendor"], row["year"], row["scale_up_domain_size"], row["tdp_W"]) == ("NVIDIA", "2022", "8", "700")
    assert float(row["dense_fp8_TFLOPs"]) == 1400 and float(row["hbm_bandwidth_TBps"]) == 3
    assert float(row["hbm_capacity_GB"]) == pytest.approx(85.9, abs=0.1)  # 80 GiB as the device reports it
    assert row["accept_extreme"] == ""  # every figure inside the span of the book's accelerators
    assert "from the datasheet row 'H100 SXM'" in row["notes"]
    hw = data.get_hardware(row["name"], tmp_path / "gpu")
    assert hw.flops("bf16") == pytest.approx(800e12)


def test_fake_gpu_table_output_names_the_ratios(tmp_path):
    stdout = io.StringIO()
    assert measure.run_cli(cli_args(tmp_path, json=False), stdout, io.StringIO(), backend=FakeGPU()) == 0
    text = stdout.getvalue()
    assert "measured ÷ datasheet ('H100 SXM'): HBM bandwidth 0.90, dense bf16 matmul 0.81, dense fp8 matmul 0.71" \
        in text


@pytest.mark.parametrize("device, expected", [
    ("NVIDIA H100 80GB HBM3", "H100 SXM"), ("NVIDIA H200", "H200 SXM"), ("NVIDIA B200", "B200"),
    ("NVIDIA GB200", "GB200 NVL72"), ("AMD Instinct MI300X", "MI300X"), ("NVIDIA A100-SXM4-80GB", "A100 SXM 80GB"),
    ("Intel Xeon Processor", None), ("NVIDIA GeForce RTX 4090", None)])
def test_match_datasheet(device, expected):
    rows = data.load_hardware()
    found = measure.match_datasheet(device, rows)
    assert (found.name if found else None) == expected


def test_match_datasheet_skips_measured_rows():
    rows = [data.get_hardware("H100 SXM")]
    measured = Hardware(**{**rows[0].__dict__, "name": "H100 SXM (measured)"})
    assert measure.match_datasheet("NVIDIA H100", [measured] + rows).name == "H100 SXM"
    assert measure.match_datasheet("NVIDIA H100", [measured]) is None


# --------------------------------------------------------------------------------------------------
# Published measurements: data/measured_hardware.csv


def test_published_fractions_by_hand():
    frame = measure.fractions().set_index(["measurement", "quantity"])
    # Azure's BabelStream triad on ND H100 v5: 2.97 TB/s of the datasheet's 3.35.
    assert frame.loc[("H100 SXM, Azure ND H100 v5", "hbm_bandwidth"), "fraction"] == pytest.approx(2.97 / 3.35)
    # Bekman's MAMF for H100 SXM, BF16: 794.5 of 989 dense TFLOP/s.
    assert frame.loc[("H100 SXM, MAMF finder", "bf16"), "fraction"] == pytest.approx(794.5 / 989)
    assert ((frame["fraction"] > 0) & (frame["fraction"] <= 1)).all()
    typical = measure.typical_fractions(frame.reset_index())
    assert set(typical) == {"hbm_bandwidth", "bf16", "fp8", "fp4"}
    assert 0.5 < typical["hbm_bandwidth"] < 1 and 0.5 < typical["bf16"] < 1


def test_measured_table_is_checked_by_check_data():
    assert "measured_hardware.csv" in data.SCHEMAS
    assert data.check_data_dir(data.DEFAULT_DATA_DIR) == []


def test_a_measurement_of_an_unknown_hardware_row_is_an_error(data_copy):
    path = data_copy / "measured_hardware.csv"
    rewrite_cell(path, "H100 SXM, MAMF finder", "hardware", "H100 SXM5")
    problems = data.check_data_dir(data_copy)
    assert len(problems) == 1
    p = problems[0]
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith('"H100 SXM, MAMF'))
    assert (Path(p.file).name, p.line, p.column, p.value, p.row_name) == (
        "measured_hardware.csv", line, "hardware", "H100 SXM5", "H100 SXM, MAMF finder")
    assert "a row of hardware.csv" in p.expected and "H100 SXM" in p.expected
    assert "measured_hardware.csv, line" in str(data.DataError(problems))


def test_bad_measured_rows_are_errors(data_copy):
    path = data_copy / "measured_hardware.csv"
    rewrite_cell(path, "B200, MAMF finder", "date", "July 2025")
    rewrite_cell(path, "MI300X, MAMF finder", "dense_bf16_TFLOPs", "")
    columns = {(p.row_name, p.column) for p in data.check_data_dir(data_copy)}
    assert columns == {("B200, MAMF finder", "date"), ("MI300X, MAMF finder", "hbm_bandwidth_TBps")}


def test_a_measurement_above_the_datasheet_is_a_unit_slip(data_copy):
    rewrite_cell(data_copy / "measured_hardware.csv", "H100 SXM, Azure ND H100 v5", "hbm_bandwidth_TBps", "2970")
    with pytest.raises(data.DataError, match=r"hbm_bandwidth_TBps.*(did you mean 2.97|at most the datasheet's 3.35)"):
        measure.fractions(data_copy)


def test_a_reader_directory_without_the_table_reads_the_books(tmp_path):
    for name in ("hardware.csv", "models.csv"):
        (tmp_path / name).write_bytes((ROOT / "data" / name).read_bytes())
    assert measure.measured_table_dir(tmp_path) == data.DEFAULT_DATA_DIR
    assert len(measure.fractions(tmp_path)) == len(measure.fractions())


# --------------------------------------------------------------------------------------------------
# The book on a measured CPU row: every notebook page executes (runs in `make test`, never skipped) in the matrix
# test, as its selection "measured-cpu" (tests/matrix.py, tests/test_matrix.py), where each page is also checked
# for what a reader must never see.
