"""The book's Sphinx extension: offline charts, collapsed code, a light first load, the edition line, and the
downloadable notebooks.

- Charts: writes the Vega bundle (Vega, Vega-Lite and Vega-Embed, from ``vl-convert-python``) into the build's
  ``_static/vega/`` once and adds it and the book's renderer (``_static/book-charts.js``) to every page; sets
  :data:`lib.charts.ENV_BOOK_BUILD` so that chapters executed for the book emit the book's chart HTML.
- Code cells are collapsed by default (MyST-NB's ``hide-input``), one click away: every code cell without a
  ``remove-*`` or ``hide-*`` tag gets ``hide-input`` as the source is read; no chapter repeats the tag.
- First load: the theme's 1.5 MB icon script is replaced by the few icons the pages use; MathJax loads only its
  TeX input and HTML output; the search index loads only on the search page; the empty general index is off;
  code blocks drop the colour spans that only repeat the block's own text colour (names, punctuation).
- Every page's footer names the edition: the version in ``pyproject.toml`` and the build date
  (``SOURCE_DATE_EPOCH`` when set, for reproducible builds).
- Notebooks: every Jupytext page is written as an unexecuted ``.ipynb`` under ``notebooks/`` (instructor
  edition, with solutions) and ``notebooks/student/`` (without), with a setup cell that installs the book's
  package outside the repository, and the MyST-only syntax (glued numbers, equation and section references,
  citations, exercise fences) rendered as plain Markdown. The package itself is built into ``dist/``.

Nothing is written into the source tree.
"""

from __future__ import annotations

import ast
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BUNDLE = "vega/vega-bundle.js"
RENDERER = "book-charts.js"
NOTEBOOKS = "notebooks"
STUDENT = "student"
DIST = "dist"
ROOT = Path(__file__).resolve().parent.parent
#: Where a downloaded notebook installs the book's package from: set when the site's address is known
#: (the publishing workflow sets it); a reader can always override it with BOOK_PACKAGE.
ENV_BOOK_URL = "BOOK_URL"


# ---- the edition ---------------------------------------------------------------------------------------------

def book_version(root: Path = ROOT) -> str:
    """The book's version: ``[project] version`` in pyproject.toml."""
    import tomllib

    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def build_date() -> datetime.date:
    """Today's date, or ``SOURCE_DATE_EPOCH``'s (UTC) when set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).date()
    return datetime.date.today()


def edition_line() -> str:
    """The line every page's footer carries, e.g. ``Version 0.1.0, built 2026-11-29``."""
    return f"Version {book_version()}, built {build_date().isoformat()}"


def _configure(app, config) -> None:
    options = dict(config.html_theme_options or {})
    footer = options.get("extra_footer", "")
    options["extra_footer"] = (f'{footer}<p class="book-edition">{edition_line()} · '
                               'text and figures <a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>, '
                               "code MIT.</p>")
    config.html_theme_options = options
    config.version = config.release = book_version()
    config.html_use_index = False  # the general index has no entries: no empty page
    # MathJax: the TeX input and the HTML output only (the combined tex-chtml.js is 1.2 MB).
    config.mathjax_path = "mathjax/startup.js"
    mj = dict(config.mathjax3_config or {})
    mj["loader"] = {**mj.get("loader", {}), "load": ["input/tex", "output/chtml"]}
    config.mathjax3_config = mj


# ---- collapsed code cells ------------------------------------------------------------------------------------

_CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n((?::[^\n]*\n)*)", re.M)


def hide_code_inputs(text: str) -> str:
    """Add ``hide-input`` to every ``{code-cell}`` of a MyST notebook that has no remove-/hide- tag."""
    def repl(m: re.Match) -> str:
        head, options = m.group(0)[: m.start(1) - m.start(0)], m.group(1)
        tags = re.search(r"^:tags:\s*\[(.*?)\]\s*$", options, re.M)
        if tags is None:
            return head + options + ":tags: [hide-input]\n"
        names = [t.strip().strip("'\"") for t in tags.group(1).split(",") if t.strip()]
        if any(n.startswith(("remove-", "hide-")) for n in names):
            return m.group(0)
        new = ":tags: [" + ", ".join(names + ["hide-input"]) + "]"
        return head + options[: tags.start()] + new + options[tags.end():]

    return _CODE_CELL.sub(repl, text)


