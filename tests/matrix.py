"""The book on other selections: the list of selections the matrix test runs, the reader's directories it
builds, and the execution and checks of chapters on them.

A :class:`MatrixSelection` names the rows a run selects (``BOOK_HARDWARE``, ``BOOK_MODEL``), how to build its
data directory (``BOOK_DATA_DIR``, none for the book's own ``data/``), and the chapters it runs on. Together the
selections form a covering design: every chapter runs on several selections and every selection on several
chapters, so that ``make test`` stays within its time; one more runs every notebook page (the top-level pages too)
on a CPU row measured on the test machine. To add a selection (a new vendor), append one to :data:`SELECTIONS`.

:func:`execute_chapters` runs the chapters of one selection in one kernel (as ``make book`` would, with the
``BOOK_*`` variables set; the namespace is reset between chapters) and returns what each page would show:
its outputs and its prose with the glued values in place. :func:`page_problems` lists what a reader must never
see on such a page.
"""

from __future__ import annotations

import ast
import csv
import html
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS_DIR = ROOT / "chapters"

#: Every chapter of the book (the notebook pages under chapters/).
CHAPTERS: tuple[str, ...] = tuple(sorted(p.stem for p in CHAPTERS_DIR.glob("*.md")))


def _notebook_page_paths() -> dict[str, Path]:
    from chapter_runs import notebook_pages

    pages = notebook_pages()
    paths = {p.stem: p for p in pages}
    assert len(paths) == len(pages), "two notebook pages share a name"
    return paths


#: Every notebook page of the book by name: the chapters and the top-level pages with executable cells
#: (calculator, course, ledger, ...), as the Makefile finds them.
PAGE_PATHS: dict[str, Path] = _notebook_page_paths()
PAGES: tuple[str, ...] = tuple(PAGE_PATHS)


def page_path(name: str) -> Path:
    """The Jupytext source of a notebook page named by its stem (a chapter or a top-level page)."""
    return PAGE_PATHS[name]

# -------------------------------------------------------------------------------------------------------------
# A reader's directory with an accelerator of a vendor the book does not know, whose name and source carry
# markup and script: every page must show them as text.

NEW_VENDOR = "Acme"
HOSTILE_HARDWARE = "Acme A1 <img src=x onerror=\"document.title='pwned'\">"
HOSTILE_MODEL = "gpt-oss-120b <b onmouseover=\"document.title='pwned'\">tuned</b>"
HOSTILE_SOURCE = ("<script>document.title='pwned'</script> https://example.com/acme-a1 "
                  "[click](javascript:alert(1)) $x$ *what-if row for the book's tests*")
#: Markup that must never reach a page as markup (outside a script's JSON).
INJECTED = ("<img src=x", "<script>document.title", "<b onmouseover")


def _append_row(path: Path, base_name: str, **changes: str) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    row = dict(next(r for r in rows if r["name"] == base_name), **changes)
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=list(rows[0])).writerow(row)


def new_vendor_directory(target: Path) -> Path:
    """A copy of the book's ``data/`` in ``target`` with an accelerator of a new vendor (:data:`NEW_VENDOR`,
    named :data:`HOSTILE_HARDWARE`) and a model row named :data:`HOSTILE_MODEL`; both sources are
    :data:`HOSTILE_SOURCE`. The accelerator's bf16 ridge is 496 FLOP/byte (the talk says ≈ 300) and its
    drain time 48 ms."""
    shutil.copytree(ROOT / "data", target)
    _append_row(target / "hardware.csv", "H100 SXM", name=HOSTILE_HARDWARE, vendor=NEW_VENDOR, year="2025",
                hbm_capacity_GB="192", hbm_bandwidth_TBps="4", dense_bf16_TFLOPs="1984", dense_fp8_TFLOPs="3968",
                dense_fp4_TFLOPs="", scale_up_domain_size="16", scale_up_bandwidth_GBps="800",
                scale_out_bandwidth_GBps="100", tdp_W="1000", source=HOSTILE_SOURCE, provenance="assumption",
                notes="a test row")
    _append_row(target / "models.csv", "gpt-oss-120b", name=HOSTILE_MODEL, source=HOSTILE_SOURCE,
                provenance="assumption", notes="a test row")
    return target


# -------------------------------------------------------------------------------------------------------------
# The selections


