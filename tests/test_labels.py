"""Point labels that do not overprint (lib.figures.labels) and the charts that use them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import context as cx
from lib import data
from lib.figures import context_plateau as cp
from lib.figures import labels as lab
from lib.figures import scaling_power as spf
from lib.figures import train_20ms as tr


def test_box_overlap_is_exact_over_a_band_of_widths():
    """Boxes 60 px wide at 0.2 and 0.5 of the plot's width: their left edges are 0.3·s apart, so they overlap
    exactly for plot widths s < 60 / 0.3 = 200 px."""
    a = lab.Box(0.2, 0.0, 60.0, 0.0, 10.0)
    b = lab.Box(0.5, 0.0, 60.0, 0.0, 10.0)
    assert a.overlaps(b, (100.0, 900.0)) and b.overlaps(a, (100.0, 900.0))
    assert a.overlaps(b, (199.0, 900.0))
    assert not a.overlaps(b, (201.0, 900.0))
    assert not a.overlaps(lab.Box(0.2, 0.0, 60.0, 10.0, 20.0), (100.0, 900.0))  # touching rows do not overlap
    # Overlapping only inside the band, not at its ends: A = [0.5·s − 40, 0.5·s − 30], B = [0.4·s, 0.4·s + 10]
    # meet for 300 < s < 500 (at s = 400 both are [160, 170]); checking the band's two ends would miss it.
    a = lab.Box(0.5, -40.0, -30.0, 0.0, 10.0)
    b = lab.Box(0.4, 0.0, 10.0, 0.0, 10.0)
    assert a.overlaps(b, (200.0, 900.0))
    assert not a.overlaps(b, (200.0, 300.0)) and not a.overlaps(b, (500.0, 900.0))


def test_box_inside_the_plot_at_both_ends_of_the_band():
    box = lab.Box(0.9, 5.0, 45.0, 10.0, 20.0)  # right edge at 0.9·s + 45: inside only where 0.1·s ≥ 45
    assert box.inside((450.0, 900.0), 100.0)
    assert not box.inside((400.0, 900.0), 100.0)
    assert not lab.Box(0.5, 0.0, 1.0, -1.0, 5.0).inside((300.0, 600.0), 100.0)


def test_text_width_grows_with_the_text_and_the_font():
    assert lab.text_width_px("MI300X", 10) > lab.text_width_px("ill", 10)
    assert lab.text_width_px("MI300X", 12) == pytest.approx(1.2 * lab.text_width_px("MI300X", 10))
    # The drawn width of "H100 SXM" at 10 px in Chromium's sans-serif is about 52 px: the estimate is above it.
    assert 52 <= lab.text_width_px("H100 SXM", 10) <= 65


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.text("abcXY 12", min_size=1, max_size=14)),
                min_size=1, max_size=25))
def test_placed_labels_never_overlap_each_other_or_a_point(points):
    u, v, texts = (list(c) for c in zip(*points))
    band = (240.0, 480.0)
    placed = lab.place_labels(u, v, texts, 300.0, band)
    boxes = list(placed["box"])
    assert not lab.overlapping_pairs(boxes, band)
    markers = [lab._marker_box(ui, vi * 300.0, 90.0) for ui, vi in zip(u, v)]
    for box in boxes:
        if box is not None:
            assert box.inside(band, 300.0)
            assert not any(box.overlaps(m, band) for m in markers)
    assert all((t == "") == (b is None) for t, b in zip(placed["text"], boxes))


def test_points_are_labelled_in_order_and_a_label_that_fits_nowhere_is_left_out():
    """Three points on one spot of a plot 30 px tall: only the right and left of the point have room (above and
    below leave the plot), so the first label goes right, the second left, the third nowhere."""
    placed = lab.place_labels([0.5] * 3, [0.5] * 3, ["first", "second", "third"], 30.0, (240.0, 480.0))
    assert placed["text"].tolist() == ["first", "second", ""]
    assert placed["align"].tolist()[:2] == ["left", "right"] and placed["dx"][0] > 0 > placed["dx"][1]
    assert lab.place_labels([0.5], [0.5], ["a label far too long for a plot this small"], 30.0,
                            (20.0, 40.0))["text"].tolist() == [""]


def test_band_expression_picks_each_band():
    """The layer's expression: the phone's placement below 480 px, the laptop's below 700 px, else the wide one."""
    assert lab.band_expr("lab") == "width < 480 ? datum.lab_n : (width < 700 ? datum.lab_m : (datum.lab_w))"
    assert [hi for _, hi in lab.BANDS_PX.values()][:-1] == [480.0, 700.0]


