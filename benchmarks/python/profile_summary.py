"""Where a pipeline stream thread's CPU went, from an async-profiler collapsed-stack file.

Profile a saturation run (see docs/benchmarks.md, "Profiling"), then:

    python3 benchmarks/python/profile_summary.py /tmp/cnn.collapsed

The file must come from ``event=cpu,threads,collapsed`` (each stack starts with its thread's name).
By default the stream thread of the last run is summarised (run ids ``b<N>-...`` count up); the
samples of every thread are summed per thread group too, so the broker, the JIT compiler and the
pipeline can be compared. Standard library only.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

#: (category, any of these frame substrings), first match wins; order matters.
CATEGORIES = [
    ("ONNX Runtime (session.run)", ("OrtSession.run", "libonnxruntime")),
    ("startup: waiting for restored tasks", ("drainRestoredActiveTasks", "checkStateUpdater",
                                            "initializeIfNeeded", "StreamTask.close")),
    ("image decode (ImageIO PNG)", ("ImagePreprocessor.decoded",)),
    ("pre-processing (resize, normalise, tensors)", ("models/preprocess", "models/task")),
    ("Avro decode of inputs", ("AvroDeserializer", "Batches$Decoder")),
    ("outputs: build, Avro encode, send", ("BatchingProcessor.emit", "AvroSerializer")),
    ("buffer store: put, read, delete, changelog", ("BatchingProcessor.process", "BufferedRecord",
                                                    "BatchingProcessor.flush")),
    ("commit / transaction", ("commit", "Transaction")),
    ("consumer poll and network", ("pollRequests", "NetworkClient", "ClassicKafkaConsumer")),
    ("Kafka Streams record handling", ("org/apache/kafka/streams",)),
]


def thread_group(name: str) -> str:
    """A thread name with run ids, numbers and ids folded, so threads of one kind add up."""
    name = re.sub(r"b\d+-[a-z]+(-\d+)?(-latency|-python)?-[0-9a-f-]{36}", "<run>", name)
    name = re.sub(r"tid=\d+", "", name)
    return re.sub(r"\d+", "N", name).strip("[] ")


def categorise(frames: list[str]) -> str:
    stack = ";".join(frames)
    for category, needles in CATEGORIES:
        if any(n in stack for n in needles):
            return category
    return "other"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("collapsed", type=Path, help="async-profiler output (collapsed, with threads)")
    ap.add_argument("--thread", help="summarise threads whose name contains this "
                                     "(default: the StreamThread of the highest run id)")
    args = ap.parse_args(argv)

    stacks: list[tuple[str, list[str], int]] = []
    for line in args.collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        stacks.append((frames[0], frames[1:], int(count)))

    groups = Counter()
    for thread, _, n in stacks:
        groups[thread_group(thread)] += n
    total = sum(groups.values())
    print(f"all threads: {total} samples")
    for group, n in groups.most_common(12):
        print(f"  {n / total:6.1%}  {group}")

    wanted = args.thread
    if wanted is None:
        runs = {int(m.group(1)): m.group(0) for t, _, _ in stacks if "StreamThread" in t
                for m in [re.search(r"b(\d+)-[a-z]+-\d+-[0-9a-f-]{36}", t)] if m}
        if not runs:
            raise SystemExit("no stream thread of a benchmark run found; pass --thread")
        wanted = runs[max(runs)]
    mine = [(frames, n) for thread, frames, n in stacks
            if wanted in thread and "StreamThread" in thread and "producer" not in thread]
    own = sum(n for _, n in mine)
    print(f"\nstream thread {wanted}: {own} samples")
    cats = Counter()
    for frames, n in mine:
        cats[categorise(frames)] += n
    for category, n in cats.most_common():
        print(f"  {n / own:6.1%}  {n:7d}  {category}")


if __name__ == "__main__":
    main()
