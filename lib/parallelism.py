"""Parallelism across accelerators: expert all-to-all, scale-up vs scale-out, scale-up domains, pipelining,
the memory wall and activation recomputation (reversible networks).

Notation (the book's notation page): B is the batch (sequences decoding together, one token each per step),
n the accelerators in a replica, F dense FLOP/s, W_hbm HBM bytes/s, C_hbm HBM bytes, b_w bytes per weight,
N_total / N_active parameter counts. Symbols this module adds:

- k experts chosen per token (``active_experts``), d the hidden size (``hidden_size``), b_a bytes per
  activation element sent over a link, W_link one-direction link bandwidth per accelerator (bytes/s);
- p pipeline stages, m micro-batches per training step, t_hop the time to pass activations between stages.

Every function takes SI units (seconds, bytes, bytes/s, FLOP/s) and broadcasts over numpy arrays.

Expert all-to-all (one MoE layer, balanced routing over n accelerators, each holding 1/n of the experts):
each token's hidden vector goes out to k experts (dispatch) and k results come back (combine), so each
accelerator sends, per token it owns, ``2 · k · d · b_a · (n − 1)/n`` bytes in one direction (and receives
as much in the other). The layer's times per accelerator, with ``N_layer = N / layers``:

    t_a2a     = B · 2 k d b_a (n − 1)/n / (n · W_link)
    t_compute = 2 · B · N_active,layer / (n · F)
    t_weights = N_total,layer · b_w / (n · W_hbm)

With communication overlapped with work, the layer is communication bound when t_a2a > max(t_compute,
t_weights): only if the per-token all-to-all time exceeds the per-token compute time, and then from the
batch ``B_comm = N_total,layer b_w W_link n / (W_hbm · 2 k d b_a (n − 1))`` on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import Column, provenance_column, TableSchema, read_table, register_schema
from .hardware import Hardware
from .models import Model
from .units import bytes_per_element

ArrayLike = np.ndarray | float | int

LINKS: tuple[str, ...] = ("scale_up", "scale_out")


# --------------------------------------------------------------------------------------------------
# Tables owned by this module


def _share_or_costs(row: dict):
    share, memory, total = row["memory_share_percent"], row["memory_cost_USD"], row["total_cost_USD"]
    if share is None and (memory is None or total is None):
        yield ("memory_share_percent", share, "a share in percent, or both memory_cost_USD and total_cost_USD")
    if memory is not None and total is not None and memory > total:
        yield ("memory_cost_USD", memory, f"≤ total_cost_USD ({total:g})")
    if share is not None and share > 100:
        yield ("memory_share_percent", share, "a percentage ≤ 100")


MEMORY_CAPEX_SCHEMA = register_schema(TableSchema(
    file="memory_capex.csv",
    columns=(
        Column("name", "str"),
        Column("year", "int", minimum=1990),
        Column("scope", "enum", choices=("capex (reported)", "component cost", "selling price"),
               meaning="what the share is a share of"),
        Column("memory_cost_USD", required=False, positive=True, meaning="US dollars, blank if only a share"),
        Column("total_cost_USD", required=False, positive=True, meaning="US dollars, blank if only a share"),
        Column("memory_share_percent", required=False, positive=True,
               meaning="percent, blank when computed from the two costs"),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_share_or_costs,),
))

SCALE_UP_DOMAINS_SCHEMA = register_schema(TableSchema(
    file="scale_up_domains.csv",
    columns=(
        Column("name", "str"),
        Column("vendor", "str"),
        Column("year", "int", minimum=1990),
        Column("status", "enum", choices=("shipping", "announced")),
        Column("domain_packages", "int", positive=True, meaning="accelerator packages in one scale-up domain"),
        Column("domain_dies", "int", positive=True, meaning="compute dies in the domain (NVIDIA's 'NVL' count from Rubin on)"),
        Column("source", "str", meaning="an address or citation"),
    ),
))


@dataclass(frozen=True)
class MemoryShare:
    """One estimate of memory's share of a cost (a fraction in [0, 1])."""

    name: str
    year: int
    scope: str
    share: float
    memory_cost_USD: float | None
    total_cost_USD: float | None
    source: str


@dataclass(frozen=True)
class ScaleUpDomain:
    """One announced or shipping scale-up domain (an NVLink or ICI domain)."""

    name: str
    vendor: str
    year: int
    status: str
    packages: int
    dies: int
    source: str


def load_memory_shares(data_dir=None) -> list[MemoryShare]:
    """Rows of ``memory_capex.csv``; the share is memory ÷ total cost when both are given, else the stated share."""
    out = []
    for r in read_table(MEMORY_CAPEX_SCHEMA, data_dir):
        if r["memory_cost_USD"] is not None and r["total_cost_USD"] is not None:
            share = r["memory_cost_USD"] / r["total_cost_USD"]
        else:
            share = r["memory_share_percent"] / 100.0
        out.append(MemoryShare(r["name"], r["year"], r["scope"], share, r["memory_cost_USD"],
                               r["total_cost_USD"], r["source"]))
    return out


