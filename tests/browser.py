"""Open built pages in headless Chromium (Debian's package) with every request off this machine blocked.

Used by the browser tests and by ``python tests/browser.py PAGE.html OUT.png`` for screenshots.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
#: axe-core, installed by `make test` (tests/node/package.json pins it) into a git-ignored folder.
AXE = ROOT / "tests" / "node" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def chromium_path() -> str | None:
    """The Chromium executable, or None when it is not installed."""
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@contextlib.contextmanager
def serve(directory: Path = HTML):
    """Serve ``directory`` on 127.0.0.1 on a free port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@dataclass
class PageReport:
    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    charts: int = 0
    charts_drawn: int = 0
    controls: int = 0
    controls_working: int = 0  # charts whose drawing changed when their first control was moved
    h1_count: int = 0
    text: str = ""
    bytes_loaded: int = 0  # all responses of the first load, uncompressed
    scroll_width: int = 0  # the document's width: wider than the viewport means the page scrolls sideways
    chart_text: list[str] = field(default_factory=list)  # every text drawn in the charts (labels, titles)
    axe: list[dict] = field(default_factory=list)  # axe-core violations (id, impact, nodes) when asked for
    phone_scroll_width: int = 0  # the document's width once the viewport is narrowed to a phone's
    phone_charts_drawn: int = 0
    label_overlaps: list[str] = field(default_factory=list)  # point labels drawn over each other (both widths)
    equation_overlaps: list[str] = field(default_factory=list)  # equation numbers over their equation (both widths)
    text_cut: list[str] = field(default_factory=list)  # chart titles, legends, axis titles cut off at the first width
    axis_labels: int = 0  # axis labels the checks above saw (none on a page with charts: the selectors went stale)
    phone_text_cut: list[str] = field(default_factory=list)  # chart titles, legends, axis titles cut off on a phone
    phone_ticks_crowded: list[str] = field(default_factory=list)  # an axis's labels run together on a phone


#: What the page checks below share: a text Vega draws (not empty, not thinned to opacity 0), the drawn boxes of
#: such texts under a root, and how far two boxes overlap along x and along y (negative: the gap between them).
_TEXT_BOXES_JS = """
    const visible = t => t.textContent.trim() && getComputedStyle(t).opacity !== '0' &&
                         t.getAttribute('opacity') !== '0';
    const boxes = (root, selector) => Array.from(root.querySelectorAll(selector)).filter(visible)
        .map(t => [t.textContent, t.getBoundingClientRect()]);
    const overlap = (r, q) => [Math.min(r.right, q.right) - Math.max(r.left, q.left),
                               Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top)];
"""


def _page_check(body: str) -> str:
    """A check for ``page.evaluate``: ``body``, which returns the list of problems it found, after the helpers."""
    return "() => {" + _TEXT_BOXES_JS + body + "}"


#: Pairs of texts drawn in a chart's plot whose boxes overlap, per chart: the point labels lib.figures.labels
#: places (the layer it names "point_labels") and every other text mark (labels a chart places itself, rule and
#: curve labels); axis labels, legends and titles are Vega's own and not counted.
LABEL_OVERLAPS_JS = _page_check("""
    const out = [];
    document.querySelectorAll('.book-chart').forEach(chart => {
        const texts = boxes(chart, 'g.mark-text.role-mark text');
        for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
            const [a, r] = texts[i], [b, q] = texts[j], [dx, dy] = overlap(r, q);
            if (dx > 0.5 && dy > 0.5) out.push(chart.id + ': "' + a + '" over "' + b + '"');
        }
    });
    return out;
""")


