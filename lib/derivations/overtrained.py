"""Claims ``overtrained-100x``, ``tokens-out-equal-in``, ``inference-dominates`` and ``rlvr-log-linear``.

All four rest on the lifetime cost 6·N·D + k_RL·N·D_RL/η + 2·N·D_served (lib.scaling) and on the
numbers of ``data/scaling_laws.csv`` and ``data/serving_demand.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..claims import FAILS, HOLDS, LOOSE, NOT_DERIVED, Entry, derives, entry
from ..data import Selection
from ..scaling import (CHINCHILLA_PARAMS, CHINCHILLA_TOKENS, CHINCHILLA_TOKENS_PER_PARAM,
                       TRAIN_FLOP_PER_PARAM_TOKEN, SERVE_FLOP_PER_PARAM_TOKEN, DemandRow, LossLaw,
                       compute_optimal_token_errors, demand_value, equal_terms_tokens, format_count,
                       load_compute_optimal_table, load_loss_laws, load_rl_scaling, load_serving_demand,
                       overtraining_factor, rl_half_gain_decades, rl_loglinear_overshoot_decades, usd_per_flop)

CHAPTER = "chapters/overtrained-100x"
#: The model the $2–5M pre-training cost is checked on (DeepSeek's reported final-run cost is the public
#: figure of that size).
COST_MODEL = "DeepSeek-V3"
#: "Dwarfs": serving at least this many times the pre-training cost holds; above 1 it holds loosely.
DWARF_FACTOR = 10.0
#: A serving lifetime for the inference-dominates check (days).
SERVING_YEAR_DAYS = 365.0
#: The row of Hoffmann et al.'s table 3 at Gopher's budget, where the '20 tokens per parameter' was read off.
TABLE3_CHECK_ROW = "67B"
#: rl_scaling.csv rows the RL entries read.
SCALERL_CEILING = "ScaleRL 8B dense: fitted asymptote A"
R1_RL_ROWS = ("DeepSeek-R1-Zero: RL GPU-hours", "DeepSeek-R1: RL GPU-hours after R1-Zero")
V3_PRETRAIN_ROW = "DeepSeek-V3: pre-training GPU-hours"

# Ledger kinds (until Entry carries a `kind`, each note begins with it): "checked" against a number the talk
# states; "scenario" on assumptions the book chose; "structural" a shape.


@dataclass(frozen=True)
class TalkNumbers:
    """The numbers the chapter runs on, each from ``serving_demand.csv``."""

    params: float
    pretrain_tokens: float
    users: float
    days: float
    claim_daily_users: float
    rl_factor_low: float
    rl_factor_high: float
    rl_efficiency: float
    chatgpt_users: float
    chatgpt_messages_per_day: float
    tokens_per_message: float
    usd_per_hour: float
    deepseek_hours: float
    deepseek_cost_usd: float
    train_mfu: float
    rows: dict[str, DemandRow]

    @property
    def chatgpt_tokens_per_day(self) -> float:
        """Reported messages per day × the assumed tokens per message."""
        return self.chatgpt_messages_per_day * self.tokens_per_message

    @property
    def tokens_per_user_per_day(self) -> float:
        """ChatGPT-derived: tokens per day ÷ weekly active users (a floor on per-daily-user use)."""
        return self.chatgpt_tokens_per_day / self.chatgpt_users


def talk_numbers(sel: Selection) -> TalkNumbers:
    rows = load_serving_demand(sel.data_dir)
    v = lambda name: demand_value(rows, name)  # noqa: E731
    return TalkNumbers(
        params=v("talk active parameters"), pretrain_tokens=v("talk pre-training tokens"), users=v("talk users"),
        days=v("talk serving period"), claim_daily_users=v("claim daily users"),
        rl_factor_low=v("RL FLOPs per parameter-token (low)"), rl_factor_high=v("RL FLOPs per parameter-token (high)"),
        rl_efficiency=v("RL rollout efficiency"), chatgpt_users=v("ChatGPT weekly active users"),
        chatgpt_messages_per_day=v("ChatGPT messages per day"), tokens_per_message=v("tokens per chat message"),
        usd_per_hour=v("H800 rental price"), deepseek_hours=v("DeepSeek-V3 training accelerator-hours"),
        deepseek_cost_usd=v("DeepSeek-V3 training cost"), train_mfu=v("training model FLOP utilisation"), rows=rows,
    )


def short_name(law: LossLaw) -> str:
    """'Hoffmann', 'Hoffmann rounded' or 'Epoch': the first word of the row name, plus 'rounded' for the
    sensitivity row of the paper's rounded constants."""
    first = law.name.split()[0]
    return f"{first} rounded" if "rounded" in law.name.lower() else first


