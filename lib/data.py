"""Load and validate the book's CSV tables into typed rows; the one place that knows the file formats.

Every table lives in a data directory (``data/`` in the repository, or the reader's own one given by
``BOOK_DATA_DIR`` or ``--data-dir``). Columns carry their unit in the name; values are converted to SI
units here. A bad cell is never a silent NaN: :class:`DataError` lists every problem with the file, the
line, the row's name, the column, the value found and what was expected.

Selections: ``BOOK_HARDWARE`` and ``BOOK_MODEL`` pick the rows a chapter runs on (defaults below).
"""

from __future__ import annotations

import csv
import difflib
import math
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from .hardware import Hardware
from .models import ATTENTION_TYPES, Model
from .units import GIGA, TERA, WEIGHT_FORMATS

def _default_data_dir() -> Path:
    """The book's own data: ``lib/_data`` in an installed package (``pip install`` maps the repository's
    ``data/`` there), else the repository's ``data/`` beside ``lib/`` (a clone, or an editable install)."""
    here = Path(__file__).resolve().parent
    installed = here / "_data"
    if (installed / "hardware.csv").is_file():
        return installed
    return (here.parent / "data").resolve()


#: The book's default data directory: the one place that knows where data/ is.
DEFAULT_DATA_DIR = _default_data_dir()
DEFAULT_HARDWARE = "H100 SXM"
DEFAULT_MODEL = "DeepSeek-V3"

ENV_DATA_DIR = "BOOK_DATA_DIR"
ENV_HARDWARE = "BOOK_HARDWARE"
ENV_MODEL = "BOOK_MODEL"


# --------------------------------------------------------------------------------------------------
# Problems and errors


@dataclass(frozen=True)
class Problem:
    """One invalid cell, row or file."""

    file: str
    line: int | None  # 1-based line in the file; the header is line 1
    row_name: str | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.row_name:
            where += f" (name={self.row_name!r})"
        if self.column is not None:
            where += f", column {self.column!r}"
        found = "" if self.value is None else f": found {self.value!r}"
        return f"{where}{found}; expected {self.expected}"


class DataError(ValueError):
    """Raised when a data table is invalid. ``problems`` holds every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"{len(self.problems)} {noun} in the data:\n{lines}")


class SelectionError(LookupError):
    """An unknown hardware or model name; the message lists the valid names."""


# --------------------------------------------------------------------------------------------------
# Plausibility: ranges in a column's own unit, and the classic slips that land a value outside them

#: The optional column in which a row lists (``;``-separated) the columns whose plausibility range it waives.
ACCEPT_EXTREME = "accept_extreme"

#: The classic unit mistakes :class:`Plausible` can name, each as (factors to try, description). A factor
#: ``f`` means "the value typed is ``f`` times the intended one", so the suggestion is ``value / f``.
SLIPS: dict[str, tuple[tuple[float, ...], str]] = {
    "prefix": ((1e3, 1e-3, 1e6, 1e-6, 1e9, 1e-9, 1e12, 1e-12), "a unit-prefix slip"),
    "bits": ((8.0,), "bits typed for bytes"),
    "node": ((8.0,), "a per-node figure for 8 accelerators"),
    "sparse": ((2.0,), "a sparse FLOP/s figure typed for dense"),
    "bidirectional": ((2.0,), "both directions typed for one"),
    "percent": ((0.01,), "a fraction typed for a percentage"),
    "fraction": ((100.0,), "a percentage typed for a fraction"),
}


def _number(value: float) -> str:
    """A value as a reader would type it: ``3.35``, ``3350``, ``0.0008``."""
    return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.3e}"


@dataclass(frozen=True)
class Plausible:
    """A plausible range ``[low, high]`` for a column, in the column's own unit (``unit`` is for messages),
    and the slips (keys of :data:`SLIPS`) to suggest when a value falls outside it."""

    low: float
    high: float
    unit: str = ""
    slips: tuple[str, ...] = ("prefix",)

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"plausible range [{self.low}, {self.high}] has low > high")
        unknown = [s for s in self.slips if s not in SLIPS]
        if unknown:
            raise ValueError(f"unknown slips {unknown}; expected some of {', '.join(SLIPS)}")

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def likely_mistakes(self, value: float) -> list[tuple[float, str]]:
        """The slips that would bring ``value`` into the range: (the value meant, what went wrong), one entry per
        value meant (slips that give the same value are joined with "or")."""
        found: dict[float, list[str]] = {}
        for slip in self.slips:
            factors, what = SLIPS[slip]
            for factor in factors:
                meant = value / factor
                if self.contains(meant):
                    if slip == "prefix":
                        what = (f"a ×{_number(factor)} unit-prefix slip" if factor > 1
                                else f"a ÷{_number(1 / factor)} unit-prefix slip")
                    found.setdefault(meant, []).append(what)
                    break
        return [(meant, ", or ".join(whats)) for meant, whats in found.items()]

    def problem(self, column: str, value: float) -> str | None:
        """None when ``value`` is plausible; else the expectation text for a :class:`Problem`: the range, the
        likely mistake ("3700 TB/s — did you mean 3.7 (a ×1000 unit-prefix slip)?") and how to keep the value."""
        if self.contains(value):
            return None
        unit = f" {self.unit}" if self.unit else ""
        text = f"a value within {_number(self.low)}–{_number(self.high)}{unit} (the plausible range)"
        hints = self.likely_mistakes(value)
        if hints:
            text += (f"; {_number(value)}{unit} — did you mean "
                     + " or ".join(f"{_number(meant)} ({what})" for meant, what in hints) + "?")
        return (text + ("" if hints else ".") + f" If {_number(value)}{unit} is right, list {column} in this "
                f"row's {ACCEPT_EXTREME} column")


@dataclass(frozen=True)
class PlausibleBy:
    """Plausible ranges that depend on another column of the row, for key–value tables (``value`` in the row's
    ``unit``): ``ranges`` maps the key column's value to a :class:`Plausible`; other keys are not ranged."""

    key: str
    ranges: dict[str, Plausible]

    def for_row(self, row: dict) -> Plausible | None:
        return self.ranges.get(row.get(self.key))


