"""Ledger entries and helpers of the chapter train-20ms, against hand calculations from data/hardware.csv."""

import numpy as np
import pytest

from lib import claims, data
from lib.derivations import train_20ms as tr


def by_quantity(sel):
    return {e.quantity: e for e in claims.derive("train-20ms", sel)}


def test_default_entries_by_hand():
    entries = by_quantity(data.selection())
    assert entries["HBM drain time C_hbm / W_hbm"].derived == pytest.approx(80e9 / 3.35e12)
    assert entries["worst-case wait, two periods"].derived == pytest.approx(2 * 80e9 / 3.35e12)
    # NVIDIA rows: longest A100 (80 GB / 2.039 TB/s), shortest Rubin (288 GB / 22 TB/s)
    spread = entries["NVIDIA drain-time spread, longest ÷ shortest"]
    assert spread.derived == pytest.approx((80 / 2.039) / (288 / 22), rel=1e-6)
    assert spread.verdict == claims.FAILS
    # B* of DeepSeek-V3 on H100 in bf16: (989e12 / 3.35e12) × 671 / 37
    assert entries["concurrent streams that fill one train (B*)"].derived == round(989 / 3.35 * 671 / 37)


def test_simulated_worst_case_below_and_over_capacity():
    entries = by_quantity(data.selection())
    period = 80e9 / 3.35e12
    below = entries["simulated worst-case latency, load 0.9 (B = B*)"]
    over = entries["simulated worst-case latency, load 1.05 (B = B*)"]
    assert period < below.derived <= 2 * period
    assert over.derived > 10 * period and over.verdict == claims.FAILS


def test_every_verdict_is_known_and_expectations_hold():
    entries = claims.derive("train-20ms", data.selection())
    assert all(e.verdict in claims.VERDICTS for e in entries)
    assert all(e.derived is not None for e in entries)


def test_without_nvidia_rows_the_spread_is_not_derived(data_copy):
    import csv
    path = data_copy / "hardware.csv"
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    keep = [rows[0]] + [r for r in rows[1:] if r[1] != "NVIDIA"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(keep)
    sel = data.selection(hardware="MI300X", data_dir=data_copy)
    entries = by_quantity(sel)
    assert entries["NVIDIA drain-time spread, longest ÷ shortest"].verdict == claims.NOT_DERIVED
    assert entries["HBM drain time C_hbm / W_hbm"].derived == pytest.approx(192e9 / 5.3e12)


def test_drain_times_and_vendor_rows():
    hardware = data.load_hardware()
    nvidia = tr.vendor_rows(hardware)
    assert nvidia and all(h.vendor == "NVIDIA" for h in nvidia)
    times = tr.drain_times_s(hardware)
    assert np.all(times > 0) and times.shape == (len(hardware),)


def test_vendor_rows_count_a_memory_system_once():
    """The H800 has the H100's HBM (80 GB at 3.35 TB/s): one drain time, one data point in the median."""
    hardware = data.load_hardware()
    names = [h.name for h in tr.vendor_rows(hardware)]
    assert "H100 SXM" in names and "H800 SXM" not in names
    h800 = next(h for h in hardware if h.name == "H800 SXM")
    assert "H800 SXM" in [h.name for h in tr.vendor_rows([h800])]  # alone, it counts
    memories = {(h.hbm_capacity_bytes, h.hbm_bandwidth_Bps) for h in hardware if h.vendor == "NVIDIA"}
    assert len(names) == len(memories)
