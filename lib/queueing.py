"""The batch "train": a decode step that leaves every period T with room for B sequences.

Notation (see the notation page): T is the train's period in seconds (the talk takes the HBM drain time
C_hbm / W_hbm), B the seats on a train (sequences per decode step), λ the arrival rate of requests in
requests per second. The offered load is ρ = λ T / B; the train keeps up only while ρ < 1.

The model, with its assumptions named:

- requests arrive as a Poisson process of rate λ (independent users, no batching of arrivals);
- a train departs at every multiple of T, full or not; whoever is waiting boards, first come first served,
  up to B seats; a request left on the platform waits for the next train;
- a request's latency is its wait on the platform plus one ride of T (the decode step itself), so that a
  request that boards the first train has latency between T and 2T, and the talk's "worst case ≈ 2T"
  is the worst case of a train that is never full.

Simulation (:func:`simulate_train`) is exact for this model and fully vectorised: the backlog after each
departure is a reflected random walk, Q_{k+1} = max(0, Q_k + A_k − B), computed with a cumulative sum and
a running minimum (no Python loop over trains); latencies are drawn for a uniform random sample of the
requests, each placed at its exact rank inside its interval (a Beta order statistic), so the cost does not
grow with λ.

The module also owns ``data/throughput_reports.csv`` (reported global token throughput, e.g. Google's monthly
tokens across its AI surfaces) and converts tokens per month to tokens per second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import Column, Plausible, provenance_column, TableSchema, read_table, register_schema

#: Seconds in an average Gregorian month: 365.2425 days / 12 × 86,400 s.
SECONDS_PER_MONTH = 365.2425 / 12 * 86_400.0

ArrayLike = np.ndarray | float | int


# --------------------------------------------------------------------------------------------------
# Closed forms


def trains_per_second(period_s: ArrayLike) -> np.ndarray:
    """Departures per second, 1 / T."""
    period = np.asarray(period_s, dtype=float)
    if np.any(period <= 0):
        raise ValueError(f"the train period T must be > 0 s; got min {period.min():g}")
    return 1.0 / period


def capacity_rate_per_s(seats: ArrayLike, period_s: ArrayLike) -> np.ndarray:
    """The most requests per second the train can carry, B / T."""
    seats_arr = np.asarray(seats, dtype=float)
    if np.any(seats_arr <= 0):
        raise ValueError(f"the train capacity B must be > 0 seats; got min {seats_arr.min():g}")
    return seats_arr * trains_per_second(period_s)


def offered_load(arrival_rate_per_s: ArrayLike, seats: ArrayLike, period_s: ArrayLike) -> np.ndarray:
    """ρ = λ T / B: arrivals per period divided by seats per train (the train keeps up only if ρ < 1)."""
    rate = np.asarray(arrival_rate_per_s, dtype=float)
    if np.any(rate < 0):
        raise ValueError(f"the arrival rate λ must be ≥ 0 requests/s; got min {rate.min():g}")
    return rate / capacity_rate_per_s(seats, period_s)


def worst_case_latency_unsaturated_s(period_s: ArrayLike) -> np.ndarray:
    """2T: arrive just after a departure, wait T for the next train, ride T. Holds only if no train is full."""
    return 2.0 * np.asarray(period_s, dtype=float)


def mean_latency_unsaturated_s(period_s: ArrayLike) -> np.ndarray:
    """1.5 T: a uniform wait on [0, T] plus one ride of T, for a train that always has a free seat."""
    return 1.5 * np.asarray(period_s, dtype=float)


def streams_to_fill(seats: ArrayLike, duty_cycle: ArrayLike = 1.0) -> np.ndarray:
    """Concurrent users needed to fill every train: B / d.

    A user who is decoding needs one seat on every train (one token per step). A user who decodes a fraction
    d of the time (reading, typing, tool calls the rest) occupies B·d seats on average per B users, so
    B / d users fill the train (Little's law: seats occupied = users × fraction of time decoding).
    """
    d = np.asarray(duty_cycle, dtype=float)
    if np.any((d <= 0) | (d > 1)):
        raise ValueError("the duty cycle d must be in (0, 1]")
    return np.asarray(seats, dtype=float) / d


def tokens_per_second(seats_filled: ArrayLike, period_s: ArrayLike) -> np.ndarray:
    """A replica's decode throughput: B tokens per train × 1/T trains per second."""
    return np.asarray(seats_filled, dtype=float) * trains_per_second(period_s)


def md1_mean_wait_s(arrival_rate_per_s: ArrayLike, service_s: ArrayLike) -> np.ndarray:
    """Mean wait in the queue of an M/D/1 queue (one server, Poisson arrivals, deterministic service S):
    W_q = ρ S / (2 (1 − ρ)) with ρ = λ S (Pollaczek–Khinchine with zero service variance); ``inf`` for ρ ≥ 1."""
    rate = np.asarray(arrival_rate_per_s, dtype=float)
    service = np.asarray(service_s, dtype=float)
    if np.any(rate < 0) or np.any(service <= 0):
        raise ValueError("need λ ≥ 0 and S > 0")
    rho = rate * service
    with np.errstate(divide="ignore"):
        return np.where(rho < 1, rho * service / (2.0 * (1.0 - rho)), np.inf)


def tokens_per_month_to_per_s(tokens_per_month: ArrayLike) -> np.ndarray:
    """Tokens per month ÷ :data:`SECONDS_PER_MONTH` (an average month of 30.44 days) = tokens per second."""
    return np.asarray(tokens_per_month, dtype=float) / SECONDS_PER_MONTH


def log_linear_trend(years: ArrayLike, values: ArrayLike) -> tuple[float, float]:
    """Least-squares fit of log(value) = a + g · year; returns (g as a fractional change per year, fitted
    value at the mean year). A stable quantity has g ≈ 0."""
    x = np.asarray(years, dtype=float)
    y = np.asarray(values, dtype=float)
    if x.shape != y.shape or x.size < 2:
        raise ValueError("need at least two (year, value) pairs of the same length")
    if np.any(y <= 0):
        raise ValueError("values must be > 0 for a log-linear trend")
    if np.ptp(x) == 0:
        raise ValueError("need at least two distinct years")
    slope, intercept = np.polyfit(x, np.log(y), 1)
    return float(np.expm1(slope)), float(np.exp(intercept + slope * x.mean()))


# --------------------------------------------------------------------------------------------------
# Simulation


@dataclass(frozen=True)
class TrainRun:
    """The outcome of :func:`simulate_train`: a sample of request latencies and the backlog per train."""

    period_s: float
    seats: int
    arrival_rate_per_s: float
    trains: int
    latency_s: np.ndarray  # a uniform random sample of the requests' latencies (wait + one ride)
    backlog: np.ndarray  # requests left on the platform after each departure (length = trains)
    arrivals: np.ndarray  # Poisson arrivals in each period (length = trains)

    @property
    def load(self) -> float:
        """ρ = λ T / B."""
        return float(offered_load(self.arrival_rate_per_s, self.seats, self.period_s))

    @property
    def full_train_fraction(self) -> float:
        """Fraction of departures that left someone behind (the train was full)."""
        return float(np.mean(self.backlog > 0))

    def quantile_s(self, q: ArrayLike) -> np.ndarray:
        """Latency quantiles of the sample (seconds)."""
        return np.quantile(self.latency_s, q)

    @property
    def mean_s(self) -> float:
        return float(self.latency_s.mean())

    @property
    def worst_s(self) -> float:
        """The largest latency in the sample (with the default sample the worst of tens of thousands)."""
        return float(self.latency_s.max())


def simulate_train(arrival_rate_per_s: float, seats: int, period_s: float, trains: int = 2000,
                   samples: int = 20_000, seed: int = 0) -> TrainRun:
    """Simulate ``trains`` departures of the batch train with Poisson arrivals; see the module docstring.

    Interval k runs from k·T to (k+1)·T and ends with departure k+1. With A_k arrivals in it and Q_k requests
    still waiting after departure k (Q_0 = 0), the request of rank n_ahead in interval k has Q_k + n_ahead requests
    ahead of it, so it boards train k + 1 + ⌊(Q_k + n_ahead)/B⌋ and its latency is that departure time − its
    arrival time + T. Arrival times inside an interval are the sorted uniforms of a Poisson process: the
    rank-r one of A is Beta(r+1, A−r) distributed. ``samples`` requests are drawn uniformly from all of them.
    """
    if not np.isfinite(arrival_rate_per_s) or arrival_rate_per_s <= 0:
        raise ValueError(f"arrival rate must be a positive number of requests/s; got {arrival_rate_per_s!r}")
    if int(seats) != seats or seats < 1:
        raise ValueError(f"seats B must be a positive integer; got {seats!r}")
    if not period_s > 0:
        raise ValueError(f"period T must be > 0 s; got {period_s!r}")
    if trains < 1 or samples < 1:
        raise ValueError("trains and samples must be ≥ 1")
    rng = np.random.default_rng(seed)
    arrivals = rng.poisson(arrival_rate_per_s * period_s, size=trains)
    # Reflected random walk: Q_{k+1} = max(0, Q_k + A_k − B) = S_{k+1} − min_{j ≤ k+1} S_j, S_0 = 0.
    walk = np.concatenate([[0], np.cumsum(arrivals - int(seats))])
    backlog_all = walk - np.minimum.accumulate(walk)  # R_0 … R_trains
    total = int(arrivals.sum())
    if total == 0:
        latency = np.empty(0)
    else:
        pick = np.sort(rng.integers(0, total, size=samples))
        ends = np.cumsum(arrivals)
        interval = np.searchsorted(ends, pick, side="right")  # which period each sampled request arrived in
        rank = pick - (ends[interval] - arrivals[interval])
        count = arrivals[interval]
        position = rng.beta(rank + 1, count - rank)  # arrival time inside the interval, in units of T
        trains_missed = (backlog_all[interval] + rank) // int(seats)
        departure = interval + 1 + trains_missed  # in units of T
        latency = (departure - (interval + position) + 1.0) * period_s
    return TrainRun(float(period_s), int(seats), float(arrival_rate_per_s), int(trains), latency,
                    backlog_all[1:], arrivals)


def latency_grid(arrival_rates_per_s: np.ndarray, seats: np.ndarray, period_s: float, bin_edges_periods: np.ndarray,
                 trains: int = 500, samples: int = 4000, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Simulate every (λ, B) pair and return (histogram rows, summary rows) for a chart.

    Histogram rows: λ, B, bin start and end in units of T, share of requests. The last edge may be ``inf``
    (an overflow bin). Summary rows: λ, B, ρ, mean, p50, p99, worst (seconds), share of full trains.
    Seeds differ per pair but are fixed, so the page is reproducible.
    """
    hist_rows: list[dict] = []
    summary: list[dict] = []
    edges = np.asarray(bin_edges_periods, dtype=float)
    for i, rate in enumerate(np.asarray(arrival_rates_per_s, dtype=float)):
        for j, b in enumerate(np.asarray(seats, dtype=int)):
            run = simulate_train(float(rate), int(b), period_s, trains=trains, samples=samples,
                                 seed=seed + 1000 * i + j)
            counts, _ = np.histogram(run.latency_s / period_s, bins=edges)
            share = counts / max(1, run.latency_s.size)
            for lo, hi, s in zip(edges[:-1], edges[1:], share):
                hist_rows.append({"rate": float(rate), "seats": int(b), "lo": float(lo), "hi": float(hi),
                                  "share": float(s)})
            p50, p99 = run.quantile_s([0.5, 0.99])
            summary.append({"rate": float(rate), "seats": int(b), "load": run.load, "mean_s": run.mean_s,
                            "p50_s": float(p50), "p99_s": float(p99), "worst_s": run.worst_s,
                            "full_trains": run.full_train_fraction})
    return hist_rows, summary


# --------------------------------------------------------------------------------------------------
# Reported global throughput (data/throughput_reports.csv)


def _period_format(row: dict):
    for column in ("period_end",):
        text = row[column] or ""
        parts = text.split("-")
        if len(parts) != 2 or not all(p.isdigit() for p in parts) or not 1 <= int(parts[1]) <= 12:
            yield (column, text, "a month as YYYY-MM")


THROUGHPUT_SCHEMA = register_schema(TableSchema(
    file="throughput_reports.csv",
    columns=(
        Column("name", "str"),
        Column("org", "str"),
        Column("scope", "str", meaning="what the count covers"),
        Column("period_end", "str", meaning="the month the count covers, YYYY-MM"),
        Column("tokens_per_month_T", positive=True, factor=1e12, meaning="trillions of tokens per month",
               plausible=Plausible(0.01, 1e6, "trillion tokens per month")),
        Column("reported_on", "str", meaning="when it was reported, YYYY-MM or YYYY-MM-DD"),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_period_format,),
))


@dataclass(frozen=True)
class ThroughputReport:
    """One reported global token volume, in SI: tokens per month and tokens per second."""

    name: str
    org: str
    scope: str
    period_end: str
    tokens_per_month: float
    reported_on: str
    source: str
    notes: str = ""

    @property
    def tokens_per_s(self) -> float:
        return float(tokens_per_month_to_per_s(self.tokens_per_month))


def load_throughput_reports(data_dir=None) -> list[ThroughputReport]:
    """Every row of ``throughput_reports.csv`` (validated), oldest report first; the book's own table when the
    reader's data directory lacks one (:func:`lib.data.table_dir`)."""
    from .data import table_dir

    rows = read_table(THROUGHPUT_SCHEMA, table_dir(THROUGHPUT_SCHEMA.file, data_dir))
    reports = [ThroughputReport(r["name"], r["org"], r["scope"], r["period_end"],
                                r["tokens_per_month_T"] * 1e12, r["reported_on"], r["source"],
                                str(r.get("notes", "") or "")) for r in rows]
    return sorted(reports, key=lambda r: (r.reported_on, r.period_end))


def latest_report_before(reports: list[ThroughputReport], org: str, before: str) -> ThroughputReport | None:
    """The most recent report by ``org`` reported strictly before ``before`` (YYYY-MM); None if there is none."""
    candidates = [r for r in reports if r.org == org and r.reported_on[:7] < before]
    return candidates[-1] if candidates else None

