"""A StreamInfer producer and consumer in Python: confluent-kafka and fastavro, nothing else.

StreamInfer's topics carry Avro in single-object encoding: the marker bytes C3 01, the 8-byte
little-endian CRC-64-AVRO fingerprint of the writer's schema, then the record. This client reads
the schemas that ``streaminfer schemas --write DIR`` writes (one self-contained ``<Name>.avsc``
each), so it needs no schema registry and no copy of StreamInfer's code.

    python streaminfer_client.py --schemas DIR produce text --topic texts "Guten Morgen" ...
    python streaminfer_client.py --schemas DIR produce text --topic texts - < lines.txt
    python streaminfer_client.py --schemas DIR produce image --topic images a.png b.jpg
    python streaminfer_client.py --schemas DIR produce generation --topic generation-requests \
        --label 7 --samples 2
    python streaminfer_client.py --schemas DIR produce readings --topic sensor-readings \
        --sensor pump-7 readings.csv
    python streaminfer_client.py --schemas DIR consume --topic text-predictions --max 1

``consume`` prints one JSON object a line: the topic, key and schema of each record and its fields
(bytes as their length; on the dead-letter topic, the ``streaminfer.error.*`` headers too). It
reads the topics with ``isolation.level=read_committed``, so it sees only what StreamInfer's
transactions committed. Exit status: 0, 1 when fewer than ``--max`` records came within
``--timeout``, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import fastavro
from confluent_kafka import Consumer, KafkaException, Producer
from fastavro.schema import fingerprint, to_parsing_canonical_form

MARKER = b"\xc3\x01"
HEADER_LEN = len(MARKER) + 8


class Schemas:
    """Every schema of a ``streaminfer schemas --write`` folder, by name and by fingerprint."""

    def __init__(self, folder: Path):
        files = sorted(folder.glob("*.avsc"))
        if not files:
            raise SystemExit(f"no .avsc files in {folder}: run 'streaminfer schemas --write {folder}'")
        self.by_name: dict[str, dict] = {}
        self.by_fingerprint: dict[bytes, dict] = {}
        for path in files:
            # as written: each named type defined at its first use, referenced by name after it,
            # which is the parsing canonical form StreamInfer fingerprints. expand=True would
            # inline a type used twice (Classification's LabelScore) twice: another fingerprint
            schema = fastavro.parse_schema(json.loads(path.read_text()))
            self.by_name[path.stem] = schema
            self.by_fingerprint[self.fingerprint(schema)] = schema

    @staticmethod
    def fingerprint(schema: dict) -> bytes:
        """The 8 header bytes: CRC-64-AVRO of the parsing canonical form, little-endian."""
        return bytes.fromhex(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))

    def encode(self, name: str, record: dict) -> bytes:
        schema = self.by_name[name]
        out = io.BytesIO()
        out.write(MARKER + self.fingerprint(schema))
        fastavro.schemaless_writer(out, schema, record)
        return out.getvalue()

    def decode(self, payload: bytes | None) -> tuple[str, dict]:
        """(schema name, record); ValueError when the bytes are no StreamInfer record."""
        if payload is None or len(payload) < HEADER_LEN or payload[:2] != MARKER:
            raise ValueError("not Avro single-object encoding")
        schema = self.by_fingerprint.get(payload[2:HEADER_LEN])
        if schema is None:
            raise ValueError(f"unknown schema fingerprint {payload[2:HEADER_LEN].hex()}")
        body = io.BytesIO(payload[HEADER_LEN:])
        record = fastavro.schemaless_reader(body, schema)
        if body.tell() != len(payload) - HEADER_LEN:
            raise ValueError("trailing bytes after the record")
        return schema["name"].rsplit(".", 1)[-1], record


# ---------------------------------------------------------------------------------- produce


def now() -> datetime:
    return datetime.now(timezone.utc)


def image_encoding(data: bytes, path: Path) -> str:
    """PNG or JPEG, from the file's magic bytes (StreamInfer checks the field against them)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    raise SystemExit(f"{path}: neither PNG nor JPEG")


def text_events(texts: list[str]):
    lines = sys.stdin.read().splitlines() if texts in ([], ["-"]) else texts
    # lines of ASCII white space are skipped; one that only looks blank (NBSP, zero-width) is sent,
    # and StreamInfer refuses it as TEXT_EMPTY
    for i, text in enumerate(line for line in lines if line.strip(" \t\r\n\f\v")):
        yield f"text-{i + 1}", "TextEvent", {"id": f"text-{i + 1}", "event_time": now(), "text": text}


def image_events(files: list[Path]):
    for path in files:
        data = path.read_bytes()
        yield path.name, "ImageEvent", {
            "id": path.name,
            "event_time": now(),
            "encoding": image_encoding(data, path),
            "data": data,
        }


def generation_events(label: str, samples: int, seed: int, count: int):
    for i in range(count):
        rid = f"generate-{label}-{i + 1}"
        yield rid, "GenerationRequest", {
            "id": rid,
            "event_time": now(),
            "label": label,
            "samples": samples,
            "seed": seed + i,
        }