#: Display equations whose number ("(7)", span.eqno) is drawn over the equation: the number's box against the
#: equation's scroll box (mjx-container) and against the whole typeset formula (mjx-math, which extends under
#: anything beside a box it overflows).
EQUATION_OVERLAPS_JS = _page_check("""
    const out = [];
    document.querySelectorAll('div.math').forEach(d => {
        const n = d.querySelector(':scope > span.eqno'), m = d.querySelector('mjx-container');
        if (!n || !m) return;
        const r = n.getBoundingClientRect();
        [m, m.querySelector('mjx-math')].filter(e => e).forEach(e => {
            const [dx, dy] = overlap(r, e.getBoundingClientRect());
            if (dx > 0.5 && dy > 0.5) out.push(d.id + ': number ' + n.textContent.replace('#', '').trim() + ' over '
                + e.tagName.toLowerCase() + ' (' + Math.round(dx) + ' x ' + Math.round(dy) + ' px)');
        });
    });
    return out;
""")


#: A chart's text that is cut off: any text (titles, legends, axis titles and labels, labels in the plot) drawn
#: (partly) outside the chart's visible box (its SVG as shown, within the chart's own box); or a title, legend or
#: axis title shortened by Vega with an ellipsis (long axis labels may be shortened: the tooltip names them).
CHART_TEXT_CUT_JS = _page_check("""
    const out = [];
    document.querySelectorAll('.book-chart').forEach(chart => {
        const svg = chart.querySelector('svg.marks');
        if (!svg) return;
        const c = chart.getBoundingClientRect(), s = svg.getBoundingClientRect();
        const left = Math.max(c.left, s.left), right = Math.min(c.left + chart.clientWidth, s.right);
        svg.querySelectorAll('text').forEach(t => {
            if (!visible(t)) return;
            const named = t.closest('g.role-title, g.role-legend, g.role-axis-title, g.role-title-text, ' +
                                    'g.role-title-subtitle, g.role-legend-label, g.role-legend-title');
            const text = t.textContent.trim(), r = t.getBoundingClientRect();
            if (r.width === 0) return;
            if (r.left < left - 1 || r.right > right + 1 || r.top < s.top - 1 || r.bottom > s.bottom + 1)
                out.push(chart.id + ': "' + text + '" runs ' +
                         Math.round(Math.max(left - r.left, r.right - right)) + ' px past the chart');
            else if (named && text.endsWith('\u2026')) out.push(chart.id + ': "' + text + '" is shortened');
        });
    });
    return out;
""")


#: Neighbouring labels of one axis drawn closer than 2 px (or over each other), per chart: they read as one
#: number ("10111213"). Vega hides labels it thins (opacity 0); those are not counted.
TICK_CROWDING_JS = _page_check("""
    const out = [];
    document.querySelectorAll('.book-chart').forEach(chart => {
        chart.querySelectorAll('g.role-axis').forEach(axis => {
            const labels = boxes(axis, 'g.role-axis-label text');
            for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) {
                const [a, r] = labels[i], [b, q] = labels[j], [dx, dy] = overlap(r, q);
                if (Math.max(-dx, -dy) < 2) out.push(chart.id + ': "' + a + '" and "' + b + '"');
            }
        });
    });
    return out;
""")


