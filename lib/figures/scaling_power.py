"""Charts for ``four-scaling-laws`` and ``power-and-co-design``.

Every per-row number comes from :mod:`lib.demand` and :mod:`lib.power` (or the ledger's derivation module);
the charts only re-evaluate the chapter's equations with the reader's slider values in the browser.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .. import power as pw
from ..charts import PALETTE, log_domain, sci_expr, vendor_color, vendor_shape, year_domain
from ..derivations import scaling_power as sp
from ..models import Model


def _round(frame: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].apply(lambda c: c.map(lambda v: float(f"{v:.{digits}g}")))
    return frame


def _slider(name: str, value: float, lo: float, hi: float, step: float, label: str) -> alt.Parameter:
    return alt.param(name=name, value=value, bind=alt.binding_range(min=lo, max=hi, step=step, name=label))


# ---- four-scaling-laws ---------------------------------------------------------------------------------


def demand_chart(model: Model) -> alt.LayerChart:
    """The four terms of eq. demand-terms as bars (log FLOPs), each assumption on a slider."""
    if model.training_tokens is None:
        raise ValueError(f"{model.name} has no training tokens: chart the scenario's model "
                         "(lib.derivations.scaling_power.scenario_model), which always has them")
    n, d = model.active_params, model.training_tokens
    assumed = ""
    frame = pd.DataFrame({"axis": ["pre-training", "post-training", "test-time", "agentic"], "order": [0, 1, 2, 3],
                          "N": n, "D": d})
    params = [
        _slider("rl_ratio", sp.RL_TOKENS_PER_PRETRAINING_TOKEN, 0.0, 1.0, 0.01, "RL tokens ÷ pre-training tokens "),
        _slider("rho", sp.ROLLOUT_EFFICIENCY, 0.1, 1.0, 0.05, "rollout efficiency ρ "),
        _slider("log_q", round(float(np.log10(sp.answers_served())), 2), 6.0, 14.0, 0.01, "log₁₀ answers served Q "),
        _slider("r_tok", sp.TOKENS_PER_ANSWER, 100, 50000, 100, "tokens per answer r "),
        _slider("calls", sp.CALLS_PER_TASK, 1, 30, 1, "model calls per task a "),
    ]
    flop = ("datum.axis == 'pre-training' ? 6 * datum.N * datum.D"
            f" : datum.axis == 'post-training' ? {sp.RL_FLOP_PER_PARAM} * datum.N * rl_ratio * datum.D / rho"
            " : datum.axis == 'test-time' ? 2 * datum.N * pow(10, log_q) * r_tok"
            " : 2 * datum.N * pow(10, log_q) * r_tok * (calls - 1)")
    base = (alt.Chart(frame)
            .transform_calculate(flop=flop)
            .transform_calculate(shown="max(datum.flop, 1e20)", flop_label=sci_expr("datum.flop")))
    y = alt.Y("axis:N", sort=alt.SortField("order"), title="axis of scaling")
    bars = base.mark_bar().encode(
        y=y,
        x=alt.X("shown:Q", scale=alt.Scale(type="log", domain=[1e20, 1e29], clamp=True),
                axis=alt.Axis(title="compute (FLOP, log scale)", labelExpr=sci_expr("datum.value"),
                              values=[10.0 ** k for k in range(20, 30, 2)], grid=True)),
        color=alt.Color("axis:N", legend=None, scale=alt.Scale(range=PALETTE[:4])),
        tooltip=[alt.Tooltip("axis:N"), alt.Tooltip("flop_label:N", title="FLOP")],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11).encode(
        y=y, x=alt.X("shown:Q"), text=alt.Text("flop_label:N"))
    total = (base.transform_calculate(pre_flop="datum.axis == 'pre-training' ? datum.flop : 0")
             .transform_aggregate(total="sum(flop)", pre="sum(pre_flop)")
             .transform_calculate(text="'total ' + " + sci_expr("datum.total") + " + ' FLOP = ' + "
                                       "format(datum.total / datum.pre, ',.1f') + '× pre-training'")
             .mark_text(align="right", baseline="bottom", x=555, y=-6, fontSize=12, color="#222")
             .encode(text="text:N"))
    return (bars + labels + total).add_params(*params).properties(
        title=alt.Title(f"Compute demand of a {model.name}-sized model along four axes",
                        subtitle="6·N·D once; RL k·N·T/ρ; inference 2·N·Q·r, multiplied by a with sub-agents" + assumed),
        width=560, height=200)


def amdahl_chart() -> alt.LayerChart:
    """S(p) = 1/((1 − p) + p/s) for fixed factors, plus one on a slider; the talk's 50% → 2× marked."""
    p = np.linspace(0, 0.99, 100)
    fixed = []
    for label, s in (("2×", 2.0), ("10×", 10.0), ("100×", 100.0), ("∞", np.inf)):
        fixed.append(pd.DataFrame({"p": p, "speedup": pw.amdahl_speedup(p, s), "factor": label}))
    frame = _round(pd.concat(fixed, ignore_index=True))
    s_param = _slider("log_s", 1.5, 0.0, 4.0, 0.05, "log₁₀ factor s of the accelerated part ")
    x = alt.X("p:Q", axis=alt.Axis(title="fraction of the time accelerated, p", format="%"))
    y = alt.Y("speedup:Q", scale=alt.Scale(type="log", domain=[1, 100]), axis=alt.Axis(title="whole-job speed-up S (×, log)"))
    lines = alt.Chart(frame).mark_line(strokeDash=[4, 3]).encode(
        x=x, y=y, color=alt.Color("factor:N", title="factor s", sort=None),
        tooltip=[alt.Tooltip("p:Q", format=".0%"), "factor:N", alt.Tooltip("speedup:Q", format=".2f")])
    custom = (alt.Chart(pd.DataFrame({"p": p.round(4)}))
              .transform_calculate(speedup="1 / ((1 - datum.p) + datum.p / pow(10, log_s))")
              .mark_line(color="#222", strokeWidth=3)
              .encode(x=x, y=y, tooltip=[alt.Tooltip("p:Q", format=".0%"), alt.Tooltip("speedup:Q", format=".2f")]))
    point = alt.Chart(pd.DataFrame({"p": [0.5], "speedup": [2.0], "label": ["50% made free → 2×"]})).mark_point(
        color="#d1495b", size=90).encode(x=x, y=y) + alt.Chart(
        pd.DataFrame({"p": [0.5], "speedup": [2.0], "label": ["50% made free → 2×"]})).mark_text(
        align="left", dx=10, dy=14, color="#d1495b").encode(x=x, y=y, text="label:N")
    return (lines + custom + point).add_params(s_param).properties(
        title=alt.Title("Amdahl's law: speed-up against the fraction accelerated",
                        subtitle="Black: the factor on the slider. Dashed: fixed factors."),
        width=560, height=300)