def waived(row: dict) -> set[str]:
    """The columns a row lists in its optional ``accept_extreme`` cell."""
    return {c.strip() for c in str(row.get(ACCEPT_EXTREME) or "").split(";") if c.strip()}


# --------------------------------------------------------------------------------------------------
# Schemas


@dataclass(frozen=True)
class Column:
    """A CSV column: its parse type, unit factor to SI, and the constraint on its value."""

    name: str
    kind: str = "float"  # "str", "int", "float", or "enum"
    required: bool = True  # False: a blank cell is allowed (parsed as None)
    minimum: float | None = None  # inclusive lower bound
    positive: bool = False  # strictly > 0
    factor: float = 1.0  # multiply the cell by this to get SI units
    choices: tuple[str, ...] = ()
    meaning: str = ""
    plausible: Plausible | PlausibleBy | None = None  # range in the column's unit (waivable per row)

    def expectation(self) -> str:
        what = {"str": "a non-empty text", "int": "an integer", "float": "a number", "enum": "one of "
                + ", ".join(self.choices)}[self.kind]
        if self.positive:
            what = "a positive " + what.removeprefix("a ").removeprefix("an ")
        elif self.minimum is not None:
            what += f" ≥ {self.minimum:g}"
        if self.meaning:
            what += f" ({self.meaning})"
        return what


@dataclass(frozen=True)
class DerivedCheck:
    """A plausible range for a quantity computed from one row (a ridge point, a drain time): it catches a unit
    mistake that keeps each column inside its own range. Waived when the row waives any of ``inputs``."""

    name: str  # what the quantity is, e.g. "ridge point dense_bf16_TFLOPs / hbm_bandwidth_TBps"
    inputs: tuple[str, ...]
    compute: Callable[[dict], float]  # from the row's parsed values (file units); inputs are never None
    plausible: Plausible

    def problem(self, row: dict) -> tuple[str, str, str] | None:
        """(columns, value, expectation) when the row's derived value is implausible, else None."""
        if any(row.get(c) is None for c in self.inputs) or waived(row) & set(self.inputs):
            return None
        value = float(self.compute(row))
        if self.plausible.contains(value):
            return None
        unit = f" {self.plausible.unit}" if self.plausible.unit else ""
        return (", ".join(self.inputs), f"{_number(value)}{unit}",
                f"a {self.name} within {_number(self.plausible.low)}–{_number(self.plausible.high)}{unit}; one "
                f"of {', '.join(self.inputs)} is likely in the wrong unit (or list it in {ACCEPT_EXTREME})")


@dataclass(frozen=True)
class TableSchema:
    """A table's file name, columns, and row-level checks (each returns problems as (column, value, text)),
    and plausibility checks of quantities derived from a row."""

    file: str
    columns: tuple[Column, ...]
    key: str = "name"
    row_checks: tuple[Callable[[dict], Iterable[tuple[str, object, str]]], ...] = field(default=())
    #: Cross-table references ``(column, file)``: each value of ``column`` must be the key (name) of a row of
    #: ``file`` in the same data directory (e.g. a measurement's ``hardware`` names a row of hardware.csv).
    references: tuple[tuple[str, str], ...] = ()
    derived: tuple[DerivedCheck, ...] = field(default=())
    #: Row checks of plausibility across columns, run (like ``derived``) once every column is in its range.
    plausibility_checks: tuple[Callable[[dict], Iterable[tuple[str, object, str]]], ...] = field(default=())

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _active_not_above_total(row: dict) -> Iterable[tuple[str, object, str]]:
    if row["active_params_B"] is not None and row["total_params_B"] is not None:
        if row["active_params_B"] > row["total_params_B"]:
            yield ("active_params_B", row["active_params_B"],
                   f"active params ≤ total params ({row['total_params_B']:g} B)")


def _experts_consistent(row: dict) -> Iterable[tuple[str, object, str]]:
    routed, active = row["routed_experts"], row["active_experts"]
    if routed is not None and active is not None and active > routed:
        yield ("active_experts", active, f"active experts ≤ routed experts ({routed})")
    if routed == 0 and active not in (0, None):
        yield ("active_experts", active, "0 for a dense model (routed_experts is 0)")


def _attention_dims(row: dict) -> Iterable[tuple[str, object, str]]:
    if row["attention"] == "mla":
        for name in ("kv_lora_rank", "qk_rope_head_dim"):
            if not row[name]:
                yield (name, row[name], "a positive integer for MLA attention")
    elif row["attention"] in ("gqa", "mha"):
        for name in ("n_kv_heads", "head_dim"):
            if not row[name]:
                yield (name, row[name], f"a positive integer for {row['attention'].upper()} attention")
        if row["n_kv_heads"] and row["n_heads"] and row["n_kv_heads"] > row["n_heads"]:
            yield ("n_kv_heads", row["n_kv_heads"], f"KV heads ≤ query heads ({row['n_heads']})")
    if row["sliding_window_layers"] and row["layers"] and row["sliding_window_layers"] > row["layers"]:
        yield ("sliding_window_layers", row["sliding_window_layers"], f"≤ layers ({row['layers']})")
    if row["sliding_window_layers"] and not row["sliding_window_tokens"]:
        yield ("sliding_window_tokens", row["sliding_window_tokens"],
               "a positive window when sliding_window_layers > 0")


