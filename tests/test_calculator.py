"""lib.calculator: what the calculator page starts from and what it must show (the page itself, in a browser, is
tested in test_calculator_page.py).

Hand figures (data/hardware.csv, data/models.csv): H100 SXM 989 TFLOP/s dense bf16, 3.35 TB/s, 80 GB, a scale-up
domain of 8; Llama 3.1 70B has 69,501,714,432 matmul parameters per token from its config (h = 8192, 80 layers,
FFN 28672, vocabulary 128256) and 327,680 bytes of bf16 KV per token (2 · 8 heads · 128 · 2 bytes · 80 layers).
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import pytest

from lib import calculator, data, roofline
from lib.calculator import ABSENT, BEYOND_DOMAIN, DOES_NOT_FIT, Scenario
from lib.roofline import release_precisions
from lib.power import COSTS_SCHEMA
from lib.units import BYTES_PER_ELEMENT, COMPUTE_PRECISIONS, WEIGHT_FORMATS


def test_max_batch_at_user_speed_by_hand(h100, llama70):
    # At context 0 there is no KV: the step is memory bound below the ridge (295 sequences) and compute bound
    # above it, 2·B·N_active / (n F). The largest B with t ≤ 1/20 s on 2 chips: ⌊2 · 989e12 / (2 · N · 20)⌋.
    n_active = 69_501_714_432
    assert llama70.config_active_params == n_active
    expected = math.floor(2 * 989e12 / (2 * n_active * 20))
    assert expected == 711
    assert calculator.max_batch_at_user_speed(h100, llama70, 0, 20.0, chips=2) == expected
    step = roofline.decode_step(h100, llama70, [expected, expected + 1], 0, chips=2)
    assert step.step_s[0] <= 1 / 20 < step.step_s[1]
    # A speed any batch keeps: the answer is the largest batch that fits. On 4 chips at 8k context:
    # ⌊(0.9 · 4 · 80 GB − 2 · 70.55 G) / (8192 · 327,680 B)⌋ = 54 sequences.
    fit = math.floor((0.9 * 4 * 80e9 - 2 * llama70.config_total_params) / (8192 * 327_680))
    assert fit == 54
    assert calculator.max_batch_at_user_speed(h100, llama70, 8192, 1e-3, chips=4) == fit
    # A speed no batch reaches, and a replica that cannot hold the weights: none.
    assert calculator.max_batch_at_user_speed(h100, llama70, 8192, 1e6, chips=4) == 0
    assert calculator.max_batch_at_user_speed(h100, llama70, 8192, 1e-3, chips=1) == 0
    with pytest.raises(ValueError, match="positive"):
        calculator.max_batch_at_user_speed(h100, llama70, 0, 0.0)


def test_displayed_values_by_hand(h100, dsv3):
    p = release_precisions(dsv3)
    v = calculator.displayed_values(h100, dsv3, p, Scenario(1024, 1, 10, 8192, 0, 2.0, 20.0))
    assert v["ridge"] == pytest.approx(989 / 3.35)
    assert v["drain_s"] == pytest.approx(80 / 3350)
    assert v["domain_hbm_bytes"] == 8 * 80e9
    assert v["max_batch"] == 680  # as in test_step_model: ⌊(720 GB − 671.03 GB) / (1024 · 70,272 B)⌋
    assert v["fits"] == "yes"
    assert v["within_domain"] == BEYOND_DOMAIN  # 10 accelerators, a scale-up domain of 8
    # cost per million tokens = p_hour · n · t_step / B / 3600 · 1e6
    step = roofline.decode_step(h100, dsv3, 1, 1024, p, chips=10)
    assert v["step_s"] == pytest.approx(float(step.step_s))
    assert v["usd_per_million_tokens"] == pytest.approx(2.0 * 10 * float(step.step_s) / 1 / 3600 * 1e6)
    assert v["user_tokens_per_s"] == pytest.approx(1 / float(step.step_s))
    # Batch one touches k = 8 experts; B* per operation is the routed experts' (see test_step_model)
    assert v["experts_touched"] == pytest.approx(8.0)
    assert v["bstar_per_op"] == pytest.approx(roofline.per_op_optimal_batch(h100, dsv3, p))
    assert set(v) == set(calculator.output_keys())


def test_points_that_do_not_fit_show_no_number(h100, dsv3):
    v = calculator.displayed_values(h100, dsv3, release_precisions(dsv3), Scenario(8192, 64, 1, 8192, 0, 2.0, 20.0))
    assert v["fits"] == DOES_NOT_FIT
    assert v["max_batch"] == "none: the weights alone do not fit"
    assert v["chips_needed"] == float(roofline.chips_to_fit(dsv3, h100, 64, 8192))
    step_keys = [k for k in v if k.startswith("op_") or k in (
        "compute_s", "weights_s", "kv_s", "memory_s", "pooled_s", "step_s", "tokens_per_s_per_chip",
        "user_tokens_per_s", "usd_per_million_tokens", "ttft_s", "prefill_compute_s", "prefill_memory_s",
        "prefill_tokens_per_s_per_chip", "target_batch")]
    assert len(step_keys) > 30
    for key in step_keys:
        # DeepSeek-V3 has no sparse-attention indexer: an operation the model lacks stays absent, fit or not
        assert v[key] == (ABSENT if key.startswith("op_attention_index_") else DOES_NOT_FIT), key
    assert DOES_NOT_FIT in v["binds"] and DOES_NOT_FIT in v["prefill_bound"]
    # The accelerator and the model's own figures stay: they are no point of a step
    assert isinstance(v["ridge"], float) and isinstance(v["bstar_pooled"], float)


def test_sparse_attention_by_hand():
    """DeepSeek-V3.2-Exp (DSA: 64 indexer heads of 128, top-2,048; MLA r = 512, d_r = 64, 128 heads; 61 layers;
    query latent 1,536, h = 7,168) on 8 H200 (fp8 4.8 TB/s ÷ 1,979 TFLOP/s), 4 sequences at 8,192 tokens."""
    h200, m, v3 = data.get_hardware("H200 SXM"), data.get_model("DeepSeek-V3.2-Exp"), data.get_model("DeepSeek-V3")
    B, L = 4, 8192
    v = calculator.displayed_values(h200, m, release_precisions(m), Scenario(L, B, 8, 4096, 1024, 2.0, 20.0))
    assert v["fits"] == "yes"
    # The indexer's weights per layer: r_q·H_I·d_I + h·d_I + h·H_I = 12,582,912 + 917,504 + 458,752
    assert v["total_params"] - v3.config_total_params == 61 * 13_959_168
    assert v["active_params"] - v3.config_active_params == 61 * 13_959_168
    # The cache holds every token's MLA latent (576 bf16 = 1,152 B) and index key (128 fp8 + a 4-byte scale)
    assert v["kv_bytes_per_sequence"] == L * 61 * (1152 + 132)
    # The indexer scores all 8,192 tokens, 2 · 64 · 128 FLOPs each, reading their index keys, in fp8 ...
    assert v["op_attention_index_flops"] == B * 2 * 64 * 128 * L * 61
    assert v["op_attention_index_bytes"] == B * 132 * L * 61
    index_s = max(B * 2 * 64 * 128 * L * 61 / (8 * 1979e12), B * 132 * L * 61 / (8 * 4.8e12))
    assert v["op_attention_index_s"] == pytest.approx(index_s)
    assert v["op_attention_index_bound"] == "HBM bandwidth"  # 124 FLOP/B, under the fp8 ridge of 412
    # ... and the main attention reads the top 2,048 only: 2 · 128 · (2 · 512 + 64) FLOPs against 1,152 B each
    assert v["op_attention_core_flops"] == B * 2 * 128 * (2 * 512 + 64) * 2048 * 61
    assert v["op_attention_core_bytes"] == B * 1152 * 2048 * 61
    # Operations over the context have no B* of their own
    assert "bstar_attention_index" not in v and "bstar_attention_core" not in v
    # Below the top-k the main attention reads every token
    short = calculator.displayed_values(h200, m, release_precisions(m), Scenario(1000, B, 8, 1000, 0, 2.0, 20.0))
    assert short["op_attention_core_bytes"] == B * 1152 * 1000 * 61
    # A dense-attention model shows no indexer
    dense = calculator.displayed_values(h200, v3, release_precisions(v3), Scenario(L, B, 8, 4096, 1024, 2.0, 20.0))
    assert all(dense[f"op_attention_index_{k}"] == ABSENT for k in ("flops", "bytes", "s", "bound"))


@pytest.mark.parametrize("hardware", ["H100 SXM", "A100 SXM 80GB"])
def test_the_ports_indexer_format_is_libs(hardware):
    """The page multiplies the indexer in the chip's format for the index keys' storage (the payload's
    ``index_key_format``): fp8 on an H100, bf16 on an A100, which has no fp8 — as lib.roofline does."""
    hw, m = data.get_hardware(hardware), data.get_model("DeepSeek-V3.2-Exp")
    index = roofline.decode_step(hw, m, 1, 4096, chips=16).operations["attention_index"]
    constants = calculator.payload(data.selection())["constants"]
    assert index.compute_format == roofline.matmul_format(constants["index_key_format"], hw)
    assert index.compute_format == ("fp8" if hw.supports("fp8") else "bf16")
    assert constants["context_operations"] == list(roofline.CONTEXT_OPERATIONS) == ["attention_index", "attention_core"]


def test_dense_models_have_no_expert_figures_and_replicas_can_span_domains(h100, llama70):
    v = calculator.displayed_values(h100, llama70, release_precisions(llama70), Scenario(0, 8, 16, 100, 99, 1.0, 5.0))
    for suffix in ("flops", "bytes", "s", "bound"):
        assert v[f"op_routed_experts_{suffix}"] == ABSENT and v[f"op_shared_experts_{suffix}"] == ABSENT
    assert v["bstar_routed_experts"] == ABSENT and v["bstar_shared_experts"] == ABSENT
    assert v["experts_touched"] == "none (dense model)"
    assert v["max_batch"] == "unbounded (no KV cache at this context)"  # context 0
    assert v["within_domain"] == BEYOND_DOMAIN  # 16 chips, a scale-up domain of 8
    # One uncached prompt token: prefill is one token through every weight
    assert v["prefill_tokens_per_s_per_chip"] == pytest.approx(1 / float(v["ttft_s"]) / 16)


def test_cost_curve_leaves_out_batches_that_do_not_fit(h100, dsv3):
    p = release_precisions(dsv3)
    most = int(roofline.max_batch(dsv3, h100, 10, 1024, p))
    curve = calculator.cost_curve(h100, dsv3, p, 1024, 10, 2.0, [1, most, most + 1])
    assert curve[0][1] > curve[1][1] > 0 and curve[2][1] is None


def test_payload_follows_the_data_directory(data_copy, monkeypatch):
    """BOOK_DATA_DIR: the page's rows are the reader's, with their file's header."""
    path = data_copy / "hardware.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    new = dict(zip(header, next(r for r in rows if r[0] == "H100 SXM")))
    new.update(name="Test accelerator", hbm_capacity_GB="123")
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerow([new[c] for c in header])
    monkeypatch.setenv(data.ENV_DATA_DIR, str(data_copy))
    monkeypatch.setenv(data.ENV_HARDWARE, "Test accelerator")
    data.clear_cache()
    sel = data.selection()
    p = calculator.payload(sel)
    assert p["hardware"]["header"] == header
    test_row = next(r for r in p["hardware"]["rows"] if r["name"] == "Test accelerator")
    assert test_row["hbm_capacity_GB"] == 123 and test_row["source"] == new["source"]
    assert test_row["provenance"] == new["provenance"] == "primary"  # the row's own grade, copied unedited
    # An edited row is the reader's choice: its grade is lib's, one of the book's grades, and the page says which
    assert p["constants"]["edited_row_provenance"] == calculator.EDITED_ROW_PROVENANCE == "assumption"
    assert calculator.EDITED_ROW_PROVENANCE in data.PROVENANCE
    page_text = (Path(__file__).resolve().parent.parent / "calculator.md").read_text(encoding="utf-8")
    assert f"graded `{calculator.EDITED_ROW_PROVENANCE}`" in " ".join(page_text.split())
    assert p["defaults"]["hardware"] == "Test accelerator"
    assert [m["name"] for m in p["models"]] == [m.name for m in data.load_models(data_copy)]
    # lib's constants, not copies: formats, the reserve, the bisection of B*
    assert p["constants"]["bytes_per_element"] == BYTES_PER_ELEMENT
    assert p["constants"]["hbm_reserve_fraction"] == roofline.HBM_RESERVE_FRACTION
    assert p["constants"]["bisect"] == {"low": 1.0, "high": 1e9, "iterations": 64}
    assert p["fields"]["hbm_capacity_GB"]["factor"] == 1e9 and p["fields"]["dense_bf16_TFLOPs"]["factor"] == 1e12
    # The H100's lowest offer in accelerator_costs.csv
    offers = [r for r in data.read_table(COSTS_SCHEMA, data_copy) if r["hardware"] == "H100 SXM"]
    assert p["offers"]["by_hardware"]["H100 SXM"]["usd_per_hour"] == min(
        r["price_USD_per_accelerator_hour"] for r in offers)
    assert calculator.default_price("H100 SXM") == p["offers"]["by_hardware"]["H100 SXM"]["usd_per_hour"]
    # An accelerator without an offer starts from the lowest offer in the table
    everything = data.read_table(COSTS_SCHEMA, data_copy)
    assert "Test accelerator" not in {r["hardware"] for r in everything}
    assert calculator.default_price("Test accelerator") == min(r["price_USD_per_accelerator_hour"] for r in everything)