# ---- power-and-co-design --------------------------------------------------------------------------------


def tokens_per_watt_frame(hardware, model: Model) -> pd.DataFrame:
    rows = []
    for hw in hardware:
        for mode, precision in (("bf16", "bf16"), ("lowest precision", pw.lowest_precision(hw))):
            t = pw.throughput_at_optimal_batch(hw, model, precision, sp.CONTEXT_TOKENS)
            rows.append({"hardware": hw.name, "vendor": hw.vendor, "year": hw.year, "mode": mode,
                         "precision": precision, "tokens_per_J": t.tokens_per_s_per_W,
                         "tokens_per_s": t.tokens_per_s_per_chip, "tdp_W": hw.tdp_W, "batch": t.batch})
    frame = _round(pd.DataFrame(rows))
    # Spread the accelerators of one year side by side so that their points and labels do not overlap.
    frame = frame.sort_values(["mode", "year", "vendor", "hardware"]).reset_index(drop=True)
    rank = frame.groupby(["mode", "year"]).cumcount()
    size = frame.groupby(["mode", "year"])["hardware"].transform("count")
    frame["x"] = (frame["year"] + (rank - (size - 1) / 2) * 0.18).round(3)
    return frame


def tokens_per_watt_chart(hardware, model: Model) -> alt.LayerChart:
    """Tokens/s per W at B* against release year, one point per accelerator; precision on a dropdown."""
    frame = tokens_per_watt_frame(hardware, model)
    mode = alt.param(name="tpw_mode", value="bf16",
                     bind=alt.binding_select(options=["bf16", "lowest precision"], name="precision "))
    base = alt.Chart(frame).transform_filter("datum.mode == tpw_mode")
    x = alt.X("x:Q", scale=alt.Scale(domain=year_domain(frame["x"], pad=0.5)),
              axis=alt.Axis(title="release year", format="d", tickMinStep=1))
    y = alt.Y("tokens_per_J:Q", scale=alt.Scale(type="log", domain=log_domain(frame["tokens_per_J"], 2, 3000)),
              axis=alt.Axis(title="tokens/s per W at B* (tokens per joule, log)"))
    points = base.mark_point(size=90, filled=True).encode(
        x=x, y=y, color=vendor_color(frame["vendor"]), shape=vendor_shape(frame["vendor"]),
        tooltip=["hardware:N", "precision:N", alt.Tooltip("tokens_per_J:Q", title="tokens/J", format=".3g"),
                 alt.Tooltip("tokens_per_s:Q", title="tokens/s per accelerator", format=",.0f"),
                 alt.Tooltip("tdp_W:Q", title="TDP (W)"), alt.Tooltip("batch:Q", title="B*", format=",.0f")])
    labels = base.mark_text(align="left", baseline="middle", angle=300, dx=6, dy=-6, fontSize=10, color="#444").encode(
        x=x, y=y, text="hardware:N")
    return (points + labels).add_params(mode).properties(
        title=alt.Title(f"{model.name}: tokens per joule at the optimal batch, by release year",
                        subtitle="Roofline throughput at B* ÷ TDP; TPU TDPs are estimates (see the data notes)"),
        width=600, height=360)


