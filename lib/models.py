"""Model configurations: parameter counts, sparsity and KV-cache bytes per token (GQA, MLA, sliding windows).

Notation: N_total and N_active are parameter counts, b_kv the KV-cache bytes one token adds, L the
context length in tokens.

KV cache per token and layer, with ``e`` bytes per element (2 for bf16):

- multi-head or grouped-query attention (MHA, GQA): ``2 · n_kv_heads · head_dim · e`` (a key and a value);
- multi-head latent attention (MLA, DeepSeek-V2/V3): ``(kv_lora_rank + qk_rope_head_dim) · e``
  (one compressed latent plus the decoupled RoPE key, shared by all heads).

A sliding-window layer keeps at most ``sliding_window_tokens`` tokens, whatever the context.

Parameters by operation, from the model's ``config.json`` (the refined step model of :mod:`lib.roofline`
reads and multiplies each class of weights separately). With ``h`` the hidden size, ``n_h`` query heads,
``n_kv`` KV heads, ``d`` the head dimension, ``r`` the KV latent rank, ``r_q`` the query latent rank and
``d_r`` the decoupled RoPE dimension:

- attention projections per layer: GQA/MHA ``h·d·(n_h + 2 n_kv) + n_h·d·h``; MLA
  ``h·r_q + r_q·n_h·(d + d_r)`` (or ``h·n_h·(d + d_r)`` without a query latent) ``+ h·(r + d_r) + r·n_h·2d
  + n_h·d·h``;
- a gated (SwiGLU) feed-forward block of width ``f``: ``3·h·f`` (every model in the book's data is gated);
- a MoE layer: ``E`` routed experts and ``n_shared`` shared experts of ``3·h·f_e`` each, and a router ``h·E``;
- embeddings ``V·h`` and the LM head ``V·h`` (one matrix when tied).

Active parameters count what one token multiplies: the LM head, every layer's attention projections and
dense FFN, and in MoE layers the k routed plus the shared experts and the router. The input-embedding lookup
is a read of one row, not a matmul, so it is not counted (published "active" figures differ on this point:
OpenAI's gpt-oss figures leave it out, others include it).

Attention over the context, per context token and layer, for one query token (decode):

- GQA/MHA: ``QKᵀ`` and ``AV`` cost ``4·n_h·d_h`` FLOPs against ``2·n_kv·d_h`` KV elements read;
- MLA with absorbed projections (the decode form): ``2·n_h·(2d_c + d_r)`` FLOPs against ``d_c + d_r`` elements;
- MLA in prefill (projections not absorbed, keys and values expanded per head): ``2·n_h·(2d_h + d_r)`` FLOPs.

DeepSeek Sparse Attention (DSA, DeepSeek-V3.2): a lightning indexer with ``H_I`` heads of dimension ``d_I``
scores every context token (``2·H_I·d_I`` FLOPs per context token and layer, in fp8, against an fp8 index key
of ``d_I`` bytes plus a 4-byte scale per token and layer), then the main attention runs over the top
``k_sparse`` tokens only. The cache stores both the attention KV and the index keys of every token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .units import bytes_per_element

ATTENTION_TYPES: tuple[str, ...] = ("mha", "gqa", "mla")

#: Matrices in a gated (SwiGLU) feed-forward block: gate, up and down projections.
GATED_FFN_MATRICES = 3

#: DSA's index keys: stored in fp8 (1 byte per element) with one fp32 scale per token and layer
#: (DeepSeek-V3.2 inference code, https://huggingface.co/deepseek-ai/DeepSeek-V3.2-Exp).
INDEX_KEY_FORMAT = "fp8"
INDEX_KEY_SCALE_BYTES = 4.0


@dataclass(frozen=True)
class Model:
    """One published model configuration. Parameter counts are plain counts (not billions)."""

    name: str
    org: str
    year: int
    total_params: float
    active_params: float
    layers: int
    hidden_size: int
    attention: str
    n_heads: int
    n_kv_heads: int
    head_dim: int
    kv_lora_rank: int
    qk_rope_head_dim: int
    sliding_window_tokens: int
    sliding_window_layers: int
    routed_experts: int
    active_experts: int
    shared_experts: int
    training_tokens: float | None
    max_context_tokens: int
    source: str
    first_dense_layers: int | None = None  # None: every layer of a dense model, none of a MoE model
    dense_ffn_dim: int = 0  # intermediate_size of the dense FFN layers (0 if there are none)
    expert_ffn_dim: int = 0  # moe_intermediate_size of one routed (and shared) expert
    vocab_size: int = 0
    q_lora_rank: int = 0  # MLA query latent rank (0: queries projected directly)
    tied_embeddings: bool = False
    weights_format: str = "bf16"  # release storage format of the non-expert weights
    expert_weights_format: str = "bf16"  # release storage format of the expert weights
    sparse_topk_tokens: int = 0  # DSA: tokens the main attention reads per layer (0: dense attention)
    indexer_heads: int = 0  # DSA lightning indexer heads H_I
    indexer_head_dim: int = 0  # DSA lightning indexer head dimension d_I
    extra: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def sparsity(self) -> float:
        """N_total / N_active: how many parameters exist per parameter used for one token (1 for dense)."""
        return self.total_params / self.active_params

    @property
    def is_moe(self) -> bool:
        """True for a mixture-of-experts model (routed experts present)."""
        return self.routed_experts > 0

    @property
    def full_attention_layers(self) -> int:
        """Layers that attend over the whole context (all layers but the sliding-window ones)."""
        return self.layers - self.sliding_window_layers

    @property
    def is_sparse_attention(self) -> bool:
        """True for DeepSeek Sparse Attention (a lightning indexer and a top-k main attention)."""
        return self.sparse_topk_tokens > 0

    def attention_kv_bytes_per_token_per_layer(self, kv_precision: str = "bf16") -> float:
        """Bytes of attention KV (keys and values, or the MLA latent and RoPE key) one token adds to one layer."""
        e = bytes_per_element(kv_precision)
        if self.attention == "mla":
            return (self.kv_lora_rank + self.qk_rope_head_dim) * e
        return 2 * self.n_kv_heads * self.head_dim * e

    @property
    def index_key_bytes_per_token_per_layer(self) -> float:
        """DSA: bytes of the fp8 index key and its scale one token adds to one layer (0 for dense attention)."""
        if not self.is_sparse_attention:
            return 0.0
        return self.indexer_head_dim * bytes_per_element(INDEX_KEY_FORMAT) + INDEX_KEY_SCALE_BYTES

    def kv_bytes_per_token_per_layer(self, kv_precision: str = "bf16") -> float:
        """Cache bytes one token adds to one attention layer: attention KV, plus DSA's index key."""
        return self.attention_kv_bytes_per_token_per_layer(kv_precision) + self.index_key_bytes_per_token_per_layer

    def kv_bytes_per_token(self, kv_precision: str = "bf16") -> float:
        """b_kv: KV-cache bytes per token of context summed over the full-attention layers.

        This is the marginal cost of one more token once the context exceeds any sliding window; use
        :func:`kv_cache_bytes` for the exact size of a sequence's cache at a given context.
        """
        return self.kv_bytes_per_token_per_layer(kv_precision) * self.full_attention_layers

    def kv_cache_bytes(self, context_tokens: np.ndarray | float, kv_precision: str = "bf16") -> np.ndarray:
        """Bytes of KV cache held (and read once per decode step) for one sequence at context L.

        ``L · b_kv(full layers) + min(L, window) · b_kv(windowed layers)``; broadcasts over ``context_tokens``.
        """
        context = np.asarray(context_tokens, dtype=float)
        per_layer = self.kv_bytes_per_token_per_layer(kv_precision)
        full = context * per_layer * self.full_attention_layers
        windowed = np.minimum(context, self.sliding_window_tokens) * per_layer * self.sliding_window_layers
        return full + windowed

    def weight_bytes(self, precision: str = "bf16") -> float:
        """Bytes of all weights at ``precision`` (N_total · b_w), from the published total."""
        return self.total_params * bytes_per_element(precision)

    # ----------------------------------------------------------------------------------------------
    # Parameters by operation (from config.json; see the module docstring)

    @property
    def has_config(self) -> bool:
        """True when the row carries the config fields the per-operation model needs."""
        ffn_ok = self.dense_layers == 0 or self.dense_ffn_dim > 0
        experts_ok = not self.is_moe or self.expert_ffn_dim > 0
        return self.vocab_size > 0 and ffn_ok and experts_ok

    def _require_config(self) -> None:
        if not self.has_config:
            raise ValueError(
                f"model {self.name!r} lacks the config fields of the per-operation model (vocab_size, "
                "dense_ffn_dim for dense layers, expert_ffn_dim for MoE layers): add them to models.csv")

    @property
    def dense_layers(self) -> int:
        """Layers with a dense FFN: every layer of a dense model; the first ``first_dense_layers`` of a MoE."""
        if not self.is_moe:
            return self.layers
        return self.first_dense_layers or 0

    @property
    def moe_layers(self) -> int:
        """Layers whose FFN is a mixture of experts."""
        return self.layers - self.dense_layers

    @property
    def attention_params_per_layer(self) -> float:
        """Weights of one layer's attention projections (Q, K, V or the MLA latents, and the output), plus a
        DSA indexer's query, key and head-weight projections."""
        h, nh, d = self.hidden_size, self.n_heads, self.head_dim
        if self.attention == "mla":
            r, rope, rq = self.kv_lora_rank, self.qk_rope_head_dim, self.q_lora_rank
            query = h * rq + rq * nh * (d + rope) if rq else h * nh * (d + rope)
            main = query + h * (r + rope) + r * nh * 2 * d + nh * d * h
        else:
            main = h * d * (nh + 2 * self.n_kv_heads) + nh * d * h
        return float(main + self.indexer_params_per_layer)

    @property
    def indexer_params_per_layer(self) -> float:
        """DSA indexer weights per layer: queries from the query latent (or the hidden state), one shared key,
        and a weight per head: r_q·H_I·d_I + h·d_I + h·H_I (0 for dense attention)."""
        if not self.is_sparse_attention:
            return 0.0
        source = self.q_lora_rank or self.hidden_size
        hi, di = self.indexer_heads, self.indexer_head_dim
        return float(source * hi * di + self.hidden_size * di + self.hidden_size * hi)

    @property
    def dense_ffn_params(self) -> float:
        """Weights of one dense (gated) FFN layer: 3 · h · f."""
        return float(GATED_FFN_MATRICES * self.hidden_size * self.dense_ffn_dim)

    @property
    def expert_params(self) -> float:
        """Weights of one routed or shared expert: 3 · h · f_e."""
        return float(GATED_FFN_MATRICES * self.hidden_size * self.expert_ffn_dim) if self.is_moe else 0.0

    @property
    def router_params(self) -> float:
        """Weights of one MoE layer's router: h · E."""
        return float(self.hidden_size * self.routed_experts)

    @property
    def embedding_params(self) -> float:
        """The input embedding table, V · h."""
        return float(self.vocab_size * self.hidden_size)

    @property
    def lm_head_params(self) -> float:
        """The output projection to the vocabulary, V · h (shares storage with the embeddings when tied)."""
        return float(self.vocab_size * self.hidden_size)

    @property
    def config_total_params(self) -> float:
        """Every stored weight counted from the config (compare with the published ``total_params``)."""
        self._require_config()
        per_moe = (self.routed_experts + self.shared_experts) * self.expert_params + self.router_params
        return (self.embedding_params + (0.0 if self.tied_embeddings else self.lm_head_params)
                + self.layers * self.attention_params_per_layer + self.dense_layers * self.dense_ffn_params
                + self.moe_layers * per_moe)

    @property
    def config_active_params(self) -> float:
        """Weights one token multiplies, from the config (LM head, attention, dense FFN, k routed + shared
        experts and the router; the input-embedding lookup is not a matmul and is left out)."""
        self._require_config()
        per_moe = (self.active_experts + self.shared_experts) * self.expert_params + self.router_params
        return (self.lm_head_params + self.layers * self.attention_params_per_layer
                + self.dense_layers * self.dense_ffn_params + self.moe_layers * per_moe)

    # ----------------------------------------------------------------------------------------------
    # Attention over the context

    def attention_core_flops_per_context_token(self, phase: str = "decode") -> float:
        """FLOPs of one query token attending to one context token in one full-attention layer.

        GQA/MHA ``4·n_h·d_h``; MLA absorbed (decode) ``2·n_h·(2d_c + d_r)``; MLA expanded (prefill)
        ``2·n_h·(2d_h + d_r)``. See the module docstring.
        """
        if phase not in ("decode", "prefill"):
            raise ValueError(f"phase must be 'decode' or 'prefill'; got {phase!r}")
        nh = self.n_heads
        if self.attention == "mla":
            if phase == "decode":
                return float(2 * nh * (2 * self.kv_lora_rank + self.qk_rope_head_dim))
            return float(2 * nh * (2 * self.head_dim + self.qk_rope_head_dim))
        return float(4 * nh * self.head_dim)

    @property
    def indexer_flops_per_context_token(self) -> float:
        """DSA: FLOPs of one query's indexer scoring one context token in one layer, 2·H_I·d_I."""
        return float(2 * self.indexer_heads * self.indexer_head_dim) if self.is_sparse_attention else 0.0

    def attended_tokens_sum(self, context_tokens: np.ndarray | float, sparse: bool = False) -> np.ndarray:
        """Σ over layers of the tokens one query attends to at context L: ``L · full + min(L, w) · windowed``
        (layer-tokens; multiply by the per-token FLOPs or KV bytes of one layer). ``sparse``: the tokens DSA's
        main attention reads, min(L, k_sparse) on the full layers."""
        context = np.asarray(context_tokens, dtype=float)
        full = np.minimum(context, self.sparse_topk_tokens) if sparse and self.is_sparse_attention else context
        return (full * self.full_attention_layers
                + np.minimum(context, self.sliding_window_tokens) * self.sliding_window_layers)

    def causal_attended_tokens_sum(self, prompt_tokens: np.ndarray | float,
                                   cached_tokens: np.ndarray | float = 0.0, sparse: bool = False) -> np.ndarray:
        """Σ over the prompt's new tokens and over layers of the tokens each attends to, for a causal prefill
        of P tokens after C cached ones: full layers Σ_{i=C+1}^{P} i (Σ min(i, k_sparse) for DSA's main
        attention when ``sparse``), windowed layers Σ min(i, w) (layer-token pairs, closed form)."""
        prompt = np.asarray(prompt_tokens, dtype=float)
        cached = np.asarray(cached_tokens, dtype=float)

        def capped(n, cap):  # Σ_{i=1}^{n} min(i, cap)
            inside = np.minimum(n, cap)
            beyond = np.maximum(n - cap, 0.0) * cap if np.isfinite(cap) else 0.0
            return inside * (inside + 1.0) / 2.0 + beyond

        cap = float(self.sparse_topk_tokens) if sparse and self.is_sparse_attention else np.inf
        full = (capped(prompt, cap) - capped(cached, cap)) * self.full_attention_layers
        if self.sliding_window_layers == 0:
            return full
        w = float(self.sliding_window_tokens)
        return full + (capped(prompt, w) - capped(cached, w)) * self.sliding_window_layers


def kv_bytes_per_token_gqa(layers: int, n_kv_heads: int, head_dim: int, bytes_per_element: float = 2.0) -> float:
    """b_kv for dense grouped-query attention: 2 · layers · n_kv_heads · head_dim · e (bytes per token)."""
    return 2.0 * layers * n_kv_heads * head_dim * bytes_per_element
