"""Claim ``batch-300x-sparsity``: B* = (F / W_hbm) × (N_total / N_active) × (b_w / 2); the ridge F / W_hbm is
≈ 300 and stable from A100 through Rubin; DeepSeek's sparsity of 8 gives B* ≈ 2,400; at 64 trains/s a replica
serves ≈ 128,000 tokens/s, ≈ 1/1000 of Google's reported global throughput.

The talk's "32 of 256 experts active" is not DeepSeek-V3's configuration (8 routed + 1 shared of 256, 37B of
671B parameters active), and B* needs the *parameter* sparsity N_total / N_active, not an expert-count ratio.
"""

from __future__ import annotations

import numpy as np

from ..claims import NOT_DERIVED, STRUCTURAL, Entry, derives, entry
from ..data import Selection
from ..hardware import Hardware
from ..models import Model
from ..queueing import latest_report_before, load_throughput_reports, trains_per_second
from ..roofline import crossover_batch, operation_optimal_batch, optimal_batch, pooled_optimal_batch
from ..units import COMPUTE_PRECISIONS, bytes_per_element

CHAPTER = "chapters/batch-300x-sparsity"
#: The model the talk names for its worked example.
TALK_MODEL = "DeepSeek-V3"
#: The talk's numbers.
TALK_RIDGE = 300.0
TALK_SPARSITY = 8.0
TALK_ACTIVE_EXPERTS = 32
TALK_TRAINS_PER_S = 64.0
TALK_TOKENS_PER_S = 128_000.0
TALK_SHARE_OF_GOOGLE = 1e-3
TALK_HEADROOM = 3.0
#: The precision cancels in B* when B*(fp8) ÷ B*(bf16) is within this of 1 (F doubles as b_w halves).
CANCEL_TOL = 0.05
#: The range of NVIDIA generations the talk calls stable (first year: A100).
RIDGE_FROM_YEAR = 2020
#: Compare with the latest report published before the lecture (dated only to 2026 in our sources).
COMPARE_BEFORE = "2026-01"
COMPARE_ORG = "Google"
#: How the chapter writes B* (sequences), in its prose and on its cost chart: the spec means the same in Python's
#: format() and in d3-format (Vega's format()), so the chart's B* and the prose's are one number written one way.
B_STAR_FORMAT = ",.0f"


def optimal_batch_at(hw: Hardware, sparsity: float, precision: str = "bf16") -> float:
    """B* with weights and compute both at ``precision``: (F_p / W_hbm) × s × b_w(p) / 2."""
    return float(optimal_batch(hw.flops(precision), hw.hbm_bandwidth_Bps, sparsity, bytes_per_element(precision)))


def refined_optimal_batches(hw: Hardware, model: Model) -> dict[str, float]:
    """The refined model's two optimal batches (release formats, context 0): ``pooled``, where the step's pooled
    compute time meets its weight reads with experts counted as touched; ``experts``, where the routed-expert
    matmuls themselves turn compute bound, → (E/k) · F_p · b_e / (2 W_hbm); ``dense``, the same for a dense
    matmul, F_p · b_w / (2 W_hbm). For a dense model ``experts`` is None."""
    return {"pooled": pooled_optimal_batch(hw, model),
            "experts": operation_optimal_batch(hw, model, "routed_experts") if model.is_moe else None,
            "dense": operation_optimal_batch(hw, model, "attention_projections"),
            "expert_ratio": model.routed_experts / model.active_experts if model.is_moe else None}


def precision_table(hardware: list[Hardware], sparsity: float = 1.0) -> list[dict]:
    """For every row and precision it supports: F, ridge F/W and B* at that precision (weights in it too)."""
    rows = []
    for hw in hardware:
        for p in COMPUTE_PRECISIONS:
            if hw.supports(p):
                rows.append({"hardware": hw.name, "vendor": hw.vendor, "year": hw.year, "precision": p,
                             "flops": hw.flops(p), "ridge": hw.flops(p) / hw.hbm_bandwidth_Bps,
                             "b_star": optimal_batch_at(hw, sparsity, p)})
    return rows


