"""Validation on load: every kind of bad cell is an error naming file, line, column, value and expectation."""

import csv

import pytest

from lib import data
from lib.data import DataError, SelectionError

from conftest import rewrite_cell


def problems_of(directory):
    data.clear_cache()
    with pytest.raises(DataError) as info:
        data.load_hardware(directory)
        data.load_models(directory)
    return info.value


def test_book_data_is_valid():
    assert data.check_data_dir(data.DEFAULT_DATA_DIR) == []
    assert len(data.load_hardware()) >= 15
    assert len(data.load_models()) >= 7


def test_every_row_cites_a_source():
    for row in data.load_hardware() + data.load_models():
        assert row.source.strip(), row.name


@pytest.mark.parametrize("column, value, expected", [
    ("hbm_bandwidth_TBps", "fast", "positive number"),
    ("hbm_bandwidth_TBps", "", "not blank"),
    ("hbm_capacity_GB", "0", "positive number"),
    ("hbm_capacity_GB", "-80", "positive number"),
    ("dense_bf16_TFLOPs", "nan", "finite"),
    ("year", "2022.5", "integer"),
    ("scale_up_domain_size", "eight", "integer"),
])
def test_bad_hardware_cell_names_file_line_column_and_value(data_copy, column, value, expected):
    rewrite_cell(data_copy / "hardware.csv", "H100 SXM", column, value)
    error = problems_of(data_copy)
    assert len(error.problems) == 1
    p = error.problems[0]
    assert p.file.endswith("hardware.csv") and p.column == column and p.row_name == "H100 SXM"
    assert p.value == value and expected in p.expected
    message = str(error)
    assert "hardware.csv" in message and "line 4" in message and column in message and expected in message


def test_active_above_total_is_rejected(data_copy):
    rewrite_cell(data_copy / "models.csv", "DeepSeek-V3", "active_params_B", "700")
    error = problems_of(data_copy)
    assert error.problems[0].column == "active_params_B"
    assert "active params ≤ total params" in str(error)


def test_unknown_attention_type_is_rejected(data_copy):
    rewrite_cell(data_copy / "models.csv", "Llama 3.1 70B", "attention", "linear")
    error = problems_of(data_copy)
    assert "one of mha, gqa, mla" in str(error) and "'linear'" in str(error)


def test_duplicate_names_are_rejected(data_copy):
    path = data_copy / "hardware.csv"
    lines = path.read_text().splitlines()
    h100 = next(line for line in lines if line.startswith("H100 SXM,"))
    path.write_text("\n".join(lines + [h100]) + "\n")
    error = problems_of(data_copy)
    assert "unique name" in str(error) and "H100 SXM" in str(error)


def test_missing_column_is_reported(data_copy):
    path = data_copy / "hardware.csv"
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    drop = rows[0].index("tdp_W")
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows([r[:drop] + r[drop + 1:] for r in rows])
    error = problems_of(data_copy)
    assert "'tdp_W'" in str(error)


def test_column_in_an_unknown_unit_is_named(data_copy):
    path = data_copy / "hardware.csv"
    text = path.read_text().replace("hbm_bandwidth_TBps", "hbm_bandwidth_GBps", 1)
    path.write_text(text)
    error = problems_of(data_copy)
    assert "hbm_bandwidth_GBps" in str(error) and "TBps" in str(error)


def test_every_problem_is_reported_at_once(data_copy):
    rewrite_cell(data_copy / "hardware.csv", "H100 SXM", "tdp_W", "-1")
    rewrite_cell(data_copy / "hardware.csv", "B200", "hbm_capacity_GB", "lots")
    problems = data.check_data_dir(data_copy)
    assert {(p.row_name, p.column) for p in problems} == {("H100 SXM", "tdp_W"), ("B200", "hbm_capacity_GB")}


def test_short_row_is_reported(data_copy):
    path = data_copy / "hardware.csv"
    path.write_text(path.read_text() + "Broken,ACME,2025,80\n")
    assert "cells, one per column" in str(problems_of(data_copy))


