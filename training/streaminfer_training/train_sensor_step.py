"""elnino-lstm-step: a stateful streaming LSTM — one step per reading, its state kept by the caller.

The exported graph takes a chunk of readings ``x`` (batch, steps, features) with the recurrent
state ``h0``/``c0`` (layers, batch, hidden) and returns the forecast made after the chunk's last
reading with the state after it (``hn``/``cn``). The pipeline keeps each key's state and feeds one
reading per step, so a reading costs one LSTM step instead of a whole window; the same graph
run over a whole sequence from the zero state gives the same forecasts (checked here, and in Java
step by step against PyTorch's full-sequence run).

Readings carry three features: the monthly sea surface temperature of statsmodels' El Niño
series, and the sine and cosine of the month (calendar covariates a producer computes); the
model forecasts the next month's temperature. Features are scaled by fixed per-feature means and
standard deviations from the training part, written in the card.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import common, plots, repository
from .fit import fit

NAME = "elnino-lstm-step"
FEATURES = ("sst", "month_sin", "month_cos")


@dataclass
class Config:
    seed: int = 7  # seeds init and batch order
    hidden: int = 32  # LSTM state width
    layers: int = 2  # stacked LSTM layers
    chunk: int = 96  # readings per training sequence (truncated backpropagation through time)
    burn_in: int = 12  # first readings of a training sequence not scored (state warming up)
    epochs: int = 60  # passes over the training sequences
    sequences: int = 256  # training sequences per epoch, random starts
    batch_size: int = 32  # sequences per step
    lr: float = 5e-3  # AdamW peak learning rate (one-cycle)
    weight_decay: float = 1e-4  # AdamW weight decay


class StepLstm(nn.Module):
    """(x (B, T, F) scaled readings, h0, c0 (L, B, H)) → (forecast (B, 1), hn, cn).

    The forecast is the next temperature in scaled units, as a correction to the last one.
    """

    def __init__(self, cfg: Config, features: int):
        super().__init__()
        self.rnn = nn.LSTM(features, cfg.hidden, cfg.layers, batch_first=True)
        self.head = nn.Sequential(nn.Linear(cfg.hidden, cfg.hidden), nn.Tanh(),
                                  nn.Linear(cfg.hidden, 1))

    def sequence(self, x, h0, c0):
        """Forecasts after every reading of x: (B, T, 1), and the final state."""
        out, (hn, cn) = self.rnn(x, (h0, c0))
        return x[:, :, 0:1] + self.head(out), hn, cn

    def forward(self, x, h0, c0):
        y, hn, cn = self.sequence(x, h0, c0)
        return y[:, -1, :], hn, cn

    def zero_state(self, batch: int):
        z = torch.zeros(self.rnn.num_layers, batch, self.rnn.hidden_size)
        return z, z.clone()


def series() -> np.ndarray:
    """(N, 3) float64 readings: temperature, sin and cos of the month (January = 0)."""
    import statsmodels.api as sm

    el = sm.datasets.elnino.load_pandas().data.drop(columns=["YEAR"])
    sst = el.to_numpy(dtype=np.float64).reshape(-1)
    month = np.arange(len(sst)) % 12
    return np.stack([sst, np.sin(2 * math.pi * month / 12), np.cos(2 * math.pi * month / 12)], 1)


def splits(n: int) -> tuple[int, int]:
    """Targets [0, train_end) train, [train_end, val_end) validate, [val_end, n) test."""
    val_end = n - int(round(n * 0.2))
    return val_end - int(round(n * 0.1)), val_end


def scale_of(readings: np.ndarray, train_end: int) -> tuple[np.ndarray, np.ndarray]:
    part = readings[:train_end]
    return part.mean(axis=0), part.std(axis=0)


def preprocessing_spec(mean: np.ndarray, std: np.ndarray) -> dict:
    return {
        "type": "recurrent-step", "input": "x", "features": len(FEATURES), "step": 1,
        "feature_names": list(FEATURES),
        "scale": {"mean": mean.tolist(), "std": std.tolist()},
        "state": [{"input": "h0", "output": "hn", "batch_axis": 1},
                  {"input": "c0", "output": "cn", "batch_axis": 1}],
        "layout": "x (batch, steps, features), one reading per step; state (layers, batch, hidden)",
        "formula": "x = (reading - mean) / std per feature (float64, fed as float32); a key's "
                   "state starts at zeros and is the previous step's hn, cn",
    }


def run_sequence(run, scaled: np.ndarray) -> np.ndarray:
    """Forecasts (scaled) after each reading, one step at a time from the zero state: `run`
    maps (x (1, 1, F), h, c) to (forecast, h, c)."""
    h = c = None
    out = []
    for t in range(len(scaled)):
        f, h, c = run(scaled[None, t : t + 1].astype(np.float32), h, c)
        out.append(float(f[0, 0]))
    return np.array(out)


def graph_examples(model: nn.Module, scaled: np.ndarray, cfg: Config, count: int = 8) -> list[dict]:
    """Graph-level examples (PyTorch's outputs for given tensors): chunks of two sensors, of one to
    three readings, from states PyTorch reached after earlier readings of the series."""
    rng = np.random.default_rng(7)
    examples = []
    with torch.no_grad():
        for i in range(count):
            steps = 1 + i % 3
            starts = rng.integers(1, len(scaled) - steps, size=2)
            h = np.zeros((cfg.layers, 2, cfg.hidden), dtype=np.float32)
            c = np.zeros_like(h)
            for b, start in enumerate(starts):  # the state after readings [0, start)
                _, hb, cb = model(torch.from_numpy(scaled[None, :start].astype(np.float32)),
                                  *model.zero_state(1))
                h[:, b], c[:, b] = hb[:, 0].numpy(), cb[:, 0].numpy()
            x = np.stack([scaled[s : s + steps] for s in starts]).astype(np.float32)
            outs = model(torch.from_numpy(x), torch.from_numpy(h), torch.from_numpy(c))
            examples.append({
                "tensors": [{"name": n, "dtype": "float32", "shape": list(v.shape),
                             "data": v.reshape(-1).tolist()}
                            for n, v in (("x", x), ("h0", h), ("c0", c))],
                "outputs": [{"name": n, "shape": list(o.shape), "data": o.numpy().reshape(-1).tolist()}
                            for n, o in zip(("forecast", "hn", "cn"), outs)],
            })
    return examples


def metrics(pred: np.ndarray, readings: np.ndarray, lo: int, hi: int) -> dict:
    """MAE of forecasts pred[t] (made after reading t) of readings t+1 whose index is in [lo, hi),
    against the last value."""
    idx = np.arange(max(lo, 1), hi)
    y = readings[idx, 0]
    mae = float(np.abs(pred[idx - 1] - y).mean())
    naive = float(np.abs(readings[idx - 1, 0] - y).mean())
    return {"readings": int(len(idx)), "mae": mae, "naive_mae": naive, "ratio": mae / naive}


def train(cfg: Config, out_dir: Path, version: str = "1", dry_run: bool = False) -> dict:
    common.seed_everything(cfg.seed)
    t0 = time.time()
    raw = series()
    train_end, val_end = splits(len(raw))
    mean, std = scale_of(raw, train_end)
    scaled = ((raw - mean) / std).astype(np.float32)
    model = StepLstm(cfg, len(FEATURES))
    gen = torch.Generator().manual_seed(cfg.seed)
    chunk = min(cfg.chunk, train_end - 1)

    def epoch_data(_):  # random training sequences whose targets lie before train_end
        starts = torch.randint(0, train_end - chunk, (cfg.sequences,), generator=gen).numpy()
        x = np.stack([scaled[s : s + chunk] for s in starts])
        y = np.stack([scaled[s + 1 : s + chunk + 1, 0:1] for s in starts])
        return torch.from_numpy(x), torch.from_numpy(y)

    class Seq(nn.Module):  # what fit() trains: forecasts after every step past the burn-in
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            h, c = self.m.zero_state(len(x))
            return self.m.sequence(x, h, c)[0][:, cfg.burn_in :]

    seq = Seq(model)
    loss_fn = nn.SmoothL1Loss(beta=0.5)

    def scored_loss(pred, y):
        return loss_fn(pred, y[:, cfg.burn_in :])

    full = torch.from_numpy(scaled[None])

    def validate(_m):
        with torch.no_grad():
            h, c = model.zero_state(1)
            pred = model.sequence(full, h, c)[0][0, :, 0].numpy()
        idx = np.arange(train_end, val_end)
        val = float(np.abs(pred[idx - 1] - scaled[idx, 0]).mean())
        return val, val

    epochs = 2 if dry_run else cfg.epochs

    class Loss(nn.Module):
        def forward(self, pred, y):
            return scored_loss(pred, y)

    result = fit(seq, desc=NAME, epochs=epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                 weight_decay=cfg.weight_decay, loss_fn=Loss(), examples=cfg.sequences,
                 epoch_data=epoch_data, order=lambda n: torch.randperm(n, generator=gen),
                 validate=validate, higher_is_better=False, clip_grad_norm=1.0)
    seconds = time.time() - t0
    model.eval()

    with torch.no_grad():
        h, c = model.zero_state(1)
        full_pred = model.sequence(full, h, c)[0][0, :, 0].numpy().astype(np.float64)
    pred = full_pred * std[0] + mean[0]
    idx = np.arange(train_end, val_end)
    residual_std = float(np.std(full_pred[idx - 1] - scaled[idx, 0]))
    test = metrics(pred, raw, val_end, len(raw))
    prov = common.provenance(cfg.seed, seconds, common.device_name())
    summary = {"mae_ratio_vs_naive": test["ratio"], "test_readings": test["readings"]}

    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / "model.onnx"
    h0, c0 = model.zero_state(2)
    example = torch.from_numpy(scaled[None, :2].repeat(2, 0))
    common.export_onnx(model, (example, h0, c0), ["x", "h0", "c0"], ["forecast", "hn", "cn"],
                       onnx_path, {"streaminfer.name": NAME, "streaminfer.version": version,
                                   "streaminfer.task": "time-series-forecast",
                                   "streaminfer.metrics": repr(summary),
                                   "streaminfer.provenance": repr(prov)},
                       sequence_axis=True, batch_axes={"h0": 1, "c0": 1, "hn": 1, "cn": 1})
    # parity of the graph run one reading at a time (the pipeline's way) with PyTorch's run of the
    # whole sequence at once, over every reading of the series
    sess = common.ort_session(onnx_path)

    def ort_step(x, h, c):
        if h is None:
            h = c = np.zeros((cfg.layers, 1, cfg.hidden), dtype=np.float32)
        return sess.run(None, {"x": x, "h0": h, "c0": c})

    stepped = run_sequence(ort_step, scaled)
    diff = float(np.abs(stepped - full_pred).max())
    if diff > 1e-4:
        raise AssertionError(f"{NAME}: step-by-step ONNX differs from the full sequence by {diff}")

    reference = {
        "model": NAME, "version": version, "tolerance": 1e-4,
        "note": "PyTorch's run of the whole series at once from the zero state: the forecast made "
                "after each reading (for the next), in degrees; a pipeline key fed these readings "
                "one at a time, in order, must emit the same",
        "feature_names": list(FEATURES), "readings": raw.tolist(), "forecasts": pred.tolist(),
        "examples": graph_examples(model, scaled, cfg),
    }
    repository.write_json(out_dir / "reference.json", reference)
    plots.loss_curves(out_dir / "loss.png", result.curves, f"{NAME} smooth-L1 (scaled units)")
    plots.forecasts(out_dir / "forecast.png",
                    {"elnino-sst-monthly": (raw[val_end:, 0], pred[val_end - 1 : -1],
                                            raw[val_end - 1 : -1, 0])},
                    f"{NAME}: held-out tail (MAE ratio vs last value {test['ratio']:.2f})")
    card = repository.build_card(
        name=NAME, version=version, task="time-series-forecast",
        description="Stateful LSTM forecaster of next month's El Niño sea surface temperature: "
                    "one step per reading (temperature, sine and cosine of the month), the "
                    "recurrent state kept per key by the pipeline.",
        model_dir=out_dir,
        inputs=[repository.io_spec("x", "float32", ["batch", "steps", len(FEATURES)]),
                repository.io_spec("h0", "float32", [cfg.layers, "batch", cfg.hidden]),
                repository.io_spec("c0", "float32", [cfg.layers, "batch", cfg.hidden])],
        outputs=[repository.io_spec("forecast", "float32", ["batch", 1]),
                 repository.io_spec("hn", "float32", [cfg.layers, "batch", cfg.hidden]),
                 repository.io_spec("cn", "float32", [cfg.layers, "batch", cfg.hidden])],
        labels=None, preprocessing=preprocessing_spec(mean, std),
        postprocessing={"type": "scale-denormalise", "output": "forecast", "targets": [0],
                        "formula": "value = forecast * std[0] + mean[0] (the card's scale)",
                        "residual_std": residual_std,
                        "anomaly_z": "z = (actual - value) / (std[0] * residual_std)"},
        metrics=summary,
        evaluation={"split": "test (last 20% of the series), the state carried through the "
                             "whole series from its first reading",
                    "metric": "MAE(model) / MAE(last value), degrees Celsius",
                    "per_series": {"elnino-sst-monthly": test},
                    "step_vs_sequence_max_abs_diff": diff},
        parity_diff=diff, parity_examples=int(len(scaled)),
        parameters=common.parameter_count(model),
        flops=common.flops_per_inference(model, (example[:1, :1], h0[:, :1], c0[:, :1])),
        training={"config": common.to_jsonable(cfg), "epochs": epochs, "dry_run": dry_run,
                  "train_readings": int(train_end), "validation_readings": int(val_end - train_end)},
        data={"source": "statsmodels elnino (monthly sea surface temperature, 1950-2010)",
              "series": ["elnino-sst-monthly"],
              "splits": {"train": "first 70% of readings", "val": "next 10%", "test": "last 20%"}},
        provenance=prov,
    )
    repository.write_json(out_dir / "model.json", card)
    return card


def evaluate_onnx(model_dir: Path) -> dict:
    """Held-out metrics of a committed model.onnx, run one reading at a time as the pipeline
    runs it."""
    card = repository.load_card(model_dir)
    sc = card["preprocessing"]["scale"]
    mean, std = np.array(sc["mean"]), np.array(sc["std"])
    raw = series()
    _, val_end = splits(len(raw))
    sess = common.ort_session(model_dir / "model.onnx")
    shape = card["inputs"][1]["shape"]

    def step(x, h, c):
        if h is None:
            h = c = np.zeros((shape[0], 1, shape[2]), dtype=np.float32)
        return sess.run(None, {"x": x, "h0": h, "c0": c})

    pred = run_sequence(step, (raw - mean) / std) * std[0] + mean[0]
    test = metrics(pred, raw, val_end, len(raw))
    return {"mae_ratio_vs_naive": test["ratio"], "test_readings": test["readings"]}
