"""Charts for the chapter ``overtrained-100x``.

The optimum is computed in :mod:`lib.scaling` on a grid of effective served tokens D_serve,eff (serving plus RL
rollouts expressed as served tokens); the browser only shifts that grid by the RL sliders
(T = T_eff − k_RL·D_RL/(2η)) and picks the row nearest the served-tokens slider, so the page needs no kernel.
"""

from __future__ import annotations

import json
import math

import altair as alt
import numpy as np
import pandas as pd

from .. import units
from ..page import parenthesised
from ..charts import PALETTE
from ..scaling import CHINCHILLA_TOKENS_PER_PARAM, LossLaw, equal_terms_penalty

#: Effective served tokens, 1e9 … 1e18, 30 points per decade.
T_EFF_GRID = np.logspace(9, 18, 271)


def _round(frame: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].apply(lambda c: c.map(lambda v: float(f"{v:.{digits}g}")))
    return frame


def optimum_frame(laws: list[LossLaw], params: float, tokens: float) -> pd.DataFrame:
    """For each law, the inference-aware optimum (Sardana, Portes, Doubov and Frankle 2024) at the loss of
    (params, tokens) along T_EFF_GRID: N*, D*,
    D*/N*, and the cost of the equal-terms heuristic relative to the optimum."""
    frames = []
    for law in laws:
        loss = float(law.loss(params, tokens))
        n, d = law.inference_optimal(loss, T_EFF_GRID)
        penalty = equal_terms_penalty(law, loss, T_EFF_GRID)
        frames.append(pd.DataFrame({
            "fit": law.name, "log_t_eff": np.log10(T_EFF_GRID), "params_B": n / 1e9, "tokens_T": d / 1e12,
            "tokens_per_param": d / n, "heuristic_penalty_pct": 100 * penalty,
        }))
    return _round(pd.concat(frames, ignore_index=True))


