"""Writes and reads model directories: models/repository/<name>/<version>/."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from . import REPOSITORY
from .common import OPSET, sha256_file
from .thresholds import PARITY_MAX_ABS_DIFF

CARD_SCHEMA = REPOSITORY / "model-card.schema.json"
CARD_VERSION = 1


def tensor_json(name: str, array: np.ndarray) -> dict:
    """{name, dtype, shape, data (flattened row-major)} for reference.json."""
    a = np.asarray(array)
    data = a.reshape(-1).tolist()
    return {"name": name, "dtype": str(a.dtype), "shape": list(a.shape), "data": data}


def io_spec(name: str, dtype: str, shape: list[int | str]) -> dict:
    """Input/output description; named axes ("batch", "sequence") are -1 (dynamic)."""
    return {"name": name, "dtype": dtype, "shape": [-1 if isinstance(s, str) else s for s in shape]}


def build_card(*, name: str, version: str, task: str, description: str, model_dir: Path,
               inputs: list[dict], outputs: list[dict], labels: list[str] | None,
               preprocessing: dict, postprocessing: dict, metrics: dict, evaluation: dict,
               parity_diff: float, parity_examples: int, parameters: int, flops: int,
               training: dict, data: dict, provenance: dict) -> dict:
    onnx_path = model_dir / "model.onnx"
    card = {
        "card_version": CARD_VERSION,
        "name": name,
        "version": version,
        "task": task,
        "description": description,
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "file": "model.onnx",
        "sha256": sha256_file(onnx_path),
        "size_bytes": onnx_path.stat().st_size,
        "opset": OPSET,
        "inputs": inputs,
        "outputs": outputs,
        "preprocessing": preprocessing,
        "postprocessing": postprocessing,
        "metrics": metrics,
        "evaluation": evaluation,
        "parity": {"max_abs_diff": parity_diff, "bound": PARITY_MAX_ABS_DIFF,
                   "examples": parity_examples, "against": "PyTorch eval() on held-out inputs"},
        "model_stats": {"parameters": parameters, "flops_per_inference": flops},
        "training": training,
        "data": data,
        "provenance": provenance,
    }
    if labels is not None:
        card["labels"] = labels
    return card


def write_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def validate_card(card: dict) -> None:
    """Raises jsonschema.ValidationError when the card does not match model-card.schema.json."""
    import jsonschema

    schema = json.loads(CARD_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(card, schema)


def card_paths(root: Path = REPOSITORY) -> list[Path]:
    """Every model.json below the repository root."""
    return sorted(root.glob("*/*/model.json"))


def load_card(model_dir: Path) -> dict:
    return json.loads((model_dir / "model.json").read_text(encoding="utf-8"))


def load_reference(model_dir: Path) -> dict:
    return json.loads((model_dir / "reference.json").read_text(encoding="utf-8"))