def headroom_context_tokens(hw: Hardware, model: Model, factor: float = TALK_HEADROOM,
                            precision: str = "bf16") -> float:
    """The context L at which KV reads push the sweet-spot batch to ``factor`` × B* (bf16 weights, bf16 KV).

    B_sweet(L) = N_total b_w / (2 N_active W / F − kv(L)) = B* / (1 − kv(L) F / (2 N_active W)), so
    B_sweet = factor × B* where kv(L) = (1 − 1/factor) · 2 N_active W / F. Solved on a fine log grid of L
    (kv(L) is piecewise linear with sliding windows); ``inf`` when no context reaches it.
    """
    if factor <= 1:
        raise ValueError(f"factor must be > 1; got {factor!r}")
    b_star = optimal_batch_at(hw, model.sparsity, precision)
    grid = np.logspace(0, 8, 4001)
    ratio = crossover_batch(hw, model, grid, precision) / b_star
    above = np.nonzero(ratio >= factor)[0]
    if above.size == 0:
        return float("inf")
    k = int(above[0])
    if k == 0:
        return float(grid[0])
    return float(np.interp(factor, [ratio[k - 1], ratio[k]], [grid[k - 1], grid[k]]))


@derives("batch-300x-sparsity", CHAPTER)
def ridge_and_batch(sel: Selection) -> list[Entry]:
    hw = sel.hardware
    claim = "batch-300x-sparsity"
    out = [entry(claim, "ridge point F / W_hbm (bf16)", TALK_RIDGE, hw.ridge_flop_per_byte,
                 "FLOP/byte", inputs={"hardware": hw.name})]
    nvidia = [h for h in sel.all_hardware() if h.vendor == "NVIDIA" and h.year >= RIDGE_FROM_YEAR]
    if not nvidia:
        note = f"the data have no NVIDIA rows from {RIDGE_FROM_YEAR} on"
        out += [entry(claim, "lowest NVIDIA ridge, A100 → Rubin (bf16)", TALK_RIDGE, None, "FLOP/byte", note=note),
                entry(claim, "highest NVIDIA ridge, A100 → Rubin (bf16)", TALK_RIDGE, None, "FLOP/byte", note=note)]
    else:
        ridges = np.array([h.ridge_flop_per_byte for h in nvidia])
        names = [h.name for h in nvidia]
        out += [
            entry(claim, "lowest NVIDIA ridge, A100 → Rubin (bf16)", TALK_RIDGE, float(ridges.min()), "FLOP/byte",
                  inputs={"row": names[int(ridges.argmin())], "rows": names}),
            entry(claim, "highest NVIDIA ridge, A100 → Rubin (bf16)", TALK_RIDGE, float(ridges.max()), "FLOP/byte",
                  inputs={"row": names[int(ridges.argmax())], "rows": names}),
        ]
    if hw.supports("fp8"):
        cancel = optimal_batch_at(hw, 1.0, "fp8") / optimal_batch_at(hw, 1.0, "bf16")
        out.append(entry(claim, "B* in fp8 ÷ B* in bf16 (precision cancels)", None, cancel, "×",
                         inputs={"hardware": hw.name}, kind=STRUCTURAL,
                         holds_if=lambda r: abs(r - 1.0) <= CANCEL_TOL,
                         note="weights and compute share the precision; the shape (eq. bs-cancel, the book's reading "
                              f"of the talk's formula) holds within {CANCEL_TOL:.0%} of 1, when F doubles as b_w halves"))
    else:
        out.append(entry(claim, "B* in fp8 ÷ B* in bf16 (precision cancels)", None, None, "×",
                         inputs={"hardware": hw.name}, kind=STRUCTURAL, verdict=NOT_DERIVED,
                         note=f"{hw.name} has no fp8 FLOP/s in the data"))

    trains = float(trains_per_second(hw.hbm_drain_time_s))
    out += [
        entry(claim, "B* with the talk's sparsity 8", (2000.0, 3000.0), optimal_batch_at(hw, TALK_SPARSITY), "tokens",
              inputs={"hardware": hw.name, "sparsity": TALK_SPARSITY},
              note="the talk's arithmetic, right given its inputs"),
        entry(claim, "trains per second, 1 / T", TALK_TRAINS_PER_S, trains, "1/s", inputs={"hardware": hw.name},
              note="T = C_hbm / W_hbm; a 20 ms train gives 50/s"),
    ]
    model = sel.model_named(TALK_MODEL)
    inputs = {"hardware": hw.name, "model": TALK_MODEL}
    if model is None:
        note = f"the data have no {TALK_MODEL!r} row"
        for q, stated, unit in (("DeepSeek sparsity N_total / N_active", TALK_SPARSITY, "×"),
                                ("DeepSeek routed experts active per token", TALK_ACTIVE_EXPERTS, "experts"),
                                ("optimal batch B* for DeepSeek", (2000.0, 3000.0), "tokens"),
                                ("B* for DeepSeek, refined pooled (experts touched)", (2000.0, 3000.0), "tokens"),
                                ("B* for DeepSeek's expert layers (per operation)", (2000.0, 3000.0), "tokens"),
                                ("tokens/s per replica, B* × 1/T", TALK_TOKENS_PER_S, "tokens/s"),
                                ("replica ÷ Google's reported global tokens/s", TALK_SHARE_OF_GOOGLE, "×")):
            out.append(entry(claim, q, stated, None, unit, inputs=inputs, note=note))
        return out
    b_star = optimal_batch_at(hw, model.sparsity)
    tokens = b_star * trains
    out += [
        entry(claim, "DeepSeek sparsity N_total / N_active", TALK_SPARSITY, model.sparsity, "×", inputs=inputs,
              note=f"{model.total_params / 1e9:g}B total / {model.active_params / 1e9:g}B active; "
                   f"{model.active_experts} routed + {model.shared_experts} shared of {model.routed_experts}"),
        entry(claim, "DeepSeek routed experts active per token", TALK_ACTIVE_EXPERTS, model.active_experts,
              "experts", inputs=inputs),
        entry(claim, "optimal batch B* for DeepSeek", (2000.0, 3000.0), b_star, "tokens", inputs=inputs,
              note="the blackboard's formula with the published parameter sparsity"),
        entry(claim, "tokens/s per replica, B* × 1/T", TALK_TOKENS_PER_S, tokens, "tokens/s", inputs=inputs,
              note="the talk's 128,000 = 2,000 × 64, without the 3× headroom"),
    ]
    refined = refined_optimal_batches(hw, model)
    out += [
        entry(claim, "B* for DeepSeek, refined pooled (experts touched)", (2000.0, 3000.0), refined["pooled"],
              "tokens", inputs={**inputs, "model_kind": "refined", "precision": "release formats"},
              note="pooled compute = weight reads, counting only the experts the batch touches"),
        entry(claim, "B* for DeepSeek's expert layers (per operation)", (2000.0, 3000.0), refined["experts"],
              "tokens", inputs={**inputs, "model_kind": "refined", "precision": "release formats"},
              note=f"each routed expert compute bound: → (E/k) · ridge with E/k = {refined['expert_ratio']:g}"),
    ]
    report = latest_report_before(load_throughput_reports(sel.data_dir), COMPARE_ORG, COMPARE_BEFORE)
    if report is None:
        out.append(entry(claim, "replica ÷ Google's reported global tokens/s", TALK_SHARE_OF_GOOGLE, None, "×",
                         inputs=inputs, note=f"no {COMPARE_ORG} report before {COMPARE_BEFORE} in the data"))
    else:
        out.append(entry(claim, "replica ÷ Google's reported global tokens/s", TALK_SHARE_OF_GOOGLE,
                         tokens / report.tokens_per_s, "×",
                         inputs={**inputs, "report": report.name, "tokens_per_s": report.tokens_per_s},
                         note=f"{report.name}: {report.tokens_per_month / 1e12:,.0f}T tokens/month"))
    return out
