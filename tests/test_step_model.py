"""The refined step model (lib.roofline): hand arithmetic from the configs and datasheets, invariants, errors.

Hand figures used below (all from data/models.csv, which cites each config.json, and data/hardware.csv):
- DeepSeek-V3: h = 7168, 61 layers (3 dense, 58 MoE), 128 heads, d = 128, r = 512, d_r = 64, r_q = 1536,
  dense FFN 18432, expert FFN 2048, 256 routed experts (k = 8) + 1 shared, vocabulary 129280.
- Llama 3.1 70B: h = 8192, 80 layers, 64 heads, 8 KV heads, d = 128, FFN 28672, vocabulary 128256.
- H100 SXM: 989 TFLOP/s dense bf16, 1979 dense fp8, 3.35 TB/s, 80 GB.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import data, roofline
from lib.roofline import Precisions


def test_parameter_counts_from_configs_match_published_totals():
    """Every model's stored weights counted from its config are within 2% of the published total; its
    active count within 2% with or without the input embedding (publishers differ on that)."""
    for m in data.load_models():
        assert m.config_total_params == pytest.approx(m.total_params, rel=0.02), m.name
        with_embedding = m.config_active_params + m.embedding_params
        assert min(abs(m.config_active_params / m.active_params - 1),
                   abs(with_embedding / m.active_params - 1)) < 0.02, m.name


def test_deepseek_v3_parameter_count_by_hand(dsv3):
    attn = 7168 * 1536 + 1536 * 128 * (128 + 64) + 7168 * (512 + 64) + 512 * 128 * 2 * 128 + 128 * 128 * 7168
    assert dsv3.attention_params_per_layer == attn == 187_105_280
    expert = 3 * 7168 * 2048
    total = (2 * 129280 * 7168 + 61 * attn + 3 * 3 * 7168 * 18432
             + 58 * (257 * expert + 7168 * 256))
    assert dsv3.config_total_params == total
    assert total / 1e9 == pytest.approx(671.03, abs=0.01)


def test_deepseek_v3_batch_one_reads_the_active_parameters_not_all(h100, dsv3):
    step = roofline.decode_step(h100, dsv3, 1, 0, precision="bf16", chips=20)
    # 8 routed + 1 shared experts per MoE layer, all attention, dense layers, routers and LM head: exactly the
    # active (matmul) parameters, at 2 bytes each, about 73 GB rather than 1,342 GB.
    assert float(step.weight_bytes_read) == pytest.approx(2 * dsv3.config_active_params, rel=1e-12)
    assert float(step.weight_bytes_read) == pytest.approx(2 * 37e9, rel=0.02)
    assert float(step.experts_touched) == pytest.approx(8.0)
    board = roofline.blackboard_decode_step(h100, dsv3, 1, 0, chips=20)
    assert float(board.weights_s) / float(step.weights_s) == pytest.approx(671 / 36.62, rel=0.01)


def test_experts_touched_limits_and_a_hand_value():
    e, k = 256, 8
    assert float(roofline.experts_touched(1, e, k)) == pytest.approx(k)
    assert float(roofline.experts_touched(1e6, e, k)) == pytest.approx(e)
    # B = 32: 256 · (1 − (31/32)^32) = 163.3 experts, 64% of them
    assert float(roofline.experts_touched(32, e, k)) == pytest.approx(256 * (1 - (31 / 32) ** 32))
    assert float(roofline.experts_touched(32, e, k)) / e == pytest.approx(0.638, abs=1e-3)
    assert float(roofline.experts_touched(10, 0, 0)) == 0.0
    t = roofline.experts_touched(np.arange(1, 2000), e, k)
    assert np.all(np.diff(t) >= 0) and np.all(np.diff(t[:500]) > 0) and np.all(t <= e)


def test_flops_per_token_at_8k_mla_against_gqa(h100, dsv3, llama70):
    ds = roofline.decode_step(h100, dsv3, 1, 8192, chips=10)
    # MLA absorbed: 2 · 128 · (2·512 + 64) = 278,528 FLOPs per context token and layer
    attn_ds = 2 * 128 * (2 * 512 + 64) * 61 * 8192
    assert float(ds.operations["attention_core"].flops) == pytest.approx(attn_ds)
    assert attn_ds / (2 * dsv3.config_active_params) == pytest.approx(1.90, abs=0.01)
    assert float(ds.flops_per_token) == pytest.approx(2 * dsv3.config_active_params + attn_ds)
    ll = roofline.decode_step(h100, llama70, 1, 8192, chips=2)
    # GQA: 4 · 64 · 128 = 32,768 FLOPs per context token and layer
    attn_ll = 4 * 64 * 128 * 80 * 8192
    assert float(ll.flops_per_token) == pytest.approx(2 * llama70.config_active_params + attn_ll)
    assert attn_ll / (2 * llama70.config_active_params) == pytest.approx(0.154, abs=0.001)


def test_attention_intensity_mla_is_near_the_h100_ridge(h100, dsv3, llama70):
    core = roofline.decode_step(h100, dsv3, 1, 4096, chips=10).operations["attention_core"]
    # 278,528 FLOPs per (512 + 64) · 2 bytes = 241.8 FLOP/byte, against a bf16 ridge of 295
    assert float(core.intensity_flop_per_byte) == pytest.approx(278_528 / 1152, rel=1e-12)
    assert float(core.intensity_flop_per_byte) == pytest.approx(241.8, abs=0.1)
    gqa = roofline.decode_step(h100, llama70, 1, 4096, chips=2).operations["attention_core"]
    assert float(gqa.intensity_flop_per_byte) == pytest.approx(64 / 8)  # query heads per KV head (bf16)


def test_max_batch_is_free_hbm_over_kv(h100, dsv3):
    chips = 10
    step = roofline.decode_step(h100, dsv3, 1, 1024, chips=chips)
    usable = 0.9 * chips * 80e9
    weights = dsv3.config_total_params * 1.0  # fp8 release format
    assert step.weight_storage_bytes == pytest.approx(weights)
    expected = math.floor((usable - weights) / (1024 * 70_272))
    assert float(step.max_batch) == expected == 680
    assert float(roofline.max_batch(dsv3, h100, chips, 1024)) == expected
    fits = roofline.decode_step(h100, dsv3, np.array([expected, expected + 1]), 1024, chips=chips).fits
    assert fits.tolist() == [True, False]


def test_chips_to_fit_by_hand(h100, dsv3, llama70):
    # DeepSeek-V3 in fp8: 671.03 GB / (0.9 · 80 GB) = 9.32 → 10; in bf16 → 19 (the blackboard's 17 had no reserve)
    assert float(roofline.chips_to_fit(dsv3, h100)) == 10
    assert float(roofline.chips_to_fit(dsv3, h100, precision="bf16")) == 19
    assert roofline.min_chips_for_weights(dsv3, h100) == 17
    # Llama 3.1 70B, bf16, 64 sequences at 8k: 141.1 GB + 64 · 8192 · 327,680 B = 312.9 GB → ⌈4.35⌉ = 5
    need = 2 * llama70.config_total_params + 64 * 8192 * 327_680
    assert float(roofline.chips_to_fit(llama70, h100, 64, 8192)) == math.ceil(need / 72e9) == 5
    assert roofline.decode_step(h100, dsv3, 1, 0).chips == 10


def test_llama70b_prefill_time_to_first_token_by_hand(h100, llama70):
    p = 8192
    step = roofline.prefill_step(h100, llama70, p, chips=8)
    flops = 2 * llama70.config_active_params * p + 4 * 64 * 128 * 80 * p * (p + 1) / 2
    assert float(step.flops) == pytest.approx(flops)
    # Prefill is compute bound in every weight operation: time = flops / (8 · 989 TFLOP/s)
    assert float(step.time_to_first_token_s) == pytest.approx(flops / (8 * 989e12), rel=1e-9)
    assert float(step.time_to_first_token_s) == pytest.approx(0.155, abs=0.001)
    cached = roofline.prefill_step(h100, llama70, p, cached_tokens=p - 1024, chips=8)
    assert float(cached.flops) < float(step.flops) / 5


def test_mla_prefill_uses_the_expanded_form(h100, dsv3):
    assert dsv3.attention_core_flops_per_context_token("prefill") == 2 * 128 * (2 * 128 + 64)
    assert dsv3.attention_core_flops_per_context_token("decode") == 2 * 128 * (2 * 512 + 64)
    with pytest.raises(ValueError, match="phase"):
        dsv3.attention_core_flops_per_context_token("train")


def test_pooled_and_per_operation_optimal_batches(h100, dsv3):
    pooled = roofline.pooled_optimal_batch(h100, dsv3)
    step = roofline.decode_step(h100, dsv3, pooled, 0.0, chips=1)
    assert float(step.compute_s) == pytest.approx(float(step.memory_s), rel=1e-6)
    # Close to the blackboard's (F/W)·(N_total/N_active) = 5,354, since almost every expert is touched there
    assert pooled == pytest.approx(989 / 3.35 * 671 / 37, rel=0.02)
    # Each routed expert turns compute bound only near (E/k) · ridge = 32 · 295 = 9,447 (fp8 on fp8 cores)
    per_op = roofline.per_op_optimal_batch(h100, dsv3)
    assert per_op == pytest.approx(256 / 8 * 1979e12 / 3.35e12 * 1.0 / 2, rel=0.01)
    dense = roofline.operation_optimal_batch(h100, dsv3, "attention_projections")
    assert dense == pytest.approx(1979 / 3.35 / 2, rel=1e-3)
    # At the pooled B* the expert matmuls are still memory bound: B·k/E ≈ 169 tokens per expert
    experts = step.operations["routed_experts"]
    assert float(experts.compute_s(1)) < float(experts.memory_s(1, h100.hbm_bandwidth_Bps))


def test_per_op_is_at_least_pooled_and_each_operation(h100, dsv3):
    b = np.logspace(0, 5, 30)[:, None]
    l = np.logspace(1, 6, 20)[None, :]
    s = roofline.decode_step(h100, dsv3, b, l, chips=16)
    assert s.step_s.shape == (30, 20)
    assert np.all(s.per_op_s >= s.pooled_s * (1 - 1e-12))
    for t in s.op_times_s.values():
        assert np.all(s.per_op_s >= t)


def test_fp8_weights_use_fp8_cores_and_fall_back_to_bf16(dsv3):
    a100 = data.get_hardware("A100 SXM 80GB")
    h100 = data.get_hardware("H100 SXM")
    on_h100 = roofline.decode_step(h100, dsv3, 1, 0, chips=10)
    on_a100 = roofline.decode_step(a100, dsv3, 1, 0, chips=10)
    assert on_h100.operations["routed_experts"].compute_format == "fp8"
    assert on_a100.operations["routed_experts"].compute_format == "bf16"
    gptoss = data.get_model("gpt-oss-120b")
    s = roofline.decode_step(h100, gptoss, 1, 0)
    assert s.precisions == Precisions("bf16", "mxfp4", "bf16", "bf16")
    assert s.operations["routed_experts"].compute_format == "bf16"  # no fp4 on Hopper: W4A16
    b200 = roofline.decode_step(data.get_hardware("B200"), gptoss, 1, 0)
    assert b200.operations["routed_experts"].compute_format == "fp4"


@pytest.mark.parametrize("kwargs, match", [
    ({"batch": 0, "context": 10}, "batch must be"),
    ({"batch": 4, "context": -1}, "context must be"),
    ({"batch": 4, "context": 10, "chips": 0}, "chips must be"),
    ({"batch": 4, "context": 10, "precision": "fp6"}, "unknown precision"),
    ({"batch": 4, "context": 10, "kv_precision": "int3"}, "unknown precision"),
])
def test_bad_inputs_are_clear_errors(h100, llama70, kwargs, match):
    with pytest.raises(ValueError, match=match):
        roofline.decode_step(h100, llama70, **kwargs)


def test_a_model_without_config_fields_is_a_clear_error(h100):
    from lib.models import Model

    bare = Model("Bare", "O", 2024, 7e9, 7e9, 32, 4096, "gqa", 32, 8, 128, 0, 0, 0, 0, 0, 0, 0, None, 8192, "test")
    with pytest.raises(ValueError, match="lacks the config fields"):
        roofline.decode_step(h100, bare, 1, 0)


def test_prefill_errors(h100, llama70):
    with pytest.raises(ValueError, match="cached tokens"):
        roofline.prefill_step(h100, llama70, 100, cached_tokens=200)
    with pytest.raises(ValueError, match="at least one new"):
        roofline.prefill_step(h100, llama70, 100, cached_tokens=100)


settings.register_profile("step", max_examples=40, deadline=None)

models_st = st.sampled_from([m.name for m in data.load_models()])
hardware_st = st.sampled_from([h.name for h in data.load_hardware()])


@settings(settings.get_profile("step"))
@given(hardware_st, models_st, st.floats(1, 1e5), st.floats(1.0, 1e3), st.floats(0, 1e6), st.floats(1.0, 100.0),
       st.sampled_from([None, "bf16"]))
def test_step_time_never_decreases_with_batch_or_context(hw_name, model_name, batch, db, context, dl, precision):
    hw, model = data.get_hardware(hw_name), data.get_model(model_name)
    base = roofline.decode_step(hw, model, batch, context, precision, chips=8)
    more_batch = roofline.decode_step(hw, model, batch * db, context, precision, chips=8)
    more_context = roofline.decode_step(hw, model, batch, context * dl, precision, chips=8)
    for s in (more_batch, more_context):
        assert float(s.step_s) >= float(base.step_s) * (1 - 1e-12)
        assert float(s.pooled_s) >= float(base.pooled_s) * (1 - 1e-12)
        assert float(s.memory_needed_bytes) >= float(base.memory_needed_bytes)


@settings(settings.get_profile("step"))
@given(hardware_st, models_st, st.floats(1, 1e5), st.floats(0, 1e6), st.integers(1, 64))
def test_cost_per_token_does_not_depend_on_replica_size(hw_name, model_name, batch, context, chips):
    hw, model = data.get_hardware(hw_name), data.get_model(model_name)
    one = roofline.decode_step(hw, model, batch, context, chips=1)
    many = roofline.decode_step(hw, model, batch, context, chips=chips)
    assert float(many.chip_seconds_per_token) == pytest.approx(float(one.chip_seconds_per_token), rel=1e-9)


def test_deepseek_sparse_attention_by_hand(h100):
    """DSA (DeepSeek-V3.2-Exp config: 64 indexer heads × 128, top-2,048) at 200k tokens of context."""
    m = data.get_model("DeepSeek-V3.2-Exp")
    dense = data.get_model("DeepSeek-V3")
    L = 200_000
    s = roofline.decode_step(h100, m, 1, L, chips=10)
    index, core = s.operations["attention_index"], s.operations["attention_core"]
    # The indexer scores every token: 2 · 64 · 128 FLOPs and a 128-byte fp8 key + 4-byte scale per token and layer
    assert float(index.flops) == pytest.approx(2 * 64 * 128 * L * 61)
    assert float(index.kv_bytes) == pytest.approx((128 + 4) * L * 61)
    assert index.compute_format == "fp8"
    # The main MLA attention reads only the top 2,048 tokens
    assert float(core.flops) == pytest.approx(2 * 128 * (2 * 512 + 64) * 2048 * 61)
    assert float(core.kv_bytes) == pytest.approx(576 * 2 * 2048 * 61)
    # The cache still stores every token: MLA latent + index key
    assert float(s.kv_storage_bytes) == pytest.approx(L * 61 * (1152 + 132))
    # Read gain over dense MLA at 200k, and its limit 1152 / 132 = 8.7× as L grows
    d = roofline.decode_step(h100, dense, 1, L, chips=10)
    gain = float(d.kv_bytes_read) / float(s.kv_bytes_read)
    assert 1152 * L / (132 * L + 1152 * 2048) == pytest.approx(gain)
    far = roofline.decode_step(h100, m, 1, 1e9, chips=10)
    assert float(roofline.decode_step(h100, dense, 1, 1e9, chips=10).kv_bytes_read) / float(far.kv_bytes_read) \
        == pytest.approx(1152 / 132, rel=0.01)
    # Below the top-k the sparse model reads everything, plus its index keys
    short = roofline.decode_step(h100, m, 1, 1000, chips=10)
    assert float(short.operations["attention_core"].kv_bytes) == pytest.approx(1000 * 61 * 1152)
    # Prefill: Σ_{i ≤ P} min(i, 2048) tokens for the main attention
    p = 10_000
    pre = roofline.prefill_step(h100, m, p, chips=10)
    main = 2048 * 2049 / 2 + (p - 2048) * 2048
    assert float(pre.operations["attention_core"].flops) == pytest.approx(2 * 128 * (2 * 128 + 64) * main * 61)
    assert float(pre.operations["attention_index"].flops) == pytest.approx(2 * 64 * 128 * p * (p + 1) / 2 * 61)


def test_one_query_token_per_sequence_is_the_default_step(h100, dsv3):
    b, l = np.array([1.0, 64.0, 5000.0])[:, None], np.array([0.0, 4096.0, 2e5])[None, :]
    plain = roofline.decode_step(h100, dsv3, b, l, chips=10)
    one = roofline.decode_step(h100, dsv3, b, l, chips=10, query_tokens_per_sequence=1)
    assert np.array_equal(plain.step_s, one.step_s) and np.array_equal(plain.tokens, one.tokens)
    for name in roofline.OPERATIONS:
        assert np.array_equal(plain.op_times_s[name], one.op_times_s[name]), name


def test_two_query_tokens_per_sequence_by_hand(h100, dsv3):
    """DeepSeek-V3, B = 64 sequences at L = 4,096, q = 2 (one MTP draft verified): 128 tokens reach the weights,
    attention does twice the FLOPs over the same KV bytes."""
    b, l = 64, 4096
    one = roofline.decode_step(h100, dsv3, b, l, chips=10)
    two = roofline.decode_step(h100, dsv3, b, l, chips=10, query_tokens_per_sequence=2)
    assert float(two.tokens) == 128
    # Experts touched by 128 tokens: 256 · (1 − (31/32)^128) = 256 · (1 − e^(−4.064)) = 251.6 of 256
    assert float(two.experts_touched) == pytest.approx(256 * (1 - (31 / 32) ** 128))
    assert float(two.experts_touched) == pytest.approx(251.6, abs=0.1)
    # MLA absorbed: 2 · 128 · (2·512 + 64) = 278,528 FLOPs per query, context token and layer
    core1, core2 = one.operations["attention_core"], two.operations["attention_core"]
    assert float(core2.flops) == pytest.approx(2 * 64 * 278_528 * 61 * 4096)
    assert float(core2.kv_bytes) == float(core1.kv_bytes) == pytest.approx(64 * 61 * 1152 * 4096)
    # Intensity doubles: 2 × 241.8 = 483.6 FLOP/byte, above the H100's bf16 ridge of 295
    assert float(core2.intensity_flop_per_byte) == pytest.approx(2 * 278_528 / 1152)
    # The weight operations are those of a plain step of 128 sequences
    wide = roofline.decode_step(h100, dsv3, 128, 0, chips=10)
    for name in ("attention_projections", "dense_ffn", "shared_experts", "routed_experts", "lm_head"):
        assert float(two.operations[name].flops) == pytest.approx(float(wide.operations[name].flops))
        assert float(two.operations[name].weight_bytes) == pytest.approx(float(wide.operations[name].weight_bytes))
    # The KV cache held is the 64 sequences' (drafts' entries left out)
    assert float(two.kv_storage_bytes) == float(one.kv_storage_bytes)


def test_optimal_batch_in_sequences_halves_with_two_query_tokens(h100, dsv3):
    # At L = 0 a step of B sequences with q = 2 is a plain step of 2B tokens, so B* in sequences halves exactly
    plain = roofline.pooled_optimal_batch(h100, dsv3)
    two = roofline.pooled_optimal_batch(h100, dsv3, query_tokens_per_sequence=2)
    assert two == pytest.approx(plain / 2, rel=1e-6)


@pytest.mark.parametrize("q", [0, 1.5, -2])
def test_bad_query_tokens_per_sequence(h100, dsv3, q):
    with pytest.raises(ValueError, match="query_tokens_per_sequence"):
        roofline.decode_step(h100, dsv3, 4, 100, chips=10, query_tokens_per_sequence=q)
