"""Held-out sample events for the Java demo and integration tests (nothing used in training).

Writes testkit/src/main/resources/io/streaminfer/testkit/samples.json: test-split digit
pixels with labels, test-split fortunes with their language, and the held-out tail of every
series (with the window of readings before it) as sensor streams, and that window: the longest
window of the bundled forecasters' cards, so the Java side never assumes one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import PROJECT_ROOT, data, repository

OUT = PROJECT_ROOT / "testkit/src/main/resources/io/streaminfer/testkit/samples.json"


SENSOR_MODELS = ("sensor-lstm", "sensor-gru")


def sensor_window() -> int:
    """Readings before a bundled forecaster's first forecast: the longest of their cards' windows."""
    return max(repository.load_card(repository.REPOSITORY / m / "1")["preprocessing"]["window"]
               for m in SENSOR_MODELS)


def build(seed: int = 7, digits: int = 200, texts_per_language: int = 30,
          window: int | None = None) -> dict:
    window = sensor_window() if window is None else window
    d = data.digit_splits(seed)
    x, y = d.test
    idx = np.random.default_rng(seed).permutation(len(y))[:digits]
    t = data.text_splits(seed)
    texts = []
    for label, lang in enumerate(t.languages):
        chosen = [s for s, l in zip(*t.test) if l == label][:texts_per_language]
        texts += [{"text": s[:300], "label": lang} for s in chosen]
    sensors = []
    for sp in data.series_splits():
        start = max(0, sp.val_end - window)
        sensors.append({"sensor_id": sp.name, "readings": sp.values[start:].tolist(),
                        "held_out_from": sp.val_end - start})
    return {
        "source": "held-out test splits of StreamInfer's training data (python -m "
                  "streaminfer_training demo-data)",
        "digits": [{"pixels": x[i].reshape(-1).tolist(), "width": 8, "height": 8,
                    "label": str(int(y[i]))} for i in idx],
        "texts": texts,
        "sensors": sensors,
        "sensor_window": window,
    }


def write(path: Path = OUT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build(), ensure_ascii=False, separators=(",", ":")) + "\n",
                    encoding="utf-8")
    return path
