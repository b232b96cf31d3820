"""Claim ``train-20ms``: HBM capacity ÷ bandwidth ≈ 20 ms on every NVIDIA generation; a batch "train" leaves
every period T and the worst wait is ≈ 2T ≈ 40 ms; saturating a model needs only enough users to fill one train.

The train's seats come from the refined step model: the pooled optimal batch B* at a serving context, capped by
the sequences whose KV cache fits beside the weights on the book's one standard-mode replica (weights at half its
usable HBM, fp8 KV; :func:`lib.modes.standard_mode`, :func:`lib.batching.refined_seats`).
Requests that hold their seats (continuous batching, :mod:`lib.batching`) and seats that carry more than one
token per step (speculative decoding, :mod:`lib.speculative`) are checked against the same 2T.

Helpers used by the chapter live here too (the drain-time table across rows, the seats, the scenarios), so
that the ledger and the page compute the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from .. import batching, speculative
from ..claims import Assumption, Entry, derives, entry
from ..data import Selection
from ..hardware import Hardware
from ..queueing import log_linear_trend, simulate_train
from ..reality import load_deepseek_day
from ..roofline import optimal_batch, per_op_optimal_batch

CHAPTER = "chapters/train-20ms"
#: The talk's train period and worst case (seconds).
STATED_PERIOD_S = 20e-3
STATED_WORST_S = 40e-3
#: "Stable": the ledger reads it as the longest ÷ shortest NVIDIA drain time within 25% of 1.
STABLE_REL_TOL = 0.25
#: Loads at which the ledger simulates the queue: below capacity, and 5% over it.
LOAD_BELOW, LOAD_OVER = 0.9, 1.05
#: Simulation size for the ledger (trains departed, latencies sampled) and its seed.
SIM_TRAINS, SIM_SAMPLES, SIM_SEED = 2000, 20_000, 20

#: The high end of the serving context: OpenRouter's State of AI study (Dec 2025) as reported, programming
#: prompts averaging about 20,000 tokens (secondary reports of https://openrouter.ai/state-of-ai).
CONTEXT_HIGH_TOKENS = 20_000.0
CONTEXT_HIGH_SOURCE = ("high: programming prompts on OpenRouter average about 20,000 tokens (State of AI, Dec 2025, "
                       "https://openrouter.ai/state-of-ai, as reported; secondary)")

#: Continuous batching in the ledger: the trace, the load, the simulation size and seed. 16,000 requests put the
#: p50 and p99 of TTFT and TPOT within 3% of a 40,000-request run (29.9 against 29.0 ms, 105.8 against 105.7 ms)
#: at a third of the time; the chapter runs 81 of them.
CB_TRACE = "Azure 2023 conversation"
CB_LOAD = 0.8
CB_REQUESTS, CB_SEED = 16_000, 17
#: The token budget's plausible range (K_step tokens a step): vLLM's latency- and throughput-leaning settings.
CB_BUDGET_RANGE = (2048.0, 16384.0)


# --------------------------------------------------------------------------------------------------
# The drain time across rows


def vendor_rows(hardware: list[Hardware], vendor: str = "NVIDIA") -> list[Hardware]:
    """The rows of one vendor, in file order, one per distinct memory system (HBM capacity, bandwidth).

    The claim is about memory systems across generations: a variant with its parent's HBM (the H800, an export
    H100 with the same 80 GB at 3.35 TB/s) has the same drain time and is one data point, not two.
    """
    seen: set[tuple[float, float]] = set()
    rows = []
    for h in hardware:
        memory = (h.hbm_capacity_bytes, h.hbm_bandwidth_Bps)
        if h.vendor == vendor and memory not in seen:
            seen.add(memory)
            rows.append(h)
    return rows


def drain_times_s(hardware: list[Hardware]) -> np.ndarray:
    """T = C_hbm / W_hbm for each row (seconds)."""
    return np.array([h.hbm_drain_time_s for h in hardware])


# --------------------------------------------------------------------------------------------------
# Seats


def serving_context(sel: Selection) -> Assumption:
    """L, the context a seated sequence holds on average while it decodes: DeepSeek's reported mean KV length per
    output token (deepseek_day.csv), between the Azure 2023 conversation trace's L̄ and OpenRouter's coding
    prompts."""
    day = load_deepseek_day(sel.data_dir)
    low = batching.load_length_distributions(sel.data_dir)[CB_TRACE].time_averaged_context()
    value = day.mean_kv_tokens
    return Assumption("serving_context_tokens", value, min(low, value), max(CONTEXT_HIGH_TOKENS, value), "tokens",
                      f"DeepSeek's V3/R1 service, mean KV length per output token (deepseek_day.csv); low: the "
                      f"{CB_TRACE} trace's time-averaged context (request_lengths.csv); {CONTEXT_HIGH_SOURCE}")


def seats_at(sel: Selection, context_tokens: float | None = None) -> batching.Seats:
    """The train's seats on the selected rows at context L (default: :func:`serving_context`)."""
    context = serving_context(sel).value if context_tokens is None else context_tokens
    return batching.refined_seats(sel.hardware, sel.model, context)


