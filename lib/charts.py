"""The book's Altair theme, shared chart pieces, and offline rendering.

Charts render in the browser with no network and no kernel: in the built book :func:`show` emits a
``<div>`` and the chart's Vega-Lite spec as JSON beside it; ``_static/book-charts.js`` draws each one with
``vegaEmbed`` from the Vega bundle shipped with the book (``lib.sphinx_ext`` writes it once into
``_static/vega/``), fitted to the page's width and in the page's light or dark mode. Parameters bound to
sliders and dropdowns run in the page. Outside the book's build (a downloaded notebook in Jupyter or Colab)
the same call displays the chart with Altair's own renderer.

Chart-specific builders for a chapter live in ``lib/figures/<chapter>.py``; this module holds what they
share.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import os

import altair as alt
import pandas as pd

#: Altair refuses more rows than this per chart; we keep well below it so pages stay light.
MAX_ROWS = 5000

PALETTE = ["#1f5fa6", "#d1495b", "#2e8b57", "#edae49", "#6b4c9a", "#00798c", "#8c564b", "#7f7f7f"]
BOUND_COLORS = {"compute": "#d1495b", "weights": "#1f5fa6", "kv": "#edae49", "memory": "#1f5fa6",
                "step": "#222222"}

#: The book's one vendor → (colour, point shape) map: every chart that shows vendors draws them this way, so a
#: vendor keeps its colour from page to page and whatever rows the data hold.
VENDOR_STYLES: dict[str, tuple[str, str]] = {
    "NVIDIA": ("#76b900", "circle"),
    "AMD": ("#d1495b", "triangle-up"),
    "Google": ("#1f5fa6", "square"),
}
#: Colours and shapes for vendors the map does not know, given in the sorted order of their names.
FALLBACK_VENDOR_STYLES: tuple[tuple[str, str], ...] = (
    ("#6b4c9a", "diamond"), ("#00798c", "cross"), ("#8c564b", "triangle-down"), ("#edae49", "triangle-right"),
    ("#7f7f7f", "triangle-left"), ("#e377c2", "wedge"),
)


def vendor_styles(vendors) -> dict[str, tuple[str, str]]:
    """Colour and shape for each vendor present: the fixed :data:`VENDOR_STYLES` for known vendors (in the map's
    order), then the fallbacks for unknown ones in sorted order (cycling when there are more unknown vendors
    than fallbacks), so every vendor's points are drawn and listed in the legend."""
    present = list(dict.fromkeys(str(v) for v in vendors))
    known = [v for v in VENDOR_STYLES if v in present]
    unknown = sorted(v for v in present if v not in VENDOR_STYLES)
    styles = {v: VENDOR_STYLES[v] for v in known}
    for i, v in enumerate(unknown):
        styles[v] = FALLBACK_VENDOR_STYLES[i % len(FALLBACK_VENDOR_STYLES)]
    return styles


def vendor_color(vendors, field: str = "vendor", **kwargs) -> alt.Color:
    """A colour encoding of ``field`` with the book's vendor colours (see :func:`vendor_styles`)."""
    styles = vendor_styles(vendors)
    kwargs.setdefault("title", "vendor")
    kwargs.setdefault("legend", alt.Legend(orient="bottom"))
    return alt.Color(f"{field}:N", scale=alt.Scale(domain=list(styles), range=[c for c, _ in styles.values()]),
                     **kwargs)


def vendor_shape(vendors, field: str = "vendor", **kwargs) -> alt.Shape:
    """A shape encoding of ``field`` with the book's vendor shapes (see :func:`vendor_styles`)."""
    styles = vendor_styles(vendors)
    kwargs.setdefault("title", "vendor")
    kwargs.setdefault("legend", alt.Legend(orient="bottom"))
    return alt.Shape(f"{field}:N", scale=alt.Scale(domain=list(styles), range=[s for _, s in styles.values()]),
                     **kwargs)


def vega_string(text: str) -> str:
    """``text`` as a string literal of a Vega expression (``datum.hardware == {vega_string(name)}``): quoted and
    escaped, so a name with quotes or markup from the data cannot break or change the expression."""
    return json.dumps(str(text))