def test_unknown_selection_lists_valid_names(monkeypatch):
    monkeypatch.setenv("BOOK_HARDWARE", "H900")
    with pytest.raises(SelectionError, match="unknown hardware 'H900'.*'H100 SXM'"):
        data.selection()
    monkeypatch.setenv("BOOK_HARDWARE", "B200")
    monkeypatch.setenv("BOOK_MODEL", "GPT-9")
    with pytest.raises(SelectionError, match="unknown model 'GPT-9'.*'DeepSeek-V3'"):
        data.selection()


def test_selection_from_environment(monkeypatch, data_copy):
    monkeypatch.setenv("BOOK_HARDWARE", "B200")
    monkeypatch.setenv("BOOK_MODEL", "Kimi K2")
    monkeypatch.setenv("BOOK_DATA_DIR", str(data_copy))
    sel = data.selection()
    assert (sel.hardware.name, sel.model.name, sel.data_dir) == ("B200", "Kimi K2", data_copy.resolve())
    assert not sel.is_default
    monkeypatch.delenv("BOOK_HARDWARE")
    monkeypatch.delenv("BOOK_MODEL")
    monkeypatch.delenv("BOOK_DATA_DIR")
    assert data.selection().is_default


def test_missing_data_directory_is_an_error(tmp_path):
    with pytest.raises(DataError, match="existing data directory"):
        data.load_hardware(tmp_path / "nope")
    with pytest.raises(DataError, match="hardware.csv"):
        data.load_hardware(tmp_path)


def test_table_dir_falls_back_only_for_a_missing_table(tmp_path, data_copy):
    (tmp_path / "hardware.csv").write_text((data_copy / "hardware.csv").read_text())
    (tmp_path / "models.csv").write_text((data_copy / "models.csv").read_text())
    assert data.table_dir("prices.csv", tmp_path) == data.DEFAULT_DATA_DIR
    assert data.table_dir("prices.csv", data_copy) == data_copy.resolve()


def test_a_malformed_chapter_table_is_never_replaced_by_the_books_copy(data_copy):
    from lib import claims

    rewrite_cell(data_copy / "scale_up_domains.csv", "HGX H100 8-GPU", "domain_packages", "eight")
    sel = data.selection(data_dir=data_copy)
    with pytest.raises(DataError, match="scale_up_domains.csv"):
        claims.derive("scale-up-domains", sel)


# --------------------------------------------------------------------------------------------------
# Plausibility: a value in the wrong unit is an error that names the likely mistake


def only_problem(directory):
    problems = data.check_data_dir(directory)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize("column, value, meant, mistake", [
    ("hbm_bandwidth_TBps", "3700", "3.7", "×1000 unit-prefix slip"),       # GB/s typed in a TB/s column
    ("hbm_bandwidth_TBps", "3350", "3.35", "×1000 unit-prefix slip"),
    ("dense_bf16_TFLOPs", "0.989", "989", "÷1000 unit-prefix slip"),        # PFLOP/s typed in TFLOP/s
    ("scale_up_bandwidth_GBps", "4200", "525", "bits typed for bytes"),    # Gbit/s typed in GB/s
    ("scale_out_bandwidth_GBps", "400", "50", "per-node figure for 8 accelerators"),
    ("tdp_W", "5600", "700", "per-node figure"),
])
def test_unit_slip_names_file_line_column_value_and_the_likely_mistake(data_copy, column, value, meant, mistake):
    rewrite_cell(data_copy / "hardware.csv", "H100 SXM", column, value)
    p = only_problem(data_copy)
    assert p.file.endswith("hardware.csv") and p.line == 4 and p.column == column and p.value == value
    text = str(p)
    assert f"did you mean {meant} (" in text and mistake in text, text
    assert "accept_extreme" in text  # how to keep a genuinely extreme value


def test_the_issue_example_reads_as_written(data_copy):
    rewrite_cell(data_copy / "hardware.csv", "H100 SXM", "hbm_bandwidth_TBps", "3700")
    assert "3700 TB/s — did you mean 3.7" in str(only_problem(data_copy))


def test_sparse_fp8_beside_dense_bf16_is_caught(data_copy):
    rewrite_cell(data_copy / "hardware.csv", "H100 SXM", "dense_fp8_TFLOPs", "3958")  # 2 × 1979, sparse
    p = only_problem(data_copy)
    assert p.column == "dense_fp8_TFLOPs" and "sparse figure" in p.expected and "4×" in p.expected


