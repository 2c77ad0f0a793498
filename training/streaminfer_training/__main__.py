"""Entry point: python -m streaminfer_training train <model>|all [--set key=value ...] [--dry-run].

Defaults live in each model's Config dataclass; --set overrides them and unknown keys are
rejected with the list of valid keys.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import REPOSITORY
from .common import apply_overrides, keys_of
from .registry import TRAINERS as MODELS
from .registry import trainer
from .thresholds import failures


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    out = {}
    for p in pairs:
        if "=" not in p:
            raise SystemExit(f"--set expects key=value, got {p!r}")
        k, v = p.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m streaminfer_training", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train, export and write models/repository/<name>/<version>")
    tr.add_argument("model", choices=[*MODELS, "all"])
    tr.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a Config field (dots reach nested configs)")
    tr.add_argument("--dry-run", action="store_true", help="train a few steps only (tests)")
    tr.add_argument("--version", default="1", help="version directory to write (default 1)")
    tr.add_argument("--out", type=Path, default=REPOSITORY, help="repository root")
    sub.add_parser("demo-data", help="write the held-out sample events the Java demo publishes")
    ks = sub.add_parser("keys", help="list the overridable config keys of a model")
    ks.add_argument("model", choices=list(MODELS))
    args = ap.parse_args(argv)

    if args.command == "demo-data":
        from .demo_data import write

        print(f"wrote {write()}")
        return 0
    if args.command == "keys":
        print("\n".join(keys_of(trainer(args.model).config())))
        return 0
    names = list(MODELS) if args.model == "all" else [args.model]
    overrides = parse_overrides(args.set)
    problems = []
    for name in names:
        mod = trainer(name)
        try:
            cfg = apply_overrides(mod.config(), overrides)
        except ValueError as e:
            raise SystemExit(f"{name}: {e}")
        card = mod.train(cfg, args.out / name / args.version, args.version, args.dry_run)
        summary = {"model": name, **card["metrics"], "parity": card["parity"]["max_abs_diff"],
                   "parameters": card["model_stats"]["parameters"],
                   "flops": card["model_stats"]["flops_per_inference"],
                   "onnx_bytes": card["size_bytes"],
                   "seconds": card["provenance"]["training_seconds"]}
        print(json.dumps(summary))
        if not args.dry_run:
            problems += failures(name, card["metrics"])
    for p in problems:
        print(f"THRESHOLD MISSED: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
