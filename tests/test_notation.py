"""The one notation table: book-wide letters are unique and never reused by a chapter."""

from lib import course, notation


def test_no_symbol_conflicts():
    assert notation.conflicts() == []


def test_conflicts_are_detected():
    original = notation.SYMBOLS
    try:
        notation.SYMBOLS = original + (notation.Symbol("B", "bytes", "B", "x", "chapters/racks"),)
        assert any("'B' has 2 meanings" in c for c in notation.conflicts())
    finally:
        notation.SYMBOLS = original


def test_one_meaning_per_symbol_across_chapters():
    """Two chapters may not give one letter two meanings (φ, η, k and P each meant two or three things)."""
    original = notation.SYMBOLS
    try:
        notation.SYMBOLS = original + (
            notation.Symbol(r"\varphi", "something else", "1", "x", "chapters/prices-leak"),
            notation.Symbol(r"m(L)", "a function of context", "tokens", "y", "chapters/context-plateau"),
        )
        found = notation.conflicts()
        assert any("varphi" in c and "has 2 meanings" in c for c in found), found
        assert any("'m' has 2 meanings" in c for c in found), found  # m (micro-batches) and m(L)
    finally:
        notation.SYMBOLS = original


def test_base_symbols_normalise_lists_and_arguments():
    assert notation.base_symbols(r"W_\text{up}, W_\text{out}") == {r"W_\text{up}", r"W_\text{out}"}
    assert notation.base_symbols("K(L)") == {"K"}
    assert notation.base_symbols(r"k_\text{RL}") == {r"k_\text{RL}"}


def test_every_local_scope_is_a_chapter_of_the_book():
    chapters = set(course.toc_chapters())
    for scope in notation.scopes()[1:]:
        assert scope in chapters, scope


def test_book_symbols_render_as_math():
    table = notation.markdown_table("book")
    assert "$N_\\text{total}$" in table and table.count("\n") == len(notation.as_rows("book")) + 1
