"""Claims ``moe-in-a-rack``, ``scale-up-domains``, ``pipeline-not-wise``, ``memory-wall`` and ``revnets``
(chapter ``racks``): expert all-to-all over scale-up vs scale-out links, domain sizes and aggregate HBM,
pipelining's memory and latency, a rack's HBM against a trillion-parameter model, and recomputation."""

from __future__ import annotations

import statistics

import numpy as np

from .. import parallelism as par
from ..claims import FAILS, HOLDS, NOT_DERIVED, Entry, derives, entry
from ..data import Selection, table_dir
from ..roofline import optimal_batch
from ..units import bytes_per_element

CHAPTER = "chapters/racks"

#: The talk's rows: a Hopper server, a Blackwell rack, and a trillion-parameter model.
HOPPER = "H100 SXM"
BLACKWELL_RACK = "GB200 NVL72"
TRILLION_MODEL = "Kimi K2"
#: The Rubin-generation domain the talk's "500+" refers to (scale_up_domains.csv).
RUBIN_DOMAIN = "Rubin Ultra NVL576"
#: Pipeline depth at which the ledger checks the structural claims.
CHECK_STAGES = 4
CHECK_MICROBATCHES = 8
#: Per-hop fixed latency (s) a reader can change on the page; an assumption, not a measured figure.
DEFAULT_HOP_LATENCY_S = 20e-6
#: "Far more HBM than the weights need": the ledger reads it as at least this many times the weight bytes.
FAR_MORE = 5.0
ONE_TRILLION = 1e12


def ep_degree(hw, model) -> int:
    """Accelerators an expert layer is spread over: the scale-up domain, capped at the routed experts."""
    return int(min(hw.scale_up_domain_size, max(model.routed_experts, 1)))


def _table(loader, schema, sel: Selection):
    """A table of this chapter from the reader's data directory, else (when the file is absent there) from the
    book's own, with a note saying so. A malformed table is never replaced: its DataError propagates."""
    directory = table_dir(schema.file, sel.data_dir)
    note = "" if directory == sel.data_dir else " (table read from the book's own data/: the selected directory lacks it)"
    return loader(directory), note


@derives("moe-in-a-rack", CHAPTER)
def moe_in_a_rack(sel: Selection) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    cid = "moe-in-a-rack"
    out = [entry(cid, "scale-up ÷ scale-out bandwidth per accelerator", 8.0, hw.scale_up_to_out_ratio, "×",
                 inputs={"hardware": hw.name})]
    inputs = {"hardware": hw.name, "model": model.name, "precision": "bf16"}
    if not model.is_moe:
        for q in ("all-to-all ÷ compute time, scale-up link", "all-to-all ÷ compute time, scale-out link",
                  "scale-up domain HBM ÷ model weights (fp8)"):
            out.append(entry(cid, q, None, None, "×", inputs=inputs, verdict=NOT_DERIVED,
                             note=f"{model.name} is dense: no expert all-to-all"))
        return out
    n = ep_degree(hw, model)
    inputs["expert-parallel degree"] = n
    up = par.a2a_to_compute_ratio(hw, model, n, "scale_up")
    down = par.a2a_to_compute_ratio(hw, model, n, "scale_out")
    domain_capacity, _ = par.domain_totals(hw)
    fits = domain_capacity / model.weight_bytes("fp8")
    out += [
        entry(cid, "all-to-all ÷ compute time, scale-up link", None, up, "×", inputs=inputs,
              verdict=HOLDS if up < 1 else FAILS,
              note="structural: below 1 the all-to-all hides under the arithmetic at every batch"),
        entry(cid, "all-to-all ÷ compute time, scale-out link", None, down, "×", inputs=inputs,
              verdict=HOLDS if down > 1 else FAILS,
              note="structural: above 1 the same layer over the scale-out network becomes communication bound"),
        entry(cid, "scale-up domain HBM ÷ model weights (fp8)", None, fits, "×", inputs=inputs,
              verdict=HOLDS if fits >= 1 else FAILS,
              note="structural: ≥ 1 when one scale-up domain can hold every expert (KV cache not counted); "
                   "below 1 the expert layer must spill onto the scale-out network"),
    ]
    return out