def load_scale_up_domains(data_dir=None) -> list[ScaleUpDomain]:
    """Rows of ``scale_up_domains.csv``."""
    return [ScaleUpDomain(r["name"], r["vendor"], r["year"], r["status"], r["domain_packages"], r["domain_dies"],
                          r["source"]) for r in read_table(SCALE_UP_DOMAINS_SCHEMA, data_dir)]


# --------------------------------------------------------------------------------------------------
# Expert-parallel all-to-all


def _check_positive(**values) -> None:
    for name, value in values.items():
        if np.any(np.asarray(value, dtype=float) <= 0):
            raise ValueError(f"{name} must be > 0; got {value!r}")


def a2a_bytes_per_token(hidden_size: ArrayLike, experts_per_token: ArrayLike, chips: ArrayLike,
                        bytes_per_activation: float = 2.0) -> np.ndarray:
    """Bytes one accelerator sends in one direction, per token it owns, for one MoE layer:
    ``2 · k · d · b_a · (n − 1) / n`` (dispatch to k experts plus combine back; the 1/n of experts that
    live on the token's own accelerator cost no link traffic). Balanced routing assumed."""
    _check_positive(hidden_size=hidden_size, experts_per_token=experts_per_token, chips=chips,
                    bytes_per_activation=bytes_per_activation)
    n = np.asarray(chips, dtype=float)
    return 2.0 * np.asarray(experts_per_token, dtype=float) * np.asarray(hidden_size, dtype=float) \
        * bytes_per_activation * (n - 1.0) / n


def link_bandwidth_Bps(hardware: Hardware, link: str) -> float:
    """One-direction bandwidth per accelerator of the ``"scale_up"`` (NVLink, ICI) or ``"scale_out"`` link."""
    if link == "scale_up":
        return hardware.scale_up_bandwidth_Bps
    if link == "scale_out":
        return hardware.scale_out_bandwidth_Bps
    raise ValueError(f"unknown link {link!r}; expected one of {', '.join(LINKS)}")


@dataclass(frozen=True)
class MoELayerTimes:
    """Per-accelerator times (seconds) of one MoE layer's decode step, broadcast over batch."""

    batch: np.ndarray
    compute_s: np.ndarray
    weights_s: np.ndarray
    a2a_s: np.ndarray

    @property
    def work_s(self) -> np.ndarray:
        """max(t_compute, t_weights): the layer's roofline without communication."""
        return np.maximum(self.compute_s, self.weights_s)

    @property
    def step_s(self) -> np.ndarray:
        """max(t_compute, t_weights, t_a2a): communication fully overlapped with work (an optimistic bound)."""
        return np.maximum(self.work_s, self.a2a_s)

    @property
    def comm_bound(self) -> np.ndarray:
        """True where the all-to-all takes longer than the layer's compute and weight reads."""
        return self.a2a_s > self.work_s


def moe_layer_times(hardware: Hardware, model: Model, batch: ArrayLike, chips: int, link: str = "scale_up",
                    precision: str = "bf16", bytes_per_activation: float = 2.0) -> MoELayerTimes:
    """The three times of one average layer (parameters spread evenly over ``model.layers``) on ``chips``
    accelerators that split the experts and the batch (eq. moe-times in the racks chapter)."""
    if not model.is_moe:
        raise ValueError(f"model {model.name!r} is dense (no routed experts): there is no expert all-to-all")
    batch_arr = np.asarray(batch, dtype=float)
    if np.any(batch_arr < 1):
        raise ValueError(f"batch must be ≥ 1 token; got min {batch_arr.min():g}")
    _check_positive(chips=chips)
    flops = hardware.flops(precision)
    active_layer = model.active_params / model.layers
    total_layer = model.total_params / model.layers
    compute = 2.0 * batch_arr * active_layer / (chips * flops)
    weights = np.full(batch_arr.shape, total_layer * bytes_per_element(precision) / (chips * hardware.hbm_bandwidth_Bps))
    per_token = a2a_bytes_per_token(model.hidden_size, model.active_experts, chips, bytes_per_activation)
    a2a = batch_arr * per_token / (chips * link_bandwidth_Bps(hardware, link))
    return MoELayerTimes(batch_arr, compute, weights, a2a)


def a2a_to_compute_ratio(hardware: Hardware, model: Model, chips: int, link: str = "scale_up",
                         precision: str = "bf16", bytes_per_activation: float = 2.0) -> float:
    """t_a2a / t_compute for one layer, independent of batch: ``bytes_per_token · F / (W_link · 2 N_active,layer)``.
    Above 1 the all-to-all outlasts the arithmetic at every batch large enough to be compute bound."""
    t = moe_layer_times(hardware, model, 1.0, chips, link, precision, bytes_per_activation)
    return float(t.a2a_s / t.compute_s)


