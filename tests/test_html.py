"""Checks of the built book (`make book` first): structure, links, text, and every page in a real browser.

Marked ``book``: `make test` runs them after a clean build. The browser checks need Debian's Chromium; they
skip outside CI when it is missing, and fail in CI (CI=true).
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml

from browser import AXE, HTML, chromium_session, inspect

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.book


def toc_pages() -> list[str]:
    """Every page in _toc.yml (docnames), in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters") or []:
            pages.append(chapter["file"])
            pages += [s["file"] for s in chapter.get("sections", [])]
    return [re.sub(r"\.(md|ipynb)$", "", p) for p in pages]


PAGES = toc_pages()
CHAPTERS = [p for p in PAGES if p.startswith("chapters/")]
#: The first load of a chapter page, all requests (uncompressed bytes).
MAX_FIRST_LOAD_BYTES = 2_500_000
#: A phone's viewport width (CSS px): no page may scroll sideways on it.
PHONE_PX = 390
#: axe-core impacts that fail the build.
AXE_FAILING = ("serious", "critical")


def book_version() -> str:
    from lib.sphinx_ext import book_version as version

    return version()


@pytest.fixture(scope="module", autouse=True)
def built():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"no built book at {HTML}: run `make book` first")


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.h1 = 0
        self.in_article = 0
        self.charts: list[dict] = []
        self._depth = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "article":  # the print-only title block outside <article> is hidden on screen
            self.in_article += 1
        if tag == "h1" and self.in_article:
            self.h1 += 1
        if tag == "div" and "book-chart" in (a.get("class") or ""):
            self.charts.append(a)

    def handle_endtag(self, tag):
        if tag == "article":
            self.in_article -= 1


def parse(path: Path) -> _Collector:
    c = _Collector()
    c.feed(path.read_text(encoding="utf-8"))
    return c


def main_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    body = re.search(r"<main.*?</main>", text, re.S)
    body = body.group(0) if body else text
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", body)


@pytest.mark.parametrize("page", PAGES)
def test_page_structure(page):
    path = HTML / f"{page}.html"
    assert path.is_file(), f"{page} was not built"
    c = parse(path)
    assert c.h1 == 1, f"{page}: {c.h1} H1 headings in the article, expected one"
    for chart in c.charts:
        assert chart.get("role") == "img" and chart.get("aria-label"), f"{page}: a chart lacks a text alternative"
    raw = path.read_text(encoding="utf-8")
    stray = re.findall(r"<pre><span></span>('[^'<]*')\s*</pre>", raw)
    assert not stray, f"{page}: a cell printed a bare string {stray[:3]} (end the cell with a display, not a value)"
    assert re.search(r"Version " + re.escape(book_version()) + r", built \d{4}-\d{2}-\d{2}", raw), \
        f"{page}: the footer does not name the book's version and build date"
    text = main_text(path)
    for bad in (r"\bnan\b", r"\bNaN\b", r"np\.float64", r"Traceback \(most recent call last\)", r"\binf\b"):
        assert not re.search(bad, text), f"{page}: {bad!r} appears in the page text"


def test_internal_links_resolve():
    cache: dict[Path, _Collector] = {}
    broken = []
    for path in sorted(HTML.rglob("*.html")):
        if "_static" in path.parts or path.name in ("genindex.html", "search.html"):
            continue
        for href in parse(path).links:
            url = urlparse(href)
            if url.scheme or href.startswith(("mailto:", "javascript:", "//")):
                continue
            target = (path.parent / unquote(url.path)).resolve() if url.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{path.relative_to(HTML)} → {href}")
                continue
            if url.fragment and target.suffix == ".html":
                if target not in cache:  # (setdefault would parse the target again for every link)
                    cache[target] = parse(target)
                ids = cache[target].ids
                if url.fragment not in ids:
                    broken.append(f"{path.relative_to(HTML)} → {href} (no id {url.fragment!r})")
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def chart_specs(page_html: str) -> list[dict]:
    """The Vega-Lite specs of a built page's charts (plain or compressed JSON, as lib.charts writes them)."""
    from lib.charts import spec_from_html

    found = re.findall(r'<script type="[^"]*"(?: data-encoding="([^"]*)")? id="chart-[0-9a-f]+-spec">(.*?)</script>',
                       page_html, re.S)
    return [spec_from_html(text, encoding or None) for encoding, text in found]