def laws_by_short_name(sel: Selection) -> dict[str, LossLaw]:
    """The fitted laws keyed by :func:`short_name` ('Hoffmann' is the unrounded default, 'Hoffmann rounded' its
    sensitivity row, 'Epoch' the replication)."""
    return {short_name(law): law for law in load_loss_laws(sel.data_dir)}


@derives("overtrained-100x", CHAPTER)
def overtrained(sel: Selection) -> list[Entry]:
    t = talk_numbers(sel)
    laws = laws_by_short_name(sel)
    chinchilla_flop = TRAIN_FLOP_PER_PARAM_TOKEN * CHINCHILLA_PARAMS * CHINCHILLA_TOKENS
    out: list[Entry] = []
    table = load_compute_optimal_table(sel.data_dir)
    gopher = next((r for r in table if r.name == TABLE3_CHECK_ROW), None)
    for short, law in laws.items():
        ratio = float(law.compute_optimal_tokens_per_param(chinchilla_flop))
        out.append(entry("overtrained-100x", f"compute-optimal tokens per parameter, {short} fit", 20.0, ratio,
                         "tokens/param", inputs={"fit": law.name, "compute_FLOP": chinchilla_flop},
                         note="checked against the talk's 20: at Chinchilla's own budget, 6 × 70B × 1.4T FLOP"
                              + ("; sensitivity row (the paper's rounded constants)" if "rounded" in short else "")))
        if gopher is not None:
            _, tokens = law.compute_optimal_for_params(gopher.params)
            errors = compute_optimal_token_errors(law, table)
            out.append(entry("overtrained-100x", f"compute-optimal tokens for 67B (Hoffmann table 3: 1.5T), {short} fit",
                             gopher.tokens, float(tokens), "tokens", inputs={"fit": law.name, "params": gopher.params},
                             note="checked against Hoffmann et al.'s table 3 (approach 1), not a number the talk "
                                  f"states; over the table's {len(table)} rows the fit is off by "
                                  f"{100 * errors.min():+.0f}% to {100 * errors.max():+.0f}%"))
    factor = float(overtraining_factor(t.params, t.pretrain_tokens))
    out.append(entry("overtrained-100x", "tokens per parameter ÷ 20, talk's model", (75.0, 100.0), factor, "×",
                     inputs={"N_active": t.params, "D_pre": t.pretrain_tokens}))
    for k in (t.rl_factor_low, t.rl_factor_high):
        d_rl, _ = equal_terms_tokens(t.pretrain_tokens, k, t.rl_efficiency)
        out.append(entry("overtrained-100x", f"D_RL ÷ D_pre with equal terms, k_RL = {k:g}", 1.0,
                         float(d_rl) / t.pretrain_tokens, "×", inputs={"k_RL": k, "eta": t.rl_efficiency},
                         note="6·D_pre = k_RL·D_RL/η gives D_RL = 6η/k_RL · D_pre"))
    _, served_equal = equal_terms_tokens(t.pretrain_tokens, t.rl_factor_low, t.rl_efficiency)
    for short, law in laws.items():
        loss = float(law.loss(t.params, t.pretrain_tokens))
        for served, label in ((t.pretrain_tokens, "D_served = D_pre"), (float(served_equal), "equal compute")):
            n, d = law.inference_optimal(loss, served)
            out.append(entry("overtrained-100x", f"optimal tokens per parameter ÷ 20, {short} fit, {label}",
                             (75.0, 100.0), float(d / n) / CHINCHILLA_TOKENS_PER_PARAM, "×",
                             inputs={"fit": law.name, "target_loss_nats": round(loss, 4), "served_tokens": served},
                             note="checked against the talk's 75–100×: the inference-aware optimum (Sardana, Portes, "
                                  "Doubov and Frankle 2024) at the loss of 100B on 150T"))
    epoch = laws.get("Epoch") or next(iter(laws.values()))
    served_grid = np.logspace(12, 17, 11)
    n_grid, d_grid = epoch.inference_optimal(float(epoch.loss(t.params, t.pretrain_tokens)), served_grid)
    shrinks = bool(np.all(np.diff(n_grid) < 0) and np.all(np.diff(d_grid) > 0))
    out.append(entry("overtrained-100x", "more inference: smaller N, more D", None, None, "", verdict=HOLDS if shrinks
                     else FAILS, inputs={"fit": epoch.name},
                     note="structural: N* falls and D* rises with served tokens at fixed loss"))
    return out


