"""The book's one notation table: every symbol, its meaning, its SI unit and its name in code.

The notation page renders this table, and docstrings use the same letters.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Symbol:
    symbol: str  # LaTeX, without dollar signs
    meaning: str
    unit: str
    code: str  # the name used in lib


SYMBOLS: tuple[Symbol, ...] = (
    Symbol(r"N_\text{total}", "parameters in the model", "count", "total_params"),
    Symbol(r"N_\text{active}", "parameters used per token (MoE: shared + routed experts chosen)", "count", "active_params"),
    Symbol(r"s", r"sparsity $N_\text{total} / N_\text{active}$", "1", "sparsity"),
    Symbol(r"B", "batch: sequences decoding together in one step", "sequences", "batch"),
    Symbol(r"L", "context length of a sequence", "tokens", "context"),
    Symbol(r"F", "dense FLOP/s of one accelerator at a precision", "FLOP/s", "flops_per_s"),
    Symbol(r"W_\text{hbm}", "HBM bandwidth of one accelerator", "bytes/s", "hbm_bandwidth_Bps"),
    Symbol(r"C_\text{hbm}", "HBM capacity of one accelerator", "bytes", "hbm_capacity_bytes"),
    Symbol(r"b_w", "bytes per weight (2 for bf16, 1 for fp8, 0.5 for fp4)", "bytes", "bytes_per_weight"),
    Symbol(r"b_{kv}", "KV-cache bytes one token of context adds (all full-attention layers)", "bytes", "kv_bytes_per_token"),
    Symbol(r"n", "accelerators in a model replica", "count", "chips"),
    Symbol(r"t_\text{compute}", r"compute time of a decode step, $2 B N_\text{active} / (n F)$", "s", "compute_s"),
    Symbol(r"t_\text{weights}", r"weight-read time of a step, $N_\text{total} b_w / (n W_\text{hbm})$", "s", "weights_s"),
    Symbol(r"t_{kv}", r"KV-read time of a step, $B L b_{kv} / (n W_\text{hbm})$", "s", "kv_s"),
    Symbol(r"t_\text{step}", r"$\max(t_\text{compute}, t_\text{weights} + t_{kv})$", "s", "step_s"),
    Symbol(r"T", r"HBM drain time $C_\text{hbm} / W_\text{hbm}$: the batch train's period", "s", "hbm_drain_time_s"),
    Symbol(r"B^*", "optimal batch: compute time = weight-read time", "sequences", "optimal_batch"),
    Symbol(r"D", "training tokens", "tokens", "training_tokens"),
)


def as_rows() -> list[dict[str, str]]:
    """The table as rows for display: symbol (as inline math), meaning, unit, code name."""
    return [{"symbol": f"${s.symbol}$", "meaning": s.meaning, "unit": s.unit, "in code": f"`{s.code}`"}
            for s in SYMBOLS]


def markdown_table() -> str:
    """The table as a Markdown table (rendered by MyST, so the math is typeset)."""
    lines = ["| symbol | meaning | unit | in code |", "|---|---|---|---|"]
    lines += [f"| {r['symbol']} | {r['meaning']} | {r['unit']} | {r['in code']} |" for r in as_rows()]
    return "\n".join(lines)
