"""The ledger's verdict rule and registry."""

import pytest

from lib import claims, data
from lib.claims import FAILS, HOLDS, LOOSE, NOT_DERIVED, judge


@pytest.mark.parametrize("stated, derived, verdict", [
    (20.0, 24.0, HOLDS),          # +20%
    (20.0, 26.0, LOOSE),          # +30%
    (20.0, 9.0, FAILS),           # below half
    (20.0, 41.0, FAILS),          # above double
    ((2000.0, 3000.0), 2500.0, HOLDS),
    ((2000.0, 3000.0), 5354.0, LOOSE),
    ((2000.0, 3000.0), 6001.0, FAILS),
    (None, 3.0, NOT_DERIVED),
    (3.0, None, NOT_DERIVED),
])
def test_judge(stated, derived, verdict):
    assert judge(stated, derived) == verdict


def test_judge_rejects_bad_ranges():
    with pytest.raises(ValueError):
        judge((3.0, 2.0), 2.5)
    with pytest.raises(ValueError):
        judge(1.0, 1.0, loose_factor=0.5)


def test_gap_is_ratio_to_nearest_end():
    e = claims.entry("x", "q", (2.0, 3.0), 6.0, "u")
    assert e.gap == pytest.approx(2.0)
    assert claims.entry("x", "q", (2.0, 3.0), 2.5, "u").gap == 1.0


def test_ledger_lists_every_claim_even_underived():
    entries = claims.ledger(data.selection())
    ids = [e.id for e in entries]
    for text in claims.claim_texts():
        assert text.id in ids
    for e in entries:
        assert e.verdict in claims.VERDICTS


def test_expect_asserts_on_default_and_reports_on_other_data():
    sel = data.selection()
    entries = claims.derive("train-20ms", sel)
    claims.expect(entries, {"HBM drain time C_hbm / W_hbm": HOLDS}, sel)
    with pytest.raises(AssertionError, match="verdicts changed"):
        claims.expect(entries, {"HBM drain time C_hbm / W_hbm": FAILS}, sel)
    other = data.selection(hardware="GB300 NVL72")
    note = claims.expect(claims.derive("train-20ms", other), {"HBM drain time C_hbm / W_hbm": HOLDS}, other)
    assert "differ" in note and "holds loosely" in note


def test_unknown_claim_id():
    with pytest.raises(KeyError, match="unknown claim id"):
        claims.derive("no-such-claim")


def test_entry_kinds_and_sensitivity():
    a = claims.Assumption("phi", 0.5, 0.25, 0.75, "1", "weights' share of HBM, a reasoned guess")
    # derived = 1 / (1 − φ) · 2.27: recomputed at each end of the range, not copied
    f = lambda phi=0.5: 2.27 / (1 - phi)
    e = claims.entry("x", "ratio", 5.0, f(), "×", assumptions=[a], recompute=f)
    assert e.kind == "checked" and e.verdict == claims.HOLDS
    assert e.sensitivity["phi"]["low"]["derived"] == pytest.approx(2.27 / 0.75)
    assert e.sensitivity["phi"]["high"]["derived"] == pytest.approx(2.27 / 0.25)
    assert e.sensitivity["phi"]["high"]["verdict"] == claims.LOOSE and e.robust is False
    steady = claims.entry("x", "ratio", 5.0, 5.0, "×", assumptions=[a], recompute=lambda phi: 5.0 + phi / 100)
    assert steady.robust is True
    scenario = claims.entry("x", "tokens", None, 3.0, "T", kind="scenario", assumptions=[a], recompute=f)
    assert scenario.verdict == claims.SCENARIO and scenario.robust is None
    assert scenario.to_json()["assumptions"][0] == {"name": "phi", "value": 0.5, "low": 0.25, "high": 0.75,
                                                    "unit": "1", "source": "weights' share of HBM, a reasoned guess"}
    shape = claims.entry("x", "sweet spot", None, 10.0, "seq", kind="structural", verdict=claims.HOLDS)
    assert shape.verdict == claims.SHAPE_HOLDS
    with pytest.raises(ValueError, match="must list the assumptions"):
        claims.entry("x", "tokens", None, 3.0, "T", kind="scenario")
    with pytest.raises(ValueError, match="needs a verdict"):
        claims.entry("x", "shape", None, 1.0, "", kind="structural")
    with pytest.raises(ValueError, match="outside its range"):
        claims.Assumption("bad", 2.0, 0.0, 1.0, "1")
    with pytest.raises(ValueError, match="unknown kind"):
        claims.entry("x", "q", 1.0, 1.0, "", kind="guess")


def test_structural_entry_with_a_shape_test_reports_robustness():
    a = claims.Assumption("kv_bytes", 2.0, 1.0, 2.0, "bytes")
    e = claims.entry("x", "kv ÷ compute", None, 1.2, "×", kind="structural", holds_if=lambda r: r > 1,
                     assumptions=[a], recompute=lambda kv_bytes: 0.6 * kv_bytes)
    assert e.verdict == claims.SHAPE_HOLDS and e.robust is False
    assert e.sensitivity["kv_bytes"]["low"] == {"value": 1.0, "derived": 0.6, "verdict": claims.SHAPE_FAILS}


