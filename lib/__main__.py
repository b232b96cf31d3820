"""The book's command line: ``python -m lib --help``.

Every subcommand prints a readable table, or JSON with ``--json``. ``--data-dir`` (or ``BOOK_DATA_DIR``)
reads a reader's own CSVs; ``--hardware`` / ``--model`` (or ``BOOK_HARDWARE`` / ``BOOK_MODEL``) select rows.
Bad data exit with status 2 and a report naming file, line, column and value.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Sequence

import numpy as np
import pandas as pd

from . import claims as claims_mod
from . import data
from .roofline import blackboard_decode_step, decode_step, prefill_step
from .units import COMPUTE_PRECISIONS, WEIGHT_FORMATS, native_compute_format


def _print_table(rows: list[dict], columns: Sequence[str] | None = None) -> None:
    frame = pd.DataFrame(rows)
    if columns:
        frame = frame[list(columns)]
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                           "display.max_colwidth", 60):
        print(frame.to_string(index=False))


def _json(obj) -> None:
    def default(o):
        if isinstance(o, np.generic):
            return o.item()
        raise TypeError(f"not JSON serialisable: {type(o)}")

    def clean(o):
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, list):
            return [clean(v) for v in o]
        return o

    print(json.dumps(clean(obj), indent=2, ensure_ascii=False, default=default))


def cmd_hardware(args) -> int:
    rows = data.read_table(data.HARDWARE_SCHEMA, args.data_dir)
    hardware = data.load_hardware(args.data_dir)
    out = []
    for raw, hw in zip(rows, hardware):
        row = {k: v for k, v in raw.items() if not k.startswith("_")}
        row["ridge_flop_per_byte"] = hw.ridge_flop_per_byte
        row["hbm_drain_time_s"] = hw.hbm_drain_time_s
        out.append(row)
    if args.json:
        _json(out)
    else:
        _print_table([{**r, "ridge_flop_per_byte": round(r["ridge_flop_per_byte"], 1),
                       "hbm_drain_time_ms": round(r["hbm_drain_time_s"] * 1e3, 1)} for r in out],
                     ["name", "vendor", "year", "hbm_capacity_GB", "hbm_bandwidth_TBps", "dense_bf16_TFLOPs",
                      "ridge_flop_per_byte", "hbm_drain_time_ms", "scale_up_domain_size"])
    return 0


def cmd_models(args) -> int:
    rows = data.read_table(data.MODELS_SCHEMA, args.data_dir)
    models = data.load_models(args.data_dir)
    out = []
    for raw, m in zip(rows, models):
        row = {k: v for k, v in raw.items() if not k.startswith("_")}
        row["sparsity"] = m.sparsity
        row["kv_bytes_per_token"] = m.kv_bytes_per_token("bf16")
        out.append(row)
    if args.json:
        _json(out)
    else:
        _print_table([{**r, "sparsity": round(r["sparsity"], 2), "kv_bytes_per_token": int(r["kv_bytes_per_token"])}
                      for r in out],
                     ["name", "total_params_B", "active_params_B", "sparsity", "attention", "layers",
                      "kv_bytes_per_token"])
    return 0


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def cmd_roofline(args) -> int:
    sel = data.selection(args.hardware, args.model, args.data_dir)
    hw, model = sel.hardware, sel.model
    batch = np.asarray(args.batch, dtype=float)[:, None]
    if args.phase == "prefill":
        if not args.prompt:
            raise ValueError("--phase prefill needs --prompt (prompt tokens, one or more)")
        lengths = list(args.prompt)
        step = prefill_step(hw, model, np.asarray(lengths, dtype=float)[None, :], batch, args.cached,
                            args.precision, args.kv_precision, args.chips)
    else:
        lengths = list(args.context)
        step = decode_step(hw, model, batch, np.asarray(lengths, dtype=float)[None, :], args.precision,
                           args.kv_precision, args.chips)
    board = None
    if args.phase == "decode":
        native = native_compute_format(step.precisions.experts)
        board_precision = native if hw.supports(native) else "bf16"
        board = blackboard_decode_step(hw, model, batch, np.asarray(lengths, dtype=float)[None, :], board_precision,
                                       step.precisions.kv, step.chips)
    touched = step.experts_touched
    out = []
    for i, b in enumerate(args.batch):
        for j, length in enumerate(lengths):
            row = {
                "hardware": hw.name, "model": model.name, "phase": args.phase,
                "precision": step.precisions.label, "chips": step.chips, "batch": int(b),
                ("prompt" if args.phase == "prefill" else "context"): int(length),
                "compute_s": float(step.compute_s[i, j]), "weights_s": float(step.weights_s[i, j]),
                "kv_s": float(step.kv_s[i, j]), "pooled_s": float(step.pooled_s[i, j]),
                "per_op_s": float(step.per_op_s[i, j]), "step_s": float(step.step_s[i, j]),
                "tokens_per_s": float(step.tokens_per_s[i, j]),
                "tokens_per_s_per_chip": float(step.tokens_per_s_per_chip[i, j]), "bound": str(step.bound[i, j]),
                "flops_per_token": float(step.flops_per_token[i, j]),
                "weight_bytes_read": float(step.weight_bytes_read[i, j]),
                "kv_bytes_read": float(step.kv_bytes_read[i, j]),
                "experts_touched": None if touched is None else float(touched[i, j]),
                "memory_needed_bytes": float(step.memory_needed_bytes[i, j]), "hbm_bytes": float(step.hbm_bytes),
                "usable_hbm_bytes": float(step.usable_hbm_bytes), "fits": bool(step.fits[i, j]),
                "max_batch": _finite(float(step.max_batch[i, j])),
                "operations_s": {name: float(t[i, j]) for name, t in step.op_times_s.items()},
            }
            if board is not None:
                row["blackboard_step_s"] = float(board.step_s[i, j])
            out.append(row)
    if args.json:
        _json(out)
        return 0
    length_key = "prompt" if args.phase == "prefill" else "context"
    table = []
    for r in out:
        table.append({
            "batch": f"{r['batch']:,}", length_key: f"{r[length_key]:,}", "chips": r["chips"],
            **{f"{k[:-2]}_ms": f"{r[k] * 1e3:.3f}" for k in ("compute_s", "weights_s", "kv_s", "pooled_s", "step_s")},
            "tokens_per_s": f"{r['tokens_per_s']:,.0f}", "bound": r["bound"],
            "fits": "yes" if r["fits"] else "NO: does not fit",
            "max_batch": "∞" if r["max_batch"] is None else f"{r['max_batch']:,.0f}",
        })
    print(f"{hw.name} × {model.name}, {args.phase}, {step.precisions.label}, {step.chips} accelerators "
          f"(HBM reserve {step.reserve_fraction:.0%}); times in milliseconds, step = per-operation sum")
    _print_table(table)
    if not all(r["fits"] for r in out):
        print("Points marked NO do not fit the replica's HBM: they are not points of the model.")
    return 0


def cmd_claims(args) -> int:
    sel = data.selection(args.hardware, args.model, args.data_dir)
    entries = claims_mod.ledger(sel)
    if args.json:
        _json([e.to_json() for e in entries])
    else:
        from .page import ledger_frame

        print(f"hardware: {sel.hardware.name}   model: {sel.model.name}   data: {sel.data_dir}")
        print("kind: checked (against the talk's number), scenario (on the book's assumptions), structural (a shape); "
              "robust: the verdict survives every assumption's range (— when none is varied). "
              "Assumptions, their ranges and the sensitivity are in --json.")
        _print_table(ledger_frame(entries).drop(columns=["note", "assumptions"]).to_dict("records"))
    return 0


def cmd_reality(args) -> int:
    from . import reality

    found = reality.bounds(args.data_dir, tokens_per_step=args.tokens_per_step)
    factors = reality.realism_factors_from(reality.bounds(args.data_dir))
    calibrated = args.efficiency == "measured"
    serving = []
    for b in found:
        row = b.to_json()
        if calibrated:
            eta = factors[b.row.phase].value
            row["realism_factor"] = eta
            row["calibrated_bound_tokens_per_s_per_accelerator"] = b.tokens_per_s_per_accelerator * eta
            row["measured_over_calibrated"] = b.efficiency / eta
        serving.append(row)
    training = [{
        "id": c.run.id, "model": c.run.model, "hardware": c.run.hardware, "scope": c.run.scope,
        "hours_include": c.hours_include, "precision": c.precision, "precision_stated": c.precision_stated,
        "reported_accelerator_hours": c.run.accelerator_hours, "ideal_accelerator_hours": c.ideal_accelerator_hours,
        "implied_mfu": c.implied_mfu, "reported_mfu": c.reported_mfu, "benchmark_mfu": c.benchmark_mfu,
    } for c in reality.training_checks(args.data_dir)]
    over = reality.exceeding(found)
    if args.json:
        _json({"serving": serving, "realism_factors": {p: {"value": f.value, "low": f.low, "high": f.high,
                                                         "label": f.label, "rows": list(f.rows)}
                                                     for p, f in factors.items()},
               "training": training, "exceeded": [b.row.id for b in over]})
    else:
        table = []
        for r in serving:
            line = {"id": r["id"], "phase": r["phase"],
                    "measured": f"{r['measured_tokens_per_s_per_accelerator']:,.0f}",
                    "bound": f"{r['bound_tokens_per_s_per_accelerator']:,.0f}",
                    "efficiency": f"{r['efficiency']:.1%}", "binding": r["binding"],
                    "per-op bound": f"{r['per_op_bound_tokens_per_s_per_accelerator']:,.0f}"}
            if calibrated:
                line["calibrated bound"] = f"{r['calibrated_bound_tokens_per_s_per_accelerator']:,.0f}"
                line["measured ÷ calibrated"] = f"{r['measured_over_calibrated']:.2f}"
            table.append(line)
        print("Measured tokens/s per accelerator against the refined model's bound (pooled step; output tokens for "
              "decode and offline rows, input tokens for prefill)")
        if args.tokens_per_step != reality.TOKENS_PER_STEP:
            print(f"Decode bounds count {args.tokens_per_step:g} accepted tokens per sequence per step.")
        _print_table(table)
        print("\nRealism factors (median measured ÷ bound per phase):")
        for f in factors.values():
            print(f"  {f.phase}: {f.value:.1%} (range {f.low:.1%}–{f.high:.1%} over {len(f.rows)} rows): {f.label}")
        print("\nTraining: 6·N_active·D at the dense peak of the row's precision against the reported hours")
        _print_table([{"id": t["id"], "hours include": t["hours_include"],
                       "precision": t["precision"] + ("" if t["precision_stated"] else " (assumed)"),
                       "reported h": "—" if t["reported_accelerator_hours"] is None
                       else f"{t['reported_accelerator_hours']:,.0f}",
                       "ideal h": "—" if t["ideal_accelerator_hours"] is None else f"{t['ideal_accelerator_hours']:,.0f}",
                       "implied MFU": "—" if t["implied_mfu"] is None else f"{t['implied_mfu']:.1%}",
                       "reported MFU": "—" if t["reported_mfu"] is None else f"{t['reported_mfu']:.1%}"}
                      for t in training])
    for b in over:
        print(f"error: {b.row.id}: measured {b.measured_tokens_per_s_per_accelerator:,.1f} tokens/s per accelerator "
              f"exceeds the model's bound of {b.tokens_per_s_per_accelerator:,.1f}: an error in the model or the data",
              file=sys.stderr)
    return 1 if over else 0


def cmd_check_data(args) -> int:
    directory = args.directory or args.data_dir or data.resolve_data_dir()
    problems = data.check_data_dir(directory)
    if args.json:
        _json([p.__dict__ for p in problems])
    elif problems:
        print(f"{len(problems)} problem(s) in {directory}:")
        for p in problems:
            print(f"  - {p}")
    else:
        print(f"{directory}: every table is valid")
    return 1 if problems else 0


def cmd_measure(args) -> int:
    from . import measure

    return measure.run_cli(args)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="read CSVs from this directory (default: $BOOK_DATA_DIR, else data/)")
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")
    select = argparse.ArgumentParser(add_help=False)
    select.add_argument("--hardware", help="hardware row name (default: $BOOK_HARDWARE, else H100 SXM)")
    select.add_argument("--model", help="model row name (default: $BOOK_MODEL, else DeepSeek-V3)")

    parser = argparse.ArgumentParser(prog="python -m lib", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("hardware", parents=[common], help="hardware rows with ridge point and HBM drain time")
    p.set_defaults(func=cmd_hardware)
    p = sub.add_parser("models", parents=[common], help="model rows with sparsity and KV bytes per token")
    p.set_defaults(func=cmd_models)
    p = sub.add_parser("roofline", parents=[common, select],
                       help="one decode or prefill step of the refined model (a sweep over batch and context)")
    p.add_argument("--batch", type=float, nargs="+", required=True, help="sequences per step (one or more)")
    p.add_argument("--context", type=float, nargs="+", default=[0.0],
                   help="decode: context tokens each sequence holds (one or more; default 0)")
    p.add_argument("--phase", choices=("decode", "prefill"), default="decode", help="decode (default) or prefill")
    p.add_argument("--prompt", type=float, nargs="+", help="prefill: prompt tokens (one or more)")
    p.add_argument("--cached", type=float, default=0.0, help="prefill: prompt tokens already cached (default 0)")
    p.add_argument("--precision", choices=WEIGHT_FORMATS, default=None,
                   help="storage format of every weight (default: the model's release formats)")
    p.add_argument("--kv-precision", choices=WEIGHT_FORMATS, default=None, help="KV-cache format (default bf16)")
    p.add_argument("--chips", type=int,
                   help="accelerators in the replica (default: fewest whose usable HBM holds the weights)")
    p.set_defaults(func=cmd_roofline)
    p = sub.add_parser("claims", parents=[common, select], help="the claim ledger for the selected rows")
    p.set_defaults(func=cmd_claims)
    p = sub.add_parser("reality", parents=[common],
                       help="measured serving throughput against the model's bound per row; training MFU")
    p.add_argument("--efficiency", choices=("ideal", "measured"), default="ideal",
                   help="'measured': also show each bound times its phase's realism factor (median measured ÷ bound)")
    p.add_argument("--tokens-per-step", type=float, default=1.0,
                   help="accepted tokens per sequence per decode step (speculative decoding, MTP; default 1)")
    p.set_defaults(func=cmd_reality)
    p = sub.add_parser("check-data", parents=[common], help="validate a data directory; every problem in one report")
    p.add_argument("directory", nargs="?", help="the directory to check (default: --data-dir, $BOOK_DATA_DIR or data/)")
    p.set_defaults(func=cmd_check_data)
    p = sub.add_parser("measure", parents=[common],
                       help="measure this machine's bandwidth and matmul FLOP/s; write a '(measured)' hardware row",
                       description="STREAM-style copy/triad and dense matmul benchmarks (median of repetitions after "
                                   "a warm-up); writes a hardware.csv row into --out, --data-dir, $BOOK_DATA_DIR or "
                                   "./my-data. Progress goes to stderr.")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="cpu (numpy) or cuda (a GPU through PyTorch or CuPy, installed separately)")
    p.add_argument("--out", help="data directory to write the row into (default: --data-dir, $BOOK_DATA_DIR, my-data)")
    p.add_argument("--name", help="the row's name (default: '<device name> (measured)')")
    p.add_argument("--datasheet", help="the hardware row to compare with (default: the row the device name matches)")
    p.add_argument("--repetitions", type=int, default=5, help="timed repetitions per kernel after one warm-up")
    p.add_argument("--array-MiB", dest="array_MiB", type=float,
                   help="MiB per STREAM array (default: 4 x the last-level cache, capped at 1/8 of memory)")
    p.add_argument("--matmul-n", dest="matmul_n", type=int, help="matmul order n (default: sized to ~0.25 s a call)")
    p.add_argument("--threads", type=int, help="CPU threads for the STREAM kernels (default: one per CPU; the BLAS "
                   "library's own threads are set by its environment, e.g. OPENBLAS_NUM_THREADS)")
    p.add_argument("--no-write", action="store_true", help="measure and print only; write no row")
    p.add_argument("--quiet", action="store_true", help="no progress display on stderr")
    p.set_defaults(func=cmd_measure)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (data.DataError, data.SelectionError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