def train_seats(sel: Selection) -> int:
    """Seats on the ledger's train: min(pooled B*, capacity) at the serving context, at least 1."""
    return seats_at(sel).seats


def blackboard_seats(sel: Selection) -> int:
    """The first edition's seats: the blackboard B* (bf16, every weight read, no KV), at least 1."""
    b_star = float(optimal_batch(sel.hardware.flops("bf16"), sel.hardware.hbm_bandwidth_Bps, sel.model.sparsity))
    return max(1, int(round(b_star)))


def step_at_seats_s(sel: Selection, context_tokens: float) -> float:
    """The refined decode step of the train's seats at context L on their replica (seconds)."""
    from ..roofline import decode_step

    s = seats_at(sel, context_tokens)
    return float(decode_step(sel.hardware, sel.model, s.seats, context_tokens, s.precisions, chips=s.chips).step_s)


def saturating_streams(sel: Selection, context_tokens: float, duty: float = 1.0) -> float:
    """U = B*(L) / δ (eq. tr-users with the refined B*): the concurrent users, each decoding a share δ of the
    time, that bring one replica to its optimal batch; ``inf`` where KV reads keep every batch memory bound."""
    if not 0.0 < duty <= 1.0:
        raise ValueError(f"the decoding share δ must lie in (0, 1]; got {duty}")
    return seats_at(sel, context_tokens).optimal_batch / duty


# --------------------------------------------------------------------------------------------------
# Continuous batching and speculation, as the ledger runs them


def cb_run(sel: Selection, load: float = CB_LOAD, token_budget: float = batching.DEFAULT_TOKEN_BUDGET,
           prompt_scale: float = 1.0, trace: str = CB_TRACE) -> tuple[batching.Replica, batching.BatchingRun]:
    """The ledger's continuous-batching run: ``trace`` shapes, the standard-mode replica, load ρ, seeded. The
    chapter's grid (:func:`batching_grid`) runs the same requests and seed, so its row at ρ = 0.8 is this run."""
    lengths = batching.load_length_distributions(sel.data_dir)[trace]
    rep = batching.replica(sel.hardware, sel.model, lengths, prompt_scale, token_budget=token_budget)
    return rep, batching.simulate_load(rep, lengths, load, CB_REQUESTS, CB_SEED, prompt_scale)


def mtp_acceptance() -> Assumption:
    low, high = speculative.DEEPSEEK_MTP_ACCEPTANCE
    return Assumption("mtp_acceptance", 0.5 * (low + high), low, high, "fraction",
                      "DeepSeek-V3 technical report (arXiv:2412.19437), §5.4.3: the second token is accepted 85–90% "
                      "of the time")


