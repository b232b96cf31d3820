"""`make bench`: how fast the book builds and how heavy its pages are, against the targets.

Times a clean build (every chapter executed, HTML written) and a no-change rebuild (Jupyter Book's execution
cache and Sphinx's environment reused), both through `make book`'s driver (``python -m lib.build``), measures the
largest page and the size of the HTML output without the shared JavaScript and theme files (``_static/``), times a
1,000 × 1,000 roofline grid in `lib`, times the slowest of train-20ms's continuous-batching runs on a model with
full attention and on one with sliding windows, and times the calculator page's redraw after each of a series of
input changes, as the page measures it in headless Chromium. Builds go to a scratch folder, so the working
`_build/` is left alone. Prints a Markdown table.
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
           "calculator redraw": 100.0, "batching run": 1.0}


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


#: The models the batching runs are timed on: full attention (one running sum), and alternating 128-token windows
#: and full layers (two affine pieces of A_dec, seats crossing the kink), as train-20ms runs them.
BATCHING_MODELS = ("DeepSeek-V3", "gpt-oss-120b")


def batching_seconds(model_name: str) -> float:
    """The slowest of train-20ms's continuous-batching runs (3,000 requests; light load is the most steps)."""
    from lib import batching, data

    hw, model = data.get_hardware("H100 SXM"), data.get_model(model_name)
    conv = batching.load_length_distributions()["Azure 2023 conversation"]
    worst = 0.0
    for scale, budget in ((1.0, 8192.0), (4.0, 8192.0), (4.0, float("inf"))):
        rep = batching.replica(hw, model, conv, scale, token_budget=budget)
        for load in (0.2, 0.8, 1.05):
            start = time.perf_counter()
            batching.simulate_load(rep, conv, load, 3000, seed=1, prompt_scale=scale)
            worst = max(worst, time.perf_counter() - start)
    return worst


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
    runs = {name: batching_seconds(name) for name in BATCHING_MODELS}
    rows = [
        ("clean build (all chapters executed)", f"{clean:.1f} s", "≤ 60 s", clean <= TARGETS["clean build"]),
        ("no-change rebuild", f"{rebuild:.1f} s", "≤ 10 s", rebuild <= TARGETS["no-change rebuild"]),
        (f"largest page ({largest_name})", f"{largest_bytes / 1e3:.0f} kB", "≤ 1 MB",
         largest_bytes <= TARGETS["largest page"]),
        ("HTML output without _static/", f"{content / 1e6:.2f} MB", "—", True),
        ("shared _static/ (Vega, MathJax, theme)", f"{shared / 1e6:.1f} MB", "—", True),
        ("1,000 × 1,000 roofline grid", f"{grid * 1e3:.0f} ms", "≤ 100 ms", grid <= TARGETS["roofline grid"]),
    ]
    rows += [(f"slowest continuous-batching run (3,000 requests, {name})", f"{run * 1e3:.0f} ms", "≤ 1 s",
              run <= TARGETS["batching run"]) for name, run in runs.items()]
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
