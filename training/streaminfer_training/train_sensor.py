"""sensor-lstm / sensor-gru: next-reading forecasters on statsmodels' bundled series.

Each window is normalised by its own mean and standard deviation, so one model serves sensors
of any unit and scale; the forecast is mapped back with the same mean and std.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import common, data, plots, preprocessing, repository
from .fit import fit
from .nets import RnnConfig, SensorForecaster


@dataclass
class Config:
    seed: int = 7  # seeds init and batch order
    window: int = 24  # readings per input window
    epsilon: float = 1e-6  # floor of a window's standard deviation
    epochs: int = 80  # passes over all training windows
    batch_size: int = 64  # windows per step
    lr: float = 3e-3  # AdamW peak learning rate (one-cycle)
    weight_decay: float = 1e-4  # AdamW weight decay
    net: RnnConfig = field(default_factory=RnnConfig)  # recurrent architecture


def preprocessing_spec(cfg: Config) -> dict:
    return {
        "type": "window-zscore", "window": cfg.window, "epsilon": cfg.epsilon,
        "std": "population", "layout": "(batch, window, 1), oldest reading first",
        "formula": "mean = sum(w) / W; std = max(sqrt(sum((w - mean)^2) / W), epsilon); "
                   "x = (w - mean) / std (computed in float64, fed as float32)",
    }


def normalise(windows: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, W) readings → float32 (N, W, 1) z-scores, float64 means and stds."""
    xs, means, stds = [], [], []
    for w in windows:
        z, m, s = preprocessing.normalise_window(w, eps)
        xs.append(z)
        means.append(m)
        stds.append(s)
    return np.stack(xs) if xs else np.empty((0, len(windows[0]) if len(windows) else 0, 1),
                                             dtype=np.float32), np.array(means), np.array(stds)


def split_windows(cfg: Config, part: str):
    """name → (windows, targets) whose targets lie in the given chronological part."""
    out = {}
    for sp in data.series_splits():
        lo, hi = {"train": (0, sp.train_end), "val": (sp.train_end, sp.val_end),
                  "test": (sp.val_end, len(sp.values))}[part]
        out[sp.name] = data.windows(sp.values, cfg.window, lo, hi)
    return out


def predict(run, windows: np.ndarray, eps: float) -> np.ndarray:
    """Forecasts in sensor units for (N, W) windows; `run` maps z-windows to z-forecasts."""
    x, mean, std = normalise(windows, eps)
    return run(x)[:, 0].astype(np.float64) * std + mean


def series_metrics(run, cfg: Config) -> tuple[dict, dict]:
    """Per-series MAE of model and naive last value on the held-out tails, and the summary."""
    per = {}
    for name, (w, y) in split_windows(cfg, "test").items():
        pred = predict(run, w, cfg.epsilon)
        naive = w[:, -1]
        mae, mae_naive = float(np.abs(pred - y).mean()), float(np.abs(naive - y).mean())
        per[name] = {"windows": int(len(y)), "mae": mae, "naive_mae": mae_naive,
                     "ratio": mae / mae_naive if mae_naive > 0 else float("nan")}
    ratios = [v["ratio"] for v in per.values()]
    summary = {"mae_ratio_vs_naive": float(np.mean(ratios)),
               "median_series_ratio": float(np.median(ratios)),
               "series_beating_naive": int(sum(r < 1 for r in ratios)),
               "num_series": len(ratios)}
    return summary, per