def optimum_chart(frame: pd.DataFrame, default_log_served: float, rl_defaults: dict[str, float],
                  talk_factor: float) -> alt.LayerChart:
    """Tokens per parameter of the optimum against lifetime served tokens, one line per fit, with sliders for
    served tokens (the marked point), RL rollout tokens, k_RL and η."""
    served = alt.param(name="log_served", value=default_log_served,
                       bind=alt.binding_range(min=10, max=17.5, step=0.05, name="log₁₀ served tokens D_serve "))
    rl_tokens = alt.param(name="log_rl", value=rl_defaults["log_rl_tokens"],
                          bind=alt.binding_range(min=9, max=15, step=0.05, name="log₁₀ RL rollout tokens D_RL "))
    k_rl = alt.param(name="k_rl", value=rl_defaults["k_rl"],
                     bind=alt.binding_range(min=2, max=6, step=0.5, name="k_RL (FLOP per param per RL token) "))
    eta = alt.param(name="eta", value=rl_defaults["eta"],
                    bind=alt.binding_range(min=0.1, max=1, step=0.05, name="η (RL efficiency) "))
    fits = list(dict.fromkeys(frame["fit"]))
    base = (
        alt.Chart(frame.drop(columns=["heuristic_penalty_pct"]))
        .transform_calculate(rl_equiv="pow(10, log_rl) * k_rl / (2 * eta)")
        .transform_calculate(served_tokens="pow(10, datum.log_t_eff) - datum.rl_equiv")
        .transform_filter("datum.served_tokens >= 1e10")
        .transform_calculate(overtrain=f"datum.tokens_per_param / {CHINCHILLA_TOKENS_PER_PARAM}")
    )
    x = alt.X("served_tokens:Q", scale=alt.Scale(type="log", domain=[1e10, 3e17]),
              axis=alt.Axis(title="lifetime served tokens D_serve (log)", format="~s"))
    y = alt.Y("tokens_per_param:Q", scale=alt.Scale(type="log", domain=[10, 200000]),
              axis=alt.Axis(title="optimal tokens per parameter D*/N* (log)", format="~s"))
    color = alt.Color("fit:N", title="loss law", scale=alt.Scale(domain=fits, range=PALETTE[:len(fits)]),
                      legend=alt.Legend(orient="bottom", labelLimit=320))
    lines = base.mark_line(clip=True).encode(
        x=x, y=y, color=color,
        tooltip=[alt.Tooltip("fit:N"), alt.Tooltip("served_tokens:Q", title="served tokens", format=".3~s"),
                 alt.Tooltip("params_B:Q", title="N* (billions)", format=".3~g"),
                 alt.Tooltip("tokens_T:Q", title="D* (trillions)", format=".3~g"),
                 alt.Tooltip("tokens_per_param:Q", title="D*/N*", format=",.0f"),
                 alt.Tooltip("overtrain:Q", title="× Chinchilla's 20", format=".3~g")])
    marks = pd.DataFrame({"level": [CHINCHILLA_TOKENS_PER_PARAM, 75 * CHINCHILLA_TOKENS_PER_PARAM,
                                    100 * CHINCHILLA_TOKENS_PER_PARAM],
                          "label": ["Chinchilla's rule: 20 tokens/param",
                                    f"75×: 1,500 (the talk's model is {talk_factor:.0f}×)", "100×: 2,000"],
                          "dy": [-7, 9, -7]})
    rules = alt.Chart(marks).mark_rule(color="#888", strokeDash=[4, 3]).encode(y=alt.Y("level:Q"))
    rule_text = (alt.Chart(marks[marks["dy"] < 0]).mark_text(align="left", x=6, dy=-7, fontSize=11, color="#555")
                 .encode(y=alt.Y("level:Q"), text="label:N")
                 + alt.Chart(marks[marks["dy"] > 0]).mark_text(align="left", x=6, dy=9, fontSize=11, color="#555")
                 .encode(y=alt.Y("level:Q"), text="label:N"))
    nearest = (
        base.transform_calculate(dist="abs(log(datum.served_tokens) / LN10 - log_served)")
        .transform_joinaggregate(best="min(dist)", groupby=["fit"])
        .transform_filter("datum.dist == datum.best")
    )
    point = nearest.mark_point(size=90, filled=True, clip=True).encode(x=x, y=y, color=color)
    # The marked points' values as a readout in the plot's empty top-left corner, one line per fit (in its colour,
    # named by the legend) under a line naming the served tokens of the grid point the slider selects (the points
    # drawn, not the slider's value): labels beside the points would lie on top of each other.
    order = "indexof(" + json.dumps(fits) + ", datum.fit)"
    header = nearest.transform_filter(f"{order} == 0").transform_calculate(
        text="'the points, at D_serve = ' + format(datum.served_tokens, '.3~s') + ':'"
    ).mark_text(align="left", baseline="middle", x=6, y=12, fontSize=11, color="#333").encode(text="text:N")
    label = nearest.transform_calculate(
        text="format(datum.params_B, '.3~g') + 'B on ' + format(datum.tokens_T, '.3~g') + "
             "'T = ' + format(datum.overtrain, '.3~g') + '× Chinchilla'"
    ).mark_text(align="left", baseline="middle", x=6, y=alt.expr(f"27 + 14 * {order}"), fontSize=11).encode(
        color=color, text="text:N")
    return (rules + rule_text + lines + point + header + label).add_params(served, rl_tokens, k_rl, eta).properties(
        title=alt.Title("The inference-aware optimum: tokens per parameter against demand",
                        subtitle=["At the loss of a 100B-parameter model trained on 150T tokens. RL rollouts cost",
                                  "compute in proportion to N, like serving: they shift the curve left."]),
        width=560, height=340)


