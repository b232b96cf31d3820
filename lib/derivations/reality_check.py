"""The reality check: the step model (claim ``two-budgets``) against published measurements, and the claims the
measurements calibrate (``decode-5x-prefill``, ``inference-dominates``). Registered with
:func:`~lib.claims.calibrates`: the ledger lists these entries beside each claim's own, while the claims' own
chapters (which check their entries one by one) do not receive them from :func:`~lib.claims.derive`.

The entries do not depend on the selected hardware and model: every measured row runs on its own hardware and
model, read from the selection's data directory.
"""

from __future__ import annotations

import statistics
from functools import lru_cache
from pathlib import Path

from ..claims import SCENARIO_KIND, STRUCTURAL, Assumption, Entry, calibrates, entry
from ..data import Selection
from ..reality import (bounds, load_deepseek_day, load_measured_throughput, load_measured_training, phase_pairs,
                       realism_factors_from)
from ..roofline import HBM_RESERVE_FRACTION
from ..scaling import SECONDS_PER_HOUR

CHAPTER = "chapters/reality-check"

#: The HBM reserve ρ: vLLM's default leaves 10% (lib.roofline); engines are configured anywhere from 5% to 20%.
RESERVE = Assumption("hbm_reserve", HBM_RESERVE_FRACTION, 0.05, 0.20, "share of HBM",
                     "vLLM gpu_memory_utilization default 0.9; the book's range 0.05–0.20")
#: Accepted tokens per sequence per decode step: 1 without speculative decoding; DeepSeek-V3's MTP module accepts
#: its second token 85–90% of the time (DeepSeek-V3 report §5.4.3), so up to 1.9 with MTP on.
TOKENS_PER_STEP = Assumption("tokens_per_step", 1.0, 1.0, 1.9, "tokens per sequence per step",
                             "https://arxiv.org/abs/2412.19437 §5.4.3 (MTP acceptance 85–90%)")
#: Days a year of serving at the measured day's volume (a scenario: DeepSeek's traffic grew and shrank).
SERVING_DAYS = Assumption("serving_days", 365.0, 180.0, 730.0, "days",
                          "the book's scenario: half a year to two years at the measured day's volume")


@lru_cache(maxsize=32)
def _factors(directory: Path, reserve: float, tokens_per_step: float) -> dict[str, float]:
    found = bounds(directory, tokens_per_step=tokens_per_step, reserve_fraction=reserve)
    return {phase: f.value for phase, f in realism_factors_from(found).items()}


def _factor(sel: Selection, phase: str, hbm_reserve: float = RESERVE.value,
            tokens_per_step: float = TOKENS_PER_STEP.value) -> float | None:
    return _factors(sel.data_dir, float(hbm_reserve), float(tokens_per_step)).get(phase)


@calibrates("two-budgets", CHAPTER)
def model_meets_measurement(sel: Selection) -> list[Entry]:
    found = bounds(sel.data_dir)
    worst = max(found, key=lambda b: b.efficiency) if found else None
    inputs = {"rows": len(found), "data_dir": str(sel.data_dir)}
    out = [entry("two-budgets", "highest measured ÷ bound over the measured rows", None,
                 None if worst is None else worst.efficiency, "×", inputs=inputs, kind=STRUCTURAL,
                 holds_if=lambda x: x <= 1.0,
                 note="every published measurement sits under the refined model's bound (pooled step, the row's "
                      "layout, formats, context, capacity and latency target)"
                      + ("" if worst is None else f"; closest: {worst.row.id}"))]
    labels = {"decode": "decode realism factor (median measured ÷ bound, MBU-like)",
              "prefill": "prefill realism factor (median measured ÷ bound, MFU-like)",
              "offline": "offline realism factor (median measured ÷ decode-only bound)"}
    for phase, label in labels.items():
        assumptions = (RESERVE, TOKENS_PER_STEP) if phase == "decode" else (RESERVE,)
        out.append(entry("two-budgets", label, None, _factor(sel, phase), "×", inputs=inputs, kind=SCENARIO_KIND,
                         assumptions=assumptions,
                         recompute=lambda phase=phase, **kw: _factor(sel, phase, **kw),
                         note="the share of the ideal bound deployed systems reach; chapters apply it by name "
                              "(lib.reality.realism_factor)"))
    return out


@calibrates("decode-5x-prefill", CHAPTER)
def measured_cost_ratio(sel: Selection) -> list[Entry]:
    pairs = phase_pairs(load_measured_throughput(sel.data_dir))
    ratio = statistics.median(p.output_to_input_cost for p in pairs) if pairs else None
    return [entry("decode-5x-prefill", "output ÷ input accelerator-time per token, measured (median of systems)",
                  5.0, ratio, "×", inputs={"systems": [p.decode.id for p in pairs]},
                  note="prefill tokens/s per accelerator (cache hits excluded) ÷ decode tokens/s, for each system "
                       "measured in both phases; prompts of about 2,000 tokens")]


@calibrates("inference-dominates", CHAPTER)
def deepseek_costs(sel: Selection) -> list[Entry]:
    day = load_deepseek_day(sel.data_dir)
    runs = {r.id: r for r in load_measured_training(sel.data_dir)}
    pre = runs.get("deepseek-v3-pretraining")
    if pre is None or pre.accelerator_seconds is None:
        return [entry("inference-dominates", "DeepSeek-V3 pre-training cost, reported GPU-hours × $2", (2e6, 5e6),
                      None, "USD", note="no deepseek-v3-pretraining row with hours in measured_training.csv")]
    training_usd = pre.accelerator_seconds / SECONDS_PER_HOUR * day.usd_per_gpu_hour
    inputs = {"gpu_hours": pre.accelerator_hours, "usd_per_gpu_hour": day.usd_per_gpu_hour,
              "serving_usd_per_day": day.daily_cost_usd}

    def serving_over_training(serving_days: float = SERVING_DAYS.value) -> float:
        return day.daily_cost_usd * serving_days / training_usd

    return [
        entry("inference-dominates", "DeepSeek-V3 pre-training cost, reported GPU-hours × $2", (2e6, 5e6),
              training_usd, "USD", inputs=inputs,
              note=f"DeepSeek's own figures: {pre.accelerator_hours:,.0f} {pre.hardware} hours (V3 report) at the "
                   f"${day.usd_per_gpu_hour:g} per GPU-hour of its inference day"),
        entry("inference-dominates", "DeepSeek serving ÷ V3 pre-training cost, at its measured day", None,
              serving_over_training(), "×", inputs=inputs, kind=SCENARIO_KIND, assumptions=(SERVING_DAYS,),
              recompute=serving_over_training,
              note=f"the day's ${day.daily_cost_usd:,.0f} of GPU time (V3 and R1 traffic) repeated for the assumed "
                   "days"),
    ]
