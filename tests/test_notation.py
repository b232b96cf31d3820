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
    """The power page once wrote sunlight as S (fast-mode's speed ratio); a letter local to another chapter
    (fast-mode's compute per sequence ζ) is foreign, a book-wide one (T, c) is not, and a symbol no entry
    defines is missing."""
    found = notation.symbols_outside(r"sunlight $S$, time $\zeta$, cost $c$, drain time $T$, and $Q_\text{new}$",
                                     "chapters/power-and-co-design")
    assert found == {"S": "chapters/fast-mode", r"\zeta": "chapters/fast-mode", r"Q_\text{new}": "missing"}


def test_power_and_co_design_uses_only_the_books_and_its_own_symbols():
    """Every symbol in power-and-co-design's mathematics has an entry, book-wide or the chapter's own (the
    radiator's temperature is T_rad, not the book's T; sunlight I_sun, not fast-mode's S; a token's cost in
    dollars c_tok, not the book's c (accelerator-seconds); the load-duration curve Φ(ξ), not the book's L)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "chapters" / "power-and-co-design.md").read_text(encoding="utf-8")
    assert notation.symbols_outside(text, "chapters/power-and-co-design") == {}


# ---- every chapter's mathematics against the table ------------------------------------------------------------

#: Symbols chapters used before the whole-book check existed and that no entry gave them (missing, or another
#: chapter's local letter reused with another meaning). The backlog is burned down: every symbol got an entry or was
#: renamed on its page, and `test_the_backlog_stays_empty` keeps it so (a new symbol gets an entry, not a line here).
#: Operators and indices that are not quantities (O, e, π, i, j) are `notation.NOT_SYMBOLS` instead.
KNOWN_UNREGISTERED: dict[str, set[str]] = {}


def _chapter_text(docname: str) -> str:
    from pathlib import Path

    return (Path(__file__).resolve().parent.parent / f"{docname}.md").read_text(encoding="utf-8")


def unregistered_symbols() -> dict[str, dict[str, str]]:
    """Per chapter of the book, the symbols of its mathematics that the table does not give it, less the backlog."""
    out = {}
    for docname in course.toc_chapters():
        outside = notation.symbols_outside(_chapter_text(docname), docname)
        new = {sym: where for sym, where in outside.items()
               if sym not in KNOWN_UNREGISTERED.get(docname.removeprefix("chapters/"), set())}
        if new:
            out[docname] = new
    return out


def test_every_chapter_uses_only_registered_symbols():
    """A symbol in a chapter's display or inline mathematics needs an entry (book-wide or that chapter's own)."""
    assert unregistered_symbols() == {}


def test_the_backlog_stays_empty():
    assert KNOWN_UNREGISTERED == {}


def test_the_backlog_only_shrinks():
    """Every backlog entry is still on its page and still unregistered: a symbol fixed there leaves the list."""
    for chapter, symbols in KNOWN_UNREGISTERED.items():
        outside = notation.symbols_outside(_chapter_text(f"chapters/{chapter}"), f"chapters/{chapter}")
        assert symbols <= set(outside), (chapter, sorted(symbols - set(outside)))


def test_the_check_catches_the_symbols_registered_late():
    """prices-leak's c_k and β_k, racks' B_comm and t_TP and fast-mode's B_s and B_f were on their pages with no
    entry; without their entries the check fails on exactly those pages."""
    late = {r"c_k", r"\beta_k", r"B_\text{comm}", r"t_\text{TP}", "B_s", "B_f"}
    original = notation.SYMBOLS
    try:
        notation.SYMBOLS = tuple(s for s in original if not notation.base_symbols(s.symbol) & late)
        found = unregistered_symbols()
    finally:
        notation.SYMBOLS = original
    assert found["chapters/prices-leak"].keys() >= {"c_k", r"\beta_k", "B_s"}
    assert found["chapters/racks"].keys() >= {r"B_\text{comm}", r"t_\text{TP}"}
    assert found["chapters/fast-mode"].keys() >= {"B_s", "B_f"}
    assert set(found) == {"chapters/prices-leak", "chapters/racks", "chapters/fast-mode"}


def test_math_spans_read_roles_and_directives():
    text = ("Inline {math}`Q_\\text{role}` and $R$.\n\n```{math}\n:label: eq-x\nS_\\text{dir} = 1\n```\n\n"
            ":::{math}\nV_\\text{colon}\n:::\n\n```{code-cell} python\nx = '$Z$'\n```\n")
    assert notation.math_symbols(text) == {r"Q_\text{role}", "R", r"S_\text{dir}", r"V_\text{colon}"}


def test_a_subscript_that_starts_with_a_word_is_kept_whole():
    """racks' per-layer parameters N_{active,ℓ} are one symbol, not N_{,ℓ} with the word dropped."""
    assert notation.math_symbols(r"$N_{\text{active},\ell} + \text{layers}$") == {r"N_{\text{active},\ell}"}


def test_operators_and_indices_are_not_symbols():
    assert notation.math_symbols(r"$O(n^2)$, $e^{x}$, $\pi r$, $\sum_i w_i$, $\mathrm{kv}(L)$") == {"n", "x", "r", "w_i",
                                                                                                  "L"}


def test_base_symbols_split_only_at_top_level_commas():
    assert notation.base_symbols(r"b_{kv,\ell}") == {r"b_{kv,\ell}"}
    assert notation.base_symbols(r"t_\text{AR}(x, g), t_\text{TP}") == {r"t_\text{AR}", r"t_\text{TP}"}