def penalty_chart(frame: pd.DataFrame) -> alt.Chart:
    """Extra training + serving compute of the equal-terms heuristic (D = D_serve/3) over the optimum, per fit."""
    data = frame.dropna(subset=["heuristic_penalty_pct"])
    data = data[(data["log_t_eff"] >= 12) & (data["log_t_eff"] <= 17.5) & (data["heuristic_penalty_pct"] <= 300)].copy()
    data["served_tokens"] = (10 ** data["log_t_eff"]).map(lambda v: float(f"{v:.4g}"))
    data = data[["fit", "served_tokens", "heuristic_penalty_pct"]]  # only what the chart draws
    fits = list(dict.fromkeys(frame["fit"]))
    return alt.Chart(data).mark_line(clip=True).encode(
        x=alt.X("served_tokens:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="lifetime served tokens D_serve (log)",
                                                                             format="~s")),
        y=alt.Y("heuristic_penalty_pct:Q", scale=alt.Scale(domain=[0, 150]),
                axis=alt.Axis(title="extra compute over the optimum (%)")),
        color=alt.Color("fit:N", title="loss law", scale=alt.Scale(domain=fits, range=PALETTE[:len(fits)]),
                        legend=alt.Legend(orient="bottom", labelLimit=320)),
        tooltip=[alt.Tooltip("fit:N"), alt.Tooltip("served_tokens:Q", format=".3~s"),
                 alt.Tooltip("heuristic_penalty_pct:Q", title="extra compute (%)", format=".3~g")],
    ).properties(
        title=alt.Title("What the equal-terms heuristic costs",
                        subtitle="Train on D = D_serve/3 so that training and serving compute are equal, at the same loss."),
        width=560, height=240)


def demand_chart(default_users: float, default_tokens_per_user_day: float, targets: dict[str, float]) -> alt.LayerChart:
    """Cumulative served tokens against days for a number of users at a per-user daily rate (sliders), with the
    token totals to reach marked as horizontal rules."""
    days = pd.DataFrame({"day": np.arange(1, 366)})
    users = alt.param(name="users_M", value=float(round(default_users / 1e6)),
                      bind=alt.binding_range(min=10, max=2000, step=10, name="users (millions) "))
    rate = alt.param(name="rate", value=float(round(default_tokens_per_user_day, -2)),
                     bind=alt.binding_range(min=100, max=50000, step=100, name="tokens per user per day "))
    line = alt.Chart(days).transform_calculate(
        tokens="users_M * 1e6 * rate * datum.day"
    ).mark_line(color=PALETTE[0]).encode(
        x=alt.X("day:Q", axis=alt.Axis(title="days of serving")),
        y=alt.Y("tokens:Q", scale=alt.Scale(type="log", domain=[1e11, 1e16]),
                axis=alt.Axis(title="tokens so far (log)", format="~s")),
        tooltip=[alt.Tooltip("day:Q"), alt.Tooltip("tokens:Q", format=".3~s")])
    goal = pd.DataFrame({"tokens": list(targets.values()), "label": list(targets)})
    rules = alt.Chart(goal).mark_rule(strokeDash=[4, 3], color="#888").encode(y="tokens:Q")
    def labels(frame: pd.DataFrame, dy: int) -> alt.Chart:
        return alt.Chart(frame).transform_calculate(
            days="datum.tokens / (users_M * 1e6 * rate)"
        ).transform_calculate(
            text="datum.label + ': ' + (datum.days <= 365 ? format(datum.days, ',.0f') + ' days' : 'over a year')"
        ).mark_text(align="left", x=6, dy=dy, fontSize=11, color="#333").encode(y="tokens:Q", text="text:N")

    # The lowest target's label sits below its rule and the others above, so that close totals do not overlap.
    goal = goal.sort_values("tokens").reset_index(drop=True)
    text = labels(goal.iloc[:1], 12) + labels(goal.iloc[1:], -7) if len(goal) > 1 else labels(goal, -7)
    header = alt.Chart(days).transform_aggregate(n="count()").transform_calculate(
        text="format(users_M, ',.0f') + 'M users × ' + format(rate, ',.0f') + "
             "' tokens each\\n= ' + format(users_M * 1e6 * rate, '.3~s') + ' tokens per day'"
    ).mark_text(align="right", baseline="bottom", x="width", dx=-5, y=328, fontSize=12, color="#222",
                lineBreak="\n").encode(text="text:N")  # two lines: one is wider than a phone's plot
    return (rules + text + line + header).add_params(users, rate).properties(
        title=alt.Title("How long does it take to serve a training corpus?",
                        subtitle="Users and tokens per user per day are sliders; the rules are the totals to reach."),
        width=560, height=340)


RL_EXPONENTS = np.round(np.arange(0.3, 3.01, 0.1), 2)
RL_DECADES = np.round(np.linspace(-3.0, 3.0, 61), 3)