def train(name: str, cfg: Config, out_dir: Path, version: str = "1", dry_run: bool = False) -> dict:
    common.seed_everything(cfg.seed)
    t0 = time.time()
    parts = {p: split_windows(cfg, p) for p in ("train", "val")}

    def stack(part):
        ws = [w for w, _ in parts[part].values() if len(w)]
        ys = [y for w, y in parts[part].values() if len(w)]
        w, y = np.concatenate(ws), np.concatenate(ys)
        x, mean, std = normalise(w, cfg.epsilon)
        return torch.from_numpy(x), torch.from_numpy(((y - mean) / std).astype(np.float32))[:, None]

    xtr, ytr = stack("train")
    xva, yva = stack("val")
    epochs = 2 if dry_run else cfg.epochs
    model = SensorForecaster(cfg.net)
    loss_fn = nn.SmoothL1Loss(beta=0.5)
    gen = torch.Generator().manual_seed(cfg.seed)

    def validate(m: nn.Module) -> tuple[float, float]:
        with torch.no_grad():
            val = loss_fn(m(xva), yva).item()
        return val, val

    result = fit(model, desc=name, epochs=epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                 weight_decay=cfg.weight_decay, loss_fn=loss_fn, examples=len(xtr),
                 epoch_data=lambda _: (xtr, ytr), order=lambda n: torch.randperm(n, generator=gen),
                 validate=validate, higher_is_better=False, clip_grad_norm=1.0)
    curves = result.curves
    seconds = time.time() - t0

    def torch_run(x):
        with torch.no_grad():
            return model(torch.from_numpy(x)).numpy()

    with torch.no_grad():
        residual_std = float((model(xva) - yva).std().item())
    summary, per_series = series_metrics(torch_run, cfg)

    out_dir.mkdir(parents=True, exist_ok=True)
    prov = common.provenance(cfg.seed, seconds, common.device_name())
    onnx_path = out_dir / "model.onnx"
    common.export_onnx(model, (xva[:2],), ["window"], ["forecast"], onnx_path,
                       {"streaminfer.name": name, "streaminfer.version": version,
                        "streaminfer.task": "time-series-forecast",
                        "streaminfer.metrics": repr(summary), "streaminfer.provenance": repr(prov)})
    test_w = np.concatenate([w for w, _ in split_windows(cfg, "test").values()])
    test_x = normalise(test_w, cfg.epsilon)[0]
    diff = common.parity(onnx_path, model, {"window": test_x})

    reference = {"model": name, "version": version, "tolerance": 1e-4,
                 "examples": reference_examples(torch_run, cfg)}
    repository.write_json(out_dir / "reference.json", reference)
    plots.loss_curves(out_dir / "loss.png", curves, f"{name} smooth-L1 (window z units)")
    tails = {}
    for sname, (w, y) in split_windows(cfg, "test").items():
        tails[sname] = (y, predict(torch_run, w, cfg.epsilon), w[:, -1])
    plots.forecasts(out_dir / "forecast.png", tails,
                    f"{name}: held-out tails (mean MAE ratio vs last value "
                    f"{summary['mae_ratio_vs_naive']:.2f})")
    card = repository.build_card(
        name=name, version=version, task="time-series-forecast",
        description=f"{cfg.net.cell.upper()} forecaster of the next sensor reading from the last "
                    f"{cfg.window} readings, normalised per window (serves any sensor).",
        model_dir=out_dir,
        inputs=[repository.io_spec("window", "float32", ["batch", cfg.window, 1])],
        outputs=[repository.io_spec("forecast", "float32", ["batch", 1])],
        labels=None, preprocessing=preprocessing_spec(cfg),
        postprocessing={"type": "window-denormalise", "output": "forecast",
                        "formula": "value = forecast * std + mean (the input window's mean, std)",
                        "residual_std": residual_std,
                        "anomaly_z": "z = (actual - value) / (std * residual_std)"},
        metrics=summary,
        evaluation={"split": "test (last 20% of every series; windows may look back)",
                    "metric": "mean over series of MAE(model) / MAE(last value), sensor units",
                    "per_series": per_series},
        parity_diff=diff, parity_examples=int(len(test_x)),
        parameters=common.parameter_count(model),
        flops=common.flops_per_inference(model, (xva[:1],)),
        training={"config": common.to_jsonable(cfg), "epochs": epochs, "dry_run": dry_run,
                  "train_windows": int(len(xtr)), "validation_windows": int(len(xva))},
        data={"source": "statsmodels bundled datasets (co2, sunspots, elnino, macrodata, "
                        "elec_equip, nile)",
              "series": list(data.SERIES_NAMES),
              "splits": {"train": "first 70% of targets", "val": "next 10%", "test": "last 20%"}},
        provenance=prov,
    )
    repository.write_json(out_dir / "model.json", card)
    return card


def reference_examples(run, cfg: Config) -> list[dict]:
    """The first and the middle held-out window of every series (readings as a producer sends)."""
    out = []
    for sname, (w, y) in split_windows(cfg, "test").items():
        for i in (0, len(w) // 2):
            x, mean, std = normalise(w[i : i + 1], cfg.epsilon)
            z = run(x)
            out.append({
                "input": {"sensor_id": sname, "readings": w[i].tolist(), "next_actual": float(y[i])},
                "tensors": [repository.tensor_json("window", x)],
                "outputs": [repository.tensor_json("forecast", z)],
                "expected": {"mean": float(mean[0]), "std": float(std[0]),
                             "forecast": float(z[0, 0]) * float(std[0]) + float(mean[0])},
            })
    return out


def evaluate_onnx(model_dir: Path) -> dict:
    card = repository.load_card(model_dir)
    c = card["training"]["config"]
    cfg = Config(seed=c["seed"], window=c["window"], epsilon=c["epsilon"])
    sess = common.ort_session(model_dir / "model.onnx")
    summary, _ = series_metrics(lambda x: sess.run(None, {"window": x})[0], cfg)
    return summary
