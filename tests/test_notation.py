"""The one notation table: book-wide letters are unique and never reused by a chapter."""

from lib import course, notation


def test_no_symbol_conflicts():
    assert notation.conflicts() == []


def test_conflicts_are_detected():
    original = notation.SYMBOLS
    try:
        notation.SYMBOLS = original + (notation.Symbol("B", "bytes", "B", "x", "chapters/racks"),)
        assert any("reuses the book-wide" in c for c in notation.conflicts())
    finally:
        notation.SYMBOLS = original


def test_every_local_scope_is_a_chapter_of_the_book():
    chapters = set(course.toc_chapters())
    for scope in notation.scopes()[1:]:
        assert scope in chapters, scope


def test_book_symbols_render_as_math():
    table = notation.markdown_table("book")
    assert "$N_\\text{total}$" in table and table.count("\n") == len(notation.as_rows("book")) + 1