def _ffn_config(row: dict) -> Iterable[tuple[str, object, str]]:
    layers, dense = row["layers"], row["first_dense_layers"]
    moe = bool(row["routed_experts"])
    if layers is None or dense is None:
        return
    if not moe and dense != layers:
        yield ("first_dense_layers", dense, f"every layer ({layers}) for a dense model")
    if moe and dense >= layers:
        yield ("first_dense_layers", dense, f"fewer than the layers ({layers}) for a MoE model")
    if dense and not row["dense_ffn_dim"]:
        yield ("dense_ffn_dim", row["dense_ffn_dim"], "a positive width when the model has dense FFN layers")
    if moe and not row["expert_ffn_dim"]:
        yield ("expert_ffn_dim", row["expert_ffn_dim"], "a positive width for a MoE model")


def _sparse_attention(row: dict) -> Iterable[tuple[str, object, str]]:
    if row["sparse_topk_tokens"]:
        for name in ("indexer_heads", "indexer_head_dim"):
            if not row[name]:
                yield (name, row[name], "a positive integer when sparse_topk_tokens > 0 (DSA)")
    elif row["indexer_heads"] or row["indexer_head_dim"]:
        yield ("sparse_topk_tokens", row["sparse_topk_tokens"], "a positive top-k when an indexer is given")


#: A partial ISO date, as price sheets and offers are dated: YYYY, YYYY-MM or YYYY-MM-DD.
PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def as_of_is_a_date(row: dict) -> Iterable[tuple[str, object, str]]:
    """Row check for tables with an ``as_of`` column: a blank cell, or a date YYYY, YYYY-MM or YYYY-MM-DD."""
    if row["as_of"] is not None and not PARTIAL_DATE.match(row["as_of"]):
        yield ("as_of", row["as_of"], "a date YYYY, YYYY-MM or YYYY-MM-DD")


#: Plausible release years for any dated row (hardware, models, prices ...).
YEARS = Plausible(1990, 2040, "", ())

#: Ranges for every numeric hardware column, in the column's unit. Each admits every datasheet row of the
#: book with room for the next generations, and excludes the classic slips of the row it is most likely made
#: on: a ×1000 prefix (TB/s typed as GB/s), bits for bytes and per-node for per-accelerator (×8), both
#: directions for one (×2), sparse for dense FLOP/s (×2).
HARDWARE_RANGES: dict[str, Plausible] = {
    "hbm_capacity_GB": Plausible(4, 4000, "GB", ("prefix", "node")),
    "hbm_bandwidth_TBps": Plausible(0.2, 60, "TB/s", ("prefix", "bits", "node")),
    "dense_bf16_TFLOPs": Plausible(10, 40_000, "TFLOP/s", ("prefix", "sparse", "node")),
    "dense_fp8_TFLOPs": Plausible(20, 80_000, "TFLOP/s", ("prefix", "sparse", "node")),
    "dense_fp4_TFLOPs": Plausible(40, 160_000, "TFLOP/s", ("prefix", "sparse", "node")),
    "scale_up_domain_size": Plausible(1, 100_000, "accelerators", ()),
    "scale_up_bandwidth_GBps": Plausible(20, 3000, "GB/s", ("prefix", "bits", "node", "bidirectional")),
    "scale_out_bandwidth_GBps": Plausible(1, 250, "GB/s", ("prefix", "bits", "node", "bidirectional")),
    "tdp_W": Plausible(50, 3000, "W", ("prefix", "node")),
}


def _ridge_flop_per_byte(row: dict) -> float:
    return row["dense_bf16_TFLOPs"] / row["hbm_bandwidth_TBps"]


def _drain_time_ms(row: dict) -> float:
    return row["hbm_capacity_GB"] / row["hbm_bandwidth_TBps"]  # GB / (TB/s) = ms


def _format_ratio(upper: str, lower: str, most: float) -> Callable[[dict], Iterable[tuple[str, object, str]]]:
    """Row check: a lower-precision dense figure is at most ``most`` × the higher one (a sparse figure, ×2,
    typed for dense pushes it over); waived with either column."""

    def check(row: dict) -> Iterable[tuple[str, object, str]]:
        if row[upper] is None or row[lower] is None or waived(row) & {upper, lower}:
            return
        if row[lower] > most * row[upper]:
            yield (lower, row[lower], f"at most {most:g} × {upper} ({row[upper]:g}) for dense FLOP/s; "
                   f"{row[lower]:g} is {row[lower] / row[upper]:.2g}× — a sparse figure typed for dense? "
                   f"(or list {lower} in {ACCEPT_EXTREME})")
    return check




def date_check(column: str) -> Callable[[dict], Iterable[tuple[str, object, str]]]:
    """A row check: ``column`` is blank or a partial ISO date (YYYY, YYYY-MM or YYYY-MM-DD)."""
    def check(row: dict) -> Iterable[tuple[str, object, str]]:
        value = row.get(column)
        if value is not None and not PARTIAL_DATE.match(str(value)):
            yield (column, value, "a date YYYY, YYYY-MM or YYYY-MM-DD")
    check.__name__ = f"{column}_is_a_date"
    return check


def ended_not_before_as_of(row: dict) -> Iterable[tuple[str, object, str]]:
    """Row check for tables with ``as_of`` and ``ended``: an offer cannot end before the date it was read."""
    ended, as_of = row.get("ended"), row.get("as_of")
    if ended and as_of and PARTIAL_DATE.match(ended) and PARTIAL_DATE.match(as_of) and ended[:len(as_of)] < as_of[:len(ended)]:
        yield ("ended", ended, f"a date on or after as_of ({as_of})")


# --------------------------------------------------------------------------------------------------
# Provenance and citations

#: What kind of source a row's value rests on (the ``provenance`` column):
#: primary: the originator's own document (a vendor datasheet or pricing page, a paper, the talk itself);
#: secondary: a report of it (a price tracker, a news story, a third-party tool's reading of an API);
#: estimate: computed or estimated by the book or an analyst from other figures;
#: assumption: a value chosen by the book (with its reasoning).
#: A first-hand measurement (a vendor's or a cloud's published benchmark run, or the reader's own
#: ``python -m lib measure``) is primary: it is the originator's own record, and its ``source`` names the method.
#: A row is graded by its main source: a datasheet row with an inferred cell stays primary, and the cell is named
#: where the table keeps per-cell detail (``inferred_values.csv`` for hardware.csv, the notes elsewhere).
PROVENANCE: tuple[str, ...] = ("primary", "secondary", "estimate", "assumption")

