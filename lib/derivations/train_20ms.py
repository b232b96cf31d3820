"""Claim ``train-20ms``: HBM capacity ÷ bandwidth ≈ 20 ms; worst-case wait ≈ 2 periods ≈ 40 ms."""

from __future__ import annotations

from ..claims import Entry, derives, entry
from ..data import Selection

CHAPTER = "chapters/train-20ms"


@derives("train-20ms", CHAPTER)
def drain_time(sel: Selection) -> list[Entry]:
    hw = sel.hardware
    inputs = {"hardware": hw.name}
    return [
        entry("train-20ms", "HBM drain time C_hbm / W_hbm", 20e-3, hw.hbm_drain_time_s, "s", inputs=inputs),
        entry("train-20ms", "worst-case wait, two periods", 40e-3, 2 * hw.hbm_drain_time_s, "s", inputs=inputs),
    ]
