"""Charts for ``four-scaling-laws`` and ``power-and-co-design``.

Every per-row number comes from :mod:`lib.demand` and :mod:`lib.power` (or the ledger's derivation module);
the charts only re-evaluate the chapter's equations with the reader's slider values in the browser.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .. import power as pw
from ..charts import PALETTE, log_domain, vendor_color, vendor_shape, year_domain
from ..derivations import scaling_power as sp
from ..models import Model
from . import labels as lab


def _round(frame: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].apply(lambda c: c.map(lambda v: float(f"{v:.{digits}g}")))
    return frame


def _slider(name: str, value: float, lo: float, hi: float, step: float, label: str) -> alt.Parameter:
    return alt.param(name=name, value=value, bind=alt.binding_range(min=lo, max=hi, step=step, name=label))


# ---- four-scaling-laws ---------------------------------------------------------------------------------


def demand_inputs_frame(sel, model: Model, table: dict) -> pd.DataFrame:
    """The demand scenario's inputs: the model's N_active and D, each demand assumption (value, range, the first
    sentence of its source) and the agent calls per task."""
    from ..page import data_file
    from ..units import short

    def first_sentence(text, limit=100):
        head = text.split(". ")[0].split(" (")[0]
        return head if len(head) <= limit else head[:limit - 2].rsplit(" ", 1)[0] + " …"

    rows = [{"input": "model: N_active, D",
             "value": f"{model.name}: {short(model.active_params)}, {short(model.training_tokens, 'tokens')}",
             "range": "—", "source": data_file(sel, "models.csv")}]
    for name in sp.DEMAND_NAMES + sp.DEMAND_SPLIT:
        a = table[name]
        split = " (a split of the volume, not turned)" if name in sp.DEMAND_SPLIT else ""
        rows.append({"input": name.replace("_", " ") + split, "value": short(a.value, "" if a.unit == "1" else a.unit),
                     "range": f"{short(a.low)} – {short(a.high)}", "source": first_sentence(a.source)})
    a = sp.AGENT_CALLS
    rows.append({"input": "agent calls per task a", "value": f"{a.value:g} {a.unit}", "range": f"{a.low:g} – {a.high:g}",
                 "source": first_sentence(a.source)})
    return pd.DataFrame(rows)


def demand_chart(model: Model, inputs: dict[str, float]) -> alt.LayerChart:
    """The four terms of eq. demand-time as bars on a linear axis, in pre-training runs of accelerator time; every
    assumption on a slider starting at the book-wide value (``inputs``: lib.derivations.scaling_power), unrounded,
    and the runs written as the prose writes them (``RUNS_FORMAT``)."""
    if model.training_tokens is None:
        raise ValueError(f"{model.name} has no training tokens: pass the scenario's stand-in model")
    d = model.training_tokens
    frame = pd.DataFrame({"axis": ["pre-training", "post-training", "test-time", "agentic"], "order": [0, 1, 2, 3],
                          "D": d})
    params = [
        _slider("volume_T", inputs["served_tokens_per_day"] / 1e12, 0.5, 10, 0.05,
                "tokens served a day (trillions) "),
        _slider("days", inputs["model_serving_days"], 30, 800, 5, "serving period (days) "),
        _slider("calls", inputs[sp.AGENT_CALLS.name], 1, 10, 1, "model calls per task a "),
        _slider("u_dec", inputs["decode_utilisation"], 0.1, 0.6, 0.01, "decode utilisation "),
        _slider("u_train", inputs["training_utilisation"], 0.2, 0.6, 0.01, "training utilisation "),
        _slider("chi", inputs["rl_to_pretraining_compute_ratio"], 0.0, 2.0, 0.01, "RL ÷ pre-training time "),
    ]
    serve = "(2 * volume_T * 1e12 * days / u_dec) / (6 * datum.D / u_train)"
    runs = ("datum.axis == 'pre-training' ? 1 : datum.axis == 'post-training' ? chi"
            f" : datum.axis == 'test-time' ? {serve} : {serve} * (calls - 1)")
    base = (alt.Chart(frame)
            .transform_calculate(runs=runs)
            .transform_calculate(label=f"format(datum.runs, '{sp.RUNS_FORMAT}') + '×'"))
    y = alt.Y("axis:N", sort=alt.SortField("order"), title="axis of scaling")
    # The axis runs 55 px past the longest bar at any width (the plot's width signal), so that the bar's label,
    # drawn after it, stays inside the chart.
    longest = serve.replace("datum.D", repr(float(d)))
    x = alt.X("runs:Q", axis=alt.Axis(title="accelerator time, in pre-training runs (linear)", grid=True),
              scale=alt.Scale(domainMin=0, domainMax={
                  "expr": f"max(1, chi, {longest}, {longest} * (calls - 1)) * width / max(width - 55, 55)"}))
    bars = base.mark_bar().encode(
        y=y, x=x, color=alt.Color("axis:N", legend=None, scale=alt.Scale(range=PALETTE[:4])),
        tooltip=[alt.Tooltip("axis:N"), alt.Tooltip("label:N", title="pre-training runs")])
    labels = base.mark_text(align="left", dx=4, fontSize=11).encode(y=y, x=x, text=alt.Text("label:N"))
    total = (base.transform_aggregate(total="sum(runs)")
             .transform_calculate(text=f"'total ' + format(datum.total, '{sp.RUNS_FORMAT}') + ' pre-training runs'")
             .mark_text(align="right", baseline="bottom", x="width", dx=-5, y=-6, fontSize=12, color="#222")
             .encode(text="text:N"))
    return (bars + labels + total).add_params(*params).properties(
        # Two short lines each, so that a phone's width does not clip them.
        title=alt.Title([f"Compute demand of {model.name}", "along four axes, in accelerator time"],
                        subtitle=["6·N·D/u_train once; RL χ × that;", "serving 2·N·D_serve/u_dec, × a with sub-agents"]),
        width=560, height=200)


def amdahl_chart() -> alt.LayerChart:
    """S(p) = 1/((1 − p) + p/s) for fixed factors, plus one on a slider; the talk's 50% → 2× marked."""
    p = np.linspace(0, 0.99, 100)
    fixed = []
    for label, s in (("2×", 2.0), ("10×", 10.0), ("100×", 100.0), ("∞", np.inf)):
        fixed.append(pd.DataFrame({"p": p, "speedup": pw.amdahl_speedup(p, s), "factor": label}))
    frame = _round(pd.concat(fixed, ignore_index=True))
    s_param = _slider("log_s", 1.5, 0.0, 4.0, 0.05, "log₁₀ factor s_acc of the accelerated part ")
    x = alt.X("p:Q", axis=alt.Axis(title="share of the time accelerated, p_acc", format="%"))
    y = alt.Y("speedup:Q", scale=alt.Scale(type="log", domain=[1, 100]), axis=alt.Axis(title="whole-job speed-up S_job (×, log)"))
    lines = alt.Chart(frame).mark_line(strokeDash=[4, 3]).encode(
        x=x, y=y, color=alt.Color("factor:N", title="factor s_acc", sort=None),
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


#: The dropdown's labels for lib.power.FORMATS.
FORMAT_LABELS = {"release": "release formats", "bf16": "bf16 everywhere", "narrowest": "narrowest format"}


#: The tokens-per-joule chart's plot height (px), point sizes (refined, blackboard; Vega area, px²) and label font.
TPW_HEIGHT_PX = 360
TPW_REFINED, TPW_BOARD = "refined, realistic context", "blackboard, B* at context 0"
TPW_SIZES = {TPW_REFINED: 90.0, TPW_BOARD: 70.0}
TPW_LABEL_FONT_PX = 10.0


def tokens_per_watt_axes(frame: pd.DataFrame) -> tuple[lab.Axis, lab.Axis]:
    """The chart's x (release year, spread) and y (tokens per joule, log) axes."""
    return (lab.Axis(tuple(year_domain(frame["x"], pad=0.5, right=1.2))),
            lab.Axis(tuple(log_domain(frame["tokens_per_J"], 1, 100)), "log"))


def tokens_per_watt_frame(sel, model: Model) -> pd.DataFrame:
    """Tokens per joule per hardware row and weight format: the refined model at the standard mode and a realistic
    context, and the blackboard's B* at context 0 (its weights in bf16 or the narrowest format); the refined points'
    labels placed per weight format so that they do not overprint (:mod:`lib.figures.labels`)."""
    rows = []
    for hw in sel.all_hardware():
        for choice in pw.FORMATS:
            t = sp.throughput(sel, hw, model, choice)
            if t.tokens_per_s_per_chip <= 0:
                continue
            board = pw.blackboard_throughput(hw, model, "bf16" if choice != "narrowest" else pw.lowest_precision(hw))
            for kind, tp in ((TPW_REFINED, t), (TPW_BOARD, board)):
                rows.append({"hardware": hw.name, "vendor": hw.vendor, "year": hw.year,
                             "mode": FORMAT_LABELS[choice], "model": kind, "precision": tp.precision,
                             "tokens_per_J": tp.tokens_per_s_per_W, "tokens_per_s": tp.tokens_per_s_per_chip,
                             "tdp_W": hw.tdp_W, "batch": tp.batch, "chips": tp.chips})
    frame = _round(pd.DataFrame(rows))
    # Spread the accelerators of one year side by side so that their points do not overlap.
    frame = frame.sort_values(["mode", "model", "year", "vendor", "hardware"]).reset_index(drop=True)
    rank = frame.groupby(["mode", "model", "year"]).cumcount()
    size = frame.groupby(["mode", "model", "year"])["hardware"].transform("count")
    frame["x"] = (frame["year"] + (rank - (size - 1) / 2) * 0.18).round(3)
    x_axis, y_axis = tokens_per_watt_axes(frame)
    placed = []
    for _, group in frame.groupby("mode", sort=False):
        u, v = x_axis.fraction(group["x"]), 1.0 - y_axis.fraction(group["tokens_per_J"])
        markers = list(zip(u, v, group["model"].map(TPW_SIZES)))
        refined = (group["model"] == TPW_REFINED).to_numpy()
        texts = group["hardware"].where(refined, "")
        placed.append(lab.placed_label_columns(u, v, texts, TPW_HEIGHT_PX, TPW_LABEL_FONT_PX,
                                               group["model"].map(TPW_SIZES), markers=markers).set_index(group.index))
    return pd.concat([frame, pd.concat(placed)], axis=1)


def tokens_per_watt_chart(sel, model: Model) -> alt.LayerChart:
    """Tokens per joule against release year, one filled point per accelerator on the refined model and a hollow one
    for the blackboard's figure; the weight format on a dropdown; labels that do not overprint."""
    frame = tokens_per_watt_frame(sel, model)
    x_axis, y_axis = tokens_per_watt_axes(frame)
    mode = alt.param(name="tpw_mode", value=FORMAT_LABELS["release"],
                     bind=alt.binding_select(options=list(FORMAT_LABELS.values()), name="weights "))
    base = alt.Chart(frame).transform_filter("datum.mode == tpw_mode")
    x = alt.X("x:Q", scale=x_axis.scale(), axis=alt.Axis(title="release year", format="d", tickMinStep=1))
    y = alt.Y("tokens_per_J:Q", scale=y_axis.scale(), axis=alt.Axis(title="tokens per joule of TDP (log)"))
    tooltip = ["hardware:N", "model:N", "precision:N", alt.Tooltip("tokens_per_J:Q", title="tokens/J", format=".3g"),
               alt.Tooltip("tokens_per_s:Q", title="tokens/s per accelerator", format=",.0f"),
               alt.Tooltip("tdp_W:Q", title="TDP (W)"), alt.Tooltip("batch:Q", title="batch", format=",.0f"),
               alt.Tooltip("chips:Q", title="accelerators per replica")]
    color, shape = vendor_color(frame["vendor"]), vendor_shape(frame["vendor"])
    refined = (base.transform_filter(f"datum.model == '{TPW_REFINED}'")
               .mark_point(size=TPW_SIZES[TPW_REFINED], filled=True)
               .encode(x=x, y=y, color=color, shape=shape, tooltip=tooltip))
    board = (base.transform_filter(f"datum.model != '{TPW_REFINED}'")
             .mark_point(size=TPW_SIZES[TPW_BOARD], filled=False, strokeWidth=1.5, opacity=0.7)
             .encode(x=x, y=y, color=color, shape=shape, tooltip=tooltip))
    points = board + refined
    labels = lab.label_layer(base.transform_filter(f"datum.model == '{TPW_REFINED}'"), x, y, TPW_LABEL_FONT_PX,
                             color="#444")
    return (points + labels).add_params(mode).properties(
        title=alt.Title(f"{model.name}: tokens per joule by release year",
                        subtitle="Filled: refined step model at the standard mode and a realistic context. Hollow: the "
                                 "blackboard's B* at context 0. TPU, Trainium and Rubin TDPs are inferred. Unlabelled "
                                 "points name themselves on hover."),
        width=600, height=TPW_HEIGHT_PX)


def cost_frame(sel, model: Model) -> pd.DataFrame:
    rows = []
    for choice in pw.FORMATS:
        for p in sp.priced_tokens(sel, model, choice):
            hw = sel.hardware_named(p.offer.hardware)
            rows.append({"offer": p.offer.name, "market": p.offer.market, "as_of": p.offer.as_of,
                         "mode": FORMAT_LABELS[choice], "precision": p.throughput.precision,
                         "acc_usd_per_Mtok": p.usd_per_Mtok,
                         "it_J_per_token": sp._hour_power_W(sel, hw)[0] / (pw.decode_realism_factor(sel.data_dir)
                                                       * p.throughput.tokens_per_s_per_chip)})
    return _round(pd.DataFrame(rows))


def cost_chart(sel, model: Model, constants: dict[str, float]) -> alt.Chart:
    """Cost per million tokens per priced offer: accelerator-hour price plus electricity (sliders)."""
    frame = cost_frame(sel, model)
    mode = alt.param(name="cost_mode", value=FORMAT_LABELS["release"],
                     bind=alt.binding_select(options=list(FORMAT_LABELS.values()), name="weights "))
    kwh = _slider("usd_kwh", _book(sel, "electricity_price"), 0.02, 0.40, 0.01, "electricity (USD/kWh) ")
    pue = _slider("pue", _book(sel, "pue"), 1.0, 2.0, 0.01, "PUE ")
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
        title=alt.Title(f"{model.name}: cost per million tokens at the standard mode, by offer",
                        subtitle="Rental price from data/accelerator_costs.csv; electricity = power at the wall (TDP where no "
                                 "server figure) × PUE × price / throughput"),
        width=420, height=300)


