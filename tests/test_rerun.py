"""Re-running with new numbers, end to end: a new accelerator row changes the ledger as the model says."""

import csv

import pytest

from lib import claims, course, data
from lib.__main__ import main


def add_accelerator(directory, name, **changes):
    path = directory / "hardware.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    row = dict(next(r for r in rows if r["name"] == "H100 SXM"), name=name, source="test row",
               provenance="assumption", **changes)
    with path.open("a", newline="") as handle:
        csv.DictWriter(handle, fieldnames=list(rows[0])).writerow(row)


def by_quantity(entries):
    return {e.quantity: e for e in entries}


def test_new_accelerator_changes_the_ledger_as_the_model_says(data_copy):
    add_accelerator(data_copy, "X1", hbm_bandwidth_TBps="6.7", hbm_capacity_GB="160", dense_bf16_TFLOPs="1978")
    base = data.selection(hardware="H100 SXM", data_dir=data_copy)
    new = data.selection(hardware="X1", data_dir=data_copy)
    old_l, new_l = by_quantity(claims.ledger(base)), by_quantity(claims.ledger(new))
    # Bandwidth, capacity and FLOP/s all doubled: ridge and drain time unchanged, B* unchanged.
    for q in ("ridge point F / W_hbm (bf16)", "HBM drain time C_hbm / W_hbm", "optimal batch B* for DeepSeek"):
        assert new_l[q].derived == pytest.approx(old_l[q].derived)
    add_accelerator(data_copy, "X2", hbm_bandwidth_TBps="5.025")
    data.clear_cache()
    x2 = by_quantity(claims.ledger(data.selection(hardware="X2", data_dir=data_copy)))
    # Only bandwidth × 1.5: ridge, drain time and B* fall by 1.5; the ridge now misses "≈ 300".
    for q in ("ridge point F / W_hbm (bf16)", "HBM drain time C_hbm / W_hbm", "optimal batch B* for DeepSeek"):
        assert x2[q].derived == pytest.approx(old_l[q].derived / 1.5)
    assert x2["ridge point F / W_hbm (bf16)"].verdict == claims.LOOSE
    assert x2["ridge point F / W_hbm (bf16)"].inputs["hardware"] == "X2"


def test_cli_ledger_on_a_reader_directory(capsys, data_copy):
    add_accelerator(data_copy, "X3", hbm_capacity_GB="40")
    assert main(["claims", "--json", "--data-dir", str(data_copy), "--hardware", "X3"]) == 0
    import json

    rows = json.loads(capsys.readouterr().out)
    drain = next(r for r in rows if r["quantity"] == "HBM drain time C_hbm / W_hbm")
    assert drain["derived"] == pytest.approx(40e9 / 3.35e12)


def test_reader_data_without_a_named_model_is_not_derived(data_copy):
    path = data_copy / "models.csv"
    lines = [line for line in path.read_text().splitlines() if not line.startswith("DeepSeek-V3,")]
    path.write_text("\n".join(lines) + "\n")
    sel = data.selection(model="Kimi K2", data_dir=data_copy)
    entries = by_quantity(claims.derive("batch-300x-sparsity", sel))
    assert entries["DeepSeek sparsity N_total / N_active"].verdict == claims.NOT_DERIVED


def test_course_covers_every_chapter_with_two_exercises():
    chapters = course.chapters()
    assert [c.docname for c in chapters] == course.toc_chapters()
    for c in chapters:
        assert len(c.exercises) >= 2, f"{c.docname} has {len(c.exercises)} exercises"
        assert all(e.label for e in c.exercises), f"{c.docname}: an exercise has no label"
        assert c.minutes >= 10


def test_course_rejects_an_undescribed_chapter(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "a.md").write_text("# A\n")
    (tmp_path / "_toc.yml").write_text("root: intro\nparts:\n  - chapters:\n      - file: chapters/a\n")
    (tmp_path / "course.yml").write_text("{}\n")
    with pytest.raises(KeyError, match="chapters/a"):
        course.chapters(tmp_path)
