"""A small Sphinx extension: ship the Vega JavaScript bundle with the book so that charts work offline.

``lib.charts.show`` emits divs that call ``vegaEmbed``; this extension writes the bundle (Vega, Vega-Lite
and Vega-Embed, from ``vl-convert-python``) into the build's ``_static/vega/`` once, adds it to every
page's ``<head>``, and adds the book's small stylesheet. Nothing is written into the source tree.
"""

from __future__ import annotations

from pathlib import Path

BUNDLE = "vega/vega-bundle.js"
NOTEBOOKS = "notebooks"


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


def _write_notebooks(app, exception) -> None:
    """Write every Jupytext page of the book as an unexecuted ``.ipynb`` under ``notebooks/`` in the output,
    for readers and students who want to run a chapter in Jupyter (the course page links to them)."""
    if exception is not None or app.builder.format != "html":
        return
    import jupytext

    source = Path(app.srcdir)
    target = Path(app.outdir) / NOTEBOOKS
    target.mkdir(parents=True, exist_ok=True)
    for docname in sorted(app.env.found_docs):
        path = source / f"{docname}.md"
        if not path.is_file() or "kernelspec:" not in path.read_text(encoding="utf-8")[:600]:
            continue
        notebook = jupytext.read(path)
        out = target / f"{docname.replace('/', '-')}.ipynb"
        jupytext.write(notebook, out, fmt="ipynb")


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated ``<script>`` entries: an inline script added twice (sphinx-thebe's ``const``
    configuration reaches the page twice) is a "redeclared identifier" error in the browser."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # An inline script may be registered once with filename None and once with "" (Sphinx normalises
        # only one of the two paths), so compare the normalised name and the attributes.
        key = (getattr(script, "filename", script) or "", repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.add_js_file(BUNDLE)
    app.connect("build-finished", _write_bundle)
    app.connect("build-finished", _write_notebooks)
    app.connect("html-page-context", _dedupe_scripts, priority=999)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