def grid_chart(mean_load_reference: float | None = None, flex_default: float = 0.4) -> alt.LayerChart:
    """A load-duration curve the reader shapes, and the energy a flexible load of a given size can draw."""
    x = np.round(np.linspace(0, 1, 1001), 4)
    frame = pd.DataFrame({"x": x})
    params = [
        _slider("shoulder", 0.6, 0.3, 1.0, 0.01, "load at the shoulder (÷ peak) "),
        _slider("peak_time", 0.01, 0.001, 0.2, 0.001, "share of hours above the shoulder "),
        _slider("floor", 0.35, 0.0, 1.0, 0.01, "lowest load (÷ peak) "),
        _slider("flex", flex_default, 0.01, 1.0, 0.01, "flexible load f_flex (÷ peak) "),
    ]
    base = (alt.Chart(frame)
            .transform_calculate(lo="min(floor, shoulder)")
            .transform_calculate(load="datum.x <= peak_time ? 1 - (1 - shoulder) * datum.x / peak_time"
                                      " : shoulder - (shoulder - datum.lo) * (datum.x - peak_time) / (1 - peak_time)")
            .transform_calculate(drawn="min(flex, 1 - datum.load)")
            .transform_calculate(top="datum.load + datum.drawn"))
    xenc = alt.X("x:Q", axis=alt.Axis(title="share of the year the load is exceeded, ξ", format="%"))
    area = base.mark_area(color=PALETTE[2], opacity=0.45).encode(
        x=xenc, y=alt.Y("load:Q", axis=alt.Axis(title="load Φ(ξ) (fraction of peak)", format="%"), scale=alt.Scale(domain=[0, 1.02])),
        y2="top:Q")
    line = base.mark_line(color="#222").encode(x=xenc, y="load:Q")
    text = (base.transform_aggregate(drawn="mean(drawn)", load="mean(load)")
            .transform_calculate(label="'flexible load runs ' + format(datum.drawn / flex, '.1%') + ' of its full-year energy; '"
                                       " + 'mean load ' + format(datum.load, '.0%') + ' of peak'")
            .mark_text(align="left", baseline="bottom", x=6, y=280, lineBreak="; ", fontSize=12, color="#222")
            .encode(text="label:N"))  # two lines, so that a phone's narrow plot is not squeezed by one long one
    layers = area + line + text
    if mean_load_reference is not None:
        ref = pd.DataFrame({"y": [round(mean_load_reference, 4)], "label": [f"US mean load, 2023 (EIA): "
                                                                 f"{format(mean_load_reference, sp.LOAD_FACTOR_FORMAT)}"]})
        layers = layers + alt.Chart(ref).mark_rule(color=PALETTE[1], strokeDash=[6, 3]).encode(y="y:Q") + alt.Chart(
            ref).mark_text(align="right", x="width", dx=-5, dy=-6, color=PALETTE[1], fontSize=11).encode(y="y:Q", text="label:N")
    return layers.add_params(*params).properties(
        title=alt.Title("Grid slack: a load-duration curve and a flexible load under the peak",
                        subtitle="Black: the grid's load, hours sorted from the peak. Green: what a flexible load can draw."),
        width=560, height=300)


