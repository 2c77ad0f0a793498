"""The Python-runtime counterpart of B0 (benchmarks/python/bare_ort.py), on tiny windows."""

import importlib.util
import json

import numpy as np

from streaminfer_training import PROJECT_ROOT, REPOSITORY

_spec = importlib.util.spec_from_file_location("bare_ort", PROJECT_ROOT / "benchmarks" / "python" / "bare_ort.py")
bare_ort = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bare_ort)


def _newest(model):
    card = sorted((REPOSITORY / model).glob("*/model.json"), key=lambda c: int(c.parent.name))[-1]
    return card.parent / json.loads(card.read_text())["file"]


def test_should_feed_every_input_of_every_model_at_the_batch_size():
    import onnxruntime as ort

    for model in ("digits-cnn", "langid-transformer", "sensor-lstm", "digits-gan"):
        session = ort.InferenceSession(str(_newest(model)), providers=["CPUExecutionProvider"])
        x = bare_ort.feeds(session, 3, np.random.default_rng(1))
        assert set(x) == {i.name for i in session.get_inputs()}
        assert all(v.shape[0] == 3 for v in x.values())
        assert len(session.run(None, x)[0]) == 3


def test_should_measure_a_positive_rate():
    assert bare_ort.measure(_newest("digits-gan"), batch=4, threads=1, window_s=0.05, windows=3) > 0