def draft_cost() -> Assumption:
    return Assumption("draft_cost_fraction", speculative.MTP_DRAFT_COST_FRACTION, 0.0, 0.1, "fraction of a step",
                      "one MTP block against DeepSeek-V3's 61 layers (1/61); low: a free draft; high: a separate "
                      "draft model at a tenth of a step (the book's assumption)")


# --------------------------------------------------------------------------------------------------
# The ledger


@derives("train-20ms", CHAPTER)
def drain_time(sel: Selection) -> list[Entry]:
    hw = sel.hardware
    period = hw.hbm_drain_time_s
    inputs = {"hardware": hw.name}
    out = [
        entry("train-20ms", "HBM drain time C_hbm / W_hbm", STATED_PERIOD_S, period, "s", inputs=inputs),
        entry("train-20ms", "worst-case wait, two periods", STATED_WORST_S, 2 * period, "s", inputs=inputs,
              note="closed form 2T: wait up to T for the next train, ride T; true only while no train is full"),
    ]
    nvidia = vendor_rows(sel.all_hardware())
    if len(nvidia) >= 2:
        times = drain_times_s(nvidia)
        names = [h.name for h in nvidia]
        growth, _ = log_linear_trend([h.year for h in nvidia], times)
        spread_inputs = {"rows": names, "shortest": names[int(times.argmin())], "longest": names[int(times.argmax())],
                         "trend_per_year": round(growth, 4)}
        out += [
            entry("train-20ms", "median NVIDIA drain time", STATED_PERIOD_S, float(np.median(times)), "s",
                  inputs=spread_inputs),
            entry("train-20ms", "NVIDIA drain-time spread, longest ÷ shortest", 1.0,
                  float(times.max() / times.min()), "×", inputs=spread_inputs, rel_tol=STABLE_REL_TOL,
                  note="'stable across generations' read as longest ÷ shortest within 25% of 1"),
        ]
    else:
        note = "the data have fewer than two NVIDIA rows"
        out += [entry("train-20ms", "median NVIDIA drain time", STATED_PERIOD_S, None, "s", note=note),
                entry("train-20ms", "NVIDIA drain-time spread, longest ÷ shortest", 1.0, None, "×", note=note)]

    context = serving_context(sel)
    s = seats_at(sel, context.value)
    seats = s.seats

    def seats_for(serving_context_tokens: float) -> float:
        return float(seats_at(sel, serving_context_tokens).seats)

    def step_for(serving_context_tokens: float) -> float:
        return step_at_seats_s(sel, serving_context_tokens)

    seat_inputs = {"hardware": hw.name, "model": sel.model.name, "context_tokens": round(context.value),
                   "chips": s.chips, "pooled_B_star": round(s.optimal_batch, 1) if math.isfinite(s.optimal_batch)
                   else None, "capacity": s.capacity, "blackboard_B_star": blackboard_seats(sel),
                   "chips_to_seat_B_star": s.chips_for_optimal if math.isfinite(s.chips_for_optimal) else None}
    out.append(entry("train-20ms", "seats on the train, min(B*, capacity) (refined)", None, float(seats), "sequences",
                     kind="scenario", assumptions=[context], recompute=seats_for, inputs=seat_inputs,
                     note=("capacity binds: the replica's HBM holds fewer sequences than B*" if s.capacity_bound else
                           "B* binds: the replica holds more sequences than B*")
                     + f"; the blackboard's B* was {blackboard_seats(sel):,}"))
    out.append(entry("train-20ms", "decode step at the train's seats (refined)", STATED_PERIOD_S,
                     step_at_seats_s(sel, context.value), "s", assumptions=[context], recompute=step_for,
                     inputs=seat_inputs, note="per-operation step of the refined model on the standard-mode replica"))

    q_inputs = {"hardware": hw.name, "model": sel.model.name, "seats_B": seats, "period_s": period,
                "trains": SIM_TRAINS, "samples": SIM_SAMPLES, "seed": SIM_SEED}
    for load, label in ((LOAD_BELOW, "below"), (LOAD_OVER, "over")):
        rate = load * seats / period
        run = simulate_train(rate, seats, period, trains=SIM_TRAINS, samples=SIM_SAMPLES, seed=SIM_SEED)
        out.append(entry("train-20ms", f"simulated worst-case latency, load {load:g} (refined seats)", STATED_WORST_S,
                         run.worst_s, "s", inputs={**q_inputs, "load": load, "rate_per_s": rate},
                         note=("the talk's train (period T = C/W) with the refined seats; Poisson arrivals, FIFO; "
                               "the worst of a random sample of requests"
                               + (f" over {SIM_TRAINS:,} trains: past capacity the queue grows without bound"
                                  if label == "over" else ""))))
    black = blackboard_seats(sel)

    def streams_ratio(serving_context_tokens: float) -> float:
        return saturating_streams(sel, serving_context_tokens) / black

    def reach(serving_context_tokens: float) -> float:
        s_ = seats_at(sel, serving_context_tokens)
        return s_.optimal_batch / s_.capacity if s_.capacity > 0 else math.inf

    out.append(entry("train-20ms", "streams that saturate one replica, refined B* ÷ blackboard B*", None,
                     streams_ratio(context.value), "×", kind="scenario", assumptions=[context],
                     recompute=streams_ratio, inputs=seat_inputs,
                     note=(f"U = B*/δ for both models (δ cancels): {saturating_streams(sel, context.value):,.0f} "
                           f"against the blackboard's {black:,} decoding streams; below 1 the refined model needs "
                           "fewer users to saturate a replica than the talk's arithmetic") if math.isfinite(
                         s.optimal_batch) else "the refined B* is unbounded: KV reads keep every batch memory bound"))
    out.append(entry("train-20ms", "one replica can be saturated: refined B* ÷ the replica's capacity", None,
                     reach(context.value), "×", kind="structural", holds_if=lambda v: v <= 1.0,
                     assumptions=[context], recompute=reach, inputs=seat_inputs,
                     note="'saturating needs only enough users to fill one train' needs a finite B* that the "
                          "standard-mode replica can seat (≤ 1); above 1 no number of users saturates it"))
    out += _continuous_batching_entries(sel)
    out += _speculative_entries(sel, context, s)
    return out


