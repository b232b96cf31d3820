"""Chinchilla-style loss laws, compute-optimal N and D, and the lifetime (pre-train + RL + serve) cost.

The loss law of Hoffmann et al. (2022), approach 3, for a model of N parameters trained on D tokens:

    L(N, D) = E + A / N^α + B_D / D^β                     (nats per token)

(``B_D`` is Hoffmann's ``B``; the book keeps ``B`` for the batch.) Training costs 6·N·D FLOP, serving
2·N FLOP per token, and RL rollouts k_RL·N FLOP per token at a hardware efficiency η relative to
pre-training, so a model's lifetime compute is

    C_life = 6·N·D + k_RL·N·D_RL / η + 2·N·D_served.

Everything here is a pure function over numpy arrays in SI units (parameters, tokens, FLOP, seconds,
US dollars). The tables ``scaling_laws.csv`` (fitted laws) and ``serving_demand.csv`` (users, tokens,
prices, with sources) are declared and loaded here.

The inference-aware optimum (Sardana, Portes, Doubov and Frankle, "Beyond Chinchilla-Optimal", ICML 2024,
arXiv:2401.00448) has a closed form in one parameter. Along the
curve of constant loss ℓ write x_N = A/N^α and y_D = B_D/D^β (so x_N + y_D = ℓ − E_0). Minimising
6·N·D + 2·N·D_serve over that curve gives, at the optimum,

    r ≡ α·x_N / (β·y_D),      D_serve = 3·D·(r − 1),      (2·N·D_serve) / (6·N·D) = r − 1.

r = 1 is Chinchilla (no serving); r = 2 is the point where serving compute equals training compute.

RL compute (Khatri et al. 2025, "The Art of Scaling Reinforcement Learning Compute for LLMs"): a benchmark pass
rate R after C_RL GPU-hours of RL follows a sigmoid in log C_RL,

    R(C_RL) = R_0 + (R_∞ − R_0) / (1 + (C_mid / C_RL)^b)

(Khatri et al. write A for the ceiling R_∞ and B for the exponent b; the book keeps B for the batch), locally
log-linear near C_mid (gain per 10× ≈ (R_∞ − R_0)·b·ln 10 / 4 there) and flat at the ceiling. The gain per 10×
halves 0.77/b decades either side of C_mid; the tangent line at C_mid reaches R_∞ after 0.87/b decades. The
decade from C_RL to 10 C_RL brings the share ψ(10 C_RL) − ψ(C_RL) of the total gain R_∞ − R_0, ψ = 1/(1 + (C_mid/C_RL)^b),
at most tanh(b ln 10 / 4) (the decade centred on C_mid); shares need no R_0, which published fits leave out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from .units import short as format_count  # noqa: F401  (re-exported for chapters)

from .data import (YEARS, Column, DataError, Plausible, PlausibleBy, Problem, provenance_column, TableSchema, read_table,
                   register_schema, table_dir)

#: FLOP per parameter per training token (forward + backward).
TRAIN_FLOP_PER_PARAM_TOKEN = 6.0
#: FLOP per parameter per served token (forward only; prompt and output tokens alike).
SERVE_FLOP_PER_PARAM_TOKEN = 2.0
#: The rule of thumb the talk calls Chinchilla-optimal (tokens per parameter).
CHINCHILLA_TOKENS_PER_PARAM = 20.0
#: Chinchilla itself: 70B parameters on 1.4T tokens (Hoffmann et al. 2022), the budget where the
#: rule of thumb was read off.
CHINCHILLA_PARAMS = 70e9
CHINCHILLA_TOKENS = 1.4e12
#: The largest model and token count in the runs the laws were fitted on (Hoffmann et al. 2022, as described
#: by Besiroglu et al. 2024: 70M to over 16B parameters, 5B to 500B tokens).
FIT_MAX_PARAMS = 16e9
FIT_MAX_TOKENS = 500e9
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0


# --------------------------------------------------------------------------------------------------
# Tables


def _exponents_below_one(row: dict) -> Iterable[tuple[str, object, str]]:
    for name in ("alpha", "beta"):
        if row[name] is not None and row[name] >= 1:
            yield (name, row[name], "an exponent below 1 (a fitted loss law has 0 < α, β < 1)")


SCALING_LAWS_SCHEMA = register_schema(TableSchema(
    file="scaling_laws.csv",
    columns=(
        Column("name", "str"),
        Column("E_nats", positive=True, meaning="irreducible loss, nats per token",
               plausible=Plausible(0.1, 10, "nats per token", ())),
        Column("A_nats", positive=True, meaning="parameter-term coefficient, nats per token × params^α",
               plausible=Plausible(1, 1e7, "", ())),
        Column("B_nats", positive=True, meaning="data-term coefficient, nats per token × tokens^β",
               plausible=Plausible(1, 1e7, "", ())),
        Column("alpha", positive=True, meaning="parameter exponent α", plausible=Plausible(0.05, 0.99, "", ())),
        Column("beta", positive=True, meaning="data exponent β", plausible=Plausible(0.05, 0.99, "", ())),
        Column("year", "int", minimum=1990, plausible=YEARS),
        Column("source", "str", meaning="an address or citation"),
        provenance_column("what the fitted constants rest on: the fit's own paper (primary) or a report of its "
                          "values by others (secondary)"),
    ),
    row_checks=(_exponents_below_one,),
))

#: The unit each quantity of ``serving_demand.csv`` must carry.
DEMAND_UNITS: dict[str, str] = {
    "active_params": "params", "training_tokens": "tokens", "users": "users", "period": "days",
    "rl_flops_factor": "FLOP/param/token", "efficiency": "fraction", "messages_per_day": "messages/day",
    "tokens_per_minute": "tokens/min", "tokens_per_month": "tokens/month", "tokens_per_message": "tokens/message",
    "price": "USD/accelerator-hour", "accelerator_hours": "accelerator-hours", "cost": "USD",
}
DEMAND_KINDS = ("talk", "reported", "assumption")

#: Plausible values of each quantity of ``serving_demand.csv``, in the unit of :data:`DEMAND_UNITS`.
DEMAND_RANGES: dict[str, Plausible] = {
    "active_params": Plausible(1e7, 1e15, "params"),
    "training_tokens": Plausible(1e9, 1e17, "tokens"),
    "users": Plausible(1, 1e11, "users"),
    "period": Plausible(1, 36_500, "days"),
    "rl_flops_factor": Plausible(1, 20, "FLOP/param/token", ()),
    "efficiency": Plausible(0.001, 1, "", ("fraction",)),
    "messages_per_day": Plausible(1, 1e13, "messages/day"),
    "tokens_per_minute": Plausible(1, 1e14, "tokens/min"),
    "tokens_per_month": Plausible(1e6, 1e19, "tokens/month"),
    "tokens_per_message": Plausible(1, 1e7, "tokens/message"),
    "price": Plausible(0.05, 200, "USD/accelerator-hour"),
    "accelerator_hours": Plausible(1, 1e11, "accelerator-hours"),
    "cost": Plausible(1, 1e13, "USD"),
}


def _unit_matches_quantity(row: dict) -> Iterable[tuple[str, object, str]]:
    quantity, unit = row["quantity"], row["unit"]
    if quantity in DEMAND_UNITS and unit is not None and unit != DEMAND_UNITS[quantity]:
        yield ("unit", unit, f"{DEMAND_UNITS[quantity]!r} for quantity {quantity!r}")
    if unit == "fraction" and row["value"] is not None and row["value"] > 1:
        yield ("value", row["value"], "a fraction ≤ 1")


SERVING_DEMAND_SCHEMA = register_schema(TableSchema(
    file="serving_demand.csv",
    columns=(
        Column("name", "str"),
        Column("quantity", "enum", choices=tuple(DEMAND_UNITS)),
        Column("value", positive=True, meaning="in the row's unit", plausible=PlausibleBy("quantity", DEMAND_RANGES)),
        Column("unit", "enum", choices=tuple(dict.fromkeys(DEMAND_UNITS.values()))),
        Column("kind", "enum", choices=DEMAND_KINDS),
        Column("as_of", "str"),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_unit_matches_quantity,),
))


@dataclass(frozen=True)
class LossLaw:
    """A fitted loss law L(N, D) = E + A/N^α + B_D/D^β (nats per token), with its source."""

    name: str
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    year: int = 0
    source: str = ""

    def __post_init__(self) -> None:
        for field_name in ("E", "A", "B", "alpha", "beta"):
            value = getattr(self, field_name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{self.name}: {field_name} must be a positive finite number, got {value!r}")
        if self.alpha >= 1 or self.beta >= 1:
            raise ValueError(f"{self.name}: exponents must be below 1, got α={self.alpha}, β={self.beta}")

    # -- the law itself -------------------------------------------------------------------------

    def loss(self, params, tokens) -> np.ndarray:
        """L(N, D) = E + A/N^α + B_D/D^β in nats per token (N parameters, D training tokens)."""
        n, d = _positive_array("params", params), _positive_array("tokens", tokens)
        return self.E + self.A * n ** -self.alpha + self.B * d ** -self.beta

    def tokens_for_loss(self, target_loss, params) -> np.ndarray:
        """D(N) = (B_D / (ℓ − E − A/N^α))^(1/β): tokens that bring N parameters to loss ℓ; inf where N alone
        cannot reach ℓ (ℓ − E − A/N^α ≤ 0)."""
        n = _positive_array("params", params)
        headroom = np.asarray(target_loss, dtype=float) - self.E - self.A * n ** -self.alpha
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(headroom > 0, (self.B / np.where(headroom > 0, headroom, 1.0)) ** (1 / self.beta), np.inf)

    def params_for_loss(self, target_loss, tokens) -> np.ndarray:
        """N(D) = (A / (ℓ − E − B_D/D^β))^(1/α): parameters that reach loss ℓ on D tokens; inf where D alone
        cannot reach ℓ."""
        d = _positive_array("tokens", tokens)
        headroom = np.asarray(target_loss, dtype=float) - self.E - self.B * d ** -self.beta
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(headroom > 0, (self.A / np.where(headroom > 0, headroom, 1.0)) ** (1 / self.alpha), np.inf)

    # -- Chinchilla: the compute-optimal split ------------------------------------------------

    def compute_optimal(self, compute_flop) -> tuple[np.ndarray, np.ndarray]:
        """(N_opt, D_opt) minimising L at training compute C = 6·N·D (Hoffmann et al. 2022, eq. 4):

        N_opt = G·(C/6)^(β/(α+β)),  D_opt = G⁻¹·(C/6)^(α/(α+β)),  G = (α·A / (β·B_D))^(1/(α+β)).
        """
        c = _positive_array("compute_flop", compute_flop) / TRAIN_FLOP_PER_PARAM_TOKEN
        s = self.alpha + self.beta
        g = (self.alpha * self.A / (self.beta * self.B)) ** (1 / s)
        return g * c ** (self.beta / s), c ** (self.alpha / s) / g

    def compute_optimal_for_params(self, params) -> tuple[np.ndarray, np.ndarray]:
        """(C, D) for which N is the compute-optimal size, inverting :meth:`compute_optimal`:
        ``C/6 = (N/G)^((α+β)/β)``, ``D = (C/6)/N`` (the form of Hoffmann et al.'s table 3)."""
        n = _positive_array("params", params)
        s = self.alpha + self.beta
        g = (self.alpha * self.A / (self.beta * self.B)) ** (1 / s)
        c6 = (n / g) ** (s / self.beta)
        return TRAIN_FLOP_PER_PARAM_TOKEN * c6, c6 / n

    def compute_optimal_tokens_per_param(self, compute_flop) -> np.ndarray:
        """D_opt/N_opt at compute C = G⁻²·(C/6)^((α−β)/(α+β)); constant only when α = β."""
        n, d = self.compute_optimal(compute_flop)
        return d / n

    # -- the inference-aware optimum ----------------------------------------------------------

    def optimum_along_loss(self, target_loss, r) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The inference-aware optimum at loss ℓ parametrised by r = α·x/(β·y) ≥ 1 (module docstring):

        y = (ℓ − E)/(1 + r·β/α),  x = ℓ − E − y,  N = (A/x)^(1/α),  D = (B_D/y)^(1/β),  D_serve = 3·D·(r − 1).

        Returns (N, D, D_serve): parameters, pre-training tokens, and the lifetime tokens whose serving (at 2·N
        FLOP each) makes (N, D) the cheapest way to reach ℓ. r = 1 gives the Chinchilla point, D_serve = 0.
        """
        headroom = _headroom(self, target_loss)
        r = np.asarray(r, dtype=float)
        if np.any(~np.isfinite(r)) or np.any(r < 1):
            raise ValueError("r must be finite and ≥ 1 (r = 1 is the compute-optimal point)")
        y = headroom / (1 + r * self.beta / self.alpha)
        x = headroom - y
        n = (self.A / x) ** (1 / self.alpha)
        d = (self.B / y) ** (1 / self.beta)
        return n, d, 3 * d * (r - 1)

    def inference_optimal(self, target_loss, served_tokens, iterations: int = 80) -> tuple[np.ndarray, np.ndarray]:
        """(N*, D*) minimising 6·N·D + 2·N·D_serve subject to L(N, D) = ℓ, for lifetime served tokens D_serve ≥ 0
        (Sardana, Portes, Doubov and Frankle 2024, "Beyond Chinchilla-Optimal"). Vectorised bisection on ln(r − 1) in :meth:`optimum_along_loss`
        (D_serve grows monotonically with r); arrays of ℓ and D_serve broadcast. Relative error ≲ 1e-12.
        """
        headroom = _headroom(self, target_loss)
        t = np.asarray(served_tokens, dtype=float)
        if np.any(~np.isfinite(t)) or np.any(t < 0):
            raise ValueError("served_tokens must be finite and ≥ 0")
        headroom, t = np.broadcast_arrays(headroom, t)
        loss = headroom + self.E
        low = np.full(t.shape, -40.0)   # r − 1 = e^-40: D_serve ≈ 0
        high = np.full(t.shape, 40.0)   # r − 1 = e^40: beyond any demand
        for _ in range(iterations):
            mid = 0.5 * (low + high)
            _, _, t_mid = self.optimum_along_loss(loss, 1 + np.exp(mid))
            above = t_mid > t
            high = np.where(above, mid, high)
            low = np.where(above, low, mid)
        r = np.where(t > 0, 1 + np.exp(0.5 * (low + high)), 1.0)
        n, d, _ = self.optimum_along_loss(loss, r)
        return n, d

    def served_tokens_for_tokens_per_param(self, target_loss, tokens_per_param, iterations: int = 80) -> np.ndarray:
        """Lifetime served tokens D_serve at which the inference-aware optimum (Sardana, Portes, Doubov and Frankle
        2024) for loss ℓ trains D*/N* tokens per parameter (D*/N* grows monotonically with D_serve). NaN where the ratio is below the Chinchilla point's
        (no demand makes the optimum that lightly trained). Vectorised bisection on ln(r − 1)."""
        headroom = _headroom(self, target_loss)
        ratio = _positive_array("tokens_per_param", tokens_per_param)
        headroom, ratio = np.broadcast_arrays(headroom, ratio)
        loss = headroom + self.E
        n0, d0, _ = self.optimum_along_loss(loss, np.ones(ratio.shape))
        low, high = np.full(ratio.shape, -40.0), np.full(ratio.shape, 40.0)
        for _ in range(iterations):
            mid = 0.5 * (low + high)
            n, d, _ = self.optimum_along_loss(loss, 1 + np.exp(mid))
            above = d / n > ratio
            high = np.where(above, mid, high)
            low = np.where(above, low, mid)
        _, _, t = self.optimum_along_loss(loss, 1 + np.exp(0.5 * (low + high)))
        return np.where(ratio >= d0 / n0, t, np.nan)

    def inference_optimal_grid(self, target_loss: float, served_tokens: float,
                               params_grid=None) -> tuple[float, float]:
        """The same optimum by brute force: evaluate 6·N·D(N) + 2·N·D_serve on a log-spaced N grid (vectorised) and
        take the cheapest point. Slower and coarser than :meth:`inference_optimal`; kept as a check."""
        grid = np.logspace(6, 16, 200_001) if params_grid is None else np.asarray(params_grid, dtype=float)
        d = self.tokens_for_loss(target_loss, grid)
        cost = TRAIN_FLOP_PER_PARAM_TOKEN * grid * d + SERVE_FLOP_PER_PARAM_TOKEN * grid * served_tokens
        best = int(np.argmin(cost))
        if not np.isfinite(cost[best]):
            raise ValueError(f"no N on the grid reaches loss {target_loss}")
        return float(grid[best]), float(d[best])


def _positive_array(name: str, value) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if np.any(~np.isfinite(array)) or np.any(array <= 0):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return array


def _headroom(law: LossLaw, target_loss) -> np.ndarray:
    loss = np.asarray(target_loss, dtype=float)
    if np.any(~np.isfinite(loss)) or np.any(loss <= law.E):
        raise ValueError(f"target loss must exceed the irreducible loss E = {law.E} of {law.name}, got {target_loss!r}")
    return loss - law.E


def load_loss_laws(data_dir: Path | str | None = None) -> list[LossLaw]:
    """Every row of ``scaling_laws.csv`` as a :class:`LossLaw` (the book's table if the reader's data lack it)."""
    rows = read_table(SCALING_LAWS_SCHEMA, table_dir(SCALING_LAWS_SCHEMA.file, data_dir))
    return [LossLaw(r["name"], r["E_nats"], r["A_nats"], r["B_nats"], r["alpha"], r["beta"], r["year"], r["source"])
            for r in rows]


COMPUTE_OPTIMAL_TABLE_SCHEMA = register_schema(TableSchema(
    file="chinchilla_table3.csv",
    columns=(
        Column("name", "str"),
        Column("params_B", positive=True, meaning="billions of parameters", plausible=Plausible(0.01, 1e5, "B")),
        Column("flops", positive=True, meaning="training FLOP", plausible=Plausible(1e15, 1e30, "FLOP", ())),
        Column("tokens_B", positive=True, meaning="billions of training tokens", plausible=Plausible(0.01, 1e7, "B")),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
))


@dataclass(frozen=True)
class ComputeOptimalRow:
    """One row of Hoffmann et al.'s table 3: a model size, its compute-optimal FLOP and tokens (SI counts)."""

    name: str
    params: float
    flops: float
    tokens: float
    source: str


def load_compute_optimal_table(data_dir: Path | str | None = None) -> list[ComputeOptimalRow]:
    """``chinchilla_table3.csv`` (the book's own when the reader's directory lacks it)."""
    rows = read_table(COMPUTE_OPTIMAL_TABLE_SCHEMA, table_dir(COMPUTE_OPTIMAL_TABLE_SCHEMA.file, data_dir))
    return [ComputeOptimalRow(r["name"], r["params_B"] * 1e9, r["flops"], r["tokens_B"] * 1e9, r["source"]) for r in rows]


def compute_optimal_token_errors(law: "LossLaw", rows: list[ComputeOptimalRow]) -> np.ndarray:
    """D_fit(N) / D_table(N) − 1 for every row: how far a fit's compute-optimal tokens for each model size fall
    from the published table (positive: the fit trains longer)."""
    _, tokens = law.compute_optimal_for_params(np.array([r.params for r in rows]))
    return tokens / np.array([r.tokens for r in rows]) - 1.0


# --------------------------------------------------------------------------------------------------
# RL compute: the sigmoid of Khatri et al. (2025) against the log-linear reading

RL_KINDS = ("sigmoid_asymptote", "sigmoid_exponent", "sigmoid_midpoint", "rl_compute", "pretrain_compute",
            "benchmark_score")

#: The unit each kind of rl_scaling.csv row is in (a sigmoid's exponent b is a pure number, "1").
RL_KIND_UNITS = {"sigmoid_asymptote": "pass rate", "benchmark_score": "pass rate", "sigmoid_exponent": "1",
                 "sigmoid_midpoint": "GPU-hours", "rl_compute": "GPU-hours", "pretrain_compute": "GPU-hours"}


def _pass_rate_at_most_one(row: dict) -> Iterable[tuple[str, object, str]]:
    if row["unit"] == "pass rate" and row["value"] is not None and row["value"] > 1:
        yield ("value", row["value"], "a pass rate ≤ 1 (a fraction, not a percentage)")


def _unit_fits_kind(row: dict) -> Iterable[tuple[str, object, str]]:
    expected = RL_KIND_UNITS.get(row["kind"])
    if expected is not None and row["unit"] is not None and row["unit"] != expected:
        yield ("unit", row["unit"], f"{expected!r}, the unit of a {row['kind']} row")


RL_SCALING_SCHEMA = register_schema(TableSchema(
    file="rl_scaling.csv",
    columns=(
        Column("name", "str"),
        Column("kind", "enum", choices=RL_KINDS),
        Column("value", positive=True, meaning="in the row's unit", plausible=PlausibleBy("unit", {"pass rate": Plausible(0, 1, "", ()), "GPU-hours": Plausible(1, 1e10, "GPU-hours", ()), "1": Plausible(0.05, 20, "", ())})),
        Column("unit", "enum", choices=("pass rate", "GPU-hours", "1")),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_pass_rate_at_most_one, _unit_fits_kind),
))


def load_rl_scaling(data_dir: Path | str | None = None) -> dict[str, float]:
    """``rl_scaling.csv`` as {name: value} (pass rates as fractions, compute in GPU-hours)."""
    rows = read_table(RL_SCALING_SCHEMA, table_dir(RL_SCALING_SCHEMA.file, data_dir))
    return {r["name"]: r["value"] for r in rows}


@dataclass(frozen=True)
class RlFit:
    """One published sigmoid fit of pass rate against RL compute: its ceiling R_∞ (Khatri et al.'s A, a pass
    rate), exponent b (their B) and midpoint C_mid (GPU-hours). R_0, the pass rate the fit starts from, is not
    part of it: the published tables leave it out, so what the book derives from a fit is R_0-free (shares of
    the total gain R_∞ − R_0) or a bound."""

    name: str
    asymptote: float
    exponent: float
    midpoint_gpu_hours: float


#: The row names of a fit in rl_scaling.csv are "<fit>: fitted asymptote A", "<fit>: fitted exponent B" and
#: "<fit>: fitted midpoint C_mid"; the part before ": fitted" names the fit.
RL_FIT_ROW = ": fitted "


def load_rl_fits(data_dir: Path | str | None = None) -> dict[str, RlFit]:
    """The complete sigmoid fits in ``rl_scaling.csv`` (those with a ceiling, an exponent and a midpoint), by
    name, in file order. A fit with only some of the three is left out (its ceiling alone is still a row)."""
    rows = read_table(RL_SCALING_SCHEMA, table_dir(RL_SCALING_SCHEMA.file, data_dir))
    parts: dict[str, dict[str, float]] = {}
    for r in rows:
        if r["kind"].startswith("sigmoid_") and RL_FIT_ROW in r["name"]:
            parts.setdefault(r["name"].split(RL_FIT_ROW)[0], {})[r["kind"]] = r["value"]
    return {name: RlFit(name, p["sigmoid_asymptote"], p["sigmoid_exponent"], p["sigmoid_midpoint"])
            for name, p in parts.items()
            if {"sigmoid_asymptote", "sigmoid_exponent", "sigmoid_midpoint"} <= p.keys()}


def rl_sigmoid(compute, r0, asymptote, midpoint, exponent) -> np.ndarray:
    """R(C_RL) = R_0 + (R_∞ − R_0) / (1 + (C_mid / C_RL)^b): pass rate after C_RL of RL compute (C_RL and C_mid in one
    unit); ``asymptote`` is R_∞ (Khatri et al.'s A), ``exponent`` is b (their B)."""
    c = _positive_array("compute", compute)
    _positive_array("midpoint", midpoint)
    _positive_array("exponent", exponent)
    return r0 + (np.asarray(asymptote, dtype=float) - r0) / (1.0 + (np.asarray(midpoint, dtype=float) / c) ** exponent)


def rl_gain_per_decade(compute, r0, asymptote, midpoint, exponent) -> np.ndarray:
    """R(10 C) − R(C): the benchmark gain the sigmoid gives for the next 10× of RL compute from C."""
    c = _positive_array("compute", compute)
    return (rl_sigmoid(10 * c, r0, asymptote, midpoint, exponent) - rl_sigmoid(c, r0, asymptote, midpoint, exponent))


def rl_decade_gain_share(compute, midpoint, exponent) -> np.ndarray:
    """s(10 C) − s(C) with s(C) = 1 / (1 + (C_mid / C)^b): the share of the sigmoid's total gain R_∞ − R_0 that
    the next 10× of RL compute from C brings (R_0-free; times R_∞ − R_0 it is :func:`rl_gain_per_decade`)."""
    return rl_gain_per_decade(compute, 0.0, 1.0, midpoint, exponent)


def rl_best_decade_gain_share(exponent) -> np.ndarray:
    """The largest share of the total gain any one decade of compute brings, ``tanh(b ln 10 / 4)`` =
    ``(10^(b/2) − 1) / (10^(b/2) + 1)``, from C_mid/√10 to √10·C_mid (the decade centred on the midpoint in log C):
    the gain per 10× of a log-linear reading that matches the sigmoid where it rises fastest."""
    return np.tanh(_positive_array("exponent", exponent) * np.log(10.0) / 4.0)


def rl_peak_gain_per_decade(r0, asymptote, exponent) -> np.ndarray:
    """The log-linear slope at the sigmoid's midpoint, per 10×: ``(R_∞ − R_0) · b · ln 10 / 4`` (the largest
    slope the curve reaches; the talk's 'linear gain per 10×' read at its best)."""
    return (np.asarray(asymptote, dtype=float) - r0) * _positive_array("exponent", exponent) * np.log(10.0) / 4.0


def rl_half_gain_decades(exponent) -> np.ndarray:
    """Decades either side of C_mid at which the slope per decade has fallen to half its peak:
    ``log10(3 + 2√2) / b ≈ 0.77 / b`` (from 4 s (1 − s) = ½ with s the sigmoid's fraction of its gain)."""
    return np.log10(3.0 + 2.0 * np.sqrt(2.0)) / _positive_array("exponent", exponent)


def rl_loglinear_overshoot_decades(exponent) -> np.ndarray:
    """Decades past C_mid at which the log-linear line tangent at C_mid reaches the ceiling R_∞:
    ``((R_∞ − R_0)/2) / ((R_∞ − R_0) b ln 10 / 4) = 2 / (b ln 10) ≈ 0.87 / b``, whatever R_∞ and R_0."""
    return 2.0 / (_positive_array("exponent", exponent) * np.log(10.0))


@dataclass(frozen=True)
class DemandRow:
    """One number of ``serving_demand.csv``: its value in the row's unit, what kind of number it is, and its source."""

    name: str
    quantity: str
    value: float
    unit: str
    kind: str
    as_of: str
    source: str
    notes: str = ""


def load_serving_demand(data_dir: Path | str | None = None) -> dict[str, DemandRow]:
    """The rows of ``serving_demand.csv`` by name (the book's table if the reader's data lack it)."""
    rows = read_table(SERVING_DEMAND_SCHEMA, table_dir(SERVING_DEMAND_SCHEMA.file, data_dir))
    return {r["name"]: DemandRow(r["name"], r["quantity"], r["value"], r["unit"], r["kind"], r["as_of"], r["source"],
                                 r.get("notes", "")) for r in rows}


def demand_value(rows: dict[str, DemandRow], name: str) -> float:
    """The value of one named row of ``serving_demand.csv``; a DataError naming the row when it is missing."""
    if name not in rows:
        raise DataError([Problem(SERVING_DEMAND_SCHEMA.file, None, name, "name", None,
                                 f"a row named {name!r} (rows: {', '.join(rows)})")])
    return rows[name].value


# --------------------------------------------------------------------------------------------------
# The talk's heuristic: lifetime compute with equal terms


def lifetime_flop(params, pretrain_tokens, served_tokens, rl_tokens=0.0, rl_flops_factor: float = 2.0,
                  rl_efficiency: float = 1.0) -> np.ndarray:
    """C_life = 6·N·D + k_RL·N·D_RL/η + 2·N·D_served, in pre-training-equivalent FLOP."""
    if rl_flops_factor <= 0 or not 0 < rl_efficiency <= 1:
        raise ValueError("rl_flops_factor must be > 0 and rl_efficiency in (0, 1]")
    n = _positive_array("params", params)
    return (TRAIN_FLOP_PER_PARAM_TOKEN * n * np.asarray(pretrain_tokens, dtype=float)
            + rl_flops_factor * n * np.asarray(rl_tokens, dtype=float) / rl_efficiency
            + SERVE_FLOP_PER_PARAM_TOKEN * n * np.asarray(served_tokens, dtype=float))


def equal_terms_tokens(pretrain_tokens, rl_flops_factor, rl_efficiency) -> tuple[np.ndarray, np.ndarray]:
    """(D_RL, D_served) that make the three terms of :func:`lifetime_flop` equal for a given D_pre:

    6·N·D_pre = k_RL·N·D_RL/η = 2·N·D_served  ⇒  D_RL = 6·η·D_pre/k_RL,  D_served = 3·D_pre.
    """
    d = _positive_array("pretrain_tokens", pretrain_tokens)
    k = _positive_array("rl_flops_factor", rl_flops_factor)
    eta = _positive_array("rl_efficiency", rl_efficiency)
    return TRAIN_FLOP_PER_PARAM_TOKEN * eta * d / k, TRAIN_FLOP_PER_PARAM_TOKEN / SERVE_FLOP_PER_PARAM_TOKEN * d


def rl_served_equivalent(rl_tokens, rl_flops_factor, rl_efficiency) -> np.ndarray:
    """RL rollout tokens expressed as served tokens of the same compute: k_RL·D_RL / (2·η).

    Both RL and serving cost compute proportional to N, so for the optimum they add: T_eff = D_serve + this.
    """
    if np.any(np.asarray(rl_tokens, dtype=float) < 0):
        raise ValueError("rl_tokens must be ≥ 0")
    return (np.asarray(rl_tokens, dtype=float) * _positive_array("rl_flops_factor", rl_flops_factor)
            / (SERVE_FLOP_PER_PARAM_TOKEN * _positive_array("rl_efficiency", rl_efficiency)))


def overtraining_factor(params, tokens, reference_tokens_per_param: float = CHINCHILLA_TOKENS_PER_PARAM) -> np.ndarray:
    """(D/N) ÷ the Chinchilla ratio (20 tokens per parameter unless given): how far past Chinchilla a model is."""
    return _positive_array("tokens", tokens) / _positive_array("params", params) / reference_tokens_per_param


def optimality_ratio(law: LossLaw, params, tokens) -> np.ndarray:
    """r = α·(A/N^α) / (β·(B_D/D^β)) at (N, D): 1 at the compute-optimal split, > 1 when over-trained.
    At the inference-aware optimum (Sardana, Portes, Doubov and Frankle 2024) r − 1 = serving compute ÷ training
    compute."""
    n, d = _positive_array("params", params), _positive_array("tokens", tokens)
    return law.alpha * law.A * n ** -law.alpha / (law.beta * law.B * d ** -law.beta)


def served_tokens_for_optimality(law: LossLaw, params, tokens) -> np.ndarray:
    """D_serve = 3·D·(r − 1): the lifetime served tokens at which (N, D) is the inference-aware optimum (Sardana,
    Portes, Doubov and Frankle 2024) for its own loss; negative when (N, D) is under-trained (r < 1), i.e. no demand makes it optimal."""
    return 3 * _positive_array("tokens", tokens) * (optimality_ratio(law, params, tokens) - 1)


def equal_terms_design(law: LossLaw, target_loss, served_tokens) -> tuple[np.ndarray, np.ndarray]:
    """The two-term heuristic (training compute = serving compute): D = D_serve/3, then N = N(D) at loss ℓ.
    N is inf where D_serve/3 tokens cannot reach ℓ at any size."""
    d = _positive_array("served_tokens", served_tokens) * SERVE_FLOP_PER_PARAM_TOKEN / TRAIN_FLOP_PER_PARAM_TOKEN
    return law.params_for_loss(target_loss, d), d


def equal_terms_penalty(law: LossLaw, target_loss, served_tokens) -> np.ndarray:
    """(6·N_h·D_h + 2·N_h·D_serve) / (6·N*·D* + 2·N*·D_serve) − 1: the extra training + serving compute of the equal-terms
    design (:func:`equal_terms_design`) over the inference-aware optimum (Sardana, Portes, Doubov and Frankle 2024)
    at the same loss and demand;
    NaN where the heuristic cannot reach the loss at all."""
    t = _positive_array("served_tokens", served_tokens)
    n_h, d_h = equal_terms_design(law, target_loss, t)
    n_o, d_o = law.inference_optimal(target_loss, t)
    feasible = np.isfinite(n_h)
    cost_h = train_serve_flop(np.where(feasible, n_h, 1.0), d_h, t)
    return np.where(feasible, cost_h / train_serve_flop(n_o, d_o, t) - 1, np.nan)


def train_serve_flop(params, pretrain_tokens, served_tokens) -> np.ndarray:
    """6·N·D + 2·N·D_serve: training plus serving FLOP."""
    return lifetime_flop(params, pretrain_tokens, served_tokens)


def excess_lifetime_compute(law: LossLaw, params, tokens, served_tokens) -> np.ndarray:
    """(6·N·D + 2·N·D_serve) / (6·N*·D* + 2·N*·D_serve) − 1: the extra training + serving compute of a model of N
    parameters trained on D tokens over the inference-aware optimum (Sardana, Portes, Doubov and Frankle 2024) that
    reaches the same loss for the same
    demand (0 where (N, D) is that optimum). A ratio of costs, where D/N ÷ D*/N* is a ratio of shapes."""
    n, d = _positive_array("params", params), _positive_array("tokens", tokens)
    t = _positive_array("served_tokens", served_tokens)
    n_o, d_o = law.inference_optimal(law.loss(n, d), t)
    return train_serve_flop(n, d, t) / train_serve_flop(n_o, d_o, t) - 1


# --------------------------------------------------------------------------------------------------
# Serving demand and money


def tokens_served(users, tokens_per_user_per_day, days) -> np.ndarray:
    """Lifetime tokens = users × tokens per user per day × days."""
    return (_positive_array("users", users) * _positive_array("tokens_per_user_per_day", tokens_per_user_per_day)
            * _positive_array("days", days))


def days_to_serve(tokens, users, tokens_per_user_per_day) -> np.ndarray:
    """Days for ``users`` at ``tokens_per_user_per_day`` to be served ``tokens`` in all."""
    return _positive_array("tokens", tokens) / (_positive_array("users", users)
                                                * _positive_array("tokens_per_user_per_day", tokens_per_user_per_day))


def tokens_per_user_per_day(tokens, users, days) -> np.ndarray:
    """The per-user daily rate that serves ``tokens`` to ``users`` in ``days``."""
    return _positive_array("tokens", tokens) / (_positive_array("users", users) * _positive_array("days", days))


def output_share_of_computed_tokens(output_tokens, input_tokens, cached_input_tokens=0.0) -> np.ndarray:
    """s = O / (I − I_cached + O): output tokens as a share of the tokens that cost a forward pass (2·N FLOP each);
    prompt tokens read from a KV cache cost none. With ``cached_input_tokens`` = 0, every prompt token counts."""
    o, i = _positive_array("output_tokens", output_tokens), _positive_array("input_tokens", input_tokens)
    c = np.asarray(cached_input_tokens, dtype=float)
    if np.any(c < 0) or np.any(c > i):
        raise ValueError("cached input tokens must lie between 0 and the input tokens")
    return o / (i - c + o)


def output_tokens_at_equal_compute(pretrain_tokens, output_share) -> np.ndarray:
    """D_out = 3 · D · s: the output tokens of a serving lifetime whose 2·N FLOP per computed token add up to the
    6·N·D of pre-training, when output tokens are a share s of the computed (prompt + output) tokens."""
    s = np.asarray(output_share, dtype=float)
    if np.any((s <= 0) | (s > 1)):
        raise ValueError("the output share must lie in (0, 1]")
    return TRAIN_FLOP_PER_PARAM_TOKEN / SERVE_FLOP_PER_PARAM_TOKEN * _positive_array("pretrain_tokens", pretrain_tokens) * s


def usd_per_flop(flops_per_s, utilisation, usd_per_accelerator_hour) -> np.ndarray:
    """$/FLOP = price per accelerator-hour ÷ (3600 s × F × utilisation)."""
    u = _positive_array("utilisation", utilisation)
    if np.any(u > 1):
        raise ValueError("utilisation must be ≤ 1")
    return _positive_array("usd_per_accelerator_hour", usd_per_accelerator_hour) / (
        SECONDS_PER_HOUR * _positive_array("flops_per_s", flops_per_s) * u)


def accelerator_hours(flop, flops_per_s, utilisation) -> np.ndarray:
    """Accelerator-hours for ``flop`` at F × utilisation FLOP/s per accelerator."""
    return _positive_array("flop", flop) / (_positive_array("flops_per_s", flops_per_s)
                                            * _positive_array("utilisation", utilisation) * SECONDS_PER_HOUR)


def implied_utilisation(flop, accelerator_hours_used, flops_per_s) -> np.ndarray:
    """Model FLOP utilisation implied by a run: FLOP ÷ (hours × 3600 × F)."""
    return _positive_array("flop", flop) / (_positive_array("accelerator_hours", accelerator_hours_used)
                                            * SECONDS_PER_HOUR * _positive_array("flops_per_s", flops_per_s))


