"""Claims of talk J on scaling laws, power and co-design, derived for two chapters.

``four-scaling-laws`` and ``amdahl-co-design`` are shown on ``chapters/four-scaling-laws``; the power claims
(``tokens-per-watt``, ``grid-slack``, ``rubin-pod``, ``cost-per-token-240x``, ``low-cost-token-producer``,
``space-datacentres``) on ``chapters/power-and-co-design``. The scenario constants below are the
assumptions the pages name; the reader turns them in the charts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import demand as dm
from .. import power as pw
from ..claims import FAILS, HOLDS, LOOSE, Entry, derives, entry
from ..data import Selection, table_dir
from ..hardware import Hardware
from ..models import Model

SCALING_CHAPTER = "chapters/four-scaling-laws"
POWER_CHAPTER = "chapters/power-and-co-design"

# ---- the demand scenario (assumptions, named on the page) -------------------------------------------
#: RL rollout tokens as a fraction of pre-training tokens.
RL_TOKENS_PER_PRETRAINING_TOKEN = 0.1
#: FLOP per parameter per RL token: 6 = score and train on every rollout token (the talk's 2–6, upper end).
RL_FLOP_PER_PARAM = 6.0
#: Rollout efficiency: decode-heavy rollouts reach ~30% of peak FLOP/s (talk L).
ROLLOUT_EFFICIENCY = 0.3
#: Users, answers per user per day, days served: 100M daily users (talk J), 10 answers a day, half a year.
DAILY_USERS = 100e6
ANSWERS_PER_USER_PER_DAY = 10.0
DAYS_SERVED = 180.0
#: Tokens generated per answer (reasoning + answer) and model calls per task (1 = no sub-agents).
TOKENS_PER_ANSWER = 2000.0
CALLS_PER_TASK = 3.0

#: Amdahl's co-design example: shares of a step's time and the factor each component is made faster.
CODESIGN_SHARES = {"compute": 0.5, "memory": 0.3, "network": 0.2}
CODESIGN_FACTORS = {"compute": 10.0, "memory": 4.0, "network": 4.0}

#: Context for throughput at B*: 0 (KV reads excluded), so tokens/s at B* is the roofline's compute floor.
CONTEXT_TOKENS = 0.0


def answers_served() -> float:
    """Q = users × answers per user per day × days."""
    return DAILY_USERS * ANSWERS_PER_USER_PER_DAY * DAYS_SERVED


def scenario(model: Model) -> dm.Demand | None:
    """The four terms for ``model`` under the scenario constants, or None without training tokens."""
    if model.training_tokens is None:
        return None
    return dm.demand(model.active_params, model.training_tokens,
                     RL_TOKENS_PER_PRETRAINING_TOKEN * model.training_tokens, answers_served(),
                     TOKENS_PER_ANSWER, CALLS_PER_TASK, RL_FLOP_PER_PARAM, ROLLOUT_EFFICIENCY)


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


@derives("four-scaling-laws", SCALING_CHAPTER)
def four_axes(sel: Selection) -> list[Entry]:
    model, why = scenario_model(sel)
    inputs = {"model": model.name, "answers": answers_served(), "tokens_per_answer": TOKENS_PER_ANSWER,
              "calls_per_task": CALLS_PER_TASK, "rl_tokens_per_pretraining_token": RL_TOKENS_PER_PRETRAINING_TOKEN}
    d = scenario(model)
    ratio = d.inference / d.pretraining
    q_star = float(dm.answers_to_match_pretraining(model.training_tokens, TOKENS_PER_ANSWER, CALLS_PER_TASK))
    days = q_star / (DAILY_USERS * ANSWERS_PER_USER_PER_DAY)
    return [
        entry("four-scaling-laws", "inference ÷ pre-training compute (scenario)", None, ratio, "×", inputs=inputs,
              verdict=HOLDS if ratio > 1 else LOOSE,
              note=(f"structural: with the scenario's assumptions the largest term is {d.dominant}; test-time and "
                    "agentic compute multiply (2·N·Q·r·a), so inference "
                    + ("overtakes a one-off pre-training run" if ratio > 1 else "stays below the pre-training run here")
                    + ("" if model is sel.model else f". {why}"))),
        entry("four-scaling-laws", "answers for inference to equal pre-training, Q* = 3D/(r·a)", None, q_star,
              "answers", inputs=inputs, verdict=HOLDS,
              note=f"≈ {days:.1f} days of the scenario's traffic; N cancels, so this holds for any model size"
                   + ("" if model is sel.model else f". {why}")),
    ]


@derives("amdahl-co-design", SCALING_CHAPTER)
def amdahl(sel: Selection) -> list[Entry]:
    limit = float(pw.amdahl_speedup(0.5, np.inf))
    shares, factors = list(CODESIGN_SHARES.values()), list(CODESIGN_FACTORS.values())
    all_parts = pw.codesign_speedup(shares, factors)
    compute_only = float(pw.amdahl_speedup(CODESIGN_SHARES["compute"], CODESIGN_FACTORS["compute"]))
    inputs = {"shares": CODESIGN_SHARES, "factors": CODESIGN_FACTORS}
    return [
        entry("amdahl-co-design", "speed-up when 50% of the work becomes free", 2.0, limit, "×",
              inputs={"fraction": 0.5, "factor": "∞"}),
        entry("amdahl-co-design", "speed-up with every component faster (co-design example)", None,
              all_parts, "×", inputs=inputs, verdict=HOLDS if all_parts > 2 > compute_only else LOOSE,
              note=(f"compute alone 10× faster gives {compute_only:.2f}×; compute, memory and network together give "
                    f"{all_parts:.2f}×, past the 2× ceiling of any one part at 50%")),
    ]


# ---- power --------------------------------------------------------------------------------------------


def constants(sel: Selection) -> dict[str, float]:
    return pw.load_constants(table_dir(pw.CONSTANTS_SCHEMA.file, sel.data_dir))


def prices(sel: Selection) -> list[pw.AcceleratorPrice]:
    return pw.load_prices(table_dir(pw.COSTS_SCHEMA.file, sel.data_dir))


@dataclass(frozen=True)
class PricedToken:
    """One priced offer: its throughput at B* and cost per token (USD per million tokens)."""

    offer: pw.AcceleratorPrice
    throughput: pw.Throughput
    usd_per_Mtok: float


def priced_tokens(sel: Selection, model: Model, precision: str | None = None) -> list[PricedToken]:
    """Every offer whose hardware is in the data, at ``precision`` (None: each row's lowest precision)."""
    by_name = {h.name: h for h in sel.all_hardware()}
    out = []
    for offer in prices(sel):
        hw = by_name.get(offer.hardware)
        if hw is None:
            continue
        p = precision or pw.lowest_precision(hw)
        t = pw.throughput_at_optimal_batch(hw, model, p, CONTEXT_TOKENS)
        out.append(PricedToken(offer, t, 1e6 * float(pw.accelerator_cost_per_token_usd(offer.usd_per_hour,
                                                                                         t.tokens_per_s_per_chip))))
    return out


def throughputs(sel: Selection, model: Model, lowest: bool = True) -> list[pw.Throughput]:
    """Throughput at B* for every hardware row, at its lowest precision (or bf16)."""
    return [pw.throughput_at_optimal_batch(h, model, pw.lowest_precision(h) if lowest else "bf16", CONTEXT_TOKENS)
            for h in sel.all_hardware()]


@derives("tokens-per-watt", POWER_CHAPTER)
def tokens_per_watt(sel: Selection) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    c = constants(sel)
    here = pw.throughput_at_optimal_batch(hw, model, "bf16", CONTEXT_TOKENS)
    rows = throughputs(sel, model)
    oldest = min(rows, key=lambda t: (t.year, t.tokens_per_s_per_W))
    best = max(rows, key=lambda t: t.tokens_per_s_per_W)
    inputs = {"hardware": hw.name, "model": model.name, "context_tokens": CONTEXT_TOKENS}
    out = [
        entry("tokens-per-watt", "tokens/s per W at B* (bf16)", None, here.tokens_per_s_per_W, "tokens/J",
              inputs=inputs, verdict=HOLDS,
              note=f"a site of fixed power makes tokens in proportion to this; ~{here.chips} accelerators per replica"),
        entry("tokens-per-watt", "tokens/s per W, best row ÷ oldest row (lowest precision)", None,
              best.tokens_per_s_per_W / oldest.tokens_per_s_per_W, "×", inputs={"oldest": oldest.hardware,
                                                                                "best": best.hardware},
              verdict=HOLDS, note=f"{oldest.hardware} ({oldest.year}) → {best.hardware} ({best.year}, {best.precision})"),
    ]
    offers = [p for p in priced_tokens(sel, model, "bf16")
              if p.offer.hardware == hw.name and p.offer.market == "hyperscaler on-demand"]
    if offers:
        energy = float(pw.energy_cost_per_token_usd(pw.energy_per_token_J(hw.tdp_W, here.tokens_per_s_per_chip,
                                                                          c["pue_industry_average"]),
                                                    c["electricity_price"])) * 1e6
        share = 100 * energy / (energy + offers[0].usd_per_Mtok)
        out.append(entry("tokens-per-watt", "electricity share of a token's cost (on-demand price)", None, share,
                         "%", inputs={**inputs, "offer": offers[0].offer.name}, verdict=LOOSE,
                         note=("power binds how many tokens a site can make, not what a token costs: at rental "
                               "prices electricity is a small share")))
    else:
        out.append(entry("tokens-per-watt", "electricity share of a token's cost (on-demand price)", None, None,
                         "%", inputs=inputs, note=f"no on-demand price for {hw.name} in the data"))
    return out


@derives("grid-slack", POWER_CHAPTER)
def grid_slack(sel: Selection) -> list[Entry]:
    c = constants(sel)
    lf = pw.load_factor(c["us_annual_retail_sales"] * 1e9, c["us_peak_demand_2023"] * 1e6)
    floor = pw.floor_for_mean_load(lf, 0.6, 0.01)
    slack_W = (1 - lf) * c["us_peak_demand"] * 1e6
    factories = slack_W / (c["ai_factory_power"] * 1e6)
    inputs = {"sales_GWh": c["us_annual_retail_sales"], "peak_2023_MW": c["us_peak_demand_2023"]}
    return [
        entry("grid-slack", "US mean load ÷ peak (2023)", 0.6, lf, "of peak", inputs=inputs),
        entry("grid-slack", "lowest load if ≤ 60% of peak for 99% of hours, at that mean", None, floor,
              "of peak", inputs=inputs, verdict=LOOSE,
              note=("the mean supports '60% on average'; read literally ('≤ 60% for 99% of hours') the load could "
                    "never fall below this floor, a nearly flat curve: the book has no hourly data to test it")),
        entry("grid-slack", "1-GW AI factories the mean slack could run", None, factories, "factories",
              inputs={**inputs, "peak_MW": c["us_peak_demand"]}, verdict=HOLDS,
              note="as energy, if the load can follow the slack; a constant load must shed at peaks and is capped by transmission"),
    ]


def rubin_row(sel: Selection) -> Hardware | None:
    return next((h for h in sel.all_hardware() if h.name.startswith("Rubin")), None)


@derives("rubin-pod", POWER_CHAPTER)
def rubin_pod(sel: Selection) -> list[Entry]:
    c = constants(sel)
    gpus, racks, per_rack = c["rubin_pod_gpus"], c["rubin_pod_racks"], c["rubin_gpus_per_rack"]
    hw = rubin_row(sel)
    out = [
        entry("rubin-pod", "GPUs if all 40 racks were NVL72", 1100.0, racks * per_rack, "GPUs",
              inputs={"racks": racks, "gpus_per_rack": per_rack},
              note=f"only {gpus / per_rack:.0f} of the {racks:.0f} racks hold GPUs; the rest are LPX, CPU, storage and network racks"),
    ]
    if hw is None:
        out.append(entry("rubin-pod", "pod FP4 compute (hardware.csv)", 60e18, None, "FLOP/s",
                         note="the data have no Rubin row"))
        return out
    inputs = {"hardware": hw.name, "gpus": gpus}
    fp4 = hw.flops("fp4") if hw.supports("fp4") else None
    out += [
        entry("rubin-pod", "pod FP4 compute (hardware.csv, training figure)", 60e18,
              None if fp4 is None else gpus * fp4, "FLOP/s", inputs=inputs,
              note="dense NVFP4 training figure per GPU"),
        entry("rubin-pod", "pod FP4 compute (50 PF inference figure)", 60e18,
              gpus * c["rubin_fp4_inference_pflops"] * 1e15, "FLOP/s", inputs=inputs,
              note="the inference figure relies on adaptive compression: the precision that makes 60 EF"),
        entry("rubin-pod", "pod NVLink bandwidth (both directions)", 10e15, gpus * 2 * hw.scale_up_bandwidth_Bps,
              "B/s", inputs=inputs, note="NVLink 6: 3.6 TB/s per GPU counting both directions"),
        entry("rubin-pod", "pod HBM bandwidth", 10e15, gpus * hw.hbm_bandwidth_Bps, "B/s", inputs=inputs,
              note="10 PB/s ÷ 1,152 GPUs = 8.7 TB/s per GPU: between NVLink and HBM4, neither"),
    ]
    return out


@derives("cost-per-token-240x", POWER_CHAPTER)
def cost_240x(sel: Selection) -> list[Entry]:
    model = sel.model
    inputs = {"model": model.name, "context_tokens": CONTEXT_TOKENS}
    priced = priced_tokens(sel, model)
    out = []
    if len(priced) >= 2:
        dear = max(priced, key=lambda p: p.usd_per_Mtok)
        cheap = min(priced, key=lambda p: p.usd_per_Mtok)
        out.append(entry("cost-per-token-240x", "cost per token, dearest ÷ cheapest priced offer", 240.0,
                         dear.usd_per_Mtok / cheap.usd_per_Mtok, "×",
                         inputs={**inputs, "dearest": dear.offer.name, "cheapest": cheap.offer.name},
                         note=f"{dear.offer.name} ({dear.offer.as_of}) → {cheap.offer.name} ({cheap.offer.as_of})"))
    rows = throughputs(sel, model)
    oldest = min(rows, key=lambda t: (t.year, t.tokens_per_s_per_W))
    best = max(rows, key=lambda t: t.tokens_per_s_per_W)
    out.append(entry("cost-per-token-240x", "energy per token, oldest row ÷ best row", 240.0,
                     best.tokens_per_s_per_W / oldest.tokens_per_s_per_W, "×",
                     inputs={**inputs, "oldest": oldest.hardware, "best": best.hardware},
                     note="joules per token at B*, each row at its lowest precision"))
    by_year = sorted(rows, key=lambda t: (t.year, -t.tokens_per_s_per_chip))
    old, new = by_year[0], max((t for t in rows if t.year == by_year[-1].year), key=lambda t: t.tokens_per_s_per_chip)
    out.append(entry("cost-per-token-240x", "cost per token at a constant price per accelerator-hour, oldest → newest",
                     240.0, new.tokens_per_s_per_chip / old.tokens_per_s_per_chip, "×",
                     inputs={**inputs, "oldest": old.hardware, "newest": new.hardware},
                     note=(f"{old.hardware} ({old.year}, {old.precision}) → {new.hardware} ({new.year}, {new.precision}): "
                           "holds only if an accelerator-hour costs the same across generations")))
    hardware = sel.all_hardware()
    first = min(hardware, key=lambda h: (h.year, h.flops("bf16")))
    last = max(hardware, key=lambda h: (h.year, h.flops(pw.lowest_precision(h))))
    span = last.flops(pw.lowest_precision(last)) / first.flops("bf16")
    out.append(entry("cost-per-token-240x", "dense FLOP/s per package, oldest (16-bit) → newest (lowest precision)",
                     240.0, span, "×", inputs={"oldest": first.name, "newest": last.name},
                     note=f"{first.name} ({first.year}) → {last.name} ({last.year}): throughput per package, not cost"))
    return out


@derives("low-cost-token-producer", POWER_CHAPTER)
def low_cost(sel: Selection) -> list[Entry]:
    model = sel.model
    inputs = {"model": model.name, "precision": "bf16", "market": "hyperscaler on-demand"}
    on_demand = [p for p in priced_tokens(sel, model, "bf16") if p.offer.market == "hyperscaler on-demand"]
    out = []
    if on_demand:
        best = min(on_demand, key=lambda p: p.usd_per_Mtok)
        is_tpu = best.offer.hardware.startswith("TPU")
        out.append(entry("low-cost-token-producer", "cheapest on-demand token at bf16", None, best.usd_per_Mtok,
                         "USD/Mtok", inputs=inputs, verdict=LOOSE if is_tpu else FAILS,
                         note=(f"{best.offer.name}: a rented TPU is cheapest at bf16, but list prices carry the "
                               "owner's margin, so the owner's own cost is not observable" if is_tpu else
                               f"{best.offer.name} is cheapest: no TPU edge at these prices")))
    everything = priced_tokens(sel, model)
    if everything:
        best_any = min(everything, key=lambda p: p.usd_per_Mtok)
        out.append(entry("low-cost-token-producer", "cheapest token of any offer (lowest precision)", None,
                         best_any.usd_per_Mtok, "USD/Mtok", inputs={"model": model.name}, verdict=LOOSE,
                         note=f"{best_any.offer.name} ({best_any.offer.market}, {best_any.throughput.precision}) undercuts every hyperscaler"))
    return out


@derives("space-datacentres", POWER_CHAPTER)
def space(sel: Selection) -> list[Entry]:
    c = constants(sel)
    t, eps = c["radiator_temperature"], c["radiator_emissivity"]
    radiator = float(pw.radiator_area_m2_per_W(t, eps)) * 1e6
    solar = float(pw.solar_area_m2_per_W(c["solar_constant"], c["space_cell_efficiency"], c["space_array_packing"])) * 1e6
    inputs = {"temperature_K": t, "emissivity": eps, "solar_W_per_m2": c["solar_constant"]}
    return [
        entry("space-datacentres", "radiator area per MW (one side, by radiation only)", None, radiator, "m²/MW",
              inputs=inputs, verdict=HOLDS,
              note=(f"{radiator / c['football_pitch_area']:.2f} of a football pitch (105 × 68 m) of radiator per "
                    "megawatt at room temperature, on one side: cooling is the open problem"
                    if "football_pitch_area" in c else "cooling is the open problem")),
        entry("space-datacentres", "radiator area ÷ solar-array area, per MW", None, radiator / solar, "×",
              inputs=inputs, verdict=HOLDS,
              note="the radiator is about as large as the array that powers it; sunlight is free, cooling is not"),
    ]
