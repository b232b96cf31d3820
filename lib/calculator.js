/* The calculator page's script: the browser port of lib.roofline, and the page around it.
 *
 * Part 1 is a line-by-line port of the step model of lib/roofline.py (and of the lines of lib/models.py,
 * lib/hardware.py, lib/power.py and lib/calculator.py it needs), scalar where lib broadcasts over arrays.
 * Function names follow lib's, in camelCase; comments name lib's equations. It is the only other
 * implementation of these equations: tests/test_calculator_page.py types a grid of cases into the page and holds
 * every value shown to lib's to 0.1%. Change lib, change this, and the test tells you if they disagree.
 *
 * Part 2 is the page: it reads the form, validates each field (a message beside it, never NaN), computes,
 * writes the outputs and the chart, keeps the inputs in the address (a link reproduces them), and writes the
 * accelerator as a hardware.csv row. Every number it starts from (rows, formats, the HBM reserve, the
 * bisection's bounds) comes from the page's JSON payload, built by lib.calculator.payload from the book's data.
 *
 * Units: SI throughout (seconds, bytes, FLOP/s, bytes/s), converted for display only.
 */
(function () {
  "use strict";
  var root = document.getElementById("book-calculator");
  var source = document.getElementById("book-calculator-data");
  if (!root || !source) return;
  var DATA = JSON.parse(source.textContent);
  var K = DATA.constants;
  var OPS = K.operations;
  var CONTEXT_OPS = K.context_operations;  // lib.roofline.CONTEXT_OPERATIONS: the operations that read the KV cache

  // =====================================================================================================
  // Part 1. The port.
  // -----------------------------------------------------------------------------------------------------
  // lib.units

  function bytesPerElement(format) {
    var b = K.bytes_per_element[format];
    if (b === undefined) throw new Error("unknown precision " + format);
    return b;
  }

  function nativeComputeFormat(storage) {
    bytesPerElement(storage);
    return K.native_compute[storage];
  }

  // -----------------------------------------------------------------------------------------------------
  // lib.hardware. A hardware object: {hbm_capacity_bytes, hbm_bandwidth_Bps, flops_per_s: {bf16, fp8?, fp4?},
  // scale_up_domain_size}, SI units.

  function supports(hw, precision) {
    return hw.flops_per_s[precision] !== undefined;
  }

  function flops(hw, precision) {
    if (!supports(hw, precision)) throw new Error("no dense " + precision + " FLOP/s");
    return hw.flops_per_s[precision];
  }

  function ridgeFlopPerByte(hw) {          // eq. ridge: F_bf16 / W_hbm
    return flops(hw, "bf16") / hw.hbm_bandwidth_Bps;
  }

  function hbmDrainTimeS(hw) {             // C_hbm / W_hbm
    return hw.hbm_capacity_bytes / hw.hbm_bandwidth_Bps;
  }

  function domainHbmCapacityBytes(hw) {
    return hw.hbm_capacity_bytes * hw.scale_up_domain_size;
  }

  // -----------------------------------------------------------------------------------------------------
  // lib.models. A model object holds the config fields of models.csv (tied_embeddings a boolean).

  function isMoe(m) { return m.routed_experts > 0; }

  function fullAttentionLayers(m) { return m.layers - m.sliding_window_layers; }

  // DeepSeek Sparse Attention (DSA): a lightning indexer scores every context token, the main attention reads
  // the top k_sparse of them (Model.is_sparse_attention).
  function isSparseAttention(m) { return m.sparse_topk_tokens > 0; }

  // Attention KV one token adds to one layer: MLA (r + d_r)·e; GQA/MHA 2·n_kv·d·e.
  function attentionKvBytesPerTokenPerLayer(m, kv) {
    var e = bytesPerElement(kv);
    if (m.attention === "mla") return (m.kv_lora_rank + m.qk_rope_head_dim) * e;
    return 2 * m.n_kv_heads * m.head_dim * e;
  }

  // DSA's index key one token adds to one layer: d_I elements in the index-key format plus its scale (0 for
  // dense attention).
  function indexKeyBytesPerTokenPerLayer(m) {
    if (!isSparseAttention(m)) return 0.0;
    return m.indexer_head_dim * bytesPerElement(K.index_key_format) + K.index_key_scale_bytes;
  }

  function kvBytesPerTokenPerLayer(m, kv) {  // attention KV plus DSA's index key
    return attentionKvBytesPerTokenPerLayer(m, kv) + indexKeyBytesPerTokenPerLayer(m);
  }

  function kvCacheBytes(m, context, kv) {  // L·b_kv(full layers) + min(L, w)·b_kv(windowed layers)
    var perLayer = kvBytesPerTokenPerLayer(m, kv);
    var full = context * perLayer * fullAttentionLayers(m);
    var windowed = Math.min(context, m.sliding_window_tokens) * perLayer * m.sliding_window_layers;
    return full + windowed;
  }

  function denseLayers(m) { return isMoe(m) ? (m.first_dense_layers || 0) : m.layers; }

  function moeLayers(m) { return m.layers - denseLayers(m); }

  // Attention projections of one layer: GQA/MHA h·d·(n_h + 2 n_kv) + n_h·d·h; MLA h·r_q + r_q·n_h·(d + d_r)
  // (or h·n_h·(d + d_r)) + h·(r + d_r) + r·n_h·2d + n_h·d·h; plus a DSA indexer's weights.
  function attentionParamsPerLayer(m) {
    var h = m.hidden_size, nh = m.n_heads, d = m.head_dim, main;
    if (m.attention === "mla") {
      var r = m.kv_lora_rank, rope = m.qk_rope_head_dim, rq = m.q_lora_rank;
      var query = rq ? h * rq + rq * nh * (d + rope) : h * nh * (d + rope);
      main = query + h * (r + rope) + r * nh * 2 * d + nh * d * h;
    } else {
      main = h * d * (nh + 2 * m.n_kv_heads) + nh * d * h;
    }
    return main + indexerParamsPerLayer(m);
  }

  // DSA indexer weights per layer: r_q·H_I·d_I + h·d_I + h·H_I (queries from the query latent, or from the
  // hidden state without one; one shared key; a weight per head); 0 for dense attention.
  function indexerParamsPerLayer(m) {
    if (!isSparseAttention(m)) return 0.0;
    var source = m.q_lora_rank || m.hidden_size, hi = m.indexer_heads, di = m.indexer_head_dim;
    return source * hi * di + m.hidden_size * di + m.hidden_size * hi;
  }

  function denseFfnParams(m) { return K.gated_ffn_matrices * m.hidden_size * m.dense_ffn_dim; }

  function expertParams(m) { return isMoe(m) ? K.gated_ffn_matrices * m.hidden_size * m.expert_ffn_dim : 0; }

  function routerParams(m) { return m.hidden_size * m.routed_experts; }

  function embeddingParams(m) { return m.vocab_size * m.hidden_size; }

  function lmHeadParams(m) { return m.vocab_size * m.hidden_size; }

  function configTotalParams(m) {
    var perMoe = (m.routed_experts + m.shared_experts) * expertParams(m) + routerParams(m);
    return (embeddingParams(m) + (m.tied_embeddings ? 0 : lmHeadParams(m))
            + m.layers * attentionParamsPerLayer(m) + denseLayers(m) * denseFfnParams(m)
            + moeLayers(m) * perMoe);
  }

  function configActiveParams(m) {
    var perMoe = (m.active_experts + m.shared_experts) * expertParams(m) + routerParams(m);
    return (lmHeadParams(m) + m.layers * attentionParamsPerLayer(m)
            + denseLayers(m) * denseFfnParams(m) + moeLayers(m) * perMoe);
  }

  // FLOPs of one query token on one context token in one full-attention layer: GQA/MHA 4·n_h·d; MLA absorbed
  // (decode) 2·n_h·(2r + d_r); MLA expanded (prefill) 2·n_h·(2d + d_r).
  function attentionCoreFlopsPerContextToken(m, phase) {
    var nh = m.n_heads;
    if (m.attention === "mla") {
      if (phase === "decode") return 2 * nh * (2 * m.kv_lora_rank + m.qk_rope_head_dim);
      return 2 * nh * (2 * m.head_dim + m.qk_rope_head_dim);
    }
    return 4 * nh * m.head_dim;
  }

  // DSA's indexer: 2·H_I·d_I FLOPs per query token, context token and layer (0 for dense attention).
  function indexerFlopsPerContextToken(m) {
    return isSparseAttention(m) ? 2 * m.indexer_heads * m.indexer_head_dim : 0.0;
  }

  // Σ over layers of the tokens one query attends to at context L: L·full + min(L, w)·windowed (layer-tokens);
  // sparse: DSA's main attention, min(L, k_sparse) on the full layers.
  function attendedTokensSum(m, context, sparse) {
    var full = sparse && isSparseAttention(m) ? Math.min(context, m.sparse_topk_tokens) : context;
    return full * fullAttentionLayers(m) + Math.min(context, m.sliding_window_tokens) * m.sliding_window_layers;
  }

  // Causal prefill of P tokens after C cached: full layers Σ_{i=C+1}^{P} i (Σ min(i, k_sparse) for DSA's main
  // attention when sparse), windowed layers Σ min(i, w); closed forms.
  function causalAttendedTokensSum(m, prompt, cached, sparse) {
    function capped(n, cap) {  // Σ_{i=1}^{n} min(i, cap)
      var inside = Math.min(n, cap);
      var beyond = isFinite(cap) ? Math.max(n - cap, 0.0) * cap : 0.0;
      return inside * (inside + 1.0) / 2.0 + beyond;
    }
    var cap = sparse && isSparseAttention(m) ? m.sparse_topk_tokens : Infinity;
    var full = (capped(prompt, cap) - capped(cached, cap)) * fullAttentionLayers(m);
    if (m.sliding_window_layers === 0) return full;
    var w = m.sliding_window_tokens;
    return full + (capped(prompt, w) - capped(cached, w)) * m.sliding_window_layers;
  }

  // -----------------------------------------------------------------------------------------------------
  // lib.roofline. Precisions: {weights, experts, kv, attention} (format names).

  function matmulFormat(storage, hw) {       // the chip's format for the storage format, else bf16
    var native = nativeComputeFormat(storage);
    return supports(hw, native) ? native : "bf16";
  }

  function attentionFormat(p, hw) {
    var native = nativeComputeFormat(p.attention);
    return supports(hw, native) ? native : "bf16";
  }

  function expertsTouched(tokens, routed, active) {  // eq. experts-touched: E·(1 − (1 − k/E)^T)
    if (routed === 0) return 0;
    var miss = 1.0 - active / routed;
    return miss > 0 ? routed * -Math.expm1(tokens * Math.log(miss)) : routed;
  }

  function operation(name, flopCount, weightBytes, kvBytes, flopsPerS, format) {
    return {name: name, flops: flopCount, weight_bytes: weightBytes, kv_bytes: kvBytes, flops_per_s: flopsPerS,
            compute_format: format};
  }

  function opBytes(op) { return op.weight_bytes + op.kv_bytes; }
  function opComputeS(op, chips) { return op.flops / (chips * op.flops_per_s); }
  function opMemoryS(op, chips, bw) { return opBytes(op) / (chips * bw); }
  function opTimeS(op, chips, bw) {          // each operation on its own roofline: max(f / nF, m / nW)
    return Math.max(opComputeS(op, chips), opMemoryS(op, chips, bw));
  }

  function weightStorageBytes(m, p) {        // non-expert weights in p.weights, experts in p.experts
    var bw = bytesPerElement(p.weights), be = bytesPerElement(p.experts);
    var experts = moeLayers(m) * (m.routed_experts + m.shared_experts) * expertParams(m);
    return (configTotalParams(m) - experts) * bw + experts * be;
  }

  function weightOperations(hw, m, p, tokens) {  // the operations whose bytes are weights, for T tokens
    var bw = bytesPerElement(p.weights), be = bytesPerElement(p.experts);
    var fw = matmulFormat(p.weights, hw), fe = matmulFormat(p.experts, hw);
    function op(name, paramsPerToken, paramsRead, bytesPer, format) {
      return operation(name, 2.0 * tokens * paramsPerToken, paramsRead * bytesPer + 0, 0, flops(hw, format), format);
    }
    var attn = m.layers * attentionParamsPerLayer(m);
    var dense = denseLayers(m) * denseFfnParams(m);
    var shared = moeLayers(m) * m.shared_experts * expertParams(m);
    var routers = moeLayers(m) * routerParams(m);
    var touched = expertsTouched(tokens, m.routed_experts, m.active_experts);
    var routedFlopsParams = moeLayers(m) * m.active_experts * expertParams(m);
    return {
      attention_projections: op("attention_projections", attn, attn, bw, fw),
      dense_ffn: op("dense_ffn", dense, dense, bw, fw),
      shared_experts: op("shared_experts", shared, shared, be, fe),
      routed_experts: operation("routed_experts",
                                2.0 * tokens * routedFlopsParams + 2.0 * tokens * routers,
                                moeLayers(m) * touched * expertParams(m) * be + routers * bw,
                                0, flops(hw, fe), fe),
      lm_head: op("lm_head", lmHeadParams(m), lmHeadParams(m), bw, fw)
    };
  }

  // A step (lib.roofline.Step), scalar: its budgets and capacity figures are computed once here.
  function makeStep(phase, hw, m, p, batch, context, tokens, chips, ops, kvStorage, reserve) {
    var bw = hw.hbm_bandwidth_Bps;
    var s = {phase: phase, batch: batch, context: context, tokens: tokens, chips: chips, operations: {},
             weight_storage_bytes: weightStorageBytes(m, p), kv_storage_bytes: kvStorage,
             reserve_fraction: reserve, op_times_s: {}};
    var compute = 0, weightBytes = 0, kvBytes = 0, perOp = 0, flopSum = 0;
    OPS.forEach(function (name) {             // in lib's order, so that the sums round alike
      var op = ops[name];
      s.operations[name] = op;
      s.op_times_s[name] = opTimeS(op, chips, bw);
      compute += opComputeS(op, chips);
      weightBytes += op.weight_bytes;
      kvBytes += op.kv_bytes;
      perOp += opTimeS(op, chips, bw);
      flopSum += op.flops;
    });
    s.compute_s = compute;                          // Σ f_i / (n F_i)
    s.weights_s = weightBytes / (chips * bw);       // Σ weight bytes / (n W_hbm), experts as touched
    s.kv_s = kvBytes / (chips * bw);                // KV bytes / (n W_hbm)
    s.memory_s = s.weights_s + s.kv_s;
    s.pooled_s = Math.max(s.compute_s, s.memory_s); // t_pooled: perfect overlap (a lower bound)
    s.per_op_s = perOp;                             // t_per_op: each kernel at its roofline, in sequence
    s.step_s = s.per_op_s;                          // the book's step time
    s.flops = flopSum;
    s.tokens_per_s = tokens / s.step_s;
    s.tokens_per_s_per_chip = s.tokens_per_s / chips;
    s.user_tokens_per_s = 1.0 / s.step_s;
    s.chip_seconds_per_token = chips * s.step_s / tokens;
    s.compute_bound = s.compute_s >= s.memory_s;
    s.bound = s.compute_bound ? "compute" : "memory";
    s.experts_touched = isMoe(m) ? expertsTouched(tokens, m.routed_experts, m.active_experts) : null;
    // eq. capacity: N_bytes + B·kv(L) ≤ (1 − ρ) n C_hbm
    s.hbm_bytes = chips * hw.hbm_capacity_bytes;
    s.usable_hbm_bytes = (1.0 - reserve) * s.hbm_bytes;
    s.memory_needed_bytes = s.weight_storage_bytes + s.kv_storage_bytes;
    s.fits = s.memory_needed_bytes <= s.usable_hbm_bytes * (1 + 1e-12);
    var perSequence = kvCacheBytes(m, context, p.kv);
    var room = s.usable_hbm_bytes - s.weight_storage_bytes;
    s.max_batch = perSequence > 0 ? Math.floor(Math.max(room, 0.0) / perSequence) : (room >= 0 ? Infinity : 0);
    return s;
  }

  // lib.roofline._context_operations: attention over the context. DSA's indexer (fp8 where the chip has it)
  // scores indexLayerTokens layer-tokens per sequence against the index keys; the main attention computes over
  // coreLayerTokens and reads kvLayerTokens layer-tokens of attention KV.
  function contextOperations(hw, m, p, batch, indexLayerTokens, coreLayerTokens, kvLayerTokens, phase) {
    var attnFmt = attentionFormat(p, hw), indexFmt = matmulFormat(K.index_key_format, hw);
    return {
      attention_core: operation("attention_core",
                                batch * attentionCoreFlopsPerContextToken(m, phase) * coreLayerTokens, 0,
                                batch * attentionKvBytesPerTokenPerLayer(m, p.kv) * kvLayerTokens,
                                flops(hw, attnFmt), attnFmt),
      attention_index: operation("attention_index", batch * indexerFlopsPerContextToken(m) * indexLayerTokens, 0,
                                 batch * indexKeyBytesPerTokenPerLayer(m) * indexLayerTokens,
                                 flops(hw, indexFmt), indexFmt)
    };
  }

  function checkInputs(batch, context, chips) {
    if (batch < 1) throw new Error("batch must be ≥ 1 sequence");
    if (context < 0) throw new Error("context must be ≥ 0 tokens");
    if (chips < 1) throw new Error("chips must be ≥ 1");
  }

  // lib.roofline.decode_step: B sequences at context L on n accelerators (n given: the page resolves "auto").
  function decodeStep(hw, m, batch, context, p, chips, reserve) {
    reserve = reserve === undefined ? K.hbm_reserve_fraction : reserve;
    checkInputs(batch, context, chips);
    var ops = weightOperations(hw, m, p, batch);
    // The indexer scores every token; the main attention reads (and computes over) the top k_sparse only.
    var every = attendedTokensSum(m, context);
    var main = isSparseAttention(m) ? attendedTokensSum(m, context, true) : every;
    var overContext = contextOperations(hw, m, p, batch, every, main, main, "decode");
    ops.attention_core = overContext.attention_core;
    ops.attention_index = overContext.attention_index;
    var kvHeld = batch * kvCacheBytes(m, context, p.kv);
    return makeStep("decode", hw, m, p, batch, context, batch, chips, ops, kvHeld, reserve);
  }

  // lib.roofline.prefill_step: B prompts of P tokens, C of them cached; its step time is the time to first token.
  function prefillStep(hw, m, prompt, batch, cached, p, chips, reserve) {
    reserve = reserve === undefined ? K.hbm_reserve_fraction : reserve;
    checkInputs(batch, prompt, chips);
    if (cached < 0 || cached > prompt) throw new Error("cached tokens must lie between 0 and the prompt length");
    if (prompt - cached < 1) throw new Error("a prefill needs at least one new (uncached) prompt token");
    var tokens = batch * (prompt - cached);
    var ops = weightOperations(hw, m, p, tokens);
    var every = causalAttendedTokensSum(m, prompt, cached);
    var main = isSparseAttention(m) ? causalAttendedTokensSum(m, prompt, cached, true) : every;
    // KV bytes: the prompt's cache written (new tokens) plus the cached prefix read once; the same for the
    // index keys, which the indexer's FLOPs (causal, every token) do not multiply.
    var overContext = contextOperations(hw, m, p, batch, every, main, attendedTokensSum(m, prompt), "prefill");
    ops.attention_core = overContext.attention_core;
    var index = overContext.attention_index;
    ops.attention_index = operation("attention_index", index.flops, 0,
                                    batch * indexKeyBytesPerTokenPerLayer(m) * attendedTokensSum(m, prompt),
                                    index.flops_per_s, index.compute_format);
    var kvBytes = batch * kvCacheBytes(m, prompt, p.kv);
    var s = makeStep("prefill", hw, m, p, batch, prompt, tokens, chips, ops, kvBytes, reserve);
    s.time_to_first_token_s = s.step_s;
    return s;
  }

  // lib.roofline.chips_to_fit: ⌈(N_bytes + B·kv(L)) / ((1 − ρ) C_hbm)⌉, at least 1 (eq. capacity).
  function chipsToFit(m, hw, batch, context, p, reserve) {
    reserve = reserve === undefined ? K.hbm_reserve_fraction : reserve;
    var need = weightStorageBytes(m, p) + batch * kvCacheBytes(m, context, p.kv);
    var usable = (1.0 - reserve) * hw.hbm_capacity_bytes;
    return Math.max(1.0, Math.ceil(need / usable - 1e-9));
  }

  // lib.roofline._bisect_batch: the smallest batch in [low, high] with gap(B) ≥ 0 (log bisection).
  function bisectBatch(gap) {
    var low = K.bisect.low, high = K.bisect.high;
    if (gap(low) >= 0) return low;
    if (gap(high) < 0) return Infinity;
    var lo = Math.log(low), hi = Math.log(high);
    for (var i = 0; i < K.bisect.iterations; i++) {
      var mid = 0.5 * (lo + hi);
      if (gap(Math.exp(mid)) >= 0) hi = mid; else lo = mid;
    }
    return Math.exp(hi);
  }

  // B* depends only on the accelerator, the model, the precisions (and L for the pooled one): the page keeps the
  // last results, so that moving the batch or the price does not repeat the bisections.
  var memo = {};
  function remembered(key, compute) {
    if (!(key in memo)) {
      if (Object.keys(memo).length > 500) memo = {};
      memo[key] = compute();
    }
    return memo[key];
  }

  function configKey(hw, m, p) { return JSON.stringify([hw, m, p]); }

  // lib.roofline.pooled_optimal_batch: the refined B*, pooled compute = pooled memory at context L.
  function pooledOptimalBatch(hw, m, context, p) {
    return bisectBatch(function (b) {
      var s = decodeStep(hw, m, b, context, p, 1);
      return s.compute_s - s.memory_s;
    });
  }

  // lib.roofline.operation_optimal_batch: where one weight operation turns compute bound on its roofline.
  function operationOptimalBatch(hw, m, name, p) {
    return bisectBatch(function (b) {
      var op = decodeStep(hw, m, b, 0.0, p, 1).operations[name];
      if (op.flops === 0) return 1.0;
      return opComputeS(op, 1) - opMemoryS(op, 1, hw.hbm_bandwidth_Bps);
    });
  }

  function weightOperationNames() {  // every operation but those over the context (CONTEXT_OPERATIONS)
    return OPS.filter(function (n) { return CONTEXT_OPS.indexOf(n) < 0; });
  }

  // lib.roofline.per_op_optimal_batch: the smallest batch at which every weight operation is compute bound.
  function perOpOptimalBatch(hw, m, p) {
    return Math.max.apply(null, weightOperationNames().map(function (n) { return operationOptimalBatch(hw, m, n, p); }));
  }

  // lib.power.accelerator_cost_per_token_usd: c = p_hour / (3600 · τ).
  function acceleratorCostPerTokenUsd(usdPerHour, tokensPerS) {
    return usdPerHour / (K.seconds_per_hour * tokensPerS);
  }

  function usdPerMillionTokens(usdPerHour, tokensPerSPerChip) {
    return acceleratorCostPerTokenUsd(usdPerHour, tokensPerSPerChip) * K.million;
  }

  // lib.calculator.max_batch_at_user_speed: the largest B with t_step(B) ≤ 1/v that fits (eq. speed-target).
  function maxBatchAtUserSpeed(hw, m, context, speed, p, chips, reserve) {
    var budget = 1.0 / speed;
    function keepsSpeed(b) { return decodeStep(hw, m, b, context, p, chips, reserve).step_s <= budget; }
    var first = decodeStep(hw, m, 1, context, p, chips, reserve);
    var high = Math.min(first.max_batch, Math.pow(2, 30));
    if (high < 1 || !keepsSpeed(1)) return 0;
    var low = 1;
    high = Math.floor(high);
    if (keepsSpeed(high)) return high;
    while (high - low > 1) {
      var middle = Math.floor((low + high) / 2);
      if (keepsSpeed(middle)) low = middle; else high = middle;
    }
    return low;
  }

  // -----------------------------------------------------------------------------------------------------
  // lib.calculator.displayed_values: every value the page shows, by output key (numbers in SI units, or the
  // words shown instead: "does not fit" for any figure of a step that does not fit, "—" for an absent operation).

  function countOr(value, infinite, zero) {
    if (!isFinite(value)) return infinite;
    if (zero !== undefined && value === 0) return zero;
    return value;
  }

  function displayedValues(hw, m, p, sc) {
    var DNF = K.does_not_fit, ABSENT = K.absent, WORDS = K.bound_words;
    var chips = sc.chips === null ? chipsToFit(m, hw, sc.batch, sc.context, p) : sc.chips;
    var step = decodeStep(hw, m, sc.batch, sc.context, p, chips);
    var fits = step.fits;
    var v = {
      ridge: ridgeFlopPerByte(hw),
      drain_s: hbmDrainTimeS(hw),
      domain_hbm_bytes: domainHbmCapacityBytes(hw),
      total_params: configTotalParams(m),
      active_params: configActiveParams(m),
      weight_bytes: step.weight_storage_bytes,
      kv_bytes_per_sequence: kvCacheBytes(m, sc.context, p.kv),
      experts_touched: isMoe(m) ? step.experts_touched : "none (dense model)",
      chips: chips,
      chips_needed: chipsToFit(m, hw, sc.batch, sc.context, p),
      usable_hbm_bytes: step.usable_hbm_bytes,
      memory_needed_bytes: step.memory_needed_bytes,
      fits: fits ? "yes" : DNF,
      within_domain: chips <= hw.scale_up_domain_size ? "yes" : K.beyond_domain,
      max_batch: countOr(step.max_batch, "unbounded (no KV cache at this context)", "none: the weights alone do not fit")
    };
    function feasible(x) { return fits ? x : DNF; }
    v.compute_s = feasible(step.compute_s);
    v.weights_s = feasible(step.weights_s);
    v.kv_s = feasible(step.kv_s);
    v.memory_s = feasible(step.memory_s);
    v.pooled_s = feasible(step.pooled_s);
    v.step_s = feasible(step.step_s);
    v.binds = fits ? WORDS[step.bound] : "HBM capacity: " + DNF;
    v.tokens_per_s_per_chip = feasible(step.tokens_per_s_per_chip);
    v.user_tokens_per_s = feasible(step.user_tokens_per_s);
    v.usd_per_million_tokens = fits ? usdPerMillionTokens(sc.price, step.tokens_per_s_per_chip) : DNF;
    var bw = hw.hbm_bandwidth_Bps;
    OPS.forEach(function (name) {
      var op = step.operations[name];
      var absent = op.flops === 0 && opBytes(op) === 0;
      var bound = opComputeS(op, chips) >= opMemoryS(op, chips, bw) ? "compute" : "memory";
      var values = {flops: op.flops, bytes: opBytes(op), s: opTimeS(op, chips, bw), bound: WORDS[bound]};
      Object.keys(values).forEach(function (key) {
        v["op_" + name + "_" + key] = absent ? ABSENT : (fits ? values[key] : DNF);
      });
    });
    var never = "none: memory bound at every batch";
    var key = configKey(hw, m, p);
    v.bstar_pooled = countOr(remembered("pooled" + sc.context + key, function () {
      return pooledOptimalBatch(hw, m, sc.context, p);
    }), never);
    var perOperation = remembered("per-op" + key, function () {
      var one = decodeStep(hw, m, 1, 0.0, p, 1), out = {};
      weightOperationNames().forEach(function (name) {
        out[name] = one.operations[name].flops === 0 ? null : operationOptimalBatch(hw, m, name, p);
      });
      out.all = perOpOptimalBatch(hw, m, p);
      return out;
    });
    v.bstar_per_op = countOr(perOperation.all, never);
    weightOperationNames().forEach(function (name) {
      v["bstar_" + name] = perOperation[name] === null ? ABSENT : countOr(perOperation[name], never);
    });
    var target = maxBatchAtUserSpeed(hw, m, sc.context, sc.speed, p, chips);
    if (target > 0) {
      var at = decodeStep(hw, m, target, sc.context, p, chips);
      v.target_batch = target;
      v.target_tokens_per_s_per_chip = at.tokens_per_s_per_chip;
      v.target_usd_per_million_tokens = usdPerMillionTokens(sc.price, at.tokens_per_s_per_chip);
    } else {
      v.target_batch = step.max_batch < 1 ? DNF : "none: one sequence is already slower";
      v.target_tokens_per_s_per_chip = v.target_usd_per_million_tokens = ABSENT;
    }
    var prefill = prefillStep(hw, m, sc.prompt, 1, sc.cached, p, chips);
    function prefillFeasible(x) { return prefill.fits ? x : DNF; }
    v.ttft_s = prefillFeasible(prefill.time_to_first_token_s);
    v.prefill_compute_s = prefillFeasible(prefill.compute_s);
    v.prefill_memory_s = prefillFeasible(prefill.memory_s);
    v.prefill_tokens_per_s_per_chip = prefillFeasible(prefill.tokens_per_s_per_chip);
    v.prefill_bound = prefill.fits ? WORDS[prefill.bound] : "HBM capacity: " + DNF;
    return {values: v, chips: chips, step: step, target: target};
  }

  // The chart's curve (lib.calculator.cost_curve): cost per million tokens along a batch grid at a fixed replica;
  // null where the batch does not fit.
  function costCurve(hw, m, p, context, chips, price, batches) {
    return batches.map(function (b) {
      var s = decodeStep(hw, m, b, context, p, chips);
      return [b, s.fits ? usdPerMillionTokens(price, s.tokens_per_s_per_chip) : null];
    });
  }

  // =====================================================================================================
  // Part 2. The page.
  // -----------------------------------------------------------------------------------------------------
  // Display formats (display only: four significant figures, so that a value shown is within 0.05% of lib's).

  var SI = [[1e18, "E"], [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"], [1, ""], [1e-3, "m"],
            [1e-6, "\u00b5"], [1e-9, "n"]];
  var WORDS_SCALE = [[1e12, " trillion"], [1e9, " billion"], [1e6, " million"]];

  var numberFormats = {};  // Intl.NumberFormat is slow to build: one per number of decimals

  function grouped(x, decimals) {
    var f = numberFormats[decimals];
    if (!f) {
      f = numberFormats[decimals] = new Intl.NumberFormat("en-US", {minimumFractionDigits: decimals,
                                                                    maximumFractionDigits: decimals});
    }
    return f.format(x);
  }

  function significant(x, digits) {
    if (x === 0) return "0";
    var r = Number(x.toPrecision(digits));
    return grouped(r, Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(r)))));
  }

  function withSI(x, unit) {
    var a = Math.abs(x), pick = SI[SI.length - 1];
    if (x === 0) return "0 " + unit;
    for (var i = 0; i < SI.length; i++) {
      if (a >= SI[i][0] * 0.99995) { pick = SI[i]; break; }
    }
    return significant(x / pick[0], 4) + " " + pick[1] + unit;
  }

  function asCount(x, unit) {
    var text = null, a = Math.abs(x);
    for (var i = 0; i < WORDS_SCALE.length; i++) {
      if (a >= WORDS_SCALE[i][0] * 0.99995) { text = significant(x / WORDS_SCALE[i][0], 4) + WORDS_SCALE[i][1]; break; }
    }
    if (text === null) text = significant(x, 4);
    return unit ? text + " " + unit : text;
  }

  function format(value, kind, unit) {
    if (kind === "time" || kind === "bytes" || kind === "flop") return withSI(value, unit);
    if (kind === "int") return grouped(value, 0) + (unit ? " " + unit : "");
    if (kind === "usd") return "$" + significant(value, 4);
    if (kind === "count") return asCount(value, unit);
    return String(value);
  }

  // -----------------------------------------------------------------------------------------------------
  // The form

  var FIELDS = DATA.fields;
  var byName = {};
  DATA.hardware.rows.forEach(function (r) { byName["hw:" + r.name] = r; });
  DATA.models.forEach(function (r) { byName["model:" + r.name] = r; });

  function control(name) { return document.getElementById("calc-" + name); }
  function message(name) { return document.getElementById("calc-msg-" + name); }
  function fieldsOf(group) { return Object.keys(FIELDS).filter(function (n) { return FIELDS[n].group === group; }); }

  var hardwareSelect = control("hardware"), modelSelect = control("model");
  DATA.hardware.rows.forEach(function (r) { hardwareSelect.add(new Option(r.name, r.name)); });
  DATA.models.forEach(function (r) { modelSelect.add(new Option(r.name, r.name)); });

  function text(value) { return value === null || value === undefined ? "" : String(value); }

  function currentHardwareRow() { return byName["hw:" + hardwareSelect.value]; }
  function currentModelRow() { return byName["model:" + modelSelect.value]; }

  // The value each field takes by default, given the rows picked: the row's cell, the model's release
  // formats, the accelerator's lowest price offer, or the page's defaults.
  function offerFor(hwName) {
    return DATA.offers.by_hardware[hwName] || null;
  }

  function defaultOf(name) {
    var spec = FIELDS[name];
    if (spec.group === "hardware") return text(currentHardwareRow()[name]);
    if (spec.group === "model") return text(currentModelRow()[name]);
    if (name === "weights_precision") return currentModelRow().weights_format;
    if (name === "experts_precision") return currentModelRow().expert_weights_format;
    if (name === "price") {
      var offer = offerFor(hardwareSelect.value) || DATA.offers.fallback;
      return offer ? text(offer.usd_per_hour) : text(DATA.defaults.price);
    }
    return text(DATA.defaults[name]);
  }

  function resetGroup(group) {
    fieldsOf(group).forEach(function (n) { control(n).value = defaultOf(n); });
  }

  // Parse one field by its rule (the data schema's column): a value, or an error sentence.
  var NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

  function parseField(name) {
    var spec = FIELDS[name], raw = control(name).value, t = raw.trim();
    var expect = spec.expect;
    if (spec.kind === "enum") return spec.choices.indexOf(t) >= 0 ? {value: t} : {error: "Expected " + expect};
    if (t === "") return spec.required ? {error: "Blank: enter " + expect} : {value: null};
    if (spec.kind === "str") return {value: t};
    if (spec.kind === "chips" && t.toLowerCase() === "auto") return {value: null};
    var plain = t.replace(/_/g, "");
    if (!NUMBER.test(plain)) return {error: "Not a number: enter " + expect};
    var x = Number(plain);
    if (!isFinite(x)) return {error: "Too large: enter " + expect};
    if ((spec.kind === "int" || spec.kind === "chips") && x !== Math.floor(x)) return {error: "Not a whole number: enter " + expect};
    if (x < 0 && (spec.positive || spec.minimum !== null || spec.kind === "chips")) return {error: "Negative: enter " + expect};
    if (spec.kind === "chips" && x < 1) return {error: "Too small: enter " + expect};
    if (spec.positive && x <= 0) return {error: "Zero: enter " + expect};
    if (spec.minimum !== null && x < spec.minimum) return {error: "Too small: enter " + expect};
    return {value: x};
  }

  // The row checks of lib.data (models.csv), for the model as edited.
  function modelRowProblems(r) {
    var out = [];
    function add(field, textOf) { out.push([field, textOf]); }
    if (r.active_experts > r.routed_experts) add("active_experts", "active experts ≤ routed experts (" + r.routed_experts + ")");
    if (r.routed_experts === 0 && r.active_experts !== 0) add("active_experts", "0 for a dense model (routed_experts is 0)");
    if (r.attention === "mla") {
      ["kv_lora_rank", "qk_rope_head_dim"].forEach(function (n) { if (!r[n]) add(n, "a positive integer for MLA attention"); });
    } else {
      ["n_kv_heads", "head_dim"].forEach(function (n) { if (!r[n]) add(n, "a positive integer for " + r.attention.toUpperCase() + " attention"); });
      if (r.n_kv_heads > r.n_heads) add("n_kv_heads", "KV heads ≤ query heads (" + r.n_heads + ")");
    }
    if (r.sliding_window_layers > r.layers) add("sliding_window_layers", "≤ layers (" + r.layers + ")");
    if (r.sliding_window_layers && !r.sliding_window_tokens) add("sliding_window_tokens", "a positive window when sliding_window_layers > 0");
    // models.csv asks a dense model for first_dense_layers = layers; the step model reads every layer of a dense
    // model as dense whatever that field says (lib.models.Model.dense_layers), so the page does not insist.
    var moe = r.routed_experts > 0, dense = moe ? r.first_dense_layers : r.layers;
    if (moe && r.first_dense_layers >= r.layers) add("first_dense_layers", "fewer than the layers (" + r.layers + ") for a MoE model");
    if (dense && !r.dense_ffn_dim) add("dense_ffn_dim", "a positive width when the model has dense FFN layers");
    if (moe && !r.expert_ffn_dim) add("expert_ffn_dim", "a positive width for a MoE model");
    // _sparse_attention: DSA needs its indexer; an indexer needs a top-k.
    if (r.sparse_topk_tokens) {
      ["indexer_heads", "indexer_head_dim"].forEach(function (n) {
        if (!r[n]) add(n, "a positive integer when sparse_topk_tokens > 0 (DSA)");
      });
    } else if (r.indexer_heads || r.indexer_head_dim) {
      add("sparse_topk_tokens", "a positive top-k when an indexer is given");
    }
    return out;
  }

  // Read and check every field, marking the bad ones: {hw, model, precisions, scenario}, or {blocking: [fields]}
  // when a field the step model reads is bad (a bad field of the copied row alone only empties the row).
  function readForm() {
    var values = {}, errors = {};
    Object.keys(FIELDS).forEach(function (n) {
      var r = parseField(n);
      if (r.error) errors[n] = r.error; else values[n] = r.value;
    });
    var modelFields = fieldsOf("model");
    if (modelFields.every(function (n) { return !(n in errors); })) {
      var row = {};
      modelFields.forEach(function (n) { row[n] = values[n]; });
      modelRowProblems(row).forEach(function (p) { errors[p[0]] = errors[p[0]] || "Expected " + p[1]; });
    }
    if (!("prompt" in errors) && !("cached" in errors) && values.cached >= values.prompt) {
      errors.cached = "Too large: a prefill needs at least one new (uncached) prompt token, fewer than P";
    }
    Object.keys(FIELDS).forEach(function (n) {
      var el = control(n), msg = message(n);
      if (n in errors) { el.setAttribute("aria-invalid", "true"); msg.textContent = errors[n]; }
      else { el.removeAttribute("aria-invalid"); msg.textContent = ""; }
    });
    var hardwareOk = fieldsOf("hardware").every(function (n) { return !(n in errors); });
    var blocking = Object.keys(errors).filter(function (n) { return !FIELDS[n].row_only; });
    if (blocking.length) return {errors: errors, blocking: blocking, hardwareOk: hardwareOk, values: values};
    var f = function (n) { return values[n] * FIELDS[n].factor; };
    var flopsPerS = {bf16: f("dense_bf16_TFLOPs")};
    if (values.dense_fp8_TFLOPs !== null) flopsPerS.fp8 = f("dense_fp8_TFLOPs");
    if (values.dense_fp4_TFLOPs !== null) flopsPerS.fp4 = f("dense_fp4_TFLOPs");
    var hw = {hbm_capacity_bytes: f("hbm_capacity_GB"), hbm_bandwidth_Bps: f("hbm_bandwidth_TBps"),
              flops_per_s: flopsPerS, scale_up_domain_size: values.scale_up_domain_size};
    var model = {};
    modelFields.forEach(function (n) { model[n] = values[n]; });
    model.tied_embeddings = values.tied_embeddings === "yes";
    var precisions = {weights: values.weights_precision, experts: values.experts_precision, kv: values.kv_precision,
                      attention: values.attention_precision};
    var scenario = {context: values.context, batch: values.batch, chips: values.chips, prompt: values.prompt,
                    cached: values.cached, price: values.price, speed: values.speed};
    return {hw: hw, model: model, precisions: precisions, scenario: scenario, hardwareOk: hardwareOk, values: values};
  }

  // -----------------------------------------------------------------------------------------------------
  // The address: every field that differs from its default, so that a link reproduces the page.

  function writeAddress() {
    var params = new URLSearchParams();
    params.set("hardware", hardwareSelect.value);
    params.set("model", modelSelect.value);
    Object.keys(FIELDS).forEach(function (n) {
      var raw = control(n).value;
      if (raw !== defaultOf(n)) params.set(n, raw);
    });
    var query = "?" + params.toString();
    addressWritten = performance.now();
    if (!OWN_ADDRESS || query === window.location.search) return;
    try {
      history.replaceState(null, "", query + window.location.hash);
    } catch (e) {
      OWN_ADDRESS = false;  // a browser that refuses (some do for file:// pages): the page still works
    }
  }

  // Browsers refuse more than a few hundred address changes in ten seconds: while inputs change faster than
  // ADDRESS_EVERY_MS, the address is written at most that often, and once more after the last change.
  var ADDRESS_EVERY_MS = 150, addressWritten = -Infinity, addressTimer = null;
  // The address is the book page's own (calculator.html); in a notebook (Jupyter's own address) it is left alone.
  var OWN_ADDRESS = /(\.html?|\/)$/.test(window.location.pathname);

  function scheduleAddress() {
    if (addressTimer !== null) return;
    var wait = addressWritten + ADDRESS_EVERY_MS - performance.now();
    if (wait <= 0) { writeAddress(); return; }
    addressTimer = setTimeout(flushAddress, wait);
  }

  function flushAddress() {
    if (addressTimer !== null) { clearTimeout(addressTimer); addressTimer = null; writeAddress(); }
  }

  function readAddress() {
    var params = new URLSearchParams(window.location.search), notes = [];
    var hw = params.get("hardware"), model = params.get("model");
    hardwareSelect.value = DATA.defaults.hardware;
    modelSelect.value = DATA.defaults.model;
    if (hw !== null) {
      if (byName["hw:" + hw]) hardwareSelect.value = hw;
      else notes.push("No accelerator named “" + hw + "” in this book's hardware.csv: showing " + DATA.defaults.hardware + ".");
    }
    if (model !== null) {
      if (byName["model:" + model]) modelSelect.value = model;
      else notes.push("No model named “" + model + "” in this book's models.csv: showing " + DATA.defaults.model + ".");
    }
    Object.keys(FIELDS).forEach(function (n) { control(n).value = defaultOf(n); });
    params.forEach(function (value, key) { if (FIELDS[key]) control(key).value = value; });
    return notes;
  }

  // -----------------------------------------------------------------------------------------------------
  // The accelerator as a hardware.csv row (the file's exact header), for a full re-run of the book.

  function csvCell(value) {          // as Python's csv module writes it (QUOTE_MINIMAL)
    var s = text(value);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function hardwareRowText(state) {
    if (!state.hardwareOk) return null;
    var row = currentHardwareRow(), header = DATA.hardware.header, changed = [];
    fieldsOf("hardware").forEach(function (n) {
      if (n !== "name" && control(n).value.trim() !== defaultOf(n)) {
        changed.push(n + " " + (defaultOf(n) || "blank") + " → " + (control(n).value.trim() || "blank"));
      }
    });
    var name = control("name").value.trim();
    if (changed.length && name === row.name) name = row.name + " (edited)";
    var cells = header.map(function (column) {
      if (column === "name") return name;
      if (FIELDS[column] && FIELDS[column].group === "hardware") return control(column).value.trim();
      if (changed.length && column === "source") {
        return "Edited in the book's calculator from the row " + row.name + " (" + row.source + ")";
      }
      if (changed.length && column === "provenance") return K.edited_row_provenance;  // the reader's values
      if (changed.length && column === "notes") {
        return "Changed in the calculator: " + changed.join("; ") + (row.notes ? ". Notes of the original row: " + row.notes : "");
      }
      return text(row[column]);
    });
    return header.map(csvCell).join(",") + "\n" + cells.map(csvCell).join(",") + "\n";
  }

  // -----------------------------------------------------------------------------------------------------
  // Drawing

  var outputs = Array.prototype.slice.call(root.querySelectorAll("output[data-out]"));
  var statusLine = document.getElementById("calc-status");
  var chartNote = document.getElementById("calc-chart-note");
  var view = null, chartQueue = Promise.resolve(), latest = null;
  var CHART_SETS = ["curve", "infeasible", "current", "target"];  // the spec's named data (lib.figures.calculator)

  function show(values) {
    outputs.forEach(function (el) {
      var key = el.getAttribute("data-out"), value = values ? values[key] : undefined;
      if (typeof value === "number" && isFinite(value)) {
        el.textContent = format(value, el.getAttribute("data-kind"), el.getAttribute("data-unit"));
        el.setAttribute("data-value", String(value));
      } else {
        el.textContent = value === undefined || value === null ? "—" : String(value);
        el.removeAttribute("data-value");
      }
      el.classList.toggle("calc-infeasible", typeof value === "string" && value.indexOf(K.does_not_fit) >= 0);
    });
  }

  // Batches 1 … upper on a log grid: past the reader's batch and the largest that fits, and past B* where B* fits.
  function batchGrid(batch, maxBatch, bstar) {
    var shown = isFinite(bstar) && bstar <= maxBatch ? 2 * bstar : 0;
    var upper = Math.max(64, 4 * batch, isFinite(maxBatch) ? 4 * maxBatch : 0, shown);
    upper = Math.min(upper, 1e7);
    var grid = [], last = 0;
    for (var i = 0; i <= 100; i++) {
      var b = Math.round(Math.pow(upper, i / 100));
      if (b > last) { grid.push(b); last = b; }
    }
    return grid;
  }

  function chartData(state, result) {
    var v = result.values, sc = state.scenario;
    var grid = batchGrid(sc.batch, result.step.max_batch, v.bstar_pooled);
    var curve = costCurve(state.hw, state.model, state.precisions, sc.context, result.chips, sc.price, grid);
    var feasible = curve.filter(function (r) { return r[1] !== null && r[1] > 0; });
    var upper = grid[grid.length - 1], mb = result.step.max_batch;
    var infeasible = mb < upper ? [{from: Math.max(mb, 1), to: upper, label: K.does_not_fit}] : [];
    return {
      curve: feasible.map(function (r) { return {batch: r[0], usd: r[1]}; }),
      infeasible: infeasible,
      current: typeof v.usd_per_million_tokens === "number" && v.usd_per_million_tokens > 0
        ? [{batch: sc.batch, usd: v.usd_per_million_tokens}] : [],
      target: result.target > 0 ? [{batch: result.target, label: "speed target"}] : [],
      grid: grid, rows: curve
    };
  }

  function drawChart(data) {
    if (!view) return Promise.resolve();
    CHART_SETS.forEach(function (name) { view.data(name, data[name]); });
    return view.runAsync();
  }

  var api = {timings: [], updates: 0};

  function update() {
    var t0 = performance.now();
    api.updates += 1;
    var state = readForm();
    var rowText = hardwareRowText(state);
    document.getElementById("calc-row").value = rowText || "";
    scheduleAddress();
    var chartRows = null;
    if (state.blocking) {
      var n = state.blocking.length;
      statusLine.textContent = "Fix the " + (n === 1 ? "field" : n + " fields") + " marked in red: nothing is computed from a bad value.";
      statusLine.classList.add("calc-bad");
      show(null);
      latest = null;
      chartRows = {curve: [], infeasible: [], current: [], target: []};
    } else {
      var result;
      try {
        result = displayedValues(state.hw, state.model, state.precisions, state.scenario);
      } catch (e) {  // the checks above should make this unreachable: say so rather than show a wrong number
        statusLine.textContent = "This configuration could not be computed (" + e.message + ").";
        statusLine.classList.add("calc-bad");
        show(null);
        latest = null;
        return chartQueue;
      }
      latest = {state: state, result: result};
      show(result.values);
      statusLine.classList.toggle("calc-bad", !result.step.fits);
      statusLine.textContent = result.step.fits
        ? "The ideal bound for this configuration: every operation at its roofline, no communication, no queueing."
        : "Does not fit: the weights and the batch's KV cache need more than the replica's usable HBM. Add accelerators, shorten the context or shrink the batch.";
      chartRows = chartData(state, result);
      latest.chart = chartRows;
      chartNote.textContent = result.step.max_batch < 1
        ? "No batch fits on " + result.chips + " accelerators: the chart is empty."
        : (state.scenario.price > 0 ? "" : "A price of zero has no place on the chart's log axis: the chart is empty.");
      modelNote(state);
    }
    chartQueue = chartQueue.then(function () { return drawChart(chartRows); }).then(function () {
      void root.offsetHeight;  // lay the page out: the redraw time counts it
      api.lastUpdateMs = performance.now() - t0;
      api.timings.push(api.lastUpdateMs);
    }).catch(function (e) { console.error("calculator chart: " + e); });
    return chartQueue;
  }

  function modelNote(state) {
    var row = currentModelRow(), m = state.model;
    document.getElementById("calc-model-note").textContent =
      "Published: " + asCount(row.total_params_B * 1e9, "") + " parameters, " + asCount(row.active_params_B * 1e9, "")
      + " per token; from the config as set: " + asCount(configTotalParams(m), "") + " and "
      + asCount(configActiveParams(m), "") + " (the step model counts from the config).";
  }

  function priceNote() {
    var offer = offerFor(hardwareSelect.value), fallback = DATA.offers.fallback, note = "";
    if (offer) {
      note = "Default price: the lowest of " + offer.count + " offer" + (offer.count > 1 ? "s" : "") + " for this accelerator in accelerator_costs.csv, "
        + offer.name + " (" + offer.market + ", " + offer.as_of + ").";
    } else if (fallback) {
      note = "accelerator_costs.csv has no offer for this accelerator: the default price is the lowest in the table, "
        + fallback.name + " (" + fallback.as_of + "). Set your own.";
    }
    document.getElementById("calc-price-note").textContent = note;
  }

  // -----------------------------------------------------------------------------------------------------
  // Wiring

  hardwareSelect.addEventListener("change", function () { resetGroup("hardware"); control("price").value = defaultOf("price"); priceNote(); update(); });
  modelSelect.addEventListener("change", function () {
    resetGroup("model");
    control("weights_precision").value = defaultOf("weights_precision");
    control("experts_precision").value = defaultOf("experts_precision");
    update();
  });
  Object.keys(FIELDS).forEach(function (n) {
    control(n).addEventListener(FIELDS[n].kind === "enum" ? "change" : "input", function () { update(); });
  });
  document.getElementById("calc-copy").addEventListener("click", function () {
    var status = document.getElementById("calc-copy-status"), area = document.getElementById("calc-row");
    if (!area.value) { status.textContent = "Fix the accelerator's fields first."; return; }
    area.focus();
    area.select();
    var done = function () { status.textContent = "Copied: add it to your hardware.csv (see the re-run guide)."; };
    var manual = function () {
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      if (copied) done();
      else status.textContent = "Your browser kept the clipboard closed: the row is selected below, copy it with Ctrl+C.";
    };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(area.value).then(done, manual);
    else manual();
  });

  var notes = readAddress();
  priceNote();

  function startChart() {
    if (!window.vegaEmbed) {
      chartNote.textContent = "The chart needs the book's Vega bundle, which this page could not load.";
      return Promise.resolve();
    }
    // The first drawing carries the data as the spec's datasets (no empty first pass); later ones change them.
    var spec = JSON.parse(JSON.stringify(DATA.chart)), first = latest && latest.chart;
    spec.datasets = {};
    CHART_SETS.forEach(function (name) { spec.datasets[name] = first ? first[name] : []; });
    return window.vegaEmbed("#calc-chart", spec, {actions: false, renderer: "svg"}).then(function (result) {
      view = result.view;
    }).catch(function (e) { console.error("calculator chart: " + e); });
  }

  update();
  chartQueue = chartQueue.then(startChart);
  if (notes.length) statusLine.textContent = notes.join(" ") + " " + statusLine.textContent;

  api.port = {
    decodeStep: decodeStep, prefillStep: prefillStep, chipsToFit: chipsToFit, expertsTouched: expertsTouched,
    pooledOptimalBatch: pooledOptimalBatch, operationOptimalBatch: operationOptimalBatch,
    perOpOptimalBatch: perOpOptimalBatch, maxBatchAtUserSpeed: maxBatchAtUserSpeed,
    displayedValues: displayedValues, costCurve: costCurve, configTotalParams: configTotalParams,
    weightStorageBytes: weightStorageBytes, kvCacheBytes: kvCacheBytes
  };
  api.format = format;
  api.update = update;
  // Resolves when the last change is drawn; writes a pending address at once (a link then reproduces the page).
  api.settled = function () { return chartQueue.then(function () { flushAddress(); return api.updates; }); };
  api.latest = function () { return latest; };
  window.bookCalculator = api;
})();