def test_page_html_carries_every_output_the_payload_and_the_port():
    html = calculator.page_html(data.selection())
    keys = re.findall(r'data-out="([^"]+)"', html)
    assert sorted(keys) == sorted(calculator.output_keys())
    assert len(set(keys)) == len(keys)
    found = re.search(r'<script type="application/json" id="book-calculator-data">(.*?)</script>', html, re.S)
    def no_constant(name):
        raise AssertionError(f"the payload holds {name}")

    payload = json.loads(found.group(1).replace("<\\/", "</"), parse_constant=no_constant)
    assert payload["defaults"]["model"] == data.DEFAULT_MODEL
    assert calculator.SCRIPT.read_text(encoding="utf-8") in html
    for name in calculator._fields():
        assert f'id="calc-{name}"' in html and f'id="calc-msg-{name}"' in html, name


def test_form_rules_are_the_schemas():
    fields = calculator._fields()
    assert fields["weights_precision"]["choices"] == list(WEIGHT_FORMATS)
    assert fields["kv_precision"]["choices"] == list(BYTES_PER_ELEMENT)
    assert fields["attention_precision"]["choices"] == list(COMPUTE_PRECISIONS)
    assert fields["dense_fp8_TFLOPs"]["required"] is False and fields["dense_bf16_TFLOPs"]["required"] is True
    assert fields["hbm_capacity_GB"]["positive"] and fields["layers"]["kind"] == "int"
    assert fields["attention"]["choices"] == ["mha", "gqa", "mla"]
    assert fields["chips"]["kind"] == "chips"
    for name in ("sparse_topk_tokens", "indexer_heads", "indexer_head_dim"):
        assert fields[name]["group"] == "model" and fields[name]["kind"] == "int" and fields[name]["minimum"] == 0
    # Every config field of lib.models.Model is a field of the form (the release formats are the precisions'
    # defaults; the rest are the row's description), and the page's rows carry it
    from dataclasses import fields as dataclass_fields
    from lib.models import Model
    described = {"name", "org", "year", "total_params", "active_params", "training_tokens", "max_context_tokens",
                 "source", "extra", "weights_format", "expert_weights_format"}
    assert {f.name for f in dataclass_fields(Model)} - described == {n for n, _ in calculator.MODEL_FIELDS}
    rows = {r["name"]: r for r in calculator.payload(data.selection())["models"]}
    assert (rows["DeepSeek-V3.2-Exp"]["sparse_topk_tokens"], rows["DeepSeek-V3.2-Exp"]["indexer_heads"],
            rows["DeepSeek-V3.2-Exp"]["indexer_head_dim"]) == (2048, 64, 128)
    assert rows["Llama 2 70B"]["weights_format"] == "fp16" and rows["PaLM 540B"]["tied_embeddings"] == "yes"