def _chart_frames():
    sel = data.selection()
    hardware = sel.all_hardware()
    drain = tr.drain_time_labels(tr.drain_time_frame(hardware), sel.hardware.name)
    dx, dy = tr.drain_time_axes(drain)
    yield ("train-20ms", drain, dx.fraction(drain["year"]), 1 - dy.fraction(drain["drain_ms"]), tr.DRAIN_HEIGHT_PX,
           tr.LABEL_FONT_PX, np.where(drain["hardware"] == sel.hardware.name, tr.SELECTED_SIZE, tr.POINT_SIZE),
           (drain["label"] != "").sum())
    releases = cx.load_context_history(sel.data_dir)
    history = cp.history_frame(releases, {"KV fills a replica": 7e5})
    yield ("context-plateau", history, cp.HISTORY_X.fraction(history["date"]),
           1 - cp.HISTORY_Y.fraction(history["tokens"]), cp.HISTORY_HEIGHT_PX, cp.HISTORY_LABEL_FONT_PX,
           np.full(len(history), cp.HISTORY_POINT_SIZE), len(history))
    tpw = spf.tokens_per_watt_frame(sel, sel.model)
    tx, ty = spf.tokens_per_watt_axes(tpw)
    for mode, group in tpw.groupby("mode"):
        yield (f"power-and-co-design ({mode})", group.reset_index(drop=True), tx.fraction(group["x"]),
               1 - ty.fraction(group["tokens_per_J"]), spf.TPW_HEIGHT_PX, spf.TPW_LABEL_FONT_PX,
               group["model"].map(spf.TPW_SIZES).to_numpy(), (group["model"] == spf.TPW_REFINED).sum())


@pytest.mark.parametrize("chart", list(_chart_frames()), ids=lambda c: c[0])
def test_the_charts_labels_do_not_overprint_at_any_width(chart):
    """The labels of train-20ms's drain-time chart, context-plateau's history chart and power-and-co-design's
    tokens-per-joule chart (each weight format), rebuilt as boxes from the columns the chart draws them with
    (text, align, dx, dy): in every band of widths no two overlap, none covers a point, all lie in the plot."""
    name, frame, u, v, height, font, sizes, wanted = chart
    for suffix, band in lab.BANDS_PX.items():
        boxes = [lab.text_box(ui, vi * height, t, font, al, dx, dy) if t else None
                 for ui, vi, t, al, dx, dy in zip(u, v, frame[f"lab_{suffix}"], frame[f"al_{suffix}"],
                                                   frame[f"dx_{suffix}"], frame[f"dy_{suffix}"])]
        assert not lab.overlapping_pairs(boxes, band), f"{name}, band {band}"
        markers = [lab._marker_box(ui, vi * height, s) for ui, vi, s in zip(u, v, sizes)]
        for box, text in zip(boxes, frame[f"lab_{suffix}"]):
            if box is not None:
                assert box.inside(band, height), f"{name}: {text} leaves the plot at widths {band}"
                assert not any(box.overlaps(m, band) for m in markers), f"{name}: {text} covers a point"
    labelled = (frame[f"lab_{list(lab.BANDS_PX)[-1]}"] != "").sum()
    assert labelled >= 0.6 * wanted, f"{name}: {labelled} of {wanted} points labelled on a wide screen"


def test_the_charts_draw_on_the_axes_the_labels_were_placed_for():
    """The placement assumes the chart's scale domains exactly (no 'nice' rounding): check the specs say so."""
    sel = data.selection()
    spec = tr.drain_time_chart(sel.all_hardware(), sel.hardware.name).to_dict()
    frame = tr.drain_time_frame(sel.all_hardware())
    x_axis, y_axis = tr.drain_time_axes(frame)
    scales = [layer["encoding"][ch]["scale"] for layer in spec["layer"] for ch in ("x", "y")
              if ch in layer.get("encoding", {}) and "scale" in layer["encoding"][ch]]
    assert {"domain": list(x_axis.domain), "type": "linear", "nice": False} in scales
    assert {"domain": list(y_axis.domain), "type": "linear", "nice": False} in scales


def test_no_points_give_empty_label_columns():
    """A chart with no labelled points (fast-mode's offers chart on data without fast offers) still gets the label
    layer's columns, empty (it raised KeyError)."""
    from lib.figures import labels as lab

    frame = lab.placed_label_columns([], [], [], 300.0)
    assert len(frame) == 0 and {"lab_n", "al_w", "dx_m", "ld_n"} <= set(frame.columns)
