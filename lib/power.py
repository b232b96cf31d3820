"""Power and the cost of a token: tokens per second per watt, energy and accelerator cost per token, grid
slack, Amdahl's law for co-design, and the radiator a data centre in orbit would need.

Notation (SI throughout; see the book's notation page): F is dense FLOP/s, W_hbm HBM bytes/s, C_hbm HBM bytes,
P the power drawn by one accelerator (its TDP, watts), PUE the facility's total power ÷ IT power, L the context.

Throughput (eq. power-tps), on the refined step model of :mod:`lib.roofline` (experts touched, attention FLOPs
over the context, per-operation rooflines, HBM capacity), at the book's one standard operating point
(:func:`lib.modes.standard_mode`): a replica of n accelerators whose weights fill a share w of the usable HBM,
decoding the largest batch B whose KV caches fit beside them at context L::

    τ = B / (n · t_step(B, L))               tokens/s per accelerator (the ideal bound)
    τ_real = ε̄_dec · τ                      at a measured decode efficiency ε̄_dec (:func:`decode_realism_factor`)
    η = τ / P                                tokens/s per watt = tokens per joule

The blackboard's figure (:func:`blackboard_throughput`: B* = (F / W_hbm) · s · b_w / 2, every weight read every
step, no attention FLOPs, context 0) is kept by name beside it: there τ = F / (2 N_active).

Cost per token (eq. power-cost)::

    e = P · PUE / τ                          joules per token at the meter
    c_energy = e · p_kWh / 3.6e6             USD per token for electricity
    c_acc    = p_hour / (3600 · τ)           USD per token for the accelerator (rent or amortised capex)

Owner's and renter's cost per accelerator-hour (eq. power-owner), from ``data/owner_costs.csv``::

    c_capex  = P_purchase / (Y · 8,760 h)     USD per hour of straight-line depreciation over Y years
    c_energy = P_W · PUE · p_kWh / 1,000      USD per hour of electricity at the meter
    share_owner  = c_energy / (c_capex + c_energy)
    share_renter = c_energy / p_hour          the provider's electricity inside a rented hour

Grid slack (eq. power-grid): the load factor of sales grossed up for transmission losses f_loss over the same
year's peak, f_load = E_sales / (1 − f_loss) / (P_peak · 8,760 h), bounds the share of hours above a load θ (a fraction
of peak): since f_load ≤ θ · (1 − s_θ) + 1 · s_θ, at least s_θ ≥ (f_load − θ) / (1 − θ) of the hours lie above θ.

Four tables belong to this module, each with a source, a date and a provenance on every row:
``data/accelerator_costs.csv`` (rental price per accelerator-hour, one row per offer),
``data/owner_costs.csv`` (purchase price, lifetime and power per accelerator, server share included),
``data/power_constants.csv`` (electricity price, PUE, grid, Rubin-pod and space constants) and
``data/grid_flexibility.csv`` (new load the US grid can absorb at a given curtailment, Norris et al. 2025).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import (Column, Plausible, PlausibleBy, as_of_is_a_date, provenance_column, TableSchema, read_table,
                   register_schema, resolve_data_dir, table_dir)
from .hardware import Hardware
from .models import Model
from .roofline import (ArrayLike, Precisions, blackboard_decode_step, min_chips_for_weights,
                       optimal_batch)
from .units import bytes_per_element

#: Stefan–Boltzmann constant σ in W m⁻² K⁻⁴ (CODATA 2018, exact in the 2019 SI).
STEFAN_BOLTZMANN_W_PER_M2_K4 = 5.670374419e-8
JOULES_PER_KWH = 3.6e6
SECONDS_PER_HOUR = 3600.0
HOURS_PER_YEAR = 8760.0

MARKETS = ("hyperscaler on-demand", "capacity block", "neocloud on-demand")


COSTS_SCHEMA = register_schema(TableSchema(
    file="accelerator_costs.csv",
    columns=(
        Column("name", "str", meaning="the offer: accelerator and where it is rented"),
        Column("hardware", "str", meaning="a name from hardware.csv"),
        Column("price_USD_per_accelerator_hour", positive=True, meaning="USD per accelerator-hour",
               plausible=Plausible(0.05, 200, "USD per accelerator-hour", ("prefix", "node"))),
        Column("market", "enum", choices=MARKETS),
        Column("as_of", "str", meaning="date of the price, YYYY-MM or YYYY-MM-DD"),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(as_of_is_a_date,),
))

OWNER_COSTS_SCHEMA = register_schema(TableSchema(
    file="owner_costs.csv",
    columns=(
        Column("name", "str", meaning="the accelerator and the system it is bought in"),
        Column("hardware", "str", meaning="a name from hardware.csv"),
        Column("purchase_price_USD", positive=True, meaning="USD per accelerator", plausible=Plausible(100, 1e6, "USD")),
        Column("lifetime_years", positive=True, meaning="years of straight-line depreciation", plausible=Plausible(1, 15, "years", ())),
        Column("power_W", positive=True, meaning="watts per accelerator at the wall, its share of the server included", plausible=Plausible(50, 10_000, "W", ("prefix", "node"))),
        Column("as_of", "str", meaning="date of the price, YYYY, YYYY-MM or YYYY-MM-DD"),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(as_of_is_a_date,),
))

#: Plausible values of the constants this module reads, each in the unit its row states.
CONSTANT_RANGES: dict[str, Plausible] = {
    "pue_hyperscale": Plausible(1.0, 3.0, "", ()),
    "us_peak_demand": Plausible(1e5, 3e6, "MW"),
    "us_peak_demand_2023": Plausible(1e5, 3e6, "MW"),
    "us_annual_retail_sales": Plausible(1e6, 2e7, "GWh"),
    "ai_factory_power": Plausible(1, 1e5, "MW"),
    "solar_constant": Plausible(1000, 1500, "W/m2"),
    "space_cell_efficiency": Plausible(0.01, 0.7, "", ("fraction",)),
    "space_array_packing": Plausible(0.1, 1.0, "", ("fraction",)),
    "radiator_emissivity": Plausible(0.1, 1.0, "", ("fraction",)),
    "radiator_temperature": Plausible(100, 1000, "K", ()),
    "rubin_pod_gpus": Plausible(1, 1e6, "GPUs", ()),
    "rubin_pod_racks": Plausible(1, 10_000, "racks", ()),
    "rubin_gpus_per_rack": Plausible(1, 10_000, "GPUs", ()),
    "rubin_fp4_inference_pflops": Plausible(1, 10_000, "PFLOP/s"),
}

CONSTANTS_SCHEMA = register_schema(TableSchema(
    file="power_constants.csv",
    columns=(
        Column("name", "str"),
        Column("value", positive=True, meaning="in the row's unit", plausible=PlausibleBy("name", CONSTANT_RANGES)),
        Column("unit", "str"),
        Column("as_of", "str", meaning="the date of the value, or for an assumption the year it was set"),
        Column("source", "str", meaning="an address, a citation, or the book's reasoning for an assumption"),
        provenance_column(),
    ),
    row_checks=(as_of_is_a_date,),
))


def _curtailment_is_a_share(row: dict):
    value = row.get("curtailment_percent")
    if value is not None and value > 100:
        yield ("curtailment_percent", value, "a percentage ≤ 100")


GRID_FLEXIBILITY_SCHEMA = register_schema(TableSchema(
    file="grid_flexibility.csv",
    columns=(
        Column("name", "str"),
        Column("curtailment_percent", positive=True,
               meaning="share of the new load's maximum annual energy it gives up, percent", plausible=Plausible(0, 100, "%", ())),
        Column("headroom_GW", positive=True, meaning="new flexible load the grid absorbs at that curtailment, GW", plausible=Plausible(0, 2000, "GW")),
        Column("as_of", "str", meaning="publication date, YYYY-MM-DD"),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(as_of_is_a_date, _curtailment_is_a_share),
))


@dataclass(frozen=True)
class AcceleratorPrice:
    """One offer of accelerator time: USD per accelerator-hour, with its market, date and source."""

    name: str
    hardware: str
    usd_per_hour: float
    market: str
    as_of: str
    source: str
    notes: str = ""
    provenance: str = ""


def load_prices(data_dir: Path | str | None = None) -> list[AcceleratorPrice]:
    """Every row of ``accelerator_costs.csv`` (a :class:`~lib.data.DataError` names any bad cell)."""
    rows = read_table(COSTS_SCHEMA, resolve_data_dir(data_dir))
    return [AcceleratorPrice(r["name"], r["hardware"], r["price_USD_per_accelerator_hour"], r["market"],
                             r["as_of"], r["source"], r.get("notes", ""), r["provenance"]) for r in rows]


@dataclass(frozen=True)
class OwnerCost:
    """What an owner pays for one accelerator: purchase price, depreciation lifetime and power at the wall."""

    name: str
    hardware: str
    purchase_price_usd: float
    lifetime_years: float
    power_W: float
    as_of: str
    source: str
    provenance: str
    notes: str = ""


def load_owner_costs(data_dir: Path | str | None = None) -> list[OwnerCost]:
    """Every row of ``owner_costs.csv`` (the reader's data directory if it has one, else the book's)."""
    rows = read_table(OWNER_COSTS_SCHEMA, table_dir(OWNER_COSTS_SCHEMA.file, data_dir))
    return [OwnerCost(r["name"], r["hardware"], r["purchase_price_USD"], r["lifetime_years"], r["power_W"],
                      r["as_of"], r["source"], r["provenance"], r.get("notes", "")) for r in rows]


@dataclass(frozen=True)
class CurtailmentHeadroom:
    """New flexible load (W) a grid absorbs if that load accepts curtailment of a share of its annual energy."""

    name: str
    curtailment_fraction: float
    headroom_W: float
    as_of: str
    source: str
    provenance: str


def load_grid_flexibility(data_dir: Path | str | None = None) -> list[CurtailmentHeadroom]:
    """Rows of ``grid_flexibility.csv`` in SI (a fraction, watts), by rising curtailment."""
    rows = read_table(GRID_FLEXIBILITY_SCHEMA, table_dir(GRID_FLEXIBILITY_SCHEMA.file, data_dir))
    out = [CurtailmentHeadroom(r["name"], r["curtailment_percent"] / 100.0, r["headroom_GW"] * 1e9, r["as_of"],
                               r["source"], r["provenance"]) for r in rows]
    return sorted(out, key=lambda h: h.curtailment_fraction)


def load_constants(data_dir: Path | str | None = None) -> dict[str, float]:
    """``power_constants.csv`` as {name: value} in the units of its ``unit`` column."""
    return {r["name"]: r["value"] for r in read_table(CONSTANTS_SCHEMA, resolve_data_dir(data_dir))}


def constant_rows(data_dir: Path | str | None = None) -> list[dict]:
    """``power_constants.csv`` as rows (name, value, unit, as_of, source, provenance, notes) for an inputs table."""
    return read_table(CONSTANTS_SCHEMA, resolve_data_dir(data_dir))


# --------------------------------------------------------------------------------------------------
# The owner's cost of an accelerator-hour


def owner_capex_per_hour_usd(purchase_price_usd: ArrayLike, lifetime_years: ArrayLike) -> np.ndarray:
    """c_capex = P_purchase / (Y · 8,760 h): straight-line depreciation per hour owned (USD/h)."""
    price, years = np.asarray(purchase_price_usd, dtype=float), np.asarray(lifetime_years, dtype=float)
    if np.any(price < 0):
        raise ValueError("a purchase price cannot be negative")
    if np.any(years <= 0):
        raise ValueError("a lifetime must be positive")
    return price / (years * HOURS_PER_YEAR)


def owner_energy_per_hour_usd(power_W: ArrayLike, usd_per_kWh: ArrayLike, pue: ArrayLike = 1.0) -> np.ndarray:
    """c_energy = P_W · PUE · p_kWh / 1,000: electricity per hour at the meter (USD/h)."""
    power, price, pue_arr = (np.asarray(x, dtype=float) for x in (power_W, usd_per_kWh, pue))
    if np.any(power <= 0):
        raise ValueError("power must be positive")
    if np.any(price < 0):
        raise ValueError("an electricity price cannot be negative")
    if np.any(pue_arr < 1):
        raise ValueError(f"PUE is total ÷ IT power and cannot be below 1; got {pue_arr.min():g}")
    return power * pue_arr * price / 1000.0


def owner_electricity_share(purchase_price_usd: ArrayLike, lifetime_years: ArrayLike, power_W: ArrayLike,
                            usd_per_kWh: ArrayLike, pue: ArrayLike = 1.0) -> np.ndarray:
    """share = c_energy / (c_capex + c_energy): electricity's part of an owner's hourly cost (eq. power-owner)."""
    capex = owner_capex_per_hour_usd(purchase_price_usd, lifetime_years)
    energy = owner_energy_per_hour_usd(power_W, usd_per_kWh, pue)
    return energy / (capex + energy)


def renter_electricity_share(power_W: ArrayLike, usd_per_kWh: ArrayLike, usd_per_hour: ArrayLike,
                             pue: ArrayLike = 1.0) -> np.ndarray:
    """share = c_energy / p_hour: the electricity inside a rented accelerator-hour, as a share of its price
    (eq. power-owner). Independent of throughput: both are per hour."""
    price = np.asarray(usd_per_hour, dtype=float)
    if np.any(price <= 0):
        raise ValueError("a rental price per hour must be positive")
    return owner_energy_per_hour_usd(power_W, usd_per_kWh, pue) / price


# --------------------------------------------------------------------------------------------------
# Throughput per watt and cost per token


@dataclass(frozen=True)
class Throughput:
    """Decode throughput of one model on one accelerator type at one operating point (eq. power-tps)."""

    hardware: str
    year: int
    precision: str
    batch: float
    chips: int
    tokens_per_s_per_chip: float
    power_W: float
    context: float = 0.0
    model: str = ""
    bound: str = ""

    @property
    def tokens_per_s_per_W(self) -> float:
        """τ / P: tokens per second per watt of accelerator TDP (= tokens per joule)."""
        return self.tokens_per_s_per_chip / self.power_W


def lowest_precision(hardware: Hardware) -> str:
    """The narrowest format the row quotes dense FLOP/s for (fp4, else fp8, else bf16)."""
    return next(p for p in ("fp4", "fp8", "bf16") if hardware.supports(p))


#: The three weight formats the power chapter compares: the model's release formats, bf16 everywhere (the
#: blackboard's), and the narrowest format each accelerator computes in (weights quantised to it).
FORMATS: tuple[str, ...] = ("release", "bf16", "narrowest")


def weight_format(hardware: Hardware, model: Model, choice: str) -> str | None:
    """The ``precision`` argument of the step model for one of :data:`FORMATS` (None = the release formats)."""
    if choice == "release":
        return None
    if choice == "bf16":
        return "bf16"
    if choice == "narrowest":
        return lowest_precision(hardware)
    raise ValueError(f"unknown format choice {choice!r}; expected one of {FORMATS}")


def serving_throughput(hardware: Hardware, model: Model, context: float, precision: str | Precisions | None = None,
                       weight_share: float = 0.5) -> Throughput:
    """τ on the refined step model at the book's standard mode (:func:`lib.modes.standard_mode`): weights in
    ``precision`` (None: the model's release formats) filling ``weight_share`` of the usable HBM of n
    accelerators, the KV cache (fp8) of the largest batch that fits at ``context`` tokens in the rest.
    τ = B / (n · t_step) with t_step the per-operation step time; 0 tokens/s where not one sequence fits."""
    from .modes import standard_mode  # lib.modes imports lib.claims; imported here to keep this module light

    mode = standard_mode(hardware, model, context, weight_share, precision)
    p = mode.precisions
    label = p.weights if p.weights == p.experts else f"{p.weights}/{p.experts}"
    if not bool(np.all(mode.feasible)):
        return Throughput(hardware.name, hardware.year, label, 0.0, mode.chips, 0.0, hardware.tdp_W, float(context),
                          model.name, "capacity")
    step = mode.step()
    return Throughput(hardware.name, hardware.year, label, float(mode.batch), mode.chips,
                      float(step.tokens_per_s_per_chip), hardware.tdp_W, float(context), model.name, str(step.bound))


def blackboard_throughput(hardware: Hardware, model: Model, precision: str = "bf16") -> Throughput:
    """The blackboard's τ at B* = (F / W_hbm) · s · b_w / 2 (weights and arithmetic at ``precision``), context 0,
    on the fewest accelerators that hold the weights: τ = B* / (n · t_step) = F / (2 N_active)."""
    flops = hardware.flops(precision)
    b_star = float(optimal_batch(flops, hardware.hbm_bandwidth_Bps, model.sparsity, bytes_per_element(precision)))
    batch = max(1.0, b_star)
    chips = min_chips_for_weights(model, hardware, precision)
    step = blackboard_decode_step(hardware, model, batch, 0.0, precision=precision, chips=chips)
    tps = float(step.tokens_per_s) / chips
    return Throughput(hardware.name, hardware.year, precision, batch, chips, tps, hardware.tdp_W, 0.0, model.name,
                      "compute")


def decode_realism_factor(data_dir: Path | str | None = None) -> float:
    """ε̄_dec, the measured ÷ ideal decode throughput of deployed systems, that turns an ideal τ into a realistic one.

    A HOOK: the reality-check chapter (issue 15) calibrates this factor from ``measured_throughput.csv``
    (``lib.reality.realism_factor("decode")``), but that function is not on this branch's main yet. Until it is,
    this returns 1.0: every "realistic" figure of the power chapter equals the ideal bound, and the page says so.
    Replace the body with ``from .reality import realism_factor; return realism_factor("decode", data_dir)``.
    """
    return 1.0


def energy_per_token_J(power_W: ArrayLike, tokens_per_s: ArrayLike, pue: ArrayLike = 1.0) -> np.ndarray:
    """e = P · PUE / τ: joules drawn at the meter per token."""
    power, tps, pue_arr = (np.asarray(x, dtype=float) for x in (power_W, tokens_per_s, pue))
    if np.any(tps <= 0) or np.any(power <= 0):
        raise ValueError("power and tokens per second must be positive")
    if np.any(pue_arr < 1):
        raise ValueError(f"PUE is total ÷ IT power and cannot be below 1; got {pue_arr.min():g}")
    return power * pue_arr / tps


def energy_cost_per_token_usd(energy_J: ArrayLike, usd_per_kWh: ArrayLike) -> np.ndarray:
    """c_energy = e · p_kWh / 3.6e6 (USD per token)."""
    price = np.asarray(usd_per_kWh, dtype=float)
    if np.any(price < 0):
        raise ValueError("an electricity price cannot be negative")
    return np.asarray(energy_J, dtype=float) * price / JOULES_PER_KWH


def accelerator_cost_per_token_usd(usd_per_hour: ArrayLike, tokens_per_s: ArrayLike) -> np.ndarray:
    """c_acc = p_hour / (3600 · τ) (USD per token): the accelerator's price spread over its tokens."""
    price, tps = np.asarray(usd_per_hour, dtype=float), np.asarray(tokens_per_s, dtype=float)
    if np.any(tps <= 0):
        raise ValueError("tokens per second must be positive")
    if np.any(price < 0):
        raise ValueError("a price per hour cannot be negative")
    return price / (SECONDS_PER_HOUR * tps)


def site_tokens_per_s(site_power_W: ArrayLike, tokens_per_s_per_W: ArrayLike, pue: ArrayLike = 1.0) -> np.ndarray:
    """Tokens/s of a power-limited site: (P_site / PUE) · η. Power, not money, caps this number."""
    return np.asarray(site_power_W, dtype=float) / np.asarray(pue, dtype=float) * np.asarray(tokens_per_s_per_W, dtype=float)


# --------------------------------------------------------------------------------------------------
# Amdahl's law


def amdahl_speedup(fraction: ArrayLike, factor: ArrayLike) -> np.ndarray:
    """S_job = 1 / ((1 − p_acc) + p_acc / s_acc): the whole job's speed-up when a fraction p_acc of its time runs
    s_acc× faster.

    ``factor`` may be ``inf`` (that part made free): S_job → 1 / (1 − p_acc).
    """
    p, s = np.asarray(fraction, dtype=float), np.asarray(factor, dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("the fraction accelerated must lie in [0, 1]")
    if np.any(s <= 0):
        raise ValueError("a speed-up factor must be positive")
    with np.errstate(divide="ignore"):
        return 1.0 / ((1.0 - p) + p / s)


def codesign_speedup(fractions: ArrayLike, factors: ArrayLike) -> float:
    """S = 1 / (Σᵢ pᵢ / sᵢ + (1 − Σᵢ pᵢ)): several components, each a fraction pᵢ of the time, each sᵢ× faster."""
    p, s = np.asarray(fractions, dtype=float), np.asarray(factors, dtype=float)
    if p.shape != s.shape:
        raise ValueError("one speed-up factor per fraction")
    if np.any(p < 0) or p.sum() > 1 + 1e-12:
        raise ValueError(f"fractions must be ≥ 0 and sum to at most 1; got sum {p.sum():g}")
    if np.any(s <= 0):
        raise ValueError("a speed-up factor must be positive")
    return float(1.0 / (np.sum(p / s) + (1.0 - p.sum())))


# --------------------------------------------------------------------------------------------------
# Grid slack


def load_duration_curve(time_fraction: ArrayLike, shoulder_load: float = 0.6, peak_time: float = 0.01,
                        floor_load: float = 0.35) -> np.ndarray:
    """Φ(ξ): load as a fraction of peak against the fraction of the year ξ it is exceeded (sorted, descending).

    Piecewise linear: 1 at x = 0, ``shoulder_load`` at x = ``peak_time`` (the talk: 60% at 1% of hours),
    ``floor_load`` at x = 1.
    """
    x = np.asarray(time_fraction, dtype=float)
    if np.any((x < 0) | (x > 1)):
        raise ValueError("time fractions must lie in [0, 1]")
    if not 0 < peak_time < 1:
        raise ValueError("peak_time must lie strictly between 0 and 1")
    if not 0 <= floor_load <= shoulder_load <= 1:
        raise ValueError("need 0 ≤ floor_load ≤ shoulder_load ≤ 1")
    return np.interp(x, [0.0, peak_time, 1.0], [1.0, shoulder_load, floor_load])


def mean_load(shoulder_load: float = 0.6, peak_time: float = 0.01, floor_load: float = 0.35) -> float:
    """The load factor (mean load ÷ peak) of :func:`load_duration_curve`, exactly (trapezoids)."""
    return peak_time * (1 + shoulder_load) / 2 + (1 - peak_time) * (shoulder_load + floor_load) / 2


def floor_for_mean_load(load_factor: float, shoulder_load: float = 0.6, peak_time: float = 0.01) -> float:
    """The floor load a linear curve through (peak_time, shoulder_load) needs for a given mean load ÷ peak."""
    return 2 * (load_factor - peak_time * (1 + shoulder_load) / 2) / (1 - peak_time) - shoulder_load


def load_factor(annual_energy_Wh: float, peak_W: float) -> float:
    """Mean load ÷ peak = E_year / (P_peak · 8,760 h)."""
    if peak_W <= 0 or annual_energy_Wh <= 0:
        raise ValueError("energy and peak must be positive")
    return annual_energy_Wh / (peak_W * HOURS_PER_YEAR)


def load_factor_with_losses(annual_sales_Wh: float, peak_W: float, loss_fraction: float) -> float:
    """f_load = E_sales / (1 − f_loss) / (P_peak · 8,760 h): retail sales exclude transmission and distribution losses f_loss
    (a share of the energy transmitted) while a coincident peak measured at the balancing authorities includes
    them, so the sales are grossed up before dividing (eq. power-grid)."""
    if not 0 <= loss_fraction < 1:
        raise ValueError(f"the loss fraction must lie in [0, 1); got {loss_fraction}")
    return load_factor(annual_sales_Wh / (1.0 - loss_fraction), peak_W)


def min_share_of_hours_above(mean_load: ArrayLike, threshold: ArrayLike) -> np.ndarray:
    """s_θ = max(0, (f_load − θ) / (1 − θ)): the fewest hours (a share of the year) a load with mean f_load (÷ peak)
    must spend above θ (÷ peak), since hours at or below θ contribute at most θ and the others at most 1."""
    m, theta = np.asarray(mean_load, dtype=float), np.asarray(threshold, dtype=float)
    if np.any((m < 0) | (m > 1)) or np.any((theta < 0) | (theta >= 1)):
        raise ValueError("mean load must lie in [0, 1] and the threshold in [0, 1)")
    return np.maximum(0.0, (m - theta) / (1.0 - theta))


def flexible_energy_fraction(flex_load: ArrayLike, shoulder_load: float = 0.6, peak_time: float = 0.01,
                             floor_load: float = 0.35, samples: int = 2001) -> np.ndarray:
    """Energy a flexible load of size f_flex (fraction of peak) draws over a year ÷ (f_flex · 8,760 h): the share of
    hours it can run at full draw, given it takes ``min(f_flex, 1 − Φ(ξ))`` (Φ the load-duration curve) and sheds
    the rest at peaks."""
    f = np.asarray(flex_load, dtype=float)
    if np.any(f <= 0):
        raise ValueError("the flexible load must be a positive fraction of peak")
    x = np.linspace(0.0, 1.0, samples)
    headroom = 1.0 - load_duration_curve(x, shoulder_load, peak_time, floor_load)
    drawn = np.minimum(f[..., None], headroom)
    return np.trapezoid(drawn, x, axis=-1) / f


# --------------------------------------------------------------------------------------------------
# Space: radiators and solar arrays


def radiator_area_m2_per_W(temperature_K: ArrayLike, emissivity: ArrayLike = 0.9, sides: int = 1,
                           sink_temperature_K: float = 0.0) -> np.ndarray:
    """A_rad = 1 / (n_s · ε_rad · σ · (T_rad⁴ − T_sink⁴)), n_s = ``sides``: m² of radiator to reject one watt by
    radiation alone
    (no sunlight or Earth-shine absorbed; ``sides`` = 2 for a panel radiating from both faces)."""
    t, eps = np.asarray(temperature_K, dtype=float), np.asarray(emissivity, dtype=float)
    if np.any(t <= sink_temperature_K):
        raise ValueError("the radiator must be hotter than its sink")
    if np.any((eps <= 0) | (eps > 1)):
        raise ValueError("emissivity must lie in (0, 1]")
    if sides not in (1, 2):
        raise ValueError("a radiator has one or two radiating sides")
    return 1.0 / (sides * eps * STEFAN_BOLTZMANN_W_PER_M2_K4 * (t ** 4 - sink_temperature_K ** 4))


def solar_area_m2_per_W(irradiance_W_per_m2: ArrayLike = 1361.0, efficiency: ArrayLike = 0.3,
                        packing: ArrayLike = 1.0) -> np.ndarray:
    """A_solar = 1 / (I_sun · η_cell · f_pack): m² of array per watt of electrical output in full sun."""
    s, eff, pack = (np.asarray(x, dtype=float) for x in (irradiance_W_per_m2, efficiency, packing))
    if np.any(s <= 0):
        raise ValueError("irradiance must be positive")
    if np.any((eff <= 0) | (eff > 1)) or np.any((pack <= 0) | (pack > 1)):
        raise ValueError("efficiency and packing must lie in (0, 1]")
    return 1.0 / (s * eff * pack)