#: What the ``provenance`` column means when a table does not say more.
PROVENANCE_MEANING = ("what the value rests on: the originator's document, a report of it, an estimate, or an "
                      "assumption")


def provenance_column(meaning: str = PROVENANCE_MEANING) -> Column:
    """The ``provenance`` column every table of the book carries (one of :data:`PROVENANCE`); ``meaning`` says
    what it grades when a row holds several values (hardware.csv: the row's main source)."""
    return Column("provenance", "enum", choices=PROVENANCE, meaning=meaning)


#: The provenance column of hardware.csv: the row's main source; inferred cells are listed one by one in
#: inferred_values.csv (lib.provenance), and a measured row (python -m lib measure) is primary.
HARDWARE_PROVENANCE = provenance_column(
    "what the row's figures rest on, graded by its main source (a vendor's datasheet or documents: primary; a "
    "first-hand measurement, as `python -m lib measure` writes, is primary with the method in source); cells "
    "inferred in an otherwise sourced row are listed one by one in inferred_values.csv")


#: A path into this repository (``data/hardware.csv``, ``lib/power.py``): a citation must point outside the book.
LOCAL_FILE = re.compile(r"(?<![\w/.:-])(?:\./|\.\./)?(?:data|lib|chapters|tests|bench)/[\w./-]+\.(?:csv|py|md|json)\b")
#: Host-name labels of staging, test and mirror copies (``sibshop.uat.jiralog.com``).
STAGING_LABELS = ("uat", "staging", "stage", "preprod", "sandbox", "mirror", "localhost")
URL = re.compile(r"https?://([^/\s;,)\"']+)", re.I)
#: A citation without an address needs at least a year or an identifier (arXiv, DOI, a form or table number).
CITATION_MARK = re.compile(r"\b(19|20)\d{2}\b|arXiv|doi|DOI|datasheet|Table \d|Form")


def citation_problems(source: str | None, provenance: str | None = None) -> list[str]:
    """What is wrong with one row's citation: a local file, a staging or mirror host, or no address or
    citation at all. An ``assumption`` row may cite the book's own reasoning (no address needed)."""
    text = (source or "").strip()
    if not text:
        return ["no address or citation"]
    problems = []
    if LOCAL_FILE.search(text):
        problems.append(f"cites a local file ({LOCAL_FILE.search(text).group(0)})")
    if re.search(r"\bmirror of\b", text, re.I):
        problems.append("cites a mirror ('mirror of …')")
    for host in URL.findall(text):
        labels = re.split(r"[.-]", host.lower().split(":")[0])
        bad = [lab for lab in labels if lab in STAGING_LABELS]
        if bad or re.fullmatch(r"[\d.]+", host.split(":")[0]):
            problems.append(f"cites a staging, test or mirror host ({host})")
    if not URL.search(text) and not CITATION_MARK.search(text) and provenance not in ("assumption", "estimate"):
        problems.append("no address (http…) and no citation (author and year, arXiv, DOI, datasheet)")
    return problems


def source_column_of(schema: TableSchema) -> str | None:
    """The column of a table that holds its citation (``source``, or ``source_or_reasoning``)."""
    names = [c.name for c in schema.columns]
    return next((n for n in ("source", "source_or_reasoning") if n in names), None)


def citation_report(data_dir: Path | str | None = None) -> list[Problem]:
    """Every row of every registered table (present in ``data_dir``) whose citation fails
    :func:`citation_problems`, as :class:`Problem` s naming file, line, row and column."""
    directory = resolve_data_dir(data_dir)
    _import_table_owners()
    out: list[Problem] = []
    for schema in list(SCHEMAS.values()):
        column = source_column_of(schema)
        path = directory / schema.file
        if column is None or not path.is_file():
            continue
        with path.open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                # A table may keep the address apart from the citation (claims.csv: source, date, address).
                cited = " ; ".join(t for t in (row.get(column), row.get("address"), row.get("date")) if t)
                for text in citation_problems(cited, row.get("provenance")):
                    out.append(Problem(str(path), line, row.get(schema.key), column, row.get(column), text))
    return out


def provenance_counts(data_dir: Path | str | None = None) -> dict[str, dict[str, int]]:
    """{table file: {provenance: rows}} for every registered table with a ``provenance`` column."""
    directory = resolve_data_dir(data_dir)
    _import_table_owners()
    counts: dict[str, dict[str, int]] = {}
    for schema in sorted(SCHEMAS.values(), key=lambda s: s.file):
        if "provenance" not in {c.name for c in schema.columns} or not (directory / schema.file).is_file():
            continue
        tally = dict.fromkeys(PROVENANCE, 0)
        for row in read_table(schema, directory):
            tally[row["provenance"]] += 1
        counts[schema.file] = tally
    return counts


