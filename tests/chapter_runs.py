"""Executing the book's notebook pages on other data: a helper for tests that run every chapter on a selection.

``measured_cpu_data_dir`` builds a data directory holding a '(measured)' row of this machine's CPU (a small,
fast benchmark); ``execute_page`` runs one page (Jupytext MyST → nbclient) with ``BOOK_*`` variables set,
as ``make book`` would. The matrix test of other selections can reuse both.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def notebook_pages() -> list[Path]:
    """Every page with executable cells (a Jupytext front matter with a kernelspec), as the Makefile finds them."""
    pages = sorted(ROOT.glob("*.md")) + sorted((ROOT / "chapters").glob("*.md"))
    return [p for p in pages if "\nkernelspec:" in p.read_text(encoding="utf-8").split("\n---", 2)[0]]


def measured_cpu_data_dir(target: Path, name: str | None = None) -> tuple[Path, str]:
    """Write a measured CPU row (small arrays and matrices: about a second) into ``target``, a new data directory
    made of the book's hardware.csv and models.csv plus that row. Returns the directory and the row's name."""
    from lib import measure

    backend = measure.NumpyBackend()
    try:
        result = measure.measure(backend, repetitions=3, array_bytes=32 * measure.MIB, matmul_n=512,
                                 command="python -m lib measure --device cpu (test fixture)")
    finally:
        backend.release()
    row = measure.hardware_row(result, name)
    measure.write_row(row, target)
    return target, row["name"]


def execute_page(page: Path, env: dict[str, str], timeout_s: int = 300) -> None:
    """Execute one notebook page with ``env`` added to the kernel's environment; an error names the cell."""
    import jupytext
    from nbclient import NotebookClient

    notebook = jupytext.read(page)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = NotebookClient(notebook, timeout=timeout_s, kernel_name="python3",
                                resources={"metadata": {"path": str(page.parent)}})
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


__all__ = ["execute_page", "measured_cpu_data_dir", "notebook_pages"]
