"""Helpers for chapter pages: the banner naming the rows a page ran on, tables, glued prose numbers.

Numbers in prose come from :func:`glue_text`, which stores a formatted string for MyST-NB's
``{glue:text}`` role, so no figure is typed by hand.

Text from data (a row's name, its source) reaches a page only as text: ``{glue:text}`` inserts plain text,
tables and captions are HTML-escaped, the banner is escaped HTML, and Markdown built from data goes through
:func:`md_escape`. A CSV cell that holds markup shows as the characters it holds.
"""

from __future__ import annotations

import html
import math
import re
from typing import Iterable, Sequence

import pandas as pd
from IPython.display import HTML, Markdown

from .claims import (CHECKED, FAILS, HOLDS, LOOSE, NOT_DERIVED, SCENARIO, SCENARIO_KIND, SHAPE_FAILS,
                     SHAPE_HOLDS, STRUCTURAL, Entry)
from .data import DEFAULT_DATA_DIR, ENV_DATA_DIR, ENV_HARDWARE, ENV_MODEL, Selection, table_dir

#: Characters with a meaning in MyST Markdown (emphasis, code, links, math, roles, tables, headings).
_MARKDOWN_SPECIAL = "\\`*_{}[]()<>#+-.!|$~:"


def md_escape(text: str) -> str:
    """``text`` (from data) as literal text inside Markdown: HTML special characters become entities and every
    Markdown punctuation mark is backslash-escaped, so no markup, role or math in it takes effect."""
    escaped = html.escape(str(text), quote=False)  # quotes are plain text in Markdown (an entity's # would be escaped)
    return "".join("\\" + c if c in _MARKDOWN_SPECIAL and c not in "&;" else c for c in escaped)


def parenthesised(text: str) -> str:
    """``text`` in parentheses for a sentence or a column head; parentheses inside it become brackets, as
    typography nests them: ``"(H100 SXM)"``, ``"(Rubin [announced])"``, never ``"(Rubin (announced))"``."""
    return "(" + str(text).replace("(", "[").replace(")", "]") + ")"


def data_file(sel: Selection, file: str) -> str:
    """The file a page read the table ``file`` from, for a "source" cell: ``data/hardware.csv`` for the book's
    own data, else the path in the reader's directory (or the book's ``data/`` copy when that directory lacks
    the table, see :func:`lib.data.table_dir`)."""
    directory = table_dir(file, sel.data_dir)
    return f"data/{file}" if directory == DEFAULT_DATA_DIR else str(directory / file)


def glue_text(name: str, text: str) -> None:
    """Glue ``text`` under ``name`` for ``{glue:text}`name``` in the chapter's prose.

    Returns None, so that a glue call ending a cell prints nothing on the page.

    The value is glued as a Python string: MyST-NB reads the role's text/plain through ``literal_eval``,
    which turns a quoted string back into exactly ``text`` (an unquoted ``7,510`` would become a tuple).
    """
    if not isinstance(text, str):
        raise TypeError(f"glue_text takes formatted text, got {type(text).__name__}: format the number first")
    try:
        from myst_nb import glue
    except ImportError:  # a downloaded notebook outside the book: its prose already shows the values
        return
    glue(name, text, display=False)


def banner(sel: Selection) -> HTML:
    """A note at the top of a chapter naming the data directory and rows the page ran on (escaped HTML: the
    names come from the data)."""
    esc = html.escape
    where = ("the book's own <code>data/</code>" if sel.data_dir == DEFAULT_DATA_DIR
             else f"<code>{esc(str(sel.data_dir))}</code>")
    default = "" if sel.is_default else (
        " <strong>This is not the book's default selection</strong>: asserts written for the default data are "
        "reported, not enforced.")
    return HTML(
        f'<p class="book-banner"><em>This page ran on</em> <strong>{esc(sel.hardware.name)}</strong> <em>and</em> '
        f"<strong>{esc(sel.model.name)}</strong>, <em>from {where}.</em> Change them with "
        f"<code>{ENV_HARDWARE}</code>, <code>{ENV_MODEL}</code> or <code>{ENV_DATA_DIR}</code> and rebuild (see the "
        f"re-run guide).{default}</p>"
    )


