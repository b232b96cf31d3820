"""The calculator page (``calculator.md``): the reader's accelerator and model through the step model, live.

The page computes in the reader's browser, with no kernel and no network, through ``lib/calculator.js``: a
port of :mod:`lib.roofline` (the decode and prefill step per operation, pooled and per-operation times, the
capacity budget, chips to fit, max batch, pooled and per-operation B*), of the lines of :mod:`lib.models`,
:mod:`lib.hardware` and :mod:`lib.power` those need, and of :func:`max_batch_at_user_speed` below. It is the only
other implementation of those equations, and it is held to this one: the browser test
(``tests/test_calculator_page.py``) types a grid of hardware × model × context × batch × precision cases into the
page and compares every value shown with :func:`displayed_values`, computed here through ``lib``.

This module gives the page what it starts from and says what it must show:

- :func:`payload`: the rows of ``hardware.csv`` and ``models.csv`` of the data directory the book is built on
  (so ``BOOK_DATA_DIR`` works), the accelerator-hour prices of ``accelerator_costs.csv``, the form's fields with
  their validation rules (the data schemas' own), and lib's constants (bytes per element, native compute
  formats, the HBM reserve, the bisection's bounds): no number is typed twice;
- :func:`page_html`: the form, the outputs, the chart, the payload and the port, as one block of HTML;
- :func:`displayed_values`: every value the page shows for one configuration, by the key of its output;
- :func:`max_batch_at_user_speed`: the largest batch that keeps a per-user decode speed.
"""

from __future__ import annotations

import csv
import html
import inspect
import json
import math
from dataclasses import dataclass
from pathlib import Path

from . import roofline
from .data import HARDWARE_SCHEMA, MODELS_SCHEMA, Column, Selection, read_table, resolve_data_dir, table_dir
from .hardware import Hardware
from .models import ATTENTION_TYPES, GATED_FFN_MATRICES, INDEX_KEY_FORMAT, INDEX_KEY_SCALE_BYTES, Model
from .power import SECONDS_PER_HOUR, accelerator_cost_per_token_usd, load_prices
from .roofline import CONTEXT_OPERATIONS, HBM_RESERVE_FRACTION, OPERATIONS, Precisions
from .units import BYTES_PER_ELEMENT, COMPUTE_PRECISIONS, WEIGHT_FORMATS, native_compute_format

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "calculator.js"
STYLE = HERE / "calculator.css"

#: What the page shows where a point does not fit the replica's HBM (eq. capacity): never a number.
DOES_NOT_FIT = "does not fit"
#: What the page shows for an operation the model does not have (a dense model's experts).
ABSENT = "—"
#: What the page says of a replica larger than one scale-up domain.
BEYOND_DOMAIN = "no: communication between domains is not in this bound"
#: lib's bound names as the page words them.
BOUND_WORDS = {"compute": "compute", "memory": "HBM bandwidth"}
#: Tokens in a million, for prices per million tokens (display unit only).
MILLION = 1e6
#: The operations that read weights (each has a B* of its own); the others read the KV cache.
WEIGHT_OPERATIONS: tuple[str, ...] = tuple(name for name in OPERATIONS if name not in CONTEXT_OPERATIONS)


# --------------------------------------------------------------------------------------------------
# The one search the page adds to lib.roofline


def max_batch_at_user_speed(hardware: Hardware, model: Model, context: float, user_tokens_per_s: float,
                            precision: str | Precisions | None = None, kv_precision: str | None = None,
                            chips: int = 1, reserve_fraction: float = HBM_RESERVE_FRACTION,
                            limit: int = 2 ** 30) -> int:
    """The largest batch B (sequences) whose decode step keeps every sequence at or above a speed v (tokens/s),

        t_step(B) ≤ 1 / v,                                                     (eq. speed-target)

    among the batches that fit the replica (eq. capacity); 0 when none does (one sequence is already slower,
    or does not fit). The step time never decreases with B (each operation's FLOPs grow with the batch, its
    bytes never shrink), so a bisection over the integers 1 … min(max batch, ``limit``) finds it.
    """
    if not user_tokens_per_s > 0:
        raise ValueError(f"a per-user speed must be positive; got {user_tokens_per_s}")
    p = roofline.as_precisions(model, precision, kv_precision)
    budget_s = 1.0 / user_tokens_per_s

    def keeps_speed(batch: int) -> bool:
        step = roofline.decode_step(hardware, model, batch, context, p, chips=chips, reserve_fraction=reserve_fraction)
        return float(step.step_s) <= budget_s

    first = roofline.decode_step(hardware, model, 1, context, p, chips=chips, reserve_fraction=reserve_fraction)
    high = min(float(first.max_batch), float(limit))
    if high < 1 or not keeps_speed(1):
        return 0
    low, high = 1, int(high)
    if keeps_speed(high):
        return high
    while high - low > 1:
        middle = (low + high) // 2
        if keeps_speed(middle):
            low = middle
        else:
            high = middle
    return low


