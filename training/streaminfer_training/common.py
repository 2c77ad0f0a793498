"""Shared training plumbing: seeds, overrides, provenance, FLOPs, ONNX export and parity."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import random
import subprocess
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import PROJECT_ROOT

OPSET = 18


def seed_everything(seed: int) -> None:
    """Seeds Python, NumPy and PyTorch and asks PyTorch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def apply_overrides(cfg: Any, overrides: dict[str, str]) -> Any:
    """Returns a copy of dataclass `cfg` with `key=value` overrides applied (dots reach nested
    dataclasses). Unknown keys raise ValueError naming the valid ones."""
    cfg = dataclasses.replace(cfg)
    for key, raw in overrides.items():
        target, parts = cfg, key.split(".")
        for p in parts[:-1]:
            if not dataclasses.is_dataclass(getattr(target, p, None)):
                raise ValueError(f"unknown config key {key!r}; valid keys: {', '.join(keys_of(cfg))}")
            setattr(target, p, dataclasses.replace(getattr(target, p)))
            target = getattr(target, p)
        fields = {f.name: f for f in dataclasses.fields(target)}
        if parts[-1] not in fields or dataclasses.is_dataclass(getattr(target, parts[-1])):
            raise ValueError(f"unknown config key {key!r}; valid keys: {', '.join(keys_of(cfg))}")
        current = getattr(target, parts[-1])
        setattr(target, parts[-1], _parse_like(current, raw, key))
    return cfg


def keys_of(cfg: Any, prefix: str = "") -> list[str]:
    """All overridable keys of a (nested) dataclass config, dotted."""
    out = []
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        if dataclasses.is_dataclass(v):
            out += keys_of(v, f"{prefix}{f.name}.")
        else:
            out.append(prefix + f.name)
    return out


def _parse_like(current: Any, raw: str, key: str) -> Any:
    try:
        if isinstance(current, bool):
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
        if isinstance(current, int):
            return int(raw)
        if isinstance(current, float):
            return float(raw)
        if isinstance(current, tuple):
            return tuple(type(current[0])(x) for x in raw.split(","))
        return raw
    except ValueError as e:
        raise ValueError(f"config key {key!r}: cannot read {raw!r} as {type(current).__name__}") from e


def to_jsonable(cfg: Any) -> dict:
    """Dataclass → plain dict (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def git_commit() -> str:
    """HEAD of the checkout, with '-dirty' when training code has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "training"],
                               cwd=PROJECT_ROOT, capture_output=True, text=True).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("torch", "onnx", "onnxruntime", "onnxscript", "numpy", "scikit-learn",
                 "statsmodels", "pillow"):
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            pass
    return out


def debian_package_version(package: str) -> str | None:
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True,
                           text=True)
        return r.stdout.strip() or None
    except OSError:
        return None


def provenance(seed: int, seconds: float, device: str) -> dict:
    return {
        "git_commit": git_commit(),
        "seed": seed,
        "libraries": library_versions(),
        "platform": f"{platform.system()} {platform.machine()}",
        "cpu_count": os.cpu_count(),
        "device": device,
        "training_seconds": round(seconds, 1),
    }


def parameter_count(model: torch.nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def flops_per_inference(model: torch.nn.Module, inputs: tuple) -> int:
    """FLOPs of one forward pass at batch 1 (PyTorch's FlopCounterMode; recurrent layers are
    counted analytically because the counter has no formula for them)."""
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(*inputs)
    total = counter.get_total_flops()
    for m in model.modules():
        if isinstance(m, (torch.nn.LSTM, torch.nn.GRU)):
            gates = 4 if isinstance(m, torch.nn.LSTM) else 3
            steps = inputs[0].shape[1]
            size_in = m.input_size
            for _ in range(m.num_layers):
                total += steps * gates * 2 * (size_in * m.hidden_size + m.hidden_size**2)
                size_in = m.hidden_size
    return int(total)


def export_onnx(model: torch.nn.Module, inputs: tuple, input_names: list[str],
                output_names: list[str], path: Path, metadata: dict[str, str],
                sequence_axis: bool = False, batch_axes: dict[str, int] | None = None) -> None:
    """eval(), named inputs/outputs, dynamic batch axis (axis 0, or batch_axes[name]: a recurrent
    state (layers, batch, hidden)), the inputs' axis 1 as a dynamic `sequence` with
    sequence_axis (inputs whose batch axis is 0), opset OPSET, onnx.checker, metadata."""
    import onnx

    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    axes = batch_axes or {}
    dynamic_axes = {n: {axes.get(n, 0): "batch"} for n in input_names + output_names}
    if sequence_axis:
        for n in input_names:
            if axes.get(n, 0) == 0:
                dynamic_axes[n][1] = "sequence"
    with torch.no_grad():
        torch.onnx.export(model, inputs, str(path), input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes,
                          opset_version=OPSET, dynamo=False)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    del proto.metadata_props[:]
    for k, v in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = k, v
    proto.producer_name = "streaminfer-training"
    onnx.save(proto, str(path))
    onnx.checker.check_model(str(path), full_check=True)


def ort_session(path: Path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def parity(path: Path, model: torch.nn.Module, feeds: dict[str, np.ndarray]) -> float:
    """max |ONNX Runtime - PyTorch| over all outputs for the given batch of held-out inputs."""
    model.eval()
    with torch.no_grad():
        torch_out = model(*(torch.from_numpy(v) for v in feeds.values()))
    torch_out = torch_out if isinstance(torch_out, tuple) else (torch_out,)
    ort_out = ort_session(path).run(None, feeds)
    return float(max(np.abs(a - b.numpy()).max() for a, b in zip(ort_out, torch_out)))


def device_name() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"
