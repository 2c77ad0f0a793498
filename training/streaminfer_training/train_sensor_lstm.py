"""sensor-lstm: the LSTM variant of the sensor forecaster (see train_sensor)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import train_sensor
from .nets import RnnConfig

NAME = "sensor-lstm"


@dataclass
class Config(train_sensor.Config):
    net: RnnConfig = field(default_factory=lambda: RnnConfig(cell="lstm"))  # LSTM cell


def train(cfg: Config, out_dir: Path, version: str = "1", dry_run: bool = False) -> dict:
    return train_sensor.train(NAME, cfg, out_dir, version, dry_run)


evaluate_onnx = train_sensor.evaluate_onnx