def usd_per_million_tokens(usd_per_accelerator_hour: float, tokens_per_s_per_chip: float) -> float:
    """The accelerator's price spread over its tokens (:func:`lib.power.accelerator_cost_per_token_usd`),
    per million tokens."""
    return float(accelerator_cost_per_token_usd(usd_per_accelerator_hour, tokens_per_s_per_chip)) * MILLION


# --------------------------------------------------------------------------------------------------
# What the reader sets, and what the page shows


@dataclass(frozen=True)
class Scenario:
    """Everything the reader sets besides the accelerator, the model and the precisions.

    ``chips`` None is the page's "auto": the fewest accelerators that hold the weights and this batch's KV
    cache (:func:`lib.roofline.chips_to_fit`). Prefill is of one prompt served alone (its time is the time to
    first token) on the same replica. ``usd_per_accelerator_hour`` None is the page's default: the lowest offer
    for the accelerator in ``accelerator_costs.csv`` (else the lowest in the table).
    """

    context_tokens: int = 8192
    batch: int = 64
    chips: int | None = None
    prompt_tokens: int = 8192
    cached_tokens: int = 0
    usd_per_accelerator_hour: float | None = None
    user_tokens_per_s: float = 50.0


def replica_chips(hardware: Hardware, model: Model, precisions: Precisions, scenario: Scenario) -> int:
    """The replica's accelerators: the reader's number, or the fewest that fit the weights and the batch."""
    if scenario.chips is not None:
        return int(scenario.chips)
    return int(roofline.chips_to_fit(model, hardware, scenario.batch, scenario.context_tokens, precisions))


def _count_or(value: float, infinite: str, zero: str | None = None) -> float | str:
    if not math.isfinite(value):
        return infinite
    if zero is not None and value == 0:
        return zero
    return float(value)


def operation_optimal_batches(hardware: Hardware, model: Model, precisions: Precisions) -> dict[str, float | str]:
    """The per-operation B* the page shows (``bstar_per_op`` and ``bstar_<operation>``): they depend on the
    accelerator, the model and the precisions only, not on the context, the batch or the replica."""
    never = "none: memory bound at every batch"
    v: dict[str, float | str] = {"bstar_per_op": _count_or(roofline.per_op_optimal_batch(hardware, model, precisions),
                                                           never)}
    one = roofline.decode_step(hardware, model, 1, 0.0, precisions, chips=1)
    for name in WEIGHT_OPERATIONS:
        absent = float(one.operations[name].flops) == 0.0
        v[f"bstar_{name}"] = ABSENT if absent else _count_or(
            roofline.operation_optimal_batch(hardware, model, name, precisions), never)
    return v


