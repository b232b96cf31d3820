"""Ledger entries and helpers of the chapter batch-300x-sparsity, against hand calculations."""

import pytest

from lib import claims, data, roofline
from lib.derivations import batch_300x_sparsity as bs


def by_quantity(sel):
    return {e.quantity: e for e in claims.derive("batch-300x-sparsity", sel)}


def test_default_entries_by_hand():
    e = by_quantity(data.selection())
    assert e["ridge point F / W_hbm (bf16)"].derived == pytest.approx(989 / 3.35)
    assert e["ridge point F / W_hbm (bf16)"].verdict == claims.HOLDS
    assert e["DeepSeek sparsity N_total / N_active"].derived == pytest.approx(671 / 37)
    assert e["DeepSeek sparsity N_total / N_active"].verdict == claims.FAILS
    assert e["DeepSeek routed experts active per token"].derived == 8
    assert e["optimal batch B* for DeepSeek"].derived == pytest.approx(989 / 3.35 * 671 / 37)
    assert e["B* with the talk's sparsity 8"].derived == pytest.approx(989 / 3.35 * 8)
    assert e["B* with the talk's sparsity 8"].verdict == claims.HOLDS
    assert e["trains per second, 1 / T"].derived == pytest.approx(3.35 / 80e-3)
    assert e["tokens/s per replica, B* × 1/T"].derived == pytest.approx(989 / 3.35 * 671 / 37 * 3.35e12 / 80e9)
    google = 1.3e15 / (365.2425 / 12 * 86400)
    assert e["replica ÷ Google's reported global tokens/s"].derived == pytest.approx(
        989 / 3.35 * 671 / 37 * 3.35e12 / 80e9 / google)


def test_ridge_extremes_a100_to_rubin():
    e = by_quantity(data.selection())
    assert e["lowest NVIDIA ridge, A100 → Rubin (bf16)"].derived == pytest.approx(312 / 2.039)
    assert e["highest NVIDIA ridge, A100 → Rubin (bf16)"].derived == pytest.approx(8350 / 22)


def test_precision_cancels_where_flops_double():
    h100 = data.get_hardware("H100 SXM")
    assert bs.optimal_batch_at(h100, 10, "fp8") == pytest.approx(1979 / 3.35 * 10 * 0.5)
    assert bs.optimal_batch_at(h100, 10, "fp8") / bs.optimal_batch_at(h100, 10) == pytest.approx(1979 / 1978)
    v5p = data.get_hardware("TPU v5p")  # fp8 at bf16 speed: B* halves
    assert bs.optimal_batch_at(v5p, 1, "fp8") / bs.optimal_batch_at(v5p, 1) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        bs.optimal_batch_at(h100, 1, "fp4")


def test_precision_table_covers_supported_formats_only():
    rows = bs.precision_table(data.load_hardware(), sparsity=2.0)
    assert {(r["hardware"], r["precision"]) for r in rows if r["hardware"] == "H100 SXM"} == {
        ("H100 SXM", "bf16"), ("H100 SXM", "fp8")}
    for r in rows:
        assert r["b_star"] == pytest.approx(r["ridge"] * 2.0 * {"bf16": 2, "fp8": 1, "fp4": 0.5}[r["precision"]] / 2)


def test_headroom_context_solves_the_sweet_spot():
    h100, ds = data.get_hardware("H100 SXM"), data.get_model("DeepSeek-V3")
    length = bs.headroom_context_tokens(h100, ds, 3.0)
    # kv(L) = (2/3) · 2 N_active W / F, MLA: 70,272 bytes per token, no windows
    expected = (2 / 3) * 2 * 37e9 * 3.35e12 / 989e12 / 70_272
    assert length == pytest.approx(expected, rel=0.01)
    b_star = float(roofline.optimal_batch(989e12, 3.35e12, 671 / 37))
    assert float(roofline.crossover_batch(h100, ds, length)) == pytest.approx(3 * b_star, rel=0.02)
    with pytest.raises(ValueError):
        bs.headroom_context_tokens(h100, ds, 1.0)


def test_data_without_deepseek_is_not_derived(data_copy):
    import csv
    path = data_copy / "models.csv"
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([r for r in rows if r[0] != "DeepSeek-V3"])
    sel = data.selection(model="Kimi K2", data_dir=data_copy)
    e = by_quantity(sel)
    assert e["optimal batch B* for DeepSeek"].verdict == claims.NOT_DERIVED
    assert e["ridge point F / W_hbm (bf16)"].derived == pytest.approx(989 / 3.35)


def test_data_without_reports_is_not_derived(data_copy):
    path = data_copy / "throughput_reports.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")   # the reader's table, with no report in it
    e = by_quantity(data.selection(data_dir=data_copy))
    assert e["replica ÷ Google's reported global tokens/s"].verdict == claims.NOT_DERIVED


def test_a_directory_without_the_reports_table_reads_the_books(data_copy):
    (data_copy / "throughput_reports.csv").unlink()
    e = by_quantity(data.selection(data_dir=data_copy))
    assert e["replica ÷ Google's reported global tokens/s"].verdict != claims.NOT_DERIVED