#: The chart's curves as Vega expressions of the slider ``rl_b`` and ``datum.decades`` = log₁₀(C / C_mid): the
#: sigmoid's share of its total gain, 1 / (1 + 10^(−b·d)) (lib.scaling.rl_sigmoid with R_0 = 0, R_∞ = 1, C_mid = 1),
#: and the log-linear line tangent at the midpoint, ½ + (b · ln 10 / 4) · d (lib.scaling.rl_peak_gain_per_decade).
#: The browser evaluates them over 61 decades (the page sends no curve data); tests check them against lib.
RL_SIGMOID_EXPR = "1 / (1 + pow(10, -rl_b * datum.decades))"
RL_TANGENT_EXPR = f"0.5 + rl_b * {math.log(10.0) / 4.0!r} * datum.decades"
RL_CURVES = {"sigmoid": "sigmoid (Khatri et al.)", "tangent": "log-linear reading"}


def rl_shape_chart(default_exponent: float = 1.0) -> alt.Chart:
    """The sigmoid against the log-linear line through its midpoint, with an exponent slider; the ceiling at 100%
    of the gain is a rule. The curves are computed in the browser (:data:`RL_SIGMOID_EXPR`,
    :data:`RL_TANGENT_EXPR`) over the decades of :data:`RL_DECADES`."""
    b = alt.param(name="rl_b", value=float(default_exponent),
                  bind=alt.binding_range(min=float(RL_EXPONENTS[0]), max=float(RL_EXPONENTS[-1]), step=0.1,
                                         name="exponent b "))
    curves = list(RL_CURVES.values())
    lines = (
        alt.Chart(pd.DataFrame({"decades": RL_DECADES}))
        .transform_calculate(sigmoid=RL_SIGMOID_EXPR, tangent=RL_TANGENT_EXPR)
        .transform_fold(list(RL_CURVES), as_=["key", "share"])
        .transform_calculate(curve=f"datum.key == 'sigmoid' ? '{RL_CURVES['sigmoid']}' : '{RL_CURVES['tangent']}'")
        .transform_filter("datum.share >= -0.25 && datum.share <= 1.25")
        .mark_line()
        .encode(
            x=alt.X("decades:Q", axis=alt.Axis(title="decades of RL compute from the midpoint, log₁₀(C / C_mid)")),
            y=alt.Y("share:Q", scale=alt.Scale(domain=[-0.25, 1.25]),
                    axis=alt.Axis(title="share of the sigmoid's total gain", format=".0%")),
            color=alt.Color("curve:N", title=None, scale=alt.Scale(domain=curves, range=[PALETTE[0], PALETTE[1]]),
                            legend=alt.Legend(orient="bottom")),
            strokeDash=alt.StrokeDash("curve:N", scale=alt.Scale(domain=curves, range=[[1, 0], [5, 3]]), legend=None),
            tooltip=["curve:N", alt.Tooltip("decades:Q", format=".2f"), alt.Tooltip("share:Q", format=".0%")],
        )
    )
    ceiling = (alt.Chart(pd.DataFrame({"share": [1.0]})).mark_rule(color="#555", strokeDash=[2, 2])
               .encode(y=alt.Y("share:Q", scale=alt.Scale(domain=[-0.25, 1.25]),
                               axis=alt.Axis(title="share of the sigmoid's total gain", format=".0%"))))
    return (lines + ceiling).add_params(b).properties(
        title=alt.Title("RL compute: the fitted sigmoid against a straight line on a log axis",
                        subtitle=["Dotted rule: the fitted ceiling R_∞.",
                                  "The two agree near the midpoint and part on either side of it."]),
        width=520, height=280,
    )


