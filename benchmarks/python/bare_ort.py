"""Python onnxruntime alone on the bundled models: B0's batch and threads, from PyPI's runtime.

The Java pipeline and B0 run ONNX Runtime from Maven Central, the B2 Python loop the onnxruntime
wheel pinned in training/requirements.txt; the two releases need not be the same. This measures
the Python runtime the way B0 measures the Java one (warm-up, timed windows, median), so a Java ÷
Python ratio can be split into what the runtimes differ by and what the loops differ by:

    training/.venv/bin/python benchmarks/python/bare_ort.py [--batch 64] [--threads 1]

Prints one JSON line per model: {"bench": "B0-python", "model", "batch", "threads",
"onnxruntime", "events_per_s"}. Inputs are random of the right shape and type (the models' cost
does not depend on the values); integer inputs (token ids, class labels) are drawn from 0..9.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from b2_loop import MODELS, ROOT, load_card, open_session  # the loop's session settings; a sibling script


def feeds(session: ort.InferenceSession, batch: int, rng: np.random.Generator) -> dict:
    out = {}
    for i in session.get_inputs():
        shape = [d if isinstance(d, int) else batch for d in i.shape]
        if "int" in i.type:
            out[i.name] = rng.integers(0, 10, size=shape, dtype=np.int64)
        else:
            out[i.name] = rng.standard_normal(shape).astype(np.float32)
    return out


def measure(session: ort.InferenceSession, batch: int, window_s: float, windows: int) -> float:
    """Median inferences/s of ``session`` over ``windows`` timed windows, after a warm-up."""
    x = feeds(session, batch, np.random.default_rng(0))
    for _ in range(10):
        session.run(None, x)
    rates = []
    for _ in range(windows):
        start, runs = time.perf_counter(), 0
        while time.perf_counter() - start < window_s:
            session.run(None, x)
            runs += 1
        rates.append(batch * runs / (time.perf_counter() - start))
    return sorted(rates)[len(rates) // 2]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repository", type=Path, default=ROOT / "models" / "repository")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--window-s", type=float, default=1.5)
    p.add_argument("--windows", type=int, default=5)
    args = p.parse_args(argv)
    for model in MODELS:
        card, model_dir = load_card(args.repository, model)
        session = open_session(model_dir, card, args.threads)  # exactly as the B2 loop opens it
        rate = measure(session, args.batch, args.window_s, args.windows)
        print(json.dumps({"bench": "B0-python", "model": card["name"], "batch": args.batch,
                          "threads": args.threads, "onnxruntime": ort.__version__,
                          "events_per_s": round(rate, 1)}), flush=True)


if __name__ == "__main__":
    main()
