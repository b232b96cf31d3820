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

Topology (``scale_up_domains.csv``): W_link above is what a *uniform* all-to-all actually gets per accelerator.
On a switched domain (NVLink/NVSwitch) that is the accelerator's own bandwidth W_inj. On a torus (TPU ICI) the
all-to-all is limited by the bisection: half of every accelerator's traffic must cross the cut, so
``W_a2a = min(W_inj, 4 (n − 1) W_bis / n²)`` with ``W_bis`` the one-direction bisection bandwidth. On a
point-to-point mesh (MI300X: seven 64 GB/s links) a group of g accelerators uses only its g − 1 links. All-reduce
(tensor parallelism) runs at ``W_inj`` on a switch, on every used torus axis's links, and on the g − 1 mesh
links; each collective also pays a latency ``α = t_base + 2 (g − 1) t_ring`` (NCCL's ring/tree cost model).

Pipeline schedules: the bubble per device of GPipe and 1F1B is ``(p − 1)(F + B)``, interleaved 1F1B with v
virtual stages ``(p − 1)(F + B)/v``, zero-bubble ZB-H1 ``(p − 1)(F + B − 2W)`` and DualPipe
``(p/2 − 1)(F&B + B − 3W)`` (F forward, B full backward, W its weight-gradient part; DeepSeek-V3 table 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import YEARS, Column, DataError, Plausible, Problem, provenance_column, TableSchema, read_table, register_schema, table_dir
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
        Column("year", "int", minimum=1990, plausible=YEARS,
               meaning="the year the costs or share were estimated or reported for: the row's as-of date"),
        Column("scope", "enum", choices=("capex (reported)", "component cost", "selling price"),
               meaning="what the share is a share of"),
        Column("memory_cost_USD", required=False, positive=True, meaning="US dollars, blank if only a share",
               plausible=Plausible(1, 1e13, "USD")),
        Column("total_cost_USD", required=False, positive=True, meaning="US dollars, blank if only a share",
               plausible=Plausible(1, 1e13, "USD")),
        Column("memory_share_percent", required=False, positive=True,
               meaning="percent, blank when computed from the two costs",
               plausible=Plausible(1, 100, "%", ("percent",))),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_share_or_costs,),
))

#: How a scale-up domain is wired: every accelerator behind switches (full bisection), a torus of
#: nearest-neighbour links, or a point-to-point mesh with one or more links between every pair.
TOPOLOGY_KINDS: tuple[str, ...] = ("switch", "torus", "mesh")


def parse_torus_dims(text: str) -> tuple[int, ...]:
    """'16x16x24' → (16, 16, 24); a ValueError for anything that is not positive integers joined by 'x'."""
    try:
        dims = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"torus dimensions must look like '16x16' or '4x4x8'; got {text!r}") from None
    if not dims or any(d < 1 for d in dims):
        raise ValueError(f"torus dimensions must be positive integers; got {text!r}")
    return dims


def _topology_consistent(row: dict):
    kind, dims, links = row["topology"], row["torus_dims"], row["links_per_accelerator"]
    if row["hardware"] and kind is None:
        yield ("topology", kind, f"one of {', '.join(TOPOLOGY_KINDS)} for a domain built from a hardware row")
    if kind is not None:
        for name in ("collective_base_latency_us", "step_latency_us", "scale_out_step_latency_us"):
            if row[name] is None:
                yield (name, None, "a latency in microseconds (≥ 0) for a domain with a topology")
    if kind == "torus":
        if dims is None:
            yield ("torus_dims", dims, "dimensions such as '16x16' for a torus")
        else:
            try:
                shape = parse_torus_dims(dims)
            except ValueError as error:
                yield ("torus_dims", dims, str(error))
            else:
                if int(np.prod(shape)) != row["domain_packages"]:
                    yield ("torus_dims", dims, f"dimensions whose product is domain_packages ({row['domain_packages']})")
        if links is None:
            yield ("links_per_accelerator", links, "the number of links per accelerator for a torus")
    elif dims is not None:
        yield ("torus_dims", dims, "blank unless the topology is 'torus'")
    if kind == "mesh":
        if links is None or links < row["domain_packages"] - 1:
            yield ("links_per_accelerator", links,
                   f"at least domain_packages − 1 = {row['domain_packages'] - 1} links: a mesh links every pair")