def rl_fits_frame(sel) -> pd.DataFrame:
    """Each published RL fit read at the decade ending at the largest public run, one column per fit: its
    parameters, the share of its total gain that decade and its best decade bring, their ratio, the gain as at
    most so many points, and the compute where the sigmoid and the log-linear line part
    (lib.derivations.overtrained.rl_decade_gains)."""
    from ..derivations import overtrained as ot
    from ..units import short

    gains = ot.rl_decade_gains(sel)
    if not gains:
        return pd.DataFrame({"quantity": ["no complete fit in data/rl_scaling.csv"]})
    decade = f"{short(gains[0].decade_start_gpu_hours)}→{short(gains[0].decade_end_gpu_hours)} GPU-h"
    rows = {
        "ceiling A": lambda g: f"{g.fit.asymptote:.3f}",
        "exponent b": lambda g: f"{g.fit.exponent:.2f}",
        "C_mid (GPU-h)": lambda g: short(g.fit.midpoint_gpu_hours),
        f"share of the gain, {decade}": lambda g: f"{g.last_share:.1%}",
        "share, best decade": lambda g: f"{g.best_share:.1%}",
        "ratio (1: log-linear)": lambda g: f"{g.ratio:.2f}",
        f"points, {decade} (at most)": lambda g: f"{100 * g.max_points:.1f}",
        "slope halved by (GPU-h)": lambda g: short(g.half_slope_gpu_hours),
        "line at ceiling by (GPU-h)": lambda g: short(g.line_at_ceiling_gpu_hours),
    }
    return pd.DataFrame([{"quantity": name, **{g.fit.name: cell(g) for g in gains}} for name, cell in rows.items()])


# ---- tables of the demand and cost sections ---------------------------------------------------------------


def deepseek_day_frame(sel) -> pd.DataFrame:
    """DeepSeek's inference day: input, cache hits, output, and the two output shares (lib.derivations.overtrained)."""
    from ..derivations import overtrained as ot
    from ..reality import load_deepseek_day
    from ..units import short

    day = load_deepseek_day(sel.data_dir)
    computed, of_all = ot.output_shares(sel)
    return pd.DataFrame([
        {"tokens in the day": "input (prompt)", "count": short(day.input_tokens)},
        {"tokens in the day": "… of which cache hits (no forward pass)", "count": short(day.cached_input_tokens)},
        {"tokens in the day": "output", "count": short(day.output_tokens)},
        {"tokens in the day": "output ÷ computed tokens (uncached input + output)", "count": f"{computed:.1%}"},
        {"tokens in the day": "output ÷ all tokens", "count": f"{of_all:.1%}"},
    ])


def traffic_frame(sel, talk) -> pd.DataFrame:
    """For the talk's users and each reported traffic (all tokens a day): output a day, days to put out D_pre output
    tokens (output share of all tokens) and days to compute 3·D_pre tokens (cache hits free); DeepSeek's shares."""
    from ..derivations import overtrained as ot
    from ..scaling import demand_value, tokens_per_user_per_day
    from ..units import short

    computed, of_all = ot.output_shares(sel)
    d = talk.pretrain_tokens

    def row(label, all_per_day, per_user="—"):
        out = all_per_day * of_all
        return {"traffic": label, "tokens per day (all)": short(all_per_day), "output per day": short(out),
                "output per user per day": per_user, "days to 150T output": f"{d / out:,.0f}",
                "days to equal compute": f"{3 * d / (out / computed):,.0f}"}

    per_user = float(tokens_per_user_per_day(d, talk.users, talk.days))
    google = demand_value(talk.rows, "Google tokens per month (2026)") / 30
    api = demand_value(talk.rows, "OpenAI API tokens per minute") * 60 * 24
    return pd.DataFrame([
        row(f"talk: {short(talk.users)} users, {talk.days:g} days", d / talk.days / of_all, short(per_user)),
        row(f"ChatGPT: messages/day × {short(talk.tokens_per_message)} tokens (assumed)", talk.chatgpt_tokens_per_day,
            short(talk.tokens_per_user_per_day * of_all) + " (per daily user)"),
        row("OpenAI API (reported)", api),
        row("all of Google (reported, 2026)", google),
    ])


