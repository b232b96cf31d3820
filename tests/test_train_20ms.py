"""Ledger entries and helpers of the chapter train-20ms, against hand calculations from data/hardware.csv."""

import math

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
    # The refined seats on the standard-mode replica: 19 H100s (671 GB of fp8 weights at ≤ 50% of 72 GB usable
    # each) hold ⌊(1,368 GB − 671.03 GB) / (4,989 · 35,136 B)⌋ = 3,976 sequences of fp8 KV; B* ≈ 2,842 binds
    seats = entries["seats on the train, min(B*, capacity) (refined)"]
    assert seats.kind == claims.SCENARIO_KIND and seats.inputs["chips"] == 19 and seats.inputs["capacity"] == 3976
    assert seats.derived == round(seats.inputs["pooled_B_star"]) and 2000 < seats.derived < 3976
    assert seats.assumptions[0].value == 4989
    # Streams that saturate a replica: refined B* ÷ the blackboard's 5,354
    ratio = entries["streams that saturate one replica, refined B* ÷ blackboard B*"]
    assert ratio.derived == pytest.approx(seats.inputs["pooled_B_star"] / round(989 / 3.35 * 671 / 37), rel=1e-4)
    reach = entries["one replica can be saturated: refined B* ÷ the replica's capacity"]
    assert reach.derived == pytest.approx(seats.inputs["pooled_B_star"] / 3976, rel=1e-4) and reach.verdict == claims.SHAPE_HOLDS


def test_saturation_can_fail():
    """Llama 3.1 70B (GQA, fp8 KV) keeps every batch memory bound at 4,989 tokens: B* is unbounded, so
    no number of users saturates its replica and the structural entry fails."""
    entries = by_quantity(data.selection(model="Llama 3.1 70B"))
    reach = entries["one replica can be saturated: refined B* ÷ the replica's capacity"]
    assert reach.derived == float("inf") and reach.verdict == claims.SHAPE_FAILS


def test_one_run_for_the_table_and_the_ledger():
    """The chapter's grid at ρ = 0.8 (conversation, 8,192 tokens a step) is the ledger's continuous-batching run."""
    sel = data.selection()
    summaries, _ = tr.batching_grid(sel, np.array([tr.CB_LOAD]))
    row = next(r for r in summaries if r["scenario"] == "conversation (Azure 2023)"
               and r["policy"] == next(iter(tr.POLICIES)))
    entries = by_quantity(sel)
    assert row["ttft_p99"] == entries["continuous batching: TTFT p99, load 0.8"].derived
    assert row["ttft_p50"] == entries["continuous batching: TTFT p50, load 0.8"].derived
    assert row["tpot_p50"] == entries["continuous batching: TPOT p50, load 0.8"].derived


def test_simulated_worst_case_below_and_over_capacity():
    entries = by_quantity(data.selection())
    period = 80e9 / 3.35e12
    below = entries["simulated worst-case latency, load 0.9 (refined seats)"]
    over = entries["simulated worst-case latency, load 1.05 (refined seats)"]
    # ≈ 2,842 seats at 90% load: arrivals per period fluctuate by √2,558 ≈ 51 around 2,558, so trains rarely overflow
    assert period < below.derived < 3 * period
    assert over.derived > 10 * period and over.verdict == claims.FAILS


def test_the_refined_step_at_the_seats_by_hand():
    """At B* the step lasts at least its pooled memory time, the weights plus B* caches read once over 19 chips."""
    e = by_quantity(data.selection())
    step = e["decode step at the train's seats (refined)"]
    b = e["seats on the train, min(B*, capacity) (refined)"].derived
    memory = (671.03e9 + b * 4989 * 576 * 61) / (19 * 3.35e12)
    period = 80e9 / 3.35e12
    assert memory < step.derived < 1.25 * 1.1 * period and step.verdict == claims.LOOSE


def test_continuous_batching_and_mtp_entries():
    from lib import speculative as sd
    e = by_quantity(data.selection())
    ttft50, ttft99 = e["continuous batching: TTFT p50, load 0.8"], e["continuous batching: TTFT p99, load 0.8"]
    assert ttft50.derived < ttft99.derived and ttft99.verdict == claims.FAILS
    assert ttft50.assumptions[0].name == "token_budget" and ttft50.sensitivity is not None
    assert e["MTP tokens per step per sequence (γ = 1)"].derived == pytest.approx(1.875)
    # At B* the step is near balance, so the speed-up sits between 1 and μ
    assert 1.0 < e["MTP per-user speed-up at the train's seats"].derived < 1.875
    pays = e["MTP pays at the train's seats: cost per token ÷ plain"]
    assert pays.kind == claims.STRUCTURAL and pays.derived < 1 and pays.verdict == claims.SHAPE_HOLDS
    # The compute-bound ratio is the identity (γ + 1 + γ c_draft) / μ, stated as such (a scenario, not a test)
    identity = e["MTP cost ÷ plain once every weight operation is compute bound"]
    assert identity.kind == claims.SCENARIO_KIND and identity.derived == pytest.approx((2 + 1 / 61) / 1.875, rel=1e-6)
    assert 0 < e["optimal batch in sequences with MTP ÷ without"].derived < 0.5
    # The draft module's weights: 671B / 61 ≈ 11.0B (DeepSeek publishes 11.5B), 1 byte each in fp8
    dsv3 = data.get_model("DeepSeek-V3")
    assert sd.draft_module_params(dsv3) == pytest.approx(671e9 / 61)
    assert sd.draft_module_params(dsv3) == pytest.approx(sd.DEEPSEEK_MTP_PUBLISHED_PARAMS, rel=0.05)
    seat = tr.seats_at(data.selection())
    with_draft = float(sd.capacity_with_draft(data.get_hardware("H100 SXM"), dsv3, 19, 4989, seat.precisions))
    assert with_draft == math.floor((0.9 * 19 * 80e9 - dsv3.config_total_params - 671e9 / 61) / (4989 * 576 * 61))
    assert with_draft < seat.capacity


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
