"""Measured serving and training throughput: the data the book's model is confronted with.

Three tables, each row citing its source:

``measured_throughput.csv``
    One published serving measurement per row: a system (hardware × accelerator count × software) running a
    model in one phase, and the tokens per second per accelerator it sustained. ``phase`` is

    * ``decode``: output tokens of a decode-only deployment (prefill-decode disaggregation);
    * ``prefill``: input (prompt) tokens of a prefill-only deployment;
    * ``offline``: prefill and decode together on the same accelerators, output tokens counted (MLPerf's way,
      also used for its Server and Interactive scenarios, where ``user_tokens_per_s`` carries the latency).

    ``accelerators`` is the deployment unit the figure was measured on, ``context_tokens`` the mean KV length at
    decode, ``user_tokens_per_s`` the per-user decode speed when the source states one; ``notes`` says what the
    figure counts (input or output tokens, cache hits included or not) and what was read or derived.
``measured_training.csv``
    Published accelerator-hours, tokens, precision and model-FLOPs utilisation of training runs (one row per run
    stage, or per benchmarked configuration when a paper reports MFU by configuration).
``deepseek_day.csv``
    Every figure of DeepSeek's published inference day (27–28 Feb 2025) that the columns above cannot hold, so
    that the day can be reproduced from DeepSeek's own numbers (:func:`deepseek_day_check`).

Rows name hardware and models by their ``name`` in ``hardware.csv`` and ``models.csv`` of the same data
directory; an unknown name is a :class:`~lib.data.DataError` naming file, line, column and value (also in
``python -m lib check-data``). Dates are publication dates. Loaders return dataclasses in SI units (seconds,
FLOP/s, tokens and tokens per second, USD). No bound is computed here: that needs the refined step model.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .data import (PARTIAL_DATE, Column, DataError, Plausible, PlausibleBy, Problem, TableSchema, provenance_column,
                   read_table,
                   register_directory_check,
                   register_schema, resolve_data_dir, table_dir, HARDWARE_SCHEMA, MODELS_SCHEMA)
from .scaling import SECONDS_PER_HOUR
from .units import COMPUTE_PRECISIONS, MEGA, TERA, WEIGHT_FORMATS

#: Phases a throughput row can measure (see the module docstring).
PHASES: tuple[str, ...] = ("decode", "prefill", "offline")
#: Storage formats for weights and KV cache: the formats the step model knows (``lib.units.WEIGHT_FORMATS``).
#: NVIDIA's NVFP4 (4-bit elements, one FP8 scale per 16) is recorded as ``fp4`` and named in the notes.
FORMATS: tuple[str, ...] = WEIGHT_FORMATS
#: What part of a training run a row's accelerator-hours cover; ``benchmark`` rows report a configuration's
#: measured FLOP/s and MFU without hours.
TRAINING_SCOPES: tuple[str, ...] = ("pre-training", "context-extension", "post-training", "all", "benchmark")

THROUGHPUT_FILE = "measured_throughput.csv"
TRAINING_FILE = "measured_training.csv"
DAY_FILE = "deepseek_day.csv"


# --------------------------------------------------------------------------------------------------
# Schemas


def _date_is_a_date(row: dict) -> Iterable[tuple[str, object, str]]:
    text = row["date"]
    if text is None:
        return
    if not PARTIAL_DATE.match(text):
        yield ("date", text, "a date YYYY, YYYY-MM or YYYY-MM-DD")
    elif len(text) == len("YYYY-MM-DD"):
        try:
            _dt.date.fromisoformat(text)
        except ValueError:
            yield ("date", text, "a real calendar date")


def _user_speed_for_decode_or_offline(row: dict) -> Iterable[tuple[str, object, str]]:
    if row["phase"] == "prefill" and row["user_tokens_per_s"] is not None:
        yield ("user_tokens_per_s", row["user_tokens_per_s"],
               "blank for a prefill row (a per-user decode speed belongs to decode or offline rows)")
    if row["phase"] == "prefill" and row["context_tokens"] is not None:
        yield ("context_tokens", row["context_tokens"], "blank for a prefill row (the mean KV length at decode)")


THROUGHPUT_SCHEMA = register_schema(TableSchema(
    file=THROUGHPUT_FILE,
    key="id",
    columns=(
        Column("id", "str", meaning="a unique slug"),
        Column("system", "str", meaning="who ran what: hardware, software, layout"),
        Column("hardware", "str", meaning="a name in hardware.csv"),
        Column("model", "str", meaning="a name in models.csv"),
        Column("phase", "enum", choices=PHASES),
        Column("accelerators", "int", positive=True, meaning="accelerators in the deployment unit measured", plausible=Plausible(1, 1e6, "accelerators", ())),
        Column("weights_format", "enum", choices=FORMATS, meaning="format of the (bulk of the) weights"),
        Column("kv_format", "enum", choices=FORMATS, meaning="format of the KV cache"),
        Column("prompt_tokens", required=False, positive=True, meaning="mean prompt length, blank if unpublished", plausible=Plausible(1, 1e7, "tokens")),
        Column("context_tokens", required=False, positive=True,
               meaning="mean KV length at decode, blank if unpublished", plausible=Plausible(1, 1e7, "tokens")),
        Column("user_tokens_per_s", required=False, positive=True,
               meaning="per-user decode speed, tokens/s, blank if not stated", plausible=Plausible(0.1, 1e4, "tokens/s")),
        Column("measured_tokens_per_s_per_accelerator", positive=True,
               meaning="tokens/s per accelerator (output tokens for decode and offline, input for prefill)", plausible=Plausible(0.1, 1e6, "tokens/s", ("prefix", "node"))),
        Column("date", "str", meaning="publication date YYYY-MM-DD"),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_date_is_a_date, _user_speed_for_decode_or_offline),
))


def _hours_unless_benchmark(row: dict) -> Iterable[tuple[str, object, str]]:
    if row["scope"] == "benchmark":
        if row["reported_mfu_percent"] is None and row["reported_tflops_per_accelerator"] is None:
            yield ("reported_mfu_percent", None, "an MFU or a TFLOP/s figure for a benchmark row")
        if row["accelerators"] is None:
            yield ("accelerators", None, "the accelerator count a benchmarked configuration ran on")
    elif row["accelerator_hours"] is None:
        yield ("accelerator_hours", None, f"accelerator-hours for a {row['scope']} row")
    if row["reported_mfu_percent"] is not None and row["reported_mfu_percent"] > 100:
        yield ("reported_mfu_percent", row["reported_mfu_percent"], "a percentage ≤ 100")


TRAINING_SCHEMA = register_schema(TableSchema(
    file=TRAINING_FILE,
    key="id",
    columns=(
        Column("id", "str", meaning="a unique slug"),
        Column("model", "str", meaning="a name in models.csv"),
        Column("hardware", "str", meaning="a name in hardware.csv"),
        Column("accelerators", "int", required=False, positive=True,
               meaning="accelerators in the run or configuration, blank if unpublished", plausible=Plausible(1, 1e6, "accelerators", ())),
        Column("accelerator_hours", required=False, positive=True,
               meaning="accelerator-hours, blank for a benchmark row", plausible=Plausible(1, 1e10, "accelerator-hours")),
        Column("training_tokens_T", required=False, positive=True, factor=TERA,
               meaning="trillions of tokens, blank if unpublished", plausible=Plausible(0.001, 1e4, "T")),
        Column("scope", "enum", choices=TRAINING_SCOPES),
        Column("precision", "enum", required=False, choices=COMPUTE_PRECISIONS,
               meaning="training compute format, blank if not stated"),
        Column("sequence_length_tokens", "int", required=False, positive=True, plausible=Plausible(128, 1e7, "tokens", ())),
        Column("reported_tflops_per_accelerator", required=False, positive=True, factor=TERA,
               meaning="model TFLOP/s per accelerator as reported, blank if not", plausible=Plausible(1, 1e5, "TFLOP/s")),
        Column("reported_mfu_percent", required=False, positive=True,
               meaning="model FLOPs utilisation as reported, percent of the dense peak", plausible=Plausible(1, 100, "%", ())),
        Column("date", "str", meaning="publication date YYYY-MM-DD"),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_date_is_a_date, _hours_unless_benchmark),
))

#: The unit each quantity of ``deepseek_day.csv`` carries; every one must be present.
DAY_UNITS: dict[str, str] = {
    "period": "hours", "gpus_per_node": "GPUs/node", "peak_nodes": "nodes", "average_nodes": "nodes",
    "gpu_hour_price": "USD/GPU-hour", "daily_cost": "USD", "input_tokens": "tokens",
    "cached_input_tokens": "tokens", "cache_hit_share": "fraction", "output_tokens": "tokens",
    "user_speed_min": "tokens/s", "user_speed_max": "tokens/s", "mean_kv_length": "tokens",
    "prefill_tokens_per_s_per_node": "tokens/s/node", "decode_tokens_per_s_per_node": "tokens/s/node",
    "prefill_unit_nodes": "nodes", "decode_unit_nodes": "nodes", "redundant_experts": "experts",
    "price_input_cache_hit": "USD/Mtoken", "price_input_cache_miss": "USD/Mtoken", "price_output": "USD/Mtoken",
    "theoretical_daily_revenue": "USD", "cost_profit_margin": "fraction",
}


def _day_unit_matches(row: dict) -> Iterable[tuple[str, object, str]]:
    name, unit = row["name"], row["unit"]
    if name not in DAY_UNITS:
        yield ("name", name, "one of " + ", ".join(DAY_UNITS))
    elif unit is not None and unit != DAY_UNITS[name]:
        yield ("unit", unit, f"{DAY_UNITS[name]!r} for {name!r}")
    if name == "cache_hit_share" and row["value"] is not None and row["value"] > 1:
        yield ("value", row["value"], "a fraction ≤ 1")


#: Plausible ranges of DeepSeek's day, by unit.
DAY_RANGES = {
    "hours": Plausible(1, 48, "hours", ()), "GPUs/node": Plausible(1, 72, "", ()), "nodes": Plausible(1, 1e5, "nodes", ()),
    "USD/GPU-hour": Plausible(0.1, 100, "USD"), "USD": Plausible(1, 1e10, "USD"), "tokens": Plausible(1e3, 1e16, "tokens"),
    "fraction": Plausible(0, 100, "", ("percent",)), "tokens/s": Plausible(0.1, 1e4, "tokens/s"),
    "tokens/s/node": Plausible(10, 1e7, "tokens/s", ("prefix",)), "experts": Plausible(0, 1e4, "experts", ()),
    "USD/Mtoken": Plausible(0.001, 1000, "USD"),
}


DAY_SCHEMA = register_schema(TableSchema(
    file=DAY_FILE,
    columns=(
        Column("name", "str", meaning="a quantity of DeepSeek's day"),
        Column("value", positive=True, meaning="in the row's unit", plausible=PlausibleBy("unit", DAY_RANGES)),
        Column("unit", "enum", choices=tuple(dict.fromkeys(DAY_UNITS.values()))),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_day_unit_matches,),
))


# --------------------------------------------------------------------------------------------------
# Cross-references: names must exist in the same data directory's hardware.csv and models.csv


def _names(schema: TableSchema, directory: Path) -> set[str]:
    return {row["name"] for row in read_table(schema, directory)}


def reference_problems(rows: list[dict], file_label: str, directory: Path,
                       key: str = "id") -> list[Problem]:
    """Problems for rows whose ``hardware`` or ``model`` is not a name in ``directory``'s hardware.csv /
    models.csv (``directory`` is the reader's data directory; its hardware and models tables are read)."""
    valid = {"hardware": (_names(HARDWARE_SCHEMA, directory), HARDWARE_SCHEMA.file),
             "model": (_names(MODELS_SCHEMA, directory), MODELS_SCHEMA.file)}
    problems = []
    for row in rows:
        for column, (names, file) in valid.items():
            if row[column] not in names:
                problems.append(Problem(file_label, row["_line"], row[key], column, row[column],
                                        f"a name in {file} of {directory} (one of: {', '.join(sorted(names))})"))
    return problems


def _check_directory(file: str, schema: TableSchema):
    def check(directory: Path) -> list[Problem]:
        return reference_problems(read_table(schema, directory), str(directory / file), directory)
    return check


register_directory_check(THROUGHPUT_FILE, _check_directory(THROUGHPUT_FILE, THROUGHPUT_SCHEMA))
register_directory_check(TRAINING_FILE, _check_directory(TRAINING_FILE, TRAINING_SCHEMA))


def _read_checked(schema: TableSchema, data_dir) -> list[dict]:
    """Rows of a measurement table (the reader's copy if present, else the book's), with names checked
    against the reader's hardware.csv and models.csv."""
    directory = resolve_data_dir(data_dir)
    source_dir = table_dir(schema.file, directory)
    rows = read_table(schema, source_dir)
    problems = reference_problems(rows, str(source_dir / schema.file), directory)
    if problems:
        raise DataError(problems)
    return rows


# --------------------------------------------------------------------------------------------------
# Typed rows


def _text(value) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class MeasuredThroughput:
    """One published serving measurement (SI units: tokens, seconds)."""

    id: str
    system: str
    hardware: str
    model: str
    phase: str
    accelerators: int
    weights_format: str
    kv_format: str
    prompt_tokens: float | None
    context_tokens: float | None
    user_tokens_per_s: float | None
    tokens_per_s_per_accelerator: float
    date: str
    source: str
    notes: str = ""

    @property
    def tokens_per_s(self) -> float:
        """The deployment unit's throughput: per-accelerator figure × accelerators (tokens/s)."""
        return self.tokens_per_s_per_accelerator * self.accelerators

    @property
    def step_time_s(self) -> float | None:
        """The decode step implied by the per-user speed, 1 / user_tokens_per_s (s); None if not stated."""
        return None if self.user_tokens_per_s is None else 1.0 / self.user_tokens_per_s

    @property
    def sequences_per_accelerator(self) -> float | None:
        """Concurrent sequences per accelerator implied by Little's law for a decode row:
        B = throughput per accelerator ÷ per-user speed; None where either is missing or the row is not decode."""
        if self.phase != "decode" or self.user_tokens_per_s is None:
            return None
        return self.tokens_per_s_per_accelerator / self.user_tokens_per_s


@dataclass(frozen=True)
class MeasuredTraining:
    """One published training run stage or benchmarked configuration (SI units)."""

    id: str
    model: str
    hardware: str
    accelerators: int | None
    accelerator_seconds: float | None
    training_tokens: float | None
    scope: str
    precision: str | None
    sequence_length_tokens: int | None
    reported_flops_per_s_per_accelerator: float | None
    reported_mfu: float | None  # a fraction, not a percentage
    date: str
    source: str
    notes: str = ""

    @property
    def accelerator_hours(self) -> float | None:
        return None if self.accelerator_seconds is None else self.accelerator_seconds / SECONDS_PER_HOUR


def load_measured_throughput(data_dir: Path | str | None = None) -> list[MeasuredThroughput]:
    """Rows of ``measured_throughput.csv`` (validated; names checked against hardware.csv and models.csv)."""
    return [MeasuredThroughput(
        id=r["id"], system=r["system"], hardware=r["hardware"], model=r["model"], phase=r["phase"],
        accelerators=int(r["accelerators"]), weights_format=r["weights_format"], kv_format=r["kv_format"],
        prompt_tokens=r["prompt_tokens"], context_tokens=r["context_tokens"],
        user_tokens_per_s=r["user_tokens_per_s"],
        tokens_per_s_per_accelerator=float(r["measured_tokens_per_s_per_accelerator"]),
        date=r["date"], source=r["source"], notes=_text(r.get("notes")),
    ) for r in _read_checked(THROUGHPUT_SCHEMA, data_dir)]


def load_measured_training(data_dir: Path | str | None = None) -> list[MeasuredTraining]:
    """Rows of ``measured_training.csv`` in SI units (hours → seconds, TFLOP/s → FLOP/s, % → fraction)."""
    s = TRAINING_SCHEMA
    out = []
    for r in _read_checked(s, data_dir):
        hours, tokens, tflops, mfu = (r["accelerator_hours"], r["training_tokens_T"],
                                      r["reported_tflops_per_accelerator"], r["reported_mfu_percent"])
        out.append(MeasuredTraining(
            id=r["id"], model=r["model"], hardware=r["hardware"], accelerators=r["accelerators"],
            accelerator_seconds=None if hours is None else hours * SECONDS_PER_HOUR,
            training_tokens=None if tokens is None else tokens * s.column("training_tokens_T").factor,
            scope=r["scope"], precision=r["precision"], sequence_length_tokens=r["sequence_length_tokens"],
            reported_flops_per_s_per_accelerator=(
                None if tflops is None else tflops * s.column("reported_tflops_per_accelerator").factor),
            reported_mfu=None if mfu is None else mfu / 100.0,
            date=r["date"], source=r["source"], notes=_text(r.get("notes")),
        ))
    return out


# --------------------------------------------------------------------------------------------------
# DeepSeek's day


@dataclass(frozen=True)
class DeepSeekDay:
    """DeepSeek's published V3/R1 inference day, in SI units (seconds, tokens, tokens/s, USD)."""

    period_s: float
    gpus_per_node: float
    peak_nodes: float
    average_nodes: float
    usd_per_gpu_hour: float
    daily_cost_usd: float
    input_tokens: float
    cached_input_tokens: float
    cache_hit_share: float
    output_tokens: float
    user_tokens_per_s_min: float
    user_tokens_per_s_max: float
    mean_kv_tokens: float
    prefill_tokens_per_s_per_node: float
    decode_tokens_per_s_per_node: float
    prefill_unit_nodes: float
    decode_unit_nodes: float
    redundant_experts: float
    usd_per_input_token_cache_hit: float
    usd_per_input_token_cache_miss: float
    usd_per_output_token: float
    theoretical_revenue_usd: float
    cost_profit_margin: float


def load_deepseek_day(data_dir: Path | str | None = None) -> DeepSeekDay:
    """``deepseek_day.csv`` as a :class:`DeepSeekDay`; a DataError names any missing quantity."""
    directory = table_dir(DAY_FILE, data_dir)
    rows = {r["name"]: r for r in read_table(DAY_SCHEMA, directory)}
    missing = [name for name in DAY_UNITS if name not in rows]
    if missing:
        raise DataError([Problem(str(directory / DAY_FILE), None, name, "name", None, f"a row {name!r}")
                         for name in missing])
    v = {name: float(row["value"]) for name, row in rows.items()}
    per_token = 1.0 / MEGA  # USD per million tokens → USD per token
    return DeepSeekDay(
        period_s=v["period"] * SECONDS_PER_HOUR, gpus_per_node=v["gpus_per_node"], peak_nodes=v["peak_nodes"],
        average_nodes=v["average_nodes"], usd_per_gpu_hour=v["gpu_hour_price"], daily_cost_usd=v["daily_cost"],
        input_tokens=v["input_tokens"], cached_input_tokens=v["cached_input_tokens"],
        cache_hit_share=v["cache_hit_share"], output_tokens=v["output_tokens"],
        user_tokens_per_s_min=v["user_speed_min"], user_tokens_per_s_max=v["user_speed_max"],
        mean_kv_tokens=v["mean_kv_length"], prefill_tokens_per_s_per_node=v["prefill_tokens_per_s_per_node"],
        decode_tokens_per_s_per_node=v["decode_tokens_per_s_per_node"],
        prefill_unit_nodes=v["prefill_unit_nodes"], decode_unit_nodes=v["decode_unit_nodes"],
        redundant_experts=v["redundant_experts"],
        usd_per_input_token_cache_hit=v["price_input_cache_hit"] * per_token,
        usd_per_input_token_cache_miss=v["price_input_cache_miss"] * per_token,
        usd_per_output_token=v["price_output"] * per_token,
        theoretical_revenue_usd=v["theoretical_daily_revenue"], cost_profit_margin=v["cost_profit_margin"],
    )


def nodes_busy(tokens: float, period_s: float, tokens_per_s_per_node: float) -> float:
    """Average nodes a phase kept busy: N = tokens ÷ (period × throughput per node)."""
    if period_s <= 0 or tokens_per_s_per_node <= 0 or tokens < 0:
        raise ValueError("period and throughput must be positive, tokens non-negative")
    return tokens / (period_s * tokens_per_s_per_node)


@dataclass(frozen=True)
class DeepSeekDayCheck:
    """DeepSeek's day recomputed from its own figures, beside what it reported."""

    prefill_nodes: float            # input tokens ÷ (24 h × prefill tokens/s per node)
    decode_nodes: float             # output tokens ÷ (24 h × decode tokens/s per node)
    reported_average_nodes: float
    cost_usd: float                 # average nodes × GPUs per node × hours × $/GPU-hour
    reported_cost_usd: float
    cache_hit_share: float          # cached ÷ input tokens
    reported_cache_hit_share: float
    revenue_usd: float              # Σ tokens × R1 list price
    reported_revenue_usd: float
    margin: float                   # revenue ÷ cost − 1 (reported revenue and cost)
    reported_margin: float
    decode_sequences_per_gpu: tuple[float, float]   # decode tokens/s per GPU ÷ per-user speed (fastest, slowest)

    @property
    def nodes_sum(self) -> float:
        return self.prefill_nodes + self.decode_nodes

    @property
    def nodes_gap(self) -> float:
        """(prefill + decode nodes) ÷ reported average − 1."""
        return self.nodes_sum / self.reported_average_nodes - 1.0


def deepseek_day_check(day: DeepSeekDay) -> DeepSeekDayCheck:
    """Recompute DeepSeek's day from its own figures (what the reality-check chapter reproduces)."""
    hours = day.period_s / SECONDS_PER_HOUR
    revenue = (day.cached_input_tokens * day.usd_per_input_token_cache_hit
               + (day.input_tokens - day.cached_input_tokens) * day.usd_per_input_token_cache_miss
               + day.output_tokens * day.usd_per_output_token)
    decode_per_gpu = day.decode_tokens_per_s_per_node / day.gpus_per_node
    return DeepSeekDayCheck(
        prefill_nodes=nodes_busy(day.input_tokens, day.period_s, day.prefill_tokens_per_s_per_node),
        decode_nodes=nodes_busy(day.output_tokens, day.period_s, day.decode_tokens_per_s_per_node),
        reported_average_nodes=day.average_nodes,
        cost_usd=day.average_nodes * day.gpus_per_node * hours * day.usd_per_gpu_hour,
        reported_cost_usd=day.daily_cost_usd,
        cache_hit_share=day.cached_input_tokens / day.input_tokens,
        reported_cache_hit_share=day.cache_hit_share,
        revenue_usd=revenue,
        reported_revenue_usd=day.theoretical_revenue_usd,
        margin=day.theoretical_revenue_usd / day.daily_cost_usd - 1.0,
        reported_margin=day.cost_profit_margin,
        decode_sequences_per_gpu=(decode_per_gpu / day.user_tokens_per_s_max,
                                  decode_per_gpu / day.user_tokens_per_s_min),
    )
