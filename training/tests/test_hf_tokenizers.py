"""The committed tokenizer fixtures: Python's encodings in texts.json are what the pinned
`tokenizers` gives from the committed tokenizer.json files, and each recipe trains and round-trips."""

import json

import pytest
from tokenizers import Tokenizer

from streaminfer_training import hf_tokenizers


def test_committed_encodings_are_what_pinned_tokenizers_gives():
    ref = json.loads((hf_tokenizers.OUT / "texts.json").read_text(encoding="utf-8"))
    assert len(ref["texts"]) >= 200
    assert ref["texts"] == hf_tokenizers.texts()  # the same held-out and made texts
    for family in hf_tokenizers.FAMILIES:
        tok = Tokenizer.from_file(str(hf_tokenizers.OUT / family / "tokenizer.json"))
        for mode, max_length in (("full", None), ("right", ref["max_length"]),
                                 ("left", ref["max_length"])):
            side = "left" if mode == "left" else "right"
            got = hf_tokenizers.encodings(tok, ref["texts"], max_length, side)
            assert got == ref["encodings"][family][mode], (family, mode)


@pytest.mark.parametrize("family", hf_tokenizers.FAMILIES)
def test_each_recipe_trains_and_round_trips(family):
    texts = hf_tokenizers.texts(per_language=20)
    tok = hf_tokenizers.BUILDERS[family](texts, vocab=400)
    enc = tok.encode("hello world, hallo Welt")
    assert len(enc.ids) > 2
    assert "hello" in tok.decode(enc.ids).lower()
    assert Tokenizer.from_str(tok.to_str()).encode("hello world, hallo Welt").ids == enc.ids


def test_text_fixture_card_validates_and_matches_its_files():
    import hashlib

    import jsonschema

    d = hf_tokenizers.FIXTURE_REPO / "wp-bag" / "1"
    card = json.loads((d / "model.json").read_text())
    schema = json.loads((hf_tokenizers.ROOT / "models" / "repository" /
                         "model-card.schema.json").read_text())
    jsonschema.validate(card, schema)
    assert card["sha256"] == hashlib.sha256((d / "model.onnx").read_bytes()).hexdigest()
    assert (card["preprocessing"]["tokenizer_sha256"]
            == hashlib.sha256((d / "tokenizer.json").read_bytes()).hexdigest())
    assert (d / "tokenizer.json").read_bytes() == (
        hf_tokenizers.OUT / "wordpiece" / "tokenizer.json").read_bytes()
    ref = json.loads((d / "reference.json").read_text(encoding="utf-8"))
    assert [e["text"] for e in ref["examples"]] == hf_tokenizers.texts()
