"""Claims ``overtrained-100x``, ``tokens-out-equal-in``, ``inference-dominates`` and ``rlvr-log-linear``.

All four rest on the lifetime cost 6·N·D + k_RL·N·D_RL/η + 2·N·D_served (lib.scaling) and on the
numbers of ``data/scaling_laws.csv`` and ``data/serving_demand.csv``. Demand (daily users, tokens per daily user,
the serving period), utilisation and prices come from the book-wide ``data/assumptions.csv``, the table
``four-scaling-laws`` reads too; RL efficiency relative to pre-training is η = u_dec / u_train under the book's one
definition of utilisation (achieved ÷ peak dense FLOP/s of the format used).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import demand as dm
from ..units import sci, short as short_scale
from ..assumptions import assumption, ledger_assumption
from ..claims import (FAILS, HOLDS, NOT_DERIVED, SCENARIO_KIND, STRUCTURAL, Assumption, Entry, derives,
                      entry)
from ..data import Selection
from ..models import Model
from ..reality import load_deepseek_day, load_measured_training
from ..scaling import (CHINCHILLA_TOKENS_PER_PARAM, TRAIN_FLOP_PER_PARAM_TOKEN, DemandRow, LossLaw,
                       accelerator_hours, compute_optimal_token_errors, demand_value, equal_terms_tokens,
                       excess_lifetime_compute, format_count, load_compute_optimal_table, load_loss_laws,
                       load_rl_fits, load_rl_scaling, load_serving_demand, output_share_of_computed_tokens,
                       output_tokens_at_equal_compute, overtraining_factor, rl_best_decade_gain_share,
                       rl_decade_gain_share, rl_half_gain_decades, rl_loglinear_overshoot_decades)

CHAPTER = "chapters/overtrained-100x"
#: The model the $2–5M pre-training cost is checked on (DeepSeek's reported final-run cost is the public
#: figure of that size).
COST_MODEL = "DeepSeek-V3"
#: "Dwarfs": serving at least this many times the pre-training accelerator time (an order of magnitude).
DWARF_FACTOR = 10.0
#: The measured_training.csv row of DeepSeek-V3's pre-training (its hours exclude context extension and
#: post-training).
V3_PRETRAINING_ROW = "deepseek-v3-pretraining"
#: The talk's model is "near the optimum" if its training + serving compute exceeds the optimum's by at most
#: this much (the ledger's default tolerance for a single stated value).
NEAR_OPTIMUM = 0.25
#: The row of Hoffmann et al.'s table 3 at Gopher's budget, where the '20 tokens per parameter' was read off.
TABLE3_CHECK_ROW = "67B"
#: rl_scaling.csv rows the RL entries read.
SCALERL_CEILING = "ScaleRL 8B dense: fitted asymptote A"
R1_RL_ROWS = ("DeepSeek-R1-Zero: RL GPU-hours", "DeepSeek-R1: RL GPU-hours after R1-Zero")
V3_PRETRAIN_ROW = "DeepSeek-V3: pre-training GPU-hours"
#: A fitted ceiling at or above this pass rate (1 less the fit's ±0.02) is no plateau.
NO_PLATEAU_CEILING = 0.98
#: The length of the largest public RL run (GPU-hours): the decade that ends there is the one the gain per 10× is
#: read at.
LARGEST_RL_RUN_ROW = "ScaleRL 8B dense: largest run"
#: "A linear gain per 10×" read loosely: the decade read brings at least this share of the gain of the sigmoid's
#: best decade (the ledger's factor of 2); a log-linear curve brings the same gain every decade (a ratio of 1).
LOG_LINEAR_FLOOR = 0.5



@dataclass(frozen=True)
class TalkNumbers:
    """The numbers the chapter runs on: the talk's (``serving_demand.csv``) and the book-wide assumptions
    (``assumptions.csv``: demand, utilisation, prices, Chinchilla's budget)."""

    params: float
    pretrain_tokens: float
    users: float
    days: float
    rl_factor_low: float
    rl_factor_high: float
    talk_rl_efficiency: float
    decode_utilisation: float
    training_utilisation: float
    daily_users: float
    tokens_per_user_per_day: float
    served_tokens_per_day: float
    tokens_per_message: float
    serving_days: float
    usd_per_hour: float
    price_per_accelerator_hour: float
    chinchilla_flop: float
    rows: dict[str, DemandRow]

    @property
    def rl_efficiency(self) -> float:
        """η = u_dec / u_train: RL rollouts' utilisation relative to pre-training's (the talk's η), from the book's
        one definition of utilisation (achieved ÷ peak)."""
        return self.decode_utilisation / self.training_utilisation

    @property
    def chatgpt_tokens_per_day(self) -> float:
        """ChatGPT's reported messages per day × the assumed tokens per message (assumptions.csv)."""
        return self.served_tokens_per_day


def talk_numbers(sel: Selection) -> TalkNumbers:
    rows = load_serving_demand(sel.data_dir)
    v = lambda name: demand_value(rows, name)  # noqa: E731
    a = lambda name: assumption(name, sel.data_dir).value  # noqa: E731
    return TalkNumbers(
        params=v("talk active parameters"), pretrain_tokens=v("talk pre-training tokens"), users=v("talk users"),
        days=v("talk serving period"),
        rl_factor_low=v("RL FLOPs per parameter-token (low)"), rl_factor_high=v("RL FLOPs per parameter-token (high)"),
        talk_rl_efficiency=v("RL rollout efficiency"), decode_utilisation=a("decode_utilisation"),
        training_utilisation=a("training_utilisation"), daily_users=a("daily_users"),
        tokens_per_user_per_day=a("tokens_per_daily_user_per_day"), served_tokens_per_day=a("served_tokens_per_day"),
        tokens_per_message=a("tokens_per_message"), serving_days=a("model_serving_days"),
        usd_per_hour=v("H800 rental price"), price_per_accelerator_hour=a("price_per_accelerator_hour"),
        chinchilla_flop=a("chinchilla_training_compute"), rows=rows,
    )


def book(name: str, sel: Selection) -> Assumption:
    """One row of the book-wide assumptions table as a ledger assumption."""
    return ledger_assumption(name, sel.data_dir)


def pretraining_run(sel: Selection, model_name: str = COST_MODEL):
    """The measured_training.csv row of a model's pre-training stage (None if the data have none)."""
    return next((r for r in load_measured_training(sel.data_dir)
                 if r.model == model_name and r.scope == "pre-training" and r.accelerator_hours), None)


def cost_rows(sel: Selection) -> tuple[Model, object, str]:
    """DeepSeek-V3's model row and pre-training run, the talk's $2–5M reference: the reader's rows when the data have
    them, else the book's; and a note saying which ('' for the selection's own)."""
    from ..data import DEFAULT_DATA_DIR, get_model

    model, run = sel.model_named(COST_MODEL), pretraining_run(sel)
    note = ""
    if model is None or model.training_tokens is None:
        model, note = get_model(COST_MODEL, DEFAULT_DATA_DIR), f" (the book's {COST_MODEL} row: the data lack one)"
    if run is None:
        run = next(r for r in load_measured_training(DEFAULT_DATA_DIR)
                   if r.model == COST_MODEL and r.scope == "pre-training" and r.accelerator_hours)
        note = note or f" (the book's {COST_MODEL} training row: the data lack one)"
    return model, run, note


def output_shares(sel: Selection) -> tuple[float, float]:
    """Output tokens as a share of the tokens that cost compute (cache hits cost none) and of all tokens, from
    DeepSeek's published inference day."""
    day = load_deepseek_day(sel.data_dir)
    return (float(output_share_of_computed_tokens(day.output_tokens, day.input_tokens, day.cached_input_tokens)),
            float(output_share_of_computed_tokens(day.output_tokens, day.input_tokens)))


def computed_share_of_served(sel: Selection) -> float:
    """The share of served tokens that cost a forward pass (cache hits cost none), from DeepSeek's published day:
    (uncached input + output) ÷ (all input + output) = (output share of all) ÷ (output share of computed)."""
    computed, of_all = output_shares(sel)
    return of_all / computed


def short_name(law: LossLaw) -> str:
    """'Hoffmann', 'Hoffmann rounded' or 'Epoch': the first word of the row name, plus 'rounded' for the
    sensitivity row of the paper's rounded constants."""
    first = law.name.split()[0]
    return f"{first} rounded" if "rounded" in law.name.lower() else first


def laws_by_short_name(sel: Selection) -> dict[str, LossLaw]:
    """The fitted laws keyed by :func:`short_name` ('Hoffmann' is the unrounded default, 'Hoffmann rounded' its
    sensitivity row, 'Epoch' the replication)."""
    return {short_name(law): law for law in load_loss_laws(sel.data_dir)}


def rl_tokens_ratio(t: TalkNumbers, k_rl: float, eta: float | None = None, **kw) -> float:
    """D_RL ÷ D_pre with equal terms, 6·η/k_RL: at ``eta`` when given (the talk's η = 0.3), else at the book's
    η = u_dec / u_train (either utilisation overridden by ``kw``)."""
    if eta is None:
        eta = kw.get("decode_utilisation", t.decode_utilisation) / kw.get("training_utilisation", t.training_utilisation)
    d_rl, _ = equal_terms_tokens(t.pretrain_tokens, k_rl, eta)
    return float(f"{float(d_rl) / t.pretrain_tokens:.12g}")  # 6 × 0.75 / 6 is 0.75, not 0.7499…


@derives("overtrained-100x", CHAPTER)
def overtrained(sel: Selection) -> list[Entry]:
    t = talk_numbers(sel)
    laws = laws_by_short_name(sel)
    chinchilla_flop = t.chinchilla_flop
    out: list[Entry] = []
    table = load_compute_optimal_table(sel.data_dir)
    gopher = next((r for r in table if r.name == TABLE3_CHECK_ROW), None)
    for short, law in laws.items():
        ratio = float(law.compute_optimal_tokens_per_param(chinchilla_flop))
        out.append(entry("overtrained-100x", f"compute-optimal tokens per parameter, {short} fit", 20.0, ratio,
                         "tokens/param", inputs={"fit": law.name, "compute_FLOP": chinchilla_flop},
                         note=f"checked against the talk's 20: at Chinchilla's own budget, {sci(chinchilla_flop, 'FLOP')}"
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
    utilisations = [book("decode_utilisation", sel), book("training_utilisation", sel)]
    for k in (t.rl_factor_low, t.rl_factor_high):
        # Checked at the talk's own η (30% relative to pre-training); the book's η = u_dec/u_train is a scenario.
        out.append(entry("overtrained-100x", f"D_RL ÷ D_pre with equal terms, k_RL = {k:g}", 1.0,
                         rl_tokens_ratio(t, k, t.talk_rl_efficiency), "×",
                         inputs={"k_RL": k, "eta": t.talk_rl_efficiency},
                         note=(f"6·D_pre = k_RL·D_RL/η gives D_RL = 6η/k_RL · D_pre at the talk's η = "
                               f"{t.talk_rl_efficiency:g}; the book's η = u_dec/u_train = {t.rl_efficiency:.2f} gives "
                               f"{rl_tokens_ratio(t, k):.2f} (the scenario entry)")))
        out.append(entry("overtrained-100x", f"D_RL ÷ D_pre with equal terms, k_RL = {k:g}, book's η = u_dec/u_train",
                         None, rl_tokens_ratio(t, k), "×", kind=SCENARIO_KIND,
                         inputs={"k_RL": k, "eta": t.rl_efficiency},
                         assumptions=utilisations, recompute=lambda k=k, **kw: rl_tokens_ratio(t, k, **kw),
                         note=(f"η = u_dec/u_train = {t.rl_efficiency:.2f} under the book's one definition of "
                               "utilisation; the talk's 30% read as decode's utilisation against peak")))
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
    for short, law in laws.items():
        excess = float(excess_lifetime_compute(law, t.params, t.pretrain_tokens, float(served_equal)))
        out.append(entry("overtrained-100x", f"extra training + serving compute of 100B on 150T over the optimum, "
                                             f"{short} fit, equal compute", None, 100 * excess, "%", kind=STRUCTURAL,
                         holds_if=lambda pct: pct <= 100 * NEAR_OPTIMUM,
                         inputs={"fit": law.name, "served_tokens": float(served_equal)},
                         note=("the talk's model is near the cost optimum if it spends at most "
                               f"{NEAR_OPTIMUM:.0%} more than the cheapest model of the same loss for the same demand: "
                               "the optimum is flat in compute even where its shape (D/N) is far from 75×")))
    epoch = laws.get("Epoch") or next(iter(laws.values()))
    served_grid = np.logspace(12, 17, 11)  # tokens served over the model's life
    n_grid, d_grid = epoch.inference_optimal(float(epoch.loss(t.params, t.pretrain_tokens)), served_grid)
    shrinks = bool(np.all(np.diff(n_grid) < 0) and np.all(np.diff(d_grid) > 0))
    out.append(entry("overtrained-100x", "more inference: smaller N, more D", None, None, "", kind=STRUCTURAL,
                     verdict=HOLDS if shrinks else FAILS, inputs={"fit": epoch.name},
                     note=(f"N* falls and D* rises with served tokens at fixed loss ({epoch.name}, "
                           f"{short_scale(served_grid[0])} to {short_scale(served_grid[-1], 'tokens')})")))
    return out


def days_to_serve_output(t: TalkNumbers, share_of_all: float, served_tokens_per_day: float | None = None) -> float:
    """Days for ChatGPT's volume (all tokens a day × the output share of all tokens) to serve D_pre output tokens."""
    per_day = t.served_tokens_per_day if served_tokens_per_day is None else served_tokens_per_day
    return t.pretrain_tokens / (per_day * share_of_all)


@derives("tokens-out-equal-in", CHAPTER)
def tokens_out(sel: Selection) -> list[Entry]:
    t = talk_numbers(sel)
    computed, of_all = output_shares(sel)
    share = Assumption("output_share_of_computed_tokens", computed, of_all, computed, "fraction",
                       "DeepSeek's inference day (deepseek_day.csv): output ÷ (uncached input + output); low: output ÷ "
                       "all input + output, as if cache hits cost a forward pass")
    return [
        entry("tokens-out-equal-in", "output ÷ training tokens when serving compute = pre-training compute", 1.0,
              float(output_tokens_at_equal_compute(t.pretrain_tokens, computed)) / t.pretrain_tokens, "×",
              inputs={"D_pre": t.pretrain_tokens, "output_share": computed}, assumptions=[share],
              recompute=lambda output_share_of_computed_tokens: 3 * output_share_of_computed_tokens,
              note=("6·N·D = 2·N·D_computed gives 3·D computed tokens, prompt and output alike; output is "
                    f"{computed:.0%} of them on DeepSeek's day (cache hits cost no forward pass), so 3 × {computed:.2f} "
                    "output tokens per training token")),
        entry("tokens-out-equal-in", "days for ChatGPT's traffic to serve 150T output tokens", t.days,
              days_to_serve_output(t, of_all), "days",
              inputs={"D_pre": t.pretrain_tokens, "tokens_per_day": t.served_tokens_per_day, "output_share": of_all},
              assumptions=[book("served_tokens_per_day", sel)],
              recompute=lambda served_tokens_per_day: days_to_serve_output(t, of_all, served_tokens_per_day),
              note=(f"{format_count(t.served_tokens_per_day)} tokens a day (messages × {format_count(t.tokens_per_message)} "
                    f"tokens, assumed), {of_all:.0%} of them output (DeepSeek's day); all tokens alike would take "
                    f"{t.pretrain_tokens / t.served_tokens_per_day:.0f} days")),
    ]


def serving_ratio(sel: Selection, model: Model, **kw) -> float:
    """Serving ÷ pre-training accelerator time: V_day·d_serve tokens (V_day = U_day·r_day, turned as one) at u_dec
    against 6·N·D at u_train."""
    v = {n: assumption(n, sel.data_dir).value for n in INFERENCE_NAMES} | kw
    served = dm.served_tokens_over(v["served_tokens_per_day"], v["model_serving_days"])
    return float(dm.inference_to_pretraining(model.training_tokens, served, 1.0, v["training_utilisation"],
                                             v["decode_utilisation"]))


INFERENCE_NAMES = ("served_tokens_per_day", "model_serving_days", "decode_utilisation", "training_utilisation")


#: The format whose peak the book's training utilisation is measured against: Llama 3's 38–43% MFU is against the
#: dense bf16 peak (assumptions.csv training_utilisation), so the book charges it against that peak, whatever format
#: a run trained in (DeepSeek-V3's FP8 hours imply about 35% of the bf16 peak, close to it).
TRAINING_UTILISATION_FORMAT = "bf16"


def pretraining_cost_usd(sel: Selection, model: Model, hw, precision: str = TRAINING_UTILISATION_FORMAT, **kw) -> float:
    """6·N·D / (u_train · F_peak(precision)) accelerator-hours at the book's price per accelerator-hour. The book's
    u_train is against the bf16 peak (the default); another ``precision`` only shows what a mismatched peak gives."""
    v = {n: assumption(n, sel.data_dir).value for n in ("training_utilisation", "price_per_accelerator_hour")} | kw
    flop = TRAIN_FLOP_PER_PARAM_TOKEN * model.active_params * model.training_tokens
    return float(accelerator_hours(flop, hw.flops(precision), v["training_utilisation"])) * v["price_per_accelerator_hour"]


@derives("inference-dominates", CHAPTER)
def inference_dominates(sel: Selection) -> list[Entry]:
    t = talk_numbers(sel)
    hw = sel.hardware
    model, run, whose = cost_rows(sel)
    fmt = TRAINING_UTILISATION_FORMAT
    return [
        entry("inference-dominates", "DeepSeek-V3 pre-training at its reported hours and price", (2e6, 5e6),
              run.accelerator_hours * t.usd_per_hour, "USD",
              inputs={"accelerator_hours": run.accelerator_hours, "usd_per_hour": t.usd_per_hour},
              note=(f"{run.accelerator_hours / 1e6:.3f}M H800-hours of pre-training (context extension and "
                    f"post-training excluded) at DeepSeek's assumed ${t.usd_per_hour:g}/h{whose}")),
        entry("inference-dominates", "pre-training cost, 6·N·D at the book's utilisation and price", None,
              pretraining_cost_usd(sel, model, hw, fmt), "USD", kind=SCENARIO_KIND,
              inputs={"model": model.name, "hardware": hw.name, "format": fmt},
              assumptions=[book("training_utilisation", sel), book("price_per_accelerator_hour", sel)],
              recompute=lambda **kw: pretraining_cost_usd(sel, model, hw, fmt, **kw),
              note=(f"{hw.name} dense {fmt} peak × the training utilisation (Llama 3's MFU, measured against the bf16 "
                    f"peak), at the book's rental price{whose}")),
        entry("inference-dominates", "serving ÷ pre-training accelerator time, daily users over the serving period",
              None, serving_ratio(sel, model), "×", kind=STRUCTURAL, holds_if=lambda r: r >= DWARF_FACTOR,
              inputs={"model": model.name}, assumptions=[book(n, sel) for n in INFERENCE_NAMES],
              recompute=lambda **kw: serving_ratio(sel, model, **kw),
              note=(f"'dwarfs' read as ≥ {DWARF_FACTOR:g}×; same price per accelerator-hour for both, so this is "
                    "also the cost ratio; decode at the decode utilisation, training at the training "
                    f"utilisation (the test-time bar of four-scaling-laws); every served token charged a forward pass, "
                    f"as four-scaling-laws does — with cache hits free ({computed_share_of_served(sel):.1%} of tokens "
                    f"computed on DeepSeek's day, as tokens-out-equal-in counts them) it is "
                    f"{serving_ratio(sel, model) * computed_share_of_served(sel):.1f}×{whose}")),
    ]


@dataclass(frozen=True)
class RlDecadeGain:
    """What one published RL fit says about the gain per 10× of RL compute, read at the decade that ends at the
    largest public run (all shares are of the fit's total gain R_∞ − R_0, so the unpublished R_0 cancels)."""

    fit: object  # lib.scaling.RlFit
    decade_start_gpu_hours: float
    decade_end_gpu_hours: float
    #: s(10 C) − s(C) for the decade read
    last_share: float
    #: the best decade's share, tanh(b ln 10 / 4): the gain per 10× of the log-linear reading at its best
    best_share: float
    #: the compute at which the gain per 10× has fallen to half its peak, C_mid · 10^(0.77/b)
    half_slope_gpu_hours: float
    #: the compute at which the line tangent at C_mid reaches the ceiling, C_mid · 10^(0.87/b)
    line_at_ceiling_gpu_hours: float

    @property
    def ratio(self) -> float:
        """The decade read ÷ the best decade: 1 for a log-linear curve."""
        return self.last_share / self.best_share

    @property
    def max_points(self) -> float:
        """The decade's gain in pass rate if the run started from R_0 = 0, an upper bound (R_0 ≥ 0)."""
        return self.fit.asymptote * self.last_share


def rl_decade_gains(sel: Selection) -> list[RlDecadeGain]:
    """Every complete sigmoid fit in rl_scaling.csv, read at the decade ending at the largest public RL run
    (empty when either is missing)."""
    end = load_rl_scaling(sel.data_dir).get(LARGEST_RL_RUN_ROW)
    if end is None:
        return []
    out = []
    for fit in load_rl_fits(sel.data_dir).values():
        mid, b = fit.midpoint_gpu_hours, fit.exponent
        out.append(RlDecadeGain(fit, end / 10, end, float(rl_decade_gain_share(end / 10, mid, b)),
                                float(rl_best_decade_gain_share(b)),
                                mid * 10 ** float(rl_half_gain_decades(b)),
                                mid * 10 ** float(rl_loglinear_overshoot_decades(b))))
    return out


@derives("rlvr-log-linear", CHAPTER)
def rlvr(sel: Selection) -> list[Entry]:
    cid = "rlvr-log-linear"
    rl = load_rl_scaling(sel.data_dir)
    gains = rl_decade_gains(sel)
    out = [
        entry(cid, f"gain per 10× RL compute at the largest run's last decade ÷ the best decade's, {g.fit.name} fit",
              None, g.ratio, "×", kind=STRUCTURAL, holds_if=lambda r: r >= LOG_LINEAR_FLOOR,
              inputs={"A": g.fit.asymptote, "b": g.fit.exponent, "C_mid (GPU-hours)": g.fit.midpoint_gpu_hours,
                      "decade (GPU-hours)": f"{g.decade_start_gpu_hours:,.0f}–{g.decade_end_gpu_hours:,.0f}"},
              note=(f"log-linear means 1, the same gain every 10×; read as holding at ≥ {LOG_LINEAR_FLOOR:g}. That "
                    f"decade brings {g.last_share:.1%} of the fit's total gain R_∞ − R_0, the best one "
                    f"{g.best_share:.1%}: R_0 (not published) cancels; at most {g.max_points * 100:.1f} points of "
                    "pass rate (R_0 ≥ 0). Table 1 of Khatri et al. as read by secondary notes"))
        for g in gains
    ] or [entry(cid, "gain per 10× RL compute at the largest run's last decade ÷ the best decade's", None, None, "×",
                kind=STRUCTURAL, verdict=NOT_DERIVED,
                note="rl_scaling.csv has no complete sigmoid fit (A, B and C_mid) or no largest-run length")]
    ceiling = rl.get(SCALERL_CEILING)
    out.append(entry(cid, "fitted ceiling A of the largest public RL study (ScaleRL, 8B, 100k GPU-hours)", None,
                     ceiling, "pass rate", inputs={"source": "Khatri et al. 2025"}, kind=STRUCTURAL,
                     verdict=NOT_DERIVED if ceiling is None else (FAILS if ceiling < NO_PLATEAU_CEILING else HOLDS),
                     note="'no plateau' holds for the fitted curve only with a ceiling at 100% (within the fit's "
                          "±0.02); a run stopped before C_mid sees none"))
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
    xai = assumption("rl_to_pretraining_compute_ratio", sel.data_dir)
    out.append(entry(cid, "RL compute ÷ pre-training compute, one frontier model (xAI's Grok 4)", 1.0, xai.value, "×",
                     inputs={"source": xai.source.split(":")[0]},
                     note=("xAI's Grok 4 launch drew RL compute level with pre-training (a secondary reading of the "
                           "livestream; parity likely in GPU-time, not FLOPs): a public source for the talk's "
                           "'comparable' and for the equal-terms reading")))
    return out
