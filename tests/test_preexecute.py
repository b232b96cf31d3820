"""lib/preexecute.py: the notebook pages are executed side by side into MyST-NB's cache before Sphinx reads them;
MyST-NB then uses the cache for each page that succeeded, and executes a failing page itself and reports its error
as before. A small Sphinx project of three notebook pages (the book's own build checks the same on a chapter in
tests/test_build.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lib import build, preexecute

from conftest import ROOT

CONF = """\
extensions = ["myst_nb", "lib.preexecute"]
nb_execution_mode = "cache"
nb_execution_timeout = 60
nb_execution_allow_errors = False
nb_execution_show_tb = True
nb_execution_excludepatterns = ["skipped.md"]  # MyST-NB does not execute it, nor does lib.preexecute
preexecute_alone = ["alone"]  # executed before the others, with no kernel beside it
exclude_patterns = ["_build"]
"""

HEADER = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---
"""

# Each of the two pages waits (up to 30 s) for the other to have started: they pass only when run side by side.
RENDEZVOUS = """\
# Page {me}

```{{code-cell}} ipython3
import pathlib, time
pathlib.Path("{me}.started").write_text("")
deadline = time.monotonic() + 30
while not pathlib.Path("{other}.started").exists() and time.monotonic() < deadline:
    time.sleep(0.05)
print("{me} ran alongside", "{other}" if pathlib.Path("{other}.started").exists() else "nobody")
```
"""

# Executed alone: while it runs (half a second), neither rendezvous page has started.
ALONE = """\
# A page that runs alone

```{code-cell} ipython3
import pathlib, time
time.sleep(0.5)
print("alone beside", sorted(p.name for p in pathlib.Path(".").glob("*.started")) or "nobody")
```
"""

FAILING = """\
# A failing page

```{code-cell} ipython3
rows = {"y": 1}
rows["x"]
```
"""


def sphinx_project(folder: Path) -> Path:
    folder.mkdir()
    (folder / "conf.py").write_text(CONF)
    (folder / "index.md").write_text("# Index\n\n```{toctree}\nalone\na\nb\nbad\nskipped\n```\n")
    (folder / "a.md").write_text(HEADER + RENDEZVOUS.format(me="a", other="b"))
    (folder / "b.md").write_text(HEADER + RENDEZVOUS.format(me="b", other="a"))
    (folder / "bad.md").write_text(HEADER + FAILING)
    (folder / "alone.md").write_text(HEADER + ALONE)
    (folder / "skipped.md").write_text(HEADER + "# Not executed\n\n```{code-cell} ipython3\nprint(\"ran\")\n```\n")
    return folder


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="pages run side by side only with two CPUs or more")
def test_pages_execute_side_by_side_myst_nb_uses_the_cache_and_reports_a_failing_page_itself(tmp_path):
    source = sphinx_project(tmp_path / "project")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-E", "-W", "--keep-going", str(source),
                             str(out / "html")], env=env, capture_output=True, text=True, timeout=300)
    log = result.stdout + result.stderr
    assert f"{preexecute.LOG_PREFIX} executing 4 notebook page(s): 1 alone, then the rest 2 at a time" in log, \
        log[-3000:]
    assert "alone beside nobody" in (out / "html" / "alone.html").read_text(encoding="utf-8")
    # Both pages ran at once in the parallel phase, were stored, and MyST-NB executed neither of them again.
    for page, other in (("a", "b"), ("b", "a")):
        assert f"{preexecute.LOG_PREFIX} {page} executed in" in log, log[-3000:]
        assert f"{source / page}.md: Using cached notebook" in log, log[-3000:]
        assert f"{source / page}.md: Executing notebook" not in log
        assert f"{page} ran alongside {other}" in (out / "html" / f"{page}.html").read_text(encoding="utf-8")
    # The failing page was not stored: MyST-NB executed it itself and reported its error as it always has.
    assert f"{preexecute.LOG_PREFIX} bad failed (CellExecutionError)" in log
    assert f"{source / 'bad'}.md: Executing notebook using local CWD" in log
    assert f"{preexecute.LOG_PREFIX} skipped" not in log and "Excluded from execution" in log
    assert result.returncode != 0
    assert build._failed_pages(log, source) == ["bad.md"]
    error = build.first_error(log, source).splitlines()
    assert error[0] == "First error, executing bad.md:" and error[-1] == "KeyError: 'x'"
    assert any("----> 2 rows[\"x\"]" in line for line in error)
    from jupyter_cache import get_cache

    cached = sorted(Path(r.uri).name for r in get_cache(out / ".jupyter_cache").list_cache_records())
    assert cached == ["a.md", "alone.md", "b.md"]