def displayed_values(hardware: Hardware, model: Model, precisions: Precisions, scenario: Scenario,
                     operation_bstars: dict[str, float | str] | None = None) -> dict[str, float | str]:
    """Every value the calculator page shows for one configuration, keyed as the page's outputs
    (``data-out`` in :func:`page_html`): numbers in SI units, or the words the page prints instead
    (:data:`DOES_NOT_FIT` for any figure of a step that does not fit, :data:`ABSENT` for an operation the
    model lacks). Computed through lib; the browser port must reproduce it. ``operation_bstars``: the result of
    :func:`operation_optimal_batches` for this accelerator, model and precisions, when already at hand."""
    s, p = scenario, precisions
    if s.usd_per_accelerator_hour is None:
        raise ValueError("displayed_values needs a price per accelerator-hour")
    chips = replica_chips(hardware, model, p, s)
    step = roofline.decode_step(hardware, model, s.batch, s.context_tokens, p, chips=chips)
    fits = bool(step.fits)
    v: dict[str, float | str] = {
        "ridge": float(hardware.ridge_flop_per_byte),
        "drain_s": float(hardware.hbm_drain_time_s),
        "domain_hbm_bytes": float(hardware.domain_hbm_capacity_bytes),
        "total_params": model.config_total_params,
        "active_params": model.config_active_params,
        "weight_bytes": step.weight_storage_bytes,
        "kv_bytes_per_sequence": float(model.kv_cache_bytes(s.context_tokens, p.kv)),
        "experts_touched": float(step.experts_touched) if model.is_moe else "none (dense model)",
        "chips": float(chips),
        "chips_needed": float(roofline.chips_to_fit(model, hardware, s.batch, s.context_tokens, p)),
        "usable_hbm_bytes": float(step.usable_hbm_bytes),
        "memory_needed_bytes": float(step.memory_needed_bytes),
        "fits": "yes" if fits else DOES_NOT_FIT,
        "within_domain": "yes" if chips <= hardware.scale_up_domain_size else BEYOND_DOMAIN,
        "max_batch": _count_or(float(step.max_batch), "unbounded (no KV cache at this context)",
                               "none: the weights alone do not fit"),
    }

    def feasible(value) -> float | str:
        return float(value) if fits else DOES_NOT_FIT

    v.update({
        "compute_s": feasible(step.compute_s), "weights_s": feasible(step.weights_s), "kv_s": feasible(step.kv_s),
        "memory_s": feasible(step.memory_s), "pooled_s": feasible(step.pooled_s), "step_s": feasible(step.step_s),
        "binds": BOUND_WORDS[str(step.bound)] if fits else f"HBM capacity: {DOES_NOT_FIT}",
        "tokens_per_s_per_chip": feasible(step.tokens_per_s_per_chip),
        "user_tokens_per_s": feasible(step.user_tokens_per_s),
        "usd_per_million_tokens": (usd_per_million_tokens(s.usd_per_accelerator_hour, float(step.tokens_per_s_per_chip))
                                   if fits else DOES_NOT_FIT),
    })
    bw = hardware.hbm_bandwidth_Bps
    for name, op in step.operations.items():
        absent = float(op.flops) == 0.0 and float(op.bytes) == 0.0
        time = float(op.time_s(chips, bw))
        bound = "compute" if float(op.compute_s(chips)) >= float(op.memory_s(chips, bw)) else "memory"
        for key, value in (("flops", float(op.flops)), ("bytes", float(op.bytes)), ("s", time),
                           ("bound", BOUND_WORDS[bound])):
            v[f"op_{name}_{key}"] = ABSENT if absent else (value if fits else DOES_NOT_FIT)
    v["bstar_pooled"] = _count_or(roofline.pooled_optimal_batch(hardware, model, s.context_tokens, p),
                                  "none: memory bound at every batch")
    v.update(operation_bstars if operation_bstars is not None else operation_optimal_batches(hardware, model, p))

    target = max_batch_at_user_speed(hardware, model, s.context_tokens, s.user_tokens_per_s, p, chips=chips)
    if target > 0:
        at = roofline.decode_step(hardware, model, target, s.context_tokens, p, chips=chips)
        v["target_batch"] = float(target)
        v["target_tokens_per_s_per_chip"] = float(at.tokens_per_s_per_chip)
        v["target_usd_per_million_tokens"] = usd_per_million_tokens(s.usd_per_accelerator_hour,
                                                                    float(at.tokens_per_s_per_chip))
    else:
        none = DOES_NOT_FIT if float(step.max_batch) < 1 else "none: one sequence is already slower"
        v["target_batch"] = none
        v["target_tokens_per_s_per_chip"] = v["target_usd_per_million_tokens"] = ABSENT

    prefill = roofline.prefill_step(hardware, model, s.prompt_tokens, 1, s.cached_tokens, p, chips=chips)
    prefill_fits = bool(prefill.fits)
    for key, value in (("ttft_s", prefill.time_to_first_token_s), ("prefill_compute_s", prefill.compute_s),
                       ("prefill_memory_s", prefill.memory_s),
                       ("prefill_tokens_per_s_per_chip", prefill.tokens_per_s_per_chip)):
        v[key] = float(value) if prefill_fits else DOES_NOT_FIT
    v["prefill_bound"] = BOUND_WORDS[str(prefill.bound)] if prefill_fits else f"HBM capacity: {DOES_NOT_FIT}"
    return v