def training_serving(sel, talk) -> tuple[pd.DataFrame, dict[str, str]]:
    """Pre-training against serving for DeepSeek-V3 (measured_training.csv, the ledger's inference-dominates
    entries, assumptions.csv; the book's DeepSeek-V3 rows when the reader's data lack them): a display table and
    the values the page's prose glues."""
    from dataclasses import replace

    from .. import claims
    from .. import demand
    from ..data import DEFAULT_DATA_DIR, load_hardware
    from ..derivations import overtrained as ot
    from ..reality import load_measured_training
    from ..scaling import implied_utilisation
    from ..units import short

    hw = sel.hardware
    model, run, whose = ot.cost_rows(sel)
    flop = 6 * model.active_params * model.training_tokens
    run_hw = sel.hardware_named(run.hardware) or next(h for h in load_hardware(DEFAULT_DATA_DIR) if h.name == run.hardware)
    own = float(implied_utilisation(flop, run.accelerator_hours, run_hw.flops(run.precision or "bf16")))
    bf16 = float(implied_utilisation(flop, run.accelerator_hours, run_hw.flops("bf16")))
    every = next((r.accelerator_hours for r in load_measured_training(sel.data_dir)
                  if r.model == model.name and r.scope == "all"), None)
    ledger = {e.quantity: e for e in claims.derive("inference-dominates", sel)}
    cost = ledger["pre-training cost, 6·N·D at the book's utilisation and price"]
    ratio = ledger["serving ÷ pre-training accelerator time, daily users over the serving period"]
    days = float(demand.days_to_match_pretraining(model.training_tokens, talk.served_tokens_per_day,
                                                  1.0, talk.training_utilisation, talk.decode_utilisation))
    fmt = cost.inputs["format"]
    frontier = ot.pretraining_cost_usd(sel, replace(model, active_params=talk.params, training_tokens=talk.pretrain_tokens),
                                       hw, fmt)
    reported = run.accelerator_hours * talk.usd_per_hour
    # The earlier reading, kept for comparison: the same bf16 utilisation charged against the run's own FP8 peak.
    mismatched = (ot.pretraining_cost_usd(sel, model, hw, run.precision)
                  if run.precision and run.precision != fmt and hw.supports(run.precision) else None)
    if mismatched is not None and cost.derived and abs(mismatched / cost.derived - 1) < 0.01:
        mismatched = None  # the two peaks are equal on this accelerator: nothing to compare
    trained_in = run.precision or "bf16"
    rows = [
        {"quantity": f"{model.name} pre-training, 6·N_active·D{whose}", "value": units.sci(flop, "FLOP")},
        {"quantity": f"reported pre-training hours {parenthesised(run.hardware)} × ${talk.usd_per_hour:g}/h",
         "value": f"{short(run.accelerator_hours)} h → ${short(reported)}"},
        {"quantity": f"utilisation those hours imply against {trained_in} peak (the format it trained in)", "value": f"{own:.1%}"},
        {"quantity": "… against bf16 peak", "value": f"{bf16:.1%}"},
    ]
    if every is not None:
        rows.append({"quantity": "… with every hour of the run (post-training too) against bf16 peak",
                     "value": f"{float(implied_utilisation(flop, every, run_hw.flops('bf16'))):.1%}"})
    rows += [
        {"quantity": f"6·N·D on {hw.name} ({fmt} peak, the peak u_train is measured against) at the book's utilisation "
                     "and price", "value": "$" + short(cost.derived)},
        {"quantity": f"serving {short(talk.served_tokens_per_day)} tokens a day ({short(talk.daily_users)} daily users × "
                     f"{short(talk.tokens_per_user_per_day)}) for {talk.serving_days:,.0f} days ÷ pre-training "
                     "(accelerator time)", "value": f"{ratio.derived:,.1f}×"},
        {"quantity": "days of that serving that cost one pre-training run", "value": f"{days:.0f}"},
        {"quantity": "the talk's 100B on 150T at the book's utilisation and price", "value": "$" + short(frontier)},
    ]
    if mismatched is not None:
        rows.insert(next(i for i, r in enumerate(rows) if r["quantity"].startswith("6·N·D on")) + 1,
                    {"quantity": f"… the same bf16 utilisation against the {run.precision} peak (a mismatch; the book's "
                                 "earlier figure)", "value": "$" + short(mismatched)})
    ends = [v for both in cost.sensitivity.values() for v in (both["low"]["derived"], both["high"]["derived"])]
    reported_entry = ledger["DeepSeek-V3 pre-training at its reported hours and price"]
    place = {claims.HOLDS: "inside the range", claims.LOOSE: ("just above the range" if reported > 5e6 else
                                                              "just below the range")}.get(reported_entry.verdict,
                                                                                            "outside the range")
    volume = next(a for a in ratio.assumptions if a.name == "served_tokens_per_day")
    glue = {
        "ot_reported_usd": "$" + short(reported), "ot_reported_place": place, "ot_train_usd": "$" + short(cost.derived),
        "ot_train_usd_range": f"${short(min(ends))} to ${short(max(ends))}", "ot_mfu_fp8": f"{own:.0%}",
        "ot_mfu_bf16": f"{bf16:.0%}",
        "ot_mfu_every": ("" if every is None else
                         f", and {float(implied_utilisation(flop, every, run_hw.flops('bf16'))):.0%} if every hour of "
                         "the run, post-training included, is counted against bf16"),
        "ot_serve_ratio": f"{ratio.derived:,.0f}×", "ot_serve_verdict": claims_phrase(ratio),
        "ot_serve_low": f"{ratio.sensitivity['served_tokens_per_day']['low']['derived']:,.0f}×",
        "ot_serve_high": f"{ratio.sensitivity['served_tokens_per_day']['high']['derived']:,.0f}×",
        "ot_volume_range": f"{short(volume.low)} to {short(volume.high)} tokens a day",
        "ot_serve_robust": "whatever the assumptions" if ratio.robust else (
            "but not at every end of its assumptions' ranges: it changes at " + "; ".join(
                f"{name.replace('_', ' ')} = {short(ends_[end]['value'])} ({ends_[end]['derived']:,.1f}×)"
                for name, ends_ in (ratio.sensitivity or {}).items() for end in ("low", "high")
                if ends_[end].get("verdict", ratio.verdict) != ratio.verdict)),
        "ot_breakeven": f"{days:.0f}", "ot_frontier_usd": "$" + short(frontier),
        "ot_u_train": f"{talk.training_utilisation:.0%}",
        "ot_serve_cached": f"{ratio.derived * ot.computed_share_of_served(sel):,.1f}×",
        "ot_serve_exact": f"{ratio.derived:,.1f}×",
        "ot_computed_share": f"{ot.computed_share_of_served(sel):.1%}",
        "ot_train_usd_old": ("" if mismatched is None else
                             f" (charging that bf16 utilisation against the {run.precision} peak would give "
                             f"${short(mismatched)}, the book's earlier figure)"),
    }
    return pd.DataFrame(rows), glue


