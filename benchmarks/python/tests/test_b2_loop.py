"""Benchmark B2's decoding and pre-processing, without a broker."""

import base64
import io
from datetime import datetime, timezone

import fastavro
import numpy as np
import pytest
from fastavro.schema import fingerprint, to_parsing_canonical_form

import b2_loop as b2
from streaminfer_training import REPOSITORY

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


def test_should_encode_each_generated_image_as_the_pipeline_does():
    card, _ = b2.load_card(REPOSITORY, "digits-gan")
    post = b2.make_postprocessor(card)
    h, w = card["postprocessing"]["height"], card["postprocessing"]["width"]
    images = np.zeros((3, 1, h, w), dtype=np.float32)
    images[0] = -1.0
    images[1] = 0.0
    images[2, 0, 0, 0] = 2.0  # out of range: clamped
    items = [b2.Item("gen-1", {"id": "gen-1"}, {"z": np.zeros((2, 4))}),
             b2.Item("gen-2", {"id": "gen-2"}, {"z": np.zeros((1, 4))})]

    out = list(post(items, images))

    assert [(k, p["sample_index"]) for k, p in out] == [("gen-1", 0), ("gen-1", 1), ("gen-2", 0)]
    from PIL import Image
    decoded = [np.asarray(Image.open(io.BytesIO(base64.b64decode(p["png"])))) for _, p in out]
    assert decoded[0].shape == (h, w) and (decoded[0] == 0).all()
    assert (decoded[1] == 128).all()  # floor(127.5 + 0.5), as Java's PngEncoder
    assert decoded[2][0, 0] == 255 and decoded[2][0, 1] == 128
    assert all(p["model"] == "digits-gan" for _, p in out)


def test_should_run_both_forecasters_on_one_window_and_refuse_unlike_models():
    card, models = b2.load_models(REPOSITORY, ["sensor-lstm", "sensor-gru"], threads=1)
    window = card["preprocessing"]["window"]
    pre = b2.make_preprocessor(card)
    items = []
    for i in range(window):
        items += pre({"id": f"r-{i}", "sensor_id": "s", "value": float(i % 5),
                      "event_time": datetime(2026, 1, 1, tzinfo=timezone.utc)})

    forecasts = [p for session, output, post in models for _, p in post(items, b2.infer(session, output, items))]

    assert [p["model"] for p in forecasts] == ["sensor-lstm", "sensor-gru"]
    assert forecasts[0]["forecast"] != forecasts[1]["forecast"]
    with pytest.raises(ValueError, match="pre-processes differently"):
        b2.load_models(REPOSITORY, ["sensor-lstm", "digits-cnn"], threads=1)


def test_should_name_an_unknown_model_in_a_list():
    with pytest.raises(SystemExit):
        b2.parse_args(["--bootstrap", "x:1", "--model", "sensor-lstm,sensor-rnn", "--topic", "t",
                       "--output-topic", "o", "--count", "1"])