@dataclass(frozen=True)
class MatrixSelection:
    """One selection the chapters are run on."""

    id: str
    hardware: str | None = None
    model: str | None = None
    #: Builds the reader's data directory inside the scratch folder it is given; None: the book's data/.
    data_dir: Callable[[Path], Path] | None = None
    chapters: tuple[str, ...] = CHAPTERS

    def environment(self, scratch: Path) -> dict[str, str]:
        """The ``BOOK_*`` variables of this selection (building its data directory under ``scratch``), and the
        switch that makes ``charts.show`` emit the book's chart HTML, as in the book build."""
        from lib.charts import ENV_BOOK_BUILD

        env = {ENV_BOOK_BUILD: "1"}
        if self.hardware:
            env["BOOK_HARDWARE"] = self.hardware
        if self.model:
            env["BOOK_MODEL"] = self.model
        if self.data_dir is not None:
            env["BOOK_DATA_DIR"] = str(self.data_dir(scratch / self.id))
        return env


#: The measured CPU selection: its id and the name of its row.
MEASURED_CPU = "measured-cpu"
MEASURED_CPU_NAME = "Test CPU (measured)"


#: The measured CPU selection's first pages (its first half in tests/test_matrix.py; the other pages follow): the
#: slowest page with the lightest, so that the two halves take about as long (one run, 2026-11: train-20ms 42 s of
#: 102 s; its half 54 s, the other 48 s).
_MEASURED_CPU_ORDER = ("train-20ms", "course", "notation", "calculator", "measured", "batch-300x-sparsity",
                       "four-scaling-laws", "two-budgets", "reality-check")


def measured_cpu_directory(target: Path) -> Path:
    """The book's hardware.csv and models.csv plus a row :data:`MEASURED_CPU_NAME` of this machine's CPU,
    measured by ``python -m lib measure`` (small arrays, one core; tests/chapter_runs.py)."""
    from chapter_runs import measured_cpu_data_dir

    return measured_cpu_data_dir(target, MEASURED_CPU_NAME)[0]


#: The selections of the matrix test, a covering design: the models and accelerators are paired so that three
#: selections cover Mixtral 8x7B, Llama 3.1 8B and gpt-oss-120b, TPU Trillium, MI355X and an accelerator of a new
#: vendor. The reader's directory with the new vendor (whose names carry markup) runs every chapter; the other two
#: split the chapters so that each chapter runs on at least two selections and the matrix stays within its time
#: in `make test`.
SELECTIONS: list[MatrixSelection] = [
    MatrixSelection("gptoss-newvendor", hardware=HOSTILE_HARDWARE, model="gpt-oss-120b",
                    data_dir=new_vendor_directory),
    MatrixSelection("mixtral-trillium", hardware="TPU Trillium", model="Mixtral 8x7B",
                    chapters=("two-budgets", "batch-300x-sparsity", "fast-mode", "context-plateau", "racks",
                              "four-scaling-laws")),
    MatrixSelection("llama8b-mi355x", hardware="MI355X", model="Llama 3.1 8B",
                    chapters=("train-20ms", "prices-leak", "overtrained-100x", "power-and-co-design", "fast-mode",
                              "racks", "reality-check")),
    # Every notebook page executes on a measured CPU row (written by `python -m lib measure` on this machine),
    # never skipped: the chapters and the top-level pages. tests/test_matrix.py checks that it covers PAGES.
    MatrixSelection(MEASURED_CPU, hardware=MEASURED_CPU_NAME, data_dir=measured_cpu_directory,
                    chapters=_MEASURED_CPU_ORDER + tuple(p for p in PAGES if p not in _MEASURED_CPU_ORDER)),
]


# -------------------------------------------------------------------------------------------------------------
# Executing chapters