def claims_phrase(e) -> str:
    """An entry's verdict as prose (lib.page.VERDICT_PHRASES)."""
    from ..page import VERDICT_PHRASES

    return VERDICT_PHRASES[e.verdict]


def models_frame(models, laws: dict[str, LossLaw], format_count) -> pd.DataFrame:
    """Every model that publishes its training tokens: D / N_active, the factor past Chinchilla's 20, and under
    each fit the served tokens D_serve at which it is the inference-aware optimum (or "under-trained")."""
    from ..scaling import overtraining_factor, served_tokens_for_optimality

    rows = []
    for m in models:
        if m.training_tokens is None:
            continue
        row = {"model": m.name, "N_active": format_count(m.active_params), "D": format_count(m.training_tokens),
               "D / N_active": f"{m.training_tokens / m.active_params:,.0f}",
               "× 20": f"{float(overtraining_factor(m.active_params, m.training_tokens)):.0f}×"}
        for short, law in laws.items():
            t_opt = float(served_tokens_for_optimality(law, m.active_params, m.training_tokens))
            row[f"optimal at D_serve ({short})"] = format_count(t_opt) if t_opt > 0 else "under-trained"
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# Tables of the derivation (assembly only: every number comes from lib.scaling and data/)


def short_source(source: str) -> str:
    """The first citation of a source cell, without the 'reported in <address>' tail, for a narrow table."""
    first = source.split(" ; ")[0]
    for cut in (", reported in ", " reported in ", ", quoted in ", " (as quoted"):
        first = first.split(cut)[0]
    return first if len(first) <= 110 else first[:107].rsplit(" ", 1)[0] + " …"


def loss_laws_frame(laws: dict[str, LossLaw]) -> pd.DataFrame:
    """The fitted loss laws' constants and sources (data/scaling_laws.csv)."""
    return pd.DataFrame([
        {"fit": law.name, "E (nats)": f"{law.E:g}", "A": f"{law.A:g}", "B_D": f"{law.B:g}", "α": f"{law.alpha:g}",
         "β": f"{law.beta:g}", "source": short_source(law.source)} for law in laws.values()])


