"""KV bytes per token and sparsity against hand calculations from published configurations."""

import numpy as np
import pytest

from lib import data
from lib.models import kv_bytes_per_token_gqa


def test_llama_70b_gqa_kv_bytes():
    m = data.get_model("Llama 3.1 70B")
    # 2 (K and V) x 8 KV heads x 128 head dim x 80 layers x 2 bytes (bf16)
    assert m.kv_bytes_per_token() == 2 * 8 * 128 * 80 * 2 == 327_680
    assert m.kv_bytes_per_token("fp8") == 163_840
    assert kv_bytes_per_token_gqa(80, 8, 128) == 327_680


def test_deepseek_v3_mla_kv_bytes_and_sparsity():
    m = data.get_model("DeepSeek-V3")
    # (kv_lora_rank 512 + rope dim 64) x 61 layers x 2 bytes
    assert m.kv_bytes_per_token() == (512 + 64) * 61 * 2 == 70_272
    assert m.sparsity == pytest.approx(671 / 37)
    assert m.is_moe


def test_sliding_window_caps_windowed_layers():
    m = data.get_model("gpt-oss-120b")
    per_layer = 2 * 8 * 64 * 2
    assert m.kv_bytes_per_token() == per_layer * 18  # only the 18 full-attention layers grow
    # Below the window every layer grows; above it the windowed layers hold 128 tokens.
    assert m.kv_cache_bytes(100) == pytest.approx(100 * per_layer * 36)
    assert m.kv_cache_bytes(10_000) == pytest.approx(10_000 * per_layer * 18 + 128 * per_layer * 18)
    grid = m.kv_cache_bytes(np.array([0, 128, 1e6]))
    assert grid.shape == (3,) and grid[0] == 0 and np.all(np.diff(grid) > 0)


def test_dense_model_sparsity_is_one():
    assert data.get_model("Llama 3.1 405B").sparsity == 1.0
    assert not data.get_model("Llama 3.1 405B").is_moe


def test_weight_bytes_by_precision():
    m = data.get_model("Llama 3.1 405B")
    assert m.weight_bytes("bf16") == pytest.approx(810e9)
    assert m.weight_bytes("fp4") == pytest.approx(202.5e9)
    with pytest.raises(ValueError, match="unknown precision"):
        m.weight_bytes("fp12")