@derives("scale-up-domains", CHAPTER)
def scale_up_domains(sel: Selection) -> list[Entry]:
    cid = "scale-up-domains"
    hopper, rack = sel.hardware_named(HOPPER), sel.hardware_named(BLACKWELL_RACK)
    domains, where = _table(par.load_scale_up_domains, par.SCALE_UP_DOMAINS_SCHEMA, sel)
    rubin = next((d for d in domains if d.name == RUBIN_DOMAIN), None)
    missing = [name for name, row in ((HOPPER, hopper), (BLACKWELL_RACK, rack)) if row is None]
    out: list[Entry] = []
    if missing:
        note = f"the data have no {', '.join(map(repr, missing))} row"
        for q, unit in (("Hopper scale-up domain (H100)", "accelerators"), ("Blackwell scale-up domain (GB200 NVL72)", "accelerators"),
                        ("aggregate HBM bandwidth, GB200 NVL72 domain ÷ H100 domain", "×")):
            out.append(entry(cid, q, None, None, unit, verdict=NOT_DERIVED, note=note))
    else:
        _, bw_h = par.domain_totals(hopper)
        _, bw_r = par.domain_totals(rack)
        out += [
            entry(cid, "Hopper scale-up domain (H100)", 8.0, hopper.scale_up_domain_size, "accelerators",
                  inputs={"hardware": HOPPER}),
            entry(cid, "Blackwell scale-up domain (GB200 NVL72)", 72.0, rack.scale_up_domain_size, "accelerators",
                  inputs={"hardware": BLACKWELL_RACK}),
            entry(cid, "aggregate HBM bandwidth, GB200 NVL72 domain ÷ H100 domain", 8.0, bw_r / bw_h, "×",
                  inputs={"hardware": f"{HOPPER}, {BLACKWELL_RACK}"},
                  note=f"domain size alone grew {rack.scale_up_domain_size / hopper.scale_up_domain_size:.0f}×; "
                       f"per-accelerator HBM bandwidth grew {rack.hbm_bandwidth_Bps / hopper.hbm_bandwidth_Bps:.1f}× too"),
        ]
        cap_h, _ = par.domain_totals(hopper)
        cap_r, _ = par.domain_totals(rack)
        tb = ONE_TRILLION * bytes_per_element("bf16")
        out += [
            entry(cid, "1T-parameter weights (bf16) ÷ H100 domain HBM", None, tb / cap_h, "×",
                  inputs={"hardware": HOPPER}, verdict=HOLDS if tb / cap_h > 1 else FAILS,
                  note="structural: above 1 a trillion-parameter model does not fit in a Hopper domain"),
            entry(cid, "1T-parameter weights (bf16) ÷ GB200 NVL72 domain HBM", None, tb / cap_r, "×",
                  inputs={"hardware": BLACKWELL_RACK}, verdict=HOLDS if tb / cap_r < 1 else FAILS,
                  note="structural: below 1 it fits in one Blackwell rack"),
        ]
    if rubin is None:
        out.append(entry(cid, "Rubin-generation domain, dies (Rubin Ultra NVL576)", 500.0, None, "dies",
                         verdict=NOT_DERIVED, note=f"scale_up_domains.csv has no {RUBIN_DOMAIN!r} row{where}"))
    else:
        out += [
            entry(cid, "Rubin-generation domain, dies (Rubin Ultra NVL576)", 500.0, rubin.dies, "dies",
                  inputs={"domain": rubin.name, "status": rubin.status},
                  note=f"'500+' read as ≥ 500 counted in dies, as NVIDIA counts from Rubin on; {rubin.year} roadmap{where}"),
            entry(cid, "Rubin-generation domain, packages (Rubin Ultra NVL576)", 500.0, rubin.packages, "packages",
                  inputs={"domain": rubin.name, "status": rubin.status},
                  note=f"counted in packages, the unit of '8' and '72', the domain is {rubin.packages}{where}"),
        ]
    return out


def hop_time_at_optimal_batch(hw, model, hop_latency_s: float = DEFAULT_HOP_LATENCY_S) -> tuple[float, float]:
    """(B*, t_hop) for a pipeline whose stages are whole scale-up domains joined by the scale-out network,
    each micro-batch at the optimal batch B* = (F / W_hbm) · (N_total / N_active)."""
    b_star = float(optimal_batch(hw.flops("bf16"), hw.hbm_bandwidth_Bps, model.sparsity))
    hop = float(par.pipeline_hop_time_s(b_star, model.hidden_size, hw.scale_out_bandwidth_Bps,
                                        hw.scale_up_domain_size, hop_latency_s))
    return b_star, hop


@derives("pipeline-not-wise", CHAPTER)
def pipeline_not_wise(sel: Selection) -> list[Entry]:
    cid = "pipeline-not-wise"
    hw, model = sel.hardware, sel.model
    p, m = CHECK_STAGES, CHECK_MICROBATCHES
    weights = model.weight_bytes("bf16")
    kv_seq = float(model.kv_cache_bytes(8192))
    w_ratio = float(par.pipeline_stage_weight_bytes(weights, p) / weights)
    kv_ratio = float(par.pipeline_stage_kv_bytes(1.0, kv_seq, p) / par.pipeline_stage_kv_bytes(1.0, kv_seq, 1))
    b_star, hop = hop_time_at_optimal_batch(hw, model)
    inputs = {"hardware": hw.name, "model": model.name, "stages": p}
    return [
        entry(cid, f"per-stage weight memory ÷ unpipelined, {p} stages", 1.0 / p, w_ratio, "×", inputs=inputs,
              rel_tol=1e-9, note="the claim's 'saves weight capacity': 1/p"),
        entry(cid, f"per-stage KV memory ÷ unpipelined, {p} stages", 1.0, kv_ratio, "×", inputs=inputs,
              rel_tol=1e-9, note="'nothing on KV': p micro-batches in flight, each stage holds 1/p of their layers"),
        entry(cid, "per-hop time in decode (micro-batch B*, scale-out link)", 1e-3, hop, "s",
              inputs={**inputs, "micro-batch B*": round(b_star), "fixed latency (assumed)": DEFAULT_HOP_LATENCY_S},
              note="'milliseconds per hop' read as 1 ms; t_hop = latency + B* d b_a / (n W_scale-out), with an "
                   "assumed 20 µs fixed latency"),
        entry(cid, f"training bubble, {p} stages and {m} micro-batches", None,
              float(par.bubble_fraction(p, m)), "of the step", inputs={"stages": p, "micro-batches": m},
              verdict=HOLDS, note="structural: (p − 1) / (m + p − 1) > 0 for any p > 1"),
    ]