def talk_inputs_frame(rows: dict) -> pd.DataFrame:
    """The talk's numbers and the reported traffic (data/serving_demand.csv), each in its unit."""
    from ..scaling import format_count

    def show_value(row):
        if row.unit == "USD":
            return "$" + format_count(row.value)
        if row.unit == "fraction":
            return f"{row.value:.0%}"
        return format_count(row.value, row.unit)

    return pd.DataFrame([{"input": r.name, "value": show_value(r), "kind": r.kind, "as of": r.as_of,
                          "source": short_source(r.source)} for r in rows.values()])


def assumptions_frame(book_rows: dict, names) -> pd.DataFrame:
    """The book-wide assumptions ``names`` (those in the table): value and range (counts on the short scale, FLOP
    budgets in powers of ten), provenance and first source."""
    from ..scaling import format_count

    def big(value, unit=""):
        return units.sci(value, unit) if value >= 1e16 else format_count(value, unit)

    return pd.DataFrame([
        {"input": name.replace("_", " "), "value": big(book_rows[name].value, book_rows[name].unit),
         "range": f"{big(book_rows[name].low)} – {big(book_rows[name].high)}", "provenance": book_rows[name].provenance,
         "source": short_source(book_rows[name].source)} for name in names if name in book_rows])


def optimum_table(laws: dict[str, LossLaw], params: float, tokens: float,
                  equal_compute_served: float) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """The inference-aware optimum (eq. ot-optimum) at the loss of (``params``, ``tokens``) under each fit: the
    Chinchilla point, r, the served tokens that make the model optimal, the optima at 150T served (``tokens``) and at
    ``equal_compute_served``, and the served tokens for 75× and 100× Chinchilla. Returns the table (one column per
    fit) and, per fit, the numbers behind it (``loss, r, t_opt, n0, d0, n150, d150, n450, d450, t75, t100,
    excess``; ``excess`` is the equal-terms heuristic's extra lifetime compute at ``equal_compute_served``)."""
    from ..scaling import (CHINCHILLA_TOKENS_PER_PARAM, excess_lifetime_compute, format_count, optimality_ratio,
                           served_tokens_for_optimality)

    fc = format_count
    rows, numbers = [], {}
    for short, law in laws.items():
        loss = float(law.loss(params, tokens))
        n0, d0 = (float(x) for x in law.inference_optimal(loss, 0.0))
        t75, t100 = (float(x) for x in law.served_tokens_for_tokens_per_param(
            loss, np.array([75.0, 100.0]) * CHINCHILLA_TOKENS_PER_PARAM))
        n150, d150 = (float(x) for x in law.inference_optimal(loss, tokens))
        n450, d450 = (float(x) for x in law.inference_optimal(loss, equal_compute_served))
        at = {"loss": loss, "r": float(optimality_ratio(law, params, tokens)),
              "t_opt": float(served_tokens_for_optimality(law, params, tokens)), "n0": n0, "d0": d0,
              "n150": n150, "d150": d150, "n450": n450, "d450": d450, "t75": t75, "t100": t100,
              "excess": float(excess_lifetime_compute(law, params, tokens, equal_compute_served))}
        numbers[short] = at
        rows.append({
            "fit": short, "target loss ℓ (nats)": f"{loss:.3f}",
            "Chinchilla point at ℓ": f"{fc(n0)} on {fc(d0)} ({d0 / n0:.0f}/param)",
            "r at 100B, 150T": f"{at['r']:.2f}",
            "D_serve that makes 100B, 150T optimal": fc(at["t_opt"]),
            "optimum at D_serve = 150T": f"{fc(n150)} on {fc(d150)}: {d150 / n150 / 20:.0f}×",
            "optimum at D_serve = 450T": f"{fc(n450)} on {fc(d450)}: {d450 / n450 / 20:.0f}×",
            "D_serve for 75×": fc(t75), "D_serve for 100×": fc(t100),
        })
    table = pd.DataFrame(rows).set_index("fit").T
    table.columns.name = None
    return table.reset_index().rename(columns={"index": "at the talk's loss"}), numbers
