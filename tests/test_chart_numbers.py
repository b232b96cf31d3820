"""A number that a chart and the prose both show is one computed value written one way: the chart, drawn by Vega
at its starting state (vl-convert runs the same expressions the browser does), shows the prose's string."""

from __future__ import annotations

import re

import numpy as np
import pytest
import vl_convert as vlc

from lib import data, modes
from lib.derivations import batch_300x_sparsity as bs
from lib.derivations import scaling_power as sp
from lib.figures import batch_300x_sparsity as bs_fig
from lib.figures import fast_mode as fm_fig
from lib.figures import scaling_power as sp_fig
from lib.figures import train_20ms as tr_fig
from lib.units import ratio, ratio_expr, si


def drawn_texts(chart) -> list[str]:
    """Every text Vega draws for ``chart`` at its starting state (titles, labels, readouts; each line of a
    multi-line text, which Vega draws as tspans, on its own)."""
    svg = vlc.vegalite_to_svg(chart.to_dict())
    lines = []
    for body in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S):
        lines += re.findall(r"<tspan[^>]*>([^<]*)</tspan>", body) or [body]
    return [re.sub(r"&#x27;|&apos;", "'", t).replace("&amp;", "&") for t in lines]


@pytest.fixture(scope="module")
def sel():
    return data.selection()


def test_batch_cost_chart_starts_at_the_prose_b_star(sel):
    """The reported case: the chart drew B* = 5,344 (its sparsity slider started at 18.1) against the prose's
    5,354 (s = 671 / 37 = 18.135). The slider now sets N_total and starts at the model's own."""
    hw, model = sel.hardware, sel.model
    prose = format(bs.optimal_batch_at(hw, model.sparsity), bs.B_STAR_FORMAT)
    texts = drawn_texts(bs_fig.cost_chart(sel.all_hardware(), model, hw.name))
    assert any(t.endswith(f"B* = (F/W)·s = {prose}") for t in texts), (prose, texts)
    if hw.name == "H100 SXM" and model.name == "DeepSeek-V3":
        # by hand: 989e12 / 3.35e12 × 671 / 37 = 295.22 × 18.135 = 5,353.9
        assert prose == "5,354"


def test_fast_mode_ceiling_is_the_prose_multiple():
    share = float(modes.memory_bound_kv_share(6.0, 2.5))  # (1 − 1/2.5) / (1 − 1/15) = 0.642857…
    assert share == pytest.approx(0.6 / (14 / 15))
    texts = drawn_texts(fm_fig.inverse_chart([], default_share=share))
    prose = ratio(float(modes.speed_ceiling(share)), 3)
    assert prose == "2.8×"  # 1 / (1 − 0.642857) = 2.8; with φ rounded to 0.64 the chart said 2.78×
    assert f"ceiling 1/(1−φ) = {prose}" in texts


def test_idle_capacity_price_is_the_prose_percentage():
    saving = 0.334
    texts = drawn_texts(fm_fig.load_curve_chart(0.5, 100 * saving))
    u = float(modes.daily_load_utilisation(modes.daily_load_curve(0.5)))
    prose = f"{float(modes.trough_fill_price_ratio(u, saving)):.0%}"
    assert prose == "44%"  # (2/3) · (1 − 0.334) = 0.444; the slider rounded to 33% gave 45%
    assert any(t.endswith(f"f_load · (1 − s_batch) = {prose}") for t in texts), texts


def test_demand_chart_writes_runs_as_the_prose_does(sel):
    model, _ = sp.scenario_model(sel)
    inputs = sp.demand_assumptions(sel)
    rel = sp.scenario(model, inputs).relative()
    texts = drawn_texts(sp_fig.demand_chart(model, inputs))
    prose = f"{format(rel['test-time'], sp.RUNS_FORMAT)}×"
    assert prose in texts, (prose, texts)
    assert f"total {format(sum(rel.values()), sp.RUNS_FORMAT)} pre-training runs" in texts


def test_grid_chart_writes_the_mean_load_as_the_prose_does():
    texts = drawn_texts(sp_fig.grid_chart(0.625))
    assert "US mean load, 2023 (EIA): 62.5%" in texts  # it wrote 63% beside the prose's 62.5%
    assert format(0.625, sp.LOAD_FACTOR_FORMAT) == "62.5%"


def test_train_charts_write_the_period_as_the_prose_does():
    # H100: 23.88 ms, so 2T = 47.76 ms: "47.8 ms" in the prose, "48 ms" on a chart before. A NumPy float, as the
    # chapter's T is: the chart's expressions must still be plain numbers (not "np.float64(…)").
    period = np.float64(80e9) / np.float64(3.35e12)
    assert si(2 * period, "s") == "47.8 ms" and si(period, "s") == "23.9 ms"
    hist, summary = tr_fig.latency_frames(period, np.array([2_000.0, 4_000.0]), np.array([100, 200]), seed=0)
    chart = tr_fig.latency_chart(hist, summary, period, 2.0, 100)
    assert "np.float" not in str(chart.to_dict())
    texts = drawn_texts(chart)
    assert "2T = 47.8 ms" in texts and any("T = 23.9 ms" in t for t in texts)
    frame = tr_fig.batching_frame([{"scenario": "s", "policy": "p", "rate": 10.0, "load": 0.5, "ttft_p50": 0.03,
                                    "ttft_p99": 0.05, "tpot_p50": 0.02, "tpot_p99": 0.03}])
    import pandas as pd

    capacities = pd.DataFrame({"scenario": ["s"], "policy": ["p"], "rate": [20.0]})
    texts = drawn_texts(tr_fig.batching_chart(frame, capacities, period, "s", ["p"]))
    assert "2T = 47.8 ms" in texts


def test_ratio_expression_writes_as_ratio():
    """lib.units.ratio_expr is ratio's twin in Vega: the same strings for the same values."""
    import altair as alt
    import pandas as pd

    values = [2.7999999999999994, 1.0, 0.25, 12.34, 99.94]
    chart = alt.Chart(pd.DataFrame({"v": values, "i": range(len(values))})).transform_calculate(
        t=ratio_expr("datum.v", 3)).mark_text().encode(y="i:O", text="t:N")
    texts = drawn_texts(chart)
    for v in values:
        assert ratio(v, 3) in texts, (ratio(v, 3), texts)


def test_table_numbers_never_use_e_notation():
    """lib.units.sci and number write what Python's '.3g' writes as 8.21e+24 or 2.8e+02 for people."""
    from lib.units import number, sci

    # DeepSeek-V3's pre-training compute, 6 · 37e9 active parameters · 14.8e12 tokens = 3.2856e24 FLOP.
    assert sci(6 * 37e9 * 14.8e12, "FLOP") == "3.29 × 10²⁴ FLOP"
    assert sci(5.76e23) == "5.76 × 10²³"
    assert sci(9.9996e23) == "1 × 10²⁴"  # the mantissa rounds to 10: one power up, not "10 × 10²³"
    assert sci(-2.5e-7, "s") == "-2.5 × 10⁻⁷ s"
    assert number(280.4, 2) == "280" and number(2812, 2) == "2,800" and number(0.1234, 2) == "0.12"
    assert number(3e16) == "3 × 10¹⁶"
    for value in (1.23e5, 4.56e-6, 7.89e30, 0.5, 123.456):
        assert "e" not in number(value) and "e" not in sci(value)
    with pytest.raises(ValueError):
        sci(float("nan"))