def cost_curve(hardware: Hardware, model: Model, precisions: Precisions, context: float, chips: int,
               usd_per_accelerator_hour: float, batches) -> list[tuple[float, float | None]]:
    """(batch, USD per million tokens) along a batch grid at a fixed replica; None where the batch does not
    fit (the chart leaves those batches out and greys their region)."""
    import numpy as np

    b = np.asarray(batches, dtype=float)
    step = roofline.decode_step(hardware, model, b, context, precisions, chips=chips)
    usd = accelerator_cost_per_token_usd(usd_per_accelerator_hour, step.tokens_per_s_per_chip) * MILLION
    return [(float(x), float(c) if f else None) for x, c, f in zip(b, usd, step.fits)]


# --------------------------------------------------------------------------------------------------
# The form: fields and their rules (the data schemas' own columns where the field is a column)

#: Accelerator fields: hardware.csv columns, with the page's labels. The rest of the row's columns (name,
#: vendor, year, scale-out bandwidth, TDP) sit in a fold: they do not enter the step model, but the row the
#: page copies for a full re-run needs them.
HARDWARE_FIELDS: tuple[tuple[str, str], ...] = (
    ("hbm_capacity_GB", "HBM capacity C_hbm (GB)"),
    ("hbm_bandwidth_TBps", "HBM bandwidth W_hbm (TB/s)"),
    ("dense_bf16_TFLOPs", "Dense bf16 (TFLOP/s)"),
    ("dense_fp8_TFLOPs", "Dense fp8 (TFLOP/s, blank if none)"),
    ("dense_fp4_TFLOPs", "Dense fp4 (TFLOP/s, blank if none)"),
    ("scale_up_domain_size", "Scale-up domain (accelerators)"),
    ("scale_up_bandwidth_GBps", "Scale-up bandwidth (GB/s; not in this bound)"),
)
HARDWARE_ROW_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Name"), ("vendor", "Vendor"), ("year", "Year"),
    ("scale_out_bandwidth_GBps", "Scale-out bandwidth (GB/s)"), ("tdp_W", "TDP (W)"),
)
#: Model fields: the config columns of models.csv the per-operation model reads.
MODEL_FIELDS: tuple[tuple[str, str], ...] = (
    ("layers", "Layers"), ("hidden_size", "Hidden size h"), ("vocab_size", "Vocabulary V"),
    ("tied_embeddings", "Tied embeddings"), ("attention", "Attention"), ("n_heads", "Query heads n_h"),
    ("n_kv_heads", "KV heads n_kv"), ("head_dim", "Head dimension d_h"), ("kv_lora_rank", "KV latent rank d_c (MLA)"),
    ("qk_rope_head_dim", "RoPE key dimension d_r (MLA)"), ("q_lora_rank", "Query latent rank r_q (MLA)"),
    ("sliding_window_tokens", "Sliding window w (tokens)"), ("sliding_window_layers", "Sliding-window layers"),
    ("first_dense_layers", "Dense-FFN layers (MoE)"), ("dense_ffn_dim", "Dense FFN width f"),
    ("routed_experts", "Routed experts E"), ("active_experts", "Experts per token k"),
    ("shared_experts", "Shared experts"), ("expert_ffn_dim", "Expert FFN width f_e"),
    ("sparse_topk_tokens", "Top-k k_sparse (DSA; 0: dense)"),
    ("indexer_heads", "Indexer heads H_I (DSA)"), ("indexer_head_dim", "Indexer head dimension d_I (DSA)"),
)
PRECISION_FIELDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("weights_precision", "Weights (storage)", WEIGHT_FORMATS),
    ("experts_precision", "Expert weights (storage)", WEIGHT_FORMATS),
    ("kv_precision", "KV cache", tuple(BYTES_PER_ELEMENT)),
    ("attention_precision", "Attention compute", COMPUTE_PRECISIONS),
)
#: The serving scenario, with rules in the schemas' terms.
SCENARIO_COLUMNS: tuple[tuple[Column, str], ...] = (
    (Column("context", "int", minimum=0, meaning="tokens of context per sequence"), "Context L (tokens)"),
    (Column("batch", "int", positive=True, meaning="sequences decoding together"), "Batch B (sequences)"),
    (Column("chips", "str", meaning="auto, or a whole number ≥ 1"), "Accelerators in the replica n"),
    (Column("prompt", "int", positive=True, meaning="prompt tokens"), "Prompt P (tokens)"),
    (Column("cached", "int", minimum=0, meaning="prompt tokens already cached, fewer than P"),
     "Cached prefix (tokens)"),
    (Column("price", "float", minimum=0, meaning="USD per accelerator-hour"), "Price (USD per accelerator-hour)"),
    (Column("speed", "float", positive=True, meaning="tokens/s each user sees"), "Per-user speed target (tokens/s)"),
)


