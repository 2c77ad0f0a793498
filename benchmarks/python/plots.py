"""PNG plots of the benchmark results in docs/benchmarks.json.

    training/.venv/bin/python benchmarks/python/plots.py [--input docs/benchmarks.json] [--out docs]

Writes into the output folder:

* ``benchmarks-throughput.png``: per model, bare ONNX Runtime (B0) inferences/s against batch
  size, one line per thread count, log x; horizontal lines for the pipeline (B1 batched and
  unbatched) and the Python loop (B2) when measured.
* ``benchmarks-latency-cdf.png``: per model and B1-latency point, the CDF of producer timestamp →
  output append (solid) and → receipt by a read_committed consumer (dashed).
* ``benchmarks-soak-memory.png``: heap and RSS over the B3 soak.

A plot whose measurements are missing is skipped, and the skip is printed.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
#: Horizontal reference lines on the throughput plot: (bench, mode) -> (legend, line style).
MARKERS = {
    ("B1", "pipeline-batched"): ("B1 pipeline, batched", "--"),
    ("B1", "pipeline-unbatched"): ("B1 pipeline, unbatched", ":"),
    ("B2", "python-loop"): ("B2 Python loop", "-."),
}


def by_model(measurements: list[dict], bench: str) -> dict[str, list[dict]]:
    grouped = defaultdict(list)
    for m in measurements:
        if m.get("bench") == bench:
            grouped[m["model"]].append(m)
    return dict(grouped)


def _grid(n: int, width: float = 5.0, height: float = 3.6):
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _save(fig, path: Path):
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")


def throughput(measurements: list[dict], path: Path) -> bool:
    b0 = by_model(measurements, "B0")
    if not b0:
        print(f"skipped {path.name}: no B0 measurements")
        return False
    fig, axes = _grid(len(b0))
    for ax, (model, rows) in zip(axes, sorted(b0.items())):
        per_threads = defaultdict(list)
        for r in rows:
            per_threads[r["threads"]].append((r["batch"], r["events_per_s"]))
        for threads, points in sorted(per_threads.items()):
            batches, rates = zip(*sorted(points))
            ax.plot(batches, rates, marker="o", label=f"B0 bare ORT, {threads} thread(s)")
        for m in measurements:
            marker = MARKERS.get((m.get("bench"), m.get("mode")))
            if marker and model in m.get("model", "").split("+"):  # sensors: a branch runs two models
                label, style = marker
                both = f", runs {m['model']}" if "+" in m["model"] else ""
                ax.axhline(m["events_per_s"], color="grey", linestyle=style,
                           label=f"{label} (batch {m.get('batch')}, {m.get('threads')} thr{both})")
        ax.set_xscale("log", base=2)
        ax.set(title=model, xlabel="batch size", ylabel="inferences / s")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    _save(fig, path)
    return True


def latency_cdf(measurements: list[dict], path: Path) -> bool:
    runs = {model: [r for r in rows if r.get("cdf")]
            for model, rows in by_model(measurements, "B1-latency").items()}
    runs = {model: rows for model, rows in runs.items() if rows}
    if not runs:
        print(f"skipped {path.name}: no B1-latency measurements with a cdf")
        return False
    fig, axes = _grid(len(runs))
    for ax, (model, rows) in zip(axes, sorted(runs.items())):
        for r in rows:
            ms, fraction = zip(*r["cdf"])
            p99 = r.get("latency_ms", {}).get("p99")
            label = (f"{r.get('processing_guarantee', '')} {r.get('rate_per_s', 0):,.0f}/s"
                     + (f", p99 {p99:g} ms" if p99 is not None else ""))
            line, = ax.plot(ms, fraction, drawstyle="steps-post", label=label)
            if r.get("cdf_visible"):  # same colour, dashed: until a read_committed consumer sees it
                vms, vfraction = zip(*r["cdf_visible"])
                ax.plot(vms, vfraction, drawstyle="steps-post", linestyle="--", color=line.get_color(), alpha=0.6)
        ax.set(title=model, xlabel="ms from the producer to the output's append (solid), to visible (dashed)",
               ylabel="fraction of events", ylim=(0, 1.02))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    _save(fig, path)
    return True


def soak_memory(measurements: list[dict], path: Path) -> bool:
    soak = [m for m in measurements if m.get("bench") == "B3" and m.get("samples")]
    if not soak:
        print(f"skipped {path.name}: no B3 measurement with samples")
        return False
    run = soak[-1]
    # a sample taken before the pipeline's metrics endpoint was up has "NaN" (a string) for its heap
    samples = [s for s in run["samples"]
               if all(isinstance(s.get(k), (int, float)) for k in ("t_s", "heap_mb", "rss_mb"))]
    t = [s["t_s"] / 60 for s in samples]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(t, [s["heap_mb"] for s in samples], label="JVM heap used")
    ax.plot(t, [s["rss_mb"] for s in samples], label="process RSS")
    events = f", {run['events']:,} events" if "events" in run else ""
    ax.set(title=f"B3 soak, {run.get('model', '?')}{events}", xlabel="time (min)",
           ylabel="MiB", ylim=(0, None))
    ax.grid(alpha=0.3)
    ax.legend()
    _save(fig, path)
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", type=Path, default=ROOT / "docs" / "benchmarks.json")
    p.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    args = p.parse_args(argv)
    measurements = json.loads(args.input.read_text()).get("measurements", [])
    args.out.mkdir(parents=True, exist_ok=True)
    throughput(measurements, args.out / "benchmarks-throughput.png")
    latency_cdf(measurements, args.out / "benchmarks-latency-cdf.png")
    soak_memory(measurements, args.out / "benchmarks-soak-memory.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