@dataclass
class ChapterRun:
    """One chapter executed on one selection: its cells with outputs, and the values it glued."""

    chapter: str
    cells: list = field(default_factory=list)
    glue: dict[str, str] = field(default_factory=dict)

    def outputs(self):
        for cell in self.cells:
            if cell.cell_type == "code":
                yield from cell.get("outputs", [])

    def errors(self) -> list[str]:
        """Each error a cell raised: the exception and its message."""
        return [f"{o.get('ename')}: {o.get('evalue')}" for o in self.outputs() if o.get("output_type") == "error"]

    def html_outputs(self) -> list[str]:
        return [o["data"]["text/html"] for o in self.outputs() if "text/html" in o.get("data", {})]

    def markdown_outputs(self) -> list[str]:
        return [o["data"]["text/markdown"] for o in self.outputs()
                if "text/markdown" in o.get("data", {}) and "text/html" not in o.get("data", {})]

    def prose(self) -> str:
        """The Markdown cells with every ``{glue:text}`` role replaced by its glued value."""
        parts = []
        for cell in self.cells:
            if cell.cell_type == "markdown":
                parts.append(re.sub(r"\{glue:text\}`([^`]+)`", lambda m: self.glue.get(m[1], f"<no glue {m[1]}>"),
                                    cell.source))
        return "\n".join(parts)

    def text(self) -> str:
        """What a reader reads on the page: prose, Markdown and HTML outputs as text, printed output."""
        chunks = [self.prose()] + self.markdown_outputs()
        for body in self.html_outputs():
            body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
            chunks.append(html.unescape(re.sub(r"<[^>]+>", " ", body)))
        for o in self.outputs():
            if o.get("output_type") == "stream":
                chunks.append(o.get("text", ""))
            elif "text/plain" in o.get("data", {}) and not ({"text/html", "text/markdown"} & set(o["data"])):
                chunks.append(o["data"]["text/plain"])
        return re.sub(r"\s+", " ", "\n".join(chunks))


def execute_chapters(chapters: list[str] | tuple[str, ...], env: dict[str, str],
                     timeout_s: int = 300) -> dict[str, ChapterRun]:
    """Execute ``chapters`` (notebook pages named as in :data:`PAGES`: chapters or top-level pages) in one kernel
    with the ``BOOK_*`` variables ``env`` (the namespace and the data caches reset, and the working directory
    set to the page's folder, before each page) and return each page's run. Errors are recorded, not raised."""
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    cells, owner = [], []
    setup = ("%reset -f\nimport os\nfor _k in ('BOOK_HARDWARE', 'BOOK_MODEL', 'BOOK_DATA_DIR'):\n"
             "    os.environ.pop(_k, None)\nos.environ.update(" + repr(dict(env)) + ")\n"
             "os.chdir(_FOLDER)\nfrom lib import data as _data\n_data.clear_cache()\ndel _data, _k")
    for chapter in chapters:
        path = page_path(chapter)
        notebook = jupytext.read(path)
        cells.append(nbformat.v4.new_code_cell(setup.replace("_FOLDER", repr(str(path.parent)))))
        owner.append(None)
        for cell in notebook.cells:
            cells.append(cell)
            owner.append(chapter)
    combined = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3",
                                                                              "display_name": "Python 3",
                                                                              "language": "python"}})
    NotebookClient(combined, timeout=timeout_s, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(CHAPTERS_DIR)}}).execute()
    runs = {c: ChapterRun(c) for c in chapters}
    for cell, chapter in zip(combined.cells, owner):
        if chapter is None:
            for o in cell.get("outputs", []):
                if o.get("output_type") == "error":
                    raise RuntimeError(f"the matrix setup cell failed: {o.get('ename')}: {o.get('evalue')}")
            continue
        runs[chapter].cells.append(cell)
        for o in cell.get("outputs", []):
            name = (o.get("metadata") or {}).get("scrapbook", {}).get("name")
            if name:
                raw = next(iter(o["data"].values()))
                try:
                    runs[chapter].glue[name] = str(ast.literal_eval(raw))
                except (ValueError, SyntaxError):
                    runs[chapter].glue[name] = raw
    return runs


# -------------------------------------------------------------------------------------------------------------
# What every page must (not) show


#: Calls whose value is a table or a chart on the page.
TABLE_CALLS = {("page", "table"), ("page", "verdicts"), ("page", "ledger_html")}
CHART_CALLS = {("charts", "show")}


def _call_name(node: ast.AST) -> tuple[str, str] | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
        return node.func.value.id, node.func.attr
    return None


def display_calls(chapter: str) -> dict[str, int]:
    """How many tables and charts the chapter's code asks for (calls of ``page.table``, ``page.verdicts``,
    ``page.ledger_html`` and ``charts.show``)."""
    import jupytext

    counts = {"tables": 0, "charts": 0}
    for cell in jupytext.read(page_path(chapter)).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(_python_only(cell.source))):
            name = _call_name(node)
            if name in TABLE_CALLS:
                counts["tables"] += 1
            elif name in CHART_CALLS:
                counts["charts"] += 1
    return counts


