"""Executing the book's notebook pages on other data: a helper for tests that run every chapter on a selection.

``measured_cpu_data_dir`` builds a data directory holding a '(measured)' row of this machine's CPU (a small,
fast benchmark); ``notebook_pages`` lists every page with executable cells. The matrix test (tests/matrix.py)
runs every page on the measured row as one of its selections.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def notebook_pages() -> list[Path]:
    """Every page with executable cells (a Jupytext front matter with a kernelspec), as the Makefile finds them."""
    pages = sorted(ROOT.glob("*.md")) + sorted((ROOT / "chapters").glob("*.md"))
    return [p for p in pages if "\nkernelspec:" in p.read_text(encoding="utf-8").split("\n---", 2)[0]]


#: One core for the benchmark in tests: STREAM threads and the BLAS library's threads (the machine is shared).
ONE_CORE = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_measure_cli(*args: str) -> subprocess.CompletedProcess:
    """``python -m lib measure --threads 1 ARGS`` in a subprocess limited to one core; raises on failure."""
    env = {**os.environ, **ONE_CORE}
    return subprocess.run([sys.executable, "-m", "lib", "measure", "--threads", "1", "--quiet", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True)


def measured_cpu_data_dir(target: Path, name: str = "Test CPU (measured)") -> tuple[Path, str]:
    """Run ``python -m lib measure`` with small arrays and matrices (about a second, one core) into ``target``:
    a new data directory made of the book's hardware.csv and models.csv plus the measured CPU row named
    ``name``. Returns the directory and the row's name."""
    run_measure_cli("--out", str(target), "--name", name, "--array-MiB", "32", "--matmul-n", "512",
                    "--repetitions", "3")
    return target, name


__all__ = ["ONE_CORE", "measured_cpu_data_dir", "notebook_pages", "run_measure_cli"]
