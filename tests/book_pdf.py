"""The PDF edition: every page of the built book printed by headless Chromium after its charts have drawn,
then joined into one file (``make pdf`` → ``_build/pdf/book.pdf``).

Charts print as the static vector drawings they are once rendered (their sliders and menus are hidden in print,
with the navigation); code cells stay collapsed, so the PDF reads as the book's text, equations, tables and
charts. Usage: ``python tests/book_pdf.py OUT.pdf [PAGE ...]`` (pages as docnames; default: the whole table of
contents).
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import HTML, ROOT, browser, serve  # noqa: E402

#: A4 at 96 px per inch less the print margins: the width the charts are fitted to.
PRINT_WIDTH_PX = 720


def toc_pages(root: Path = ROOT) -> list[str]:
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters") or []:
            pages.append(chapter["file"])
    return [re.sub(r"\.(md|ipynb)$", "", p) for p in pages]


def print_pages(pages: list[str], out: Path, html_dir: Path = HTML) -> int:
    """Print ``pages`` (docnames) to one PDF at ``out``; returns the number of PDF pages."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    with serve(html_dir) as url, browser() as b:
        context = b.new_context(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
        for docname in pages:
            page = context.new_page()
            page.emulate_media(media="print")
            page.goto(f"{url}{docname}.html", wait_until="load")
            page.wait_for_function(
                "Array.from(document.querySelectorAll('.book-chart')).every(d => d.querySelector('svg'))",
                timeout=30000)
            page.wait_for_function("!window.MathJax || !MathJax.startup || !MathJax.startup.promise || "
                                   "document.querySelectorAll('mjx-container').length > 0 || "
                                   "!document.querySelector('.math')", timeout=30000)
            page.wait_for_timeout(300)
            pdf = page.pdf(format="A4", print_background=True,
                           margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"})
            writer.append(io.BytesIO(pdf))
            page.close()
        context.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as handle:
        writer.write(handle)
    return len(writer.pages)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build" / "pdf" / "book.pdf"
    chosen = sys.argv[2:] or toc_pages()
    n = print_pages(chosen, target)
    print(f"{target}: {len(chosen)} book pages, {n} PDF pages")