def comm_bound_batch(hardware: Hardware, model: Model, chips: int, link: str = "scale_up",
                     precision: str = "bf16", bytes_per_activation: float = 2.0) -> float:
    """The smallest batch (tokens per replica step) at which t_a2a > max(t_compute, t_weights), or ``inf``
    when the all-to-all per token is cheaper than the arithmetic per token (it never dominates).

    ``B_comm = t_weights / (t_a2a at B = 1)`` when t_a2a / t_compute > 1."""
    t = moe_layer_times(hardware, model, 1.0, chips, link, precision, bytes_per_activation)
    if float(t.a2a_s) <= float(t.compute_s):
        return float("inf")
    return float(t.weights_s / t.a2a_s)


# --------------------------------------------------------------------------------------------------
# Scale-up domains


def domain_totals(hardware: Hardware, domain_size: int | None = None) -> tuple[float, float]:
    """(HBM bytes, HBM bytes/s) summed over a scale-up domain (default: the row's own domain size)."""
    n = hardware.scale_up_domain_size if domain_size is None else domain_size
    _check_positive(domain_size=n)
    return hardware.hbm_capacity_bytes * n, hardware.hbm_bandwidth_Bps * n


def weight_read_time_s(params: ArrayLike, bytes_per_weight: float, bandwidth_Bps: ArrayLike) -> np.ndarray:
    """N · b_w / W: the time to read every weight once at aggregate bandwidth W (seconds)."""
    _check_positive(params=params, bytes_per_weight=bytes_per_weight, bandwidth_Bps=bandwidth_Bps)
    return np.asarray(params, dtype=float) * bytes_per_weight / np.asarray(bandwidth_Bps, dtype=float)


def sequences_that_fit(capacity_bytes: ArrayLike, weight_bytes: ArrayLike, kv_bytes_per_sequence: ArrayLike) -> np.ndarray:
    """How many sequences' KV caches fit beside the weights: ``max(0, (C − N b_w) / kv(L))`` (fractional)."""
    _check_positive(capacity_bytes=capacity_bytes, kv_bytes_per_sequence=kv_bytes_per_sequence)
    free = np.asarray(capacity_bytes, dtype=float) - np.asarray(weight_bytes, dtype=float)
    return np.maximum(free, 0.0) / np.asarray(kv_bytes_per_sequence, dtype=float)


def max_params_in_domain(capacity_bytes: ArrayLike, bytes_per_weight: float, kv_bytes: ArrayLike = 0.0) -> np.ndarray:
    """The largest N_total whose weights fit beside ``kv_bytes`` of KV cache: ``(C − KV) / b_w`` (≥ 0)."""
    _check_positive(capacity_bytes=capacity_bytes, bytes_per_weight=bytes_per_weight)
    return np.maximum(np.asarray(capacity_bytes, dtype=float) - np.asarray(kv_bytes, dtype=float), 0.0) / bytes_per_weight


# --------------------------------------------------------------------------------------------------
# Pipelining


def pipeline_stage_weight_bytes(weight_bytes: ArrayLike, stages: ArrayLike) -> np.ndarray:
    """Weights held by one stage: ``N_total b_w / p``."""
    _check_positive(weight_bytes=weight_bytes, stages=stages)
    return np.asarray(weight_bytes, dtype=float) / np.asarray(stages, dtype=float)


def pipeline_stage_kv_bytes(microbatch: ArrayLike, kv_bytes_per_sequence: ArrayLike, stages: ArrayLike) -> np.ndarray:
    """KV cache held by one stage in pipelined decode: ``p`` micro-batches of B_mb sequences are in flight (one
    per stage, to keep every stage busy), and a stage holds its 1/p of the layers for each of them:
    ``p · B_mb · kv(L) / p = B_mb · kv(L)``, the same as an unpipelined replica serving B_mb sequences."""
    _check_positive(microbatch=microbatch, stages=stages)
    p = np.asarray(stages, dtype=float)
    in_flight = p * np.asarray(microbatch, dtype=float)
    return in_flight * np.asarray(kv_bytes_per_sequence, dtype=float) / p


def pipeline_hop_time_s(batch: ArrayLike, hidden_size: int, link_Bps: float, chips_per_stage: int,
                        hop_latency_s: float, bytes_per_activation: float = 2.0) -> np.ndarray:
    """Time to hand one micro-batch's activations to the next stage:
    ``t_hop = t_latency + B · d · b_a / (n_stage · W_link)`` (each accelerator sends its share)."""
    _check_positive(hidden_size=hidden_size, link_Bps=link_Bps, chips_per_stage=chips_per_stage)
    if hop_latency_s < 0:
        raise ValueError(f"hop_latency_s must be ≥ 0; got {hop_latency_s!r}")
    return hop_latency_s + np.asarray(batch, dtype=float) * hidden_size * bytes_per_activation / (chips_per_stage * link_Bps)


