"""Every committed model: card valid, hash right, thresholds met, reference vectors present."""

import json

import numpy as np
import onnx
import pytest

from conftest import committed_model_dirs
from streaminfer_training import REPOSITORY, preprocessing
from streaminfer_training.registry import TRAINERS as MODELS
from streaminfer_training.common import ort_session, sha256_file
from streaminfer_training.repository import load_card, load_reference, validate_card
from streaminfer_training.thresholds import PARITY_MAX_ABS_DIFF, THRESHOLDS, failures

DIRS = committed_model_dirs()


def test_every_shipped_model_is_committed():
    assert sorted(p.id for p in DIRS) == sorted(MODELS)


@pytest.mark.parametrize("model_dir", DIRS)
def test_card_validates_and_matches_its_file(model_dir):
    card = load_card(model_dir)
    validate_card(card)
    assert card["name"] == model_dir.parent.name and card["version"] == model_dir.name
    assert sha256_file(model_dir / "model.onnx") == card["sha256"]
    assert (model_dir / "model.onnx").stat().st_size < 10 * 1024 * 1024
    assert not card["training"]["dry_run"]


@pytest.mark.parametrize("model_dir", DIRS)
def test_recorded_metrics_meet_the_thresholds(model_dir):
    card = load_card(model_dir)
    assert failures(card["name"], card["metrics"]) == []
    assert card["parity"]["max_abs_diff"] <= PARITY_MAX_ABS_DIFF


@pytest.mark.parametrize("model_dir", DIRS)
def test_onnx_file_carries_names_dynamic_batch_and_provenance(model_dir):
    card = load_card(model_dir)
    proto = onnx.load(str(model_dir / "model.onnx"))
    onnx.checker.check_model(proto)
    assert [i.name for i in proto.graph.input] == [i["name"] for i in card["inputs"]]
    assert [o.name for o in proto.graph.output] == [o["name"] for o in card["outputs"]]
    axes = {}  # recurrent state tensors name their batch axis in the card
    for st in card.get("preprocessing", {}).get("state", []):
        axes[st["input"]] = axes[st["output"]] = st["batch_axis"]
    for value in list(proto.graph.input) + list(proto.graph.output):
        axis = axes.get(value.name, 0)
        assert value.type.tensor_type.shape.dim[axis].dim_param, f"{value.name}: batch not dynamic"
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["streaminfer.name"] == card["name"] and "git_commit" in meta["streaminfer.provenance"]
    assert max(op.version for op in proto.opset_import if op.domain in ("", "ai.onnx")) >= 17


@pytest.mark.parametrize("model_dir", DIRS)
def test_reference_outputs_reproduce_in_onnxruntime(model_dir):
    ref = load_reference(model_dir)
    assert len(ref["examples"]) >= 8
    sess = ort_session(model_dir / "model.onnx")
    worst = 0.0
    card = load_card(model_dir)
    for ex in ref["examples"]:
        if "tensors" in ex:
            feeds = {t["name"]: np.array(t["data"], dtype=t["dtype"]).reshape(t["shape"])
                     for t in ex["tensors"]}
        else:  # a large input kept as a sample: rebuilt from the example's bytes, then checked
            pre = card["preprocessing"]
            x = preprocessing.colour_tensor(preprocessing.input_pixels(ex["input"], pre["background"]), pre)
            sample = ex["tensor_sample"]
            assert np.abs(x.reshape(-1)[sample["at"]] - np.array(sample["data"])).max() <= 1e-5
            feeds = {sample["name"]: x}
        for got, want in zip(sess.run(None, feeds), ex["outputs"]):
            worst = max(worst, float(np.abs(got - np.array(want["data"]).reshape(want["shape"])).max()))
    assert worst <= ref["tolerance"]


@pytest.mark.parametrize("model_dir", DIRS)
def test_plots_sit_next_to_the_model(model_dir):
    pngs = {p.name for p in model_dir.glob("*.png")}
    assert "loss.png" in pngs and len(pngs) >= 2


def test_thresholds_are_defined_once_for_every_model():
    assert set(THRESHOLDS) == set(MODELS)
    for path in REPOSITORY.glob("*/*/model.json"):
        assert "thresholds" not in json.loads(path.read_text())