def cost_frame(sel, model: Model) -> pd.DataFrame:
    rows = []
    for mode, precision in (("bf16", "bf16"), ("lowest precision", None)):
        for p in sp.priced_tokens(sel, model, precision):
            hw = sel.hardware_named(p.offer.hardware)
            rows.append({"offer": p.offer.name, "market": p.offer.market, "as_of": p.offer.as_of, "mode": mode,
                         "precision": p.throughput.precision, "acc_usd_per_Mtok": p.usd_per_Mtok,
                         "it_J_per_token": hw.tdp_W / p.throughput.tokens_per_s_per_chip})
    return _round(pd.DataFrame(rows))


def cost_chart(sel, model: Model, constants: dict[str, float]) -> alt.Chart:
    """Cost per million tokens per priced offer: accelerator-hour price plus electricity (sliders)."""
    frame = cost_frame(sel, model)
    mode = alt.param(name="cost_mode", value="bf16",
                     bind=alt.binding_select(options=["bf16", "lowest precision"], name="precision "))
    kwh = _slider("usd_kwh", constants["electricity_price"], 0.02, 0.40, 0.01, "electricity (USD/kWh) ")
    pue = _slider("pue", constants["pue_industry_average"], 1.0, 2.0, 0.01, "PUE ")
    chart = (alt.Chart(frame)
             .transform_filter("datum.mode == cost_mode")
             .transform_calculate(energy_usd_per_Mtok="datum.it_J_per_token * pue * usd_kwh / 3.6e6 * 1e6")
             .transform_fold(["acc_usd_per_Mtok", "energy_usd_per_Mtok"], as_=["part", "usd"])
             .transform_calculate(part_label="datum.part == 'acc_usd_per_Mtok' ? 'accelerator-hours' : 'electricity'")
             .mark_bar()
             .encode(y=alt.Y("offer:N", sort=alt.EncodingSortField("usd", op="sum", order="ascending"), title=None,
                             axis=alt.Axis(labelLimit=300)),
                     x=alt.X("sum(usd):Q", axis=alt.Axis(title="cost per million tokens (USD)")),
                     color=alt.Color("part_label:N", title="part", scale=alt.Scale(range=[PALETTE[0], PALETTE[3]]),
                                     legend=alt.Legend(orient="bottom")),
                     tooltip=["offer:N", "part_label:N", "precision:N", alt.Tooltip("usd:Q", title="USD per M tokens", format=".4f")]))
    return chart.add_params(mode, kwh, pue).properties(
        title=alt.Title(f"{model.name}: cost per million tokens at B*, by offer",
                        subtitle="Rental price from data/accelerator_costs.csv; electricity = TDP × PUE × price / throughput"),
        width=420, height=300)


