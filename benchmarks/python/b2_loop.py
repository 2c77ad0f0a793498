"""Benchmark B2: what a user would write instead of StreamInfer.

A plain Python loop: confluent-kafka consumes single-object-encoded Avro events, fastavro
decodes them, the reference pre-processing of ``streaminfer_training.preprocessing`` turns them
into tensors, one onnxruntime ``session.run`` per model serves every ``--batch`` events, and one small
JSON prediction per input and model (per generated image, with its PNG, for the GAN) goes to
``--output-topic``. ``--model sensor-lstm,sensor-gru`` runs both forecasters on every window, as the
pipeline's sensor branch does.

It reads ``--count`` events from the beginning of ``--topic`` with a fresh consumer group, then
prints one JSON line to stdout::

    {"bench": "B2", "model": ..., "mode": "python-loop", "batch": B, "threads": T,
     "events": N, "seconds": ..., "events_per_s": ...}

The clock starts at the first record received and stops once all N events are processed and the
producer is flushed. Exits 1, without the JSON line, if ``--timeout-s`` passes first.

    training/.venv/bin/python benchmarks/python/b2_loop.py --bootstrap localhost:9092 \\
        --model digits-cnn --topic images --output-topic b2-predictions --count 10000 --batch 32
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import sys
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

import fastavro
import numpy as np
import onnxruntime as ort
from fastavro.schema import fingerprint, to_parsing_canonical_form

ROOT = Path(__file__).resolve().parents[2]

# The training package (installed into training/.venv by the test command) holds the reference
# pre-processing that the Java side is checked against.
from streaminfer_training.preprocessing import (
    byte_tokens,
    decode_image,
    encode_png,
    gaussian_noise,
    generated_to_uint8,
    image_tensor,
    normalise_window,
    softmax,
)

MODELS = ("digits-cnn", "langid-transformer", "sensor-lstm", "sensor-gru", "digits-gan")
AVRO_DIR = ROOT / "schemas" / "src" / "main" / "avro"
#: Avro single-object encoding: marker, then the writer schema's CRC-64-AVRO fingerprint (LE).
MARKER = b"\xc3\x01"
HEADER_LEN = len(MARKER) + 8
#: The card's preprocessing type names the input event's schema.
EVENT_SCHEMA = {
    "image": "ImageEvent",
    "byte-tokens": "TextEvent",
    "window-zscore": "SensorReading",
    "latent-noise": "GenerationRequest",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# ------------------------------------------------------------------------------- decoding


def load_schema(name: str, avro_dir: Path = AVRO_DIR) -> dict:
    """Parses ``<name>.avsc`` with the shared types of ``common/`` inlined (expanded).

    Expanded, so that the parsing canonical form, and thus the fingerprint, is the one Java
    computes; with named references left as names the fingerprint would differ.
    """
    named: dict = {}
    for path in sorted((avro_dir / "common").glob("*.avsc")):
        fastavro.parse_schema(json.loads(path.read_text()), named)
    schema = json.loads((avro_dir / f"{name}.avsc").read_text())
    return fastavro.parse_schema(schema, named, expand=True)


def schema_fingerprint(schema: dict) -> bytes:
    """The 8 header bytes: CRC-64-AVRO of the parsing canonical form, little-endian."""
    return bytes.fromhex(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))


def decode_single_object(payload: bytes, schema: dict, expected_fingerprint: bytes) -> dict:
    """Decodes one single-object-encoded Avro datum; ValueError if the header is not ours."""
    if payload is None or len(payload) < HEADER_LEN:
        size = 0 if payload is None else len(payload)
        raise ValueError(f"not Avro single-object encoding: {size} bytes, need at least {HEADER_LEN}")
    if payload[:2] != MARKER:
        raise ValueError(f"not Avro single-object encoding: marker {payload[:2].hex()}, expected c301")
    if payload[2:HEADER_LEN] != expected_fingerprint:
        raise ValueError(
            f"writer schema fingerprint {payload[2:HEADER_LEN].hex()} is not {schema['name']}'s "
            f"{expected_fingerprint.hex()}"
        )
    return fastavro.schemaless_reader(io.BytesIO(payload[HEADER_LEN:]), schema)


def epoch_millis(t: datetime | int) -> int:
    """fastavro turns timestamp-millis into an aware datetime; back to UTC milliseconds."""
    return t if isinstance(t, int) else (t - _EPOCH) // timedelta(milliseconds=1)


# -------------------------------------------------------------------------- preprocessing


@dataclass
class Item:
    """One input event made ready for the model."""

    key: str  # record key of the prediction(s)
    meta: dict  # fields copied into every prediction made from this event
    feeds: dict[str, np.ndarray]  # input name -> (k, ...) rows; k = 1 except for the GAN

    @property
    def rows(self) -> int:
        return len(next(iter(self.feeds.values())))


def image_pixels(event: dict) -> np.ndarray:
    """ImageEvent → (H, W, C) float64 pixels 0..255."""
    if event["encoding"] != "RAW_UINT8":
        return decode_image(event["data"])
    h, w, c = event["height"], event["width"], event["channels"]
    if None in (h, w, c) or len(event["data"]) != h * w * c:
        raise ValueError(f"raw image {event['id']}: {len(event['data'])} bytes for {h}x{w}x{c}")
    return np.frombuffer(event["data"], dtype=np.uint8).reshape(h, w, c).astype(np.float64)


class SensorWindows:
    """Per-sensor window of the last ``size`` readings; yields an input once it is full."""

    def __init__(self, input_name: str, size: int, epsilon: float):
        self.input_name = input_name
        self.epsilon = epsilon
        self.windows: dict[str, deque] = defaultdict(lambda: deque(maxlen=size))

    def __call__(self, event: dict) -> list[Item]:
        window = self.windows[event["sensor_id"]]
        window.append(event["value"])
        if len(window) < window.maxlen:
            return []
        x, mean, std = normalise_window(np.fromiter(window, dtype=np.float64), self.epsilon)
        meta = {"id": event["id"], "sensor_id": event["sensor_id"],
                "event_time": epoch_millis(event["event_time"]), "mean": mean, "std": std}
        return [Item(event["sensor_id"], meta, {self.input_name: x[None]})]  # (1, W, 1)


def make_preprocessor(card: dict) -> Callable[[dict], list[Item]]:
    """Event → the items to infer on, exactly as the card's preprocessing says."""
    pre = card["preprocessing"]
    first_input = card["inputs"][0]["name"]
    kind = pre["type"]
    if kind == "image":
        def image(event: dict) -> list[Item]:
            x = image_tensor(image_pixels(event), pre)  # (1, 1, H, W)
            return [Item(event["id"], _classified_meta(event), {first_input: x})]
        return image
    if kind == "byte-tokens":
        def text(event: dict) -> list[Item]:
            ids = byte_tokens(event["text"], pre["max_len"], pre["offset"], pre["pad_id"])
            return [Item(event["id"], _classified_meta(event), {first_input: ids[None]})]  # (1, L)
        return text
    if kind == "window-zscore":
        return SensorWindows(first_input, pre["window"], pre["epsilon"])
    if kind == "latent-noise":
        labels = card["labels"]

        def generation(event: dict) -> list[Item]:
            if event["label"] not in labels:
                raise ValueError(f"request {event['id']}: label {event['label']!r} not in {labels}")
            n = event["samples"]
            z = gaussian_noise(event["seed"], n, pre["latent_dim"])  # (n, latent_dim)
            label = np.full(n, labels.index(event["label"]), dtype=np.int64)  # (n,)
            meta = {"id": event["id"], "label": event["label"], "seed": event["seed"]}
            return [Item(event["id"], meta, {pre["noise_input"]: z, pre["label_input"]: label})]
        return generation
    raise ValueError(f"model {card['name']}: unsupported preprocessing type {kind!r}")