@contextlib.contextmanager
def browser():
    """A Playwright Chromium browser using the system's Chromium."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise RuntimeError("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


def inspect(b, base_url: str, page_path: str, screenshot: Path | None = None, wait_ms: int = 400,
            width: int = 1280, dark: bool = False, axe: bool = False, controls: bool = True,
            phone_width: int | None = None) -> PageReport:
    """Load one page; record console errors, blocked off-machine requests, charts drawn and controls, the bytes
    of the first load, the document's width; optionally axe-core's violations, and the document's width after
    narrowing the same page to ``phone_width`` (charts redraw for it)."""
    report = PageReport(base_url + page_path)
    context = b.new_context(viewport={"width": width, "height": 900})
    if dark:  # the theme's stored preference: the page opens in dark mode
        context.add_init_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');")
    page = context.new_page()

    def route(route_obj):
        host = urlparse(route_obj.request.url).hostname
        if route_obj.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route_obj.continue_()
        else:
            report.blocked_requests.append(route_obj.request.url)
            route_obj.abort()

    page.route("**/*", route)
    page.on("console", lambda m: report.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: report.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: report.failed_requests.append(r.url)
            if urlparse(r.url).hostname in ("127.0.0.1", "localhost") else None)
    page.goto(report.url, wait_until="load")
    with contextlib.suppress(Exception):
        page.wait_for_function(
            "Array.from(document.querySelectorAll('.book-chart')).every(d => d.querySelector('svg, canvas'))",
            timeout=15000)
    page.wait_for_timeout(wait_ms)
    report.charts = page.locator(".book-chart").count()
    report.charts_drawn = page.locator(".book-chart svg.marks, .book-chart canvas").count()
    report.controls = page.locator(".book-chart .vega-bind input, .book-chart .vega-bind select").count()
    report.scroll_width = page.evaluate("document.documentElement.scrollWidth")
    # Every response's uncompressed body: the page itself and each resource it loaded.
    report.bytes_loaded = page.evaluate(
        "performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
        ".reduce((s, e) => s + (e.decodedBodySize || 0), 0)")
    report.chart_text = page.locator(".book-chart svg text").all_text_contents()
    report.label_overlaps = [f"{width} px: {o}" for o in page.evaluate(LABEL_OVERLAPS_JS)]
    report.equation_overlaps = [f"{width} px: {o}" for o in page.evaluate(EQUATION_OVERLAPS_JS)]
    report.text_cut = page.evaluate(CHART_TEXT_CUT_JS)
    report.axis_labels = page.locator(".book-chart svg.marks g.role-axis-label text").count()
    if axe:
        report.axe = run_axe(page)
    report.controls_working = _exercise_controls(page) if controls else 0
    if phone_width:
        page.set_viewport_size({"width": phone_width, "height": 900})
        page.wait_for_timeout(700)  # the charts' resize observer waits 150 ms, then redraws
        report.phone_scroll_width = page.evaluate("document.documentElement.scrollWidth")
        report.phone_charts_drawn = page.locator(".book-chart svg.marks").count()
        report.label_overlaps += [f"{phone_width} px: {o}" for o in page.evaluate(LABEL_OVERLAPS_JS)]
        report.equation_overlaps += [f"{phone_width} px: {o}" for o in page.evaluate(EQUATION_OVERLAPS_JS)]
        report.phone_text_cut = page.evaluate(CHART_TEXT_CUT_JS)
        report.phone_ticks_crowded = page.evaluate(TICK_CROWDING_JS)
    report.h1_count = page.locator("article h1").count()
    report.text = page.locator("main").inner_text() if page.locator("main").count() else ""
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    context.close()
    return report


def run_axe(page) -> list[dict]:
    """axe-core's violations on the loaded page (WCAG 2 A/AA rules and best practices)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")


def _exercise_controls(page) -> int:
    """Move the first control of each chart (next option of a select, other end of a slider) and count the
    charts whose SVG changed in response."""
    working = 0
    for chart in page.locator(".book-chart").all():
        controls = chart.locator(".vega-bind select, .vega-bind input[type=range]")
        if controls.count() == 0:
            continue
        before = chart.locator("svg.marks").inner_html()
        control = controls.first
        if control.evaluate("e => e.tagName") == "SELECT":
            options = control.locator("option").all_inner_texts()
            current = control.input_value()
            control.select_option(next(o for o in options if o != current))
        else:
            control.evaluate("e => { e.value = (e.value == e.max ? e.min : e.max); "
                             "e.dispatchEvent(new Event('input', {bubbles: true})); }")
        page.wait_for_timeout(300)
        if chart.locator("svg.marks").inner_html() != before:
            working += 1
    return working