def _source_read(app, docname, source) -> None:
    if "```{code-cell}" in source[0]:
        source[0] = hide_code_inputs(source[0])


# ---- what the pages load -------------------------------------------------------------------------------------

def _page_assets(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated ``<script>`` entries (an inline script added twice, such as sphinx-thebe's ``const``
    configuration, is a "redeclared identifier" error), and the assets of extensions a page does not use
    (thebe, which is off; sphinx-design, unless the page has its components)."""
    body = context.get("body", "")
    unused = ["sphinx-thebe"]  # thebe is off in _config.yml
    if 'class="sd-' not in body:
        unused += ["sphinx-design", "design-tabs"]
    css = context.get("css_files")
    if css:
        css[:] = [c for c in css if not any(u in (getattr(c, "filename", c) or "") for u in unused)]
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        name = getattr(script, "filename", script) or ""
        if any(u in name for u in unused):
            continue
        # An inline script may be registered once with filename None and once with "" (Sphinx normalises
        # only one of the two paths), so compare the normalised name and the attributes.
        key = (name, repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def _write_bundle(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    import vl_convert

    target = Path(app.outdir) / "_static" / BUNDLE
    stamp = target.with_suffix(".version")
    version = getattr(vl_convert, "__version__", "unknown")
    if target.is_file() and stamp.is_file() and stamp.read_text() == version:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # Wrapped in a function: the bundle's top-level `const` names (such as `_`) would otherwise clash with
    # other scripts in the page's global scope. It still assigns window.vegaEmbed, vega and vegaLite.
    target.write_text("(function(){\n" + vl_convert.javascript_bundle() + "\n})();\n", encoding="utf-8")
    stamp.write_text(version)


_ICON_CLASS = re.compile(r'class="([^"]*\b(?:fa-solid|fas|fa-regular|far|fa-brands|fab)\b[^"]*)"')
_STYLE_CLASSES = {"fa-solid", "fas", "fa-regular", "far", "fa-brands", "fab", "fa-lg", "fa-fw", "fa-xs", "fa-sm",
                  "fa-2x", "fa-classic"}
#: Icons the theme's own JavaScript adds (the version banner's close button).
_DYNAMIC_ICONS = {"xmark"}

_ICON_SCRIPT = """/* The theme's icons, subset by lib.sphinx_ext from Font Awesome Free 6 (icons: CC BY 4.0; code: MIT).
   Replaces <i class="fa-solid fa-NAME"> with an inline SVG, as Font Awesome's own script does. */
(function(){"use strict";var I=%s;
var s=document.createElement("style");s.textContent=".svg-inline--fa{display:inline-block;height:1em;overflow:visible;box-sizing:content-box;vertical-align:-.125em}.svg-inline--fa.fa-lg{font-size:1.25em;line-height:.05em;vertical-align:-.2em}";
document.head.appendChild(s);
function swap(el){var cls=(el.getAttribute("class")||"").split(/\\s+/),name=null;
for(var i=0;i<cls.length;i++){var c=cls[i];if(c.indexOf("fa-")===0&&I[c.slice(3)]){name=c.slice(3);}}
if(!name)return;var d=I[name],ns="http://www.w3.org/2000/svg",svg=document.createElementNS(ns,"svg");
for(var j=0;j<el.attributes.length;j++){var a=el.attributes[j];if(a.name!=="class")svg.setAttribute(a.name,a.value);}
svg.setAttribute("class","svg-inline--fa "+cls.join(" "));svg.setAttribute("viewBox","0 0 "+d[0]+" "+d[1]);
svg.setAttribute("aria-hidden","true");svg.setAttribute("focusable","false");
var p=document.createElementNS(ns,"path");p.setAttribute("fill","currentColor");p.setAttribute("d",d[2]);
svg.appendChild(p);el.parentNode.replaceChild(svg,el);}
function all(root){var els=root.querySelectorAll?root.querySelectorAll("i[class*='fa-'],span[class*='fa-']"):[];
for(var i=0;i<els.length;i++)swap(els[i]);}
function go(){all(document);new MutationObserver(function(ms){ms.forEach(function(m){m.addedNodes.forEach(function(n){
if(n.nodeType===1){if(/\\bfa-/.test(n.getAttribute("class")||""))swap(n);all(n);}});});})
.observe(document.body,{childList:true,subtree:true});}
if(document.readyState==="loading"){document.addEventListener("DOMContentLoaded",go);}else{go();}})();
"""


def icon_definitions(fontawesome_js: str, names: set[str]) -> dict[str, list]:
    """Width, height and SVG path of each named icon in Font Awesome's JavaScript (the solid style, which the
    bundle defines last, where a name has several styles)."""
    found = {}
    for name in names:
        key = re.escape(name)
        pattern = re.compile(r'(?:"' + key + r'"|(?<=[,{])' + key + r')\s*:\s*\[(\d+),(\d+),\[[^\]]*\],"[^"]*",'
                             r'("(?:[^"\\]|\\.)*")\]')
        matches = list(pattern.finditer(fontawesome_js))
        if matches:
            m = matches[-1]
            found[name] = [int(m.group(1)), int(m.group(2)), json.loads(m.group(3))]
    return found


def _subset_icons(app, exception) -> None:
    """Replace the theme's Font Awesome script (1.5 MB, every icon) with the icons the built pages use, and
    drop the icon-font rules of those icons from the theme's stylesheet (the SVGs replace them)."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    script = out / "_static" / "scripts" / "fontawesome.js"
    if not script.is_file() or script.stat().st_size < 100_000:
        return  # absent, or already subset in an earlier incremental build
    names = set(_DYNAMIC_ICONS)
    for page in out.rglob("*.html"):
        for classes in _ICON_CLASS.findall(page.read_text(encoding="utf-8", errors="replace")):
            names |= {c[3:] for c in classes.split() if c.startswith("fa-") and c not in _STYLE_CLASSES}
    icons = icon_definitions(script.read_text(encoding="utf-8"), names)
    script.write_text(_ICON_SCRIPT % json.dumps(icons, separators=(",", ":"), sort_keys=True), encoding="utf-8")
    for stale in (script.with_suffix(".js.map"),):
        stale.unlink(missing_ok=True)
    css = out / "_static" / "styles" / "pydata-sphinx-theme.css"
    if css.is_file():
        text = css.read_text(encoding="utf-8")
        text = re.sub(r'\.fa-[a-z0-9-]+:before\{content:"[^"]*"\}', "", text)
        # The regular icon font: no page uses it. The brands font stays (the theme draws a GitHub logo before
        # every link to github.com, a.github:before) and is subset below like the solid one.
        text = re.sub(r"@font-face\{[^}]*font-weight:400;src:url\([^)]*fa-regular-400[^}]*\}", "", text)
        css.write_text(text, encoding="utf-8")
    _subset_icon_font(out / "_static")
    _drop_search_index(out)