def _rule(column: Column) -> dict:
    return {"kind": column.kind, "required": column.required, "positive": column.positive,
            "minimum": column.minimum, "choices": list(column.choices), "factor": column.factor,
            "expect": column.expectation()}


#: The provenance of a copied hardware.csv row whose values the reader changed: the values are the reader's
#: choice (lib.data.PROVENANCE), and its source names the row it started from. An unedited row keeps its own.
EDITED_ROW_PROVENANCE = "assumption"

#: Accelerator fields the step model does not read: a bad value there empties the copied row, not the outputs.
ROW_ONLY_FIELDS = frozenset({name for name, _ in HARDWARE_ROW_FIELDS} | {"scale_up_bandwidth_GBps"})


def _fields() -> dict[str, dict]:
    fields: dict[str, dict] = {}
    for group, schema, entries in (("hardware", HARDWARE_SCHEMA, HARDWARE_FIELDS + HARDWARE_ROW_FIELDS),
                                   ("model", MODELS_SCHEMA, MODEL_FIELDS)):
        for name, label in entries:
            fields[name] = {"group": group, "label": label, "row_only": name in ROW_ONLY_FIELDS,
                            **_rule(schema.column(name))}
    for name, label, choices in PRECISION_FIELDS:
        fields[name] = {"group": "precision", "label": label, **_rule(Column(name, "enum", choices=choices))}
    for column, label in SCENARIO_COLUMNS:
        fields[column.name] = {"group": "scenario", "label": label, **_rule(column)}
    fields["chips"].update(kind="chips", expect="auto, or a whole number ≥ 1")
    return fields


# --------------------------------------------------------------------------------------------------
# The payload: the data the page starts from


def _hardware_rows(directory: Path) -> tuple[list[str], list[dict]]:
    """hardware.csv's exact header and its rows in the file's units (blank cells as None)."""
    with (directory / HARDWARE_SCHEMA.file).open(newline="", encoding="utf-8") as handle:
        header = [h.strip() for h in next(csv.reader(handle))]
    rows = [{k: v for k, v in r.items() if not k.startswith("_")} for r in read_table(HARDWARE_SCHEMA, directory)]
    return header, rows


def _model_rows(directory: Path) -> list[dict]:
    keep = {name for name, _ in MODEL_FIELDS} | {"name", "total_params_B", "active_params_B", "weights_format",
                                                 "expert_weights_format"}
    return [{k: r[k] for k in r if k in keep} for r in read_table(MODELS_SCHEMA, directory)]


def _offers(directory: Path, hardware_names: list[str]) -> dict:
    """The lowest accelerator-hour price per hardware row, and the lowest in the table as a fallback."""
    prices = load_prices(table_dir("accelerator_costs.csv", directory))
    if not prices:
        return {"by_hardware": {}, "fallback": None}

    def offer(p):
        return {"usd_per_hour": p.usd_per_hour, "name": p.name, "as_of": p.as_of, "market": p.market}

    by = {}
    for name in hardware_names:
        mine = [p for p in prices if p.hardware == name]
        if mine:
            by[name] = {**offer(min(mine, key=lambda p: p.usd_per_hour)), "count": len(mine)}
    return {"by_hardware": by, "fallback": offer(min(prices, key=lambda p: p.usd_per_hour))}


def default_price(hardware_name: str, data_dir: Path | str | None = None) -> float | None:
    """The price per accelerator-hour the page starts from for an accelerator: its lowest offer in
    ``accelerator_costs.csv``, else the lowest offer in the table (None for an empty table)."""
    offers = _offers(resolve_data_dir(data_dir), [hardware_name])
    offer = offers["by_hardware"].get(hardware_name) or offers["fallback"]
    return None if offer is None else offer["usd_per_hour"]


def _bisection_bounds() -> dict:
    """The bounds and iterations of lib.roofline's B* bisection (its defaults), for the port."""
    params = inspect.signature(roofline._bisect_batch).parameters
    return {name: params[name].default for name in ("low", "high", "iterations")}