@derives("tokens-out-equal-in", CHAPTER)
def tokens_out(sel: Selection) -> list[Entry]:
    t = talk_numbers(sel)
    _, served = equal_terms_tokens(t.pretrain_tokens, t.rl_factor_low, t.rl_efficiency)
    inputs = {"D_pre": t.pretrain_tokens, "ChatGPT_tokens_per_day": t.chatgpt_tokens_per_day}
    return [
        entry("tokens-out-equal-in", "served ÷ training tokens when serving = pre-training compute", 1.0,
              float(served) / t.pretrain_tokens, "×", inputs={"D_pre": t.pretrain_tokens},
              note="6·N·D = 2·N·D_serve gives D_serve = 3·D: out ≈ 3 × in"),
        entry("tokens-out-equal-in", "days to serve 150T at ChatGPT's reported traffic", t.days,
              t.pretrain_tokens / t.chatgpt_tokens_per_day, "days", inputs=inputs,
              note=f"{format_count(t.chatgpt_messages_per_day)} messages/day × "
                   f"{format_count(t.tokens_per_message)} tokens/message (assumed)"),
        entry("tokens-out-equal-in", "days to serve 3 × 150T at the same traffic", t.days,
              float(served) / t.chatgpt_tokens_per_day, "days", inputs=inputs,
              note="the equal-compute lifetime"),
    ]


@derives("inference-dominates", CHAPTER)
def inference_dominates(sel: Selection) -> list[Entry]:
    t = talk_numbers(sel)
    hw = sel.hardware
    model = sel.model_named(COST_MODEL)
    if model is None or model.training_tokens is None:
        note = f"the data lack a {COST_MODEL} row with training tokens"
        return [entry("inference-dominates", "pre-training cost, 6·N·D at rental price", (2e6, 5e6), None, "USD",
                      note=note),
                entry("inference-dominates", "serving ÷ pre-training cost, 100M users for a year", None, None, "×",
                      verdict=NOT_DERIVED, note=note)]
    price = float(usd_per_flop(hw.flops("bf16"), t.train_mfu, t.usd_per_hour))
    train_flop = TRAIN_FLOP_PER_PARAM_TOKEN * model.active_params * model.training_tokens
    served = t.claim_daily_users * t.tokens_per_user_per_day * SERVING_YEAR_DAYS
    serve_flop = SERVE_FLOP_PER_PARAM_TOKEN * model.active_params * served
    ratio = serve_flop / train_flop
    inputs = {"model": model.name, "hardware": hw.name, "usd_per_hour": t.usd_per_hour, "MFU": t.train_mfu,
              "tokens_per_user_per_day": round(t.tokens_per_user_per_day)}
    return [
        entry("inference-dominates", "pre-training cost, 6·N·D at rental price", (2e6, 5e6), train_flop * price, "USD",
              inputs=inputs, note=f"{hw.name} dense bf16 at {t.train_mfu:.0%} utilisation, ${t.usd_per_hour:g} per hour"),
        entry("inference-dominates", "serving ÷ pre-training cost, 100M users for a year", None, ratio, "×",
              inputs=inputs, verdict=HOLDS if ratio >= DWARF_FACTOR else LOOSE if ratio >= 1 else FAILS,
              note=f"'dwarfs' read as ≥ {DWARF_FACTOR:g}×; same $/FLOP for both (serving at lower utilisation "
                   "would raise it)"),
    ]