@derives("memory-wall", CHAPTER)
def memory_wall(sel: Selection) -> list[Entry]:
    cid = "memory-wall"
    out: list[Entry] = []
    rack, big = sel.hardware_named(BLACKWELL_RACK), sel.model_named(TRILLION_MODEL)
    if rack is None or big is None:
        note = f"the data lack the {BLACKWELL_RACK!r} or {TRILLION_MODEL!r} row"
        out += [entry(cid, q, s, None, u, verdict=NOT_DERIVED, note=note)
                for q, s, u in (("rack HBM (GB200 NVL72 domain)", (10e12, 99e12), "B"),
                                ("trillion-parameter weights (Kimi K2, fp8)", 1e12, "B"),
                                ("rack HBM ÷ trillion-parameter weights", None, "×"))]
    else:
        capacity, _ = par.domain_totals(rack)
        weights = big.weight_bytes("fp8")
        out += [
            entry(cid, "rack HBM (GB200 NVL72 domain)", (10e12, 99e12), capacity, "B",
                  inputs={"hardware": BLACKWELL_RACK}, note="'tens of TB' read as 10–99 TB"),
            entry(cid, "trillion-parameter weights (Kimi K2, fp8)", 1e12, weights, "B",
                  inputs={"model": TRILLION_MODEL, "precision": "fp8"}),
            entry(cid, "rack HBM ÷ trillion-parameter weights", None, capacity / weights, "×",
                  inputs={"hardware": BLACKWELL_RACK, "model": TRILLION_MODEL},
                  verdict=HOLDS if capacity / weights >= FAR_MORE else FAILS,
                  note=f"structural: 'far more' read as ≥ {FAR_MORE:g}×"),
        ]
    shares, where = _table(par.load_memory_shares, par.MEMORY_CAPEX_SCHEMA, sel)
    component = [s.share for s in shares if s.scope == "component cost"]
    price = [s.share for s in shares if s.scope == "selling price"]
    for label, values, what in (("HBM share of accelerator manufacturing cost (median estimate)", component,
                                 "component cost"),
                                ("HBM share of accelerator selling price (median estimate)", price, "selling price")):
        if values:
            out.append(entry(cid, label, 50.0, 100 * statistics.median(values), "%",
                             inputs={"estimates": len(values)},
                             note=f"{what} estimates range {100 * min(values):.0f}–{100 * max(values):.0f}%; "
                                  f"analyst figures, not primary{where}"))
        else:
            out.append(entry(cid, label, 50.0, None, "%", verdict=NOT_DERIVED, note=f"no {what} rows{where}"))
    out.append(entry(cid, "memory share of hyperscaler capex", 50.0, None, "%", verdict=NOT_DERIVED,
                     note="no primary public figure was found; the two rows above bound it: memory is about half "
                          "of what an accelerator costs to make but well under a tenth of what a buyer pays for it"))
    return out


@derives("revnets", CHAPTER)
def revnets(sel: Selection) -> list[Entry]:
    cid = "revnets"
    model = sel.model
    stored = float(par.stored_activation_bytes_per_token(model.hidden_size, model.layers))
    reversible = float(par.reversible_activation_bytes_per_token(model.hidden_size))
    rev_rate = float(par.flops_per_byte_of_activation_saved(model.active_params, model.hidden_size, model.layers))
    kv_rate = float(par.flops_per_byte_of_kv_cache(model.active_params, model.kv_bytes_per_token()))
    inputs = {"model": model.name}
    return [
        entry(cid, "stored activations, reversible ÷ standard", None, reversible / stored, "×", inputs=inputs,
              verdict=HOLDS if reversible < stored else FAILS,
              note="structural: memory saved (below 1); 34·d bytes per token per layer for a standard layer"),
        entry(cid, "training compute added by recomputation", None, 100 * par.recompute_flops_overhead(), "%",
              inputs=inputs, verdict=HOLDS, note="structural: one extra forward pass, 2N on top of 6N"),
        entry(cid, "KV cache FLOPs saved per byte ÷ reversible FLOPs spent per byte", None, kv_rate / rev_rate, "×",
              inputs=inputs, verdict=HOLDS if np.isfinite(kv_rate / rev_rate) else FAILS,
              note="opposite trades: KV caching keeps bytes to avoid FLOPs, reversible layers spend FLOPs to drop bytes"),
    ]