def _continuous_batching_entries(sel: Selection) -> list[Entry]:
    runs: dict[float, batching.BatchingRun] = {}

    def run_for(budget: float) -> batching.BatchingRun:
        if budget not in runs:
            runs[budget] = cb_run(sel, token_budget=budget)[1]
        return runs[budget]

    rep, run = cb_run(sel)
    runs[batching.DEFAULT_TOKEN_BUDGET] = run
    budget = Assumption("token_budget", float(batching.DEFAULT_TOKEN_BUDGET), *CB_BUDGET_RANGE, "tokens per step",
                        "the book's assumption: prompt tokens share each step with the decodes up to K_step tokens "
                        "(vLLM's max_num_batched_tokens; no fixed default)")
    inputs = {"hardware": sel.hardware.name, "model": sel.model.name, "trace": CB_TRACE, "load": CB_LOAD,
              "seats": rep.seats.seats, "context_tokens": round(rep.context_tokens), "chips": rep.seats.chips,
              "rate_per_s": round(rep.rate_for_load(CB_LOAD), 2), "requests": CB_REQUESTS, "seed": CB_SEED,
              "policy": "decode first, chunked prefill within the token budget"}
    out = []
    for quantity, metric, q, stated in (("TTFT p50", "ttft", 0.5, STATED_WORST_S),
                                        ("TTFT p99", "ttft", 0.99, STATED_WORST_S),
                                        ("TPOT p50", "tpot", 0.5, STATED_PERIOD_S)):
        def recompute(token_budget: float, metric=metric, q=q) -> float:
            return float(run_for(token_budget).quantile_s(metric, q))
        out.append(entry("train-20ms", f"continuous batching: {quantity}, load {CB_LOAD:g}", stated,
                         float(run.quantile_s(metric, q)), "s", assumptions=[budget], recompute=recompute,
                         inputs=inputs,
                         note=("time to first token against the talk's worst wait 2T ≈ 40 ms" if metric == "ttft"
                               else "time per output token against the talk's period T ≈ 20 ms")))
    return out


