"""Claim ``train-20ms``: HBM capacity ÷ bandwidth ≈ 20 ms on every NVIDIA generation; a batch "train" leaves
every period T and the worst wait is ≈ 2T ≈ 40 ms; a train is filled by a few thousand concurrent streams.

Helpers used by the chapter live here too (the drain-time table across rows and the queue checks), so that
the ledger and the page compute the same numbers.
"""

from __future__ import annotations

import numpy as np

from ..claims import FAILS, HOLDS, Entry, derives, entry
from ..data import Selection
from ..hardware import Hardware
from ..queueing import log_linear_trend, simulate_train
from ..roofline import optimal_batch

CHAPTER = "chapters/train-20ms"
#: The talk's train period and worst case (seconds).
STATED_PERIOD_S = 20e-3
STATED_WORST_S = 40e-3
#: "Stable": the ledger reads it as the longest ÷ shortest NVIDIA drain time within 25% of 1.
STABLE_REL_TOL = 0.25
#: Loads at which the ledger simulates the queue: below capacity, and 5% over it.
LOAD_BELOW, LOAD_OVER = 0.9, 1.05
#: Simulation size for the ledger (trains departed, latencies sampled) and its seed.
SIM_TRAINS, SIM_SAMPLES, SIM_SEED = 2000, 20_000, 20


def vendor_rows(hardware: list[Hardware], vendor: str = "NVIDIA") -> list[Hardware]:
    """The rows of one vendor, in file order, one per distinct memory system (HBM capacity, bandwidth).

    The claim is about memory systems across generations: a variant with its parent's HBM (the H800, an export
    H100 with the same 80 GB at 3.35 TB/s) has the same drain time and is one data point, not two.
    """
    seen: set[tuple[float, float]] = set()
    rows = []
    for h in hardware:
        memory = (h.hbm_capacity_bytes, h.hbm_bandwidth_Bps)
        if h.vendor == vendor and memory not in seen:
            seen.add(memory)
            rows.append(h)
    return rows


def drain_times_s(hardware: list[Hardware]) -> np.ndarray:
    """T = C_hbm / W_hbm for each row (seconds)."""
    return np.array([h.hbm_drain_time_s for h in hardware])


def train_seats(sel: Selection) -> int:
    """Seats on the ledger's train: the optimal batch B* (bf16) of the selected model and hardware, at least 1."""
    b_star = float(optimal_batch(sel.hardware.flops("bf16"), sel.hardware.hbm_bandwidth_Bps, sel.model.sparsity))
    return max(1, int(round(b_star)))


@derives("train-20ms", CHAPTER)
def drain_time(sel: Selection) -> list[Entry]:
    hw = sel.hardware
    period = hw.hbm_drain_time_s
    inputs = {"hardware": hw.name}
    out = [
        entry("train-20ms", "HBM drain time C_hbm / W_hbm", STATED_PERIOD_S, period, "s", inputs=inputs),
        entry("train-20ms", "worst-case wait, two periods", STATED_WORST_S, 2 * period, "s", inputs=inputs,
              note="closed form 2T: wait up to T for the next train, ride T; true only while no train is full"),
    ]
    nvidia = vendor_rows(sel.all_hardware())
    if len(nvidia) >= 2:
        times = drain_times_s(nvidia)
        names = [h.name for h in nvidia]
        growth, _ = log_linear_trend([h.year for h in nvidia], times)
        spread_inputs = {"rows": names, "shortest": names[int(times.argmin())], "longest": names[int(times.argmax())],
                         "trend_per_year": round(growth, 4)}
        out += [
            entry("train-20ms", "median NVIDIA drain time", STATED_PERIOD_S, float(np.median(times)), "s",
                  inputs=spread_inputs),
            entry("train-20ms", "NVIDIA drain-time spread, longest ÷ shortest", 1.0,
                  float(times.max() / times.min()), "×", inputs=spread_inputs, rel_tol=STABLE_REL_TOL,
                  note="'stable across generations' read as longest ÷ shortest within 25% of 1"),
        ]
    else:
        note = "the data have fewer than two NVIDIA rows"
        out += [entry("train-20ms", "median NVIDIA drain time", STATED_PERIOD_S, None, "s", note=note),
                entry("train-20ms", "NVIDIA drain-time spread, longest ÷ shortest", 1.0, None, "×", note=note)]
    seats = train_seats(sel)
    q_inputs = {"hardware": hw.name, "model": sel.model.name, "seats_B": seats, "period_s": period,
                "trains": SIM_TRAINS, "samples": SIM_SAMPLES, "seed": SIM_SEED}
    for load, label in ((LOAD_BELOW, "below"), (LOAD_OVER, "over")):
        rate = load * seats / period
        run = simulate_train(rate, seats, period, trains=SIM_TRAINS, samples=SIM_SAMPLES, seed=SIM_SEED)
        out.append(entry("train-20ms", f"simulated worst-case latency, load {load:g} (B = B*)", STATED_WORST_S,
                         run.worst_s, "s", inputs={**q_inputs, "load": load, "rate_per_s": rate},
                         note=("Poisson arrivals, FIFO; the worst of a random sample of requests"
                               + (f" over {SIM_TRAINS:,} trains: past capacity the queue grows without bound"
                                  if label == "over" else ""))))
    out.append(entry("train-20ms", "concurrent streams that fill one train (B*)", None, float(seats), "sequences",
                     inputs=q_inputs, verdict=HOLDS if seats < 1e5 else FAILS,
                     note="structural: 'only enough users to fill one train' — a few thousand decoding streams"))
    return out