def grid_chart(mean_load_reference: float | None = None, flex_default: float = 0.4) -> alt.LayerChart:
    """A load-duration curve the reader shapes, and the energy a flexible load of a given size can draw."""
    x = np.round(np.linspace(0, 1, 1001), 4)
    frame = pd.DataFrame({"x": x})
    params = [
        _slider("shoulder", 0.6, 0.3, 1.0, 0.01, "load at the shoulder (÷ peak) "),
        _slider("peak_time", 0.01, 0.001, 0.2, 0.001, "share of hours above the shoulder "),
        _slider("floor", 0.35, 0.0, 1.0, 0.01, "lowest load (÷ peak) "),
        _slider("flex", flex_default, 0.01, 1.0, 0.01, "flexible load (÷ peak) "),
    ]
    base = (alt.Chart(frame)
            .transform_calculate(lo="min(floor, shoulder)")
            .transform_calculate(load="datum.x <= peak_time ? 1 - (1 - shoulder) * datum.x / peak_time"
                                      " : shoulder - (shoulder - datum.lo) * (datum.x - peak_time) / (1 - peak_time)")
            .transform_calculate(drawn="min(flex, 1 - datum.load)")
            .transform_calculate(top="datum.load + datum.drawn"))
    xenc = alt.X("x:Q", axis=alt.Axis(title="share of the year the load is exceeded", format="%"))
    area = base.mark_area(color=PALETTE[2], opacity=0.45).encode(
        x=xenc, y=alt.Y("load:Q", axis=alt.Axis(title="load (fraction of peak)", format="%"), scale=alt.Scale(domain=[0, 1.02])),
        y2="top:Q")
    line = base.mark_line(color="#222").encode(x=xenc, y="load:Q")
    text = (base.transform_aggregate(drawn="mean(drawn)", load="mean(load)")
            .transform_calculate(label="'flexible load runs ' + format(datum.drawn / flex, '.1%') + ' of its full-year energy; '"
                                       " + 'mean load ' + format(datum.load, '.0%') + ' of peak'")
            .mark_text(align="left", x=6, y=292, fontSize=12, color="#222").encode(text="label:N"))
    layers = area + line + text
    if mean_load_reference is not None:
        ref = pd.DataFrame({"y": [round(mean_load_reference, 4)], "label": [f"US mean load, 2023 (EIA): {mean_load_reference:.0%}"]})
        layers = layers + alt.Chart(ref).mark_rule(color=PALETTE[1], strokeDash=[6, 3]).encode(y="y:Q") + alt.Chart(
            ref).mark_text(align="right", x=555, dy=-6, color=PALETTE[1], fontSize=11).encode(y="y:Q", text="label:N")
    return layers.add_params(*params).properties(
        title=alt.Title("Grid slack: a load-duration curve and a flexible load under the peak",
                        subtitle="Black: the grid's load, hours sorted from the peak. Green: what a flexible load can draw."),
        width=560, height=300)


def space_chart(constants: dict[str, float]) -> alt.LayerChart:
    """Radiator area per MW against radiator temperature (Stefan–Boltzmann), beside solar-array area per MW."""
    t = np.arange(250, 601, 5, dtype=float)
    frame = pd.DataFrame({"T": t})
    eps = _slider("eps", constants["radiator_emissivity"], 0.5, 1.0, 0.01, "emissivity ε ")
    sides = alt.param(name="sides", value=1, bind=alt.binding_radio(options=[1, 2], name="radiating sides "))
    eff = _slider("cell_eff", constants["space_cell_efficiency"], 0.1, 0.45, 0.01, "solar-cell efficiency ")
    sigma = pw.STEFAN_BOLTZMANN_W_PER_M2_K4
    base = (alt.Chart(frame)
            .transform_calculate(radiator=f"1e6 / (sides * eps * {sigma} * pow(datum.T, 4))")
            .transform_calculate(solar=f"1e6 / ({constants['solar_constant']} * cell_eff * {constants['space_array_packing']})")
            .transform_fold(["radiator", "solar"], as_=["surface", "m2"])
            .transform_calculate(surface_label="datum.surface == 'radiator' ? 'radiator (to reject 1 MW)' : 'solar array (to make 1 MW)'"))
    lines = base.mark_line().encode(
        x=alt.X("T:Q", axis=alt.Axis(title="radiator temperature (K)")),
        y=alt.Y("m2:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="area per megawatt (m², log)")),
        color=alt.Color("surface_label:N", title="surface", scale=alt.Scale(range=[PALETTE[1], PALETTE[3]]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("T:Q", title="T (K)"), "surface_label:N", alt.Tooltip("m2:Q", title="m² per MW", format=",.0f")])
    return lines.add_params(eps, sides, eff).properties(
        title=alt.Title("In orbit: radiator area against solar-array area, per megawatt",
                        subtitle="Radiation only (A = P / (n·ε·σ·T⁴)); sunlight and Earth-shine on the radiator ignored"),
        width=560, height=300)
