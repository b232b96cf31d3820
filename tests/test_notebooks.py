"""The downloadable notebooks (written by lib.sphinx_ext when the book is built) work outside the repository.

Marked ``book``: they need the built site (notebooks/ and the package in dist/).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

from browser import HTML

pytestmark = pytest.mark.book
NOTEBOOK = "chapters-two-budgets.ipynb"
#: MyST roles, directive fences and equation labels that Jupyter would show as raw text.
RAW_MYST = re.compile(r"\{(?:glue:\w*|eq|ref|numref|doc|footcite(?::t)?|cite(?::\w+)?)\}`|```\{|\$\$\s*\([\w-]+\)|^\([\w-]+\)=",
                      re.M)


def _markdown(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("edition", ["", "student/"])
def test_downloads_are_plain_markdown(edition):
    folder = HTML / "notebooks" / edition
    notebooks = sorted(folder.glob("chapters-*.ipynb"))
    assert len(notebooks) >= 10, f"{folder}: {len(notebooks)} chapter notebooks"
    for path in notebooks:
        text = _markdown(path)
        raw = RAW_MYST.findall(text)
        assert not raw, f"{path.name}: MyST syntax left in the prose: {raw}"
        nb = nbformat.read(path, as_version=4)
        assert "BOOK_PACKAGE" in nb.cells[2].source, f"{path.name}: no setup cell after the title"
        solutions = "**Solution to exercise" in text
        assert solutions == (edition == ""), f"{path.name}: solutions {'missing' if not solutions else 'present'}"


def test_glued_values_and_equation_numbers_in_the_download():
    text = _markdown(HTML / "notebooks" / NOTEBOOK)
    page = (HTML / "chapters" / "two-budgets.html").read_text(encoding="utf-8")
    assert "\\tag{" in text and "(eq-tb" not in text
    # a glued value appears in the download exactly as on the page: "… the KV caches of at most 680 sequences"
    m = re.search(r"KV caches of at most (\S+) sequences", text)
    assert m and f"KV caches of at most {m.group(1)} sequences" in re.sub(r"<[^>]+>", "", page)


def test_downloaded_notebook_runs_in_a_fresh_environment(tmp_path):
    """A fresh virtualenv outside the repository, offline: the setup cell installs the book's wheel from
    BOOK_PACKAGE (dependencies come from this environment's packages, no index), then every cell runs and the
    chart is drawn by Altair's own renderer."""
    wheels = sorted((HTML / "dist").glob("lib-*.whl"))
    assert wheels, "the build wrote no wheel into dist/"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # This environment's third-party packages (numpy, pandas, altair, ipykernel …), as a plain path: .pth files
    # there are not processed, so the repository's editable `lib` is not visible.
    Path(purelib, "book-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "reader"
    work.mkdir()
    notebook = work / NOTEBOOK
    notebook.write_bytes((HTML / "notebooks" / NOTEBOOK).read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOOK_", "PYTHON", "VIRTUAL_ENV", "JUPYTER"))}
    env.update(BOOK_PACKAGE=str(wheels[-1]), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PATH=f"{venv / 'bin'}:{env.get('PATH', '')}")
    runner = ("import nbformat, nbclient, sys; nb = nbformat.read(sys.argv[1], as_version=4); "
              "nbclient.NotebookClient(nb, timeout=300, kernel_name='python3', resources={'metadata': {'path': '.'}})"
              ".execute(); nbformat.write(nb, sys.argv[1])")
    done = subprocess.run([str(python), "-c", runner, str(notebook)], cwd=work, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    nb = nbformat.read(notebook, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    printed = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert f"from {venv}" in printed, f"lib was not imported from the fresh environment: {printed[:500]}"
    charts = [o for o in outputs if "text/html" in o.get("data", {}) and "vegaEmbed" in o["data"]["text/html"]]
    assert charts and all("book-chart" not in o["data"]["text/html"] for o in charts), \
        "no chart drawn by Altair's renderer"
    assert json.dumps(outputs).count('"ename"') == 0