def compact_js(text: str) -> str:
    """The book's own script without its comment lines, leading block comment and indentation (a third of its
    bytes; every chapter page loads it). Safe for scripts whose strings and regular expressions stay on one line
    and hold no line that starts with "//", as the book's renderer does."""
    text = re.sub(r"\A\s*/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.strip() for line in text.splitlines()
                     if line.strip() and not line.strip().startswith("//")) + "\n"


def compact_css(text: str) -> str:
    """A stylesheet without its comments, indentation and blank lines. Safe for sheets with no "/*" inside a
    string, as the unminified sheets every page loads (MyST-NB's, Sphinx's basic.css) are."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip()) + "\n"


#: Unminified stylesheets every page loads, compacted in the built copy (:func:`compact_css`).
COMPACT_SHEETS = ("mystnb.*.css", "basic.css")


def _compact_renderer(app, exception) -> None:
    """Write the built copy of the chart renderer compacted (:func:`compact_js`), and of the unminified
    stylesheets (:func:`compact_css`); the sources keep their comments."""
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    script = static / RENDERER
    if script.is_file():
        script.write_text(compact_js(script.read_text(encoding="utf-8")), encoding="utf-8")
    for sheet in (path for pattern in COMPACT_SHEETS for path in static.glob(pattern)):
        sheet.write_text(compact_css(sheet.read_text(encoding="utf-8")), encoding="utf-8")


#: Fixes to the theme's markup for assistive technology (axe-core): an accessible name that contains the
#: visible label, and the primary sidebar (logo, search, table of contents) inside a landmark.
_ACCESSIBILITY = (
    (re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"'), r"\1"),
    (re.compile(r'<summary aria-label="Toggle hidden content">'), "<summary>"),
    # sphinxcontrib-bibtex marks the references "list" without "listitem" children
    (re.compile(r'<div role="list" class="citation-list">'), '<div class="citation-list">'),
    (re.compile(r'<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar">'),
     '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar" role="navigation" aria-label="The book">'),
)


def accessible(page_html: str) -> str:
    """``page_html`` with the fixes of :data:`_ACCESSIBILITY` applied."""
    for pattern, replacement in _ACCESSIBILITY:
        page_html = pattern.sub(replacement, page_html)
    return page_html


#: The icon fonts the stylesheets draw with (the solid icons; the brands font for the GitHub and GitLab logos).
ICON_FONTS = ("fa-solid-900.woff2", "fa-brands-400.woff2")


def _subset_icon_font(static: Path) -> None:
    """Keep only the glyphs of the icon fonts that the stylesheets use (admonition, dropdown and breadcrumb icons,
    the logo before a link to GitHub, drawn by CSS): 156 kB and 118 kB down to a few kB each."""
    used = set()
    for css in static.rglob("*.css"):
        used |= {ord(ch) for ch in css.read_text(encoding="utf-8", errors="replace") if 0xE000 <= ord(ch) <= 0xF8FF}
        used |= {int(code, 16) for code in re.findall(r"\\(f[0-9a-f]{3}|e[0-9a-f]{3})\b", css.read_text(
            encoding="utf-8", errors="replace"))}
    from fontTools import subset

    for name in ICON_FONTS:
        font = static / "vendor" / "fontawesome" / "webfonts" / name
        if not font.is_file():
            continue
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = ["*"]
        face = subset.load_font(str(font), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(used))
        subsetter.subset(face)
        subset.save_font(face, str(font), options)


def _drop_search_index(out: Path) -> None:
    """The theme loads the whole search index (100 kB) and Sphinx's search code on every page for a
    search-as-you-type box the book does not enable; only the search page needs them."""
    for page in out.rglob("*.html"):
        if page.name == "search.html" or "_static" in page.parts:
            continue
        text = page.read_text(encoding="utf-8")
        new = re.sub(r'\s*<script src="(?:\.\./)*(?:searchindex\.js|_static/searchtools\.js|_static/language_data\.js)'
                     r'(?:\?[^"]*)?"></script>', "", text)
        if new != text:
            page.write_text(new, encoding="utf-8")


# ---- code blocks without redundant colour spans -----------------------------------------------------------------

_HIGHLIGHT_RULE = re.compile(r'(?:html\[data-theme="(\w+)"\] )?\.highlight(?: \.([\w-]+))? \{([^}]*)\}')
_HIGHLIGHT_BLOCK = re.compile(r'<div class="highlight"><pre>.*?</pre></div>', re.S)


def plain_token_classes(pygments_css: str) -> set[str]:
    """Pygments' token classes whose rule in every theme is only the code block's own text colour (names,
    punctuation and whitespace in the theme's styles): a span of such a class draws exactly as bare text."""
    base: dict[str, dict[str, str]] = {}
    rules: dict[str, dict[str, dict[str, str]]] = {}
    for theme, cls, body in _HIGHLIGHT_RULE.findall(pygments_css):
        declarations = {k.strip(): v.strip().lower() for k, v in
                        (d.split(":", 1) for d in body.split(";") if ":" in d)}
        if cls:
            rules.setdefault(cls, {})[theme] = declarations
        else:
            base[theme] = declarations
    themes = [t for t, d in base.items() if "color" in d]
    if not themes:
        return set()
    return {cls for cls, per in rules.items()
            if "" not in per and all(per.get(t, {"color": base[t]["color"]}) == {"color": base[t]["color"]}
                                     for t in themes)}


def strip_plain_tokens(page_html: str, classes: set[str]) -> str:
    """``page_html`` with the spans of ``classes`` inside highlighted code blocks replaced by their text (a third
    of a code-heavy page's bytes, drawn the same)."""
    if not classes:
        return page_html
    span = re.compile(r'<span class="(?:' + "|".join(map(re.escape, sorted(classes))) + r')">([^<]*)</span>')
    return _HIGHLIGHT_BLOCK.sub(lambda m: span.sub(r"\1", m.group(0)), page_html)


def _plain_code_tokens(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    css = Path(app.outdir) / "_static" / "pygments.css"
    classes = plain_token_classes(css.read_text(encoding="utf-8")) if css.is_file() else set()
    _rewrite_pages(Path(app.outdir), lambda text: strip_plain_tokens(text, classes))


def code_name_breaks(page_html: str) -> str:
    """Inside tables, a break opportunity (``<wbr>``) after each underscore of an inline code name (Sphinx's
    ``span.pre``), so that a long name ("attention_core_flops_per_context_token") wraps at its underscores instead
    of widening its column past the page; the name copies unchanged. Running it twice changes nothing."""
    def in_table(match: re.Match) -> str:
        return re.sub(r'(<span class="pre">)([^<]*_[^<]*)(</span>)',
                      lambda m: m[1] + m[2].replace("_", "_<wbr>") + m[3], match[0])

    return re.sub(r"<table\b.*?</table>", in_table, page_html, flags=re.S)


def _rewrite_pages(outdir: Path, transform) -> None:
    """Apply ``transform`` (HTML text → HTML text) to every built page outside ``_static``; write what changed."""
    for page in outdir.rglob("*.html"):
        if "_static" in page.parts:
            continue
        text = page.read_text(encoding="utf-8")
        new = transform(text)
        if new != text:
            page.write_text(new, encoding="utf-8")


def number_equation_labels(page_html: str, numbers: dict[str, object]) -> str:
    """Equation labels written as plain text (table captions and cells, ledger notes, glued sentences cannot use
    the {eq} role) replaced by the equation's number in the page's text: "eq. (eq-tr-seats)" → "eq. (9)",
    "eq. eq-pl-gray" → "eq. (31)", "eq. bs-experts" → "eq. (22)". Tags, attributes, scripts and styles are left
    alone; labels the book does not define stay as they are."""
    def number(label: str) -> str | None:
        value = numbers.get(label)
        return None if value is None else str(value)

    def text(segment: str) -> str:
        def labelled(m: re.Match) -> str:
            n = number(m.group(1))
            if n is None:
                return m.group(0)
            before, after = segment[m.start() - 1:m.start()], segment[m.end():m.end() + 1]
            return n if (before == "(" and after == ")") else f"({n})"

        segment = re.sub(r"(?<![\w#/.-])(eq-[a-z0-9-]+)(?![\w-])", labelled, segment)
        return re.sub(r"\beq\. ([a-z]{2}-[a-z0-9-]+)\b",
                      lambda m: f"eq. ({number('eq-' + m.group(1))})" if number("eq-" + m.group(1)) else m.group(0),
                      segment)

    parts = re.split(r"(<script.*?</script>|<style.*?</style>|<[^>]+>)", page_html, flags=re.S)
    return "".join(part if i % 2 else text(part) for i, part in enumerate(parts))


def _page_text(app, exception) -> None:
    """One pass over the built pages: the accessibility fixes, equation labels as numbers, code names in tables
    that break at their underscores."""
    if exception is not None or app.builder.format != "html":
        return
    numbers = {label: number for label, (_doc, number) in
               app.env.get_domain("math").data.get("objects", {}).items() if number is not None}
    _rewrite_pages(Path(app.outdir),
                   lambda text: code_name_breaks(number_equation_labels(accessible(text), numbers)))


# ---- the package and the notebooks ---------------------------------------------------------------------------

def build_wheel(target: Path, root: Path = ROOT) -> Path:
    """Build the book's package (``lib`` with ``data/`` as package data) into ``target`` from a scratch copy of
    the sources, so that the build writes nothing into the repository. Returns the wheel's path."""
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        src = Path(scratch) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (root / name).is_file():
                shutil.copy2(root / name, src / name)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(root / "lib", src / "lib", ignore=ignore)
        shutil.copytree(root / "data", src / "data", ignore=ignore)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                        "--wheel-dir", str(target), str(src)], check=True, capture_output=True, text=True)
    wheels = sorted(target.glob(f"lib-{book_version(root)}-*.whl"))
    if not wheels:
        raise RuntimeError(f"no wheel was written to {target}")
    return wheels[-1]


