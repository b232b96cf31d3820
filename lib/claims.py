"""The claim ledger: each claim's statement, stated value, derived value and verdict.

The claims' wording lives in ``data/claims.csv`` (id, talk, statement, numbers given). The derivations
live in ``lib/derivations/``, one module per chapter; each registers functions with :func:`derives`
that take a :class:`~lib.data.Selection` and return :class:`Entry` rows. :func:`ledger` runs them all
and lists every claim, including those no chapter derives yet.

Every entry has a kind, which says what sort of support it is:

- ``checked``: a derived number compared with a number the talk states. Only these carry the verdicts
  ``holds`` (inside the stated range, or within ``rel_tol``, default 25%, of a single stated value),
  ``holds loosely`` (within a factor ``loose_factor``, default 2) and ``does not hold`` (further off);
- ``scenario``: a number that depends on assumptions the book chose; its verdict is ``scenario`` and it
  lists its assumptions;
- ``structural``: the shape of a claim (a sweet spot exists, a share lies in (0, 1)); its verdict is
  ``shape holds`` or ``shape does not hold``.

``not derived`` marks an entry the data cannot decide. Each assumption a derived number depends on is an
:class:`Assumption` (value, plausible range, unit, source). Given a ``recompute`` function, :func:`entry`
recomputes the derived value at the low and high end of each assumption's range (``sensitivity``) and, for a
checked entry, says whether the verdict is the same across all of them (``robust``).
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from . import data as data_mod
from .data import Column, Selection, TableSchema

HOLDS, LOOSE, FAILS, NOT_DERIVED = "holds", "holds loosely", "does not hold", "not derived"
SHAPE_HOLDS, SHAPE_FAILS, SCENARIO = "shape holds", "shape does not hold", "scenario"
VERDICTS: tuple[str, ...] = (HOLDS, LOOSE, FAILS, NOT_DERIVED, SHAPE_HOLDS, SHAPE_FAILS, SCENARIO)

CHECKED, SCENARIO_KIND, STRUCTURAL = "checked", "scenario", "structural"
KINDS: tuple[str, ...] = (CHECKED, SCENARIO_KIND, STRUCTURAL)

CLAIMS_SCHEMA = data_mod.register_schema(TableSchema(
    file="claims.csv", key="id",
    columns=(Column("id", "str"), Column("talk", "enum", choices=("L", "J")), Column("claim", "str"),
             Column("numbers", "str", required=False), Column("source", "str", meaning="the talk: speakers and title"),
             Column("date", "str", meaning="the date the talk was published, YYYY-MM-DD"),
             Column("address", "str", meaning="the talk's page, transcript or video address(es)"),
             data_mod.provenance_column()),
    row_checks=(data_mod.date_check("date"), lambda row: (
        [("address", row["address"], "one or more http(s) addresses separated by ' ; '")]
        if row["address"] and not all(a.strip().startswith(("http://", "https://")) for a in row["address"].split(" ; "))
        else [])),
))

Stated = float | tuple[float, float] | None


@dataclass(frozen=True)
class ClaimText:
    """A claim as the book states it (our wording, attributed to talk L or J)."""

    id: str
    talk: str
    claim: str
    numbers: str
    source: str
    date: str = ""
    address: str = ""


@dataclass(frozen=True)
class Assumption:
    """A named input a derived number depends on: its value, plausible range [low, high], unit and source."""

    name: str
    value: float
    low: float
    high: float
    unit: str
    source: str = ""

    def __post_init__(self):
        if not self.low <= self.value <= self.high:
            raise ValueError(f"assumption {self.name!r}: value {self.value:g} outside its range "
                             f"[{self.low:g}, {self.high:g}]")

    def to_json(self) -> dict:
        return {"name": self.name, "value": self.value, "low": self.low, "high": self.high, "unit": self.unit,
                "source": self.source}


@dataclass(frozen=True)
class Entry:
    """One number of one claim: what the talk states, what the book derives, and the verdict."""

    id: str
    quantity: str
    stated: Stated
    derived: float | None
    unit: str
    verdict: str
    inputs: dict = field(default_factory=dict)
    claim: str = ""
    chapter: str | None = None
    note: str = ""
    kind: str = CHECKED
    assumptions: tuple[Assumption, ...] = ()
    sensitivity: dict | None = None  # assumption name -> {"low": {...}, "high": {...}}
    robust: bool | None = None

    @property
    def gap(self) -> float | None:
        """derived ÷ stated (÷ the nearer end of a stated range; 1 inside it); None when either is missing."""
        if self.derived is None or self.stated is None:
            return None
        if isinstance(self.stated, tuple):
            low, high = self.stated
            if low <= self.derived <= high:
                return 1.0
            reference = low if self.derived < low else high
        else:
            reference = self.stated
        return self.derived / reference if reference else None

    def to_json(self) -> dict:
        """A JSON-ready dict: ``stated`` is a number, ``[low, high]`` or null."""
        out = asdict(self)
        out["stated"] = list(self.stated) if isinstance(self.stated, tuple) else self.stated
        out["gap"] = self.gap
        out["assumptions"] = [a.to_json() for a in self.assumptions]
        return out


def judge(stated: Stated, derived: float | None, rel_tol: float = 0.25, loose_factor: float = 2.0) -> str:
    """The verdict for a derived number against a stated one (see the module docstring)."""
    if derived is None or stated is None or (isinstance(derived, float) and math.isnan(derived)):
        return NOT_DERIVED
    if rel_tol < 0 or loose_factor < 1:
        raise ValueError("rel_tol must be ≥ 0 and loose_factor ≥ 1")
    if isinstance(stated, tuple):
        low, high = stated
        if low > high:
            raise ValueError(f"stated range [{low}, {high}] has low > high")
        if low <= derived <= high:
            return HOLDS
        reference = low if derived < low else high
        tolerance = 0.0
    else:
        reference, tolerance = stated, rel_tol
    if reference == 0:
        return HOLDS if derived == 0 else FAILS
    ratio = derived / reference
    if ratio <= 0:
        return FAILS
    if abs(ratio - 1.0) <= tolerance:
        return HOLDS
    if 1.0 / loose_factor <= ratio <= loose_factor:
        return LOOSE
    return FAILS


_STRUCTURAL_VERDICT = {HOLDS: SHAPE_HOLDS, FAILS: SHAPE_FAILS, SHAPE_HOLDS: SHAPE_HOLDS, SHAPE_FAILS: SHAPE_FAILS,
                       NOT_DERIVED: NOT_DERIVED}


def entry(claim_id: str, quantity: str, stated: Stated, derived: float | None, unit: str, *,
          inputs: dict | None = None, rel_tol: float = 0.25, loose_factor: float = 2.0, note: str = "",
          verdict: str | None = None, kind: str = CHECKED, assumptions: Sequence[Assumption] = (),
          recompute: Callable[..., float | None] | None = None,
          holds_if: Callable[[float], bool] | None = None) -> Entry:
    """Build an :class:`Entry` of ``kind`` (see the module docstring).

    ``checked``: judged with :func:`judge` unless ``verdict`` is given. ``structural``: ``verdict`` says
    whether the shape holds (HOLDS/FAILS or the shape verdicts), or ``holds_if(derived)`` decides it (and then
    decides it again at each end of each assumption's range). ``scenario``: the verdict is ``scenario``.
    ``recompute(**{name: value})`` returns the derived value with one assumption set to ``value``; with it
    the entry carries ``sensitivity`` (the derived value, and for checked entries the verdict, at each
    assumption's low and high end) and, for a checked entry, ``robust``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    if verdict is not None and verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}; expected one of {VERDICTS}")
    value = None if derived is None or (isinstance(derived, float) and math.isnan(derived)) else float(derived)
    if kind == CHECKED:
        if verdict in (SHAPE_HOLDS, SHAPE_FAILS, SCENARIO):
            raise ValueError(f"a checked entry cannot carry the verdict {verdict!r}")
        final = verdict or judge(stated, value, rel_tol, loose_factor)
    elif kind == STRUCTURAL:
        if verdict is None and holds_if is not None:
            verdict = NOT_DERIVED if value is None else (HOLDS if holds_if(value) else FAILS)
        if verdict is None:
            raise ValueError("a structural entry needs a verdict saying whether the shape holds")
        if verdict not in _STRUCTURAL_VERDICT:
            raise ValueError(f"a structural entry's verdict is a shape verdict, not {verdict!r}")
        final = _STRUCTURAL_VERDICT[verdict]
    else:
        if not assumptions:
            raise ValueError(f"scenario entry {claim_id}/{quantity!r} must list the assumptions it depends on")
        final = NOT_DERIVED if value is None else SCENARIO
    sensitivity, robust = None, None
    if recompute is not None and assumptions:
        sensitivity = {}
        verdicts = {final}
        for a in assumptions:
            ends = {}
            for end, x in (("low", a.low), ("high", a.high)):
                got = recompute(**{a.name: x})
                got = None if got is None or (isinstance(got, float) and math.isnan(got)) else float(got)
                row = {"value": x, "derived": got}
                if kind == CHECKED:
                    row["verdict"] = judge(stated, got, rel_tol, loose_factor) if verdict is None else final
                    verdicts.add(row["verdict"])
                elif kind == STRUCTURAL and holds_if is not None:
                    row["verdict"] = NOT_DERIVED if got is None else (SHAPE_HOLDS if holds_if(got) else SHAPE_FAILS)
                    verdicts.add(row["verdict"])
                ends[end] = row
            sensitivity[a.name] = ends
        if kind == CHECKED or (kind == STRUCTURAL and holds_if is not None):
            robust = len(verdicts) == 1
    return Entry(claim_id, quantity, stated, value, unit, final, dict(inputs or {}), note=note, kind=kind,
                 assumptions=tuple(assumptions), sensitivity=sensitivity, robust=robust)

# --------------------------------------------------------------------------------------------------
# Registry

Derivation = Callable[[Selection], Sequence[Entry]]
_DERIVATIONS: dict[str, list[tuple[str, Derivation]]] = {}


def derives(claim_id: str, chapter: str) -> Callable[[Derivation], Derivation]:
    """Register a derivation of ``claim_id`` shown on ``chapter`` (a docname such as ``chapters/train-20ms``)."""

    def register(function: Derivation) -> Derivation:
        _DERIVATIONS.setdefault(claim_id, [])
        if all(f.__qualname__ != function.__qualname__ for _, f in _DERIVATIONS[claim_id]):
            _DERIVATIONS[claim_id].append((chapter, function))
        return function

    return register


def _load_derivations() -> None:
    from . import derivations

    for info in pkgutil.iter_modules(derivations.__path__):
        importlib.import_module(f"{derivations.__name__}.{info.name}")


def claim_texts(data_dir: Path | str | None = None) -> list[ClaimText]:
    """The claims, in book order, from ``claims.csv`` (the reader's data directory if it has one)."""
    rows = data_mod.read_table(CLAIMS_SCHEMA, data_mod.table_dir(CLAIMS_SCHEMA.file, data_dir))
    return [ClaimText(r["id"], r["talk"], r["claim"], r["numbers"] or "", r["source"], r["date"], r["address"]) for r in rows]


def derive(claim_id: str, sel: Selection | None = None) -> list[Entry]:
    """Every entry of one claim for the selection (default: the environment's selection)."""
    _load_derivations()
    sel = sel or data_mod.selection()
    texts = {c.id: c for c in claim_texts(sel.data_dir)}
    if claim_id not in texts:
        raise KeyError(f"unknown claim id {claim_id!r}; known ids: {', '.join(texts)}")
    out: list[Entry] = []
    for chapter, function in _DERIVATIONS.get(claim_id, []):
        for e in function(sel):
            if e.id != claim_id:
                raise ValueError(f"{function.__qualname__} registered for {claim_id!r} returned an entry for {e.id!r}")
            out.append(Entry(**{**e.__dict__, "claim": texts[claim_id].claim, "chapter": chapter}))
    return out


def ledger(sel: Selection | None = None) -> list[Entry]:
    """The whole ledger: every claim in ``claims.csv`` in order; a claim with no derivation yet appears
    once with verdict ``not derived``."""
    _load_derivations()
    sel = sel or data_mod.selection()
    out: list[Entry] = []
    for text in claim_texts(sel.data_dir):
        entries = derive(text.id, sel) if text.id in _DERIVATIONS else []
        if not entries:
            entries = [Entry(text.id, "—", None, None, "", NOT_DERIVED, {}, text.claim, None,
                             "no chapter derives this claim yet")]
        out.extend(entries)
    return out


def expect(entries: Sequence[Entry], expected: dict[str, str], sel: Selection) -> str:
    """Assert each entry's verdict on the book's default data; on a reader's data, only report changes.

    ``expected`` maps an entry's ``quantity`` to the verdict the chapter's prose was written for. On the
    default selection a mismatch raises ``AssertionError`` (the build fails: the derivation broke). On a
    reader's own data or rows it returns a Markdown sentence naming the verdicts that changed, so that the
    page says so instead of failing.
    """
    by_quantity = {e.quantity: e for e in entries}
    missing = [q for q in expected if q not in by_quantity]
    if missing and sel.is_default:
        raise KeyError(f"no ledger entry for {missing}; entries are {list(by_quantity)}")
    # On a reader's rows an entry the text expects may not exist (a dense model has no expert layers): report it.
    changed = [(q, v, by_quantity[q].verdict if q in by_quantity else "not derived on these data")
               for q, v in expected.items() if q not in by_quantity or by_quantity[q].verdict != v]
    if sel.is_default:
        assert not changed, "verdicts changed on the default data: " + "; ".join(
            f"{q}: expected {v!r}, derived {got!r}" for q, v, got in changed)
        return "On the book's default data every verdict is as the text describes."
    if not changed:
        return "On the selected data every verdict is as the text describes."
    from .page import md_escape  # quantities may name rows of the reader's data

    return ("**On the selected data some verdicts differ from the text, which was written for the default "
            "rows:** " + "; ".join(f"{md_escape(q)}: *{got}* (default data: *{v}*)" for q, v, got in changed) + ".")
