"""Benchmark B2's decoding and pre-processing, without a broker."""

import importlib.util
import io
import sys
from datetime import datetime, timezone

import fastavro
import numpy as np
import pytest
from fastavro.schema import fingerprint, to_parsing_canonical_form

from streaminfer_training import PROJECT_ROOT, REPOSITORY


def _load_b2():
    spec = importlib.util.spec_from_file_location(
        "b2_loop", PROJECT_ROOT / "benchmarks" / "python" / "b2_loop.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["b2_loop"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


b2 = _load_b2()

EVENT = {
    "id": "t-1",
    "event_time": datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc),
    "text": "Der  schnelle\tbraune Fuchs",
    "label": "de",
}


def single_object(schema, record, marker=b"\xc3\x01"):
    """Encodes as Java's BinaryMessageEncoder does, fingerprint computed by fastavro directly."""
    body = io.BytesIO()
    fastavro.schemaless_writer(body, schema, record)
    fp = bytes.fromhex(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))
    return marker + fp + body.getvalue()


@pytest.fixture(scope="module")
def text_schema():
    return b2.load_schema("TextEvent")


def test_should_decode_single_object_encoded_text_event(text_schema):
    payload = single_object(text_schema, EVENT)

    event = b2.decode_single_object(payload, text_schema, b2.schema_fingerprint(text_schema))

    assert event == EVENT
    assert b2.epoch_millis(event["event_time"]) == 1767323045678


def test_should_reject_a_bad_marker_clearly(text_schema):
    payload = single_object(text_schema, EVENT, marker=b"\xc3\x02")

    with pytest.raises(ValueError, match="marker c302, expected c301"):
        b2.decode_single_object(payload, text_schema, b2.schema_fingerprint(text_schema))


def test_should_reject_another_schemas_fingerprint(text_schema):
    sensor = b2.load_schema("SensorReading")
    payload = single_object(text_schema, EVENT)

    with pytest.raises(ValueError, match="fingerprint"):
        b2.decode_single_object(payload, sensor, b2.schema_fingerprint(sensor))


def test_should_inline_shared_types_so_the_fingerprint_matches_java():
    # Java fingerprints the canonical form with ImageEncoding's definition inlined.
    canonical = to_parsing_canonical_form(b2.load_schema("ImageEvent"))

    assert '"symbols":["PNG","JPEG","RAW_UINT8"]' in canonical
    assert "doc" not in canonical and "logicalType" not in canonical


def test_should_tokenise_a_decoded_text_event_as_the_card_says(text_schema):
    card, _ = b2.load_card(REPOSITORY, "langid-transformer")
    event = b2.decode_single_object(
        single_object(text_schema, EVENT), text_schema, b2.schema_fingerprint(text_schema))

    [item] = b2.make_preprocessor(card)(event)

    ids = item.feeds["input_ids"]
    assert ids.shape == (1, 128) and ids.dtype == np.int64
    expected = [b + 1 for b in b"Der schnelle braune Fuchs"]
    assert ids[0, : len(expected)].tolist() == expected and not ids[0, len(expected):].any()
    assert item.key == "t-1" and item.meta["true_label"] == "de"