def package_address(wheel_name: str) -> str:
    """Where a downloaded notebook installs the book's package from: the wheel on the published site when its
    address is known (``BOOK_URL``), else empty (the reader sets BOOK_PACKAGE, or runs inside a clone)."""
    base = os.environ.get(ENV_BOOK_URL, "").strip()
    return f"{base.rstrip('/')}/{DIST}/{wheel_name}" if base else ""


SETUP_MARKDOWN = """**Setup.** This notebook is one chapter of *{title}* (version {version}). It runs in a plain Jupyter
or in Colab once the book's Python package `lib` (its models and data) is installed; the next cell installs it
from {where} unless `lib` is already importable. To use another copy, set the environment variable
`BOOK_PACKAGE` to a path (a clone of the book's repository, or its wheel) or an address before running it."""

SETUP_CODE = """# Setup: install the book's package (lib, with its data) when it is not importable yet.
import importlib, os, subprocess, sys
BOOK_PACKAGE = os.environ.get("BOOK_PACKAGE") or {address!r}
try:
    if os.environ.get("BOOK_PACKAGE"):
        raise ImportError("BOOK_PACKAGE is set: install it")
    import lib.roofline  # noqa: F401
except ImportError:
    if not BOOK_PACKAGE:
        raise RuntimeError("Set BOOK_PACKAGE to the book's wheel or a clone of its repository, then re-run.")
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", BOOK_PACKAGE])
    importlib.invalidate_caches()
import lib
print("lib", getattr(lib, "__version__", ""), "from", os.path.dirname(lib.__file__))"""


