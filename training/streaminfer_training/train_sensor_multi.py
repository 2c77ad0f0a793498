"""macro-gru-multi: a multivariate, multi-step windowed GRU forecaster over several statsmodels
series at once.

Each reading carries four values of one quarter of statsmodels' US macro data (its value, then
three features); a "sensor" is one group of four series (SENSORS). The model reads the last
`window` quarters, each feature z-scored over the window by itself (so it serves series of any unit
and scale), and forecasts the next `horizon` quarters of two of them (targets: the value and the
first feature), each as a change from the feature's last reading, mapped back with that feature's
window mean and std.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import common, plots, repository
from .fit import fit

NAME = "macro-gru-multi"

#: sensor id → its four macrodata columns: the reading's value first, then its features.
SENSORS = {
    "us-macro-a": ("unemp", "realgdp", "cpi", "tbilrate"),
    "us-macro-b": ("realcons", "realinv", "m1", "infl"),
    "us-macro-c": ("realdpi", "realgovt", "pop", "realint"),
}
TARGETS = (0, 1)  # feature indices forecast


@dataclass
class Config:
    seed: int = 7  # seeds init and batch order
    window: int = 16  # quarters per input window
    horizon: int = 4  # quarters forecast
    epsilon: float = 1e-6  # floor of a feature's window standard deviation
    hidden: int = 32  # GRU state width
    epochs: int = 150  # passes over all training windows
    batch_size: int = 32  # windows per step
    lr: float = 3e-3  # AdamW peak learning rate (one-cycle)
    weight_decay: float = 1e-4  # AdamW weight decay


class MultiGru(nn.Module):
    """(B, W, F) window z-scores per feature → (B, H, T) the next H steps of the T target features
    in the same units, as changes from each target's last reading."""

    def __init__(self, cfg: Config, features: int):
        super().__init__()
        self.horizon = cfg.horizon
        self.rnn = nn.GRU(features, cfg.hidden, 1, batch_first=True)
        self.head = nn.Sequential(nn.Linear(cfg.hidden, cfg.hidden), nn.Tanh(),
                                  nn.Linear(cfg.hidden, cfg.horizon * len(TARGETS)))

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(window)
        delta = self.head(out[:, -1, :]).reshape(-1, self.horizon, len(TARGETS))
        last = window[:, -1:, list(TARGETS)]  # (B, 1, T)
        return last + delta


def series() -> dict[str, np.ndarray]:
    """sensor id → (quarters, 4) float64 readings."""
    import statsmodels.api as sm

    d = sm.datasets.macrodata.load_pandas().data
    return {s: d[list(cols)].to_numpy(dtype=np.float64) for s, cols in SENSORS.items()}


def windows(values: np.ndarray, cfg: Config, lo: float, hi: float):
    """(windows (N, W, F), targets (N, H, T)) of the windows ending in [lo, hi) of the series."""
    n = len(values)
    ends = [t for t in range(cfg.window, n - cfg.horizon + 1) if lo * n <= t < hi * n]
    w = np.stack([values[t - cfg.window : t] for t in ends])
    y = np.stack([values[t : t + cfg.horizon][:, list(TARGETS)] for t in ends])
    return w, y


def normalise(w: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, W, F) readings → float32 z-scores per window and feature, float64 means and stds (N, F)
    (population std floored at eps)."""
    mean = w.mean(axis=1)
    std = np.maximum(np.sqrt(((w - mean[:, None, :]) ** 2).mean(axis=1)), eps)
    return ((w - mean[:, None, :]) / std[:, None, :]).astype(np.float32), mean, std


def predict(run, w: np.ndarray, eps: float) -> np.ndarray:
    """(N, H, T) forecasts in the features' units."""
    x, mean, std = normalise(w, eps)
    t = list(TARGETS)
    return run(x).astype(np.float64) * std[:, None, t] + mean[:, None, t]