def _axis_titles(node: dict) -> dict[str, bool]:
    """For a view (a single mark or a layer), whether each quantitative/temporal x or y channel it draws has
    an explicit title somewhere among its layers (Vega-Lite shows the first explicit one on a shared axis)."""
    found: dict[str, bool] = {}
    for part in node.get("layer", []) or [node]:
        if "layer" in part:
            sub = _axis_titles(part)
        else:
            sub = {}
            for channel in ("x", "y"):
                enc = (part.get("encoding") or {}).get(channel)
                if isinstance(enc, dict) and enc.get("type") in ("quantitative", "temporal") and "field" in enc:
                    if enc.get("axis", {}) is None:
                        continue
                    sub[channel] = bool(enc.get("title") or (enc.get("axis") or {}).get("title"))
        for channel, titled in sub.items():
            found[channel] = found.get(channel, False) or titled
    return found


def _views(spec: dict):
    """Every layer-or-mark view of a spec, descending through concatenations and facets."""
    if "layer" in spec or "mark" in spec:
        yield spec
        return
    for key in ("vconcat", "hconcat", "concat"):
        for sub in spec.get(key, []):
            yield from _views(sub)
    if "spec" in spec:
        yield from _views(spec["spec"])


def test_every_chart_has_title_and_axis_titles():
    """Every chart has a title, and every quantitative or temporal axis a title (where units go)."""
    for page in PAGES:
        text = (HTML / f"{page}.html").read_text(encoding="utf-8")
        for spec in chart_specs(text):
            assert '"title"' in json.dumps(spec), f"{page}: a chart has no title"
            for view in _views(spec):
                for channel, titled in _axis_titles(view).items():
                    assert titled, f"{page}: a chart's {channel} axis has no title"


def test_tables_show_no_e_notation():
    """No table cell of a built page writes a number in e-notation, Python's (8.21e+24, 2.8e+02) or typed in the
    data's notes (2.571e9): tables use lib.units' human formats (8.21 × 10²⁴, 2.571 billion). Code in a cell is
    left alone. The charts' own check is in test_page_in_browser."""
    found = []
    for page in PAGES:
        text = (HTML / f"{page}.html").read_text(encoding="utf-8")
        for cell in re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", text, re.S):
            plain = re.sub(r"<[^>]+>", "", re.sub(r"<code\b.*?</code>", "", cell, flags=re.S))
            found += [f"{page}: {plain[max(0, m.start() - 40):m.end() + 10]!r}"
                      for m in re.finditer(r"(?<![\w./])\d+(?:\.\d+)?[eE][+-]?\d{1,3}(?![\w.])", plain)]
    assert not found, "e-notation in tables:\n" + "\n".join(found)


def test_page_weight():
    for page in PAGES:
        size = (HTML / f"{page}.html").stat().st_size
        assert size <= 1_000_000, f"{page}.html is {size / 1e6:.2f} MB (limit 1 MB)"


def test_code_blocks_carry_no_spans_that_repeat_the_text_colour():
    """lib.sphinx_ext drops the Pygments spans drawn in the code block's own colour (a third of a code-heavy page)."""
    from lib.sphinx_ext import plain_token_classes

    plain = plain_token_classes((HTML / "_static" / "pygments.css").read_text(encoding="utf-8"))
    assert {"n", "p"} <= plain
    for page in CHAPTERS:
        html = (HTML / f"{page}.html").read_text(encoding="utf-8")
        assert '<div class="highlight"><pre>' in html
        assert not re.search(r'<span class="(?:n|p)">', html), f"{page}: code spans in the text colour remain"


@pytest.fixture(scope="module")
def chromium():
    yield from chromium_session()


@pytest.fixture(scope="module")
def axe_available():
    if not AXE.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"axe-core is required in CI: `make node-tools` installs it into {AXE.parent}")
        return False
    return True


