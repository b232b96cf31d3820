"""The command line: tables by default, JSON with --json, errors with a non-zero status."""

import json
import subprocess
import sys

import pytest

from lib import claims
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


def test_roofline_sweep(capsys):
    rows = run_json(capsys, "roofline", "--hardware", "H100 SXM", "--model", "Llama 3.1 70B",
                    "--batch", "1", "64", "--context", "1024", "8192", "--chips", "2")
    assert len(rows) == 4
    first = rows[0]
    assert first["compute_s"] == pytest.approx(2 * 70.6e9 / (2 * 989e12))
    assert first["step_s"] == pytest.approx(max(first["compute_s"], first["weights_s"] + first["kv_s"]))
    assert first["tokens_per_s"] == pytest.approx(1 / first["step_s"])
    assert {r["bound"] for r in rows} <= {"compute", "memory"}


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
    assert main(["roofline", "--hardware", "H100 SXM", "--model", "Llama 3.1 70B", "--batch", "1", "64",
                 "--context", "1024", "--chips", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split()
    assert header == ["batch", "context", "chips", "compute_ms", "weights_ms", "kv_ms", "step_ms", "tokens_per_s",
                      "bound"]
    first = dict(zip(header, lines[1].split()))
    assert first["batch"] == "1" and first["context"] == "1,024"
    # 2 × 70.6e9 FLOP / (2 × 989e12 FLOP/s) = 0.0714 ms
    assert float(first["compute_ms"]) == pytest.approx(2 * 70.6e9 / (2 * 989e12) * 1e3, abs=1e-3)


def test_readme_commands_run_as_written():
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
        result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{command}: {result.stderr[-500:]}"
