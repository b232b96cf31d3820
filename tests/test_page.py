"""lib.page's escaping of data into Markdown."""

from markdown_it import MarkdownIt

from lib import page


def test_md_escape_keeps_apostrophes_and_neutralises_markup():
    """An apostrophe stays an apostrophe (an entity's '#' would be backslash-escaped and print as '&#x27;'),
    while markup, roles, math and HTML in data stay literal text."""
    assert page.md_escape("xAI's model") == "xAI's model"
    rendered = MarkdownIt().render(page.md_escape("DeepSeek's *bold* `code` $x$ <script>x</script> [a](b)"))
    assert "DeepSeek's" in rendered and "&amp;#x27;" not in rendered and "#x27" not in rendered
    assert "<em>" not in rendered and "<code>" not in rendered and "<script>" not in rendered and "<a " not in rendered


def test_equation_labels_in_plain_text_become_numbers():
    """Labels a caption, cell or glued sentence writes as text take the equation's number; attributes, scripts,
    links and unknown labels are left alone."""
    from lib.sphinx_ext import number_equation_labels

    numbers = {"eq-tr-seats": 9, "eq-pl-gray": 31, "eq-bs-experts": 22}
    html = ('<td>eq. (eq-tr-seats); eq. eq-pl-gray; (eq. bs-experts); eq-unknown</td>'
            '<div id="equation-eq-tr-seats"><a href="#equation-eq-tr-seats">¶</a></div>'
            '<script>var label = "eq-tr-seats";</script>')
    out = number_equation_labels(html, numbers)
    assert out.startswith("<td>eq. (9); eq. (31); (eq. (22)); eq-unknown</td>")
    assert 'id="equation-eq-tr-seats"' in out and 'href="#equation-eq-tr-seats"' in out
    assert 'var label = "eq-tr-seats";' in out


def test_parenthesised_nests_brackets_inside_parentheses():
    """A name that carries its own parentheses ("Rubin (announced)") is bracketed inside a sentence's."""
    from lib.page import parenthesised

    assert parenthesised("H100 SXM") == "(H100 SXM)"
    assert parenthesised("Rubin (announced)") == "(Rubin [announced])"
    assert "((" not in f"13.1 ms {parenthesised('Rubin (announced)')}" and "))" not in parenthesised("a (b)")


def test_code_names_in_tables_break_at_underscores_and_nowhere_else():
    from lib.sphinx_ext import code_name_breaks

    page = ('<p><code><span class="pre">weight_share</span></code></p>'
            '<table><tr><td><code class="literal"><span class="pre">standard_batch,</span> '
            '<span class="pre">fast_batch</span></code></td><td><span class="pre">chips</span></td></tr></table>')
    once = code_name_breaks(page)
    assert once == ('<p><code><span class="pre">weight_share</span></code></p>'
                    '<table><tr><td><code class="literal"><span class="pre">standard_<wbr>batch,</span> '
                    '<span class="pre">fast_<wbr>batch</span></code></td><td><span class="pre">chips</span></td></tr>'
                    '</table>')
    assert code_name_breaks(once) == once