def payload(selection: Selection, scenario: Scenario = Scenario()) -> dict:
    """Everything the page's script starts from, as a JSON-ready dict (see the module docstring)."""
    directory = resolve_data_dir(selection.data_dir)
    header, hardware = _hardware_rows(directory)
    offers = _offers(directory, [h["name"] for h in hardware])
    from .figures.calculator import cost_chart_spec

    return {
        "hardware": {"header": header, "rows": hardware},
        "models": _model_rows(directory),
        "offers": offers,
        "fields": _fields(),
        "defaults": {
            "hardware": selection.hardware.name, "model": selection.model.name,
            "context": scenario.context_tokens, "batch": scenario.batch,
            "chips": "auto" if scenario.chips is None else scenario.chips,
            "prompt": scenario.prompt_tokens, "cached": scenario.cached_tokens,
            "price": scenario.usd_per_accelerator_hour, "speed": scenario.user_tokens_per_s,
            "kv_precision": "bf16", "attention_precision": "bf16",
        },
        "constants": {
            "bytes_per_element": BYTES_PER_ELEMENT,
            "native_compute": {f: native_compute_format(f) for f in BYTES_PER_ELEMENT},
            "compute_precisions": list(COMPUTE_PRECISIONS),
            "attention_types": list(ATTENTION_TYPES),
            "operations": list(OPERATIONS),
            "context_operations": list(CONTEXT_OPERATIONS),
            "index_key_format": INDEX_KEY_FORMAT,
            "index_key_scale_bytes": INDEX_KEY_SCALE_BYTES,
            "gated_ffn_matrices": GATED_FFN_MATRICES,
            "hbm_reserve_fraction": HBM_RESERVE_FRACTION,
            "seconds_per_hour": SECONDS_PER_HOUR,
            "million": MILLION,
            "bisect": _bisection_bounds(),
            "does_not_fit": DOES_NOT_FIT,
            "beyond_domain": BEYOND_DOMAIN,
            "absent": ABSENT,
            "bound_words": BOUND_WORDS,
            "edited_row_provenance": EDITED_ROW_PROVENANCE,
        },
        "chart": cost_chart_spec(),
    }


# --------------------------------------------------------------------------------------------------
# The page's HTML

#: The outputs, by section: (key, label, kind, unit). Kinds: time, bytes and flop (SI prefixes), count (with
#: million, billion, trillion), int (a whole number), usd, text.
OUTPUTS: tuple[tuple[str, tuple[tuple[str, str, str, str], ...]], ...] = (
    ("The accelerator", (
        ("ridge", "Ridge point F_bf16 / W_hbm", "count", "FLOP/byte"),
        ("drain_s", "HBM drain time C_hbm / W_hbm", "time", "s"),
        ("domain_hbm_bytes", "HBM of one scale-up domain", "bytes", "B"),
    )),
    ("The model", (
        ("total_params", "Parameters stored N_total (from the config)", "count", "parameters"),
        ("active_params", "Parameters per token N_active (from the config)", "count", "parameters"),
        ("weight_bytes", "Weights in the chosen formats", "bytes", "B"),
        ("kv_bytes_per_sequence", "KV cache of one sequence at L", "bytes", "B"),
        ("experts_touched", "Routed experts touched per MoE layer at B", "count", "experts"),
    )),
    ("Capacity: weights + B · kv(L) ≤ (1 − ρ) n C_hbm", (
        ("chips", "Accelerators in the replica n", "int", ""),
        ("chips_needed", "Fewest accelerators that hold this batch", "int", ""),
        ("memory_needed_bytes", "Weights and KV cache of the batch", "bytes", "B"),
        ("usable_hbm_bytes", "Usable HBM of the replica (1 − ρ) n C_hbm", "bytes", "B"),
        ("fits", "Fits", "text", ""),
        ("within_domain", "Within one scale-up domain", "text", ""),
        ("max_batch", "Largest batch that fits at L", "int", "sequences"),
    )),
    ("One decode step of B sequences at context L", (
        ("compute_s", "Compute budget Σ f_i / (n F_i)", "time", "s"),
        ("weights_s", "Weight reads / (n W_hbm)", "time", "s"),
        ("kv_s", "KV reads / (n W_hbm)", "time", "s"),
        ("memory_s", "Bandwidth budget: weights + KV", "time", "s"),
        ("binds", "Which budget binds", "text", ""),
        ("pooled_s", "Step, pooled (perfect overlap)", "time", "s"),
        ("step_s", "Step, per operation (the book's step)", "time", "s"),
        ("tokens_per_s_per_chip", "Tokens per second per accelerator", "count", "tokens/s"),
        ("user_tokens_per_s", "Tokens per second per user", "count", "tokens/s"),
        ("usd_per_million_tokens", "Cost per million tokens at the price set", "usd", ""),
    )),
    ("Optimal batch B*", (
        ("bstar_pooled", "Pooled: compute = memory at L", "count", "sequences"),
        ("bstar_per_op", "Per operation: every weight matmul compute bound", "count", "sequences"),
    )),
    ("Per-user speed target", (
        ("target_batch", "Largest batch that keeps the target", "int", "sequences"),
        ("target_tokens_per_s_per_chip", "Tokens per second per accelerator there", "count", "tokens/s"),
        ("target_usd_per_million_tokens", "Cost per million tokens there", "usd", ""),
    )),
    ("Prefill of one prompt: time to first token", (
        ("ttft_s", "Time to first token", "time", "s"),
        ("prefill_compute_s", "Compute budget", "time", "s"),
        ("prefill_memory_s", "Bandwidth budget", "time", "s"),
        ("prefill_bound", "Which budget binds", "text", ""),
        ("prefill_tokens_per_s_per_chip", "Prompt tokens per second per accelerator", "count", "tokens/s"),
    )),
)
OPERATION_LABELS = {
    "attention_projections": "Attention projections",
    "attention_index": "Sparse-attention indexer (DSA)", "attention_core": "Attention over the context",
    "dense_ffn": "Dense FFN", "shared_experts": "Shared experts", "routed_experts": "Routed experts",
    "lm_head": "LM head",
}
#: The per-operation table's columns: (suffix, heading, kind, unit).
OPERATION_COLUMNS = (("flops", "FLOPs", "flop", "FLOP"), ("bytes", "Bytes read", "bytes", "B"),
                     ("s", "Time on its roofline", "time", "s"), ("bound", "Bound", "text", ""))