def mtp_optimal_batch_ratio(sel: Selection, context_tokens: float,
                            draft_tokens: int = speculative.DEEPSEEK_MTP_DRAFT_TOKENS) -> float | None:
    """B* in sequences with k draft tokens ÷ B* without, at context L (None where either is unbounded)."""
    s = batching.refined_seats(sel.hardware, sel.model, context_tokens)
    mtp = speculative.optimal_batch_sequences(sel.hardware, sel.model, context_tokens, draft_tokens, s.precisions)
    plain = s.optimal_batch
    return mtp / plain if math.isfinite(plain) and math.isfinite(mtp) else None


def speculative_seats(s: batching.Seats, hardware: Hardware, model) -> int:
    """The train's seats with a one-block draft module in HBM: min(B, capacity with the draft's weights), ≥ 1."""
    cap = float(speculative.capacity_with_draft(hardware, model, s.chips, s.context_tokens, s.precisions))
    return max(1, int(min(s.seats, cap)))


def _speculative_entries(sel: Selection, context: Assumption, s: batching.Seats) -> list[Entry]:
    hw, model = sel.hardware, sel.model
    context_tokens = context.value
    a, delta = mtp_acceptance(), draft_cost()
    k = speculative.DEEPSEEK_MTP_DRAFT_TOKENS
    batch = speculative_seats(s, hw, model)

    def at_seats(mtp_acceptance: float = a.value, draft_cost_fraction: float = delta.value):
        return speculative.speculative_step(hw, model, batch, context_tokens, k, mtp_acceptance,
                                            draft_cost_fraction, s.precisions, chips=s.chips)

    inputs = {"hardware": hw.name, "model": model.name, "batch": batch, "context_tokens": round(context_tokens),
              "draft_tokens": k, "chips": s.chips,
              "draft_params": round(speculative.draft_module_params(model) / 1e9, 2)}
    here = at_seats()
    big = 2.0 * per_op_optimal_batch(hw, model, s.precisions)
    dense = speculative.speculative_step(hw, model, big, 0.0, k, a.value, delta.value, s.precisions, chips=s.chips)
    ratio_b = mtp_optimal_batch_ratio(sel, context_tokens)
    return [
        entry("train-20ms", "MTP tokens per step per sequence (γ = 1)", None,
              float(speculative.expected_tokens_per_step(a.value, k)), "tokens", kind="scenario", assumptions=[a],
              recompute=lambda mtp_acceptance: float(speculative.expected_tokens_per_step(mtp_acceptance, k)),
              inputs={"draft_tokens": k}, note="μ = (1 − α_acc^(γ+1)) / (1 − α_acc)"),
        entry("train-20ms", "MTP per-user speed-up at the train's seats", None, float(here.speedup), "×",
              kind="scenario", assumptions=[a, delta], inputs=inputs,
              recompute=lambda **kw: float(at_seats(**kw).speedup),
              note=(f"DeepSeek reports {speculative.DEEPSEEK_MTP_REPORTED_SPEEDUP:g}× TPS "
                    "(batch and hardware not stated)")),
        entry("train-20ms", "MTP pays at the train's seats: cost per token ÷ plain", None, float(here.cost_ratio),
              "×", kind="structural", holds_if=lambda v: v < 1.0, assumptions=[a, delta], inputs=inputs,
              recompute=lambda **kw: float(at_seats(**kw).cost_ratio),
              note=("below 1: speculation lowers the cost per token at the train's seats (the draft module's "
                    "weights in HBM); 1 or above: the step there is compute bound enough that verifying "
                    "rejected drafts costs more than the shared reads save")),
        entry("train-20ms", "MTP cost ÷ plain once every weight operation is compute bound", None,
              float(dense.cost_ratio), "×", kind="scenario", assumptions=[a, delta],
              recompute=lambda mtp_acceptance=a.value, draft_cost_fraction=delta.value: float(
                  speculative.speculative_step(hw, model, big, 0.0, k, mtp_acceptance, draft_cost_fraction,
                                               s.precisions, chips=s.chips).cost_ratio),
              inputs={**inputs, "batch": round(big), "context_tokens": 0},
              note=("an identity of the step model, not a test: at context 0 and twice the per-operation B* every "
                    "operation is compute bound, so the ratio is (γ+1+γ·c_draft)/μ on every accelerator; "
                    "≥ 1 for every α_acc < 1")),
        entry("train-20ms", "optimal batch in sequences with MTP ÷ without", None, ratio_b, "×", kind="scenario",
              assumptions=[context], recompute=lambda serving_context_tokens: mtp_optimal_batch_ratio(
                  sel, serving_context_tokens), inputs=inputs,
              note=("each sequence brings k + 1 query tokens to the weights and k + 1 queries to its KV cache"
                    if ratio_b is not None else "B* is unbounded here: KV reads keep every batch memory bound")),
    ]


