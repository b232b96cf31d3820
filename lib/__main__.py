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
from .roofline import decode_step
from .units import COMPUTE_PRECISIONS


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


def cmd_roofline(args) -> int:
    sel = data.selection(args.hardware, args.model, args.data_dir)
    batch = np.asarray(args.batch, dtype=float)[:, None]
    context = np.asarray(args.context, dtype=float)[None, :]
    step = decode_step(sel.hardware, sel.model, batch, context, precision=args.precision, chips=args.chips)
    out = []
    for i, b in enumerate(args.batch):
        for j, l in enumerate(args.context):
            out.append({
                "hardware": sel.hardware.name, "model": sel.model.name, "precision": args.precision,
                "chips": step.chips, "batch": b, "context": l,
                "compute_s": float(step.compute_s[i, j]), "weights_s": float(step.weights_s[i, j]),
                "kv_s": float(step.kv_s[i, j]), "step_s": float(step.step_s[i, j]),
                "tokens_per_s": float(step.tokens_per_s[i, j]), "bound": str(step.bound[i, j]),
            })
    if args.json:
        _json(out)
    else:
        # Times shown in milliseconds, under headers that say so; counts as integers (JSON keeps SI seconds).
        _print_table([{"batch": f"{r['batch']:,g}", "context": f"{r['context']:,g}", "chips": r["chips"],
                       **{k.replace("_s", "_ms"): f"{r[k] * 1e3:.3f}" for k in ("compute_s", "weights_s", "kv_s", "step_s")},
                       "tokens_per_s": f"{r['tokens_per_s']:,.0f}", "bound": r["bound"]} for r in out],
                     ["batch", "context", "chips", "compute_ms", "weights_ms", "kv_ms", "step_ms", "tokens_per_s",
                      "bound"])
    return 0


def cmd_claims(args) -> int:
    sel = data.selection(args.hardware, args.model, args.data_dir)
    entries = claims_mod.ledger(sel)
    if args.json:
        _json([e.to_json() for e in entries])
    else:
        from .page import ledger_frame

        print(f"hardware: {sel.hardware.name}   model: {sel.model.name}   data: {sel.data_dir}")
        _print_table(ledger_frame(entries).drop(columns=["note"]).to_dict("records"))
    return 0


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
    p = sub.add_parser("roofline", parents=[common, select], help="one decode step's times (a sweep over batch and context)")
    p.add_argument("--batch", type=float, nargs="+", required=True, help="sequences per step (one or more)")
    p.add_argument("--context", type=float, nargs="+", required=True, help="context tokens (one or more)")
    p.add_argument("--precision", choices=COMPUTE_PRECISIONS, default="bf16", help="weights and compute format")
    p.add_argument("--chips", type=int, help="accelerators in the replica (default: fewest that hold the weights)")
    p.set_defaults(func=cmd_roofline)
    p = sub.add_parser("claims", parents=[common, select], help="the claim ledger for the selected rows")
    p.set_defaults(func=cmd_claims)
    p = sub.add_parser("check-data", parents=[common], help="validate a data directory; every problem in one report")
    p.add_argument("directory", nargs="?", help="the directory to check (default: --data-dir, $BOOK_DATA_DIR or data/)")
    p.set_defaults(func=cmd_check_data)
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