SCALE_UP_DOMAINS_SCHEMA = register_schema(TableSchema(
    file="scale_up_domains.csv",
    columns=(
        Column("name", "str"),
        Column("vendor", "str"),
        Column("year", "int", minimum=1990, plausible=YEARS),
        Column("status", "enum", choices=("shipping", "announced")),
        Column("domain_packages", "int", positive=True, meaning="accelerator packages in one scale-up domain",
               plausible=Plausible(1, 1e6, "packages", ())),
        Column("domain_dies", "int", positive=True, meaning="compute dies in the domain (NVIDIA's 'NVL' count from Rubin on)",
               plausible=Plausible(1, 4e6, "dies", ())),
        Column("hardware", "str", required=False, meaning="the hardware.csv row the domain is built from; blank for a roadmap domain"),
        Column("topology", "enum", required=False, choices=TOPOLOGY_KINDS),
        Column("torus_dims", "str", required=False, meaning="a torus's shape, e.g. 16x16 or 16x16x24"),
        Column("links_per_accelerator", "int", required=False, positive=True,
               meaning="scale-up links per accelerator (they share the hardware row's scale-up bandwidth)",
               plausible=Plausible(1, 64, "links", ())),
        Column("bisection_TBps", required=False, positive=True,
               meaning="TB/s in one direction across the domain's bisection, when published or derived in the notes",
               plausible=Plausible(0.01, 1e4, "TB/s", ("prefix", "bits"))),
        Column("collective_base_latency_us", required=False, minimum=0, meaning="µs paid once per collective",
               plausible=Plausible(0, 1e4, "µs")),
        Column("step_latency_us", required=False, minimum=0, meaning="µs per scale-up step of a collective",
               plausible=Plausible(0, 1e4, "µs")),
        Column("scale_out_step_latency_us", required=False, minimum=0,
               meaning="µs per scale-out step of a collective", plausible=Plausible(0, 1e5, "µs")),
        Column("source", "str", meaning="an address or citation"),
        provenance_column("what the domain's size and wiring rest on, graded by the row's main source; the "
                          "collective latencies are NCCL's or RCCL's cost model or assumptions, and the notes "
                          "name every assumed cell"),
    ),
    row_checks=(_topology_consistent,),
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
    """One announced or shipping scale-up domain (an NVLink or ICI domain) and, where known, its wiring."""

    name: str
    vendor: str
    year: int
    status: str
    packages: int
    dies: int
    source: str
    hardware: str = ""
    topology: str = ""
    torus_dims: tuple[int, ...] = ()
    links: int | None = None
    bisection_Bps: float | None = None
    base_latency_s: float = 0.0
    step_latency_s: float = 0.0
    scale_out_step_latency_s: float = 0.0


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
    """Rows of ``scale_up_domains.csv`` (SI units: bytes/s, seconds)."""
    us = 1e-6
    return [ScaleUpDomain(
        r["name"], r["vendor"], r["year"], r["status"], r["domain_packages"], r["domain_dies"], r["source"],
        hardware=r["hardware"] or "", topology=r["topology"] or "",
        torus_dims=parse_torus_dims(r["torus_dims"]) if r["torus_dims"] else (),
        links=r["links_per_accelerator"],
        bisection_Bps=None if r["bisection_TBps"] is None else r["bisection_TBps"] * 1e12,
        base_latency_s=(r["collective_base_latency_us"] or 0.0) * us, step_latency_s=(r["step_latency_us"] or 0.0) * us,
        scale_out_step_latency_s=(r["scale_out_step_latency_us"] or 0.0) * us,
    ) for r in read_table(SCALE_UP_DOMAINS_SCHEMA, data_dir)]


# --------------------------------------------------------------------------------------------------
# Topologies and collectives


#: NCCL's cost model for a small all-reduce on NVLink (Tree/LL protocol, src/graph/tuning.cc): the latencies a
#: domain missing from ``scale_up_domains.csv`` is given, flagged as assumed.
NCCL_BASE_LATENCY_S = 6.8e-6
NCCL_NVLINK_STEP_S = 0.6e-6
NCCL_NET_STEP_S = 5.0e-6


@dataclass(frozen=True)
class Topology:
    """How the accelerators of one scale-up domain are wired, in SI units.

    ``injection_Bps`` is one accelerator's total scale-up bandwidth in one direction (hardware.csv), shared by
    its ``links``; ``dims`` is a torus's shape; ``bisection_Bps`` a published (or derived) one-direction
    bisection of the whole domain, used instead of the structural value when the group is the whole domain.
    ``assumed`` is True when the data have no row for the hardware and a switched domain was assumed.
    """

    kind: str
    accelerators: int
    injection_Bps: float
    links: int | None = None
    dims: tuple[int, ...] = ()
    bisection_Bps: float | None = None
    base_latency_s: float = NCCL_BASE_LATENCY_S
    step_latency_s: float = NCCL_NVLINK_STEP_S
    scale_out_step_latency_s: float = NCCL_NET_STEP_S
    name: str = ""
    assumed: bool = False

    def __post_init__(self) -> None:
        if self.kind not in TOPOLOGY_KINDS:
            raise ValueError(f"unknown topology {self.kind!r}; expected one of {', '.join(TOPOLOGY_KINDS)}")
        _check_positive(accelerators=self.accelerators, injection_Bps=self.injection_Bps)
        if self.kind in ("torus", "mesh") and not self.links:
            raise ValueError(f"a {self.kind} needs links_per_accelerator")
        if self.kind == "torus" and int(np.prod(self.dims or (0,))) != self.accelerators:
            raise ValueError(f"torus dims {self.dims} do not multiply to {self.accelerators} accelerators")
        if self.kind == "mesh" and self.links < self.accelerators - 1:
            raise ValueError(f"a mesh of {self.accelerators} needs ≥ {self.accelerators - 1} links per accelerator")

    @property
    def link_Bps(self) -> float:
        """One link's bandwidth in one direction: W_inj / links (the whole injection bandwidth for a switch)."""
        return self.injection_Bps / (self.links or 1)


def topology_for(hardware: Hardware, domains: list[ScaleUpDomain]) -> Topology:
    """The :class:`Topology` of the scale-up domain built from ``hardware`` (the ``hardware`` column of
    ``scale_up_domains.csv``). A row the table does not know is treated as switched at its full scale-up
    bandwidth with NCCL's latencies, ``assumed=True``: the optimistic case, flagged."""
    row = next((d for d in domains if d.hardware == hardware.name and d.topology), None)
    if row is None:
        return Topology("switch", hardware.scale_up_domain_size, hardware.scale_up_bandwidth_Bps,
                        name=f"{hardware.name} (topology not in the data: switched assumed)", assumed=True)
    return Topology(row.topology, row.packages, hardware.scale_up_bandwidth_Bps, links=row.links,
                    dims=row.torus_dims, bisection_Bps=row.bisection_Bps, base_latency_s=row.base_latency_s,
                    step_latency_s=row.step_latency_s, scale_out_step_latency_s=row.scale_out_step_latency_s,
                    name=row.name)


def load_topology(hardware: Hardware, data_dir=None) -> Topology:
    """:func:`topology_for` with the table read from ``data_dir`` (the book's own when the reader's lacks it)."""
    return topology_for(hardware, load_scale_up_domains(table_dir(SCALE_UP_DOMAINS_SCHEMA.file, data_dir)))


def torus_slice_dims(group: int, domain_dims: tuple[int, ...]) -> tuple[int, ...]:
    """The most cube-like slice of ``group`` chips inside a torus of shape ``domain_dims``: the factorisation of
    ``group`` into one factor per axis, each no longer than that axis, with the smallest longest side (sorted
    like the domain). If ``group`` does not factor inside the domain, the smallest larger group that does."""
    _check_positive(group=group)
    limits = sorted(domain_dims)
    if group > int(np.prod(limits)):
        raise ValueError(f"a group of {group} does not fit in a torus of {int(np.prod(limits))} chips")

    def shapes(n: int, axes: list[int]):
        if len(axes) == 1:
            if n <= axes[0]:
                yield (n,)
            return
        for first in range(1, min(n, axes[0]) + 1):
            if n % first == 0:
                for rest in shapes(n // first, axes[1:]):
                    yield (first, *rest)

    for n in range(group, int(np.prod(limits)) + 1):
        found = sorted(shapes(n, limits), key=lambda s: (max(s), sorted(s, reverse=True)))
        if found:
            return tuple(sorted(found[0]))
    return tuple(limits)


def _wraps(axis_length: int, full_length: int, ndim: int) -> bool:
    """A torus axis closes into a ring when it spans the whole domain axis, or (3D tori joined by optical
    switches: TPU v4, v5p, Ironwood) when it is a multiple of 4 chips long (Google's slice rules)."""
    return axis_length > 2 and (axis_length == full_length or (ndim == 3 and axis_length % 4 == 0))


def _slice_axes(topology: Topology, group: int) -> list[tuple[int, bool]]:
    """(length, wraps) of every axis of a torus slice of ``group`` chips that is longer than 1."""
    dims = torus_slice_dims(group, topology.dims)
    full = sorted(topology.dims)
    return [(d, _wraps(d, f, len(full))) for d, f in zip(dims, full) if d > 1]


def bisection_Bps(topology: Topology, group: int | None = None) -> float:
    """One-direction bandwidth across the bisection of a group of accelerators (default: the whole domain).

    switch: ``(g/2) · W_inj``; mesh: ``(g/2)² · W_link · (links per pair)``; torus: the cheapest cut,
    ``min over axes (g / d_i) · (2 if the axis wraps else 1) · W_link``, or the domain's stated bisection when
    the group is the whole domain and the data give one."""
    g = topology.accelerators if group is None else int(group)
    _check_positive(group=g)
    if g > topology.accelerators:
        raise ValueError(f"a group of {g} exceeds the {topology.accelerators}-accelerator domain")
    if g == 1:
        return 0.0
    if topology.kind == "switch":
        return g / 2 * topology.injection_Bps
    if topology.kind == "mesh":
        per_pair = topology.links // (topology.accelerators - 1)
        return (g / 2) ** 2 * per_pair * topology.link_Bps
    if g == topology.accelerators and topology.bisection_Bps is not None:
        return topology.bisection_Bps
    return min(g / d * (2 if wraps else 1) for d, wraps in _slice_axes(topology, g)) * topology.link_Bps


def group_injection_Bps(topology: Topology, group: int) -> float:
    """What one accelerator of a group can send in one direction to the rest of the group: its whole scale-up
    bandwidth on a switch; ``(g − 1) · links per pair · W_link`` on a mesh; on a torus, the links of the slice's
    axes that are longer than 1 (two per axis, one on an axis of 2 chips)."""
    g = int(group)
    if g <= 1:
        return topology.injection_Bps
    if topology.kind == "switch":
        return topology.injection_Bps
    if topology.kind == "mesh":
        return (g - 1) * (topology.links // (topology.accelerators - 1)) * topology.link_Bps
    ports = sum(1 if d == 2 else 2 for d, _ in _slice_axes(topology, g))
    return min(ports, topology.links) * topology.link_Bps


def a2a_effective_Bps(topology: Topology, group: int) -> float:
    """Per-accelerator bandwidth a uniform all-to-all among ``group`` accelerators sees, for the bytes that
    leave each accelerator: ``min(W_group, 4 (g − 1) W_bis / g²)`` (injection- or bisection-limited).

    Of the S bytes an accelerator sends to the g − 1 others, a fraction (g/2)/(g − 1) goes to the far half,
    so g²S / (4(g − 1)) bytes cross the bisection in each direction."""
    g = int(group)
    _check_positive(group=g)
    if g == 1:
        return topology.injection_Bps
    return min(group_injection_Bps(topology, g), 4 * (g - 1) * bisection_Bps(topology, g) / g ** 2)


def allreduce_effective_Bps(topology: Topology, group: int) -> float:
    """Per-accelerator bandwidth of a bandwidth-optimal all-reduce (reduce-scatter + all-gather) among
    ``group`` accelerators: ``W_inj`` on a switch; the g − 1 point-to-point links of a mesh (direct
    algorithm); on a torus, a bidirectional ring per axis, two links on an axis that wraps and one otherwise."""
    g = int(group)
    if topology.kind != "torus" or g <= 1:
        return group_injection_Bps(topology, g)
    return sum(2 if wraps else 1 for _, wraps in _slice_axes(topology, g)) * topology.link_Bps


def collective_latency_s(topology: Topology, group: int, kind: str = "allreduce") -> float:
    """α, the latency part of one collective among ``group`` accelerators, in NCCL's cost model: an all-reduce
    pays ``t_base + 2 (g_local − 1) t_ring + 2 log2(nodes) t_out`` (tree across domains), an all-to-all
    ``t_base + t_ring`` (+ ``t_out`` when it leaves the domain). ``g_local`` counts the group's accelerators in
    one domain; ``nodes`` the domains it spans."""
    _check_positive(group=group)
    local = min(int(group), topology.accelerators)
    nodes = int(np.ceil(group / topology.accelerators))
    if kind == "allreduce":
        return (topology.base_latency_s + 2 * (local - 1) * topology.step_latency_s
                + 2 * np.log2(nodes) * topology.scale_out_step_latency_s)
    if kind == "alltoall":
        return topology.base_latency_s + topology.step_latency_s + (topology.scale_out_step_latency_s if nodes > 1 else 0.0)
    raise ValueError(f"unknown collective {kind!r}; expected 'allreduce' or 'alltoall'")


def allreduce_time_s(message_bytes: ArrayLike, topology: Topology, group: int, scale_out_Bps: float,
                     with_latency: bool = True) -> np.ndarray:
    """Time of one all-reduce of ``message_bytes`` per accelerator among ``group`` accelerators.

    Inside one domain: ``α + 2 (g − 1)/g · M / W_ar``. Across domains (g > domain size n): hierarchical, a
    reduce-scatter and all-gather inside each domain plus an all-reduce of the M/n shard across the
    g/n domains on the scale-out link: ``α + 2 (n − 1)/n · M / W_ar + 2 (k − 1)/k · (M/n) / W_out``."""
    m = np.asarray(message_bytes, dtype=float)
    if np.any(m < 0):
        raise ValueError("message_bytes must be ≥ 0")
    _check_positive(group=group, scale_out_Bps=scale_out_Bps)
    local = min(int(group), topology.accelerators)
    nodes = int(np.ceil(group / topology.accelerators))
    t = 2 * (local - 1) / local * m / allreduce_effective_Bps(topology, local) if local > 1 else 0.0 * m
    if nodes > 1:
        t = t + 2 * (nodes - 1) / nodes * (m / local) / scale_out_Bps
    return t + (collective_latency_s(topology, group, "allreduce") if with_latency else 0.0)


# --------------------------------------------------------------------------------------------------
# Tensor parallelism


def tp_allreduce_bytes(batch: ArrayLike, hidden_size: int, bytes_per_activation: float = 2.0) -> np.ndarray:
    """Bytes each accelerator all-reduces after a tensor-parallel attention or MLP block: the batch's hidden
    vectors, ``B · d · b_a`` (each of the g accelerators holds a partial sum of all of them)."""
    _check_positive(hidden_size=hidden_size, bytes_per_activation=bytes_per_activation)
    return np.asarray(batch, dtype=float) * hidden_size * bytes_per_activation


def tp_comm_time_per_step_s(topology: Topology, tp: int, batch: ArrayLike, hidden_size: int, layers: int,
                            scale_out_Bps: float, bytes_per_activation: float = 2.0,
                            allreduces_per_layer: int = 2) -> np.ndarray:
    """Tensor-parallel communication per forward step (one decoded token per sequence): ``layers ·
    allreduces_per_layer · t_allreduce(B d b_a)``; Megatron-style layers need two all-reduces in the forward
    pass (after the attention output projection and after the MLP down projection). 0 for tp = 1."""
    _check_positive(tp=tp, layers=layers)
    if tp == 1:
        return 0.0 * np.asarray(batch, dtype=float)
    per = allreduce_time_s(tp_allreduce_bytes(batch, hidden_size, bytes_per_activation), topology, tp, scale_out_Bps)
    return layers * allreduces_per_layer * per


def tp_decode_comm_s(hardware: Hardware, model: Model, tp: int, batch: ArrayLike = 1.0, data_dir=None,
                     bytes_per_activation: float = 2.0) -> np.ndarray:
    """Seconds of tensor-parallel all-reduce per decode step of ``model`` on ``tp`` accelerators of
    ``hardware`` (topology from ``scale_up_domains.csv``; groups larger than the domain cross the scale-out
    network). At small batch this is latency: ``2 · layers · α``. The latency floor of a fast decode is
    ``t_weights + this`` (for chapters that add communication to the HBM floor)."""
    topology = load_topology(hardware, data_dir)
    return tp_comm_time_per_step_s(topology, tp, batch, model.hidden_size, model.layers,
                                   hardware.scale_out_bandwidth_Bps, bytes_per_activation)


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


def link_bandwidth_Bps(hardware: Hardware, link: str, topology: Topology | None = None, chips: int | None = None) -> float:
    """One-direction bandwidth per accelerator of the ``"scale_up"`` (NVLink, ICI) or ``"scale_out"`` link.

    With a ``topology`` and a group size ``chips``, the scale-up figure is what a uniform all-to-all among the
    group actually gets (:func:`a2a_effective_Bps`: bisection-limited on a torus, g − 1 links on a mesh). The
    scale-out network is taken as a non-blocking fat tree: the NIC bandwidth."""
    if link == "scale_up":
        if topology is not None and chips is not None and chips <= topology.accelerators:
            return a2a_effective_Bps(topology, chips)
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
                    precision: str = "bf16", bytes_per_activation: float = 2.0,
                    topology: Topology | None = None) -> MoELayerTimes:
    """The three times of one average layer (parameters spread evenly over ``model.layers``) on ``chips``
    accelerators that split the experts and the batch (eq. moe-times in the racks chapter). With a
    ``topology`` the scale-up all-to-all runs at :func:`a2a_effective_Bps`, not the nominal per-chip link."""
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
    a2a = batch_arr * per_token / (chips * link_bandwidth_Bps(hardware, link, topology, chips))
    return MoELayerTimes(batch_arr, compute, weights, a2a)


def a2a_to_compute_ratio(hardware: Hardware, model: Model, chips: int, link: str = "scale_up",
                         precision: str = "bf16", bytes_per_activation: float = 2.0,
                         topology: Topology | None = None) -> float:
    """t_a2a / t_compute for one layer, independent of batch: ``bytes_per_token · F / (W_link · 2 N_active,layer)``.
    Above 1 the all-to-all outlasts the arithmetic at every batch large enough to be compute bound."""
    t = moe_layer_times(hardware, model, 1.0, chips, link, precision, bytes_per_activation, topology)
    return float(t.a2a_s / t.compute_s)


def comm_bound_batch(hardware: Hardware, model: Model, chips: int, link: str = "scale_up",
                     precision: str = "bf16", bytes_per_activation: float = 2.0,
                     topology: Topology | None = None) -> float:
    """The smallest batch (tokens per replica step) at which t_a2a > max(t_compute, t_weights), or ``inf``
    when the all-to-all per token is cheaper than the arithmetic per token (it never dominates).

    ``B_comm = t_weights / (t_a2a at B = 1)`` when t_a2a / t_compute > 1."""
    t = moe_layer_times(hardware, model, 1.0, chips, link, precision, bytes_per_activation, topology)
    if float(t.a2a_s) <= float(t.compute_s):
        return float("inf")
    return float(t.weights_s / t.a2a_s)


# --------------------------------------------------------------------------------------------------
# Expert parallelism as deployed (node-limited routing, FP8 dispatch, BF16 combine, two micro-batches)

EP_PHASES: tuple[str, ...] = ("training", "prefill", "decode")


def _ep_row_checks(row: dict):
    if row["ep_degree"] is not None and row["gpus_per_node"] is not None and row["ep_degree"] < row["gpus_per_node"]:
        yield ("ep_degree", row["ep_degree"], f"≥ gpus_per_node ({row['gpus_per_node']}): expert parallelism across nodes")
    if (row["node_output_tokens_per_s"] is None) != (row["user_tokens_per_s"] is None):
        yield ("user_tokens_per_s", row["user_tokens_per_s"], "given together with node_output_tokens_per_s, or both blank")


EP_DEPLOYMENTS_SCHEMA = register_schema(TableSchema(
    file="ep_deployments.csv",
    columns=(
        Column("name", "str"),
        Column("model", "str", meaning="a models.csv row"),
        Column("hardware", "str", meaning="a hardware.csv row (the deployment's accelerator)"),
        Column("phase", "enum", choices=EP_PHASES),
        Column("ep_degree", "int", required=False, positive=True,
               meaning="accelerators the experts are spread over; blank = every send crosses the network", plausible=Plausible(1, 1e5, "accelerators", ())),
        Column("gpus_per_node", "int", positive=True, plausible=Plausible(1, 72, "", ())),
        Column("max_nodes_per_token", "int", required=False, positive=True,
               meaning="node-limited routing with one send per node; blank = one send per expert", plausible=Plausible(1, 1000, "nodes", ())),
        Column("experts_sent_per_token", "int", positive=True, meaning="expert copies of a token's hidden vector", plausible=Plausible(1, 256, "experts", ())),
        Column("dispatch_bytes_per_element", positive=True, plausible=Plausible(0.25, 4, "bytes", ())),
        Column("combine_bytes_per_element", positive=True, plausible=Plausible(0.25, 4, "bytes", ())),
        Column("micro_batches", "int", positive=True, meaning="micro-batches overlapping communication with compute", plausible=Plausible(1, 64, "", ())),
        Column("tokens_per_gpu", required=False, positive=True, meaning="tokens per accelerator per step, when stated", plausible=Plausible(1, 1e6, "tokens", ())),
        Column("node_output_tokens_per_s", required=False, positive=True, plausible=Plausible(1, 1e7, "tokens/s")),
        Column("user_tokens_per_s", required=False, positive=True, plausible=Plausible(0.1, 1e4, "tokens/s")),
        Column("published_layer_a2a_us", required=False, positive=True,
               meaning="the deployment's own all-to-all time per layer, when published (µs)", plausible=Plausible(0.1, 1e5, "µs")),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_ep_row_checks,),
))


@dataclass(frozen=True)
class EPDeployment:
    """One published expert-parallel deployment (``ep_deployments.csv``)."""

    name: str
    model: str
    hardware: str
    phase: str
    ep_degree: int | None
    gpus_per_node: int
    max_nodes_per_token: int | None
    experts_sent: int
    dispatch_bytes: float
    combine_bytes: float
    micro_batches: int
    tokens_per_gpu: float | None
    node_output_tokens_per_s: float | None
    user_tokens_per_s: float | None
    published_layer_a2a_s: float | None
    source: str

    @property
    def sends_per_token(self) -> float:
        """Copies of a token that cross the scale-out network per MoE layer: :func:`ep_sends_per_token`."""
        return float(ep_sends_per_token(self.experts_sent, self.ep_degree, self.gpus_per_node, self.max_nodes_per_token))

    @property
    def decode_batch_per_gpu(self) -> float | None:
        """Sequences decoding per accelerator, from the reported traffic: node tokens/s ÷ user tokens/s ÷ GPUs."""
        if self.node_output_tokens_per_s is None or self.user_tokens_per_s is None:
            return self.tokens_per_gpu
        return self.node_output_tokens_per_s / self.user_tokens_per_s / self.gpus_per_node


def load_ep_deployments(data_dir=None) -> list[EPDeployment]:
    """Rows of ``ep_deployments.csv`` (the book's own when the reader's directory lacks it)."""
    rows = read_table(EP_DEPLOYMENTS_SCHEMA, table_dir(EP_DEPLOYMENTS_SCHEMA.file, data_dir))
    return [EPDeployment(r["name"], r["model"], r["hardware"], r["phase"], r["ep_degree"], r["gpus_per_node"],
                         r["max_nodes_per_token"], r["experts_sent_per_token"], r["dispatch_bytes_per_element"],
                         r["combine_bytes_per_element"], r["micro_batches"], r["tokens_per_gpu"],
                         r["node_output_tokens_per_s"], r["user_tokens_per_s"],
                         None if r["published_layer_a2a_us"] is None else r["published_layer_a2a_us"] * 1e-6,
                         r["source"]) for r in rows]


def ep_sends_per_token(experts_sent: ArrayLike, ep_degree: int | None = None, gpus_per_node: int = 8,
                       max_nodes_per_token: int | None = None) -> np.ndarray:
    """Copies of one token's hidden vector that cross the scale-out network per MoE layer (each way).

    - node-limited routing, one send per node (DeepSeek's training and prefill kernels): the token reaches
      ``M = min(max_nodes, nodes)`` nodes, its own among them with probability M/nodes:
      ``M · (nodes − 1)/nodes`` sends, the rest forwarded inside each node over the scale-up link;
    - one send per expert (decode's low-latency kernels): ``k · (n − n_node)/n`` of the k experts live on
      other nodes;
    - ``ep_degree`` None: all k sends cross the network (the simplification of DeepSeek's own speed bound)."""
    k = np.asarray(experts_sent, dtype=float)
    _check_positive(experts_sent=k, gpus_per_node=gpus_per_node)
    if ep_degree is None:
        return k
    nodes = ep_degree / gpus_per_node
    if max_nodes_per_token is not None:
        return np.minimum(np.minimum(max_nodes_per_token, nodes), k) * (nodes - 1) / nodes
    return k * (ep_degree - gpus_per_node) / ep_degree


def ep_bytes_per_token(hidden_size: int, sends_per_token: ArrayLike, dispatch_bytes: float = 2.0,
                       combine_bytes: float = 2.0) -> np.ndarray:
    """Scale-out bytes one token costs per MoE layer, one direction: ``x_net = s_net · d · (b_d + b_c)``.
    With k (n − 1)/n sends and 2-byte activations both ways this is :func:`a2a_bytes_per_token`."""
    _check_positive(hidden_size=hidden_size, dispatch_bytes=dispatch_bytes, combine_bytes=combine_bytes)
    return np.asarray(sends_per_token, dtype=float) * hidden_size * (dispatch_bytes + combine_bytes)


def ep_layer_a2a_time_s(tokens_per_gpu: ArrayLike, bytes_per_token: ArrayLike, link_Bps: float) -> np.ndarray:
    """Dispatch + combine of one MoE layer for the tokens one accelerator owns: ``T · bytes / W_out``."""
    _check_positive(link_Bps=link_Bps)
    return np.asarray(tokens_per_gpu, dtype=float) * np.asarray(bytes_per_token, dtype=float) / link_Bps


def ep_comm_to_compute(bytes_per_token: ArrayLike, link_Bps: float, active_params_per_layer: float,
                       flops_per_s: float, training: bool = False) -> np.ndarray:
    """Scale-out all-to-all time ÷ arithmetic time per token per layer. Forward: ``(bytes / W_out) / (2 N_ℓ / F)``.
    Training doubles the communication (the backward pass sends the same shapes back) and triples the
    arithmetic (forward + backward = 6 N_ℓ), so it is ⅔ of the forward ratio."""
    _check_positive(link_Bps=link_Bps, active_params_per_layer=active_params_per_layer, flops_per_s=flops_per_s)
    comm = np.asarray(bytes_per_token, dtype=float) / link_Bps * (2.0 if training else 1.0)
    compute = (6.0 if training else 2.0) * active_params_per_layer / flops_per_s
    return comm / compute


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
    ``2 m`` reads per step, against 2 for one global batch. The count grows, but a training micro-batch holds at
    least one sequence of thousands of tokens, far above the ridge point, so each re-read hides under that
    micro-batch's arithmetic (:func:`microbatch_weight_time_share`): the reads cost time only below the ridge."""
    _check_positive(microbatches=microbatches)
    return 2.0 * np.asarray(microbatches, dtype=float)


def microbatch_arithmetic_intensity(tokens_per_microbatch: ArrayLike, bytes_per_weight: float = 2.0) -> np.ndarray:
    """FLOP per byte of weights read when a micro-batch of T tokens passes through a layer: ``2 T / b_w``
    (2 FLOP per weight per token, forward; the backward pass doubles both FLOP and reads of the same weights)."""
    _check_positive(tokens_per_microbatch=tokens_per_microbatch, bytes_per_weight=bytes_per_weight)
    return 2.0 * np.asarray(tokens_per_microbatch, dtype=float) / bytes_per_weight


def microbatch_weight_time_share(tokens_per_microbatch: ArrayLike, flops_per_s: float, hbm_Bps: float,
                                 bytes_per_weight: float = 2.0) -> np.ndarray:
    """Weight-read time ÷ arithmetic time for one micro-batch: ``(N b_w / W_hbm) / (2 N T / F) = ridge /
    intensity``. Below 1 the re-read hides under the micro-batch's own arithmetic; a whole training sequence
    (thousands of tokens) puts it far below 1."""
    _check_positive(flops_per_s=flops_per_s, hbm_Bps=hbm_Bps)
    return (flops_per_s / hbm_Bps) / microbatch_arithmetic_intensity(tokens_per_microbatch, bytes_per_weight)


#: Pipeline schedules the book compares (GPipe: Huang et al. 2019; 1F1B: Narayanan et al. 2021, PipeDream-Flush;
#: interleaved 1F1B: Narayanan et al. 2021; ZB-H1: Qi et al. 2024; DualPipe: DeepSeek-AI 2024).
PIPELINE_SCHEDULES: tuple[str, ...] = ("gpipe", "1f1b", "interleaved-1f1b", "zb-h1", "dualpipe")


def pipeline_bubble_time(schedule: str, stages: ArrayLike, forward_s: float = 1.0, backward_s: float = 2.0,
                         weight_grad_s: float = 1.0, virtual_stages: int = 2,
                         overlapped_fb_s: float | None = None) -> np.ndarray:
    """Idle time per device in one training step, in the units of the chunk times (DeepSeek-V3 table 2):

    GPipe, 1F1B ``(p − 1)(F + B)``; interleaved 1F1B ``(p − 1)(F + B)/v``; ZB-H1 ``(p − 1)(F + B − 2W)``;
    DualPipe ``(p/2 − 1)(F&B + B − 3W)``. F is a forward chunk, B a full backward chunk, W its weight-gradient
    part, F&B a forward and a backward chunk overlapped (default F + B: overlap hides communication, not
    arithmetic). Defaults F : B : W = 1 : 2 : 1."""
    p = np.asarray(stages, dtype=float)
    _check_positive(stages=p, forward_s=forward_s, backward_s=backward_s, virtual_stages=virtual_stages)
    if not 0 <= weight_grad_s <= backward_s:
        raise ValueError(f"weight_grad_s must be within [0, backward_s]; got {weight_grad_s!r}")
    f, b, w = forward_s, backward_s, weight_grad_s
    if schedule in ("gpipe", "1f1b"):
        return (p - 1) * (f + b)
    if schedule == "interleaved-1f1b":
        return (p - 1) * (f + b) / virtual_stages
    if schedule == "zb-h1":
        return (p - 1) * (f + b - 2 * w)
    if schedule == "dualpipe":
        if np.any(p % 2):
            raise ValueError(f"DualPipe needs an even number of stages; got {stages!r}")
        fb = f + b if overlapped_fb_s is None else overlapped_fb_s
        return np.maximum(p / 2 - 1, 0.0) * (fb + b - 3 * w)
    raise ValueError(f"unknown schedule {schedule!r}; expected one of {', '.join(PIPELINE_SCHEDULES)}")


def pipeline_bubble_fraction(schedule: str, stages: ArrayLike, microbatches: ArrayLike, **chunk_times) -> np.ndarray:
    """Idle fraction of a step: ``bubble / (m (F + B) + bubble)`` with :func:`pipeline_bubble_time`. For GPipe
    and 1F1B it is :func:`bubble_fraction`, ``(p − 1)/(m + p − 1)``; interleaving divides the bubble by v;
    ZB-H1 leaves a third of it at F = B/2 = W; DualPipe halves the stages that wait and overlaps the rest."""
    m = np.asarray(microbatches, dtype=float)
    _check_positive(microbatches=m)
    f, b = chunk_times.get("forward_s", 1.0), chunk_times.get("backward_s", 2.0)
    bubble = pipeline_bubble_time(schedule, stages, **chunk_times)
    return bubble / (m * (f + b) + bubble)


def pipeline_activation_microbatches(schedule: str, stages: int, microbatches: int) -> float:
    """Micro-batches whose activations the first stage holds at once: m for GPipe, p for 1F1B, interleaved 1F1B
    and ZB-H1, p + 1 for DualPipe (which also keeps 2× the parameters: DeepSeek-V3 table 2)."""
    _check_positive(stages=stages, microbatches=microbatches)
    if schedule == "gpipe":
        return float(microbatches)
    if schedule in ("1f1b", "interleaved-1f1b", "zb-h1"):
        return float(min(stages, microbatches))
    if schedule == "dualpipe":
        return float(stages + 1)
    raise ValueError(f"unknown schedule {schedule!r}; expected one of {', '.join(PIPELINE_SCHEDULES)}")


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
