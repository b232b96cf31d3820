"""The PDF edition (`make pdf`): one page printed through the same code, with its chart drawn."""

from __future__ import annotations

import os

import pytest

from browser import HTML, chromium_path

pytestmark = pytest.mark.book


def test_one_page_prints_with_its_chart(tmp_path):
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI")
        pytest.skip("Chromium not installed")
    from pypdf import PdfReader

    from book_pdf import print_pages

    out = tmp_path / "two-budgets.pdf"
    pages = print_pages(["chapters/two-budgets"], out, HTML)
    assert pages >= 2 and out.stat().st_size > 20_000
    text = "\n".join(p.extract_text() for p in PdfReader(out).pages)
    assert "Two budgets" in text
    assert "cost per token against batch" in text  # the chart's title, drawn as text in the SVG
