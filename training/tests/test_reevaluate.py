"""Re-evaluates every committed ONNX file on its held-out data; it must agree with its card."""

import pytest

from conftest import committed_model_dirs
from streaminfer_training.registry import trainer
from streaminfer_training.repository import load_card
from streaminfer_training.thresholds import THRESHOLDS


@pytest.mark.parametrize("model_dir", committed_model_dirs())
def test_committed_model_reproduces_its_card_metrics(model_dir):
    card = load_card(model_dir)
    fresh = trainer(card["name"]).evaluate_onnx(model_dir)
    for key in THRESHOLDS[card["name"]]:
        # ONNX Runtime and PyTorch may break a near-tie differently on a handful of examples.
        assert fresh[key] == pytest.approx(card["metrics"][key], abs=0.005), key