def test_derived_ridge_point_and_drain_time_are_checked(data_copy):
    rewrite_cell(data_copy / "hardware.csv", "H100 SXM", "dense_bf16_TFLOPs", "30000")  # in range on its own
    p = only_problem(data_copy)
    assert "ridge point" in p.expected and p.column == "dense_bf16_TFLOPs, hbm_bandwidth_TBps"
    assert p.value == "8955 FLOP/byte"
    rewrite_cell(data_copy / "hardware.csv", "H100 SXM", "dense_bf16_TFLOPs", "989")
    rewrite_cell(data_copy / "hardware.csv", "H100 SXM", "hbm_capacity_GB", "2000")   # 597 ms to drain
    p = only_problem(data_copy)
    assert "drain time" in p.expected and p.value == "597 ms"


def add_accept_extreme(path, row_name, columns):
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    if "accept_extreme" not in rows[0]:
        rows[0].append("accept_extreme")
        for r in rows[1:]:
            if r:
                r.append("")
    col = rows[0].index("accept_extreme")
    for r in rows[1:]:
        if r and r[0] == row_name:
            r[col] = columns
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_accept_extreme_waives_the_range_but_not_the_hard_checks(data_copy):
    path = data_copy / "hardware.csv"
    rewrite_cell(path, "H100 SXM", "hbm_bandwidth_TBps", "0.05")           # a CPU-like bandwidth
    rewrite_cell(path, "H100 SXM", "tdp_W", "20")
    assert {p.column for p in data.check_data_dir(data_copy)} >= {"hbm_bandwidth_TBps", "tdp_W"}
    add_accept_extreme(path, "H100 SXM", "hbm_bandwidth_TBps;tdp_W")
    assert data.check_data_dir(data_copy) == []                             # ranges and derived checks waived
    data.clear_cache()
    assert data.get_hardware("H100 SXM", data_copy).hbm_bandwidth_Bps == pytest.approx(0.05e12)
    rewrite_cell(path, "H100 SXM", "tdp_W", "-20")                          # hard checks still apply
    assert only_problem(data_copy).column == "tdp_W"
    rewrite_cell(path, "H100 SXM", "tdp_W", "20")
    rewrite_cell(path, "H100 SXM", "accept_extreme", "hbm_bandwidth_TBps;tdp_W;hbm_bandwith_TBps")  # a typo
    p = only_problem(data_copy)
    assert p.column == "accept_extreme" and p.value == "hbm_bandwith_TBps" and "'hbm_bandwidth_TBps'" in p.expected


def test_misspelled_column_names_what_was_found_and_the_closest_expected_name(data_copy):
    path = data_copy / "hardware.csv"
    path.write_text(path.read_text().replace("hbm_bandwidth_TBps", "hbm_bandwith_TBps", 1))
    p = only_problem(data_copy)
    assert p.value == "hbm_bandwith_TBps" and "'hbm_bandwidth_TBps', the closest expected column name" in p.expected


def test_key_value_tables_are_ranged_by_their_key(data_copy):
    rewrite_cell(data_copy / "power_constants.csv", "us_peak_demand", "value", "745020000")   # kW typed for MW
    p = only_problem(data_copy)
    assert p.column == "value" and "7.450e+08 MW — did you mean 7.45e+05 (a ×1000 unit-prefix slip)" in p.expected
    rewrite_cell(data_copy / "power_constants.csv", "us_peak_demand", "value", "745020")
    rewrite_cell(data_copy / "power_constants.csv", "radiator_emissivity", "value", "90")  # percent typed
    assert "did you mean 0.9 (a percentage typed for a fraction)" in only_problem(data_copy).expected


def test_every_numeric_column_of_every_table_has_a_plausible_range():
    data._import_table_owners()
    missing = [f"{s.file}:{c.name}" for s in data.SCHEMAS.values() for c in s.columns
               if c.kind in ("int", "float") and c.plausible is None]
    assert not missing, missing


@pytest.mark.parametrize("low, high", [(2, 1)])
def test_a_range_must_be_ordered(low, high):
    with pytest.raises(ValueError):
        data.Plausible(low, high)