class _Context:
    """What the MyST-to-Markdown conversion needs from the built book."""

    def __init__(self, app):
        env = app.env
        self.equations = {label: number for label, (_doc, number) in
                          env.get_domain("math").data.get("objects", {}).items()}
        std = env.get_domain("std")
        self.sections = {label: title for label, (_doc, _id, title) in std.labels.items()}
        self.titles = {doc: node.astext() for doc, node in env.titles.items()}
        self.exercise_numbers = _exercise_numbers(app)
        self.bib = _bibliography(app)
        self.glue_root = Path(app.outdir).parent / "jupyter_execute"

    def glue(self, docname: str) -> dict[str, str]:
        path = self.glue_root / f"{docname}.glue.json"
        if not path.is_file():
            return {}
        values = {}
        for key, output in json.loads(path.read_text(encoding="utf-8")).items():
            text = output.get("data", {}).get("text/plain", "")
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                value = text
            values[key] = str(value)
        return values


def _exercise_numbers(app) -> dict[str, int]:
    """Exercise label → its number in the book (lib.course: the numbering the course page uses)."""
    from . import course

    try:
        return course.exercise_numbers(course.chapters(Path(app.srcdir)))
    except (OSError, KeyError):
        return {}


def _bibliography(app) -> dict[str, dict[str, str]]:
    """Citation key → short author, year, title and address, from the book's BibTeX files."""
    from pybtex.database import parse_file

    entries = {}
    for name in getattr(app.config, "bibtex_bibfiles", []) or []:
        path = Path(app.srcdir) / name
        if not path.is_file():
            continue
        for key, entry in parse_file(str(path)).entries.items():
            people = entry.persons.get("author", [])
            lasts = [" ".join(p.last_names) or " ".join(p.first_names) for p in people]
            lasts = [re.sub(r"[{}]", "", last) for last in lasts]
            author = (lasts[0] if len(lasts) == 1 else f"{lasts[0]} and {lasts[1]}" if len(lasts) == 2
                      else f"{lasts[0]} et al." if lasts else "Anonymous")
            fields = entry.fields
            url = fields.get("url", "") or re.sub(r"^\\url\{(.*)\}$", r"\1", fields.get("howpublished", ""))
            if not url and fields.get("eprint"):
                url = f"https://arxiv.org/abs/{fields['eprint']}"
            if not url and fields.get("doi"):
                url = f"https://doi.org/{fields['doi']}"
            entries[key] = {"author": author, "year": fields.get("year", "n.d."),
                            "title": re.sub(r"[{}]", "", fields.get("title", "")),
                            "url": url if url.startswith("http") else ""}
    return entries


