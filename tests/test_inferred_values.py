"""lib.provenance: inferred hardware values, kept in their own table, and the marks they put on pages."""

import pytest

from lib import data, provenance
from lib.data import DataError

from conftest import rewrite_cell


def test_every_inferred_value_names_a_real_row_and_column():
    hardware = {h.name for h in data.load_hardware()}
    rows = provenance.load_inferred()
    assert rows and all(r.hardware in hardware for r in rows)
    assert all(r.column in provenance.INFERABLE_COLUMNS and r.how_inferred and r.source for r in rows)


def test_rubin_bf16_and_tdp_are_marked():
    cols = provenance.inferred_columns("Rubin (announced)")
    assert {"dense_bf16_TFLOPs", "tdp_W"} <= set(cols)
    assert provenance.rests_on("Rubin (announced)", ["hbm_bandwidth_TBps", "tdp_W", "dense_bf16_TFLOPs"]) == \
        ["tdp_W", "dense_bf16_TFLOPs"]
    assert provenance.marker("H100 SXM", ["dense_bf16_TFLOPs"]) == ""
    assert provenance.marker("Rubin (announced)", ["dense_bf16_TFLOPs"]) == " (inferred: dense_bf16_TFLOPs)"


def test_a_pair_listed_twice_is_an_error(data_copy):
    path = data_copy / "inferred_values.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + 'Rubin (announced),tdp_W,"a second explanation",somewhere,estimate\n', encoding="utf-8")
    with pytest.raises(DataError) as info:
        provenance.load_inferred(data_copy)
    assert info.value.problems[0].column == "column" and "already on line" in info.value.problems[0].expected


def test_unknown_column_is_rejected(data_copy):
    rewrite_cell(data_copy / "inferred_values.csv", "Trainium3", "column", "tdp_watts")
    with pytest.raises(DataError) as info:
        provenance.load_inferred(data_copy)
    assert info.value.problems[0].value == "tdp_watts"


def test_trainium_rows_published():
    trn2, trn3 = data.get_hardware("Trainium2"), data.get_hardware("Trainium3")
    # AWS Neuron docs: 667 BF16 / 1,299 FP8 dense TFLOPS, 96 GiB at 2.9 TB/s; Trn3: 671 / 2,517, 144 GiB at 4.9 TB/s
    assert (trn2.flops("bf16"), trn2.flops("fp8")) == (667e12, 1299e12)
    assert trn2.hbm_capacity_bytes == pytest.approx(96 * 2 ** 30, rel=1e-3)
    assert trn3.hbm_capacity_bytes == pytest.approx(144 * 2 ** 30, rel=1e-3) and trn3.hbm_bandwidth_Bps == 4.9e12
    # the Trn3 Gen2 UltraServer: 362,448 MXFP8 TFLOPS over 144 chips
    assert trn3.scale_up_domain_size * trn3.flops("fp8") == pytest.approx(362_448e12)