@pytest.mark.parametrize("page", PAGES)
def test_page_in_browser(chromium, axe_available, page):
    """At 1280 px: no errors, every chart drawn and responding, nothing wider than the viewport, no
    e-notation in a chart, the first load of a chapter within the weight limit, no serious or critical
    accessibility violation. Then the same page narrowed to a phone's 390 px: the document does not scroll
    sideways (charts refit; wide tables and equations scroll inside their own boxes) and every chart is drawn.
    At both widths, no two texts in a plot (point labels, rule and curve labels) are drawn over each other and no
    equation number over its equation, and no chart's title, legend or axis title is cut off; at 390 px no axis's
    labels run together."""
    b, url = chromium
    report = inspect(b, url, f"{page}.html", axe=axe_available, phone_width=PHONE_PX)
    assert not report.blocked_requests, f"{page}: requests left the machine: {report.blocked_requests}"
    assert not report.failed_requests, f"{page}: local requests failed: {report.failed_requests}"
    assert not report.page_errors, f"{page}: JavaScript errors: {report.page_errors}"
    assert not report.console_errors, f"{page}: console errors: {report.console_errors}"
    assert report.charts_drawn == report.charts, f"{page}: {report.charts_drawn} of {report.charts} charts drawn"
    html = (HTML / f"{page}.html").read_text(encoding="utf-8")
    bound = len(re.findall(r'"bind":\{', html))
    if bound:
        assert report.controls >= 1, f"{page}: charts declare {bound} bound parameters but no control is on the page"
        assert report.controls_working >= 1, f"{page}: moving a chart's control changed nothing on the page"
    assert "MathJax" not in html or (HTML / "_static" / "mathjax" / "startup.js").is_file()
    assert report.scroll_width <= 1280, f"{page}: the page is {report.scroll_width} px wide at 1280 px"
    enotation = [t for t in report.chart_text if re.search(r"\d[eE][+-]?\d", t)]
    assert not enotation, f"{page}: e-notation in a chart: {enotation[:5]}"
    if page in CHAPTERS:
        assert report.bytes_loaded <= MAX_FIRST_LOAD_BYTES, \
            f"{page}: the first load is {report.bytes_loaded / 1e6:.2f} MB (limit {MAX_FIRST_LOAD_BYTES / 1e6} MB)"
    failing = [v for v in report.axe if v["impact"] in AXE_FAILING]
    assert not failing, f"{page}: accessibility violations (axe-core): {failing}"
    assert report.phone_scroll_width <= PHONE_PX, \
        f"{page}: the page is {report.phone_scroll_width} px wide on a {PHONE_PX} px phone"
    assert report.phone_charts_drawn == report.charts, f"{page}: charts lost when narrowed to a phone"
    assert not report.label_overlaps, f"{page}: texts in a chart overprint: {report.label_overlaps}"
    assert not report.equation_overlaps, f"{page}: equation numbers drawn over equations: {report.equation_overlaps}"
    assert report.axis_labels > 0 or not report.charts, f"{page}: the text checks found no axis label to check"
    assert not report.text_cut, f"{page}: chart text cut off at 1280 px: {report.text_cut}"
    assert not report.phone_text_cut, f"{page}: chart text cut off on a {PHONE_PX} px phone: {report.phone_text_cut}"
    assert not report.phone_ticks_crowded, \
        f"{page}: axis labels run together on a {PHONE_PX} px phone: {report.phone_ticks_crowded}"


def test_charts_follow_dark_mode(chromium):
    """Switching the theme to dark redraws the charts with light text on a transparent background."""
    b, url = chromium
    page = b.new_page()
    page.goto(f"{url}{CHAPTERS[0]}.html", wait_until="load")
    page.wait_for_function("document.querySelector('.book-chart svg text')", timeout=15000)
    light = page.locator(".book-chart svg text").first.get_attribute("fill")
    page.evaluate("document.documentElement.setAttribute('data-theme', 'dark')")
    page.wait_for_function("document.querySelector('.book-chart svg text') && "
                           "document.querySelector('.book-chart svg text').getAttribute('fill') !== "
                           + json.dumps(light), timeout=15000)
    dark = page.locator(".book-chart svg text").first.get_attribute("fill")
    page.close()
    assert light != dark and dark.lower() in ("#e8e8e8", "#d4d4d4"), (light, dark)


def test_every_icon_element_has_its_svg():
    """lib.sphinx_ext replaces the theme's Font Awesome script by the icons the pages use (`<i class="fa-solid
    fa-NAME">` becomes an inline SVG): every icon name on a built page is in that subset."""
    from lib.sphinx_ext import _DYNAMIC_ICONS, _ICON_CLASS, _STYLE_CLASSES

    script = (HTML / "_static" / "scripts" / "fontawesome.js").read_text(encoding="utf-8")
    icons = json.loads(re.search(r"var I=(\{.*?\});", script).group(1))
    missing = set()
    for path in HTML.rglob("*.html"):
        for classes in _ICON_CLASS.findall(path.read_text(encoding="utf-8", errors="replace")):
            missing |= {f"{path.relative_to(HTML)}: {c}" for c in classes.split()
                        if c.startswith("fa-") and c not in _STYLE_CLASSES and c[3:] not in icons}
    missing |= {f"(script): fa-{name}" for name in _DYNAMIC_ICONS if name not in icons}
    assert not missing, f"icons without their SVG in the subset: {sorted(missing)}"