_DIRECTIVE_HEAD = r"```\{%s\}([^\n]*)\n((?::[^\n]*\n)*)```\n?"


def myst_to_markdown(text: str, docname: str, ctx: _Context, glue: dict[str, str], cited: list[str]) -> str:
    """One Markdown cell of a MyST chapter as plain Jupyter Markdown: glued values as text, references as
    numbers or titles, citations as (Author Year), exercise fences as bold headings. ``cited`` collects the
    citation keys in order, for the sources list."""

    def cite(keys: str, textual: bool) -> str:
        parts = []
        for key in (k.strip() for k in keys.split(",")):
            if key not in cited:
                cited.append(key)
            e = ctx.bib.get(key, {"author": key, "year": ""})
            parts.append(f"{e['author']} ({e['year']})" if textual else f"{e['author']} {e['year']}".strip())
        return "; ".join(parts) if textual else f"({'; '.join(parts)})"

    def ref(m: re.Match) -> str:
        body = m.group(2)
        explicit = re.match(r"^(.*?)\s*<([^>]+)>$", body, re.S)
        if explicit:
            return explicit.group(1)
        if m.group(1) == "doc":
            target = re.sub(r"^/", "", body)
            return ctx.titles.get(target, ctx.titles.get(_resolve(docname, target), body))
        if body in ctx.exercise_numbers:
            return f"Exercise {ctx.exercise_numbers[body]}"
        return ctx.sections.get(body, body)

    def equation(m: re.Match) -> str:
        number = ctx.equations.get(m.group(2))
        return m.group(1) + (rf" \tag{{{number}}}" if number else "") + "\n$$"

    text = re.sub(r"^\([\w:-]+\)=\s*\n", "", text, flags=re.M)                       # (label)= targets
    text = re.sub(r"(\$\$.*?)\n?\$\$\s*\(([\w:-]+)\)", equation, text, flags=re.S)  # $$ … $$ (label)
    text = re.sub(r"\{glue:text\}`([^`:]+)(?::[^`]*)?`", lambda m: glue.get(m.group(1), m.group(1)), text)
    text = re.sub(r"\{eq\}`([^`]+)`", lambda m: f"({ctx.equations.get(m.group(1), '?')})", text)
    text = re.sub(r"\{footcite:t\}`([^`]+)`", lambda m: cite(m.group(1), True), text)
    text = re.sub(r"\{(?:foot)?cite(?::p)?\}`([^`]+)`", lambda m: cite(m.group(1), False), text)
    text = re.sub(r"\{(ref|numref|doc)\}`([^`]+)`", ref, text)
    text = re.sub(r"\{math\}`([^`]+)`", r"$\1$", text)
    text = re.sub(r"\[([^\]]+)\]\((?!https?:)[^)]*\.md(?:#[^)]*)?\)", r"\1", text)    # links to other pages

    def exercise(m: re.Match) -> str:
        label = re.search(r":label:\s*(\S+)", m.group(2))
        number = ctx.exercise_numbers.get(label.group(1)) if label else None
        return f"**Exercise {number}.** " if number else "**Exercise.** "

    def solution(m: re.Match) -> str:
        number = ctx.exercise_numbers.get(m.group(1).strip())
        return f"**Solution to exercise {number}.**\n\n" if number else "**Solution.**\n\n"

    text = re.sub(_DIRECTIVE_HEAD % "exercise-start", exercise, text)
    text = re.sub(_DIRECTIVE_HEAD % "solution-start", solution, text)
    text = re.sub(_DIRECTIVE_HEAD % "(?:exercise|solution)-end", "", text)
    text = re.sub(_DIRECTIVE_HEAD % "footbibliography", "", text)
    return text.strip()


