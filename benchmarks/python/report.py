"""Renders the tables of docs/benchmarks.md from docs/benchmarks.json.

Only the part between the `<!-- tables:start -->` and `<!-- tables:end -->` markers is replaced;
the analysis around it is written by hand.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

START, END = "<!-- tables:start -->", "<!-- tables:end -->"


def _fmt(v, digits=0) -> str:
    """A number with thousands separators; — for a missing or non-numeric value (e.g. "NaN")."""
    if not isinstance(v, (int, float)) or v != v:
        return "—"
    return f"{v:,.{digits}f}"


def tables(data: dict) -> str:
    m = data["measurements"]
    mc = data["machine"]
    out = [f"Run: {data.get('started')} → {data.get('finished')}, "
           f"{'quick' if data.get('quick') else 'full'} mode, processing guarantee "
           f"`{data.get('processing_guarantee')}`. Machine: {mc['cpu']}, {mc['cores']} cores, "
           f"{mc['memory_gb']} GB, Java {mc['java']}, {mc['os']}.", ""]
    out += ["### B0 — bare ONNX Runtime (inferences/s; p50 / p99 per call, µs)", "",
            "| model | threads | batch 1 | batch 8 | batch 32 | batch 64 |", "|---|---|---|---|---|---|"]
    b0 = [x for x in m if x["bench"] == "B0"]
    for model in sorted({x["model"] for x in b0}):
        for t in (1, 2):
            row = [f"`{model}`", str(t)]
            for b in (1, 8, 32, 64):
                x = next((y for y in b0 if y["model"] == model and y["threads"] == t and y["batch"] == b), None)
                row.append("—" if x is None else
                           f"{_fmt(x['events_per_s'])} ({_fmt(x['p50_us'])} / {_fmt(x['p99_us'])})")
            out.append("| " + " | ".join(row) + " |")
    out += ["", "### B1 / B1′ / B2 — events/s on the in-process broker, and the ratios", "",
            "| model | pipeline unbatched | pipeline batched (64, 5 ms) | batched ÷ unbatched | "
            "compute limit (bare ORT, 64, 1 thread) | pipeline ÷ compute | pipeline ÷ transport | "
            "overhead µs/event | Python loop (64) | Java ÷ Python |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in data.get("ratios", []):
        model = r["model"]
        ev = {x["mode"]: x["events_per_s"] for x in m if x["bench"] == "B1" and x["model"] == model}
        py = next((x["events_per_s"] for x in m if x["bench"] == "B2" and x["model"] == model), None)
        out.append(f"| `{model}` | {_fmt(ev.get('pipeline-unbatched'))} | {_fmt(ev.get('pipeline-batched'))} | "
                   f"{_fmt(r.get('batched_over_unbatched'), 2)} | {_fmt(r.get('compute_limit_per_s'))} | "
                   f"{_fmt(r.get('pipeline_over_bare_ort'), 2)} | "
                   f"{_fmt(r.get('pipeline_over_transport'), 2)} | {_fmt(r.get('overhead_us_per_event'))} | "
                   f"{_fmt(py)} | {_fmt(r.get('java_over_python'), 2)} |")
    tr = next((x for x in m if x["bench"] == "B1'"), None)
    if tr:
        out += ["", f"B1′ transport limit (pass-through Streams app, image events, same broker and "
                    f"guarantee): **{_fmt(tr['events_per_s'])} events/s**."]
    lat_rows = [x for x in m if x["bench"] == "B1-latency"]
    out += ["", "### B1 latency — open-loop producer (ms; end to end = producer timestamp → output append; "
                "visible = → receipt by a read_committed consumer)", "",
            "| model | guarantee | load | rate/s | p50 | p95 | p99 | visible p50 / p99 | "
            "stages p50: input / pipeline / output / visibility | pipeline p99 | batch size p50 |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for x in lat_rows:
        lat = x["latency_ms"]
        vis = x.get("visible_ms", {})
        st = x.get("stages_ms", {})
        stages = " / ".join(_fmt(st.get(k, {}).get("p50")) for k in ("input", "pipeline", "output", "visibility"))
        load = x.get("load_fraction")
        out.append(f"| `{x['model']}` | {x.get('processing_guarantee', data.get('processing_guarantee'))} | "
                   f"{'—' if load is None else f'{load:.0%}'} | {_fmt(x['rate_per_s'])} | {_fmt(lat['p50'])} | "
                   f"{_fmt(lat['p95'])} | {_fmt(lat['p99'])} | {_fmt(vis.get('p50'))} / {_fmt(vis.get('p99'))} | "
                   f"{stages} | {_fmt(st.get('pipeline', {}).get('p99'))} | "
                   f"{_fmt(x.get('batch_size', {}).get('p50'))} |")
    soak = next((x for x in m if x["bench"] == "B3"), None)
    if soak:
        s = [x for x in soak["samples"] if isinstance(x.get("heap_mb"), (int, float))
             and isinstance(x.get("rss_mb"), (int, float))]  # the endpoint starts after the JVM
        out += ["", f"### B3 — soak: {soak.get('predicted', 0):,} of {soak['events']:,} image events in "
                    f"{_fmt(soak.get('seconds'))} s ({_fmt(soak.get('events_per_s'))}/s)", "",
                f"Pipeline JVM (-Xmx512m): heap {_fmt(min(x['heap_mb'] for x in s))}–"
                f"{_fmt(max(x['heap_mb'] for x in s))} MB; RSS {_fmt(s[0]['rss_mb'])} MB at start, "
                f"{_fmt(s[-1]['rss_mb'])} MB at the end; growth after warm-up (first quarter): "
                f"{_fmt(soak.get('rss_growth_after_warmup_mb'), 1)} MB over {len(s)} samples."]
    out += ["", "![throughput](benchmarks-throughput.png)", "![latency](benchmarks-latency-cdf.png)",
            "![soak](benchmarks-soak-memory.png)"]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--input", type=Path, default=Path("docs/benchmarks.json"))
    ap.add_argument("--doc", type=Path, default=Path("docs/benchmarks.md"))
    args = ap.parse_args()
    data = json.loads(args.input.read_text())
    doc = args.doc.read_text() if args.doc.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    args.doc.write_text(f"{head}{START}\n{tables(data)}\n{END}{tail}")
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
