"""Claims ``moe-in-a-rack``, ``scale-up-domains``, ``pipeline-not-wise``, ``memory-wall`` and ``revnets``
(chapter ``racks``): expert all-to-all over scale-up vs scale-out links, domain sizes and aggregate HBM,
pipelining's memory and latency, a rack's HBM against a trillion-parameter model, and recomputation."""

from __future__ import annotations

import statistics

import numpy as np

from .. import parallelism as par
from ..claims import FAILS, HOLDS, NOT_DERIVED, Entry, derives, entry, judge
from ..data import Selection, table_dir
from ..roofline import pooled_optimal_batch
from ..units import bytes_per_element

CHAPTER = "chapters/racks"

# Ledger kinds (the integrator will add a `kind` field to Entry; until then each entry's note begins with its
# kind): "checked" = against a number the talk states; "scenario" = on assumptions the book chose (named in the
# note); "structural" = a shape that holds or not whatever the exact inputs.

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
#: The torus the issue's "bisection-limited all-to-all" is checked on (Google publishes its bisection).
TORUS_POD = "TPU Trillium"
#: DeepSeek's deployments (ep_deployments.csv) ran on H800s; until that row is in hardware.csv the H100 row
#: stands in (same FLOP/s, HBM and 50 GB/s InfiniBand per GPU; only NVLink differs, 200 vs 450 GB/s).
DEPLOYED_HARDWARE = "H800 SXM"
DEEPSEEK = "DeepSeek-V3"
EP_TRAINING, EP_DECODE, EP_BOUND = "DeepSeek-V3 training (EP64)", "DeepSeek-V3 decode (EP144)", "DeepSeek-V3 decode bound (Insights)"
#: DeepSeek's training GEMMs run in FP8 (DeepSeek-V3 section 3.3); its stated computation : communication ≈ 1 : 1.
DEEPSEEK_TRAINING_PRECISION = "fp8"
DEEPSEEK_STATED_RATIO = 1.0
#: Tensor-parallel cases (Llama 3.1 served at TP8 in one HGX node and at TP16 across two, or in one NVL72).
TP_SMALL, TP_LARGE = "Llama 3.1 70B", "Llama 3.1 405B"
#: The hardware.csv columns the racks verdicts read (for marking verdicts that rest on inferred values).
INFERRED_INPUTS = ("dense_bf16_TFLOPs", "dense_fp8_TFLOPs", "hbm_bandwidth_TBps", "hbm_capacity_GB",
                   "scale_up_bandwidth_GBps", "scale_out_bandwidth_GBps")
#: A communication term "matters" for the latency floor when it adds at least this share to the HBM floor.
TP_MATERIAL = 0.1
#: A training micro-batch holds at least one sequence: DeepSeek-V3 pre-trained at 4K tokens (section 4.2).
TRAINING_SEQUENCE_TOKENS = 4096
#: DeepSeek-V3 trained with 16-way pipeline parallelism (DeepSeek-V3 technical report, section 3.2).
DEEPSEEK_PIPELINE_STAGES = 16
#: The schedules the ledger compares at CHECK_STAGES and CHECK_MICROBATCHES.
SCHEDULE_LABELS = {"gpipe": "GPipe", "1f1b": "1F1B", "interleaved-1f1b": "interleaved 1F1B (v = 2)",
                   "zb-h1": "zero-bubble ZB-H1", "dualpipe": "DualPipe"}


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
    topo = topology(sel, hw)
    inputs["topology"] = topo.name
    up = par.a2a_to_compute_ratio(hw, model, n, "scale_up", topology=topo)
    down = par.a2a_to_compute_ratio(hw, model, n, "scale_out")
    domain_capacity, _ = par.domain_totals(hw)
    fits = domain_capacity / model.weight_bytes("fp8")
    share = par.a2a_effective_Bps(topo, n) / hw.scale_up_bandwidth_Bps
    out += [
        entry(cid, "all-to-all ÷ compute time, scale-up link", None, up, "×", inputs=inputs,
              verdict=HOLDS if up < 1 else FAILS,
              note="structural: below 1 the all-to-all hides under the arithmetic at every batch; the scale-up "
                   f"link runs a uniform all-to-all at {share:.0%} of its nominal per-chip bandwidth on this "
                   f"{topo.kind}" + (" (topology not in the data: switched assumed)" if topo.assumed else "")),
        entry(cid, "all-to-all ÷ compute time, scale-out link", None, down, "×", inputs=inputs,
              verdict=HOLDS if down > 1 else FAILS,
              note="scenario (bf16 both ways, one send per expert, every expert over the scale-out NIC): above 1 "
                   "the same layer over the scale-out network becomes communication bound"),
        entry(cid, "scale-up domain HBM ÷ model weights (fp8)", None, fits, "×", inputs=inputs,
              verdict=HOLDS if fits >= 1 else FAILS,
              note="structural: ≥ 1 when one scale-up domain can hold every expert (KV cache not counted); "
                   "below 1 the expert layer must spill onto the scale-out network"),
    ]
    out += torus_entries(sel)
    out += deployed_entries(sel)
    return out