def source_of(row) -> str:
    """The first citation in a data row's ``source`` cell (rows cite several, separated by " ; ")."""
    return str(row.source).split(" ; ")[0]


#: A cell that reads as a number (right-aligned): "1,024", "$4.61M", "−3.2 ms", "0.5×", "2,000–3,000 tokens".
_NUMERIC = re.compile(r"^[~≈<>≤≥+\-−]?\$?\d[\d,]*(\.\d+)?(\s?[%×x])?(\s?[–-]\s?\$?[\d,.]+)?(\s?\S{0,12})?$")


def is_numeric_column(values: Iterable) -> bool:
    """Whether a column of formatted cells is numbers (most non-empty cells read as a number with at most a
    short unit), so that it is right-aligned; text columns are left-aligned."""
    cells = [str(v).strip() for v in values if str(v).strip() not in ("", "—", "None", "nan")]
    if not cells:
        return False
    return sum(bool(_NUMERIC.match(c)) for c in cells) >= 0.8 * len(cells)


def table_html(frame: pd.DataFrame, caption: str | None = None, index: bool = False,
               classes: str = "book-table") -> str:
    """A table as HTML in a box that scrolls sideways when the table is wider than the page; numeric
    columns right-aligned (class ``num``), text columns left-aligned."""
    if index:
        frame = frame.reset_index()
    numeric = [is_numeric_column(frame[c]) for c in frame.columns]

    def cell(tag: str, value, num: bool) -> str:
        text = "—" if value is None or (isinstance(value, float) and value != value) else str(value)
        attr = ' class="num"' if num else ""
        return f"<{tag}{attr}>{html.escape(text)}</{tag}>"

    head = "".join(cell("th", c, n) for c, n in zip(frame.columns, numeric))
    rows = "".join("<tr>" + "".join(cell("td", v, n) for v, n in zip(row, numeric)) + "</tr>"
                   for row in frame.itertuples(index=False))
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (f'{_wrap_open(caption)}<table class="dataframe {classes}">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


def _wrap_open(caption: str | None) -> str:
    """The box a table scrolls in: focusable and named, so that keyboard users can scroll it too."""
    label = html.escape(caption or "Table", quote=True)
    return f'<div class="book-table-wrap" tabindex="0" role="region" aria-label="{label}">'


def table(frame: pd.DataFrame, caption: str | None = None, index: bool = False) -> HTML:
    """A compact HTML table for a page (strings already formatted, units in the column names)."""
    return HTML(table_html(frame, caption, index))


#: Units formatted with an SI prefix (``23.9 ms``, ``13.4 TB``).
SI_UNITS = ("s", "B", "bytes", "FLOP/s", "B/s", "W", "EFLOP/s")


def _fmt_value(value, unit: str) -> str:
    """A ledger value for display: durations in ms … days, money and large counts on the short scale."""
    from .units import duration, si, short

    if value is None:
        return "—"
    if unit == "1":  # dimensionless: no unit after the number
        unit = ""
    if isinstance(value, (tuple, list)) and unit.startswith("USD/") and None not in value:
        return f"${float(value[0]):.3g}–${float(value[1]):.3g} per {unit[4:]}"  # "$0.06–$0.12 per kWh"
    if isinstance(value, (tuple, list)):
        low, high = (_fmt_value(v, unit) for v in value)
        low_number, _, low_unit = low.rpartition(" ")
        if low_number and low_unit == high.rpartition(" ")[2]:
            low = low_number  # one unit for the range: "2,000–3,000 tokens", "1.6–2 kB"
        return f"{low}–{high}"
    value = float(value)
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return f"{'−' if value < 0 else ''}∞ {unit}".strip()
    if unit == "fraction":
        return f"{value:.0%}"
    if unit in ("s", "min", "h") and value >= 0:
        seconds = value * {"s": 1.0, "min": 60.0, "h": 3600.0}[unit]
        return si(seconds, "s") if seconds < 60 else duration(seconds)
    if unit == "USD":
        return "$" + short(value)
    if unit.startswith("USD/"):
        return f"${value:.3g} per {unit[4:]}"
    if unit in SI_UNITS:
        return si(value, unit)
    if unit == "1/s":
        return f"{value:.3g} per second"
    if abs(value) >= 1e6:
        return short(value, unit)
    if abs(value) >= 1000:
        return f"{value:,.0f} {unit}".strip()
    return f"{value:.3g} {unit}".strip()


#: The public name of the ledger's value format (used by the ledger's figures).
format_value = _fmt_value


def robustness(e: Entry) -> str:
    """Whether the entry's verdict survives its assumptions' ranges: ``robust``, ``not robust``, or ``—`` when
    no named assumption was varied (or the entry has no verdict to keep: a scenario)."""
    if e.robust is None:
        return "—"
    return "robust" if e.robust else "not robust"


def assumption_lines(e: Entry) -> list[str]:
    """One line per assumption: its name, value and range, and where a sensitivity was computed the derived value
    at the low and high end of the range (with the verdict there when it differs from the entry's).

    ``weight share of usable HBM = 50% (10%–80%): 2.1× … 5.3× (holds loosely at 80%)``"""
    lines = []
    for a in e.assumptions:
        text = f"{a.name} = {_fmt_value(a.value, a.unit)} ({_fmt_value((a.low, a.high), a.unit)})"
        ends = (e.sensitivity or {}).get(a.name)
        if ends:
            text += ": " + " … ".join(_fmt_value(ends[end]["derived"], e.unit) for end in ("low", "high"))
            changed = [f"{ends[end]['verdict']} at {_fmt_value(ends[end]['value'], a.unit)}" for end in ("low", "high")
                       if "verdict" in ends[end] and ends[end]["verdict"] != e.verdict]
            if changed:
                text += f" ({'; '.join(changed)})"
        lines.append(text)
    return lines


def ledger_frame(entries: Sequence[Entry]) -> pd.DataFrame:
    """Entries as a display table, the verdict first: verdict, kind, robust, claim, quantity, stated, derived,
    derived ÷ stated, assumptions (one per line, with the derived value at the ends of each range), note."""
    rows = []
    for e in entries:
        gap = e.gap
        rows.append({
            "verdict": e.verdict, "kind": e.kind, "robust": robustness(e), "claim": e.id, "quantity": e.quantity,
            "stated": _fmt_value(e.stated, e.unit), "derived": _fmt_value(e.derived, e.unit),
            "derived ÷ stated": "—" if gap is None else f"{gap:.2f}",
            "assumptions": "; ".join(assumption_lines(e)), "note": e.note or "",
        })
    return pd.DataFrame(rows, columns=["verdict", "kind", "robust", "claim", "quantity", "stated", "derived",
                                       "derived ÷ stated", "assumptions", "note"])


#: The order the ledger's table sorts kinds and verdicts in (its filters list them in this order too).
KIND_ORDER = (CHECKED, SCENARIO_KIND, STRUCTURAL)
VERDICT_ORDER = (HOLDS, LOOSE, FAILS, SHAPE_HOLDS, SHAPE_FAILS, SCENARIO, NOT_DERIVED)
ROBUST_ORDER = ("robust", "not robust", "—")
#: The ledger table's columns: (label, kind of sort, filter). ``sort`` is "text", "number" (the cell's
#: ``data-sort`` value) or "order" (the column head's ``data-order`` list); ``filter`` marks the columns the
#: script offers a menu for.
LEDGER_COLUMNS = (("verdict", "order", True), ("kind", "order", True), ("robust", "order", True),
                  ("claim", "text", False), ("quantity", "text", False), ("stated", "number", False),
                  ("derived", "number", False), ("derived ÷ stated", "number", False))


def _sort_number(value) -> str:
    """A cell's numeric sort key ('' for none: sorted last); a stated range sorts by its low end."""
    if isinstance(value, (tuple, list)):
        value = value[0]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):.6g}" if math.isfinite(float(value)) else ("1e308" if value > 0 else "-1e308")