# --------------------------------------------------------------------------------------------------
# Tables and grids the chapter shows


#: The traffic scenarios the chapter simulates: label → (trace, prompt scale).
SCENARIOS: dict[str, tuple[str, float]] = {
    "conversation (Azure 2023)": (CB_TRACE, 1.0),
    "conversation, prompts × 4": (CB_TRACE, 4.0),
    "code (Azure 2023)": ("Azure 2023 code", 1.0),
}
#: The scheduling policies: label → the step's token budget K_step.
POLICIES: dict[str, float] = {
    "chunked prefill, 8,192 tokens a step": 8192.0,
    "chunked prefill, 2,048 tokens a step": 2048.0,
    "whole prompts": batching.WHOLE_PROMPTS,
}


def seat_rows(sel: Selection, contexts: dict[str, float]) -> list[dict]:
    """For each named context: the blackboard B*, the refined pooled B*, the capacity of the standard-mode replica,
    the seats, which binds, the accelerators that would seat B*, and the refined step at the seats (÷ T)."""
    from ..roofline import decode_step

    rows = []
    for label, context in contexts.items():
        s = seats_at(sel, context)
        step = float(decode_step(sel.hardware, sel.model, s.seats, context, s.precisions, chips=s.chips).step_s)
        rows.append({"label": label, "context": context, "blackboard": blackboard_seats(sel),
                     "b_star": s.optimal_batch, "chips": s.chips, "capacity": s.capacity, "seats": s.seats,
                     "binds": "capacity" if s.capacity_bound else "B*", "chips_for_b_star": s.chips_for_optimal,
                     "step_s": step, "step_over_T": step / sel.hardware.hbm_drain_time_s})
    return rows


