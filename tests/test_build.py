"""`make book` (lib/build.py): validation first, an execution cache keyed on every input, build aside and swap,
the first real error last; and one real build of one page on a reader's directory, shared by the cache test
and the check that data reach the page only as text."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lib import build

from conftest import ROOT, rewrite_cell
from matrix import HOSTILE_HARDWARE, HOSTILE_MODEL, new_vendor_directory


# -------------------------------------------------------------------------------------------------------------
# The input digest


def fake_repository(root: Path) -> Path:
    for name in ("lib/a.py", "data/hardware.csv", "bib/x.bib", "_static/book-charts.js", "_config.yml", "_toc.yml",
                 "references.bib", "requirements.txt", "pyproject.toml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"{name}\n")
    return root


def test_the_digest_changes_with_every_input_a_page_reads(tmp_path):
    root = fake_repository(tmp_path / "repo")
    reader = tmp_path / "my-data"
    reader.mkdir()
    (reader / "hardware.csv").write_text("name,hbm_capacity_GB\nX,80\n")
    env = {"BOOK_HARDWARE": "X", "PATH": "/bin"}
    base = build.inputs_digest(root, None, reader, env)
    assert build.inputs_digest(root, None, reader, env) == base
    edits = [root / "lib/a.py", root / "data/hardware.csv", root / "bib/x.bib", root / "_static/book-charts.js",
             root / "_config.yml", root / "_toc.yml", root / "requirements.txt", reader / "hardware.csv"]
    for path in edits:
        saved = path.read_text()
        path.write_text(saved + "changed\n")
        assert build.inputs_digest(root, None, reader, env) != base, f"an edit to {path.name} went unnoticed"
        path.write_text(saved)
    assert build.inputs_digest(root, None, reader, env) == base
    (reader / "prices.csv").write_text("new table\n")                      # a table added to the reader's dir
    assert build.inputs_digest(root, None, reader, env) != base
    (reader / "prices.csv").unlink()
    assert build.inputs_digest(root, None, reader, {**env, "BOOK_MODEL": "Y"}) != base
    assert build.inputs_digest(root, None, reader, {**env, "PATH": "/usr/bin"}) == base  # not an input
    (root / "lib" / "__pycache__").mkdir()
    (root / "lib" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")  # not an input either
    assert build.inputs_digest(root, None, reader, env) == base


# -------------------------------------------------------------------------------------------------------------
# The first real error of a failed build

FAILED_LOG = textwrap.dedent("""\
    [IPKernelApp] WARNING | Kernel is running over TCP without encryption.
    \x1b[91m/repo/chapters/context-plateau.md: WARNING: Executing notebook failed: CellExecutionError\x1b[39;49;00m
    Traceback (most recent call last):
      File "/repo/.venv/lib/python3.11/site-packages/nbclient/client.py", line 918, in _check_raise_for_error
        raise CellExecutionError.from_cell_and_msg(cell, exec_reply_content)
    nbclient.exceptions.CellExecutionError: An error occurred while executing the following cell:
    ------------------
    from lib import charts
    charts.show(chart(hw), "a chart")
    ------------------


    \x1b[31m---------------------------------------------------------------------------\x1b[39m
    \x1b[31mValueError\x1b[39m                                Traceback (most recent call last)
    Cell In[5], line 2
          1 from lib import charts
    ----> 2 charts.show(chart(hw), "a chart")

    File /repo/lib/roofline.py:195, in decode_step(hw, model, batch)
        194 if batch_arr.min() < 1:
    --> 195     raise ValueError(f"batch must be ≥ 1 sequence; got min {batch_arr.min():g}")

    \x1b[31mValueError\x1b[39m: batch must be ≥ 1 sequence; got min 0.295224

     [mystnb.exec]
    /repo/chapters/context-plateau.md:130: WARNING: No key 'cp_hw' found in glue data for this document. [mystnb.glue]
    /repo/chapters/racks.md: WARNING: Executing notebook failed: CellExecutionError
    build finished with problems, 41 warnings.
    """)


def test_first_error_names_the_page_the_cell_line_and_the_exception():
    text = build.first_error(FAILED_LOG, Path("/repo"))
    lines = text.splitlines()
    assert lines[0] == "First error, executing chapters/context-plateau.md:"
    assert any("----> 2 charts.show(chart(hw)" in line for line in lines)
    assert lines[-1] == "ValueError: batch must be ≥ 1 sequence; got min 0.295224"
    assert "\x1b" not in text and "racks" not in text and "No key" not in text
    assert build._failed_pages(FAILED_LOG, Path("/repo")) == ["chapters/context-plateau.md", "chapters/racks.md"]


def test_first_error_falls_back_to_the_first_sphinx_warning():
    log = "[IPKernelApp] WARNING | Kernel\n/repo/chapters/a.md:34: WARNING: Unknown source document 'x'\n"
    assert build.first_error(log, Path("/repo")) == "First error, in chapters/a.md:34:\nUnknown source document 'x'"


# -------------------------------------------------------------------------------------------------------------
# Build aside, swap on success (with a stand-in for Jupyter Book)


def stand_in(output: Path, index: str, fail: bool = False) -> list[str]:
    """A command that writes a site into the stage as Jupyter Book would, then succeeds or fails."""
    script = textwrap.dedent(f"""\
        import pathlib, sys
        html = pathlib.Path({str(output / build.STAGE / "_build" / "html")!r})
        print("copied from the last build:", sorted(p.name for p in html.glob("*")) if html.exists() else [])
        html.mkdir(parents=True, exist_ok=True)
        (html / "index.html").write_text({index!r})
        if {fail!r}:
            print("/repo/chapters/a.md: WARNING: Executing notebook failed: CellExecutionError")
            print("---------------------------------------------------------------------------")
            print("KeyError                                  Traceback (most recent call last)")
            print("Cell In[3], line 1")
            print("----> 1 rows['x']")
            print("")
            print("KeyError: 'x'")
            print(" [mystnb.exec]")
            sys.exit(1)
        """)
    return [sys.executable, "-c", script]


def run_build(output: Path, command: list[str]) -> tuple[int, str]:
    import io

    out = io.StringIO()
    code = build.build(ROOT, output, command=command, out=out)
    return code, out.getvalue()


def test_a_failed_build_leaves_the_previous_site_and_ends_with_its_first_error(tmp_path):
    code, _ = run_build(tmp_path, stand_in(tmp_path, "good site"))
    assert code == 0 and (tmp_path / "_build/html/index.html").read_text() == "good site"
    assert (tmp_path / "_build" / build.DIGEST).is_file() and not (tmp_path / build.STAGE).exists()
    code, output = run_build(tmp_path, stand_in(tmp_path, "half-built site", fail=True))
    assert code == 1
    assert (tmp_path / "_build/html/index.html").read_text() == "good site"     # untouched
    assert not (tmp_path / build.STAGE).exists()                               # no half-built site left
    assert output.rstrip().splitlines()[-1] == "KeyError: 'x'"                # the error is the last line
    assert "----> 1 rows['x']" in output and "the previous site in _build/html is unchanged" in output


def test_unchanged_inputs_reuse_the_last_build_and_changed_inputs_start_afresh(tmp_path, monkeypatch, data_copy):
    assert run_build(tmp_path, stand_in(tmp_path, "first"))[0] == 0
    assert run_build(tmp_path, stand_in(tmp_path, "second"))[0] == 0
    assert "copied from the last build: ['index.html']" in (tmp_path / build.LOG).read_text()
    monkeypatch.setenv("BOOK_DATA_DIR", str(data_copy))                      # a reader's directory: new inputs
    assert run_build(tmp_path, stand_in(tmp_path, "third"))[0] == 0
    assert "copied from the last build: []" in (tmp_path / build.LOG).read_text()
    rewrite_cell(data_copy / "hardware.csv", "H100 SXM", "hbm_capacity_GB", "96")  # one cell of it
    assert run_build(tmp_path, stand_in(tmp_path, "fourth"))[0] == 0
    assert "copied from the last build: []" in (tmp_path / build.LOG).read_text()
    assert (tmp_path / "_build/html/index.html").read_text() == "fourth"


def make_book(output: Path, env: dict[str, str], toc: Path | None = None) -> subprocess.CompletedProcess:
    """`make book` as a reader runs it, with its output in ``output`` (and another table of contents)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BOOK_")} | env
    command = ["make", "--no-print-directory", "book", f"OUTPUT={output}"] + ([f"TOC={toc}"] if toc else [])
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)


def test_make_book_validates_the_data_first_and_stops_with_the_report(tmp_path, data_copy):
    rewrite_cell(data_copy / "hardware.csv", "H100 SXM", "hbm_bandwidth_TBps", "3700")
    result = make_book(tmp_path, {"BOOK_DATA_DIR": str(data_copy)})
    assert result.returncode != 0
    assert "3700 TB/s — did you mean 3.7" in result.stdout.rstrip().splitlines()[-1]
    assert not (tmp_path / "_build").exists() and not (tmp_path / build.STAGE).exists()
    result = make_book(tmp_path, {"BOOK_MODEL": "GPT-9"})
    assert result.returncode != 0 and "unknown model 'GPT-9'" in result.stdout.rstrip().splitlines()[-1]


# -------------------------------------------------------------------------------------------------------------
# One real build of one page on a reader's directory, shared by the tests below

PAGE = "chapters/overtrained-100x"  # a chapter that links to no other page (keep it so), so it builds alone
#: The tests that read the one-page book share one worker under `pytest -n 2 --dist loadgroup`: the module fixture
#: then builds it once (split across the workers, each built it, two `make book` runs each).
ONE_PAGE_BOOK = pytest.mark.xdist_group("one-page-book")


@pytest.fixture(scope="module")
def one_page_book(tmp_path_factory):
    """`make book` of one page on a reader's directory (a new vendor's accelerator and a model whose names and
    sources carry markup and script), then one cell of that directory changed and `make book` again. Yields
    the two pages' HTML and the output folder."""
    scratch = tmp_path_factory.mktemp("one-page-book")
    reader = new_vendor_directory(scratch / "my-data")
    toc = scratch / "toc.yml"
    toc.write_text(f"format: jb-book\nroot: {PAGE}\n")
    env = {"BOOK_DATA_DIR": str(reader), "BOOK_HARDWARE": HOSTILE_HARDWARE, "BOOK_MODEL": HOSTILE_MODEL}
    first = make_book(scratch, env, toc)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    before = (scratch / "_build" / "html" / f"{PAGE}.html").read_text(encoding="utf-8")
    rewrite_cell(reader / "models.csv", HOSTILE_MODEL, "training_tokens_T", "7.5")  # was blank
    second = make_book(scratch, env, toc)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-2000:]
    after = (scratch / "_build" / "html" / f"{PAGE}.html").read_text(encoding="utf-8")
    yield {"before": before, "after": after, "output": scratch, "first": first.stdout, "second": second.stdout}
    shutil.rmtree(scratch, ignore_errors=True)


def _tokens_row(page: str) -> re.Match | None:
    """The row of the page's table of models with training tokens that shows the selected model, if any."""
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
    return re.search(re.escape(HOSTILE_MODEL) + r" (\S+) (\S+T) ", text)


@ONE_PAGE_BOOK
def test_an_edited_cell_of_the_readers_directory_reaches_the_page(one_page_book):
    # gpt-oss-120b publishes no training tokens: the page leaves the model out of its table of models...
    assert "executing every page" in one_page_book["first"]
    assert _tokens_row(one_page_book["before"]) is None
    # ... until the reader types them into their models.csv, and `make book` executes the page again.
    assert "executing every page" in one_page_book["second"]
    row = _tokens_row(one_page_book["after"])
    assert row is not None and row[2] == "7.5T", "the page still shows the old data"


@ONE_PAGE_BOOK
def test_the_page_is_executed_in_the_parallel_phase_and_myst_nb_finds_it_in_the_cache(one_page_book):
    from lib import preexecute

    # The log of the second build, which executed every page again: the page went through lib.preexecute (read
    # as MyST-NB reads it, hide-input tags included), and MyST-NB's cache lookup matched it.
    log = (one_page_book["output"] / build.LOG).read_text(encoding="utf-8")
    assert f"{preexecute.LOG_PREFIX} {PAGE} executed in" in log, log[-3000:]
    assert f"{ROOT / PAGE}.md: Using cached notebook" in log and "Executing notebook" not in log


@ONE_PAGE_BOOK
def test_no_page_runs_what_a_csv_cell_says(one_page_book):
    from browser import browser, chromium_path, serve

    page_html = one_page_book["after"]
    visible = re.sub(r"<script.*?</script>", " ", page_html, flags=re.S)
    assert "<img src=x" not in visible and "<b onmouseover" not in visible and "<script>document.title" not in visible
    assert "Acme A1 &lt;img src=x" in visible                       # shown, as text
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI")
        pytest.skip("Chromium not installed")
    with serve(one_page_book["output"] / "_build" / "html") as url, browser() as b:
        page = b.new_page()
        page.goto(url + f"{PAGE}.html", wait_until="load")
        page.wait_for_timeout(1500)                                 # charts drawn, handlers had their chance
        title = page.title()
        for element in page.locator(".book-chart svg.marks").all()[:3]:
            element.hover()                                         # tooltips render the names too
        injected = page.evaluate("document.querySelectorAll('img[src=\"x\"], b[onmouseover]').length")
        scripts = page.evaluate("Array.from(document.scripts).filter(s => s.text.includes(\"title='pwned'\")"
                                " && !s.text.includes('vegaEmbed')).length")
        text = page.locator("main").inner_text()
        assert page.title() == title and "pwned" not in title
        assert injected == 0 and scripts == 0
        assert HOSTILE_HARDWARE in text                             # the name, as the reader typed it


@ONE_PAGE_BOOK
def test_the_page_on_a_readers_rows_lays_out_at_both_widths(one_page_book):
    """The browser's layout checks (tests/browser.py inspect) on the page built from a reader's rows, whose long
    accelerator name runs through titles, legends and labels: nothing wider than the viewport, no chart text cut
    off or overprinting, no axis labels run together, no equation number over its equation, at 1280 and 390 px."""
    from browser import browser, chromium_path, inspect, serve

    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI")
        pytest.skip("Chromium not installed")
    with serve(one_page_book["output"] / "_build" / "html") as url, browser() as b:
        report = inspect(b, url, f"{PAGE}.html", controls=False, phone_width=390)
    assert report.charts and report.charts_drawn == report.charts == report.phone_charts_drawn
    assert report.scroll_width <= 1280 and report.phone_scroll_width <= 390
    problems = (report.text_cut + report.phone_text_cut + report.label_overlaps + report.phone_ticks_crowded
                + report.equation_overlaps)
    assert not problems, problems


def test_compact_js_drops_comments_and_indentation_only():
    """lib.sphinx_ext.compact_js (the built copy of the chart renderer): comment lines, the leading block comment
    and indentation go; every statement stays, in order, and the renderer still parses (where Node is installed)."""
    from lib.sphinx_ext import compact_js

    source = "/* head\n * more */\n(function () {\n  // a note\n  var a = 1;  // kept: code first\n\n  return a;\n})();\n"
    assert compact_js(source) == "(function () {\nvar a = 1;  // kept: code first\nreturn a;\n})();\n"
    renderer = (ROOT / "_static" / "book-charts.js").read_text(encoding="utf-8")
    compact = compact_js(renderer)
    assert len(compact) < 0.8 * len(renderer) and "function fitted(chart, width)" in compact
    if shutil.which("node"):
        subprocess.run(["node", "--check", "-"], input=compact, text=True, check=True, capture_output=True)


def test_compact_css_drops_comments_and_whitespace_only():
    """lib.sphinx_ext.compact_css (the built copies of MyST-NB's and Sphinx's unminified sheets): comments, blank
    lines and indentation go; every rule stays, in order."""
    from lib.sphinx_ext import compact_css

    source = "/* a sheet\n   of rules */\ndiv.cell {\n    margin: 0; /* why */\n}\n\n\na::before { content: \"x\"; }\n"
    assert compact_css(source) == "div.cell {\nmargin: 0;\n}\na::before { content: \"x\"; }\n"
    import myst_nb

    sheet = next((Path(myst_nb.__file__).parent / "static").glob("mystnb*.css")).read_text(encoding="utf-8")
    compact = compact_css(sheet)
    assert len(compact) < 0.95 * len(sheet)
    assert re.findall(r"[^{}]+{", compact) and compact.count("{") == re.sub(r"/\*.*?\*/", "", sheet, flags=re.S).count("{")
