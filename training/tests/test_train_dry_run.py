"""Each model trains at dry-run size, exports, passes the checker and the parity bound."""

import numpy as np
import onnx
import pytest

from streaminfer_training.registry import TRAINERS as MODELS
from streaminfer_training.registry import trainer
from streaminfer_training.repository import load_reference, validate_card
from streaminfer_training.thresholds import PARITY_MAX_ABS_DIFF


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_model_trains_exports_and_matches_pytorch(name, tmp_path):
    mod = trainer(name)
    out = tmp_path / name / "1"
    card = mod.train(mod.config(), out, "1", dry_run=True)
    onnx.checker.check_model(str(out / "model.onnx"), full_check=True)
    validate_card(card)
    assert card["training"]["dry_run"] is True
    assert card["parity"]["max_abs_diff"] <= PARITY_MAX_ABS_DIFF
    ref = load_reference(out)
    assert len(ref["examples"]) >= 8
    assert all(np.isfinite(np.array(e["outputs"][0]["data"])).all() for e in ref["examples"])