def reading_events(sensor: str, csv: Path, step_ms: int):
    """One reading a line, oldest first: the value, then its features; # lines are skipped."""
    rows = [line for line in csv.read_text().splitlines() if line.strip() and not line.startswith("#")]
    start = int(time.time() * 1000) - step_ms * len(rows)
    for i, line in enumerate(rows):
        cells = [float(c) for c in line.split(",")]
        t = datetime.fromtimestamp((start + i * step_ms) / 1000, timezone.utc)
        yield sensor, "SensorReading", {
            "id": f"{sensor}-{i + 1}",
            "sensor_id": sensor,
            "event_time": t,
            "value": cells[0],
            "features": cells[1:],
        }


def produce(producer: Producer, schemas: Schemas, topic: str, events) -> int:
    failures: list[str] = []

    def delivered(err, msg):
        if err is not None:
            failures.append(f"{msg.key()!r}: {err}")

    sent = 0
    for key, schema, record in events:
        while True:
            try:
                producer.produce(topic, schemas.encode(schema, record), key.encode(), on_delivery=delivered)
                break
            except BufferError:  # the local queue is full: serve delivery reports, then retry
                producer.poll(0.05)
        sent += 1
    producer.flush()
    if failures:
        raise SystemExit(f"{len(failures)} of {sent} records not delivered: {failures[0]}")
    return sent


# ---------------------------------------------------------------------------------- consume


def printable(value):
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    return value


def consume(consumer: Consumer, schemas: Schemas, topic: str, most: int, timeout: float) -> int:
    consumer.subscribe([topic])
    seen = 0
    deadline = time.monotonic() + timeout
    while seen < most and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            raise KafkaException(msg.error())
        line = {"topic": msg.topic(), "key": msg.key().decode() if msg.key() else None}
        headers = {k: v.decode(errors="replace") for k, v in (msg.headers() or []) if k.startswith("streaminfer.error.")}
        if headers:
            line["error"] = headers
        try:
            line["schema"], record = schemas.decode(msg.value())
            line["value"] = printable(record)
        except ValueError as e:  # a dead letter's original bytes need not be a record at all
            line["undecodable"] = f"{e} ({len(msg.value() or b'')} bytes)"
        print(json.dumps(line, ensure_ascii=False), flush=True)
        seen += 1
    return 0 if seen >= most else 1


# ------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka bootstrap servers")
    p.add_argument("--schemas", type=Path, required=True, help="folder of 'streaminfer schemas --write'")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="librdkafka setting (security.protocol, sasl.*, ssl.*); repeatable")
    sub = p.add_subparsers(dest="command", required=True)

    prod = sub.add_parser("produce", help="publish events to an input topic")
    kinds = prod.add_subparsers(dest="kind", required=True)
    text = kinds.add_parser("text", help="texts given, or lines of stdin with - or none")
    text.add_argument("texts", nargs="*")
    image = kinds.add_parser("image", help="PNG or JPEG files")
    image.add_argument("files", nargs="+", type=Path)
    gen = kinds.add_parser("generation", help="generation requests")
    gen.add_argument("--label", required=True)
    gen.add_argument("--samples", type=int, default=1)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--count", type=int, default=1)
    readings = kinds.add_parser("readings", help="one sensor's readings from a CSV file")
    readings.add_argument("--sensor", required=True)
    readings.add_argument("--step-ms", type=int, default=1000, help="event-time step between readings")
    readings.add_argument("csv", type=Path)
    for k in (text, image, gen, readings):
        k.add_argument("--topic", required=True)

    cons = sub.add_parser("consume", help="print the records of a topic")
    cons.add_argument("--topic", required=True)
    cons.add_argument("--max", type=int, default=1, help="records to print before exiting")
    cons.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for them")
    cons.add_argument("--group", default=None, help="consumer group (default: a fresh one)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    schemas = Schemas(args.schemas)
    settings = {"bootstrap.servers": args.bootstrap}
    for kv in args.set:
        key, sep, value = kv.partition("=")
        if not sep:
            raise SystemExit(f"--set {kv}: expected KEY=VALUE")
        settings[key] = value
    if args.command == "consume":
        settings |= {
            "group.id": args.group or f"streaminfer-client-{time.time_ns()}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
        consumer = Consumer(settings)
        try:
            return consume(consumer, schemas, args.topic, args.max, args.timeout)
        finally:
            consumer.close()
    events = {
        "text": lambda: text_events(args.texts),
        "image": lambda: image_events(args.files),
        "generation": lambda: generation_events(args.label, args.samples, args.seed, args.count),
        "readings": lambda: reading_events(args.sensor, args.csv, args.step_ms),
    }[args.kind]()
    producer = Producer(settings | {"acks": "all", "enable.idempotence": True})
    sent = produce(producer, schemas, args.topic, events)
    print(f"published {sent} to {args.topic}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
