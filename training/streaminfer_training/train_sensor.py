"""sensor-lstm / sensor-gru: next-reading forecasters for any sensor.

Each window is normalised by its own mean and standard deviation, so one model serves sensors
of any unit and scale; the forecast is mapped back with the same mean and std. The network
predicts the change from the last reading and, from a second head, its own expected error (the
spread), which the pipeline's anomaly check divides by; the spread is calibrated after training
so that clean readings rarely lie beyond `alert_z` spreads.

Training mixes the statsmodels series with synthetic families (sensor_families.TRAIN); the
bundled models are judged on the statsmodels held-out tails and on families no training series
is drawn from (sensor_families.HELD_OUT): MAE against the last value, anomaly alerts on clean
series, and the share of injected spikes alerted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import common, data, plots, repository, sensor_families
from .fit import fit
from .nets import RnnConfig, SensorForecaster


@dataclass
class Config:
    seed: int = 7  # seeds init, batch order and the synthetic series
    window: int = 48  # readings per input window (two periods of a 24-reading cycle)
    epsilon: float = 1e-6  # floor of a window's standard deviation
    epochs: int = 16  # passes over all training windows
    batch_size: int = 128  # windows per step
    lr: float = 3e-3  # AdamW peak learning rate (one-cycle)
    weight_decay: float = 1e-4  # AdamW weight decay
    series_per_family: int = 30  # synthetic training series per family (300 readings each)
    stride: int = 2  # one training window every `stride` readings of a synthetic series
    alert_z: float = 4.0  # the pipeline's default anomaly.z.threshold
    false_alarm_rate: float = 0.002  # calibration: share of training-family errors beyond alert_z
    eval_series: int = 8  # series per family when judging
    spike_std: float = 3.0  # injected spikes: this many times the series' std
    spike_mae: float = 6.0  # small injected spikes: this many times the series' last-value MAE
    shrink: float = 0.12  # weight of the forecast's change from the last reading in the loss
    net: RnnConfig = field(default_factory=RnnConfig)  # recurrent architecture


def preprocessing_spec(cfg: Config) -> dict:
    return {
        "type": "window-zscore", "window": cfg.window, "epsilon": cfg.epsilon,
        "std": "population", "layout": "(batch, window, 1), oldest reading first",
        "formula": "mean = sum(w) / W; std = max(sqrt(sum((w - mean)^2) / W), epsilon); "
                   "x = (w - mean) / std (computed in float64, fed as float32)",
    }


def normalise(windows: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, W) readings → float32 (N, W, 1) z-scores, float64 means and stds (population std,
    floored at eps: preprocessing.window_stats, vectorised)."""
    w = np.asarray(windows, dtype=np.float64)
    if w.ndim != 2 or len(w) == 0:
        return np.empty((0, w.shape[-1] if w.ndim == 2 else 0, 1), dtype=np.float32), \
            np.empty(0), np.empty(0)
    mean = w.mean(axis=1)
    std = np.maximum(np.sqrt(((w - mean[:, None]) ** 2).mean(axis=1)), eps)
    return ((w - mean[:, None]) / std[:, None]).astype(np.float32)[:, :, None], mean, std


def split_windows(cfg: Config, part: str):
    """statsmodels series name → (windows, targets) whose targets lie in the chronological part."""
    out = {}
    for sp in data.series_splits():
        lo, hi = {"train": (0, sp.train_end), "val": (sp.train_end, sp.val_end),
                  "test": (sp.val_end, len(sp.values))}[part]
        out[sp.name] = data.windows(sp.values, cfg.window, lo, hi)
    return out


def synthetic_windows(cfg: Config, count: int, seed: int, stride: int,
                      families=sensor_families.TRAIN):
    """(windows, targets) of `count` series of every family."""
    ws, ys = [], []
    for values in sensor_families.series(families, count, seed).values():
        w, y = data.windows(values, cfg.window, 0, len(values))
        ws.append(w[::stride])
        ys.append(y[::stride])
    return np.concatenate(ws), np.concatenate(ys)