def topology(sel: Selection, hw) -> par.Topology:
    """The scale-up topology of a hardware row (scale_up_domains.csv; switched assumed when absent)."""
    domains, _ = _table(par.load_scale_up_domains, par.SCALE_UP_DOMAINS_SCHEMA, sel)
    return par.topology_for(hw, domains)


def torus_entries(sel: Selection) -> list[Entry]:
    """The bisection limit on the one torus whose bisection its vendor publishes (TPU v6e)."""
    cid = "moe-in-a-rack"
    pod = sel.hardware_named(TORUS_POD)
    quantity = "uniform all-to-all bandwidth ÷ per-chip ICI, TPU v6e pod (256 chips, bisection-limited)"
    if pod is None:
        return [entry(cid, quantity, None, None, "×", verdict=NOT_DERIVED, note=f"the data have no {TORUS_POD!r} row")]
    topo = topology(sel, pod)
    share = par.a2a_effective_Bps(topo, topo.accelerators) / pod.scale_up_bandwidth_Bps
    return [entry(cid, quantity, None, share, "×", inputs={"hardware": pod.name, "topology": topo.name,
                                                            "bisection_B_per_s": par.bisection_Bps(topo)},
                  verdict=HOLDS if share < 1 else FAILS,
                  note="structural: a torus carries a uniform all-to-all at 4 (n − 1) W_bis / n² per chip, not at the "
                       f"chip's ICI bandwidth; before this page used topology, TPU verdicts were {1 / share:.0f}× optimistic")]


def deployment(sel: Selection, name: str):
    """(deployment row, hardware row, note) for one ep_deployments.csv row; the H100 row stands in for an H800
    the data lack, with a note. (None, None, note) when the table has no such row."""
    rows = {d.name: d for d in par.load_ep_deployments(sel.data_dir)}
    dep = rows.get(name)
    if dep is None:
        return None, None, f"ep_deployments.csv has no {name!r} row"
    hw = sel.hardware_named(dep.hardware)
    note = ""
    if hw is None:
        hw = sel.hardware_named(HOPPER)
        note = f" ({dep.hardware} not in hardware.csv: {HOPPER} stands in; same FLOP/s, HBM and 50 GB/s scale-out)"
    return dep, hw, note