def _resolve(docname: str, target: str) -> str:
    return os.path.normpath(os.path.join(os.path.dirname(docname), target)).replace(os.sep, "/")


def strip_solutions(cells: list) -> list:
    """The cells of a student edition: everything between ``solution-start`` and ``solution-end`` fences
    (Markdown and code cells) removed."""
    marker = re.compile(r"```\{solution-(start|end)\}[^\n]*\n(?::[^\n]*\n)*```\n?")
    inside, kept = False, []
    for cell in cells:
        if cell.cell_type != "markdown":
            if not inside:
                kept.append(cell)
            continue
        parts, pos = [], 0
        for m in marker.finditer(cell.source):
            if not inside:
                parts.append(cell.source[pos:m.start()])
            inside, pos = m.group(1) == "start", m.end()
        if not inside:
            parts.append(cell.source[pos:])
        source = "".join(parts).strip()
        if source:
            cell.source = source
            kept.append(cell)
    return kept


def sources_markdown(keys: list[str], ctx: _Context) -> str:
    lines = []
    for key in keys:
        e = ctx.bib.get(key)
        if e:
            link = f" <{e['url']}>" if e["url"] else ""
            lines.append(f"- {e['author']} ({e['year']}). {e['title']}.{link}")
    return "\n".join(lines)


