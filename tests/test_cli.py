"""The command line: tables by default, JSON with --json, errors with a non-zero status."""

import json
import subprocess
import sys

import pytest

from lib import claims, data
from lib.__main__ import main

from conftest import ROOT, rewrite_cell


def run_json(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_hardware_json_has_csv_names_and_derived_ratios(capsys):
    rows = run_json(capsys, "hardware")
    h100 = next(r for r in rows if r["name"] == "H100 SXM")
    assert h100["hbm_bandwidth_TBps"] == 3.35 and h100["dense_bf16_TFLOPs"] == 989
    assert h100["ridge_flop_per_byte"] == pytest.approx(295.22, abs=0.01)
    assert h100["hbm_drain_time_s"] == pytest.approx(0.02388, abs=1e-5)


def test_models_json(capsys):
    rows = run_json(capsys, "models")
    ds = next(r for r in rows if r["name"] == "DeepSeek-V3")
    assert ds["kv_bytes_per_token"] == 70_272 and ds["sparsity"] == pytest.approx(18.135, abs=1e-3)


def test_roofline_sweep_refined_keys_by_hand(capsys):
    rows = run_json(capsys, "roofline", "--model", "DeepSeek-V3", "--batch", "1", "32768",
                    "--context", "1024", "8192")
    assert len(rows) == 4
    ds = data.get_model("DeepSeek-V3")
    by = {(r["batch"], r["context"]): r for r in rows}
    one_8k, big_1k = by[(1, 8192)], by[(32768, 1024)]
    # Release format fp8, bf16 KV; the fewest H100s whose usable HBM (90%) holds 671 GB: 10
    assert one_8k["precision"] == "fp8 weights, bf16 KV" and one_8k["chips"] == 10
    assert one_8k["hbm_bytes"] == 10 * 80e9
    # FLOPs per token: 2 · 36.6B matmul parameters + MLA 2·128·(2·512 + 64) · 61 layers · 8192 tokens
    assert one_8k["flops_per_token"] == pytest.approx(2 * ds.config_active_params + 278_528 * 61 * 8192)
    # Batch 1 reads the active parameters (fp8: 1 byte each), 8 experts per MoE layer
    assert one_8k["weight_bytes_read"] == pytest.approx(ds.config_active_params)
    assert one_8k["experts_touched"] == pytest.approx(8.0)
    assert one_8k["kv_bytes_read"] == pytest.approx(8192 * 70_272)
    assert big_1k["experts_touched"] == pytest.approx(256.0)
    # Capacity: (720 GB − 671.03 GB) / (1024 · 70,272 B) = 680 sequences at 1k, 85 at 8k
    assert big_1k["max_batch"] == 680 and one_8k["max_batch"] == 85
    assert big_1k["memory_needed_bytes"] == pytest.approx(ds.config_total_params + 32768 * 1024 * 70_272)
    assert one_8k["fits"] is True and big_1k["fits"] is False
    assert one_8k["step_s"] == pytest.approx(one_8k["per_op_s"]) and one_8k["pooled_s"] <= one_8k["step_s"]
    assert one_8k["tokens_per_s"] == pytest.approx(1 / one_8k["step_s"])
    assert {r["bound"] for r in rows} <= {"compute", "memory"}


def test_roofline_table_marks_points_that_do_not_fit(capsys):
    assert main(["roofline", "--model", "DeepSeek-V3", "--batch", "1", "32768", "--context", "1024"]) == 0
    out = capsys.readouterr().out
    assert "times in milliseconds" in out and "NO: does not fit" in out
    assert "compute_ms" in out and "32,768" in out and "1.0 " not in out


def test_roofline_prefill(capsys):
    rows = run_json(capsys, "roofline", "--model", "Llama 3.1 70B", "--phase", "prefill", "--prompt", "8192",
                    "--batch", "1", "--chips", "8")
    assert rows[0]["prompt"] == 8192 and rows[0]["step_s"] == pytest.approx(0.155, abs=0.001)
    assert main(["roofline", "--model", "Llama 3.1 70B", "--phase", "prefill", "--batch", "1"]) == 2


def test_claims_json_lists_every_claim(capsys):
    rows = run_json(capsys, "claims")
    ids = {r["id"] for r in rows}
    assert {c.id for c in claims.claim_texts()} == ids
    for r in rows:
        assert set(r) >= {"id", "claim", "stated", "derived", "unit", "verdict", "inputs"}
        assert r["verdict"] in claims.VERDICTS
    drain = next(r for r in rows if r["id"] == "train-20ms" and r["quantity"].startswith("HBM drain"))
    assert drain["stated"] == 0.02 and drain["inputs"]["hardware"] == "H100 SXM"


def test_options_and_environment_agree(capsys, monkeypatch):
    by_option = run_json(capsys, "claims", "--hardware", "B200")
    monkeypatch.setenv("BOOK_HARDWARE", "B200")
    by_env = run_json(capsys, "claims")
    assert by_option == by_env


def test_user_data_dir_changes_the_ledger(capsys, data_copy):
    rewrite_cell(data_copy / "hardware.csv", "H100 SXM", "hbm_bandwidth_TBps", "4.0")
    rows = run_json(capsys, "claims", "--data-dir", str(data_copy))
    ridge = next(r for r in rows if r["quantity"].startswith("ridge point"))
    assert ridge["derived"] == pytest.approx(989 / 4.0)


def test_check_data_reports_every_problem_and_fails(capsys, data_copy):
    rewrite_cell(data_copy / "hardware.csv", "H100 SXM", "tdp_W", "-1")
    rewrite_cell(data_copy / "models.csv", "Kimi K2", "layers", "many")
    assert main(["check-data", str(data_copy)]) == 1
    out = capsys.readouterr().out
    assert "2 problem(s)" in out and "tdp_W" in out and "'many'" in out
    assert main(["check-data", str(ROOT / "data")]) == 0


def test_unknown_hardware_is_a_clear_error(capsys):
    assert main(["roofline", "--hardware", "Z9", "--batch", "1", "--context", "1"]) == 2
    err = capsys.readouterr().err
    assert "unknown hardware 'Z9'" in err and "'H100 SXM'" in err


def test_python_dash_m_entry_point():
    out = subprocess.run([sys.executable, "-m", "lib", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0
    for command in ("hardware", "models", "roofline", "claims", "check-data"):
        assert command in out.stdout


def test_roofline_table_units_match_its_values(capsys):
    """The table shows milliseconds under _ms headers and counts as integers (the JSON keeps SI seconds)."""
    argv = ["roofline", "--hardware", "H100 SXM", "--model", "Llama 3.1 70B", "--batch", "1", "64",
            "--context", "1024", "--chips", "2"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "times in milliseconds" in lines[0]
    header = lines[1].split()
    assert header[:8] == ["batch", "context", "chips", "compute_ms", "weights_ms", "kv_ms", "pooled_ms", "step_ms"]
    first = dict(zip(header, lines[2].split()))
    assert first["batch"] == "1" and first["context"] == "1,024"
    rows = run_json(capsys, *argv)
    # (2 × 69.5e9 + 32,768 × 80 × 1,024) FLOP / (2 × 989e12 FLOP/s) = 0.0716 ms
    llama = data.get_model("Llama 3.1 70B")
    expected_ms = (2 * llama.config_active_params + 4 * 64 * 128 * 80 * 1024) / (2 * 989e12) * 1e3
    assert float(first["compute_ms"]) == pytest.approx(expected_ms, abs=1e-3)
    assert float(first["compute_ms"]) == pytest.approx(rows[0]["compute_s"] * 1e3, abs=1e-3)


def test_readme_commands_run_as_written(tmp_path):
    """Every `python -m lib` line of the README's re-run section runs as written, from the repository root."""
    import re
    import shlex

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Re-running", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in section.splitlines()
                if line.startswith(".venv/bin/python -m lib ")]
    assert len(commands) >= 5, commands
    for command in commands:
        argv = shlex.split(command)
        if "check-data" in argv:
            argv = argv[:argv.index("check-data") + 1] + ["data/"]  # the README's my-data/ is the reader's copy
        if "measure" in argv:  # as written, into a scratch directory and at a small size (test_measure measures)
            argv = argv[:argv.index("measure") + 1] + ["--out", str(tmp_path), "--repetitions", "2",
                                                       "--array-MiB", "32", "--matmul-n", "256", "--quiet"]
        result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{command}: {result.stderr[-500:]}"