def _classified_meta(event: dict) -> dict:
    return {"id": event["id"], "event_time": epoch_millis(event["event_time"]),
            "true_label": event["label"]}


# ------------------------------------------------------------------------- postprocessing

Postprocessor = Callable[[list[Item], np.ndarray], Iterator[tuple[str, dict]]]


def make_postprocessor(card: dict) -> Postprocessor:
    """(items, batch output) → (key, prediction) pairs, as the card's postprocessing says."""
    kind = card["postprocessing"]["type"]
    model = card["name"]
    if kind == "softmax-top-k":
        labels = card["labels"]

        def classify(items, logits):  # logits (B, classes)
            probs = softmax(logits.astype(np.float64))
            for item, p, best in zip(items, probs, probs.argmax(axis=1)):
                yield item.key, {**item.meta, "model": model, "label": labels[best],
                                 "score": float(p[best])}
        return classify
    if kind == "window-denormalise":
        def forecast(items, out):  # out (B, 1), in z-scores of each input window
            for item, z in zip(items, out[:, 0].astype(np.float64)):
                meta = dict(item.meta)
                value = z * meta.pop("std") + meta.pop("mean")
                yield item.key, {**meta, "model": model, "forecast": float(value)}
        return forecast
    if kind == "image":
        low, high = card["postprocessing"]["range"]

        def generated(items, images):  # images (sum of samples, 1, H, W) → one PNG each
            pixels = generated_to_uint8(images, low, high)
            row = 0
            for item in items:
                for i in range(item.rows):
                    png = encode_png(pixels[row, 0])
                    yield item.key, {**item.meta, "model": model, "sample_index": i,
                                     "png": base64.b64encode(png).decode()}
                    row += 1
        return generated
    raise ValueError(f"model {card['name']}: unsupported postprocessing type {kind!r}")


