"""lib.memory_tiers: drain times, Gray-Putzolu break-even intervals and reload ratios, against hand
calculations, invariants and bad input."""

import numpy as np
import pytest

from conftest import rewrite_cell
from lib import claims, data, memory_tiers as mt
from lib.data import DataError


def tier(name):
    return next(t for t in mt.load_memory_tiers() if t.name == name)


def test_drain_times_match_datasheet_arithmetic():
    # Micron 9400: 30.72 TB at 7 GB/s; Seagate Exos X24: 24 TB at 285 MB/s.
    assert tier("Micron 9400 PRO 30.72 TB").drain_time_s == pytest.approx(30.72e12 / 7e9)
    assert tier("Seagate Exos X24 24 TB").drain_time_s == pytest.approx(24e12 / 285e6)
    assert tier("Seagate Exos X24 24 TB").drain_time_s / 3600 == pytest.approx(23.4, abs=0.1)
    # Striping identical drives leaves the drain time unchanged.
    assert tier("Disk storage node (60 x Exos X24)").drain_time_s == pytest.approx(
        tier("Seagate Exos X24 24 TB").drain_time_s)
    assert tier("H100 SXM HBM3").drain_time_s == pytest.approx(data.get_hardware("H100 SXM").hbm_drain_time_s)
    with pytest.raises(ValueError):
        mt.drain_time_s(0, 1e9)


def test_device_drain_time_is_its_own_break_even():
    t = tier("Micron 9400 PRO 7.68 TB")
    assert t.usd_per_Bps / t.usd_per_byte == pytest.approx(t.drain_time_s)
    assert tier("Micron 9650 PRO 30.72 TB (PCIe 6.0)").usd_per_byte is None


def test_gray_putzolu_1987_five_minutes():
    # Gray & Putzolu (1987) prices, CPU cost left out: a 1 KB page; RAM at $5 per KB; a $15,000 disk doing 15
    # accesses/s. Fetching
    # the page every tau seconds costs 15000/15 * (1/tau) dollars of disk; keeping it costs $5: tau = 200 s.
    page_B = 1024
    usd_per_byte_ram = 5.0 / page_B
    usd_per_Bps_disk = 15000 / (15 * page_B)
    assert float(mt.break_even_interval_s(usd_per_byte_ram, usd_per_Bps_disk)) == pytest.approx(200.0)


def test_break_even_is_zero_when_the_tier_reads_cost_more():
    assert float(mt.break_even_interval_s(1e-9, 1e-6, 2e-6)) == 0.0
    out = mt.break_even_interval_s(np.array([1e-9, 2e-9]), 1e-6)
    assert out[0] == pytest.approx(2 * out[1])
    with pytest.raises(ValueError, match="capacity price"):
        mt.break_even_interval_s(0.0, 1e-6)


def test_recompute_bandwidth_and_reload_ratio():
    # H100 fp8, DeepSeek-V3: 1979e12 * 35,136 B / (2 * 37e9) bytes of KV regenerated per second.
    rate = float(mt.recompute_bandwidth_Bps(1979e12, 37e9, 35136))
    assert rate == pytest.approx(1979e12 * 35136 / 74e9)
    # Reload ÷ recompute equals recompute bandwidth ÷ tier bandwidth.
    assert float(mt.reload_to_recompute_ratio(35136, 7e9, 1979e12, 37e9)) == pytest.approx(rate / 7e9)
    with pytest.raises(ValueError):
        mt.recompute_bandwidth_Bps(0, 37e9, 1)


def test_human_duration():
    assert mt.human_duration(0.0239) == "24 ms"
    assert mt.human_duration(300) == "5 min"
    assert mt.human_duration(84210) == "23 h"
    assert mt.human_duration(4 * 86400) == "4 days"
    with pytest.raises(ValueError):
        mt.human_duration(float("nan"))


def test_malformed_tier_row_names_the_column(data_copy):
    rewrite_cell(data_copy / "memory_tiers.csv", "Seagate Exos X24 24 TB", "bandwidth_GBps", "-1")
    rewrite_cell(data_copy / "memory_tiers.csv", "Micron 9400 PRO 7.68 TB", "tier", "tape")
    with pytest.raises(DataError) as info:
        mt.load_memory_tiers(data_copy)
    assert {p.column for p in info.value.problems} == {"bandwidth_GBps", "tier"}


def test_every_price_is_dated_and_an_undated_price_is_refused(data_copy):
    tiers = {t.name: t for t in mt.load_memory_tiers()}
    assert all(t.price_as_of for t in tiers.values() if t.price_usd is not None)
    # The H100's price is the Raymond James estimate Barron's reported in August 2023 (row notes)
    assert tiers["H100 SXM HBM3"].price_as_of == "2023-08" and tiers["DGX H100 HBM (8 x H100)"].price_as_of is None
    rewrite_cell(data_copy / "memory_tiers.csv", "DDR5-6400 RDIMM 256 GB", "as_of", "")
    rewrite_cell(data_copy / "memory_tiers.csv", "Seagate Exos X24 24 TB", "as_of", "early 2025")
    with pytest.raises(DataError) as error:
        mt.load_memory_tiers(data_copy)
    found = {(p.row_name, p.column) for p in error.value.problems}
    assert found == {("DDR5-6400 RDIMM 256 GB", "as_of"), ("Seagate Exos X24 24 TB", "as_of")}
    assert any("date of the price" in p.expected for p in error.value.problems)


def test_cache_ledger_on_default_data_and_without_prices(data_copy):
    sel = data.selection()
    entries = {e.quantity: e for e in claims.derive("cache-tiers", sel)}
    assert entries["drain time of spinning disk (median of distinct rows)"].verdict == claims.FAILS
    rewrite_cell(data_copy / "memory_tiers.csv", "H100 SXM HBM3", "price_USD", "")
    other = {e.quantity: e for e in claims.derive("cache-tiers", data.selection(data_dir=data_copy))}
    assert other["break-even residence in flash vs recompute (Gray)"].verdict == claims.NOT_DERIVED


def test_reader_data_without_the_tables_falls_back_to_the_books(data_copy):
    from lib import pricing
    (data_copy / "memory_tiers.csv").unlink()
    (data_copy / "prices.csv").unlink()
    assert len(mt.load_memory_tiers(data_copy)) == len(mt.load_memory_tiers())
    assert len(pricing.load_prices(data_copy)) == len(pricing.load_prices())