#: Every ::before and ::after that draws an icon glyph (a code point in the private-use area): the element, the
#: first family of its font and the code point. MathJax's elements (mjx-*) are left out: it draws mathematics in
#: its own fonts, which its script defines and loads.
ICON_GLYPHS_JS = r"""() => {
    const out = [];
    for (const el of document.querySelectorAll('body *')) for (const pseudo of ['::before', '::after']) {
        if (el.tagName.startsWith('MJX-')) continue;
        const style = getComputedStyle(el, pseudo), content = style.content;
        if (!content || content === 'none' || content === 'normal') continue;
        for (const ch of content) {
            const code = ch.codePointAt(0);
            if (code >= 0xE000 && code <= 0xF8FF) out.push([el.tagName.toLowerCase() + '.' +
                Array.from(el.classList).join('.') + pseudo, style.fontFamily.split(',')[0].replace(/["']/g, '').trim(),
                code]);
        }
    }
    return out;
}"""


def icon_font_glyphs(html: Path = HTML) -> dict[str, set[int]]:
    """The code points each icon font family of the built stylesheets can draw: its @font-face rules' fonts
    (woff2, as shipped after lib.sphinx_ext subsets them)."""
    from fontTools.ttLib import TTFont

    glyphs: dict[str, set[int]] = {}
    for css in (html / "_static").rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        for rule in re.findall(r"@font-face\s*\{([^}]*)\}", text):
            family = re.search(r"font-family:\s*([^;]+)", rule)
            url = re.search(r"url\(([^)]+\.woff2)\)", rule)
            if not family or not url:
                continue
            name = re.sub(r"[\"'\\]", "", family.group(1)).strip()
            font = (css.parent / url.group(1).strip("\"'")).resolve()
            codes = set(TTFont(str(font)).getBestCmap()) if font.is_file() else set()
            glyphs.setdefault(name, set()).update(codes)
    return glyphs


def test_every_css_icon_has_its_glyph(chromium):
    """Every icon the stylesheets draw on a built page (admonition and download icons, the GitHub logo before a
    link to github.com) has an @font-face for its family and its glyph in that font's subset: the icon fonts are
    subset to stay under the first-load limit, and an icon left out draws as nothing or a box."""
    b, url = chromium
    fonts = icon_font_glyphs()
    missing, drawn = set(), set()
    page = b.new_page()
    for name in PAGES:
        page.goto(f"{url}{name}.html", wait_until="load")
        for element, family, code in page.evaluate(ICON_GLYPHS_JS):
            drawn.add((family, code))
            if code not in fonts.get(family, set()):
                why = "no @font-face" if family not in fonts else "not in the subset"
                missing.add(f"{name}: {element} U+{code:04X} in {family!r} ({why})")
    page.close()
    assert drawn, "no page draws a CSS icon: the check saw nothing"
    assert not missing, f"icons drawn without their glyph: {sorted(missing)}"