def _python_only(source: str) -> str:
    """A cell's source without IPython magics (lines starting with % or !)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


_PLACEHOLDER_VALUES = {"", "—", "–", "-", "never", "nan", "none", "inf", "-inf"}
_BAD_WORDS = (r"\bnan\b", r"\bNaN\b", r"\binf\b", r"\bNone\b(?! of)", r"np\.float64", r"Traceback",
              r"<no glue [^>]+>")


def _vendor_domains(spec: dict) -> list[tuple[list, str]]:
    """(domain, field) of every colour or shape encoding of ``vendor`` with an explicit scale domain."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            enc = node.get("encoding")
            if isinstance(enc, dict):
                for channel in ("color", "shape", "fill", "stroke"):
                    e = enc.get(channel)
                    if isinstance(e, dict) and e.get("field") == "vendor" and "domain" in (e.get("scale") or {}):
                        found.append((e["scale"]["domain"], channel))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return found


def chart_specs(run: ChapterRun) -> list[dict]:
    """The Vega-Lite specs of the page's charts, read back with lib.charts.spec_from_html."""
    from lib.charts import spec_from_html

    specs = []
    pattern = re.compile(r'<script type="[^"]+"(?: data-encoding="([^"]+)")? id="[^"]+-spec">(.*?)</script>', re.S)
    for body in run.html_outputs():
        for match in pattern.finditer(body):
            specs.append(spec_from_html(match.group(2), match.group(1)))
    return specs


def _optional_clause(run: ChapterRun, key: str) -> bool:
    """Whether the prose places the glued ``key`` only as an optional clause: every ``{glue:text}`` role of it is
    written against the word or role before it, with no space ("… peak{glue:text}`key`."), so the value brings
    its own leading space or comma and an empty value leaves the sentence whole. A value glued after a space
    ("costs {glue:text}`key`") is part of the sentence, and an empty one leaves a hole."""
    role = re.compile(r"(.?)\{glue:text\}`" + re.escape(key) + "`", re.S)
    found = [m[1] for cell in run.cells if cell.cell_type == "markdown" for m in role.finditer(cell.source)]
    return bool(found) and all(before != "" and not before.isspace() for before in found)


def page_problems(run: ChapterRun) -> list[str]:
    """Everything wrong with a chapter's page on a selection: errors (an assert must be reported on a reader's
    data, not crash), missing tables or charts, placeholder text, data rendered as markup, vendors dropped
    from a chart's scale."""
    problems = [f"a cell raised {e}" for e in run.errors()[:1]]
    expected = display_calls(run.chapter)
    tables = sum(1 for body in run.html_outputs() if "book-table" in body and "<table" in body)
    charts = sum(body.count('class="book-chart"') for body in run.html_outputs())
    if tables != expected["tables"]:
        problems.append(f"{tables} tables on the page, but the code asks for {expected['tables']}")
    if charts != expected["charts"]:
        problems.append(f"{charts} charts on the page, but the code asks for {expected['charts']}")
    for key, value in run.glue.items():
        if value == "" and _optional_clause(run, key):
            continue  # a clause the page adds only when it applies ("… peak{glue:text}`x`."), empty otherwise
        if value.strip().lower() in _PLACEHOLDER_VALUES or value.strip().lower().startswith("n/a"):
            problems.append(f"glued {key} is the placeholder {value!r}, which a sentence would print")
    text = run.text()
    for pattern in _BAD_WORDS:
        for match in re.finditer(pattern, text):
            problems.append(f"{pattern!r} on the page: …{text[max(0, match.start() - 80):match.end() + 40]}…")
            break
    for body in run.html_outputs():
        visible = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
        problems += [f"data rendered as markup: {bad!r} in an HTML output" for bad in INJECTED if bad in visible]
    for body in run.markdown_outputs():
        problems += [f"data rendered as markup: {bad!r} in a Markdown output" for bad in INJECTED if bad in body]
    for spec in chart_specs(run):
        vendors = {v["vendor"] for rows in spec.get("datasets", {}).values() for v in rows
                   if isinstance(v, dict) and "vendor" in v}
        for domain, channel in _vendor_domains(spec):
            missing = vendors - set(domain)
            if missing:
                problems.append(f"a chart's {channel} scale leaves out vendors {sorted(missing)}: not drawn")
    return problems