def deployed_entries(sel: Selection) -> list[Entry]:
    """The scale-out verdict against DeepSeek's deployments: node-limited routing, FP8 dispatch / BF16 combine,
    two micro-batches overlapping communication with computation."""
    cid = "moe-in-a-rack"
    ds = sel.model_named(DEEPSEEK)
    train, hw_t, note_t = deployment(sel, EP_TRAINING)
    decode, hw_d, note_d = deployment(sel, EP_DECODE)
    bound, hw_b, note_b = deployment(sel, EP_BOUND)
    labels = ("scale-out bytes per token, DeepSeek-V3 training as deployed ÷ one bf16 send per expert",
              "communication ÷ computation, DeepSeek-V3 training as deployed (DeepSeek: ≈ 1 : 1)",
              "decode all-to-all per MoE layer, 32 tokens per GPU (DeepSeek's own bound: 120.96 µs)",
              "decode all-to-all ÷ time per output token, DeepSeek-V3 EP144 at its reported traffic")
    if ds is None or train is None or decode is None or bound is None or hw_t is None:
        return [entry(cid, q, None, None, "", verdict=NOT_DERIVED, note=f"the data lack {DEEPSEEK!r} or a deployment row")
                for q in labels]
    n_layer = ds.active_params / ds.layers
    naive = float(par.a2a_bytes_per_token(ds.hidden_size, ds.active_experts, train.ep_degree))
    deployed = float(par.ep_bytes_per_token(ds.hidden_size, train.sends_per_token, train.dispatch_bytes, train.combine_bytes))
    ratio = float(par.ep_comm_to_compute(deployed, hw_t.scale_out_bandwidth_Bps, n_layer,
                                         hw_t.flops(DEEPSEEK_TRAINING_PRECISION), training=True))
    per_layer = float(par.ep_layer_a2a_time_s(bound.tokens_per_gpu, par.ep_bytes_per_token(
        ds.hidden_size, bound.sends_per_token, bound.dispatch_bytes, bound.combine_bytes), hw_b.scale_out_bandwidth_Bps))
    batch = decode.decode_batch_per_gpu
    step_comm = ds.layers * float(par.ep_layer_a2a_time_s(batch, par.ep_bytes_per_token(
        ds.hidden_size, decode.sends_per_token, decode.dispatch_bytes, decode.combine_bytes), hw_d.scale_out_bandwidth_Bps))
    tpot = 1.0 / decode.user_tokens_per_s
    return [
        entry(cid, labels[0], None, deployed / naive, "×",
              inputs={"sends per token": round(train.sends_per_token, 2), "naive sends": ds.active_experts},
              verdict=HOLDS if deployed < naive else FAILS,
              note="structural: ≤ 4 nodes per token with one send per node, FP8 out and BF16 back, against 8 BF16 "
                   "sends out and back; below 1 the deployment cuts the scale-out traffic" + note_t),
        entry(cid, labels[1], None, ratio, "×",
              inputs={"hardware": hw_t.name, "precision": DEEPSEEK_TRAINING_PRECISION, "EP": train.ep_degree},
              verdict=judge(DEEPSEEK_STATED_RATIO, ratio),
              note="scenario, against DeepSeek's own figure (not the talk's): forward + backward all-to-all over "
                   "50 GB/s InfiniBand ÷ 6 N_ℓ at peak FP8; DualPipe overlaps it with another micro-batch's work. "
                   "Peak FLOP/s makes the arithmetic look shorter than it runs" + note_t),
        entry(cid, labels[2], None, per_layer, "s",
              inputs={"tokens per GPU": bound.tokens_per_gpu, "sends": bound.experts_sent, "d": ds.hidden_size},
              verdict=judge(bound.published_layer_a2a_s, per_layer),
              note="structural check against DeepSeek's published bound (d = 7,168 here, 7K in the paper): the same "
                   "formula; 2 micro-batches × 61 layers of it set a ~15 ms floor per output token over InfiniBand" + note_b),
        entry(cid, labels[3], None, step_comm / tpot, "×",
              inputs={"sequences per GPU": round(batch), "tokens/s per user": decode.user_tokens_per_s},
              verdict=HOLDS if step_comm < tpot else FAILS,
              note="structural: below 1 the decode all-to-all fits inside the reported time per token, so two "
                   "micro-batches can hide it; it is still communication bound against the expert arithmetic" + note_d),
    ]


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
    out += tensor_parallel_entries(sel)
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


def tp_step_comm(sel: Selection, hw, model, tp: int, batch: float) -> float:
    """Tensor-parallel all-reduce seconds per decode step (two per layer, latency included)."""
    return float(par.tp_comm_time_per_step_s(topology(sel, hw), tp, batch, model.hidden_size, model.layers,
                                             hw.scale_out_bandwidth_Bps))