HARDWARE_SCHEMA = TableSchema(
    file="hardware.csv",
    columns=(
        Column("name", "str"),
        Column("vendor", "str"),
        Column("year", "int", minimum=1990, plausible=YEARS),
        Column("hbm_capacity_GB", positive=True, factor=GIGA, meaning="GB = 1e9 bytes",
               plausible=HARDWARE_RANGES["hbm_capacity_GB"]),
        Column("hbm_bandwidth_TBps", positive=True, factor=TERA, meaning="TB/s = 1e12 bytes/s",
               plausible=HARDWARE_RANGES["hbm_bandwidth_TBps"]),
        Column("dense_bf16_TFLOPs", positive=True, factor=TERA, meaning="dense TFLOP/s = 1e12 FLOP/s",
               plausible=HARDWARE_RANGES["dense_bf16_TFLOPs"]),
        Column("dense_fp8_TFLOPs", required=False, positive=True, factor=TERA,
               meaning="dense TFLOP/s, blank if unsupported", plausible=HARDWARE_RANGES["dense_fp8_TFLOPs"]),
        Column("dense_fp4_TFLOPs", required=False, positive=True, factor=TERA,
               meaning="dense TFLOP/s, blank if unsupported", plausible=HARDWARE_RANGES["dense_fp4_TFLOPs"]),
        Column("scale_up_domain_size", "int", positive=True, meaning="accelerators in the scale-up domain",
               plausible=HARDWARE_RANGES["scale_up_domain_size"]),
        Column("scale_up_bandwidth_GBps", positive=True, factor=GIGA, meaning="GB/s per accelerator, one direction",
               plausible=HARDWARE_RANGES["scale_up_bandwidth_GBps"]),
        Column("scale_out_bandwidth_GBps", positive=True, factor=GIGA, meaning="GB/s per accelerator, one direction",
               plausible=HARDWARE_RANGES["scale_out_bandwidth_GBps"]),
        Column("tdp_W", positive=True, meaning="watts per accelerator", plausible=HARDWARE_RANGES["tdp_W"]),
        Column("source", "str", meaning="an address or citation"),
        HARDWARE_PROVENANCE,
    ),
    plausibility_checks=(_format_ratio("dense_bf16_TFLOPs", "dense_fp8_TFLOPs", 2.5),
                         _format_ratio("dense_fp8_TFLOPs", "dense_fp4_TFLOPs", 3.5)),
    derived=(
        DerivedCheck("ridge point F/W_hbm (dense bf16 FLOP/s ÷ HBM bytes/s)",
                     ("dense_bf16_TFLOPs", "hbm_bandwidth_TBps"), _ridge_flop_per_byte,
                     Plausible(40, 2000, "FLOP/byte", ())),
        DerivedCheck("HBM drain time C_hbm/W_hbm", ("hbm_capacity_GB", "hbm_bandwidth_TBps"), _drain_time_ms,
                     Plausible(3, 300, "ms", ())),
    ),
)

MODELS_SCHEMA = TableSchema(
    file="models.csv",
    columns=(
        Column("name", "str"),
        Column("org", "str"),
        Column("year", "int", minimum=1990, plausible=YEARS),
        Column("total_params_B", positive=True, factor=GIGA, meaning="billions of parameters",
               plausible=Plausible(0.1, 100_000, "B params")),
        Column("active_params_B", positive=True, factor=GIGA, meaning="billions of parameters per token",
               plausible=Plausible(0.1, 20_000, "B params")),
        Column("layers", "int", positive=True, plausible=Plausible(1, 1000, "layers", ())),
        Column("hidden_size", "int", positive=True, plausible=Plausible(64, 200_000, "", ())),
        Column("attention", "enum", choices=ATTENTION_TYPES),
        Column("n_heads", "int", positive=True, plausible=Plausible(1, 2048, "heads", ())),
        Column("n_kv_heads", "int", positive=True, plausible=Plausible(1, 2048, "heads", ())),
        Column("head_dim", "int", positive=True, plausible=Plausible(8, 2048, "", ())),
        Column("kv_lora_rank", "int", minimum=0, meaning="0 unless MLA", plausible=Plausible(0, 16_384, "", ())),
        Column("qk_rope_head_dim", "int", minimum=0, meaning="0 unless MLA", plausible=Plausible(0, 2048, "", ())),
        Column("sliding_window_tokens", "int", minimum=0, meaning="0 if none",
               plausible=Plausible(0, 10_000_000, "tokens", ())),
        Column("sliding_window_layers", "int", minimum=0, meaning="0 if none",
               plausible=Plausible(0, 1000, "layers", ())),
        Column("routed_experts", "int", minimum=0, meaning="0 for a dense model",
               plausible=Plausible(0, 100_000, "experts", ())),
        Column("active_experts", "int", minimum=0, meaning="0 for a dense model",
               plausible=Plausible(0, 1024, "experts", ())),
        Column("shared_experts", "int", minimum=0, plausible=Plausible(0, 256, "experts", ())),
        Column("first_dense_layers", "int", minimum=0,
               meaning="layers with a dense FFN before the MoE layers (config first_k_dense_replace); "
                       "every layer of a dense model", plausible=Plausible(0, 1000, "layers", ())),
        Column("dense_ffn_dim", "int", minimum=0, meaning="config intermediate_size of the dense FFN; 0 if none",
               plausible=Plausible(0, 1_000_000, "", ())),
        Column("expert_ffn_dim", "int", minimum=0, meaning="config moe_intermediate_size; 0 for a dense model",
               plausible=Plausible(0, 1_000_000, "", ())),
        Column("vocab_size", "int", positive=True, plausible=Plausible(1000, 10_000_000, "tokens", ())),
        Column("q_lora_rank", "int", minimum=0, meaning="MLA query latent rank; 0 if none",
               plausible=Plausible(0, 16_384, "", ())),
        Column("tied_embeddings", "enum", choices=("yes", "no"), meaning="config tie_word_embeddings"),
        Column("weights_format", "enum", choices=WEIGHT_FORMATS,
               meaning="release storage format of the non-expert weights"),
        Column("expert_weights_format", "enum", choices=WEIGHT_FORMATS,
               meaning="release storage format of the expert weights (as weights_format for a dense model)"),
        Column("sparse_topk_tokens", "int", minimum=0,
               meaning="DeepSeek Sparse Attention: tokens the main attention reads (config index_topk); 0 if dense",
               plausible=Plausible(0, 10_000_000, "tokens", ())),
        Column("indexer_heads", "int", minimum=0, meaning="DSA indexer heads (config index_n_heads); 0 if dense",
               plausible=Plausible(0, 1024, "heads", ())),
        Column("indexer_head_dim", "int", minimum=0, meaning="DSA indexer head dimension (index_head_dim); 0 if dense",
               plausible=Plausible(0, 4096, "", ())),
        Column("training_tokens_T", required=False, positive=True, factor=TERA,
               meaning="trillions of tokens, blank if unpublished", plausible=Plausible(0.01, 10_000, "T tokens")),
        Column("max_context_tokens", "int", positive=True, plausible=Plausible(256, 1e10, "tokens")),
        Column("source", "str", meaning="an address or citation"),
        provenance_column("what the row's configuration rests on, graded by its main source (the released "
                          "config.json or the model's paper: primary; third-party copies of a config: secondary)"),
    ),
    row_checks=(_active_not_above_total, _experts_consistent, _attention_dims, _ffn_config, _sparse_attention),
)