def predict(run, windows: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Forecasts and expected errors in sensor units for (N, W) windows; `run` maps z-windows to
    (z-forecasts, spreads)."""
    x, mean, std = normalise(windows, eps)
    z, spread = run(x)
    return z[:, 0].astype(np.float64) * std + mean, spread[:, 0].astype(np.float64) * std


def series_metrics(run, cfg: Config) -> tuple[dict, dict]:
    """Per-series MAE of model and naive last value on the statsmodels held-out tails."""
    per = {}
    for name, (w, y) in split_windows(cfg, "test").items():
        pred, _ = predict(run, w, cfg.epsilon)
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


def family_metrics(run, cfg: Config, families, seed: int) -> dict:
    """Per family, over `eval_series` fresh series of 300 readings: MAE ratio vs last value, alerts
    per 1,000 clean readings (|actual - forecast| > alert_z expected errors, as the pipeline
    scores), and the share of injected spikes alerted: spikes of spike_std x the series' std, and
    small ones of spike_mae x its last-value MAE."""
    out = {}
    for fam in families:
        mae = naive = alerts = forecasts = 0.0
        caught = {"spikes_caught": 0, "small_spikes_caught": 0}
        spikes = 0
        for i in range(cfg.eval_series):
            values = sensor_families.draw(fam, seed * 7_919 + i)
            w, y = data.windows(values, cfg.window, 0, len(values))
            pred, err = predict(run, w, cfg.epsilon)
            mae += np.abs(pred - y).sum()
            naive_mae = np.abs(w[:, -1] - y).mean()
            naive += np.abs(w[:, -1] - y).sum()
            alerts += int((np.abs(y - pred) > cfg.alert_z * err).sum())
            forecasts += len(y)
            for key, size in (("spikes_caught", cfg.spike_std * values.std()),
                              ("small_spikes_caught", cfg.spike_mae * naive_mae)):
                spiked, idx = sensor_families.with_spikes(values, seed + i, cfg.window, size)
                ws, ys = data.windows(spiked, cfg.window, 0, len(spiked))
                ps, es = predict(run, ws, cfg.epsilon)
                hit = np.abs(ys - ps) > cfg.alert_z * es
                caught[key] += int(hit[idx - cfg.window].sum())
            spikes += len(idx)
        out[fam.name] = {"description": fam.description, "seasonal": fam.seasonal,
                         "series": cfg.eval_series, "forecasts": int(forecasts),
                         "mae_ratio_vs_last_value": float(mae / naive),
                         "clean_alerts_per_1000": float(1000 * alerts / forecasts),
                         **{k: float(v / spikes) for k, v in caught.items()}}
    return out


def family_summary(per_family: dict) -> dict:
    fams = per_family.values()
    return {"held_out_worst_ratio": max(f["mae_ratio_vs_last_value"] for f in fams),
            "held_out_worst_seasonal_ratio": max(
                (f["mae_ratio_vs_last_value"] for f in fams if f["seasonal"]), default=0.0),
            "held_out_worst_alerts_per_1000": max(f["clean_alerts_per_1000"] for f in fams),
            "held_out_worst_spikes_caught": min(f["spikes_caught"] for f in fams),
            "held_out_worst_small_spikes_caught": min(f["small_spikes_caught"] for f in fams)}


class ForecastLoss(nn.Module):
    """Smooth-L1 on the forecast; `shrink` x the size of its change from the last reading (so a
    window without structure to exploit is forecast to stay: "no change" costs nothing); and the
    Gaussian negative log-likelihood of its (detached) error under the spread, so the spread learns
    the error's scale without pulling the forecast."""

    def __init__(self, shrink: float):
        super().__init__()
        self.l1 = nn.SmoothL1Loss(beta=0.5)
        self.shrink = shrink

    def forward(self, out, y, last):
        forecast, spread = out
        err = (forecast - y).detach()
        nll = (torch.log(spread) + 0.5 * (err / spread) ** 2).mean()
        change = (forecast - last).abs().mean()
        return self.l1(forecast, y) + self.shrink * change + 0.3 * nll


def train(name: str, cfg: Config, out_dir: Path, version: str = "1", dry_run: bool = False) -> dict:
    common.seed_everything(cfg.seed)
    t0 = time.time()
    count = 2 if dry_run else cfg.series_per_family

    def stack(part, synthetic):
        pairs = [p for p in split_windows(cfg, part).values() if len(p[0])]
        w = np.concatenate([p[0] for p in pairs] + [synthetic[0]])
        y = np.concatenate([p[1] for p in pairs] + [synthetic[1]])
        x, mean, std = normalise(w, cfg.epsilon)
        z = torch.from_numpy(((y - mean) / std).astype(np.float32))[:, None]
        return torch.from_numpy(x), torch.cat([z, torch.from_numpy(x[:, -1, :])], dim=1)

    xtr, ytr = stack("train", synthetic_windows(cfg, count, cfg.seed, cfg.stride))
    xva, yva = stack("val", synthetic_windows(cfg, max(1, count // 4), cfg.seed + 1, 1))
    epochs = 2 if dry_run else cfg.epochs
    model = SensorForecaster(cfg.net)
    loss = ForecastLoss(cfg.shrink)

    class Loss(nn.Module):  # fit() calls loss_fn(model(x), y): y carries the last reading too
        def forward(self, out, yl):
            return loss(out, yl[:, :1], yl[:, 1:])

    loss_fn = Loss()
    gen = torch.Generator().manual_seed(cfg.seed)
    l1 = nn.SmoothL1Loss(beta=0.5)

    def validate(m: nn.Module) -> tuple[float, float]:
        with torch.no_grad():
            val = l1(m(xva)[0], yva[:, :1]).item()
        return val, val

    result = fit(model, desc=name, epochs=epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                 weight_decay=cfg.weight_decay, loss_fn=loss_fn, examples=len(xtr),
                 epoch_data=lambda _: (xtr, ytr), order=lambda n: torch.randperm(n, generator=gen),
                 validate=validate, higher_is_better=False, clip_grad_norm=1.0)
    curves = result.curves

    # calibration: alert_z spreads leave false_alarm_rate of the errors beyond, on fresh series of
    # every training family, jumps included. Chosen on the training families alone: at 2 in 1,000
    # the errors beyond are mostly those families' own jumps, so clean series rarely alert while a
    # spike of 3 x a series' std still does (smooth families alone, the rule before, gave spreads
    # 0.55 x as wide: a sawtooth's every drop alerted)
    cw, cy = synthetic_windows(cfg, max(2, count // 2), cfg.seed + 2, 1, sensor_families.TRAIN)
    cx, cmean, cstd = normalise(cw, cfg.epsilon)
    cz = torch.from_numpy(((cy - cmean) / cstd).astype(np.float32))[:, None]
    with torch.no_grad():
        f, sp = model(torch.from_numpy(cx))
        ratio = ((f - cz).abs() / sp).numpy()[:, 0].astype(np.float64)
        k = float(np.quantile(ratio, 1 - cfg.false_alarm_rate) / cfg.alert_z)
        model.calibration.fill_(k)
        residual_std = float(((f - cz) / (sp * k)).std().item())
    seconds = time.time() - t0

    def torch_run(x):
        with torch.no_grad():
            f, s = model(torch.from_numpy(x))
            return f.numpy(), s.numpy()

    summary, per_series = series_metrics(torch_run, cfg)
    held_out = family_metrics(torch_run, cfg, sensor_families.HELD_OUT, cfg.seed + 11)
    seen = family_metrics(torch_run, cfg, sensor_families.TRAIN, cfg.seed + 13)
    summary.update(family_summary(held_out))

    out_dir.mkdir(parents=True, exist_ok=True)
    prov = common.provenance(cfg.seed, seconds, common.device_name())
    onnx_path = out_dir / "model.onnx"
    common.export_onnx(model, (xva[:2],), ["window"], ["forecast", "spread"], onnx_path,
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
        tails[sname] = (y, predict(torch_run, w, cfg.epsilon)[0], w[:, -1])
    for fam in sensor_families.HELD_OUT:
        values = sensor_families.draw(fam, (cfg.seed + 11) * 7_919)
        w, y = data.windows(values, cfg.window, 0, len(values))
        tails[f"held-out {fam.name}"] = (y, predict(torch_run, w, cfg.epsilon)[0], w[:, -1])
    plots.forecasts(out_dir / "forecast.png", tails,
                    f"{name}: held-out tails and families (worst held-out family MAE ratio vs "
                    f"last value {summary['held_out_worst_ratio']:.2f})")
    card = repository.build_card(
        name=name, version=version, task="time-series-forecast",
        description=f"{cfg.net.cell.upper()} forecaster of the next sensor reading from the last "
                    f"{cfg.window} readings, normalised per window (serves any sensor), with its "
                    f"own expected error for anomaly alerts.",
        model_dir=out_dir,
        inputs=[repository.io_spec("window", "float32", ["batch", cfg.window, 1])],
        outputs=[repository.io_spec("forecast", "float32", ["batch", 1]),
                 repository.io_spec("spread", "float32", ["batch", 1])],
        labels=None, preprocessing=preprocessing_spec(cfg),
        postprocessing={"type": "window-denormalise", "output": "forecast",
                        "formula": "value = forecast * std + mean (the input window's mean, std)",
                        "error_output": "spread",
                        "residual_std": residual_std,
                        "anomaly_z": "z = (actual - value) / (std * spread): the spread is the "
                                     "forecast's expected error in window z units",
                        "calibration": {"alert_z": cfg.alert_z,
                                        "false_alarm_rate": cfg.false_alarm_rate,
                                        "factor": k}},
        metrics=summary,
        evaluation={"split": "test (last 20% of every statsmodels series; windows may look back)",
                    "metric": "mean over series of MAE(model) / MAE(last value), sensor units",
                    "per_series": per_series,
                    "held_out_families": held_out,
                    "training_families_fresh_series": seen,
                    "family_metric": f"{cfg.eval_series} series of 300 readings per family; "
                                     f"alerts: |actual - value| > {cfg.alert_z} x std x spread; "
                                     f"spikes: 8 per series, {cfg.spike_std} x the series' std "
                                     f"(small spikes: {cfg.spike_mae} x its last-value MAE)"},
        parity_diff=diff, parity_examples=int(len(test_x)),
        parameters=common.parameter_count(model),
        flops=common.flops_per_inference(model, (xva[:1],)),
        training={"config": common.to_jsonable(cfg), "epochs": epochs, "dry_run": dry_run,
                  "train_windows": int(len(xtr)), "validation_windows": int(len(xva))},
        data={"source": "statsmodels bundled datasets (co2, sunspots, elnino, macrodata, "
                        "elec_equip, nile) and synthetic families",
              "series": list(data.SERIES_NAMES),
              "synthetic_training_families": {f.name: f.description
                                              for f in sensor_families.TRAIN},
              "held_out_families": {f.name: f.description for f in sensor_families.HELD_OUT},
              "splits": {"train": "first 70% of targets of every statsmodels series, and "
                                  f"{count} synthetic series per training family",
                         "val": "next 10%, and fresh synthetic series",
                         "test": "last 20%, and the held-out families"}},
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
            z, spread = run(x)
            out.append({
                "input": {"sensor_id": sname, "readings": w[i].tolist(), "next_actual": float(y[i])},
                "tensors": [repository.tensor_json("window", x)],
                "outputs": [repository.tensor_json("forecast", z),
                            repository.tensor_json("spread", spread)],
                "expected": {"mean": float(mean[0]), "std": float(std[0]),
                             "forecast": float(z[0, 0]) * float(std[0]) + float(mean[0]),
                             "expected_error": float(spread[0, 0]) * float(std[0])},
            })
    return out


def evaluate_onnx(model_dir: Path) -> dict:
    card = repository.load_card(model_dir)
    c = card["training"]["config"]
    cfg = Config(seed=c["seed"], window=c["window"], epsilon=c["epsilon"])
    sess = common.ort_session(model_dir / "model.onnx")
    run = lambda x: tuple(sess.run(["forecast", "spread"], {"window": x}))  # noqa: E731
    summary, _ = series_metrics(run, cfg)
    summary.update(family_summary(family_metrics(run, cfg, sensor_families.HELD_OUT,
                                                 cfg.seed + 11)))
    return summary
