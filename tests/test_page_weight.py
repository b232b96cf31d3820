"""What keeps a chapter's first load under the limit (tests/test_html.py measures it in a browser): code blocks
without spans that only repeat the block's text colour, and charts that embed no more data than they draw."""

from __future__ import annotations

import re

from lib.sphinx_ext import plain_token_classes, strip_plain_tokens

CSS = """
html[data-theme="light"] .highlight { background: #fefefe; color: #080808 }
html[data-theme="light"] .highlight .n { color: #080808 }
html[data-theme="light"] .highlight .o { color: #00622F }
html[data-theme="light"] .highlight .p { color: #080808 }
html[data-theme="light"] .highlight .k { color: #080808; font-weight: bold }
html[data-theme="light"] .highlight .nb { color: #080808 }
html[data-theme="dark"] .highlight { background: #2b2b2b; color: #F8F8F2 }
html[data-theme="dark"] .highlight .n { color: #F8F8F2 }
html[data-theme="dark"] .highlight .o { color: #ABE338 }
html[data-theme="dark"] .highlight .p { color: #f8f8f2 }
html[data-theme="dark"] .highlight .k { color: #F8F8F2; font-weight: bold }
html[data-theme="dark"] .highlight .nb { color: #FFD900 }
.highlight pre { line-height: 125%; }
"""


def test_plain_classes_are_those_drawn_in_the_text_colour_in_every_theme():
    # .o has its own colour; .k is bold; .nb is plain in light mode only
    assert plain_token_classes(CSS) == {"n", "p"}
    assert plain_token_classes(".highlight .n { color: #000 }") == set()  # no base colour known: keep all


def test_stripping_keeps_the_code_text_and_touches_nothing_outside_code_blocks():
    code = ('<div class="highlight"><pre><span></span><span class="n">x</span> <span class="o">=</span> '
            '<span class="n">f</span><span class="p">(</span><span class="mi">1</span><span class="p">)</span>\n'
            '</pre></div>')
    page = f'<p><span class="n">prose</span></p>{code}'
    out = strip_plain_tokens(page, {"n", "p"})
    assert out.startswith('<p><span class="n">prose</span></p>')
    assert re.sub(r"<[^>]+>", "", out) == re.sub(r"<[^>]+>", "", page)
    assert '<span class="o">=</span>' in out and '<span class="mi">1</span>' in out
    assert 'class="n"' not in out[len('<p><span class="n">prose</span></p>'):]
    assert len(page) - len(out) == 4 * len("<span class=\"n\"></span>")  # four spans of n and p gone


def test_moe_chart_data_reproduce_the_layer_times():
    """The MoE chart embeds each term's time at one token and its power of the batch; times those, the browser's
    line passes through every time lib.parallelism gives on the batch grid."""
    import numpy as np

    from lib import data
    from lib.derivations import racks as rk
    from lib.figures import racks as fig

    sel = data.selection()
    model = next(m for m in [sel.model, *sel.all_models()] if m.is_moe)
    hardware = sel.all_hardware()
    full = fig.moe_layer_frame(hardware, model, rk.ep_degree, lambda h: rk.topology(sel, h))
    terms = fig.moe_terms_frame(hardware, model, rk.ep_degree, lambda h: rk.topology(sel, h))
    assert set(terms["power"]) == {0, 1}  # weight reads flat, compute and all-to-all ∝ B
    merged = full.merge(terms, on=["hardware", "term"])
    np.testing.assert_allclose(merged["us_at_1"] * merged["batch"] ** merged["power"], merged["us"], rtol=2e-3)
    assert len(terms) == 4 * len({h.name for h in hardware}) < len(full) / 5


def test_schedule_chart_bubble_is_pipeline_bubble_fraction():
    import numpy as np

    from lib import parallelism as par
    from lib.figures import racks as fig

    times = fig.bubble_times_frame()
    for schedule, label in fig.SCHEDULES.items():
        for p in (2, 8, 32):
            t = float(times[(times["schedule"] == label) & (times["p"] == p)]["bubble_time"].iloc[0])
            m = fig.SCHEDULE_MICROBATCHES.astype(float)
            np.testing.assert_allclose(t / (m * fig.CHUNK_FB + t), par.pipeline_bubble_fraction(schedule, p, m))
    # GPipe at p = 4, m = 8 by hand: (p − 1)/(m + p − 1) = 3/11
    t = float(times[(times["schedule"] == "GPipe / 1F1B") & (times["p"] == 4)]["bubble_time"].iloc[0])
    assert t / (8 * fig.CHUNK_FB + t) == 3 / 11
