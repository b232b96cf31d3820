"""Shared fixtures: a copy of the book's data directory that a test may corrupt."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from lib import data

ROOT = Path(__file__).resolve().parent.parent


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Keep `pytest -n 2 --dist loadgroup` grouping the tests marked ``xdist_group`` on one worker.

    pytest-xdist 3.8 names a test's group by appending "@group" to ``item._nodeid``, which pytest 9.2 no longer
    reads (node ids are structured there: pytest-dev/pytest-xdist#1386). The groups were then silently ignored:
    the tests of a group went to both workers, and each worker repeated the group's shared setup (a matrix half's
    kernel run, the one-page book's two builds). On a worker, write the suffix into the id pytest 9.2 reads (its
    string form; the scheduler splits it off again); stop if it does not take."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        if not names:
            continue
        suffix = "@" + "_".join(names)
        node_id = getattr(item, "_id", None)
        if not item.nodeid.endswith(suffix) and dataclasses.is_dataclass(node_id):
            grouped = dataclasses.replace(node_id)
            object.__setattr__(grouped, "_str_cache", str(node_id) + suffix)
            item._id = grouped
        if not item.nodeid.endswith(suffix):
            raise pytest.UsageError(f"--dist loadgroup: cannot put {item.nodeid} in its group {suffix[1:]} "
                                    "(see tests/conftest.py)")


@pytest.fixture(autouse=True)
def _no_selection_env(monkeypatch):
    """Tests run on the book's defaults unless they set the BOOK_* variables themselves."""
    for name in (data.ENV_DATA_DIR, data.ENV_HARDWARE, data.ENV_MODEL):
        monkeypatch.delenv(name, raising=False)
    data.clear_cache()
    yield
    data.clear_cache()


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of data/ (every table)."""
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


def rewrite_cell(path: Path, row_name: str, column: str, value: str) -> None:
    """Set one cell of a CSV (found by the row's first cell and the column name), keeping everything else."""
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    col = rows[0].index(column)
    hits = [r for r in rows[1:] if r and r[0] == row_name]
    assert hits, f"no row {row_name!r} in {path}"
    hits[0][col] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


# Rows many tests use, from the book's own data.
@pytest.fixture
def h100():
    return data.get_hardware("H100 SXM")


@pytest.fixture
def dsv3():
    return data.get_model("DeepSeek-V3")


@pytest.fixture
def llama70():
    return data.get_model("Llama 3.1 70B")


@pytest.fixture
def llama405():
    return data.get_model("Llama 3.1 405B")


@pytest.fixture
def gptoss():
    return data.get_model("gpt-oss-120b")