def batching_grid(sel: Selection, loads: np.ndarray, requests: int = CB_REQUESTS,
                  seed: int = CB_SEED) -> tuple[list[dict], list[dict]]:
    """Simulate every scenario × policy at arrival rates λ = load × λ_max of the scenario's default policy
    (8,192 tokens a step). Returns (summaries, capacities): per run the scenario, policy, rate, load against its own
    policy's capacity, p50 and p99 of TTFT and TPOT (seconds), the longest step, the mean decoding sequences and
    prompt tokens per step, and the replica's figures; per scenario and policy the capacity λ_max.

    Every run draws the same requests (one seed, common random numbers), so loads differ only in the arrival
    rate, and the conversation row at ρ = 0.8 with 8,192 tokens a step is the ledger's run (:func:`cb_run`)."""
    distributions = batching.load_length_distributions(sel.data_dir)
    summaries, capacities = [], []
    for scenario, (trace, scale) in SCENARIOS.items():
        lengths = distributions[trace]
        reference = batching.replica(sel.hardware, sel.model, lengths, scale)
        for policy, budget in POLICIES.items():
            rep = batching.replica(sel.hardware, sel.model, lengths, scale, token_budget=budget)
            capacities.append({"scenario": scenario, "policy": policy, "rate": round(rep.capacity_rate_per_s, 3)})
            for load in loads:
                rate = float(load) * reference.capacity_rate_per_s
                own = rate / rep.capacity_rate_per_s
                run = batching.simulate_load(rep, lengths, own, requests, seed, scale)
                ttft = run.quantile_s("ttft", [0.5, 0.99])
                tpot = run.quantile_s("tpot", [0.5, 0.99])
                wait = run.quantile_s("seat_wait", 0.99)
                prefill = run.quantile_s("prefill", 0.99)
                summaries.append({"scenario": scenario, "policy": policy, "rate": rate, "load": own,
                                  "reference_load": float(load), "ttft_p50": float(ttft[0]),
                                  "ttft_p99": float(ttft[1]), "tpot_p50": float(tpot[0]), "tpot_p99": float(tpot[1]),
                                  "seat_wait_p99": float(wait), "prefill_p99": float(prefill),
                                  "max_step_s": run.max_step_s, "seats": rep.seats.seats,
                                  "mean_decoding": float(run.step_decoding.mean()),
                                  "mean_prefill_tokens": float(run.step_prefill_tokens.mean()),
                                  "mean_step_s": float(run.step_s.mean()),
                                  "context": rep.context_tokens, "budget_bound": rep.budget_bound,
                                  "capacity_bound": rep.seats.capacity_bound,
                                  "mean_prompt": rep.mean_prompt_tokens, "mean_output": rep.mean_output_tokens})
    return summaries, capacities


def speculative_rows(sel: Selection, context_tokens: float, drafts=(0, 1, 2, 3)) -> list[dict]:
    """For each draft length γ at the train's seats and context (α_acc = the MTP midpoint, c_draft = 1/61): tokens per
    step, B* in sequences, attention intensity, the step, per-user speed-up and cost ratio there, and the cost
    ratio of a compute-bound step (context 0, twice the per-operation B*). With γ ≥ 1 the draft module's weights
    share HBM (:func:`speculative_seats`); the plain step it is compared with runs the same batch."""
    from ..roofline import decode_step

    hw, model = sel.hardware, sel.model
    s = seats_at(sel, context_tokens)
    a = mtp_acceptance().value
    big = 2.0 * per_op_optimal_batch(hw, model, s.precisions)
    with_draft = speculative_seats(s, hw, model)
    rows = []
    for k in drafts:
        b = s.seats if k == 0 else with_draft
        here = speculative.speculative_step(hw, model, b, context_tokens, k, a, precision=s.precisions, chips=s.chips)
        dense = speculative.speculative_step(hw, model, big, 0.0, k, a, precision=s.precisions, chips=s.chips)
        core = decode_step(hw, model, b, context_tokens, s.precisions, chips=s.chips,
                           query_tokens_per_sequence=k + 1).operations["attention_core"]
        rows.append({"k": k, "tokens_per_step": float(here.tokens_per_sequence),
                     "b_star_sequences": speculative.optimal_batch_sequences(hw, model, context_tokens, k,
                                                                             s.precisions),
                     "attention_flop_per_byte": float(core.intensity_flop_per_byte), "step_s": float(here.step_s),
                     "speedup": float(here.speedup), "cost_ratio": float(here.cost_ratio),
                     "cost_ratio_compute_bound": float(dense.cost_ratio), "batch": b, "big_batch": big,
                     "attention_ridge_flop_per_byte": float(core.flops_per_s / hw.hbm_bandwidth_Bps)})
    return rows
