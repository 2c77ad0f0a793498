"""The Python-runtime counterpart of B0 (benchmarks/python/bare_ort.py), on tiny windows."""

import numpy as np

import bare_ort
from streaminfer_training import REPOSITORY


def _session(model):
    card, model_dir = bare_ort.load_card(REPOSITORY, model)
    return bare_ort.open_session(model_dir, card, threads=1)


def test_should_feed_every_input_of_every_model_at_the_batch_size():
    for model in ("digits-cnn", "langid-transformer", "sensor-lstm", "digits-gan"):
        session = _session(model)
        x = bare_ort.feeds(session, 3, np.random.default_rng(1))
        assert set(x) == {i.name for i in session.get_inputs()}
        assert all(v.shape[0] == 3 for v in x.values())
        assert len(session.run(None, x)[0]) == 3


def test_should_measure_a_positive_rate():
    assert bare_ort.measure(_session("digits-gan"), batch=4, window_s=0.05, windows=3) > 0