@derives("rlvr-log-linear", CHAPTER)
def rlvr(sel: Selection) -> list[Entry]:
    cid = "rlvr-log-linear"
    rl = load_rl_scaling(sel.data_dir)
    out = [
        entry(cid, "benchmark gain per 10× RL compute", None, None, "points", verdict=NOT_DERIVED,
              note="needs a fitted sigmoid's b, C_mid and R_0 (Khatri et al.'s appendix table, not retrieved); "
                   "the sigmoid's shape below holds for any b"),
        entry(cid, "decades around the midpoint where the gain per 10× stays above half its peak, × b", None,
              2 * float(rl_half_gain_decades(1.0)), "decades", inputs={"form": "R0 + (A − R0)/(1 + (C_mid/C)^B)"},
              verdict=HOLDS,
              note="structural: the log-linear reading holds within this band (1.5 decades at b = 1) and fails outside it"),
        entry(cid, "decades past the midpoint where the log-linear line crosses the fitted ceiling, × b", None,
              float(rl_loglinear_overshoot_decades(1.0)), "decades", verdict=HOLDS,
              note="structural: a straight line on a log axis, fitted where the sigmoid is steepest, predicts more "
                   "than the ceiling 2/(b ln 10) decades later, whatever R_∞ and R_0"),
    ]
    ceiling = rl.get(SCALERL_CEILING)
    out.append(entry(cid, "fitted ceiling A of the largest public RL study (ScaleRL, 8B, 100k GPU-hours)", None,
                     ceiling, "pass rate", inputs={"source": "Khatri et al. 2025"},
                     verdict=NOT_DERIVED if ceiling is None else (FAILS if ceiling < 1 else HOLDS),
                     note="structural: a ceiling below 100% (±0.02) is a plateau the fit predicts; the talk's "
                          "'no plateau seen' fails for the fitted curve, though a run stopped before C_mid sees none"))
    rl_hours = [rl.get(name) for name in R1_RL_ROWS]
    pretrain = rl.get(V3_PRETRAIN_ROW)
    if None in rl_hours or pretrain is None:
        out.append(entry(cid, "RL ÷ pre-training GPU-hours, DeepSeek-R1 (the one model that publishes both)", 1.0,
                         None, "×", verdict=NOT_DERIVED, note="rl_scaling.csv lacks the DeepSeek rows"))
    else:
        out.append(entry(cid, "RL ÷ pre-training GPU-hours, DeepSeek-R1 (the one model that publishes both)", 1.0,
                         sum(rl_hours) / pretrain, "×", inputs={"RL GPU-hours": sum(rl_hours), "pre-training": pretrain},
                         note="scenario: the talk names no model; DeepSeek-R1 (R1-Zero + R1 RL on the V3 base) is the "
                              "only frontier-class model whose RL and pre-training GPU-hours are both public"))
    out.append(entry(cid, "RL compute ÷ pre-training compute, one frontier model", 1.0, None, "×",
                     verdict=NOT_DERIVED, note="the model the talk means publishes neither number; equal by "
                                               "assumption in the talk's heuristic"))
    return out