def test_course_numbers_exercises_as_the_chapters_do():
    """The course page's exercise numbers are the chapters' own (one numbering everywhere)."""
    course = (HTML / "course.html").read_text(encoding="utf-8")
    linked = re.findall(r'href="chapters/([\w-]+)\.html#([\w-]+)"[^>]*>(?:<span[^>]*>)?Exercise (\d+)', course)
    assert linked, "the course page links no exercise"
    for chapter, anchor, number in linked:
        text = (HTML / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
        m = re.search(r'id="' + re.escape(anchor) + r'".*?Exercise (\d+)', text, re.S)
        assert m and m.group(1) == number, f"course says Exercise {number} for {chapter}#{anchor}, chapter says {m and m.group(1)}"


def _column_keys(page, column: int) -> list[str]:
    return page.evaluate(
        "c => Array.from(document.querySelectorAll('table.book-sortable tbody tr'))"
        ".filter(r => !r.hidden).map(r => r.cells[c].getAttribute('data-sort') || '')", column)


@pytest.mark.parametrize("width", [1280, PHONE_PX])
def test_ledger_table_sorts_and_filters(chromium, width):
    """The ledger's table (lib.page.ledger_html + _static/book-tables.js): a column head's button sorts the rows
    up, then down, by the column's numbers (empty cells last); the kind menu shows only that kind's rows, with a
    status line; the same works from the keyboard; and on a phone the page does not scroll sideways."""
    b, url = chromium
    context = b.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}ledger.html", wait_until="load")
    page.wait_for_selector("table.book-sortable[data-enhanced] th button.book-sort", timeout=15000)
    table = page.locator("table.book-sortable")
    assert table.count() == 1
    total = table.locator("tbody tr").count()
    heads = table.locator("thead th").all_inner_texts()
    gap_column = next(i for i, h in enumerate(heads) if h.startswith("derived ÷ stated"))
    button = table.locator("thead th").nth(gap_column).locator("button")
    button.click()
    assert table.locator("thead th").nth(gap_column).get_attribute("aria-sort") == "ascending"
    keys = _column_keys(page, gap_column)
    numbers = [float(k) for k in keys if k]
    assert len(numbers) > 20 and numbers == sorted(numbers) and all(k == "" for k in keys[len(numbers):])
    button.press("Enter")  # the keyboard: the same button, descending
    assert table.locator("thead th").nth(gap_column).get_attribute("aria-sort") == "descending"
    numbers = [float(k) for k in _column_keys(page, gap_column) if k]
    assert numbers == sorted(numbers, reverse=True)
    # Filter by kind: only scenarios remain, and the status line counts them.
    kind_column = next(i for i, h in enumerate(heads) if h.startswith("kind"))
    kinds = "c => Array.from(document.querySelectorAll('table.book-sortable tbody tr'))" \
            ".filter(r => !r.hidden).map(r => r.cells[c].textContent.trim())"
    scenarios = page.evaluate(kinds, kind_column).count("scenario")
    assert 0 < scenarios < total
    page.get_by_label("kind", exact=True).select_option("scenario")
    assert page.evaluate(kinds, kind_column) == ["scenario"] * scenarios
    assert page.locator(".book-table-status").inner_text() == f"{scenarios} of {total} entries shown."
    page.get_by_label("kind", exact=True).select_option("")
    page.locator("input.book-table-search, .book-table-controls input[type=search]").fill("decode-5x-prefill")
    assert 0 < page.locator("table.book-sortable tbody tr:not([hidden])").count() < 10
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert not errors, errors
    context.close()


def test_chapter_check_table_shows_kind_robustness_and_assumptions():
    """page.verdicts (every chapter's Check section) renders the ledger's table: kind, verdict, robustness and each
    assumption with its range and the derived value at its ends."""
    text = (HTML / "chapters" / "prices-leak.html").read_text(encoding="utf-8")
    table = re.search(r'<table class="book-table book-ledger book-sortable">.*?</table>', text, re.S)
    assert table, "prices-leak: no sortable ledger table in the Check section"
    body = table.group(0)
    for head in ("verdict", "kind", "robust", "stated", "derived"):
        assert f">{head}<" in body
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*decode ÷ prefill cost per token \(blackboard, 8k context\).*?</tr>", body, re.S)
    assert row and ">not robust<" in row.group(0) and ">checked<" in row.group(0)
    assert re.search(r"assumes</span> weight share of usable HBM = 0.5 \(0.1–0.8\): [\d.]+ × … [\d.]+ ×", row.group(0))


def test_the_page_checks_find_what_they_look_for(chromium):
    """Each layout check of tests/browser.py on a page made to fail it: two texts over each other, axis labels
    run together, a title past the chart, a shortened legend label, an equation number over its equation."""
    import browser

    b, _ = chromium
    page = b.new_page()
    page.set_content("""<html><body style="margin:0">
      <div class="book-chart" id="c1" style="width:200px"><svg class="marks" width="200" height="100">
        <g class="mark-text role-mark"><text x="10" y="20">alpha</text><text x="12" y="22">beta</text></g>
        <g class="role-axis"><g class="role-axis-label"><text x="10" y="90">10</text><text x="24" y="90">11</text>
        </g></g>
        <g class="role-title"><text x="150" y="50">a long title cut</text></g>
        <g class="role-legend"><text x="5" y="70">cut…</text></g></svg></div>
      <div class="math" id="e1" style="display:flex"><mjx-container style="display:block;width:300px">x
        </mjx-container><span class="eqno" style="margin-left:-100px">(1)</span></div></body></html>""")
    assert page.evaluate(browser.LABEL_OVERLAPS_JS) == ['c1: "alpha" over "beta"']
    assert page.evaluate(browser.TICK_CROWDING_JS) == ['c1: "10" and "11"']
    cut = page.evaluate(browser.CHART_TEXT_CUT_JS)
    assert cut[0].startswith('c1: "a long title cut" runs') and cut[1] == 'c1: "cut…" is shortened' and len(cut) == 2
    assert [e.split(" (")[0] for e in page.evaluate(browser.EQUATION_OVERLAPS_JS)] == ["e1: number"]
    page.close()