# ------------------------------------------------------------------------------ inference


def load_card(repository: Path, model: str) -> tuple[dict, Path]:
    """The newest version's model card and its directory."""
    versions = sorted((repository / model).glob("*/model.json"), key=lambda p: int(p.parent.name))
    if not versions:
        raise FileNotFoundError(f"no {model}/<version>/model.json under {repository}")
    return json.loads(versions[-1].read_text()), versions[-1].parent


def open_session(model_dir: Path, card: dict, threads: int) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(str(model_dir / card["file"]), opts,
                                   providers=["CPUExecutionProvider"])
    expected = {i["name"] for i in card["inputs"]}
    actual = {i.name for i in session.get_inputs()}
    if expected != actual:
        raise ValueError(f"{card['name']}: card inputs {sorted(expected)}, model has {sorted(actual)}")
    return session


def load_models(repository: Path, names: list[str], threads: int
                ) -> tuple[dict, list[tuple[ort.InferenceSession, str, Postprocessor]]]:
    """The first model's card (it pre-processes for all) and, per model, (session, output name,
    postprocessor). Several models must pre-process alike: every one runs on every batch, as the
    pipeline's sensor branch runs both forecasters on each window."""
    cards = [load_card(repository, m) for m in names]
    first = cards[0][0]
    for other, _ in cards[1:]:
        if other["preprocessing"] != first["preprocessing"]:
            raise ValueError(f"{other['name']} pre-processes differently from {first['name']}: one loop "
                             "can serve several models only if they read the same inputs")
    return first, [(open_session(d, c, threads), c["postprocessing"]["output"], make_postprocessor(c))
                   for c, d in cards]


def infer(session: ort.InferenceSession, output: str, items: list[Item]) -> np.ndarray:
    """One session.run over the rows of all items, stacked along the batch axis."""
    feeds = {name: np.concatenate([it.feeds[name] for it in items]) for name in items[0].feeds}
    return session.run([output], feeds)[0]


