"""Every table and chart a chapter's code asks for reaches its page.

A call of ``page.table``, ``page.verdicts``, ``page.ledger_html`` or ``charts.show`` draws something only when
its value is displayed: as the last expression of its cell, or inside ``display(...)``. Inside an ``if``, a
loop or a function it may silently not happen (four tables once never reached their pages while the prose
quoted them), and in a cell tagged ``remove-cell`` or ``remove-output`` it never shows. So each such call
must be a statement of its cell's top level that displays its value, in a cell whose output is kept.
"""

from __future__ import annotations

import ast

import jupytext
import pytest

from matrix import CHAPTERS, CHAPTERS_DIR, CHART_CALLS, TABLE_CALLS, _call_name, _python_only

HIDDEN = {"remove-cell", "remove-output"}


def _is_display_call(node: ast.AST) -> bool:
    return _call_name(node) in TABLE_CALLS | CHART_CALLS


def _displayed(statement: ast.stmt, last: bool) -> bool:
    """A top-level statement that displays a table or chart call: ``display(call)``, or ``call`` as the last
    statement of the cell."""
    if not isinstance(statement, ast.Expr):
        return False
    value = statement.value
    if _is_display_call(value):
        return last
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "display"
            and len(value.args) == 1 and _is_display_call(value.args[0]))


def undisplayed_calls(chapter: str) -> list[str]:
    """Each table or chart call of ``chapter`` that may not reach the page, with its line and why."""
    notebook = jupytext.read(CHAPTERS_DIR / f"{chapter}.md")
    found = []
    for number, cell in enumerate(notebook.cells, 1):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(_python_only(cell.source))
        tags = set(cell.metadata.get("tags", []))
        good = set()
        for i, statement in enumerate(tree.body):
            if _displayed(statement, last=i == len(tree.body) - 1):
                call = statement.value if _is_display_call(statement.value) else statement.value.args[0]
                good.add(id(call))
        for node in ast.walk(tree):
            if not _is_display_call(node):
                continue
            where = f"{chapter}, cell {number}: {ast.unparse(node)[:70]}"
            if id(node) not in good:
                found.append(f"{where} — not displayed at the top level of its cell (inside a block, or not last)")
            elif tags & HIDDEN:
                found.append(f"{where} — its cell is tagged {sorted(tags & HIDDEN)}")
    return found


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_table_and_chart_call_reaches_the_page(chapter):
    assert not undisplayed_calls(chapter), "\n".join(undisplayed_calls(chapter))


def test_the_check_finds_a_table_inside_an_if(tmp_path, monkeypatch):
    front = (CHAPTERS_DIR / "two-budgets.md").read_text().split("\n---\n", 1)[0] + "\n---\n"
    (tmp_path / "x.md").write_text(
        front + "```{code-cell} python\nif rows:\n    page.table(rows)\n```\n"
        "```{code-cell} python\npage.table(a)\nx = 1\n```\n"
        "```{code-cell} python\ndisplay(page.table(a))\ncharts.show(c, 'd')\n```\n")
    monkeypatch.setitem(globals(), "CHAPTERS_DIR", tmp_path)
    problems = undisplayed_calls("x")
    assert len(problems) == 2 and "cell 1" in problems[0] and "cell 2" in problems[1]