SCHEMAS: dict[str, TableSchema] = {s.file: s for s in (HARDWARE_SCHEMA, MODELS_SCHEMA)}


def register_schema(schema: TableSchema) -> TableSchema:
    """Add a table schema (used by modules that own a table, e.g. pricing) so ``check-data`` validates it."""
    SCHEMAS[schema.file] = schema
    return schema


#: Checks across tables (a name in one table that must exist in another), keyed by the file they check. Each
#: takes a data directory holding that file and returns its problems; ``check_data_dir`` runs them.
DIRECTORY_CHECKS: dict[str, Callable[[Path], list["Problem"]]] = {}


def register_directory_check(file: str, check: Callable[[Path], list["Problem"]]) -> None:
    """Add a cross-table check for ``file`` (run by ``check-data`` when the directory holds that file)."""
    DIRECTORY_CHECKS[file] = check


# --------------------------------------------------------------------------------------------------
# Parsing


def _unit_of(column: str) -> tuple[str, str] | None:
    """Split ``hbm_bandwidth_TBps`` into (``hbm_bandwidth``, ``TBps``) when the last part names a unit."""
    stem, _, unit = column.rpartition("_")
    units = {"GB", "TB", "MB", "GiB", "TiB", "TBps", "GBps", "MBps", "TFLOPs", "PFLOPs", "GFLOPs", "W", "kW",
             "B", "T", "M", "s", "ms", "USD", "tokens", "GWh", "MW"}
    return (stem, unit) if stem and unit in units else None


def _parse_cell(col: Column, raw: str) -> tuple[object, str | None]:
    """Parse one cell; return (value, None) or (None, expectation) on error."""
    text = raw.strip()
    if text == "":
        if col.required:
            return None, col.expectation() + ", not blank"
        return None, None
    if col.kind == "str":
        return text, None
    if col.kind == "enum":
        return (text, None) if text in col.choices else (None, col.expectation())
    try:
        number = float(text.replace("_", ""))
    except ValueError:
        return None, col.expectation()
    if not math.isfinite(number):
        return None, col.expectation() + " (finite)"
    if col.kind == "int":
        if number != int(number):
            return None, col.expectation()
        number = int(number)
    if col.positive and number <= 0:
        return None, col.expectation()
    if col.minimum is not None and number < col.minimum:
        return None, col.expectation()
    return number, None


def read_table(schema: TableSchema, data_dir: Path | str | None = None) -> list[dict]:
    """Read and validate one table; return rows as dicts of parsed values in the file's units.

    Raises :class:`DataError` listing every problem (missing file or column, bad cells, duplicate names,
    row-level inconsistencies).
    """
    directory = resolve_data_dir(data_dir)
    path = directory / schema.file
    label = str(path)
    if not path.is_file():
        raise DataError([Problem(label, None, None, None, None, f"the file {schema.file} in {directory}")])
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise DataError([Problem(label, 1, None, None, None, "a header line")]) from None
        body = list(reader)

    problems: list[Problem] = []
    known = {c.name for c in schema.columns} | {ACCEPT_EXTREME, "notes"}
    unknown = [h for h in header if h not in known]
    for col in schema.columns:
        if col.name in header:
            continue
        expected = f"a column {col.name!r}: {col.expectation()}"
        if col.name == "provenance":
            expected += (f". A {schema.file} written before the book graded every table lacks it: add the column "
                         "and give each row one of " + ", ".join(PROVENANCE))
        near = _unit_of(col.name)
        twin = next((h for h in header if near and _unit_of(h) and _unit_of(h)[0] == near[0]), None)
        found = difflib.get_close_matches(col.name, unknown, n=1, cutoff=0.75)
        if twin is not None:
            problems.append(Problem(label, 1, None, twin, twin,
                                    f"unit {near[1]!r} in column {col.name!r} (unknown unit {_unit_of(twin)[1]!r} "
                                    "for this quantity)"))
        elif found:
            problems.append(Problem(label, 1, None, found[0], found[0],
                                    f"{col.name!r}, the closest expected column name (a misspelling?); "
                                    f"{col.name} is {col.expectation()}"))
        else:
            problems.append(Problem(label, 1, None, col.name, None, expected))
    if problems:
        raise DataError(problems)

    index = {name: i for i, name in enumerate(header)}
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for offset, cells in enumerate(body):
        line = offset + 2
        if not any(c.strip() for c in cells):
            continue  # blank line
        if len(cells) != len(header):
            problems.append(Problem(label, line, cells[0].strip() if cells else None, None, f"{len(cells)} cells",
                                    f"{len(header)} cells, one per column of the header"))
            continue
        name = cells[index[schema.key]].strip() or None
        row: dict = {"_line": line}
        for col in schema.columns:
            raw = cells[index[col.name]]
            value, error = _parse_cell(col, raw)
            if error:
                problems.append(Problem(label, line, name, col.name, raw.strip(), error))
            row[col.name] = value
        for extra in header:
            if extra not in row:
                row[extra] = cells[index[extra]].strip()
        if name is not None:
            if name in seen:
                problems.append(Problem(label, line, name, schema.key, name,
                                        f"a unique name (already on line {seen[name]})"))
            seen.setdefault(name, line)
        if not any(p.line == line for p in problems):
            for check in schema.row_checks:
                for column, value, text in check(row):
                    problems.append(Problem(label, line, name, column, None if value is None else str(value), text))
        if not any(p.line == line for p in problems):  # plausibility only once the hard checks pass
            problems.extend(_plausibility_problems(schema, row, label, line, name))
        if not any(p.line == line for p in problems):
            for derived in schema.derived:
                found = derived.problem(row)
                if found:
                    problems.append(Problem(label, line, name, *found))
            for check in schema.plausibility_checks:
                for column, value, text in check(row):
                    problems.append(Problem(label, line, name, column, None if value is None else str(value), text))
        rows.append(row)
    problems.extend(_reference_problems(schema, rows, directory, label))
    if problems:
        raise DataError(problems)
    return rows