#: The calculator page and the input changes its redraw time is measured on (the browser test and `make bench`):
#: (control, value), typed or picked one after another as a reader would.
CALCULATOR_PAGE = "calculator.html"
CALCULATOR_CHANGES: tuple[tuple[str, str], ...] = (
    ("batch", "128"), ("batch", "1024"), ("context", "32768"), ("context", "131072"), ("chips", "16"),
    ("chips", "auto"), ("price", "3.5"), ("speed", "20"), ("hbm_capacity_GB", "96"), ("hbm_bandwidth_TBps", "4"),
    ("kv_precision", "fp8"), ("weights_precision", "bf16"), ("hardware", "B200"), ("model", "Llama 3.1 70B"),
    ("hardware", "H100 SXM"), ("model", "DeepSeek-V3"), ("batch", "64"), ("context", "8192"),
)


def open_calculator(b, base_url: str, query: str = "", width: int = 1280):
    """A new page on the calculator (off-machine requests refused), once its first drawing is done."""
    context = b.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()

    def route(route_obj):
        url = urlparse(route_obj.request.url)
        if url.path.endswith("/favicon.ico"):  # the book has no icon: answer before Chromium logs a 404
            route_obj.fulfill(status=204, body="")
        elif route_obj.request.url.startswith(("data:", "blob:")) or url.hostname in ("127.0.0.1", "localhost"):
            route_obj.continue_()
        else:
            route_obj.abort()

    page.route("**/*", route)
    page.goto(base_url + CALCULATOR_PAGE + query, wait_until="load")
    page.wait_for_function("window.bookCalculator && document.querySelector('#calc-chart svg')", timeout=20000)
    page.evaluate("window.bookCalculator.settled()")
    return page


@functools.cache
def calculator_menus() -> frozenset[str]:
    """The calculator's controls that are menus (the rows and every field with a fixed set of choices)."""
    from lib.calculator import _fields

    return frozenset({"hardware", "model"} | {n for n, f in _fields().items() if f["kind"] == "enum"})


def set_control(page, name: str, value: str) -> None:
    """Type into a field of the calculator, or pick an option of one of its menus, as a reader does."""
    if name in calculator_menus():
        page.select_option(f"#calc-{name}", value)
    else:
        page.fill(f"#calc-{name}", value)


def calculator_redraw_ms(page) -> list[float]:
    """Make :data:`CALCULATOR_CHANGES` on a loaded calculator page; return each redraw's time in milliseconds as
    the page measures it (from the input event to the outputs written, the chart drawn and the page laid out)."""
    page.evaluate("document.querySelectorAll('.book-calculator details').forEach(d => d.open = true)")
    start = page.evaluate("window.bookCalculator.timings.length")
    for name, value in CALCULATOR_CHANGES:
        set_control(page, name, value)
        page.evaluate("window.bookCalculator.settled()")
    return page.evaluate(f"window.bookCalculator.timings.slice({start})")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Screenshot a built page (and report on its charts).")
    parser.add_argument("page", help="page path under _build/html, e.g. chapters/racks.html")
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=1280, help="viewport width in CSS px (390 for a phone)")
    parser.add_argument("--dark", action="store_true", help="open the page in dark mode")
    args = parser.parse_args()
    with serve() as url, browser() as b:
        r = inspect(b, url, args.page, screenshot=args.png, width=args.width, dark=args.dark)
    print(f"charts {r.charts_drawn}/{r.charts}, controls {r.controls}, charts responding to a control "
          f"{r.controls_working}, h1 {r.h1_count}")
    print("console errors:", r.console_errors, "page errors:", r.page_errors)
    print("blocked:", r.blocked_requests, "failed:", r.failed_requests)


def chromium_session():
    """A served site and a headless browser for a module's tests: (browser, base URL). Skips without Chromium,
    except in CI, where the browser checks are mandatory (a generator for a pytest fixture)."""
    import os

    import pytest

    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (apt-get install chromium)")
        pytest.skip("Chromium not installed: the browser checks need Debian's chromium package")
    with serve() as url, browser() as b:
        yield b, url