def standalone_notebook(path: Path, docname: str, ctx: _Context, address: str, title: str,
                        student: bool = False):
    """One chapter as a notebook that runs outside the book (see the module docstring)."""
    import jupytext
    from nbformat.v4 import new_code_cell, new_markdown_cell

    notebook = jupytext.read(path)
    cells = strip_solutions(notebook.cells) if student else notebook.cells
    glue, cited = ctx.glue(docname), []
    for cell in cells:
        if cell.cell_type == "markdown":
            had_sources = "{footbibliography}" in cell.source
            cell.source = myst_to_markdown(cell.source, docname, ctx, glue, cited)
            if had_sources and cited:
                cell.source = (cell.source + "\n\n" + sources_markdown(cited, ctx)).strip()
    cells = [c for c in cells if c.cell_type != "markdown" or c.source]
    where = f"`{address}`" if address else "the address in `BOOK_PACKAGE`"
    setup = [new_markdown_cell(SETUP_MARKDOWN.format(title=title, version=book_version(), where=where)),
             new_code_cell(SETUP_CODE.format(address=address))]
    at = 1 if cells and cells[0].cell_type == "markdown" and cells[0].source.lstrip().startswith("#") else 0
    notebook.cells = cells[:at] + setup + cells[at:]
    if student:
        notebook.cells.insert(at, new_markdown_cell(
            "*Student edition: the exercises' solutions are left out.*"))
    notebook.metadata.pop("jupytext", None)
    return notebook


def _write_notebooks(app, exception) -> None:
    """Write every Jupytext page as a standalone notebook (instructor and student editions) and the package
    they install, for readers and students who want to run a chapter in Jupyter or Colab."""
    if exception is not None or app.builder.format != "html":
        return
    import jupytext

    out = Path(app.outdir)
    wheel = build_wheel(out / DIST, Path(app.srcdir))
    address = package_address(wheel.name)
    ctx = _Context(app)
    source = Path(app.srcdir)
    title = app.config.project
    for docname in sorted(app.env.found_docs):
        path = source / f"{docname}.md"
        if not path.is_file() or "kernelspec:" not in path.read_text(encoding="utf-8")[:600]:
            continue
        name = f"{docname.replace('/', '-')}.ipynb"
        for student, folder in ((False, out / NOTEBOOKS), (True, out / NOTEBOOKS / STUDENT)):
            folder.mkdir(parents=True, exist_ok=True)
            notebook = standalone_notebook(path, docname, ctx, address, title, student=student)
            jupytext.write(notebook, folder / name, fmt="ipynb")


def setup(app):
    from .charts import ENV_BOOK_BUILD

    # Chapters are executed in kernels started by this process: they inherit this and emit the book's HTML.
    os.environ[ENV_BOOK_BUILD] = "1"
    app.add_js_file(BUNDLE)
    app.add_js_file(RENDERER)
    app.connect("config-inited", _configure, priority=900)
    app.connect("source-read", _source_read)
    app.connect("build-finished", _write_bundle)
    app.connect("build-finished", _subset_icons)
    app.connect("build-finished", _compact_renderer)
    app.connect("build-finished", _page_text)
    # After the theme's own build-finished handler, which rewrites pygments.css with its light and dark styles.
    app.connect("build-finished", _plain_code_tokens, priority=900)
    app.connect("build-finished", _write_notebooks)
    app.connect("html-page-context", _page_assets, priority=999)
    return {"version": "1.1", "parallel_read_safe": True, "parallel_write_safe": True}
