"""The matrix test: every chapter executed on other selections (other models, other accelerators, a reader's
directory with a new vendor whose names carry markup, and every notebook page on a CPU row measured on this
machine), each page checked for what a reader must never see.

The chapters of a selection run in one kernel (tests/matrix.py); each selection's chapters are split into two
halves so that `pytest -n 2 --dist loadgroup` keeps both workers busy.
"""

from __future__ import annotations

import pytest

from matrix import MEASURED_CPU, SELECTIONS, execute_chapters, page_problems

_RUNS: dict[tuple[str, int], dict] = {}


def _halves(chapters: tuple[str, ...]) -> list[tuple[str, ...]]:
    middle = (len(chapters) + 1) // 2
    return [chapters[:middle], chapters[middle:]]


CASES = [pytest.param(sel, half, chapter, id=f"{sel.id}-{chapter}",
                      marks=[pytest.mark.xdist_group(f"matrix-{sel.id}-{half}")]
                      + ([pytest.mark.notebooks] if sel.id == MEASURED_CPU else []))
         for sel in SELECTIONS for half, chapters in enumerate(_halves(sel.chapters)) for chapter in chapters]


@pytest.fixture(scope="session")
def matrix_scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("matrix")


@pytest.mark.parametrize("selection, half, chapter", CASES)
def test_chapter_on_another_selection(selection, half, chapter, matrix_scratch):
    key = (selection.id, half)
    if key not in _RUNS:
        env = selection.environment(matrix_scratch / str(half))
        _RUNS[key] = execute_chapters(_halves(selection.chapters)[half], env)
    problems = page_problems(_RUNS[key][chapter])
    assert not problems, f"{chapter} on {selection.id}:\n  - " + "\n  - ".join(problems)


def test_every_chapter_runs_on_two_selections_and_every_selection_on_several_chapters():
    from matrix import CHAPTERS, PAGES

    for chapter in CHAPTERS:
        assert sum(chapter in s.chapters for s in SELECTIONS) >= 2, chapter
    assert all(len(s.chapters) >= 3 and set(s.chapters) <= set(PAGES) for s in SELECTIONS)


def test_every_notebook_page_runs_on_a_measured_cpu_row():
    """The measured CPU selection (a row written by `python -m lib measure`) runs every notebook page the Makefile
    finds: the chapters and the top-level pages, never skipped."""
    from chapter_runs import notebook_pages
    from matrix import MEASURED_CPU, MEASURED_CPU_NAME

    (selection,) = [s for s in SELECTIONS if s.id == MEASURED_CPU]
    assert selection.hardware == MEASURED_CPU_NAME and selection.data_dir is not None
    assert sorted(selection.chapters) == sorted(p.stem for p in notebook_pages())
    assert {"calculator", "course", "ledger", "measured", "rerun"} <= set(selection.chapters)


def test_the_checks_catch_what_they_look_for():
    """A page with a crash, a missing table, a placeholder, raw markup and a dropped vendor fails each check."""
    import nbformat

    from matrix import ChapterRun

    run = ChapterRun("two-budgets")
    run.glue = {"tb_sweet": "inf", "ok": "3 ms", "never_word": "never", "blank": "", "clause": ""}
    html_table = '<table class="dataframe book-table"><tr><td>x</td></tr></table>'
    spec = ('{"datasets":{"d":[{"vendor":"NVIDIA"},{"vendor":"Acme"}]},"encoding":{"color":{"field":"vendor",'
            '"scale":{"domain":["NVIDIA","AMD","Google"]}}}}')
    chart = f'<div class="book-chart" id="c1"></div><script type="application/json" id="c1-spec">{spec}</script>'
    cell = nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("error", ename="AssertionError", evalue="boom", traceback=[]),
        nbformat.v4.new_output("display_data", data={"text/html": html_table}),
        nbformat.v4.new_output("display_data", data={"text/html": chart}),
        nbformat.v4.new_output("display_data", data={"text/markdown": "ran on <img src=x onerror=1>"}),
        nbformat.v4.new_output("stream", name="stdout", text="ratio nan\n"),
    ])
    run.cells = [nbformat.v4.new_markdown_cell("At {glue:text}`tb_sweet` and {glue:text}`missing`. It costs "
                                               "{glue:text}`blank`, at the peak{glue:text}`clause`."), cell]
    text = "\n".join(page_problems(run))
    for expected in ("AssertionError: boom", "tables on the page", "charts on the page", "'inf'", "'never'",
                     "<no glue", r"\\bnan\\b", "'<img src=x' in a Markdown output", "['Acme']: not drawn",
                     "glued blank is the placeholder ''"):
        assert expected in text, f"{expected!r} not reported in:\n{text}"
    # An empty optional clause, written against the word before it, leaves the sentence whole: not a problem.
    assert "clause" not in text
    run.cells[0] = nbformat.v4.new_markdown_cell("At the peak{glue:text}`clause`, and then {glue:text}`clause`.")
    assert "glued clause is the placeholder ''" in "\n".join(page_problems(run))
