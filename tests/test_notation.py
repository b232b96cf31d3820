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


def test_math_symbols_reads_a_formula():
    text = (r"A radiator at $T_\text{rad}$: $$A_\text{rad} = \frac{P_\text{el}}{n_s\, \varepsilon_\text{rad}\, \sigma\, "
            r"T_\text{rad}^4}, \quad E = \int_0^1 \min\bigl(f,\ 1 - \Phi(\xi)\bigr)\, d\xi\ \text{W}$$" "\n"
            "```{code-cell} python\nprint(f\"${x:,.0f} and $y$\")\n```")
    assert notation.math_symbols(text) == {r"A_\text{rad}", r"P_\text{el}", r"T_\text{rad}", r"\Phi", r"\sigma",
                                           r"\varepsilon_\text{rad}", r"\xi", "f", "n_s", "E"}


def test_a_foreign_or_missing_symbol_is_found():
    """The power page once wrote sunlight as S (fast-mode's speed ratio) and cost per token as c (fast-mode's
    compute per sequence); a symbol no entry defines is missing."""
    found = notation.symbols_outside(r"sunlight $S$, cost $c$, drain time $T$, and $Q_\text{new}$",
                                     "chapters/power-and-co-design")
    assert found == {"S": "chapters/fast-mode", "c": "chapters/fast-mode", r"Q_\text{new}": "missing"}


def test_power_and_co_design_uses_only_the_books_and_its_own_symbols():
    """Every symbol in power-and-co-design's mathematics has an entry, book-wide or the chapter's own (the
    radiator's temperature is T_rad, not the book's T; sunlight I_sun, not fast-mode's S; a token's cost c_tok,
    not fast-mode's c; the load-duration curve Φ(ξ), not the book's L)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "chapters" / "power-and-co-design.md").read_text(encoding="utf-8")
    assert notation.symbols_outside(text, "chapters/power-and-co-design") == {}