def ledger_html(entries: Sequence[Entry], href: dict[str, str] | None = None,
                caption: str | None = None) -> HTML:
    """Entries as an HTML table, the verdict first, that ``_static/book-tables.js`` makes sortable (a button in
    each column head) and filterable (menus for verdict, kind and robustness, and a search box). Every cell keeps
    its text without the script. A claim id links to ``href[chapter docname]`` when given; a quantity carries
    its note and, below it, each assumption the entry names with its range and the derived value at each end."""
    rows = []
    for e in entries:
        claim = html.escape(e.id)
        if href and e.chapter in href:
            claim = f'<a href="{html.escape(href[e.chapter])}">{claim}</a>'
        quantity = html.escape(e.quantity)
        if e.note:
            quantity += f'<br><span class="book-note">{html.escape(e.note)}</span>'
        lines = assumption_lines(e)
        if lines:
            quantity += ('<ul class="book-assumptions">' + "".join(
                f'<li><span class="book-assumes">assumes</span> {html.escape(line)}</li>' for line in lines) + "</ul>")
        gap = e.gap
        robust = robustness(e)
        cells = [
            f'<td class="verdict">{html.escape(e.verdict)}</td>',
            f"<td>{html.escape(e.kind)}</td>",
            f"<td>{html.escape(robust)}</td>",
            f"<td>{claim}</td>",
            f"<td>{quantity}</td>",
            f'<td class="num" data-sort="{_sort_number(e.stated)}">{html.escape(_fmt_value(e.stated, e.unit))}</td>',
            f'<td class="num" data-sort="{_sort_number(e.derived)}">{html.escape(_fmt_value(e.derived, e.unit))}</td>',
            f'<td class="num" data-sort="{_sort_number(gap)}">{"—" if gap is None else f"{gap:.2f}"}</td>',
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    orders = {"verdict": VERDICT_ORDER, "kind": KIND_ORDER, "robust": ROBUST_ORDER}

    def head_cell(label: str, sort: str, filt: bool) -> str:
        attrs = f' scope="col" data-sort-type="{sort}"' + (" data-filter" if filt else "")
        if label in orders:
            attrs += f' data-order="{html.escape("|".join(orders[label]))}"'
        if sort == "number":
            attrs += ' class="num"'
        return f"<th{attrs}>{html.escape(label)}</th>"

    head = "".join(head_cell(*column) for column in LEDGER_COLUMNS)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return HTML(f'{_wrap_open(caption or "The ledger")}<table class="book-table book-ledger book-sortable">{cap}'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def verdicts(entries: Sequence[Entry], caption: str = "The ledger for this page") -> HTML:
    """The chapter's ledger entries as the ledger page shows them (:func:`ledger_html`): verdict, kind,
    robustness, the numbers, and under each quantity the assumptions with their ranges and the derived value at
    their ends."""
    return ledger_html(entries, caption=caption)


#: How prose says a verdict: "the period {holds}", "the ridge {holds only loosely}".
VERDICT_PHRASES = {"holds": "holds", "holds loosely": "holds only loosely", "does not hold": "does not hold",
                   "not derived": "cannot be checked on these data", "shape holds": "holds as a shape",
                   "shape does not hold": "does not hold as a shape",
                   "scenario": "is a scenario (its value rests on the book's assumptions)"}


def verdict_phrase(entries: Sequence[Entry], quantity: str) -> str:
    """The verdict of the entry named ``quantity``, as prose (see :data:`VERDICT_PHRASES`), for sentences that
    follow the data instead of being written for the default rows."""
    for e in entries:
        if e.quantity == quantity:
            return VERDICT_PHRASES[e.verdict]
    raise KeyError(f"no ledger entry {quantity!r}; entries are {[e.quantity for e in entries]}")


def verdict_summary(entries: Sequence[Entry]) -> Markdown:
    """One bullet per claim id: each of its quantities with the verdict the data gave (computed, so a summary
    never contradicts the ledger above it; quantities are escaped)."""
    by_claim: dict[str, list[Entry]] = {}
    for e in entries:
        by_claim.setdefault(e.id, []).append(e)
    return Markdown("\n".join(
        f"- **`{claim}`**: " + "; ".join(f"{md_escape(e.quantity)} {VERDICT_PHRASES[e.verdict]}" for e in group) + "."
        for claim, group in by_claim.items()))


def bullet_list(items: Iterable[str]) -> Markdown:
    """A Markdown bullet list from computed sentences."""
    return Markdown("\n".join(f"- {item}" for item in items))