def space_chart(constants: dict[str, float]) -> alt.LayerChart:
    """Radiator area per MW against radiator temperature (Stefan–Boltzmann), beside solar-array area per MW."""
    t = np.arange(250, 601, 5, dtype=float)
    frame = pd.DataFrame({"T": t})
    eps = _slider("eps", constants["radiator_emissivity"], 0.5, 1.0, 0.01, "emissivity ε_rad ")
    sides = alt.param(name="sides", value=1, bind=alt.binding_radio(options=[1, 2], name="radiating sides n_s "))
    eff = _slider("cell_eff", constants["space_cell_efficiency"], 0.1, 0.45, 0.01, "solar-cell efficiency η_cell ")
    sigma = pw.STEFAN_BOLTZMANN_W_PER_M2_K4
    base = (alt.Chart(frame)
            .transform_calculate(radiator=f"1e6 / (sides * eps * {sigma} * pow(datum.T, 4))")
            .transform_calculate(solar=f"1e6 / ({constants['solar_constant']} * cell_eff * {constants['space_array_packing']})")
            .transform_fold(["radiator", "solar"], as_=["surface", "m2"])
            .transform_calculate(surface_label="datum.surface == 'radiator' ? 'radiator (to reject 1 MW)' : 'solar array (to make 1 MW)'"))
    lines = base.mark_line().encode(
        x=alt.X("T:Q", axis=alt.Axis(title="radiator temperature T_rad (K)")),
        y=alt.Y("m2:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="area per megawatt (m², log)")),
        color=alt.Color("surface_label:N", title="surface", scale=alt.Scale(range=[PALETTE[1], PALETTE[3]]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("T:Q", title="T_rad (K)"), "surface_label:N", alt.Tooltip("m2:Q", title="m² per MW", format=",.0f")])
    return lines.add_params(eps, sides, eff).properties(
        title=alt.Title("In orbit: radiator area against solar-array area, per megawatt",
                        subtitle="Radiation only (A_rad = P_el / (n_s·ε_rad·σ·T_rad⁴)); sunlight and Earth-shine on the radiator ignored"),
        width=560, height=300)


# ---- tables of power-and-co-design (assembly only: every number comes from lib.power and the derivation) ----


def constants_frame(rows: list[dict]) -> pd.DataFrame:
    """The power constants (``rows``: :func:`lib.power.constant_rows`) with their provenance and first source."""
    def fmt(value, unit):
        number = f"{value:,.0f}" if value >= 1000 else f"{value:.4g}"
        return number if unit == "1" else f"{number} {unit}"

    return pd.DataFrame([{"constant": r["name"].replace("_", " "), "value": fmt(r["value"], r["unit"]),
                          "provenance": r["provenance"], "source": r["source"].split(" ; ")[0]} for r in rows])


def assumptions_frame(table: dict, names, context_tokens: float, realism: float) -> pd.DataFrame:
    """The book-wide assumptions the chapter uses (value, range, first source), the serving context and the decode
    realism factor."""
    rows = [{"input": n.replace("_", " "),
             "value": f"{table[n].value:g} {'' if table[n].unit == '1' else table[n].unit}".strip(),
             "range": f"{table[n].low:g} – {table[n].high:g}", "source": table[n].source.split(": ")[0][:80]}
            for n in names]
    rows.append({"input": "context L", "value": f"{context_tokens:,.0f} tokens", "range": "—",
                 "source": "DeepSeek's inference day: mean KV length per output token (deepseek_day.csv)"})
    rows.append({"input": "decode realism factor", "value": f"{realism:g}", "range": "—",
                 "source": "lib.power.decode_realism_factor (ideal bound until the reality-check chapter calibrates it)"})
    return pd.DataFrame(rows)


def _book(sel, name: str) -> float:
    from ..assumptions import assumption

    return assumption(name, sel.data_dir).value


def throughput_table(sel, model: Model, const: dict[str, float]) -> pd.DataFrame:
    """Per hardware row: the standard mode's n, B, τ, tokens per joule and joules per token (at the realism factor
    and industry PUE), beside the blackboard's tokens per joule; † marks an inferred TDP."""
    from .. import provenance

    realism = pw.decode_realism_factor(sel.data_dir)
    rows = []
    for h in sel.all_hardware():
        t = sp.throughput(sel, h, model)
        board = pw.blackboard_throughput(h, model, "bf16")
        row = {"hardware": h.name + provenance.marker(h.name, ["tdp_W"], sel.data_dir, short=True),
               "weights": t.precision, "n": t.chips, "B": "does not fit", "tokens/s per acc.": "—", "tokens/J": "—",
               "J per token (PUE)": "—", "blackboard tokens/J": f"{board.tokens_per_s_per_W:.3g}"}
        if t.tokens_per_s_per_chip > 0:
            e = float(pw.energy_per_token_J(h.tdp_W, realism * t.tokens_per_s_per_chip, _book(sel, "pue")))
            row.update({"B": f"{t.batch:,.0f}", "tokens/s per acc.": f"{t.tokens_per_s_per_chip:,.0f}",
                        "tokens/J": f"{t.tokens_per_s_per_W:.3g}", "J per token (PUE)": f"{e:.3g}"})
        rows.append(row)
    return pd.DataFrame(rows)


def cost_table(sel, model: Model, const: dict[str, float]) -> pd.DataFrame:
    """Per priced offer and weight format (release, bf16): accelerator and electricity cost per million tokens
    (numbers, cheapest first), eq. power-cost at the realism factor. Electricity is the hour's power as the ledger
    counts it (:func:`lib.derivations.scaling_power._hour_power_W`: at the wall where owner_costs.csv has the row, else
    TDP) at the book-wide PUE and electricity price (assumptions.csv), so its share of an hour matches the ledger's."""
    realism = pw.decode_realism_factor(sel.data_dir)
    kwh, pue = _book(sel, "electricity_price"), _book(sel, "pue")
    rows = []
    for choice in ("release", "bf16"):
        for p in sp.priced_tokens(sel, model, choice):
            h = sel.hardware_named(p.offer.hardware)
            joules = pw.energy_per_token_J(sp._hour_power_W(sel, h)[0], realism * p.throughput.tokens_per_s_per_chip,
                                           pue)
            rows.append({"offer": p.offer.name, "weights": p.throughput.precision,
                         "accelerator (USD/Mtok)": p.usd_per_Mtok,
                         "electricity (USD/Mtok)": 1e6 * float(pw.energy_cost_per_token_usd(joules, kwh))})
    frame = pd.DataFrame(rows, columns=["offer", "weights", "accelerator (USD/Mtok)", "electricity (USD/Mtok)"])
    return frame.drop_duplicates(["offer", "weights"]).sort_values("accelerator (USD/Mtok)").reset_index(drop=True)


def owner_renter_table(sel) -> pd.DataFrame:
    """An owner's hour (depreciation + electricity at the wall) and every rented hour of the same accelerator, with
    electricity's share of each (eq. power-owner), at the book-wide electricity price, PUE and lifetime."""
    kwh, pue, years = (_book(sel, n) for n in ("electricity_price", "pue", "accelerator_lifetime"))
    rows = []
    for o in pw.load_owner_costs(sel.data_dir):
        capex = float(pw.owner_capex_per_hour_usd(o.purchase_price_usd, years))
        elec = float(pw.owner_energy_per_hour_usd(o.power_W, kwh, pue))
        rows.append({"who": f"owner: {o.name}", "USD per hour": f"{capex + elec:.2f} ({capex:.2f} chip + {elec:.3f} power)",
                     "electricity share": f"{elec / (capex + elec):.1%}"})
        for r in (x for x in sp.prices(sel) if x.hardware == o.hardware):
            share = float(pw.renter_electricity_share(o.power_W, kwh, r.usd_per_hour, pue))
            rows.append({"who": f"renter: {r.name}", "USD per hour": f"{r.usd_per_hour:.2f}", "electricity share": f"{share:.1%}"})
    return pd.DataFrame(rows, columns=["who", "USD per hour", "electricity share"])


def producer_table(sel, model: Model, const: dict[str, float]) -> pd.DataFrame:
    """The lowest-cost producer under five assumptions: rented (hyperscaler release / bf16, any offer narrowest),
    owned (each owner row: chip over its life + electricity) and a TPU owner paying electricity only."""
    realism = pw.decode_realism_factor(sel.data_dir)
    kwh, pue, years = (_book(sel, n) for n in ("electricity_price", "pue", "accelerator_lifetime"))

    def cheapest(points):
        return min(points, key=lambda p: p.usd_per_Mtok) if points else None

    cases = [("hyperscaler on-demand price, release formats", cheapest(sp.hyperscaler(sp.priced_tokens(sel, model, "release")))),
             ("hyperscaler on-demand price, bf16", cheapest(sp.hyperscaler(sp.priced_tokens(sel, model, "bf16")))),
             ("any listed price, narrowest format", cheapest(sp.priced_tokens(sel, model, "narrowest")))]
    rows = [{"assumption": k, "lowest-cost producer": "—" if v is None else f"{v.offer.name} ({v.throughput.precision})",
             "USD per M tokens": "—" if v is None else f"{v.usd_per_Mtok:.4f}"} for k, v in cases]
    for o in pw.load_owner_costs(sel.data_dir):
        h = sel.hardware_named(o.hardware)
        t = sp.throughput(sel, h, model) if h else None
        if t is None or t.tokens_per_s_per_chip <= 0:
            continue
        hour = float(pw.owner_capex_per_hour_usd(o.purchase_price_usd, years) + pw.owner_energy_per_hour_usd(o.power_W, kwh, pue))
        usd = 1e6 * float(pw.accelerator_cost_per_token_usd(hour, realism * t.tokens_per_s_per_chip))
        rows.append({"assumption": f"owner of an {o.hardware}: chip over {years:g} years + electricity",
                     "lowest-cost producer": f"{o.hardware} ({t.precision})", "USD per M tokens": f"{usd:.4f}"})

    def electricity(t):
        joules = pw.energy_per_token_J(t.power_W, realism * t.tokens_per_s_per_chip, const["pue_hyperscale"])
        return 1e6 * float(pw.energy_cost_per_token_usd(joules, kwh))

    tpus = [t for t in sp.throughputs(sel, model) if sp.is_tpu(t.hardware)]
    if tpus:
        best = min(tpus, key=electricity)
        rows.append({"assumption": "a TPU's owner pays electricity only (hyperscale PUE)",
                     "lowest-cost producer": f"{best.hardware} ({best.precision})", "USD per M tokens": f"{electricity(best):.2g}"})
    return pd.DataFrame(rows)


def pod_table(sel, const: dict[str, float]) -> pd.DataFrame:
    """Candidate pod totals (GPU figures, with and without the LPX racks) against the talk's 60 EF and 10 PB/s. Uses
    the book's Rubin row when the reader's data lack one."""
    from ..data import DEFAULT_DATA_DIR, load_hardware
    from ..units import si

    gpus, lpx = const["rubin_pod_gpus"], const["rubin_pod_lpx_racks_implied"]
    rubin = sp.rubin_row(sel) or next((h for h in load_hardware(DEFAULT_DATA_DIR) if h.name.startswith("Rubin")), None)
    gpu_inference = gpus * const["rubin_fp4_inference_pflops"] * 1e15
    rows = [("GPUs, NVFP4 inference figure (50 PF, not dense)", gpu_inference, "FLOP/s", sp.POD_COMPUTE_FLOPS),
            (f"GPUs (50 PF NVFP4) + {lpx:.0f} LPX racks (FP8): mixed formats", gpu_inference + lpx * const["lpx_rack_fp8_pflops"] * 1e15,
             "FLOP/s", sp.POD_COMPUTE_FLOPS)]
    if rubin is not None:
        rows += [("GPUs, dense FP4 training figure (hardware.csv)", gpus * rubin.flops("fp4"), "FLOP/s", sp.POD_COMPUTE_FLOPS),
                 ("GPUs, dense FP8", gpus * rubin.flops("fp8"), "FLOP/s", sp.POD_COMPUTE_FLOPS),
                 ("GPUs, HBM4 (not scale-up)", gpus * rubin.hbm_bandwidth_Bps, "B/s", sp.POD_SCALE_UP_BPS)]
    rows += [("NVL72 racks, NVLink 6 (both directions)", sp.pod_scale_up_Bps(const, 0.0), "B/s", sp.POD_SCALE_UP_BPS),
             (f"NVL72 racks + {lpx:.0f} LPX racks", sp.pod_scale_up_Bps(const, lpx), "B/s", sp.POD_SCALE_UP_BPS)]
    return pd.DataFrame([{"pod total from": k, "value": si(v, u), "÷ talk's total": f"{v / s:.2f}"} for k, v, u, s in rows])


def generations(sel, model: Model) -> tuple[pd.DataFrame, dict[str, float]]:
    """Oldest → newest accelerator: dense FLOP/s per package (16-bit, narrowest), refined tokens/s and tokens per
    joule, and the price of an hour from one provider's oldest to its newest hyperscaler offer. Returns the table
    and {"format_factor", "hour_change"} (hour_change NaN without two offers of one provider)."""
    hardware = sel.all_hardware()
    first = min(hardware, key=lambda h: (h.year, h.flops("bf16")))
    last = max(hardware, key=lambda h: (h.year, h.flops(pw.lowest_precision(h))))
    narrow = pw.lowest_precision(last)
    rows = [(f"dense FLOP/s per package, {first.name} → {last.name}, 16-bit", last.flops("bf16") / first.flops("bf16")),
            (f"… {first.name} 16-bit → {last.name} {narrow}", last.flops(narrow) / first.flops("bf16"))]
    t_first, t_last = sp.throughput(sel, first, model, "bf16"), sp.throughput(sel, last, model, "narrowest")
    if t_first.tokens_per_s_per_chip > 0 and t_last.tokens_per_s_per_chip > 0:
        rows += [(f"tokens/s per accelerator, refined (bf16 → {t_last.precision})",
                  t_last.tokens_per_s_per_chip / t_first.tokens_per_s_per_chip),
                 ("tokens per joule, refined", t_last.tokens_per_s_per_W / t_first.tokens_per_s_per_W)]
    offers = [o for o in sp.prices(sel) if o.market == "hyperscaler on-demand"]
    change = float("nan")
    if offers:
        oldest = min(offers, key=lambda o: o.as_of)
        provider = oldest.name.rsplit(" on ", 1)[-1].split()[0]
        same = [o for o in offers if o.name.rsplit(" on ", 1)[-1].split()[0] == provider and o is not oldest]
        if same:
            newest = max(same, key=lambda o: o.as_of)
            change = newest.usd_per_hour / oldest.usd_per_hour
            rows.append((f"price per accelerator-hour, {oldest.name} ({oldest.as_of}) → {newest.name} ({newest.as_of})", change))
    frame = pd.DataFrame([{"quantity": q, "ratio": f"{r:,.1f}×"} for q, r in rows])
    return frame, {"format_factor": last.flops(narrow) / last.flops("bf16"), "hour_change": change}