def _key_names(path: Path, key: str) -> set[str] | None:
    """The values of column ``key`` in the CSV at ``path`` (read raw, not validated), or None if unreadable."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader)]
            column = header.index(key)
            return {cells[column].strip() for cells in reader if len(cells) > column and cells[column].strip()}
    except (OSError, StopIteration, ValueError):
        return None


def _reference_problems(schema: TableSchema, rows: list[dict], directory: Path, label: str) -> list[Problem]:
    """A problem for each cell that names a row the referenced table (same directory) does not have."""
    problems = []
    for column, other in schema.references:
        key = SCHEMAS[other].key if other in SCHEMAS else "name"
        names = _key_names(directory / other, key)
        if names is None:
            problems.append(Problem(label, None, None, column, None,
                                    f"a readable {other} in {directory} with a {key!r} column (column {column!r} "
                                    "names its rows)"))
            continue
        for row in rows:
            value = row.get(column)
            if value is not None and value not in names:
                problems.append(Problem(label, row["_line"], row.get(schema.key), column, str(value),
                                        f"the name of a row of {other} (one of: {', '.join(sorted(names))})"))
    return problems


def _plausibility_problems(schema: TableSchema, row: dict, label: str, line: int,
                           name: str | None) -> list[Problem]:
    """Values outside their column's plausible range (unless the row waives the column), and names in the
    row's ``accept_extreme`` cell that are not ranged columns of the table."""
    problems: list[Problem] = []
    ranged = {c.name: c for c in schema.columns if c.plausible is not None}
    waive = waived(row)
    for column in sorted(waive - set(ranged)):
        near = difflib.get_close_matches(column, list(ranged), n=1, cutoff=0.6)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        problems.append(Problem(label, line, name, ACCEPT_EXTREME, column,
                                f"names of columns of {schema.file} that have a plausible range{hint}: "
                                + ", ".join(ranged)))
    for col in ranged.values():
        value = row.get(col.name)
        if value is None or col.name in waive:
            continue
        rng = col.plausible.for_row(row) if isinstance(col.plausible, PlausibleBy) else col.plausible
        text = rng.problem(col.name, float(value)) if rng is not None else None
        if text:
            problems.append(Problem(label, line, name, col.name, _number(float(value)), text))
    return problems


def resolve_data_dir(data_dir: Path | str | None = None) -> Path:
    """The data directory: the argument, else ``$BOOK_DATA_DIR``, else the repository's ``data/``."""
    chosen = data_dir or os.environ.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR
    path = Path(chosen).expanduser().resolve()
    if not path.is_dir():
        raise DataError([Problem(str(path), None, None, None, None, "an existing data directory")])
    return path


# --------------------------------------------------------------------------------------------------
# Typed rows


def _hardware_from_row(row: dict) -> Hardware:
    s = HARDWARE_SCHEMA
    flops = {p: row[f"dense_{p}_TFLOPs"] * s.column(f"dense_{p}_TFLOPs").factor
             for p in ("bf16", "fp8", "fp4") if row[f"dense_{p}_TFLOPs"] is not None}
    known = {c.name for c in s.columns}
    return Hardware(
        name=row["name"], vendor=row["vendor"], year=row["year"],
        hbm_capacity_bytes=row["hbm_capacity_GB"] * GIGA,
        hbm_bandwidth_Bps=row["hbm_bandwidth_TBps"] * TERA,
        flops_per_s=flops,
        scale_up_domain_size=row["scale_up_domain_size"],
        scale_up_bandwidth_Bps=row["scale_up_bandwidth_GBps"] * GIGA,
        scale_out_bandwidth_Bps=row["scale_out_bandwidth_GBps"] * GIGA,
        tdp_W=row["tdp_W"], source=row["source"],
        extra={k: v for k, v in row.items() if k not in known and not k.startswith("_")},
    )


def _model_from_row(row: dict) -> Model:
    known = {c.name for c in MODELS_SCHEMA.columns}
    tokens = row["training_tokens_T"]
    return Model(
        name=row["name"], org=row["org"], year=row["year"],
        total_params=row["total_params_B"] * GIGA, active_params=row["active_params_B"] * GIGA,
        layers=row["layers"], hidden_size=row["hidden_size"], attention=row["attention"],
        n_heads=row["n_heads"], n_kv_heads=row["n_kv_heads"], head_dim=row["head_dim"],
        kv_lora_rank=row["kv_lora_rank"], qk_rope_head_dim=row["qk_rope_head_dim"],
        sliding_window_tokens=row["sliding_window_tokens"], sliding_window_layers=row["sliding_window_layers"],
        routed_experts=row["routed_experts"], active_experts=row["active_experts"],
        shared_experts=row["shared_experts"],
        training_tokens=None if tokens is None else tokens * TERA,
        max_context_tokens=row["max_context_tokens"], source=row["source"],
        first_dense_layers=row["first_dense_layers"], dense_ffn_dim=row["dense_ffn_dim"],
        expert_ffn_dim=row["expert_ffn_dim"], vocab_size=row["vocab_size"], q_lora_rank=row["q_lora_rank"],
        tied_embeddings=row["tied_embeddings"] == "yes", weights_format=row["weights_format"],
        expert_weights_format=row["expert_weights_format"], sparse_topk_tokens=row["sparse_topk_tokens"],
        indexer_heads=row["indexer_heads"], indexer_head_dim=row["indexer_head_dim"],
        extra={k: v for k, v in row.items() if k not in known and not k.startswith("_")},
    )


