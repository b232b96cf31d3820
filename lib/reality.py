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
FLOP/s, tokens and tokens per second, USD). A row's deployment layout (``weight_shards``, ``expert_shards``,
``redundant_experts``, ``weights_offloaded``) and a prefill row's ``cached_share`` are optional columns.

The model against the measurements (the reality-check chapter, ``python -m lib reality``):

* :func:`bound` / :func:`bounds`: the refined step model's best throughput per accelerator under each row's
  constraints (its layout, formats, context, capacity and per-user speed; eq. layout-bytes below), with what
  binds; :func:`exceeding` lists rows that beat their bound (an error in the model or the data);
* :func:`training_checks`: 6·N_active·D at peak against each training row's hours (MFU);
* :func:`deepseek_day_check`: DeepSeek's published day recomputed from its own figures.

For other chapters (one home for realism): :func:`realism_factor` (``"decode"``, ``"prefill"``,
``"offline"``: the median measured ÷ bound of that phase's rows), :func:`calibrated_tokens_per_s` and
:func:`calibrated_seconds_per_token` (an ideal figure times or divided by it), :func:`realistic_context_tokens`
(DeepSeek's published mean KV length at decode) and :func:`ideal_decode_tokens_per_s_per_accelerator` (the ideal
decode throughput of a replica at a context, at the largest batch it holds). A page shows the ideal figure beside
the calibrated one, e.g.::

    ideal = ideal_decode_tokens_per_s_per_accelerator(hw, model, realistic_context_tokens(), chips=n)
    realistic = calibrated_tokens_per_s(ideal, "decode")
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np

from .data import (PARTIAL_DATE, Column, DataError, Plausible, PlausibleBy, Problem, TableSchema, as_of_is_a_date, load_hardware,
                   load_models, provenance_column, read_table, register_directory_check, register_schema, resolve_data_dir,
                   table_dir, HARDWARE_SCHEMA, MODELS_SCHEMA)
from .hardware import Hardware
from .models import Model
from .parallelism import a2a_bytes_per_token, link_bandwidth_Bps
from .roofline import (HBM_RESERVE_FRACTION, ArrayLike, Precisions, as_precisions, chips_to_fit, decode_step,
                       experts_touched, prefill_step, weight_storage_bytes)
from .scaling import SECONDS_PER_HOUR, SERVE_FLOP_PER_PARAM_TOKEN, TRAIN_FLOP_PER_PARAM_TOKEN, implied_utilisation
from .units import COMPUTE_PRECISIONS, MEGA, TERA, WEIGHT_FORMATS, bytes_per_element, native_compute_format

#: Phases a throughput row can measure (see the module docstring).
PHASES: tuple[str, ...] = ("decode", "prefill", "offline")
#: Storage formats for weights and KV cache: the formats the step model knows (``lib.units.WEIGHT_FORMATS``).
#: NVIDIA's NVFP4 (4-bit elements, one FP8 scale per 16: 4.5 bits) is ``nvfp4``; a 4-bit figure whose block
#: format is not published (MLPerf v4.1's B200 preview) is ``fp4``.
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
    if row["phase"] != "prefill" and row["cached_share"] is not None:
        yield ("cached_share", row["cached_share"], "blank for a decode or offline row (a prefill row's cache hits)")


def _layout_fits_the_unit(row: dict) -> Iterable[tuple[str, object, str]]:
    n = row["accelerators"]
    if n is None:
        return
    for column in ("weight_shards", "expert_shards"):
        shards = row[column]
        if shards is not None and (shards > n or n % shards):
            yield (column, shards, f"a divisor of the row's {n} accelerators")
    if row["cached_share"] is not None and row["cached_share"] >= 1:
        yield ("cached_share", row["cached_share"], "a share below 1 (some prompt tokens must be computed)")


THROUGHPUT_SCHEMA = register_schema(TableSchema(
    file=THROUGHPUT_FILE,
    key="id",
    columns=(
        Column("id", "str", meaning="a unique slug"),
        Column("system", "str", meaning="who ran what: hardware, software, layout"),
        Column("hardware", "str", meaning="a name in hardware.csv"),
        Column("model", "str", meaning="a name in models.csv"),
        Column("phase", "enum", choices=PHASES),
        Column("accelerators", "int", positive=True, meaning="accelerators in the deployment unit measured",
               plausible=Plausible(1, 100_000, "accelerators", ())),
        Column("weights_format", "enum", choices=FORMATS, meaning="format of the (bulk of the) weights"),
        Column("kv_format", "enum", choices=FORMATS, meaning="format of the KV cache"),
        Column("weight_shards", "int", required=False, positive=True,
               meaning="accelerators that split one copy of the non-expert weights: TP x PP of a model instance, "
                       "1 under data-parallel attention; blank: all the row's accelerators (the step model's "
                       "assumption)", plausible=Plausible(1, 100_000, "accelerators", ())),
        Column("expert_shards", "int", required=False, positive=True,
               meaning="accelerators that split one copy of the routed experts (the EP degree); blank: as "
                       "weight_shards", plausible=Plausible(1, 100_000, "accelerators", ())),
        Column("redundant_experts", "int", required=False, minimum=0,
               meaning="extra routed-expert replicas per EP group (EPLB); blank: 0",
               plausible=Plausible(0, 1024, "experts", ())),
        Column("weights_offloaded", "enum", required=False, choices=("yes", "no"),
               meaning="weights partly held in host memory, outside HBM; blank: no"),
        Column("prompt_tokens", required=False, positive=True, meaning="mean prompt length, blank if unpublished",
               plausible=Plausible(1, 2e6, "tokens")),
        Column("cached_share", required=False, minimum=0,
               meaning="share of the counted prompt tokens that hit a prefix cache (prefill rows); blank: 0",
               plausible=Plausible(0, 0.99, "", ("fraction",))),
        Column("context_tokens", required=False, positive=True,
               meaning="mean KV length at decode, blank if unpublished", plausible=Plausible(1, 2e6, "tokens")),
        Column("user_tokens_per_s", required=False, positive=True,
               meaning="per-user decode speed, tokens/s, blank if not stated",
               plausible=Plausible(1, 5000, "tokens/s")),
        Column("measured_tokens_per_s_per_accelerator", positive=True,
               meaning="tokens/s per accelerator (output tokens for decode and offline, input for prefill)",
               plausible=Plausible(1, 500_000, "tokens/s", ("prefix", "node"))),
        Column("date", "str", meaning="publication date YYYY-MM-DD"),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_date_is_a_date, _user_speed_for_decode_or_offline, _layout_fits_the_unit),
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
               meaning="accelerators in the run or configuration, blank if unpublished",
               plausible=Plausible(1, 1_000_000, "accelerators", ())),
        Column("accelerator_hours", required=False, positive=True,
               meaning="accelerator-hours, blank for a benchmark row", plausible=Plausible(1, 1e9, "hours")),
        Column("training_tokens_T", required=False, positive=True, factor=TERA,
               meaning="trillions of tokens, blank if unpublished", plausible=Plausible(0.001, 1000, "T tokens")),
        Column("scope", "enum", choices=TRAINING_SCOPES),
        Column("precision", "enum", required=False, choices=COMPUTE_PRECISIONS,
               meaning="training compute format, blank if not stated"),
        Column("sequence_length_tokens", "int", required=False, positive=True,
               plausible=Plausible(128, 2e6, "tokens")),
        Column("reported_tflops_per_accelerator", required=False, positive=True, factor=TERA,
               meaning="model TFLOP/s per accelerator as reported, blank if not",
               plausible=Plausible(1, 20_000, "TFLOP/s", ("prefix", "sparse"))),
        Column("reported_mfu_percent", required=False, positive=True,
               meaning="model FLOPs utilisation as reported, percent of the dense peak",
               plausible=Plausible(0.1, 100, "%", ("percent",))),
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


_TOKENS = Plausible(1e6, 1e16, "tokens")
_NODES = Plausible(1, 100_000, "nodes", ())
_PER_M = Plausible(0.001, 1000, "USD/Mtoken")
#: Plausible ranges of DeepSeek's day, by quantity (in the row's unit).
DAY_RANGES: dict[str, Plausible] = {
    "period": Plausible(1, 168, "hours", ()), "gpus_per_node": Plausible(1, 72, "GPUs/node", ()),
    "peak_nodes": _NODES, "average_nodes": _NODES, "gpu_hour_price": Plausible(0.1, 100, "USD/GPU-hour"),
    "daily_cost": Plausible(1, 1e10, "USD"), "input_tokens": _TOKENS, "cached_input_tokens": _TOKENS,
    "cache_hit_share": Plausible(0, 1, "", ("fraction",)), "output_tokens": _TOKENS,
    "user_speed_min": Plausible(1, 5000, "tokens/s"), "user_speed_max": Plausible(1, 5000, "tokens/s"),
    "mean_kv_length": Plausible(1, 2e6, "tokens"),
    "prefill_tokens_per_s_per_node": Plausible(100, 1e7, "tokens/s/node"),
    "decode_tokens_per_s_per_node": Plausible(100, 1e7, "tokens/s/node"),
    "prefill_unit_nodes": Plausible(1, 1000, "nodes", ()), "decode_unit_nodes": Plausible(1, 1000, "nodes", ()),
    "redundant_experts": Plausible(0, 1024, "experts", ()), "price_input_cache_hit": _PER_M,
    "price_input_cache_miss": _PER_M, "price_output": _PER_M, "theoretical_daily_revenue": Plausible(1, 1e11, "USD"),
    "cost_profit_margin": Plausible(0, 1000, "", ()),
}


def _day_unit_matches(row: dict) -> Iterable[tuple[str, object, str]]:
    name, unit = row["name"], row["unit"]
    if name not in DAY_UNITS:
        yield ("name", name, "one of " + ", ".join(DAY_UNITS))
    elif unit is not None and unit != DAY_UNITS[name]:
        yield ("unit", unit, f"{DAY_UNITS[name]!r} for {name!r}")
    if name == "cache_hit_share" and row["value"] is not None and row["value"] > 1:
        yield ("value", row["value"], "a fraction ≤ 1")


DAY_SCHEMA = register_schema(TableSchema(
    file=DAY_FILE,
    columns=(
        Column("name", "str", meaning="a quantity of DeepSeek's day"),
        Column("value", positive=True, meaning="in the row's unit", plausible=PlausibleBy("name", DAY_RANGES)),
        Column("unit", "enum", choices=tuple(dict.fromkeys(DAY_UNITS.values()))),
        Column("as_of", "str", meaning="the day the figure describes (its prices and costs are that day's), "
                                       "YYYY, YYYY-MM or YYYY-MM-DD"),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_day_unit_matches, as_of_is_a_date),
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
    weight_shards: int | None = None
    expert_shards: int | None = None
    redundant_experts: int = 0
    weights_offloaded: bool = False
    cached_share: float = 0.0

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
        weight_shards=r["weight_shards"], expert_shards=r["expert_shards"],
        redundant_experts=int(r["redundant_experts"] or 0), weights_offloaded=r["weights_offloaded"] == "yes",
        cached_share=float(r["cached_share"] or 0.0),
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


# --------------------------------------------------------------------------------------------------
# The model against each measurement: the bound
#
# A measurement ran a deployment unit of n accelerators. The step model (lib.roofline) splits every weight
# over the n accelerators of a replica. Real deployments do not: under data-parallel attention every
# accelerator holds and reads its own copy of the attention weights, and expert parallelism spreads the routed
# experts over an EP group. The bound below keeps the model's FLOPs and bytes per operation and charges each
# accelerator the weight bytes its layout gives it (eq. layout-bytes):
#
#     m_acc = Σ_non-expert m_i / a  +  L_moe · Ē(T·e/n) · P_e · b_e / e  +  Σ_context m_i / n
#
# with a = weight_shards (accelerators splitting one copy of the non-expert weights), e = expert_shards (the EP
# degree) and T the tokens of the step; FLOPs are shared evenly, f_acc = Σ f_i / n. Capacity per accelerator:
#
#     N_ne / a + L_moe · (E + r) · P_e · b_e / e + (B / n) · kv(L)  ≤  (1 − ρ) · C_hbm
#
# (r redundant experts). With a = e = n and r = 0 this is exactly the step model.

#: Operations whose weights are the non-expert ones (split over ``weight_shards``).
NON_EXPERT_OPERATIONS: tuple[str, ...] = ("attention_projections", "dense_ffn", "shared_experts", "lm_head")
#: What can bind at a row's bound.
BINDINGS: tuple[str, ...] = ("compute", "bandwidth", "capacity", "latency target")
#: A batch limit (capacity or the latency target) binds when it costs more than this share of the throughput an
#: unlimited batch would reach; below it the step's own budget (compute or bandwidth) is named.
BATCH_LIMIT_TOLERANCE = 0.05
#: The largest batch (sequences in the unit) the bound searches: a batch no limit stops (decode at zero context)
#: has reached its asymptote long before.
BATCH_SEARCH_LIMIT = 1e8
#: The batch whose throughput stands for "unlimited" (sequences in the unit).
UNLIMITED_BATCH = 1e12
#: Offline rows: MLPerf does not publish mean prompt lengths, so the bound is decode only at this context. Leaving
#: out the prefill work and the KV reads can only raise it: a valid, loose upper bound.
OFFLINE_CONTEXT_TOKENS = 0.0
#: Accepted tokens per sequence per step by default (no speculative decoding or MTP counted).
TOKENS_PER_STEP = 1.0


@dataclass(frozen=True)
class Layout:
    """How a deployment unit of ``accelerators`` holds a model's weights (see eq. layout-bytes above).

    ``weight_shards`` accelerators split one copy of the non-expert weights (attention, dense FFN, shared experts,
    LM head): TP × PP of a model instance, 1 under data-parallel attention. ``expert_shards`` split one copy of
    the routed experts (the EP degree), with ``redundant_experts`` extra replicas stored per EP group.
    ``weights_offloaded``: the weights live partly in host memory, so HBM capacity bounds only the KV cache.
    """

    accelerators: int
    weight_shards: int
    expert_shards: int
    redundant_experts: int = 0
    weights_offloaded: bool = False

    def __post_init__(self):
        n = self.accelerators
        if n < 1:
            raise ValueError(f"a deployment unit needs at least one accelerator; got {n}")
        for name in ("weight_shards", "expert_shards"):
            shards = getattr(self, name)
            if shards < 1 or shards > n or n % shards:
                raise ValueError(f"{name} must divide the unit's {n} accelerators; got {shards}")
        if self.redundant_experts < 0:
            raise ValueError(f"redundant experts must be ≥ 0; got {self.redundant_experts}")

    @classmethod
    def shared(cls, accelerators: int) -> "Layout":
        """The step model's assumption: every weight split over every accelerator of the unit."""
        return cls(accelerators, accelerators, accelerators)

    @classmethod
    def of(cls, row: MeasuredThroughput) -> "Layout":
        """A row's layout; blank columns fall back to the step model's assumption (the optimistic one)."""
        weights = row.weight_shards or row.accelerators
        return cls(row.accelerators, weights, row.expert_shards or weights, row.redundant_experts,
                   row.weights_offloaded)

    @property
    def is_shared(self) -> bool:
        return (self.weight_shards == self.expert_shards == self.accelerators and not self.redundant_experts
                and not self.weights_offloaded)

    @property
    def label(self) -> str:
        """``"weights over 1, experts over 144 (+32 redundant)"`` or ``"every weight over 8"``."""
        if self.weight_shards == self.expert_shards:
            text = f"every weight over {self.weight_shards}"
        else:
            text = f"non-expert weights over {self.weight_shards}, experts over {self.expert_shards}"
        if self.redundant_experts:
            text += f" (+{self.redundant_experts} redundant)"
        if self.weights_offloaded:
            text += ", weights in host memory"
        return text


def row_precisions(row: MeasuredThroughput, model: Model, hardware: Hardware) -> Precisions:
    """The formats a row ran in: its ``weights_format`` for the bulk of the weights (the experts of a MoE model,
    whose other weights stay in the model's release format; every weight of a dense model), its KV format, and
    attention computed in the KV format's native precision (fp8 attention over an fp8 cache) where the chip
    has it. Partial quantisation beyond that (SGLang's NVFP4 attention output projection, MLPerf's NVFP4 dense
    FFN of DeepSeek-R1) is not modelled: it would lower the bound by a small amount."""
    kv_native = native_compute_format(row.kv_format)
    attention = kv_native if hardware.supports(kv_native) else "bf16"
    if model.is_moe:
        return Precisions(model.weights_format, row.weights_format, row.kv_format, attention)
    return Precisions(row.weights_format, row.weights_format, row.kv_format, attention)


@dataclass(frozen=True)
class UnitStep:
    """One step of a deployment unit under a :class:`Layout`, per accelerator (seconds, bytes), broadcast over
    ``batch`` (sequences in the unit). ``tokens_counted`` is what the measurement counts per step: output tokens
    (decode), or prompt tokens including cache hits (prefill)."""

    phase: str
    layout: Layout
    batch: np.ndarray
    tokens_counted: np.ndarray
    op_compute_s: dict[str, np.ndarray]
    op_memory_s: dict[str, np.ndarray]
    weight_bytes_per_accelerator: float   # stored in HBM (0 when offloaded)
    kv_bytes_per_sequence: float          # one sequence's cache held during the step
    usable_bytes_per_accelerator: float   # (1 − ρ) C_hbm

    @property
    def compute_s(self) -> np.ndarray:
        return sum(self.op_compute_s.values())

    @property
    def memory_s(self) -> np.ndarray:
        return sum(self.op_memory_s.values())

    @property
    def pooled_s(self) -> np.ndarray:
        """max(Σ compute, Σ memory) per accelerator: the lower bound on the step."""
        return np.maximum(self.compute_s, self.memory_s)

    @property
    def per_op_s(self) -> np.ndarray:
        """Σ_i max(compute_i, memory_i): each kernel at its own roofline, one after another."""
        return sum(np.maximum(self.op_compute_s[k], self.op_memory_s[k]) for k in self.op_compute_s)

    def tokens_per_s_per_accelerator(self, per_operation: bool = False) -> np.ndarray:
        step = self.per_op_s if per_operation else self.pooled_s
        return self.tokens_counted / (self.layout.accelerators * step)

    @property
    def room_bytes_per_accelerator(self) -> float:
        """HBM left for KV cache on each accelerator beside its weights (negative: the weights do not fit)."""
        return self.usable_bytes_per_accelerator - self.weight_bytes_per_accelerator

    @property
    def max_batch(self) -> float:
        """The most sequences the unit holds: n · room ÷ kv(L), floored (``inf`` if a sequence holds no KV)."""
        if self.room_bytes_per_accelerator < 0:
            return 0.0
        if self.kv_bytes_per_sequence <= 0:
            return math.inf
        return math.floor(self.layout.accelerators * self.room_bytes_per_accelerator / self.kv_bytes_per_sequence)

    @property
    def fits(self) -> np.ndarray:
        return self.batch <= self.max_batch


def unit_step(hardware: Hardware, model: Model, precisions: Precisions, layout: Layout, batch: ArrayLike,
              context_tokens: ArrayLike = 0.0, *, phase: str = "decode", cached_tokens: ArrayLike = 0.0,
              tokens_per_step: float = TOKENS_PER_STEP, reserve_fraction: float = HBM_RESERVE_FRACTION,
              ) -> UnitStep:
    """A decode or prefill step of ``batch`` sequences on a deployment unit, per accelerator (eq. layout-bytes).

    Decode: ``context_tokens`` is the KV length L. ``tokens_per_step`` k counts accepted tokens per sequence per
    step (speculative decoding, MTP): the weights and attention process k·B tokens (k·B queries over L), the KV
    cache is read once, and k·B tokens are counted. Prefill: ``context_tokens`` is the prompt P with
    ``cached_tokens`` C of it already cached; B·P prompt tokens are counted, B·(P − C) computed.
    """
    if tokens_per_step < 1:
        raise ValueError(f"tokens per step must be ≥ 1; got {tokens_per_step}")
    n, a, e = layout.accelerators, layout.weight_shards, layout.expert_shards
    batch_arr = np.asarray(batch, dtype=float)
    if phase == "decode":
        step = decode_step(hardware, model, tokens_per_step * batch_arr, context_tokens, precisions, chips=n,
                           reserve_fraction=reserve_fraction)
        counted = tokens_per_step * batch_arr
        kv_reads = 1.0 / tokens_per_step
    elif phase == "prefill":
        if tokens_per_step != TOKENS_PER_STEP:
            raise ValueError("tokens per step applies to decode only")
        step = prefill_step(hardware, model, context_tokens, batch_arr, cached_tokens, precisions, chips=n,
                            reserve_fraction=reserve_fraction)
        counted = batch_arr * np.asarray(context_tokens, dtype=float)
        kv_reads = 1.0
    else:
        raise ValueError(f"phase must be 'decode' or 'prefill'; got {phase!r}")
    bandwidth = hardware.hbm_bandwidth_Bps
    b_w, b_e = bytes_per_element(precisions.weights), bytes_per_element(precisions.experts)
    compute, memory = {}, {}
    for name, op in step.operations.items():
        compute[name] = np.asarray(op.compute_s(n), dtype=float)
        if name in NON_EXPERT_OPERATIONS:
            per_accelerator = op.weight_bytes / a
        elif name == "routed_experts":
            group_tokens = step.tokens * e / n
            touched = experts_touched(group_tokens, model.routed_experts, model.active_experts)
            per_accelerator = (model.moe_layers * touched * model.expert_params * b_e / e
                               + model.moe_layers * model.router_params * b_w / a)
        else:  # the KV cache and DSA's index keys, read once per step and spread evenly
            per_accelerator = op.kv_bytes * kv_reads / n
        memory[name] = np.asarray(per_accelerator, dtype=float) / bandwidth
    shape = np.broadcast_shapes(*(v.shape for v in compute.values()), *(v.shape for v in memory.values()),
                                np.shape(counted))
    compute = {k: np.broadcast_to(v, shape) for k, v in compute.items()}
    memory = {k: np.broadcast_to(v, shape) for k, v in memory.items()}
    routed_storage = model.moe_layers * model.routed_experts * model.expert_params * b_e
    non_expert_storage = weight_storage_bytes(model, precisions) - routed_storage
    weights = non_expert_storage / a + (model.moe_layers * (model.routed_experts + layout.redundant_experts)
                                        * model.expert_params * b_e / e if model.is_moe else 0.0)
    kv_context = context_tokens
    kv_per_sequence = model.kv_cache_bytes(kv_context, precisions.kv)
    if np.ndim(kv_per_sequence):
        raise ValueError("unit_step takes one context (or prompt) length; broadcast over batch only")
    return UnitStep(phase, layout, np.broadcast_to(batch_arr, shape), np.broadcast_to(counted, shape),
                    compute, memory, 0.0 if layout.weights_offloaded else float(weights), float(kv_per_sequence),
                    (1.0 - reserve_fraction) * hardware.hbm_capacity_bytes)


def _largest_batch(step_s, target_s: float | None, high: float) -> float:
    """The largest batch in [1, high] whose step time (an increasing function of the batch) stays within
    ``target_s``: ``high`` with no target, 0 if even one sequence misses it. Log-grid refinement."""
    if high < 1:
        return 0.0
    if target_s is None:
        return high
    if float(step_s(np.array([1.0]))[0]) > target_s:
        return 0.0
    if float(step_s(np.array([high]))[0]) <= target_s:
        return high
    low = 1.0
    for _ in range(5):
        grid = np.geomspace(low, high, 65)
        ok = step_s(grid) <= target_s
        i = int(np.flatnonzero(ok)[-1])
        low, high = grid[i], grid[min(i + 1, len(grid) - 1)]
    return float(low)


@dataclass(frozen=True)
class Bound:
    """The refined model's best throughput per accelerator for one measured row, under the row's constraints,
    beside the measurement. ``tokens_per_s_per_accelerator`` uses the pooled step (the true lower bound on step
    time); ``per_op_tokens_per_s_per_accelerator`` is the per-operation step under the same constraints."""

    row: MeasuredThroughput
    hardware: str
    model: str
    layout: Layout
    precisions: Precisions
    phase: str                 # the step the bound runs: decode (for decode and offline rows) or prefill
    context_tokens: float      # decode: KV length L; prefill: prompt length P
    cached_tokens: float       # prefill: C
    tokens_per_step: float
    target_step_s: float | None
    batch: float               # sequences in the unit at the bound (0: nothing feasible)
    max_batch: float           # the most sequences the unit's HBM holds
    step_s: float              # pooled step at the bound's batch
    tokens_per_s_per_accelerator: float
    per_op_batch: float
    per_op_tokens_per_s_per_accelerator: float
    unlimited_tokens_per_s_per_accelerator: float  # no capacity or latency limit
    binding: str
    step_budget: str           # compute or bandwidth: the larger pooled budget at the bound's batch
    assumptions: tuple[str, ...]

    @property
    def measured_tokens_per_s_per_accelerator(self) -> float:
        return self.row.tokens_per_s_per_accelerator

    @property
    def efficiency(self) -> float:
        """measured ÷ bound (``inf`` when nothing is feasible)."""
        if self.tokens_per_s_per_accelerator <= 0:
            return math.inf
        return self.measured_tokens_per_s_per_accelerator / self.tokens_per_s_per_accelerator

    @property
    def per_op_efficiency(self) -> float:
        if self.per_op_tokens_per_s_per_accelerator <= 0:
            return math.inf
        return self.measured_tokens_per_s_per_accelerator / self.per_op_tokens_per_s_per_accelerator

    @property
    def exceeded(self) -> bool:
        """True when the measurement beats the bound: an error in the model or the data."""
        return self.efficiency > 1.0 + 1e-9

    @property
    def batch_per_accelerator(self) -> float:
        return self.batch / self.layout.accelerators

    def to_json(self) -> dict:
        r = self.row
        return {
            "id": r.id, "phase": r.phase, "hardware": self.hardware, "model": self.model,
            "accelerators": r.accelerators, "layout": self.layout.label, "precisions": self.precisions.label,
            "measured_tokens_per_s_per_accelerator": r.tokens_per_s_per_accelerator,
            "bound_tokens_per_s_per_accelerator": self.tokens_per_s_per_accelerator,
            "efficiency": self.efficiency, "binding": self.binding, "step_budget": self.step_budget,
            "per_op_bound_tokens_per_s_per_accelerator": self.per_op_tokens_per_s_per_accelerator,
            "per_op_efficiency": self.per_op_efficiency,
            "unlimited_bound_tokens_per_s_per_accelerator": self.unlimited_tokens_per_s_per_accelerator,
            "batch_per_accelerator": self.batch_per_accelerator,
            "max_batch_per_accelerator": self.max_batch / self.layout.accelerators,
            "step_s": self.step_s, "target_step_s": self.target_step_s,
            "context_tokens": self.context_tokens, "cached_tokens": self.cached_tokens,
            "tokens_per_step": self.tokens_per_step, "assumptions": list(self.assumptions),
            "exceeded": self.exceeded,
        }


def bound(row: MeasuredThroughput, hardware: Hardware, model: Model, *, layout: Layout | None = None,
          tokens_per_step: float = TOKENS_PER_STEP, reserve_fraction: float = HBM_RESERVE_FRACTION) -> Bound:
    """The best throughput per accelerator the refined model allows under a row's constraints.

    The row fixes the unit (accelerators, ``layout`` by default :meth:`Layout.of`), the formats
    (:func:`row_precisions`), the context and, when stated, the per-user speed: a decode step no longer than
    k / user_tokens_per_s for k accepted tokens per step. Decode rows run at their mean KV length; prefill rows at
    their prompt with its cached share (a prompt of 1 / (1 − s) tokens, one of them new, when its length is not
    published: attention over the prompt left out); offline rows decode only, at
    :data:`OFFLINE_CONTEXT_TOKENS` (prefill work left out). Throughput per accelerator does not fall as the
    batch grows, so the bound sits at the largest batch that fits the HBM (capacity) and meets the latency
    target, searched up to :data:`BATCH_SEARCH_LIMIT`.

    ``binding`` names what stops the bound: ``capacity`` or ``latency target`` when that batch limit costs more
    than :data:`BATCH_LIMIT_TOLERANCE` of the throughput an unlimited batch reaches, else the step's larger
    pooled budget (``compute`` or ``bandwidth``).
    """
    layout = layout or Layout.of(row)
    p = row_precisions(row, model, hardware)
    notes = []
    a, n = layout.weight_shards, layout.accelerators
    if a < n:
        notes.append(f"{n // a} copies of the non-expert weights in the unit, each split over {a} accelerator"
                     f"{'s' if a > 1 else ''} and read in full every step"
                     + (" (data-parallel attention, or one replica per accelerator)" if a == 1 else ""))
    if row.weight_shards is None:
        notes.append("layout not recorded: every weight split over the unit (the step model's assumption, "
                     "the optimistic one)")
    if layout.weights_offloaded:
        notes.append("weights held in host memory: HBM capacity bounds the KV cache only, and weights are read "
                     "at HBM bandwidth (optimistic)")
    cached = 0.0
    if row.phase == "prefill":
        phase = "prefill"
        s = row.cached_share
        if row.prompt_tokens is None:
            context = 1.0 / (1.0 - s)
            notes.append("prompt length not published: one new token per prompt (attention over the prompt "
                         "left out)" + (f", {s:.1%} of the counted tokens cached at no cost" if s else ""))
        else:
            context = float(row.prompt_tokens)
            if s:
                notes.append(f"{s:.1%} of each prompt cached (read, not computed)")
        cached = s * context
        if tokens_per_step != TOKENS_PER_STEP:
            notes.append("tokens per step ignored: prefill")
        tokens_per_step = TOKENS_PER_STEP
    else:
        phase = "decode"
        if row.phase == "offline":
            context = OFFLINE_CONTEXT_TOKENS
            notes.append(f"decode only at {OFFLINE_CONTEXT_TOKENS:g} tokens of context: prompt lengths are not "
                         "published, and leaving out prefill and KV reads can only raise the bound")
        elif row.context_tokens is None:
            context = OFFLINE_CONTEXT_TOKENS
            notes.append("KV length not published: decode at zero context")
        else:
            context = float(row.context_tokens)
    if tokens_per_step != TOKENS_PER_STEP:
        notes.append(f"{tokens_per_step:g} accepted tokens per sequence per step (speculative decoding)")
    target = None if row.user_tokens_per_s is None else tokens_per_step / row.user_tokens_per_s

    def make(b):
        return unit_step(hardware, model, p, layout, b, context, phase=phase, cached_tokens=cached,
                         tokens_per_step=tokens_per_step, reserve_fraction=reserve_fraction)

    probe = make(np.array([1.0]))
    capacity_batch = probe.max_batch
    high = min(capacity_batch, BATCH_SEARCH_LIMIT)
    unlimited = float(make(np.array([UNLIMITED_BATCH])).tokens_per_s_per_accelerator()[0])

    def solve(per_operation: bool) -> tuple[float, float, float]:
        def step_s(b):
            s = make(b)
            return s.per_op_s if per_operation else s.pooled_s
        latency_batch = _largest_batch(step_s, target, BATCH_SEARCH_LIMIT) if target is not None else math.inf
        b = _largest_batch(step_s, target, high) if high >= 1 else 0.0
        if b <= 0:
            return 0.0, 0.0, latency_batch
        x = float(make(np.array([b])).tokens_per_s_per_accelerator(per_operation)[0])
        return b, x, latency_batch

    batch, x, latency_batch = solve(False)
    op_batch, op_x, _ = solve(True)
    at = make(np.array([max(batch, 1.0)]))
    budget = "compute" if float(at.compute_s[0]) >= float(at.memory_s[0]) else "bandwidth"
    if batch <= 0:
        binding = "capacity" if capacity_batch < 1 else "latency target"
    elif batch < BATCH_SEARCH_LIMIT and x < (1.0 - BATCH_LIMIT_TOLERANCE) * unlimited:
        binding = "latency target" if latency_batch < capacity_batch else "capacity"
    else:
        binding = budget
    return Bound(row, hardware.name, model.name, layout, p, phase, float(context), float(cached),
                 float(tokens_per_step), target, float(batch), float(capacity_batch), float(at.pooled_s[0]),
                 x, float(op_batch), op_x, unlimited, binding, budget, tuple(notes))


def bounds(data_dir: Path | str | None = None, tokens_per_step: float = TOKENS_PER_STEP,
           rows: Iterable[MeasuredThroughput] | None = None, *, shared_layout: bool = False,
           reserve_fraction: float = HBM_RESERVE_FRACTION) -> list[Bound]:
    """The bound of every row of ``measured_throughput.csv`` (hardware and models from the same directory).
    ``shared_layout``: ignore the rows' layouts and split every weight over the unit (the step model's
    assumption), to see what the layouts change."""
    directory = resolve_data_dir(data_dir)
    hardware = {h.name: h for h in load_hardware(directory)}
    models = {m.name: m for m in load_models(directory)}
    rows = load_measured_throughput(directory) if rows is None else rows
    return [bound(r, hardware[r.hardware], models[r.model], tokens_per_step=tokens_per_step,
                  layout=Layout.shared(r.accelerators) if shared_layout else None, reserve_fraction=reserve_fraction)
            for r in rows]


def model_tokens_per_s_at(b: Bound, hardware: Hardware, model: Model, batch_per_accelerator: float,
                          reserve_fraction: float = HBM_RESERVE_FRACTION) -> float:
    """The model's throughput per accelerator (pooled) for a bound's row at a given batch per accelerator, e.g.
    the batch Little's law says the deployment ran (throughput ÷ per-user speed)."""
    unit = unit_step(hardware, model, b.precisions, b.layout, np.array([batch_per_accelerator * b.layout.accelerators]),
                     b.context_tokens, phase=b.phase, cached_tokens=b.cached_tokens, tokens_per_step=b.tokens_per_step,
                     reserve_fraction=reserve_fraction)
    return float(unit.tokens_per_s_per_accelerator()[0])


#: Bytes per activation element of the expert all-to-all: tokens dispatched in the experts' compute format
#: (fp8, or NVFP4 where the experts are 4-bit: DeepSeek and SGLang quantise before dispatch), results combined
#: in bf16 (DeepSeek's inference overview: "dispatch ... FP8 ... combine ... BF16").
COMBINE_BYTES_PER_ELEMENT = 2.0


def dispatch_bytes_per_element(expert_format: str) -> float:
    """fp8 dispatch (1 byte) for 8-bit or wider experts, the experts' own 4-bit format below that."""
    return min(1.0, bytes_per_element(expert_format))


def matmul_flops_per_s(b: "Bound", hardware: Hardware) -> tuple[str, float]:
    """The format and dense FLOP/s that multiply a row's bulk weights (its experts, or every weight of a dense
    model): the chip's format for the storage format, else bf16."""
    native = native_compute_format(b.precisions.experts)
    fmt = native if hardware.supports(native) else "bf16"
    return fmt, hardware.flops(fmt)


def flop_utilisation(b: "Bound", hardware: Hardware, model: Model) -> float:
    """Model FLOPs utilisation of a measurement: computed tokens/s × 2 · N_active ÷ the dense peak of the format
    its bulk weights multiply in (attention FLOPs not counted, as in a training MFU). Decode rows are where the
    book's ``decode_utilisation`` assumption (assumptions.csv) can be read against measurement."""
    computed = b.measured_tokens_per_s_per_accelerator * (1.0 - b.row.cached_share)
    return computed * SERVE_FLOP_PER_PARAM_TOKEN * model.active_params / matmul_flops_per_s(b, hardware)[1]


def remote_node_copies(experts_per_token: float, nodes: float) -> float:
    """Expected other nodes a token's k experts land on, with experts spread evenly over N nodes and routing
    uniform: (N − 1) · (1 − (1 − 1/N)^k). DeepEP sends a token once per remote node and forwards it over NVLink
    inside that node, so this, not k, counts its copies over the scale-out network."""
    if nodes <= 1:
        return 0.0
    return (nodes - 1.0) * (1.0 - (1.0 - 1.0 / nodes) ** experts_per_token)


def a2a_link_share(b: Bound, hardware: Hardware, model: Model) -> float | None:
    """The share of each second the expert all-to-all keeps an accelerator's bottleneck link busy at the
    *measured* throughput (computed tokens only: cache hits are not dispatched), each direction:

        inside one scale-up domain (e ≤ its size): X · L_moe · k · d · (b_dispatch + b_combine) · (e − 1)/e ÷ W_up
        across nodes:                              X · L_moe · R · d · (b_dispatch + b_combine) ÷ W_out

    with R = :func:`remote_node_copies` (k experts over e / domain nodes). Above 1, the links could not carry
    the measured rate as modelled. None for a dense model or an EP degree of 1."""
    e = b.layout.expert_shards
    if not model.is_moe or e < 2:
        return None
    bytes_per_element_pair = dispatch_bytes_per_element(b.precisions.experts) + COMBINE_BYTES_PER_ELEMENT
    domain = hardware.scale_up_domain_size
    if e <= domain:
        per_token = float(a2a_bytes_per_token(model.hidden_size, model.active_experts, e, bytes_per_element_pair / 2))
        link = "scale_up"
    else:
        per_token = remote_node_copies(model.active_experts, e / domain) * model.hidden_size * bytes_per_element_pair
        link = "scale_out"
    computed = b.measured_tokens_per_s_per_accelerator * (1.0 - b.row.cached_share)
    return computed * model.moe_layers * per_token / link_bandwidth_Bps(hardware, link)


@dataclass(frozen=True)
class PhasePair:
    """A system measured in both phases: computed input tokens per accelerator-second against output tokens."""

    decode: MeasuredThroughput
    prefill: MeasuredThroughput

    @property
    def output_to_input_cost(self) -> float:
        """Accelerator-seconds per output token ÷ per computed input token (cache hits excluded)."""
        return self.prefill.tokens_per_s_per_accelerator * (1.0 - self.prefill.cached_share) \
            / self.decode.tokens_per_s_per_accelerator

    @property
    def output_to_counted_input_cost(self) -> float:
        """The same with every counted input token (cache hits included, as DeepSeek's per-node figure)."""
        return self.prefill.tokens_per_s_per_accelerator / self.decode.tokens_per_s_per_accelerator


def phase_pairs(rows: Iterable[MeasuredThroughput]) -> list[PhasePair]:
    """Decode and prefill rows of one system: same first source address, hardware, model and formats."""
    def key(r: MeasuredThroughput):
        return (r.source.split(" ")[0], r.hardware, r.model, r.weights_format, r.kv_format)
    rows = list(rows)
    prefill = {key(r): r for r in rows if r.phase == "prefill"}
    return [PhasePair(r, prefill[key(r)]) for r in rows if r.phase == "decode" and key(r) in prefill]


def exceeding(found: Iterable[Bound]) -> list[Bound]:
    """The rows whose measurement beats their bound (each an error in the model or the data)."""
    return [b for b in found if b.exceeded]


# --------------------------------------------------------------------------------------------------
# Calibration: realism factors, one home for every chapter

#: The realism factor of each phase and what it is like: measured ÷ the ideal bound, median over the rows.
REALISM_LABELS: dict[str, str] = {
    "decode": "decode (MBU-like: bound mostly by HBM bandwidth and capacity)",
    "prefill": "prefill (MFU-like: bound by dense FLOP/s)",
    "offline": "offline (prefill and decode together, against a decode-only bound at zero context)",
}


@dataclass(frozen=True)
class RealismFactor:
    """The median of measured ÷ bound over one phase's rows: a named factor, never a silent fudge."""

    phase: str
    value: float
    low: float
    high: float
    rows: tuple[str, ...]

    @property
    def label(self) -> str:
        return REALISM_LABELS[self.phase]


def realism_factors_from(found: Iterable[Bound]) -> dict[str, RealismFactor]:
    """Median efficiency per phase (decode, prefill, offline) over the given bounds."""
    out = {}
    found = list(found)
    for phase in PHASES:
        values = sorted(b.efficiency for b in found if b.row.phase == phase and math.isfinite(b.efficiency))
        if values:
            out[phase] = RealismFactor(phase, float(np.median(values)), values[0], values[-1],
                                       tuple(b.row.id for b in found if b.row.phase == phase))
    return out


@lru_cache(maxsize=8)
def _realism_factors(directory: Path) -> dict[str, RealismFactor]:
    return realism_factors_from(bounds(directory))


def realism_factors(data_dir: Path | str | None = None) -> dict[str, RealismFactor]:
    """The realism factor of each phase on the data (the reader's ``measured_throughput.csv`` if present)."""
    return dict(_realism_factors(resolve_data_dir(data_dir)))


def realism_factor(phase: str, data_dir: Path | str | None = None) -> float:
    """η_phase: the median measured ÷ bound of the phase's rows (``decode``, ``prefill`` or ``offline``).

    Multiply an ideal throughput of the step model (at a realistic context) by it to get what deployed systems
    achieve; divide an ideal cost per token by it. Chapters show the ideal bound beside the calibrated figure.
    """
    factors = realism_factors(data_dir)
    if phase not in factors:
        raise ValueError(f"no realism factor for phase {phase!r}; the data have: {', '.join(factors) or 'none'}")
    return factors[phase].value


def calibrated_tokens_per_s(ideal_tokens_per_s: ArrayLike, phase: str,
                            data_dir: Path | str | None = None) -> np.ndarray:
    """An ideal throughput (tokens/s, any shape) times the phase's realism factor: η_phase · X_ideal."""
    return np.asarray(ideal_tokens_per_s, dtype=float) * realism_factor(phase, data_dir)


def calibrated_seconds_per_token(ideal_seconds_per_token: ArrayLike, phase: str,
                                 data_dir: Path | str | None = None) -> np.ndarray:
    """An ideal cost per token (accelerator-seconds, or joules, or dollars per token) divided by the phase's
    realism factor: c_ideal ÷ η_phase."""
    return np.asarray(ideal_seconds_per_token, dtype=float) / realism_factor(phase, data_dir)


def ideal_decode_tokens_per_s_per_accelerator(hardware: Hardware, model: Model, context_tokens: float, *,
                                              chips: int | None = None, precision: str | Precisions | None = None,
                                              kv_precision: str | None = None,
                                              user_tokens_per_s: float | None = None,
                                              reserve_fraction: float = HBM_RESERVE_FRACTION) -> float:
    """The ideal decode throughput per accelerator (pooled step) of a replica at context L: every weight split
    over ``chips`` accelerators (default: the fewest that hold the weights), the largest batch its HBM holds,
    and, when given, a step no longer than 1 / ``user_tokens_per_s``. 0 when nothing fits or meets the speed.

    With :func:`realism_factor` this is the calibrated figure other chapters want:
    ``calibrated_tokens_per_s(ideal_decode_tokens_per_s_per_accelerator(hw, m, realistic_context_tokens()),
    "decode")``."""
    p = as_precisions(model, precision, kv_precision)
    n = int(chips) if chips is not None else int(chips_to_fit(model, hardware, 0.0, 0.0, p, reserve_fraction))
    layout = Layout.shared(n)

    def make(b):
        return unit_step(hardware, model, p, layout, b, context_tokens, reserve_fraction=reserve_fraction)

    high = min(make(np.array([1.0])).max_batch, BATCH_SEARCH_LIMIT)
    target = None if user_tokens_per_s is None else 1.0 / user_tokens_per_s
    batch = _largest_batch(lambda b: make(b).pooled_s, target, high) if high >= 1 else 0.0
    return 0.0 if batch <= 0 else float(make(np.array([batch])).tokens_per_s_per_accelerator()[0])


def realistic_context_tokens(data_dir: Path | str | None = None) -> float:
    """A realistic mean KV length at decode: DeepSeek's production average per output token over its published
    day (``mean_kv_length`` of deepseek_day.csv), the one such figure a provider has published."""
    return load_deepseek_day(data_dir).mean_kv_tokens


# --------------------------------------------------------------------------------------------------
# Training: 6·N_active·D at peak against the reported hours


#: What a row's accelerator-hours cover, for the page.
SCOPE_TEXT: dict[str, str] = {
    "pre-training": "pre-training only",
    "context-extension": "context extension only",
    "post-training": "post-training only",
    "all": "every stage (pre-training, any context extension, post-training)",
    "benchmark": "a benchmarked configuration (no hours)",
}


@dataclass(frozen=True)
class TrainingCheck:
    """One training row against the ideal: 6·N_active·D FLOPs at the dense peak of the row's precision."""

    run: MeasuredTraining
    precision: str               # the precision whose peak is used (bf16 when the row does not state one)
    precision_stated: bool
    peak_flops_per_s: float
    ideal_accelerator_hours: float | None   # 6 N_active D / (F · 3600)
    implied_mfu: float | None               # ideal ÷ reported hours
    benchmark_mfu: float | None             # reported FLOP/s ÷ peak (benchmark rows)

    @property
    def hours_include(self) -> str:
        return SCOPE_TEXT[self.run.scope]

    @property
    def reported_mfu(self) -> float | None:
        return self.run.reported_mfu


def training_check(run: MeasuredTraining, hardware: Hardware, model: Model) -> TrainingCheck:
    """MFU implied by a run's hours: 6 · N_active · D ÷ (hours · 3600 · F_peak) (eq. training-mfu), with F_peak
    the dense peak in the row's precision (bf16 when not stated). Attention FLOPs are not counted, so the
    figure sits below an MFU that counts them (PaLM's 46.2%)."""
    precision = run.precision or "bf16"
    peak = hardware.flops(precision)
    ideal = mfu = bench = None
    if run.training_tokens is not None:
        flop = TRAIN_FLOP_PER_PARAM_TOKEN * model.active_params * run.training_tokens
        ideal = flop / peak / SECONDS_PER_HOUR
        if run.accelerator_hours is not None:
            mfu = float(implied_utilisation(flop, run.accelerator_hours, peak))
    if run.reported_flops_per_s_per_accelerator is not None:
        bench = run.reported_flops_per_s_per_accelerator / peak
    return TrainingCheck(run, precision, run.precision is not None, peak, ideal, mfu, bench)


def training_checks(data_dir: Path | str | None = None) -> list[TrainingCheck]:
    """:func:`training_check` for every row of ``measured_training.csv``."""
    directory = resolve_data_dir(data_dir)
    hardware = {h.name: h for h in load_hardware(directory)}
    models = {m.name: m for m in load_models(directory)}
    return [training_check(r, hardware[r.hardware], models[r.model]) for r in load_measured_training(directory)]


# --------------------------------------------------------------------------------------------------
# Achievable bandwidth and FLOP/s (published microbenchmarks), when lib.measure is installed


def achievable_fractions(hardware_name: str, data_dir: Path | str | None = None) -> dict[str, float] | None:
    """The median measured ÷ datasheet fraction per quantity (``hbm_bandwidth``, ``bf16``, ``fp8``, ``fp4``) of
    the published microbenchmarks of one accelerator (``measured_hardware.csv``, read by ``lib.measure``).
    None where ``lib.measure`` is not part of the book or has no measurement of that accelerator."""
    try:
        from . import measure  # type: ignore[attr-defined]
    except ImportError:
        return None
    frame = measure.fractions(data_dir)
    frame = frame[frame["hardware"] == hardware_name]
    if frame.empty:
        return None
    return {q: float(g["fraction"].median()) for q, g in frame.groupby("quantity")}