def log_domain(values, low: float, high: float) -> list[float]:
    """A log-axis domain: [low, high], widened to hold every positive value of the data (a fixed domain would
    draw a reader's outlying rows outside the plot)."""
    finite = [float(v) for v in values if v is not None and float(v) > 0 and float(v) < float("inf")]
    return [min([low] + finite) * 0.9 if min([low] + finite) < low else low,
            max([high] + finite) * 1.1 if max([high] + finite) > high else high]


def year_domain(years, pad: float = 1.0, right: float | None = None) -> list[float]:
    """An axis domain for release years that holds every row's year (a fixed domain would drop new rows), with
    ``pad`` years on the left and ``right`` (default ``pad``) on the right, where point labels run."""
    values = [float(y) for y in years]
    return [min(values) - pad, max(values) + (pad if right is None else right)]


def _theme() -> dict:
    return {
        "config": {
            "view": {"continuousWidth": 560, "continuousHeight": 320, "stroke": None},
            "font": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
            "title": {"fontSize": 15, "anchor": "start", "subtitleFontSize": 12, "subtitleColor": "#555"},
            # labelSeparation: labels closer than 4 px are thinned (log axes would otherwise print "3040 6080").
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "gridColor": "#e6e6e6", "titleFontWeight": 600,
                     "labelSeparation": 4},
            # labelLimit: legend labels are written whole (Vega's default cuts them at 160 px); a legend that
            # then runs wider than its chart is stacked under the plot by the page's script (book-charts.js).
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "right", "labelLimit": 400},
            "range": {"category": PALETTE},
            "line": {"strokeWidth": 2.2},
            "point": {"size": 60, "filled": True},
        }
    }


alt.theme.register("book", enable=True)(_theme)
alt.data_transformers.disable_max_rows()  # our own guard in `show` is stricter and clearer


def _count_rows(spec: dict) -> int:
    """Rows of inline data in a Vega-Lite spec (datasets plus inline values)."""
    total = sum(len(v) for v in spec.get("datasets", {}).values() if isinstance(v, list))

    def walk(node):
        nonlocal total
        if isinstance(node, dict):
            values = node.get("data", {}).get("values") if isinstance(node.get("data"), dict) else None
            if isinstance(values, list):
                total += len(values)
            for key, value in node.items():
                if key != "datasets":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return total


#: Set (to any value) by ``lib.sphinx_ext`` while the book is built: charts are then written for the book's
#: own renderer. Without it (Jupyter, Colab, a script) charts use Altair's renderer.
ENV_BOOK_BUILD = "BOOK_CHARTS_IN_BOOK"
#: Specs longer than this (characters of JSON) are written gzip-compressed and base64-encoded.
COMPRESS_ABOVE = 2_000
#: Altair's renderer for charts outside the book: "html" draws in classic Jupyter, JupyterLab and Colab.
NOTEBOOK_RENDERER = "html"


class Rendered:
    """A chart for the static book (a div and its spec as JSON) or, outside the book, Altair's own display."""

    def __init__(self, chart: alt.TopLevelMixin, description: str):
        spec = chart.to_dict()
        rows = _count_rows(spec)
        if rows > MAX_ROWS:
            raise ValueError(f"chart embeds {rows} data rows (limit {MAX_ROWS}): aggregate in pandas first")
        if not description:
            raise ValueError("every chart needs a text description (its alternative for screen readers)")
        self.chart = chart
        self.spec = spec
        self.description = description
        payload = json.dumps(spec, sort_keys=True, separators=(",", ":"))
        self.div_id = "chart-" + hashlib.sha1(payload.encode()).hexdigest()[:12]
        self._payload = payload

    def _repr_html_(self) -> str:
        label = html.escape(self.description, quote=True)
        div = f'<div class="book-chart" id="{self.div_id}" role="img" aria-label="{label}"></div>\n'
        if len(self._payload) > COMPRESS_ABOVE:
            # Large inline data (records repeat every column name): gzip and base64, ~10x lighter; the page's
            # renderer inflates it with the browser's DecompressionStream.
            packed = base64.b64encode(gzip.compress(self._payload.encode(), mtime=0)).decode()
            return div + (f'<script type="text/plain" data-encoding="gzip+base64" id="{self.div_id}-spec">'
                          f"{packed}</script>")
        # Escape "</" so that the JSON cannot close the script element ("<\\/" is the same JSON string).
        payload = self._payload.replace("</", "<\\/")
        return div + f'<script type="application/json" id="{self.div_id}-spec">{payload}</script>'

    def _repr_markdown_(self) -> str:  # the text alternative, for viewers without JavaScript
        from .page import md_escape

        return f"*Chart:* {md_escape(self.description)}"

    def _repr_mimebundle_(self, include=None, exclude=None):
        if os.environ.get(ENV_BOOK_BUILD):
            return {"text/html": self._repr_html_(), "text/markdown": self._repr_markdown_()}
        with alt.renderers.enable(NOTEBOOK_RENDERER):
            bundle = self.chart._repr_mimebundle_(include, exclude)
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle = bundle[0]
        return {**bundle, "text/plain": f"Chart: {self.description}"}