def output_keys() -> list[str]:
    """Every ``data-out`` key of the page, in page order."""
    keys = [key for _, rows in OUTPUTS for key, *_ in rows]
    keys += [f"op_{name}_{suffix}" for name in OPERATIONS for suffix, *_ in OPERATION_COLUMNS]
    keys += [f"bstar_{name}" for name in WEIGHT_OPERATIONS]
    return keys


def _out(key: str, kind: str, unit: str) -> str:
    return f'<output data-out="{key}" data-kind="{kind}" data-unit="{html.escape(unit)}">—</output>'


def _field_html(name: str, spec: dict) -> str:
    label = html.escape(spec["label"])
    control_id = f"calc-{name}"
    if spec["kind"] == "enum":
        options = "".join(f'<option value="{html.escape(c)}">{html.escape(c)}</option>' for c in spec["choices"])
        control = f'<select id="{control_id}" name="{name}">{options}</select>'
    else:
        mode = "numeric" if spec["kind"] == "int" else ("decimal" if spec["kind"] == "float" else "text")
        control = (f'<input id="{control_id}" name="{name}" type="text" inputmode="{mode}" spellcheck="false" '
                   f'aria-describedby="calc-msg-{name}">')
    return (f'<div class="calc-field"><label for="{control_id}">{label}</label>{control}'
            f'<span class="calc-msg" id="calc-msg-{name}" role="alert"></span></div>')


def _select_html(name: str, label: str) -> str:
    return (f'<div class="calc-field calc-wide"><label for="calc-{name}">{html.escape(label)}</label>'
            f'<select id="calc-{name}" name="{name}"></select>'
            f'<span class="calc-msg" id="calc-msg-{name}" role="alert"></span></div>')