def test_every_claim_names_its_talk_with_date_and_address():
    texts = claims.claim_texts()
    assert len(texts) == 27
    for c in texts:
        assert c.address.startswith("https://") and c.date, c.id
    lecture = {c.date for c in texts if c.talk == "L"}
    assert lecture == {"2026-04-29"}
    assert all("dwarkesh.com/p/reiner-pope" in c.address for c in texts if c.talk == "L")
    jensen = [c for c in texts if c.talk == "J" and c.id != "rlvr-log-linear"]
    assert {c.date for c in jensen} == {"2026-03-23"} and all("Lex Fridman Podcast #494" in c.source for c in jensen)
    # The RLVR claim comes from the companion episode (#490), which CLAIMS.md files under talk J.
    rlvr = next(c for c in texts if c.id == "rlvr-log-linear")
    assert rlvr.talk == "J" and "#490" in rlvr.source and rlvr.date == "2026-01-31"


# ---------------------------------------------------------------- kinds across the whole ledger

def kind_problems(e: claims.Entry) -> list[str]:
    """What is wrong with an entry's kind: a checked entry needs the talk's number, a scenario its assumptions,
    each kind its own verdicts, and a checked entry that names assumptions their sensitivity."""
    problems = []
    if e.kind == claims.CHECKED:
        if e.stated is None:
            problems.append("checked, but the talk states no number for it")
        if e.verdict not in (HOLDS, LOOSE, FAILS, NOT_DERIVED):
            problems.append(f"checked with the verdict {e.verdict!r}")
        if e.assumptions and e.derived is not None and (not e.sensitivity or e.robust is None):
            problems.append("checked on named assumptions, without a sensitivity and a robustness")
    elif e.kind == claims.SCENARIO_KIND:
        if not e.assumptions:
            problems.append("a scenario that lists no assumption")
        if e.verdict not in (claims.SCENARIO, NOT_DERIVED):
            problems.append(f"a scenario with the verdict {e.verdict!r}")
    elif e.kind == claims.STRUCTURAL:
        if e.verdict not in (claims.SHAPE_HOLDS, claims.SHAPE_FAILS, NOT_DERIVED):
            problems.append(f"structural with the verdict {e.verdict!r}")
    else:
        problems.append(f"unknown kind {e.kind!r}")
    return problems


def test_every_entry_of_the_ledger_says_what_kind_of_support_it_is():
    entries = claims.ledger(data.selection())
    assert {e.kind for e in entries} == set(claims.KINDS)
    wrong = [f"{e.id} / {e.quantity}: {'; '.join(p)}" for e in entries if (p := kind_problems(e))]
    assert not wrong, "\n".join(wrong)


