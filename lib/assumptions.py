"""The book-wide assumptions: one value, one plausible range and one source or reasoning per named quantity.

``data/assumptions.csv`` holds the numbers every chapter that needs a demand, a utilisation, a price or a
lifetime should read (and that the ledger's sensitivity analysis turns), so two chapters cannot use two
different figures for one quantity. Each row has a snake_case ``name`` (stable: code refers to it), a
``value`` with its ``low`` and ``high`` bounds (low ≤ value ≤ high), a ``unit`` from :data:`UNITS`, its
``source_or_reasoning``, an ``as_of`` date and a ``provenance`` (primary, secondary, estimate, assumption).

Utilisation has one definition throughout: achieved FLOP/s ÷ peak dense FLOP/s of the number format used.

Two rows are derived from others; :func:`check_derived` re-does the arithmetic (eq. assumptions-demand)::

    served_tokens_per_day         = messages_per_day × tokens_per_message
    tokens_per_daily_user_per_day = served_tokens_per_day / daily_users
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .data import (Column, DataError, Plausible, PlausibleBy, Problem, as_of_is_a_date, provenance_column, TableSchema,
                   read_table,
                   register_schema, table_dir)

#: The units a row may carry (SI-ish; "1" for a dimensionless ratio such as PUE).
UNITS: tuple[str, ...] = ("users", "messages/day", "tokens/message", "tokens/day", "tokens/user/day", "fraction",
                          "USD/accelerator-hour", "USD/kWh", "1", "years", "days", "FLOP")

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

#: Relative tolerance of :func:`check_derived` (the table stores rounded values).
DERIVED_REL_TOL = 1e-3


def _range_and_name(row: dict) -> Iterable[tuple[str, object, str]]:
    if row["name"] and not SNAKE_CASE.match(row["name"]):
        yield ("name", row["name"], "a snake_case name (lower case letters, digits and underscores)")
    low, value, high = row["low"], row["value"], row["high"]
    if None not in (low, value, high) and not low <= value <= high:
        yield ("value", value, f"low ≤ value ≤ high (low {low:g}, high {high:g})")
    if row["unit"] == "fraction" and high is not None and high > 1:
        yield ("high", high, "a fraction ≤ 1")


#: Plausible ranges of the assumptions, by their unit (value, low and high alike).
UNIT_RANGES = PlausibleBy("unit", {
    "users": Plausible(1e6, 1e10, "users"), "messages/day": Plausible(1e6, 1e12, "messages/day"),
    "tokens/message": Plausible(10, 1e6, "tokens/message"), "tokens/day": Plausible(1e9, 1e16, "tokens/day"),
    "tokens/user/day": Plausible(10, 1e7, "tokens/user/day"), "fraction": Plausible(0, 1, "", ("percent",)),
    "USD/accelerator-hour": Plausible(0.1, 100, "USD"), "USD/kWh": Plausible(0.01, 1, "USD/kWh"),
    "1": Plausible(1e-4, 10, "", ()), "years": Plausible(1, 15, "years", ()), "days": Plausible(1, 3650, "days", ()), "FLOP": Plausible(1e18, 1e30, "FLOP", ()),
})

ASSUMPTIONS_SCHEMA = register_schema(TableSchema(
    file="assumptions.csv",
    columns=(
        Column("name", "str", meaning="a stable snake_case name"),
        Column("value", positive=True, meaning="the central value, in the row's unit", plausible=UNIT_RANGES),
        Column("unit", "enum", choices=UNITS),
        Column("low", positive=True, meaning="the low end of the plausible range", plausible=UNIT_RANGES),
        Column("high", positive=True, meaning="the high end of the plausible range", plausible=UNIT_RANGES),
        Column("source_or_reasoning", "str", meaning="an address or citation, or the book's reasoning"),
        Column("as_of", "str", meaning="the date of the value, or for an assumption the year it was set"),
        provenance_column(),
    ),
    row_checks=(as_of_is_a_date, _range_and_name),
))


@dataclass(frozen=True)
class Assumption:
    """One named assumption: value and range in ``unit``, with its source or reasoning."""

    name: str
    value: float
    low: float
    high: float
    unit: str
    source: str
    as_of: str
    provenance: str
    notes: str = ""

    @property
    def range(self) -> tuple[float, float]:
        """(low, high)."""
        return (self.low, self.high)

    @property
    def relative_span(self) -> float:
        """high / low: how many-fold the plausible range spans (1 for a fixed value)."""
        return self.high / self.low


def load_assumptions(data_dir: Path | str | None = None) -> dict[str, Assumption]:
    """Every row of ``assumptions.csv`` by name (the reader's data directory if it has the file, else the book's)."""
    rows = read_table(ASSUMPTIONS_SCHEMA, table_dir(ASSUMPTIONS_SCHEMA.file, data_dir))
    return {r["name"]: Assumption(r["name"], r["value"], r["low"], r["high"], r["unit"], r["source_or_reasoning"],
                                  r["as_of"], r["provenance"], str(r.get("notes", "") or "")) for r in rows}


def assumption(name: str, data_dir: Path | str | None = None) -> Assumption:
    """One assumption by name; a :class:`~lib.data.DataError` listing the valid names when it is missing."""
    table = load_assumptions(data_dir)
    if name not in table:
        raise DataError([Problem(ASSUMPTIONS_SCHEMA.file, None, name, "name", name,
                                 f"one of the names in the table: {', '.join(table)}")])
    return table[name]


def ledger_assumption(name: str, data_dir: Path | str | None = None):
    """One row as the ledger's :class:`lib.claims.Assumption` (same name, value, range, unit and source), so that a
    ledger entry's sensitivity turns exactly the range this table gives."""
    from .claims import Assumption as LedgerAssumption

    a = assumption(name, data_dir)
    return LedgerAssumption(a.name, a.value, a.low, a.high, a.unit, a.source)


#: Derived rows: name → (operation, left operand, right operand), for value, low and high alike except where
#: :func:`check_derived` says otherwise.
DERIVED: dict[str, tuple[str, str, str]] = {
    "served_tokens_per_day": ("*", "messages_per_day", "tokens_per_message"),
    "tokens_per_daily_user_per_day": ("/", "served_tokens_per_day", "daily_users"),
}


def check_derived(table: dict[str, Assumption]) -> list[str]:
    """The derived rows whose central value disagrees with the arithmetic of :data:`DERIVED` (empty if all agree).

    served_tokens_per_day = messages_per_day × tokens_per_message (value, and low/high from the tokens range);
    tokens_per_daily_user_per_day = served_tokens_per_day / daily_users (central value).
    """
    problems = []
    for name, (op, left, right) in DERIVED.items():
        if not {name, left, right} <= table.keys():
            continue
        a, b = table[left].value, table[right].value
        expected = a * b if op == "*" else a / b
        if not math.isclose(table[name].value, expected, rel_tol=DERIVED_REL_TOL):
            problems.append(f"{name} = {table[name].value:g}, but {left} {op} {right} = {expected:g}")
    return problems