def pipeline_decode_latency_s(unpipelined_step_s: ArrayLike, stages: ArrayLike, hop_s: ArrayLike) -> np.ndarray:
    """Time per decoded token of one sequence through p stages: the stages' work adds up to one unpipelined
    step, and each of the p hops (the last one back to the first stage for the next token) adds t_hop:
    ``t_token = t_step + p · t_hop``."""
    _check_positive(stages=stages)
    return np.asarray(unpipelined_step_s, dtype=float) + np.asarray(stages, dtype=float) * np.asarray(hop_s, dtype=float)


def bubble_fraction(stages: ArrayLike, microbatches: ArrayLike) -> np.ndarray:
    """GPipe / 1F1B training bubble: the idle fraction of a step, ``(p − 1) / (m + p − 1)``."""
    _check_positive(stages=stages, microbatches=microbatches)
    p, m = np.asarray(stages, dtype=float), np.asarray(microbatches, dtype=float)
    return (p - 1.0) / (m + p - 1.0)


def weight_reads_per_training_step(microbatches: ArrayLike) -> np.ndarray:
    """Each stage re-reads its weights once per micro-batch in the forward pass and once in the backward pass:
    ``2 m`` reads per step, against 2 for one global batch. The batch a weight read is amortised over falls
    from the global batch to the micro-batch."""
    _check_positive(microbatches=microbatches)
    return 2.0 * np.asarray(microbatches, dtype=float)


# --------------------------------------------------------------------------------------------------
# Activation memory: storing vs recomputing (reversible networks) and KV caching

#: Activation bytes per token per layer ÷ hidden size for a standard transformer layer in 16-bit training,
#: without the attention-score term (flash attention): the 34 of ``s b h (34 + 5 a s / h)`` in
#: Korthikanti et al. (2022), "Reducing Activation Recomputation in Large Transformer Models".
ACTIVATION_BYTES_PER_HIDDEN = 34.0


def stored_activation_bytes_per_token(hidden_size: ArrayLike, layers: ArrayLike,
                                      bytes_per_hidden: float = ACTIVATION_BYTES_PER_HIDDEN) -> np.ndarray:
    """Activations kept for the backward pass, per token of the training batch: ``34 · d · layers`` bytes."""
    _check_positive(hidden_size=hidden_size, layers=layers, bytes_per_hidden=bytes_per_hidden)
    return bytes_per_hidden * np.asarray(hidden_size, dtype=float) * np.asarray(layers, dtype=float)


def reversible_activation_bytes_per_token(hidden_size: ArrayLike, bytes_per_activation: float = 2.0) -> np.ndarray:
    """A reversible network keeps only the last layer's two streams (``x1, x2``, each d wide) and rebuilds
    every earlier layer's input from its output during the backward pass: ``2 · d · b_a`` bytes per token,
    whatever the depth."""
    _check_positive(hidden_size=hidden_size, bytes_per_activation=bytes_per_activation)
    return 2.0 * np.asarray(hidden_size, dtype=float) * bytes_per_activation


def recompute_flops_overhead() -> float:
    """Extra training FLOPs of recomputing every activation: one more forward (2N) on top of forward + backward
    (6N per token): ``2 / 6 = 1/3``."""
    return 2.0 / 6.0


def flops_per_byte_of_activation_saved(active_params: ArrayLike, hidden_size: ArrayLike, layers: ArrayLike) -> np.ndarray:
    """Reversible training's exchange rate: FLOPs spent (one extra forward, ``2 N_active``) per byte of stored
    activation removed (``34 d layers − 2 d b_a``), per token."""
    saved = stored_activation_bytes_per_token(hidden_size, layers) - reversible_activation_bytes_per_token(hidden_size)
    return 2.0 * np.asarray(active_params, dtype=float) / saved


def flops_per_byte_of_kv_cache(active_params: ArrayLike, kv_bytes_per_token: ArrayLike) -> np.ndarray:
    """KV caching's exchange rate: without a cache, each token of context must be run through the model again
    at every decode step (≈ ``2 N_active`` FLOPs); the cache stores ``b_kv`` bytes instead. FLOPs avoided per
    byte kept, per token of context per step: ``2 N_active / b_kv``."""
    _check_positive(active_params=active_params, kv_bytes_per_token=kv_bytes_per_token)
    return 2.0 * np.asarray(active_params, dtype=float) / np.asarray(kv_bytes_per_token, dtype=float)