def tensor_parallel_entries(sel: Selection) -> list[Entry]:
    """Dense models at TP8 and TP16: two all-reduces per layer, latency-bound at small batch, and whether the
    group fits one scale-up domain."""
    cid = "scale-up-domains"
    hopper, rack = sel.hardware_named(HOPPER), sel.hardware_named(BLACKWELL_RACK)
    small, large = sel.model_named(TP_SMALL), sel.model_named(TP_LARGE)
    labels = (f"TP all-reduce per token ÷ weight-read floor, {TP_SMALL} at TP8 on {HOPPER}, batch 1",
              f"share of that TP time that is per-collective latency, {TP_SMALL} at TP8, batch 1",
              f"TP16 all-reduce per step, {TP_LARGE} at batch 256: two HGX H100 nodes ÷ one GB200 NVL72")
    if None in (hopper, rack, small, large):
        return [entry(cid, q, None, None, "×", verdict=NOT_DERIVED, note="the data lack a Llama 3.1 or the H100/NVL72 row")
                for q in labels]
    comm = tp_step_comm(sel, hopper, small, 8, 1.0)
    floor = float(par.weight_read_time_s(small.total_params, 2.0, 8 * hopper.hbm_bandwidth_Bps))
    latency_only = 2 * small.layers * float(par.collective_latency_s(topology(sel, hopper), 8))
    two_nodes, one_rack = tp_step_comm(sel, hopper, large, 16, 256.0), tp_step_comm(sel, rack, large, 16, 256.0)
    return [
        entry(cid, labels[0], None, comm / floor, "×", inputs={"model": small.name, "hardware": hopper.name, "TP": 8},
              verdict=HOLDS if comm / floor > TP_MATERIAL else FAILS,
              note=f"scenario (NCCL's cost-model latency, {par.collective_latency_s(topology(sel, hopper), 8) * 1e6:.1f} µs "
                   f"per all-reduce, 2 per layer): above {TP_MATERIAL:g} the HBM floor alone understates a TP decode's "
                   "latency floor; custom one-shot all-reduce kernels run below NCCL's model"),
        entry(cid, labels[1], None, latency_only / comm, "×", inputs={"model": small.name, "TP": 8},
              verdict=HOLDS if latency_only / comm > 0.5 else FAILS,
              note="structural: above ½ the all-reduces are latency-bound, so faster links do not shorten them"),
        entry(cid, labels[2], None, two_nodes / one_rack, "×", inputs={"model": large.name, "TP": 16, "batch": 256},
              verdict=HOLDS if two_nodes > one_rack else FAILS,
              note="structural: above 1, a TP group that spills out of the scale-up domain pays the scale-out link "
                   "(hierarchical all-reduce over 50 GB/s InfiniBand) and the network latency"),
    ]


def hop_time_at_optimal_batch(hw, model, hop_latency_s: float = DEFAULT_HOP_LATENCY_S) -> tuple[float, float]:
    """(B*, t_hop) for a pipeline whose stages are whole scale-up domains joined by the scale-out network,
    each micro-batch at the refined step model's optimal batch B* (``lib.roofline.pooled_optimal_batch``:
    pooled compute = weight reads with experts touched, release formats)."""
    b_star = float(pooled_optimal_batch(hw, model))
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
              verdict=HOLDS, note="structural: (p − 1) / (m + p − 1) > 0 for any p > 1 (GPipe and 1F1B)"),
    ] + [
        entry(cid, f"training bubble, {p} stages and {m} micro-batches, {label}", None,
              float(par.pipeline_bubble_fraction(schedule, p, m)), "of the step",
              inputs={"stages": p, "micro-batches": m, "F : B : W": "1 : 2 : 1"},
              verdict=HOLDS if float(par.pipeline_bubble_fraction(schedule, p, m)) < float(par.bubble_fraction(p, m)) else FAILS,
              note="structural: below the GPipe/1F1B bubble; the bubble shrinks with the schedule but stays above 0 "
                   "unless the weight-gradient work fills it exactly")
        for schedule, label in SCHEDULE_LABELS.items() if schedule not in ("gpipe", "1f1b")
    ] + [microbatch_entry(sel)]


def microbatch_entry(sel: Selection) -> Entry:
    """The claim's 'micro-batches stop weight loads being amortised': a training micro-batch of one whole
    sequence is far above the ridge point, so re-reading the weights per micro-batch hides under its arithmetic."""
    hw = sel.hardware
    share = float(par.microbatch_weight_time_share(TRAINING_SEQUENCE_TOKENS, hw.flops("bf16"), hw.hbm_bandwidth_Bps))
    return entry("pipeline-not-wise",
                 f"weight-read ÷ compute time per training micro-batch (one {TRAINING_SEQUENCE_TOKENS:,}-token sequence)",
                 None, share, "×", inputs={"hardware": hw.name, "tokens per micro-batch": TRAINING_SEQUENCE_TOKENS},
                 verdict=HOLDS if share > 1 else FAILS,
                 note="structural: below 1 each micro-batch's weight re-read hides under its own arithmetic, so "
                      "micro-batching costs the bubble, not weight reads; the talk's mechanism would need "
                      "micro-batches below the ridge point (a few hundred tokens)")


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
