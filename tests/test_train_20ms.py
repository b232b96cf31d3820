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
    # The first edition's seats: the blackboard B* of DeepSeek-V3 on H100 in bf16, (989e12 / 3.35e12) × 671 / 37
    assert tr.blackboard_seats(data.selection()) == round(989 / 3.35 * 671 / 37)
    # The refined seats: 10 H100s hold 671 GB of fp8 weights and ⌊(720 GB − 671.03 GB) / (4,989 · 70,272 B)⌋ = 139
    # sequences at DeepSeek's mean context of 4,989 tokens, far fewer than B* there
    streams = entries["concurrent streams that fill one train (refined seats)"]
    assert streams.derived == 139 and streams.kind == claims.STRUCTURAL and streams.verdict == claims.SHAPE_HOLDS
    seats = entries["seats on the train, min(B*, capacity) (refined)"]
    assert seats.derived == 139 and seats.kind == claims.SCENARIO_KIND
    assert seats.inputs["capacity"] == 139 and seats.inputs["pooled_B_star"] > 10_000
    assert seats.assumptions[0].value == 4989


def test_simulated_worst_case_below_and_over_capacity():
    entries = by_quantity(data.selection())
    period = 80e9 / 3.35e12
    below = entries["simulated worst-case latency, load 0.9 (refined seats)"]
    over = entries["simulated worst-case latency, load 1.05 (refined seats)"]
    # 139 seats at 90% load: arrivals per period fluctuate by √125 ≈ 11 around 125, so a few trains overflow
    assert period < below.derived < 3 * period
    assert over.derived > 10 * period and over.verdict == claims.FAILS


def test_the_refined_step_at_the_seats_is_about_a_full_drain():
    """A replica whose HBM is full of weights and KV steps in about (1 − reserve) · T: the step reads it all."""
    step = by_quantity(data.selection())["decode step at the train's seats (refined)"]
    period = 80e9 / 3.35e12
    assert 0.8 * period < step.derived < period and step.verdict == claims.HOLDS


def test_continuous_batching_and_mtp_entries():
    e = by_quantity(data.selection())
    ttft50, ttft99 = e["continuous batching: TTFT p50, load 0.8"], e["continuous batching: TTFT p99, load 0.8"]
    assert ttft50.derived < ttft99.derived and ttft99.verdict == claims.FAILS
    assert ttft50.assumptions[0].name == "token_budget" and ttft50.sensitivity is not None
    assert e["MTP tokens per step per sequence (γ = 1)"].derived == pytest.approx(1.875)
    assert 1.5 < e["MTP per-user speed-up at the train's seats"].derived < 1.85
    assert e["MTP cost per token ÷ plain, at the train's seats"].derived < 1
    stops = e["MTP stops paying once every weight operation is compute bound"]
    assert stops.verdict == claims.SHAPE_HOLDS and stops.robust
    assert 0 < e["optimal batch in sequences with MTP ÷ without"].derived < 0.5


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
