"""Claims of talk J on scaling laws, power and co-design, derived for two chapters.

``four-scaling-laws`` and ``amdahl-co-design`` are shown on ``chapters/four-scaling-laws``; the power claims
(``tokens-per-watt``, ``grid-slack``, ``rubin-pod``, ``cost-per-token-240x``, ``low-cost-token-producer``,
``space-datacentres``) on ``chapters/power-and-co-design``.

Demand, utilisation, prices, lifetime and the standard mode's weight share come from the book-wide table
``data/assumptions.csv`` (:func:`book`), the same numbers ``overtrained-100x`` uses; the few assumptions only
these pages need (agentic calls per task, the radiator's temperature and emissivity) are named here with their
ranges. Serving throughput is the refined step model's at the book's standard mode and a realistic context
(DeepSeek's published mean KV length), with the blackboard's figure kept beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import demand as dm
from .. import power as pw
from .. import provenance
from ..assumptions import assumption, ledger_assumption
from ..claims import NOT_DERIVED, SCENARIO_KIND, STRUCTURAL, Assumption, Entry, derives, entry
from ..data import Selection, table_dir
from ..hardware import Hardware
from ..models import Model
from ..reality import load_deepseek_day

SCALING_CHAPTER = "chapters/four-scaling-laws"
POWER_CHAPTER = "chapters/power-and-co-design"

# ---- assumptions only these pages need ------------------------------------------------------------------
#: Model calls per agentic task: a = 1 is a plain chat answer; sub-agents multiply it.
AGENT_CALLS = Assumption("agent_calls_per_task", 3.0, 1.0, 10.0, "calls",
                         source="this book (assumption): an agent that plans, calls two sub-agents and checks their "
                                "work; 1 is no agents, 10 a wide fan-out")
#: The radiator of an orbital data centre: surface temperature and emissivity (power_constants.csv holds the
#: central values; the ranges are this book's).
RADIATOR_T_RANGE = (270.0, 350.0)
RADIATOR_EPS_RANGE = (0.8, 0.95)

#: Amdahl's co-design illustration on the page (not a ledger entry: the shares and factors are made up).
CODESIGN_SHARES = {"compute": 0.5, "memory": 0.3, "network": 0.2}
CODESIGN_FACTORS = {"compute": 10.0, "memory": 4.0, "network": 4.0}

#: The talk's pod totals.
POD_COMPUTE_FLOPS = 60e18
POD_SCALE_UP_BPS = 10e15
#: Two estimates of the LPX rack count "agree" within the ledger's default tolerance for a single value.
AGREEMENT_TOLERANCE = 0.25
#: How four-scaling-laws writes a demand in pre-training runs, in its prose and on its demand chart (the spec
#: means the same in Python's format() and in d3-format): one value, written one way in both.
RUNS_FORMAT = ",.1f"
#: How power-and-co-design writes the grid's mean load ÷ peak, in its prose and on its grid chart.
LOAD_FACTOR_FORMAT = ".1%"
#: The share of the year the grid is above 60% of its peak, read literally from "60% of peak 99% of the time".
GRID_SHOULDER, GRID_SHOULDER_HOURS = 0.6, 0.01
#: Norris et al.'s headline case: curtailment of 0.5% of the new load's annual energy.
NORRIS_HEADLINE_CURTAILMENT = 0.005


def book(name: str, sel: Selection) -> Assumption:
    """One row of the book-wide assumptions table (the reader's copy if the data directory has one)."""
    return ledger_assumption(name, sel.data_dir)


def value(name: str, sel: Selection) -> float:
    return assumption(name, sel.data_dir).value


def inferred(sel: Selection, uses: dict[str, tuple[str, ...]]) -> list[str]:
    """'row: column' for every hardware value in ``uses`` ({row: columns}) that data/inferred_values.csv marks."""
    return [f"{row}: {col}" for row, cols in uses.items() for col in provenance.rests_on(row, list(cols), sel.data_dir)]


def _with_inferred(note: str, marks: list[str]) -> str:
    return note + (f" (rests on inferred values: {', '.join(marks)})" if marks else "")


# ---- four-scaling-laws ---------------------------------------------------------------------------------

#: Tokens per parameter assumed for D when no model in the data publishes its training tokens (Chinchilla's).
FALLBACK_TOKENS_PER_PARAM = 20.0


def scenario_model(sel: Selection) -> tuple[Model, str]:
    """The model the demand scenario runs on, and a sentence saying why: the selected model when it publishes its
    training tokens D; else the model of the data with published D closest to it in active parameters (log
    distance); else the selected model with D assumed at 20 tokens per active parameter."""
    model = sel.model
    if model.training_tokens is not None:
        return model, f"The scenario runs on the selected model, {model.name}."
    published = [m for m in sel.all_models() if m.training_tokens is not None]
    if published:
        stand_in = min(published, key=lambda m: abs(np.log(m.active_params / model.active_params)))
        return stand_in, (f"{model.name} publishes no training-token count, so the scenario runs on {stand_in.name}, "
                          "the model with published tokens closest to it in active parameters.")
    assumed = replace(model, training_tokens=FALLBACK_TOKENS_PER_PARAM * model.active_params)
    return assumed, (f"No model in the data publishes its training tokens, so the scenario assumes D = "
                     f"{FALLBACK_TOKENS_PER_PARAM:g} × N_active for {model.name} (Chinchilla's ratio).")


#: The book-wide rows the scenario reads and the ledger turns. The daily volume is one assumption: daily users ×
#: tokens per daily user is pinned to ChatGPT's reported volume, so neither factor is turned alone.
DEMAND_NAMES = ("served_tokens_per_day", "model_serving_days", "decode_utilisation", "training_utilisation",
                "rl_to_pretraining_compute_ratio")
#: Rows shown beside the scenario to read the volume per user (not turned: their product is served_tokens_per_day).
DEMAND_SPLIT = ("daily_users", "tokens_per_daily_user_per_day")


def demand_assumptions(sel: Selection) -> dict[str, float]:
    """The scenario's inputs by name: the book-wide rows (the volume's split into users × tokens per user for
    display) and the agentic calls per task."""
    out = {name: value(name, sel) for name in DEMAND_NAMES + DEMAND_SPLIT}
    out[AGENT_CALLS.name] = AGENT_CALLS.value
    return out


def scenario(model: Model, inputs: dict[str, float]) -> dm.Demand:
    """The four terms of eq. demand-time for ``model`` (which must have training tokens) under ``inputs``."""
    served = float(dm.served_tokens_over(inputs["served_tokens_per_day"], inputs["model_serving_days"]))
    return dm.demand(model.active_params, model.training_tokens, served, inputs[AGENT_CALLS.name],
                     inputs["training_utilisation"], inputs["decode_utilisation"],
                     inputs["rl_to_pretraining_compute_ratio"])


def breakeven_days(model: Model, inputs: dict[str, float]) -> float:
    return float(dm.days_to_match_pretraining(model.training_tokens, inputs["served_tokens_per_day"],
                                              inputs[AGENT_CALLS.name],
                                              inputs["training_utilisation"], inputs["decode_utilisation"]))


@derives("four-scaling-laws", SCALING_CHAPTER)
def four_axes(sel: Selection) -> list[Entry]:
    model, why = scenario_model(sel)
    base = demand_assumptions(sel)
    names = [n for n in DEMAND_NAMES if n != "rl_to_pretraining_compute_ratio"]
    turned = [book(n, sel) for n in names] + [AGENT_CALLS]
    d = scenario(model, base)
    ratio = d.inference / d.pretraining
    stand_in = "" if model is sel.model else f" {why}"
    inputs = {"model": model.name, "D": model.training_tokens, **base}
    return [
        entry("four-scaling-laws", "inference ÷ pre-training accelerator time over the serving period", None, ratio,
              "×", kind=STRUCTURAL, holds_if=lambda r: r > 1, inputs=inputs, assumptions=turned,
              recompute=lambda **kw: (lambda dd: dd.inference / dd.pretraining)(scenario(model, {**base, **kw})),
              note=("the shape 'inference is more compute-hungry than pre-training': test-time and agentic decode, "
                    "each at the decode utilisation, against one pre-training run at the training utilisation; the "
                    f"largest term is {d.dominant}.{stand_in}")),
        entry("four-scaling-laws", "days of serving whose accelerator time equals one pre-training run", None,
              breakeven_days(model, base), "days", kind=SCENARIO_KIND, inputs=inputs,
              assumptions=[book(n, sel) for n in ("served_tokens_per_day", "decode_utilisation",
                                                  "training_utilisation")] + [AGENT_CALLS],
              recompute=lambda **kw: breakeven_days(model, {**base, **kw}),
              note=("d* = 3·D·u_dec / (U_day·r_day·a·u_train): N cancels, so it holds for any model size; the volume "
                    "U_day·r_day is turned as one assumption (served_tokens_per_day)" + stand_in)),
    ]


@derives("amdahl-co-design", SCALING_CHAPTER)
def amdahl(sel: Selection) -> list[Entry]:
    limit = float(pw.amdahl_speedup(0.5, np.inf))
    return [entry("amdahl-co-design", "speed-up when 50% of the work becomes free", 2.0, limit, "×",
                  inputs={"fraction": 0.5, "factor": "∞"}, note="Amdahl's law, S = 1/(1 − p) as s → ∞")]


# ---- power: data and throughput ----------------------------------------------------------------------------


def constants(sel: Selection) -> dict[str, float]:
    return pw.load_constants(table_dir(pw.CONSTANTS_SCHEMA.file, sel.data_dir))


def prices(sel: Selection) -> list[pw.AcceleratorPrice]:
    return pw.load_prices(table_dir(pw.COSTS_SCHEMA.file, sel.data_dir))


def owner_row(sel: Selection, hardware_name: str) -> pw.OwnerCost | None:
    return next((o for o in pw.load_owner_costs(sel.data_dir) if o.hardware == hardware_name), None)


def serving_context(sel: Selection) -> float:
    """The context the power chapter serves at: DeepSeek's published mean KV length per output token (its
    inference day, deepseek_day.csv), the one production figure a provider has published."""
    return load_deepseek_day(sel.data_dir).mean_kv_tokens


_THROUGHPUTS: dict[tuple, pw.Throughput] = {}


def _throughput(hw: Hardware, model: Model, context: float, choice: str, weight_share: float) -> pw.Throughput:
    """Memoised by the rows' contents (Hardware and Model hold dicts, so they are not hashable themselves)."""
    key = (repr(hw), repr(model), context, choice, weight_share)
    if key not in _THROUGHPUTS:
        if len(_THROUGHPUTS) > 4096:
            _THROUGHPUTS.clear()
        _THROUGHPUTS[key] = pw.serving_throughput(hw, model, context, pw.weight_format(hw, model, choice), weight_share)
    return _THROUGHPUTS[key]


def throughput(sel: Selection, hw: Hardware, model: Model, choice: str = "release",
               weight_share: float | None = None) -> pw.Throughput:
    """τ on the refined model at the standard mode (weights in ``choice`` of :data:`lib.power.FORMATS`)."""
    w = value("weights_share_of_hbm", sel) if weight_share is None else weight_share
    return _throughput(hw, model, serving_context(sel), choice, w)


def throughputs(sel: Selection, model: Model, choice: str = "release") -> list[pw.Throughput]:
    """τ for every hardware row where at least one sequence fits (the others have no operating point)."""
    return [t for t in (throughput(sel, h, model, choice) for h in sel.all_hardware()) if t.tokens_per_s_per_chip > 0]


@dataclass(frozen=True)
class PricedToken:
    """One priced offer: its throughput at the standard mode and cost per token (USD per million tokens)."""

    offer: pw.AcceleratorPrice
    throughput: pw.Throughput
    usd_per_Mtok: float


def priced_tokens(sel: Selection, model: Model, choice: str = "release",
                  weight_share: float | None = None) -> list[PricedToken]:
    """Every offer whose hardware is in the data and can hold the model, at the realistic decode efficiency
    (:func:`lib.power.decode_realism_factor`, 1 until the reality-check chapter calibrates it)."""
    by_name = {h.name: h for h in sel.all_hardware()}
    realism = pw.decode_realism_factor(sel.data_dir)
    out = []
    for offer in prices(sel):
        hw = by_name.get(offer.hardware)
        if hw is None:
            continue
        t = throughput(sel, hw, model, choice, weight_share)
        if t.tokens_per_s_per_chip <= 0:
            continue
        usd = float(pw.accelerator_cost_per_token_usd(offer.usd_per_hour, realism * t.tokens_per_s_per_chip))
        out.append(PricedToken(offer, t, 1e6 * usd))
    return out


def oldest_and_best(rows: list[pw.Throughput]) -> tuple[pw.Throughput, pw.Throughput]:
    """The oldest row (by year, then fewest tokens per joule) and the row with the most tokens per joule."""
    oldest = min(rows, key=lambda t: (t.year, t.tokens_per_s_per_W))
    best = max(rows, key=lambda t: t.tokens_per_s_per_W)
    return oldest, best


# ---- tokens-per-watt ---------------------------------------------------------------------------------------


def _hour_power_W(sel: Selection, hw: Hardware) -> tuple[float, str]:
    """Watts per accelerator at the wall (its share of the server) when owner_costs.csv has the row, else its TDP."""
    owner = owner_row(sel, hw.name)
    return (owner.power_W, f"{owner.name}, at the wall") if owner else (hw.tdp_W, f"{hw.name} TDP")


def owner_share(sel: Selection, hw: Hardware, **kw) -> float | None:
    owner = owner_row(sel, hw.name)
    if owner is None:
        return None
    v = {n: value(n, sel) for n in ("electricity_price", "pue", "accelerator_lifetime")} | kw
    return float(pw.owner_electricity_share(owner.purchase_price_usd, v["accelerator_lifetime"], owner.power_W,
                                            v["electricity_price"], v["pue"]))


def renter_share(sel: Selection, hw: Hardware, **kw) -> float:
    v = {n: value(n, sel) for n in ("electricity_price", "pue", "price_per_accelerator_hour")} | kw
    watts, _ = _hour_power_W(sel, hw)
    return float(pw.renter_electricity_share(watts, v["electricity_price"], v["price_per_accelerator_hour"], v["pue"]))


@derives("tokens-per-watt", POWER_CHAPTER)
def tokens_per_watt(sel: Selection) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    ctx = serving_context(sel)
    here = throughput(sel, hw, model)
    board = pw.blackboard_throughput(hw, model, "bf16")
    marks_here = inferred(sel, {hw.name: ("tdp_W",)})
    inputs = {"hardware": hw.name, "model": model.name, "context_tokens": ctx, "precision": here.precision,
              "chips": here.chips, "batch": here.batch, "blackboard_tokens_per_J": board.tokens_per_s_per_W,
              "inferred": marks_here}
    out = [entry("tokens-per-watt", "tokens per joule at the standard mode (refined, release formats)", None,
                 here.tokens_per_s_per_W or None, "tokens/J", kind=SCENARIO_KIND, inputs=inputs,
                 assumptions=[book("weights_share_of_hbm", sel)],
                 recompute=lambda weights_share_of_hbm: throughput(sel, hw, model, "release",
                                                                   weights_share_of_hbm).tokens_per_s_per_W or None,
                 note=_with_inferred(f"{here.chips} accelerators, batch {here.batch:,.0f} at {ctx:,.0f} tokens of "
                                     f"context; the blackboard (bf16, context 0, B*) gives {board.tokens_per_s_per_W:.3g}",
                                     marks_here))]
    rows = throughputs(sel, model, "bf16")
    if len(rows) >= 2:
        oldest, best = oldest_and_best(rows)
        marks = inferred(sel, {oldest.hardware: ("tdp_W", "dense_bf16_TFLOPs"), best.hardware: ("tdp_W", "dense_bf16_TFLOPs")})
        out.append(entry("tokens-per-watt", "tokens per joule, best row ÷ oldest row (refined, matched bf16)", None,
                         best.tokens_per_s_per_W / oldest.tokens_per_s_per_W, "×", kind=STRUCTURAL,
                         holds_if=lambda r: r > 1,
                         inputs={"oldest": oldest.hardware, "best": best.hardware, "context_tokens": ctx,
                                 "inferred": marks},
                         note=_with_inferred(f"the metric moves with generations: {oldest.hardware} ({oldest.year}) → "
                                             f"{best.hardware} ({best.year}), both in bf16", marks)))
    owner = owner_row(sel, hw.name)
    price_names = ("electricity_price", "pue", "accelerator_lifetime")
    if owner is None:
        out.append(entry("tokens-per-watt", "electricity share of an owner's accelerator-hour", None, None, "%",
                         kind=SCENARIO_KIND, assumptions=[book(n, sel) for n in price_names],
                         note=f"owner_costs.csv has no purchase price for {hw.name}"))
    else:
        out.append(entry("tokens-per-watt", "electricity share of an owner's accelerator-hour", None,
                         100 * owner_share(sel, hw), "%", kind=SCENARIO_KIND,
                         inputs={"owner_row": owner.name, "power_W": owner.power_W,
                                 "purchase_price_USD": owner.purchase_price_usd},
                         assumptions=[book(n, sel) for n in price_names],
                         recompute=lambda **kw: 100 * owner_share(sel, hw, **kw),
                         note=(f"{owner.name}: straight-line depreciation plus electricity at the wall "
                               f"({owner.power_W:,.0f} W); with the chip's {hw.tdp_W:,.0f} W TDP alone the share is "
                               f"{100 * float(pw.owner_electricity_share(owner.purchase_price_usd, value('accelerator_lifetime', sel), hw.tdp_W, value('electricity_price', sel), value('pue', sel))):.0f}%")))
    watts, what = _hour_power_W(sel, hw)
    out.append(entry("tokens-per-watt", "electricity share of a renter's accelerator-hour", None,
                     100 * renter_share(sel, hw), "%", kind=SCENARIO_KIND,
                     inputs={"power_W": watts, "power": what},
                     assumptions=[book(n, sel) for n in ("electricity_price", "pue", "price_per_accelerator_hour")],
                     recompute=lambda **kw: 100 * renter_share(sel, hw, **kw),
                     note="the provider's electricity inside a rented hour at the book's H100-class rental price: "
                          "power caps how many tokens a site makes; the accelerator-hour sets what a renter pays"))
    return out


# ---- grid-slack ----------------------------------------------------------------------------------------------


def grid_load_factor(sel: Selection) -> float:
    c = constants(sel)
    return pw.load_factor_with_losses(c["us_annual_retail_sales"] * 1e9, c["us_peak_demand_2023"] * 1e6,
                                      c["us_td_loss_fraction"])


@derives("grid-slack", POWER_CHAPTER)
def grid_slack(sel: Selection) -> list[Entry]:
    c = constants(sel)
    lf = grid_load_factor(sel)
    inputs = {"sales_GWh_2023": c["us_annual_retail_sales"], "peak_MW_2023": c["us_peak_demand_2023"],
              "loss_fraction": c["us_td_loss_fraction"]}
    share = float(pw.min_share_of_hours_above(lf, GRID_SHOULDER))
    out = [
        entry("grid-slack", "US mean load ÷ peak, 2023 (sales and losses over the same year's peak)", GRID_SHOULDER, lf,
              "of peak", inputs=inputs,
              note=(f"sales alone give {pw.load_factor(c['us_annual_retail_sales'] * 1e9, c['us_peak_demand_2023'] * 1e6):.3f}; "
                    "the peak is measured at the balancing authorities, losses included, so sales are grossed up")),
        entry("grid-slack", "share of hours above 60% of peak, at least (from the mean load)", GRID_SHOULDER_HOURS,
              share, "of hours", inputs={**inputs, "mean_load": lf},
              note=("a lower bound with no hourly data: a mean of L̄ needs s ≥ (L̄ − 0.6)/(1 − 0.6) of the hours above "
                    "60%; 'below 60% for 99% of hours' would cap the mean at 0.604")),
    ]
    flex = [h for h in pw.load_grid_flexibility(sel.data_dir) if h.curtailment_fraction == NORRIS_HEADLINE_CURTAILMENT]
    if flex:
        h = flex[0]
        out.append(entry("grid-slack", "new load the US grid absorbs if it sheds 0.5% of its energy (Norris et al.)",
                         None, h.headroom_W, "W", kind=STRUCTURAL, holds_if=lambda w: w > 0,
                         inputs={"row": h.name, "peak_MW": c["us_peak_demand"]},
                         note=(f"{h.headroom_W / 1e9:,.0f} GW, {h.headroom_W / (c['us_peak_demand'] * 1e6):.0%} of the "
                               "2024 peak: a load that accepts rare curtailment can use the grid's slack, as claimed")))
    else:
        out.append(entry("grid-slack", "new load the US grid absorbs if it sheds 0.5% of its energy (Norris et al.)",
                         None, None, "W", kind=STRUCTURAL, verdict=NOT_DERIVED,
                         note="grid_flexibility.csv has no 0.5% row"))
    return out


# ---- rubin-pod ------------------------------------------------------------------------------------------------


def rubin_row(sel: Selection) -> Hardware | None:
    return next((h for h in sel.all_hardware() if h.name.startswith("Rubin")), None)


def lpx_racks_implied(c: dict[str, float]) -> tuple[float, float]:
    """LPX racks that close the talk's totals: (60 EF − GPUs × 50 PF) / LPX PF, and (10 PB/s − NVL72 racks × rack
    scale-up) / LPX scale-up. The compute count mixes formats, as the talk's 60 EF must: the GPUs' 50 PF is NVFP4
    inference (adaptive compression, not dense), the LPX racks' figure FP8."""
    by_compute = (POD_COMPUTE_FLOPS - c["rubin_pod_gpus"] * c["rubin_fp4_inference_pflops"] * 1e15) / (
        c["lpx_rack_fp8_pflops"] * 1e15)
    by_bandwidth = (POD_SCALE_UP_BPS - c["rubin_pod_nvl72_racks"] * c["rubin_nvl72_rack_scale_up_TBps"] * 1e12) / (
        c["lpx_rack_scale_up_TBps"] * 1e12)
    return by_compute, by_bandwidth


def pod_scale_up_Bps(c: dict[str, float], lpx_racks: float) -> float:
    return (c["rubin_pod_nvl72_racks"] * c["rubin_nvl72_rack_scale_up_TBps"] + lpx_racks * c["lpx_rack_scale_up_TBps"]) * 1e12


@derives("rubin-pod", POWER_CHAPTER)
def rubin_pod(sel: Selection) -> list[Entry]:
    c = constants(sel)
    gpus = c["rubin_pod_gpus"]
    nvl72 = {"racks": c["rubin_pod_nvl72_racks"], "TBps_per_rack": c["rubin_nvl72_rack_scale_up_TBps"]}
    by_compute, by_bandwidth = lpx_racks_implied(c)
    lpx = c["rubin_pod_lpx_racks_implied"]
    out = [
        entry("rubin-pod", "Rubin GPUs per pod (NVIDIA)", 1100.0, gpus, "GPUs",
              inputs={"racks": c["rubin_pod_racks"], "NVL72_racks": c["rubin_pod_nvl72_racks"]},
              note=f"{c['rubin_pod_nvl72_racks']:.0f} NVL72 racks × {c['rubin_gpus_per_rack']:.0f}; the talk's ~1,100 rounds it"),
        entry("rubin-pod", "pod NVFP4 compute, GPUs alone (50 PF inference figure)", POD_COMPUTE_FLOPS,
              gpus * c["rubin_fp4_inference_pflops"] * 1e15, "FLOP/s", inputs={"gpus": gpus},
              note="the inference figure relies on adaptive compression; the LPX racks add the rest of 60 EF"),
        entry("rubin-pod", "pod scale-up bandwidth, NVL72 racks alone", POD_SCALE_UP_BPS,
              pod_scale_up_Bps(c, 0.0), "B/s", inputs=nvl72,
              note="NVLink 6, 3.6 TB/s per GPU counting both directions: less than half of 10 PB/s"),
        entry("rubin-pod", "pod scale-up bandwidth with the LPX racks the compute total implies", POD_SCALE_UP_BPS,
              pod_scale_up_Bps(c, lpx), "B/s", inputs={**nvl72, "LPX_racks": lpx},
              note=(f"{lpx:.0f} LPX racks (an estimate: NVIDIA does not list the rack mix; {by_compute:.1f} close the "
                    f"compute total, a mixed-format sum: the GPUs' {c['rubin_fp4_inference_pflops']:g} PF NVFP4 "
                    f"inference figure, not dense, plus {c['lpx_rack_fp8_pflops']:g} PF FP8 per LPX rack) at "
                    f"{c['lpx_rack_scale_up_TBps']:,.0f} TB/s each (secondary sources)")),
        entry("rubin-pod", "LPX racks implied by the bandwidth total ÷ by the compute total", None,
              by_bandwidth / by_compute, "×", kind=STRUCTURAL,
              holds_if=lambda r: abs(r - 1) <= AGREEMENT_TOLERANCE,
              inputs={"by_compute": by_compute, "by_bandwidth": by_bandwidth},
              note=(f"{by_compute:.1f} racks from 60 EF, {by_bandwidth:.1f} from 10 PB/s "
                    f"({by_bandwidth - by_compute:.1f} racks apart): the two totals describe one pod of GPU and LPX "
                    "racks if they agree within 25%; the 60 EF count rests on a mixed-format sum (GPUs' NVFP4 "
                    "inference figure with adaptive compression + LPX racks' FP8), which no one format makes")),
    ]
    hw = rubin_row(sel)
    if hw is None or not hw.supports("fp4"):
        out.append(entry("rubin-pod", "pod FP4 compute, GPUs alone (hardware.csv, training figure)", POD_COMPUTE_FLOPS,
                         None, "FLOP/s", note="the data have no Rubin row with an FP4 figure"))
    else:
        out.append(entry("rubin-pod", "pod FP4 compute, GPUs alone (hardware.csv, training figure)", POD_COMPUTE_FLOPS,
                         gpus * hw.flops("fp4"), "FLOP/s", inputs={"hardware": hw.name, "gpus": gpus},
                         note="dense NVFP4 training figure per GPU: the training precision does not make 60 EF"))
    return out


# ---- cost-per-token-240x -----------------------------------------------------------------------------------


def hyperscaler(points: list[PricedToken]) -> list[PricedToken]:
    return [p for p in points if p.offer.market == "hyperscaler on-demand"]


def oldest_and_cheapest(points: list[PricedToken]) -> tuple[PricedToken, PricedToken] | None:
    """The cheapest token on the oldest accelerator (its cheapest offer, so that a dear offer of old hardware does not
    inflate the ratio) and the cheapest token overall."""
    if len(points) < 2:
        return None
    oldest = min(points, key=lambda p: (p.throughput.year, p.usd_per_Mtok))
    cheapest = min(points, key=lambda p: p.usd_per_Mtok)
    return oldest, cheapest


@derives("cost-per-token-240x", POWER_CHAPTER)
def cost_240x(sel: Selection) -> list[Entry]:
    model = sel.model
    ctx = serving_context(sel)
    out = []
    for choice, label in (("release", "release formats"), ("bf16", "matched bf16")):
        pair = oldest_and_cheapest(hyperscaler(priced_tokens(sel, model, choice)))
        quantity = f"cost per token at hyperscaler on-demand prices, oldest accelerator → cheapest token ({label})"
        if pair is None:
            out.append(entry("cost-per-token-240x", quantity, 240.0, None, "×", note="fewer than two priced offers"))
            continue
        old, cheap = pair
        marks = inferred(sel, {old.offer.hardware: ("dense_bf16_TFLOPs",), cheap.offer.hardware: ("dense_bf16_TFLOPs",)})
        out.append(entry("cost-per-token-240x", quantity, 240.0, old.usd_per_Mtok / cheap.usd_per_Mtok, "×",
                         inputs={"model": model.name, "context_tokens": ctx, "oldest": old.offer.name,
                                 "cheapest": cheap.offer.name, "inferred": marks},
                         note=_with_inferred(f"{old.offer.name} ({old.offer.as_of}, {old.offer.usd_per_hour:.2f} USD/h) → "
                                             f"{cheap.offer.name} ({cheap.offer.as_of}, {cheap.offer.usd_per_hour:.2f} USD/h), "
                                             "refined model at the standard mode", marks)))
    hardware = sel.all_hardware()
    first = min(hardware, key=lambda h: (h.year, h.flops("bf16")))
    last = max(hardware, key=lambda h: (h.year, h.flops(pw.lowest_precision(h))))
    marks = inferred(sel, {first.name: ("dense_bf16_TFLOPs",), last.name: ("dense_bf16_TFLOPs", "dense_fp4_TFLOPs")})
    out += [
        entry("cost-per-token-240x", "dense FLOP/s per package, oldest → newest (matched 16-bit)", 240.0,
              last.flops("bf16") / first.flops("bf16"), "×", inputs={"oldest": first.name, "newest": last.name,
                                                                       "inferred": marks},
              note=_with_inferred(f"{first.name} ({first.year}) → {last.name} ({last.year}): throughput per package, "
                                  "not cost", marks)),
        entry("cost-per-token-240x", "dense FLOP/s per package, oldest (16-bit) → newest (narrowest format)", 240.0,
              last.flops(pw.lowest_precision(last)) / first.flops("bf16"), "×",
              inputs={"oldest": first.name, "newest": last.name, "inferred": marks},
              note=_with_inferred(f"{first.name} bf16 → {last.name} {pw.lowest_precision(last)}: the format narrows "
                                  "fourfold along the way; per package, not cost", marks)),
    ]
    rows = throughputs(sel, model, "narrowest")
    if len(rows) >= 2:
        oldest, best = oldest_and_best(rows)
        marks = inferred(sel, {oldest.hardware: ("tdp_W",), best.hardware: ("tdp_W",)})
        out.append(entry("cost-per-token-240x", "tokens per joule, oldest row → best row (refined, narrowest formats)",
                         240.0, best.tokens_per_s_per_W / oldest.tokens_per_s_per_W, "×",
                         inputs={"oldest": oldest.hardware, "best": best.hardware, "context_tokens": ctx,
                                 "inferred": marks},
                         note=_with_inferred(f"{oldest.hardware} ({oldest.precision}) → {best.hardware} "
                                             f"({best.precision}): energy per token at the standard mode", marks)))
    return out


# ---- low-cost-token-producer ------------------------------------------------------------------------------


def is_tpu(hardware_name: str) -> bool:
    return hardware_name.startswith("TPU")


def owner_to_renter(sel: Selection, hw: Hardware, **kw) -> float | None:
    """An owner's cost per accelerator-hour (depreciation + electricity at the wall) ÷ the book's rental price; at
    one throughput it is also the ratio of their costs per token."""
    owner = owner_row(sel, hw.name)
    if owner is None:
        return None
    v = {n: value(n, sel) for n in ("electricity_price", "pue", "accelerator_lifetime", "price_per_accelerator_hour")} | kw
    hour = (float(pw.owner_capex_per_hour_usd(owner.purchase_price_usd, v["accelerator_lifetime"]))
            + float(pw.owner_energy_per_hour_usd(owner.power_W, v["electricity_price"], v["pue"])))
    return hour / v["price_per_accelerator_hour"]


def tpu_edge(sel: Selection, model: Model, weight_share: float | None = None
             ) -> tuple[PricedToken, PricedToken] | None:
    """(cheapest TPU, cheapest other) hyperscaler on-demand token, or None without both."""
    on_demand = hyperscaler(priced_tokens(sel, model, "release", weight_share))
    tpus = [p for p in on_demand if is_tpu(p.offer.hardware)]
    others = [p for p in on_demand if not is_tpu(p.offer.hardware)]
    if not (tpus and others):
        return None
    return min(tpus, key=lambda p: p.usd_per_Mtok), min(others, key=lambda p: p.usd_per_Mtok)


@derives("low-cost-token-producer", POWER_CHAPTER)
def low_cost(sel: Selection) -> list[Entry]:
    model = sel.model
    quantity = "cheapest other on-demand token ÷ cheapest TPU token (refined, release formats)"
    pair = tpu_edge(sel, model)
    if pair is not None:
        tpu, other = pair
        out = [entry("low-cost-token-producer", quantity, None, other.usd_per_Mtok / tpu.usd_per_Mtok, "×",
                     kind=STRUCTURAL, holds_if=lambda r: r > 1, assumptions=[book("weights_share_of_hbm", sel)],
                     recompute=lambda weights_share_of_hbm: (lambda p: p[1].usd_per_Mtok / p[0].usd_per_Mtok)(
                         tpu_edge(sel, model, weights_share_of_hbm)),
                     inputs={"model": model.name, "tpu": tpu.offer.name, "other": other.offer.name},
                     note=(f"{tpu.offer.name}: {tpu.usd_per_Mtok:.3f} USD/Mtok against {other.offer.name}: "
                           f"{other.usd_per_Mtok:.3f}; rented, so the owner's margin is in both prices"))]
    else:
        out = [entry("low-cost-token-producer", quantity, None, None, "×", kind=STRUCTURAL, verdict=NOT_DERIVED,
                     note="the price table needs a TPU and another hyperscaler on-demand offer")]
    hw = sel.hardware
    ratio = owner_to_renter(sel, hw)
    names = ("accelerator_lifetime", "electricity_price", "pue", "price_per_accelerator_hour")
    out.append(entry("low-cost-token-producer", "an owner's cost per token ÷ a renter's (same accelerator)", None,
                     ratio, "×", kind=SCENARIO_KIND, assumptions=[book(n, sel) for n in names],
                     recompute=None if ratio is None else (lambda **kw: owner_to_renter(sel, hw, **kw)),
                     inputs={"hardware": hw.name},
                     note=(f"owner_costs.csv has no purchase price for {hw.name}" if ratio is None else
                           f"{hw.name} bought (GPU only, no server) and run against the book's rental price: what a "
                           "producer that owns its chips avoids paying; no TPU's price is public, so a TPU owner's "
                           "cost is not in the data")))
    return out


# ---- space-datacentres ----------------------------------------------------------------------------------


def _area_ratio(c: dict[str, float], temperature_K: float, emissivity: float, sides: int) -> float:
    radiator = float(pw.radiator_area_m2_per_W(temperature_K, emissivity, sides))
    solar = float(pw.solar_area_m2_per_W(c["solar_constant"], c["space_cell_efficiency"], c["space_array_packing"]))
    return radiator / solar


@derives("space-datacentres", POWER_CHAPTER)
def space(sel: Selection) -> list[Entry]:
    c = constants(sel)
    t, eps = c["radiator_temperature"], c["radiator_emissivity"]
    ranges = [Assumption("radiator_temperature", t, min(t, RADIATOR_T_RANGE[0]), max(t, RADIATOR_T_RANGE[1]), "K",
                         "power_constants.csv (assumption); range: this book"),
              Assumption("radiator_emissivity", eps, min(eps, RADIATOR_EPS_RANGE[0]), max(eps, RADIATOR_EPS_RANGE[1]),
                         "1", "power_constants.csv (assumption); range: this book")]
    radiator = float(pw.radiator_area_m2_per_W(t, eps)) * 1e6
    inputs = {"temperature_K": t, "emissivity": eps, "solar_W_per_m2": c["solar_constant"],
              "cell_efficiency": c["space_cell_efficiency"], "packing": c["space_array_packing"]}
    pitch = f"; {radiator / c['football_pitch_area']:.2f} of a football pitch" if "football_pitch_area" in c else ""
    out = [entry("space-datacentres", "radiator area per MW (one side, by radiation only)", None, radiator, "m²/MW",
                 kind=SCENARIO_KIND, inputs=inputs, assumptions=ranges,
                 recompute=lambda radiator_temperature=t, radiator_emissivity=eps:
                     float(pw.radiator_area_m2_per_W(radiator_temperature, radiator_emissivity)) * 1e6,
                 note=f"A = 1/(ε·σ·T⁴) at {t:.0f} K{pitch}")]
    for sides, word in ((1, "one-sided"), (2, "two-sided")):
        out.append(entry("space-datacentres", f"radiator ÷ solar-array area, {word} radiator (cooling needs more area)",
                         None, _area_ratio(c, t, eps, sides), "×", kind=STRUCTURAL, holds_if=lambda r: r > 1,
                         inputs={**inputs, "sides": sides}, assumptions=ranges,
                         recompute=lambda radiator_temperature=t, radiator_emissivity=eps, s=sides:
                             _area_ratio(c, radiator_temperature, radiator_emissivity, s),
                         note=("cooling is the harder half if the radiator must be larger than the array that "
                               "powers it; absorbed sunlight and Earth-shine, ignored here, would enlarge it")))
    return out