@lru_cache(maxsize=16)
def _load_hardware(directory: Path) -> tuple[Hardware, ...]:
    return tuple(_hardware_from_row(r) for r in read_table(HARDWARE_SCHEMA, directory))


@lru_cache(maxsize=16)
def _load_models(directory: Path) -> tuple[Model, ...]:
    return tuple(_model_from_row(r) for r in read_table(MODELS_SCHEMA, directory))


def load_hardware(data_dir: Path | str | None = None) -> list[Hardware]:
    """Every row of ``hardware.csv`` as :class:`~lib.hardware.Hardware`, in file order."""
    return list(_load_hardware(resolve_data_dir(data_dir)))


def load_models(data_dir: Path | str | None = None) -> list[Model]:
    """Every row of ``models.csv`` as :class:`~lib.models.Model`, in file order."""
    return list(_load_models(resolve_data_dir(data_dir)))


def _pick(rows: list, name: str, what: str, env: str):
    for row in rows:
        if row.name == name:
            return row
    valid = ", ".join(repr(r.name) for r in rows)
    raise SelectionError(f"unknown {what} {name!r} (from {env} or the command line); valid names: {valid}")


def get_hardware(name: str | None = None, data_dir: Path | str | None = None) -> Hardware:
    """One hardware row by name (default: ``$BOOK_HARDWARE``, else :data:`DEFAULT_HARDWARE`)."""
    return _pick(load_hardware(data_dir), name or os.environ.get(ENV_HARDWARE) or DEFAULT_HARDWARE,
                 "hardware", ENV_HARDWARE)


def get_model(name: str | None = None, data_dir: Path | str | None = None) -> Model:
    """One model row by name (default: ``$BOOK_MODEL``, else :data:`DEFAULT_MODEL`)."""
    return _pick(load_models(data_dir), name or os.environ.get(ENV_MODEL) or DEFAULT_MODEL, "model", ENV_MODEL)


@dataclass(frozen=True)
class Selection:
    """What a chapter runs on: the data directory and the selected hardware and model rows."""

    data_dir: Path
    hardware: Hardware
    model: Model

    @property
    def is_default(self) -> bool:
        """True when the book runs on its own data and default rows (the case its asserts are written for)."""
        return (self.data_dir == DEFAULT_DATA_DIR and self.hardware.name == DEFAULT_HARDWARE
                and self.model.name == DEFAULT_MODEL)

    def all_hardware(self) -> list[Hardware]:
        return load_hardware(self.data_dir)

    def all_models(self) -> list[Model]:
        return load_models(self.data_dir)

    def model_named(self, name: str) -> Model | None:
        """A model row by name, or None if this data directory lacks it."""
        return next((m for m in self.all_models() if m.name == name), None)

    def hardware_named(self, name: str) -> Hardware | None:
        """A hardware row by name, or None if this data directory lacks it."""
        return next((h for h in self.all_hardware() if h.name == name), None)


def selection(hardware: str | None = None, model: str | None = None,
              data_dir: Path | str | None = None) -> Selection:
    """The rows selected by the arguments, else by ``BOOK_*`` environment variables, else the defaults."""
    directory = resolve_data_dir(data_dir)
    return Selection(directory, get_hardware(hardware, directory), get_model(model, directory))


def check_data_dir(data_dir: Path | str) -> list[Problem]:
    """Validate every known table present in ``data_dir``; return all problems (empty when valid).

    ``hardware.csv`` and ``models.csv`` are required; other tables are checked when present.
    """
    directory = Path(data_dir).expanduser().resolve()
    if not directory.is_dir():
        return [Problem(str(directory), None, None, None, None, "an existing data directory")]
    _import_table_owners()
    problems: list[Problem] = []
    for schema in list(SCHEMAS.values()):
        if not (directory / schema.file).is_file() and schema.file not in ("hardware.csv", "models.csv"):
            continue
        try:
            read_table(schema, directory)
        except DataError as error:
            problems.extend(error.problems)
    if not problems:  # cross-table checks need every table readable
        for file, check in DIRECTORY_CHECKS.items():
            if (directory / file).is_file():
                problems.extend(check(directory))
    return problems


def table_dir(file: str, data_dir: Path | str | None = None) -> Path:
    """The directory to read the table ``file`` from: the reader's data directory when it has that file,
    else the book's own ``data/``.

    A reader who brings only ``hardware.csv`` and ``models.csv`` keeps the book's other tables (prices, loss
    laws, …). A table that is present is always read from the reader's directory, so a malformed one fails
    with its :class:`DataError`; it is never silently replaced by the book's copy.
    """
    directory = resolve_data_dir(data_dir)
    return directory if (directory / file).is_file() else DEFAULT_DATA_DIR


def _import_table_owners() -> None:
    """Import every module of ``lib`` so that each registers the schema of the table it owns."""
    import importlib
    import pkgutil

    import lib

    for info in pkgutil.walk_packages(lib.__path__, prefix="lib."):
        if info.name not in ("lib.__main__", "lib.sphinx_ext") and not info.name.startswith("lib.figures"):
            importlib.import_module(info.name)


def clear_cache() -> None:
    """Forget loaded tables (after a data file changed within one process)."""
    _load_hardware.cache_clear()
    _load_models.cache_clear()