def test_claims_json_carries_kind_assumptions_sensitivity_and_robustness(capsys):
    import json

    from lib.__main__ import main

    assert main(["claims", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(claims.ledger(data.selection()))
    for r in rows:
        assert {"kind", "assumptions", "sensitivity", "robust"} <= set(r) and r["kind"] in claims.KINDS
        for a in r["assumptions"]:
            assert {"name", "value", "low", "high", "unit"} <= set(a) and a["low"] <= a["value"] <= a["high"]
        if r["sensitivity"]:
            assert set(r["sensitivity"]) == {a["name"] for a in r["assumptions"]}
            for ends in r["sensitivity"].values():
                assert set(ends) == {"low", "high"}
    flip = next(r for r in rows if r["quantity"] == "decode ÷ prefill cost per token (blackboard, 8k context)")
    assert flip["kind"] == "checked" and flip["robust"] is False
    ends = flip["sensitivity"]["weight share of usable HBM"]
    assert {ends["low"]["verdict"], ends["high"]["verdict"]} == {LOOSE} and flip["verdict"] == HOLDS


def test_a_verdict_known_to_flip_is_not_robust_and_its_sensitivity_is_recomputed(monkeypatch):
    """decode-5x-prefill on the blackboard: 4.5× holds against the talk's 5× with weights filling half of HBM; the
    ratio grows with the weights' share φ (fewer accelerators per replica, so fewer sequences share each weight
    read), and the verdict moves with it. The sensitivity is recomputed at the ends of φ's range, not copied."""
    from lib import pricing
    from lib.derivations import prices_leak as pl
    from lib.modes import WEIGHT_SHARE

    sel = data.selection()
    quantity = "decode ÷ prefill cost per token (blackboard, 8k context)"

    def board_entry():
        return next(e for e in claims.derive("decode-5x-prefill", sel) if e.quantity == quantity)

    e = board_entry()
    assert e.verdict == HOLDS and e.robust is False and e.flips
    ends = e.sensitivity[WEIGHT_SHARE.name]
    direct = {end: float(pricing.decode_to_prefill_cost_ratio(sel.hardware, sel.model, 8192, "fp8", "fp8",
                                                              weight_share=getattr(WEIGHT_SHARE, end)))
              for end in ("low", "high")}
    assert ends["low"]["derived"] == pytest.approx(direct["low"]) and ends["high"]["derived"] == pytest.approx(direct["high"])
    assert ends["low"]["derived"] < e.derived < ends["high"]["derived"]
    # Narrow φ's range: the ends move with it (and the verdict, inside ±25% of 5× at both, becomes robust).
    monkeypatch.setattr(pl, "WEIGHT_SHARE", claims.Assumption(WEIGHT_SHARE.name, 0.5, 0.45, 0.55, "", "a test"))
    narrow = board_entry()
    moved = narrow.sensitivity[WEIGHT_SHARE.name]
    assert moved["low"]["value"] == 0.45 and moved["high"]["value"] == 0.55
    assert moved["low"]["derived"] == pytest.approx(float(pricing.decode_to_prefill_cost_ratio(
        sel.hardware, sel.model, 8192, "fp8", "fp8", weight_share=0.45)))
    assert ends["low"]["derived"] < moved["low"]["derived"] < narrow.derived < moved["high"]["derived"] < ends["high"]["derived"]
    assert narrow.robust is True and narrow.derived == pytest.approx(e.derived)
    # By hand: φ = 0.25 gives about 3.1× (the figure), below the 'holds' band of 5 ± 25%.
    assert float(pricing.decode_to_prefill_cost_ratio(sel.hardware, sel.model, 8192, "fp8", "fp8",
                                                      weight_share=0.25)) == pytest.approx(3.05, abs=0.01)


def test_ledger_figures_mark_values_beyond_the_axis_and_count_every_entry():
    """The tornado and gap charts never pin a value silently to the axis's edge: a ratio beyond [1/20, 20] is
    placed at the edge as an arrow labelled with its true value; the counts add up to the ledger."""
    from lib.figures import ledger as fig
    from lib import page

    assert fig.place(0.5) == (0.5, "") and fig.place(142.0) == (20.0, "right") and fig.place(0.0) == (0.05, "left")
    assert fig.place(float("inf")) == (20.0, "right") and fig.ratio_label(float("inf")) == "∞"
    entries = claims.ledger(data.selection())
    counts = fig.counts_frame(entries)
    assert counts.iloc[-1]["entries"] == len(entries) == counts.iloc[:-1]["entries"].sum()
    # A spinning disk drains in about a day: 23× the talk's hour, beyond the axis, labelled with its value.
    frame = fig.sensitivity_frame(entries, claims.CHECKED)
    disk = frame[frame.entry.str.contains("drain time of spinning disk")]
    assert set(disk.beyond) == {"right"} and set(disk.x) == {20.0} and set(disk.ratio_text) == {"23.4×"}
    assert list(disk.label).count("23.4×") == 1  # one label per distinct value beyond an edge
    gaps = fig.gap_frame(entries)
    assert (gaps.beyond != "").sum() >= 3 and all(gaps[gaps.beyond == "right"].x == 20.0)
    spec = fig.tornado_chart(entries).to_dict()
    marks = [layer["mark"] for layer in spec["layer"]]
    assert {"type": "point", "shape": "triangle-right", "filled": True, "size": 110, "color": "#333", "opacity": 1} in marks
    # Each chapter's table names the assumption, its range and the derived value at both ends.
    hop = next(e for e in entries if e.quantity.startswith("per-hop time in decode"))
    assert page.robustness(hop) == "not robust"
    line = page.assumption_lines(hop)[0]
    assert line.startswith("fixed hop latency t_0 = 20 µs (5 µs–1 ms): ") and line.endswith("(holds at 1 ms)")


def test_a_tornado_row_labels_its_values_beyond_an_edge_once():
    """Under an arrow, one label a row: the range of its true ratios beyond that edge, lowest to highest (the low
    end, the book's value and the high end used to print over each other there)."""
    import altair as alt
    import pandas as pd

    from lib.figures import ledger as fig

    frame = pd.DataFrame({"row": ["a → x"] * 3 + ["b → y"] * 2, "end": ["low", "central", "high", "central", "high"],
                          "x": [0.05] * 3 + [20.0] * 2, "beyond": ["left"] * 3 + ["right"] * 2,
                          "ratio": [0.0102, 0.0252, 0.0213, 23.4, None],
                          "ratio_text": ["0.0102×", "0.0252×", "0.0213×", "23.4×", "∞"]})
    layers = fig._arrows(frame, "ratio", alt.Y("row:N"), [], below=True)
    texts = [v["label"] for layer in layers if layer.mark == "text" or getattr(layer.mark, "type", "") == "text"
             for v in layer.data.to_dict("records")]
    assert sorted(texts) == ["0.0102×–0.0252×", "23.4×–∞"]