def spec_from_html(script_text: str, encoding: str | None = None) -> dict:
    """The Vega-Lite spec of a chart from its script element's text (and ``data-encoding``), as written by
    :class:`Rendered`: for tests and tools that read the built pages."""
    if encoding == "gzip+base64":
        return json.loads(gzip.decompress(base64.b64decode(script_text)).decode())
    return json.loads(script_text.replace("<\\/", "</"))


def show(chart: alt.TopLevelMixin, description: str) -> Rendered:
    """Return a displayable object that draws ``chart`` offline in the built book.

    ``description`` is the chart's text alternative (read by screen readers, shown where JavaScript
    is off). Raises ValueError for a chart that embeds more than :data:`MAX_ROWS` rows of data.
    """
    return Rendered(chart, description)


def log_axis(title: str, **kwargs) -> alt.Axis:
    """An axis with readable labels on a log scale (1k, 10k, 1M); labels closer than 6 px are dropped."""
    kwargs.setdefault("labelOverlap", "greedy")
    kwargs.setdefault("labelSeparation", 6)
    return alt.Axis(title=title, format="~s", **kwargs)


_SUPERSCRIPTS = "['⁰','¹','²','³','⁴','⁵','⁶','⁷','⁸','⁹']"


def sci_expr(value: str, digits: int = 3) -> str:
    """A Vega expression writing the positive number ``value`` (an expression such as ``datum.flop``) as
    ``3.29×10²⁴`` (``digits`` significant digits; ``10²⁴`` when the mantissa is 1), for labels computed in the
    browser: people read it, unlike Vega's ``3.29e+24``. Exponents 0–99."""
    e = f"floor(log({value}) / LN10 + 1e-9)"
    m = f"({value}) / pow(10, {e})"
    sup = f"({_SUPERSCRIPTS}[floor({e} / 10)] + {_SUPERSCRIPTS}[{e} % 10])"
    sup = f"({e} < 10 ? {_SUPERSCRIPTS}[{e}] : {sup})"
    mantissa = f"format({m}, '.{digits}~r')"
    return f"({mantissa} == '1' ? '' : {mantissa} + '×') + '10' + {sup}"


def fold_label_expr(series: dict[str, str], field: str = "term") -> str:
    """A Vega expression naming each column folded into ``datum[field]`` by its label in ``series``
    (column → label), for use after ``transform_fold(list(series), as_=[field, ...])``."""
    return " + ".join(f"(datum.{field} == {vega_string(column)} ? {vega_string(label)} : '')"
                      for column, label in series.items())


def joint_labels(frame: pd.DataFrame, value: str, tolerance: float, relative: bool = False) -> list[str]:
    """A label per row that joins the names ("hardware") of rows drawn on top of each other: same year and
    ``value`` within ``tolerance`` (absolute, or a fraction when ``relative``). Later rows of a cluster get ""."""
    labels = [""] * len(frame)
    taken: set[int] = set()
    rows = frame.reset_index(drop=True)
    for i, row in rows.iterrows():
        if i in taken:
            continue
        gap = (rows[value] - row[value]).abs()
        if relative:
            gap = gap / row[value]
        near = rows[(rows["year"] == row["year"]) & (gap < tolerance) & ~rows.index.isin(taken)]
        taken.update(near.index)
        labels[i] = " / ".join(near["hardware"])
    return labels


def long_form(frame: pd.DataFrame, id_vars: list[str], value_vars: dict[str, str], var_name: str,
              value_name: str) -> pd.DataFrame:
    """Melt ``frame`` to long form, renaming the melted columns by ``value_vars`` (column → label)."""
    melted = frame.melt(id_vars=id_vars, value_vars=list(value_vars), var_name=var_name, value_name=value_name)
    melted[var_name] = melted[var_name].map(value_vars)
    return melted