# ---------------------------------------------------------------------------------- kafka


def _raise_on_failure(err, msg):
    if err is not None:
        raise RuntimeError(f"prediction not delivered to {msg.topic()}: {err}")


def produce(producer, topic: str, predictions: Iterable[tuple[str, dict]]) -> int:
    n = 0
    for key, prediction in predictions:
        value = json.dumps(prediction).encode()
        while True:
            try:
                producer.produce(topic, value, key.encode(), on_delivery=_raise_on_failure)
                break
            except BufferError:  # local queue full: serve delivery reports, then retry
                producer.poll(0.05)
        n += 1
    producer.poll(0)
    return n


def run(args: argparse.Namespace) -> dict | None:
    """The benchmark loop; the result line, or None on timeout."""
    from confluent_kafka import Consumer, KafkaException, Producer

    deadline = time.monotonic() + args.timeout_s
    card, models = load_models(Path(args.repository), args.model.split(","), args.threads)
    schema = load_schema(EVENT_SCHEMA[card["preprocessing"]["type"]])
    expected_fp = schema_fingerprint(schema)
    preprocess = make_preprocessor(card)

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": f"b2-{args.model}-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5})
    consumer.subscribe([args.topic])
    consumed, in_batch, items, started = 0, 0, [], None
    try:
        while consumed < args.count:
            if time.monotonic() > deadline:
                print(f"B2 timed out after {args.timeout_s}s: {consumed}/{args.count} events",
                      file=sys.stderr)
                return None
            wanted = min(args.batch - in_batch, args.count - consumed)
            for msg in consumer.consume(num_messages=wanted, timeout=0.1):
                if msg.error():
                    if msg.error().fatal():
                        raise KafkaException(msg.error())
                    print(f"consumer: {msg.error()}", file=sys.stderr)
                    continue
                if started is None:
                    started = time.perf_counter()
                consumed += 1
                in_batch += 1
                items.extend(preprocess(decode_single_object(msg.value(), schema, expected_fp)))
            if in_batch == args.batch or (consumed == args.count and in_batch):
                if items:  # sensors: readings that only fill a window yield nothing to run
                    for session, output, postprocess in models:
                        produce(producer, args.output_topic,
                                postprocess(items, infer(session, output, items)))
                in_batch, items = 0, []
        left = producer.flush(max(deadline - time.monotonic(), 0.0))
        if left:
            print(f"B2 timed out flushing: {left} predictions undelivered", file=sys.stderr)
            return None
        seconds = time.perf_counter() - started
    finally:
        consumer.close()
    return {"bench": "B2", "model": args.model, "mode": "python-loop", "batch": args.batch,
            "threads": args.threads, "events": consumed, "seconds": round(seconds, 3),
            "events_per_s": round(consumed / seconds, 1)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers, host:port")
    p.add_argument("--model", required=True,
                   help=f"one of {', '.join(MODELS)}, or several with the same pre-processing, "
                        "comma-separated (each runs on every batch)")
    p.add_argument("--repository", default=str(ROOT / "models" / "repository"),
                   help="model repository (default: models/repository of this checkout)")
    p.add_argument("--topic", required=True, help="input topic holding the preloaded events")
    p.add_argument("--output-topic", required=True, help="where the JSON predictions go")
    p.add_argument("--count", type=int, required=True, help="events to process, then stop")
    p.add_argument("--batch", type=int, default=1, help="events per onnxruntime run")
    p.add_argument("--threads", type=int, default=1, help="intra-op threads (inter-op is 1)")
    p.add_argument("--timeout-s", type=float, default=600.0, help="give up, exit 1, after this")
    args = p.parse_args(argv)
    for m in args.model.split(","):
        if m not in MODELS:
            p.error(f"--model: {m!r} is not one of {', '.join(MODELS)}")
    for name in ("count", "batch", "threads"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    result = run(parse_args(argv))
    if result is None:
        return 1
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
