"""Model configurations: parameter counts, sparsity and KV-cache bytes per token (GQA, MLA, sliding windows).

Notation: N_total and N_active are parameter counts, b_kv the KV-cache bytes one token adds, L the
context length in tokens.

KV cache per token and layer, with ``e`` bytes per element (2 for bf16):

- multi-head or grouped-query attention (MHA, GQA): ``2 · n_kv_heads · head_dim · e`` (a key and a value);
- multi-head latent attention (MLA, DeepSeek-V2/V3): ``(kv_lora_rank + qk_rope_head_dim) · e``
  (one compressed latent plus the decoupled RoPE key, shared by all heads).

A sliding-window layer keeps at most ``sliding_window_tokens`` tokens, whatever the context.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .units import bytes_per_element

ATTENTION_TYPES: tuple[str, ...] = ("mha", "gqa", "mla")


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

    def kv_bytes_per_token_per_layer(self, kv_precision: str = "bf16") -> float:
        """KV-cache bytes one token adds to one attention layer (see the module docstring)."""
        e = bytes_per_element(kv_precision)
        if self.attention == "mla":
            return (self.kv_lora_rank + self.qk_rope_head_dim) * e
        return 2 * self.n_kv_heads * self.head_dim * e

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
        """Bytes of all weights at ``precision`` (N_total · b_w)."""
        return self.total_params * bytes_per_element(precision)


def kv_bytes_per_token_gqa(layers: int, n_kv_heads: int, head_dim: int, bytes_per_element: float = 2.0) -> float:
    """b_kv for dense grouped-query attention: 2 · layers · n_kv_heads · head_dim · e (bytes per token)."""
    return 2.0 * layers * n_kv_heads * head_dim * bytes_per_element
