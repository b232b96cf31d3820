"""Which hardware numbers are inferred rather than read from a datasheet, and which verdicts rest on them.

``data/inferred_values.csv`` lists one (hardware row, column) per line with how the value was inferred
(derived from other published figures, estimated, assumed, or substituted) and the source of the inference.
It is a table of its own, not a column of ``hardware.csv``, so that rows can be flagged without touching the
hardware table's lines. Chapters call :func:`inferred_columns` and :func:`rests_on` to mark numbers and
verdicts that depend on an inferred value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .data import HARDWARE_SCHEMA, Column, TableSchema, provenance_column, read_table, register_schema, table_dir

#: The hardware.csv columns a value can be inferred in (every column but name, vendor, year, source and
#: provenance, the row's grade by its main source, which this table refines cell by cell).
INFERABLE_COLUMNS: tuple[str, ...] = tuple(c.name for c in HARDWARE_SCHEMA.columns
                                           if c.name not in ("name", "vendor", "year", "source", "provenance"))

INFERRED_SCHEMA = register_schema(TableSchema(
    file="inferred_values.csv",
    # A hardware row may have several inferred columns, so the name column repeats; each line's explanation is
    # unique, and load_inferred checks that no (hardware, column) pair appears twice.
    key="how_inferred",
    columns=(
        Column("hardware", "str", meaning="a hardware.csv row name"),
        Column("column", "enum", choices=INFERABLE_COLUMNS, meaning="the hardware.csv column whose value is inferred"),
        Column("how_inferred", "str", meaning="derived / estimated / assumed / substituted, and how"),
        Column("source", "str", meaning="where the inference comes from"),
        provenance_column(),
    ),
))


@dataclass(frozen=True)
class InferredValue:
    """One inferred cell of ``hardware.csv``."""

    hardware: str
    column: str
    how_inferred: str
    source: str


def load_inferred(data_dir: Path | str | None = None) -> list[InferredValue]:
    """Rows of ``inferred_values.csv`` (the book's own when the reader's directory lacks it); a DataError when a
    (hardware, column) pair appears twice."""
    rows = _read_allowing_repeats(data_dir)
    return [InferredValue(r["hardware"], r["column"], r["how_inferred"], r["source"]) for r in rows]


def _read_allowing_repeats(data_dir):
    from .data import DataError, Problem

    directory = table_dir(INFERRED_SCHEMA.file, data_dir)
    rows = read_table(INFERRED_SCHEMA, directory)
    seen: dict[tuple[str, str], int] = {}
    problems = []
    for r in rows:
        pair = (r["hardware"], r["column"])
        if pair in seen:
            problems.append(Problem(str(directory / INFERRED_SCHEMA.file), r["_line"], r["hardware"], "column",
                                    r["column"], f"one line per (hardware, column): already on line {seen[pair]}"))
        seen.setdefault(pair, r["_line"])
    if problems:
        raise DataError(problems)
    return rows


def inferred_columns(hardware_name: str, data_dir: Path | str | None = None) -> dict[str, InferredValue]:
    """{column: InferredValue} for one hardware row (empty when nothing about it is inferred)."""
    return {v.column: v for v in load_inferred(data_dir) if v.hardware == hardware_name}


def rests_on(hardware_name: str, columns: tuple[str, ...] | list[str], data_dir: Path | str | None = None) -> list[str]:
    """The columns among ``columns`` whose value for ``hardware_name`` is inferred, in the given order."""
    inferred = inferred_columns(hardware_name, data_dir)
    return [c for c in columns if c in inferred]


#: The mark a table puts after a row whose inputs include an inferred value (captions explain it).
INFERRED_MARK = " †"


def marker(hardware_name: str, columns: tuple[str, ...] | list[str], data_dir: Path | str | None = None,
           short: bool = False) -> str:
    """'' or a note to append to a row's name on a page: ' (inferred: dense_bf16_TFLOPs, tdp_W)', or with
    ``short`` the mark :data:`INFERRED_MARK` for narrow tables whose caption explains it."""
    hits = rests_on(hardware_name, columns, data_dir)
    if not hits:
        return ""
    return INFERRED_MARK if short else f" (inferred: {', '.join(hits)})"