def evaluate(run, cfg: Config) -> tuple[dict, dict]:
    """Per sensor, target and step ahead: MAE against the last reading on the held-out tails."""
    per = {}
    ratios = []
    for sensor, values in series().items():
        w, y = windows(values, cfg, 0.8, 1.0)
        pred = predict(run, w, cfg.epsilon)
        naive = w[:, -1:, list(TARGETS)]
        entry = {"windows": int(len(w))}
        for k, f in enumerate(TARGETS):
            col = SENSORS[sensor][f]
            mae = np.abs(pred[:, :, k] - y[:, :, k]).mean(axis=0)
            base = np.abs(naive[:, :, k] - y[:, :, k]).mean(axis=0)
            entry[col] = {"mae_per_step": mae.tolist(), "naive_mae_per_step": base.tolist(),
                          "ratio": float(mae.sum() / base.sum())}
            ratios.append(entry[col]["ratio"])
        per[sensor] = entry
    return {"mae_ratio_vs_naive": float(np.mean(ratios)),
            "worst_target_ratio": float(np.max(ratios)),
            "targets_beating_naive": int(sum(r < 1 for r in ratios)),
            "num_targets": len(ratios)}, per


def train(cfg: Config, out_dir: Path, version: str = "1", dry_run: bool = False) -> dict:
    common.seed_everything(cfg.seed)
    t0 = time.time()
    data = series()
    features = len(next(iter(SENSORS.values())))

    def stack(lo, hi):
        ws, ys = zip(*(windows(v, cfg, lo, hi) for v in data.values()))
        w, y = np.concatenate(ws), np.concatenate(ys)
        x, mean, std = normalise(w, cfg.epsilon)
        t = list(TARGETS)
        z = ((y - mean[:, None, t]) / std[:, None, t]).astype(np.float32)
        return torch.from_numpy(x), torch.from_numpy(z)

    xtr, ytr = stack(0.0, 0.7)
    xva, yva = stack(0.7, 0.8)
    model = MultiGru(cfg, features)
    loss_fn = nn.SmoothL1Loss(beta=0.5)
    gen = torch.Generator().manual_seed(cfg.seed)
    epochs = 2 if dry_run else cfg.epochs

    def validate(m):
        with torch.no_grad():
            v = loss_fn(m(xva), yva).item()
        return v, v

    result = fit(model, desc=NAME, epochs=epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                 weight_decay=cfg.weight_decay, loss_fn=loss_fn, examples=len(xtr),
                 epoch_data=lambda _: (xtr, ytr), order=lambda n: torch.randperm(n, generator=gen),
                 validate=validate, higher_is_better=False, clip_grad_norm=1.0)
    seconds = time.time() - t0
    with torch.no_grad():
        residual_std = float((model(xva) - yva)[:, 0, 0].std().item())

    def torch_run(x):
        with torch.no_grad():
            return model(torch.from_numpy(x)).numpy()

    summary, per_sensor = evaluate(torch_run, cfg)
    out_dir.mkdir(parents=True, exist_ok=True)
    prov = common.provenance(cfg.seed, seconds, common.device_name())
    onnx_path = out_dir / "model.onnx"
    common.export_onnx(model, (xva[:2],), ["window"], ["forecast"], onnx_path,
                       {"streaminfer.name": NAME, "streaminfer.version": version,
                        "streaminfer.task": "time-series-forecast",
                        "streaminfer.metrics": repr(summary), "streaminfer.provenance": repr(prov)})
    test_w = np.concatenate([windows(v, cfg, 0.8, 1.0)[0] for v in data.values()])
    diff = common.parity(onnx_path, model, {"window": normalise(test_w, cfg.epsilon)[0]})

    examples = []
    for sensor, values in data.items():
        w, _ = windows(values, cfg, 0.8, 1.0)
        for i in (0, len(w) // 2, len(w) - 1):
            x, mean, std = normalise(w[i : i + 1], cfg.epsilon)
            z = torch_run(x)
            t = list(TARGETS)
            examples.append({
                "input": {"sensor_id": sensor, "readings": w[i].tolist()},
                "tensors": [repository.tensor_json("window", x)],
                "outputs": [repository.tensor_json("forecast", z)],
                "expected": {"mean": mean[0].tolist(), "std": std[0].tolist(),
                             "steps": (z[0].astype(np.float64) * std[0, t] + mean[0, t]).tolist()},
            })
    repository.write_json(out_dir / "reference.json", {
        "model": NAME, "version": version, "tolerance": 1e-4,
        "note": "expected.steps: per step ahead, each target feature's forecast in its unit, from "
                "the raw readings (value, then features) of each window",
        "feature_names": {s: list(c) for s, c in SENSORS.items()}, "examples": examples})
    plots.loss_curves(out_dir / "loss.png", result.curves, f"{NAME} smooth-L1 (window z units)")
    tails = {}
    for sensor, values in data.items():
        w, y = windows(values, cfg, 0.8, 1.0)
        tails[f"{sensor} {SENSORS[sensor][0]} (1 step)"] = (
            y[:, 0, 0], predict(torch_run, w, cfg.epsilon)[:, 0, 0], w[:, -1, 0])
    plots.forecasts(out_dir / "forecast.png", tails,
                    f"{NAME}: held-out tails (mean MAE ratio vs last value "
                    f"{summary['mae_ratio_vs_naive']:.2f})")
    card = repository.build_card(
        name=NAME, version=version, task="time-series-forecast",
        description=f"Multivariate GRU forecaster: the next {cfg.horizon} readings of a sensor's "
                    f"value and first feature from its last {cfg.window} readings of "
                    f"{features} values, each normalised over the window by itself.",
        model_dir=out_dir,
        inputs=[repository.io_spec("window", "float32", ["batch", cfg.window, features])],
        outputs=[repository.io_spec("forecast", "float32", ["batch", cfg.horizon, len(TARGETS)])],
        labels=None,
        preprocessing={"type": "window-zscore", "window": cfg.window, "features": features,
                       "epsilon": cfg.epsilon, "std": "population",
                       "layout": "(batch, window, features), oldest reading first; a reading's "
                                 "value, then its features",
                       "formula": "per feature f: mean_f = sum(w_f) / W; std_f = max(sqrt(sum((w_f "
                                  "- mean_f)^2) / W), epsilon); x_f = (w_f - mean_f) / std_f"},
        postprocessing={"type": "window-denormalise", "output": "forecast",
                        "targets": list(TARGETS),
                        "formula": "steps[h][k] = forecast[h][k] * std_t + mean_t, t = targets[k] "
                                   "(the window's mean and std of that feature)",
                        "residual_std": residual_std,
                        "anomaly_z": "z = (actual - steps[0][0]) / (std_0 * residual_std)"},
        metrics=summary,
        evaluation={"split": "test: windows ending in the last 20% of the quarters",
                    "metric": "MAE(model) / MAE(last value) summed over the steps ahead, per "
                              "target feature, in its unit",
                    "per_sensor": per_sensor},
        parity_diff=diff, parity_examples=int(len(test_w)),
        parameters=common.parameter_count(model),
        flops=common.flops_per_inference(model, (xva[:1],)),
        training={"config": common.to_jsonable(cfg), "epochs": epochs, "dry_run": dry_run,
                  "train_windows": int(len(xtr)), "validation_windows": int(len(xva))},
        data={"source": "statsmodels macrodata (US quarterly, 1959-2009)",
              "series": {s: list(c) for s, c in SENSORS.items()},
              "splits": {"train": "windows ending in the first 70% of quarters", "val": "next 10%",
                         "test": "last 20%"}},
        provenance=prov,
    )
    repository.write_json(out_dir / "model.json", card)
    return card


def evaluate_onnx(model_dir: Path) -> dict:
    card = repository.load_card(model_dir)
    c = card["training"]["config"]
    cfg = Config(window=c["window"], horizon=c["horizon"], epsilon=c["epsilon"])
    sess = common.ort_session(model_dir / "model.onnx")
    summary, _ = evaluate(lambda x: sess.run(["forecast"], {"window": x})[0], cfg)
    return summary