def page_html(selection: Selection, scenario: Scenario = Scenario()) -> str:
    """The calculator as one block of HTML: form, outputs, chart, the payload as JSON, the style and the port."""
    data = payload(selection, scenario)
    fields = data["fields"]

    def group(names) -> str:
        return "".join(_field_html(n, fields[n]) for n in names)

    hardware = (_select_html("hardware", "Start from a row of hardware.csv")
                + group(n for n, _ in HARDWARE_FIELDS)
                + '<details class="calc-wide"><summary>The rest of the row (for the copied row only)</summary>'
                + f'<div class="calc-grid">{group(n for n, _ in HARDWARE_ROW_FIELDS)}</div></details>'
                + '<div class="calc-wide calc-copy"><button type="button" id="calc-copy">Copy this accelerator as a '
                  'hardware.csv row</button> <span id="calc-copy-status" role="status"></span>'
                  '<textarea id="calc-row" readonly rows="3" aria-label="This accelerator as a hardware.csv row">'
                  '</textarea></div>')
    model = (_select_html("model", "Start from a row of models.csv")
             + '<p class="calc-wide calc-note" id="calc-model-note"></p>'
             + '<details class="calc-wide" id="calc-model-config"><summary>Its configuration (config.json): layers, '
               'attention, experts</summary>'
             + f'<div class="calc-grid">{group(n for n, _ in MODEL_FIELDS)}</div></details>')
    precisions = group(n for n, _, _ in PRECISION_FIELDS)
    serving = group(c.name for c, _ in SCENARIO_COLUMNS) + '<p class="calc-wide calc-note" id="calc-price-note"></p>'
    form = "".join(
        f'<fieldset class="calc-group" id="calc-group-{key}"><legend>{title}</legend><div class="calc-grid">{body}'
        "</div></fieldset>"
        for key, title, body in (("hardware", "Your accelerator", hardware), ("model", "Your model", model),
                                 ("precision", "Precisions", precisions), ("scenario", "Serving", serving)))

    sections = []
    for title, rows in OUTPUTS:
        body = "".join(f'<tr><th scope="row">{html.escape(label)}</th>'
                       f'<td class="calc-{kind}">{_out(key, kind, unit)}</td></tr>'
                       for key, label, kind, unit in rows)
        sections.append(f'<table class="calc-out"><caption>{html.escape(title)}</caption><tbody>{body}</tbody>'
                        "</table>")
    head = "".join(f"<th scope=\"col\">{html.escape(h)}</th>" for _, h, _, _ in OPERATION_COLUMNS)
    op_rows = []
    for name in OPERATIONS:
        cells = "".join(f"<td>{_out(f'op_{name}_{suffix}', kind, unit)}</td>"
                        for suffix, _, kind, unit in OPERATION_COLUMNS)
        bstar = ("<td>n/a</td>" if name in CONTEXT_OPERATIONS
                 else f"<td>{_out(f'bstar_{name}', 'count', 'sequences')}</td>")
        op_rows.append(f'<tr><th scope="row">{OPERATION_LABELS[name]}</th>{cells}{bstar}</tr>')
    op_table = ('<p class="calc-caption" id="calc-ops-caption">Each operation of the decode step on its own roofline, '
                'and the batch at which it turns compute bound</p><div class="calc-scroll">'
                '<table class="calc-out calc-ops" aria-labelledby="calc-ops-caption"><thead><tr>'
                f'<th scope="col">Operation</th>{head}<th scope="col">B* of the operation</th></tr></thead>'
                f"<tbody>{''.join(op_rows)}</tbody></table></div>")
    payload_json = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    script = SCRIPT.read_text(encoding="utf-8")
    if "</script" in script.lower():
        raise ValueError("calculator.js must not contain '</script' (it is inlined into the page)")
    chart_label = ("Cost per million tokens against batch for the configuration above, on log axes; batches "
                   "that do not fit the replica's HBM are left out and their region is greyed.")
    return (
        '<div class="book-calculator" id="book-calculator">'
        '<noscript><p>The calculator runs in your browser and needs JavaScript. The same numbers come from '
        '<code>python -m lib roofline</code>.</p></noscript>'
        f'<form class="calc-form" autocomplete="off" onsubmit="return false">{form}</form>'
        '<p class="calc-status" id="calc-status" role="status"></p>'
        f'<div class="calc-results">{"".join(sections)}</div>{op_table}'
        f'<div class="book-chart calc-chart" id="calc-chart" role="img" aria-label="{html.escape(chart_label)}">'
        '</div><p class="calc-note">Red point: your batch. Dashed line: the largest batch that keeps the speed target. '
        'Grey: batches that do not fit.</p><p class="calc-note" id="calc-chart-note"></p>'
        f'<script type="application/json" id="book-calculator-data">{payload_json}</script>'
        f"<style>{STYLE.read_text(encoding='utf-8')}</style>"
        f"<script>{script}</script></div>"
    )
