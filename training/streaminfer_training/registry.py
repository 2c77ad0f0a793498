"""Every trainable model by name, in one table: how to make its config, train it and re-evaluate it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable

from . import (train_dcgan, train_digits_cnn, train_digits_mobilenet, train_gan, train_langid,
               train_langid_bert, train_langid_bert_embed, train_sensor, train_sensor_multi,
               train_sensor_step)
from .nets import RnnConfig


@dataclass(frozen=True)
class Trainer:
    """One model the training module can produce."""

    name: str  # the model's name in the repository
    config: Callable[[], Any]  # its default Config (a dataclass; --set overrides fields)
    train: Callable[..., dict]  # train(cfg, out_dir, version="1", dry_run=False) -> card
    evaluate_onnx: Callable[[Path], dict]  # held-out metrics of a committed model.onnx


def _sensor(name: str, cell: str) -> Trainer:
    """A sensor forecaster: one entry per recurrent cell, the rest shared (train_sensor)."""
    return Trainer(name, lambda: train_sensor.Config(net=RnnConfig(cell=cell)), partial(train_sensor.train, name),
                   train_sensor.evaluate_onnx)


#: name → trainer, in training order (digits-gan after digits-cnn and digits-dcgan after digits-mobilenet: their metrics classify
#: generated digits; langid-bert-embed after langid-bert: it is its encoder).
TRAINERS: dict[str, Trainer] = {
    t.name: t
    for t in [
        Trainer(train_digits_cnn.NAME, train_digits_cnn.Config, train_digits_cnn.train, train_digits_cnn.evaluate_onnx),
        _sensor("sensor-lstm", "lstm"),
        _sensor("sensor-gru", "gru"),
        Trainer(train_sensor_step.NAME, train_sensor_step.Config, train_sensor_step.train,
                train_sensor_step.evaluate_onnx),
        Trainer(train_sensor_multi.NAME, train_sensor_multi.Config, train_sensor_multi.train,
                train_sensor_multi.evaluate_onnx),
        Trainer(train_langid.NAME, train_langid.Config, train_langid.train, train_langid.evaluate_onnx),
        Trainer(train_langid_bert.NAME, train_langid_bert.Config, train_langid_bert.train,
                train_langid_bert.evaluate_onnx),
        Trainer(train_langid_bert_embed.NAME, train_langid_bert_embed.Config,
                train_langid_bert_embed.train, train_langid_bert_embed.evaluate_onnx),
        Trainer(train_gan.NAME, train_gan.Config, train_gan.train, train_gan.evaluate_onnx),
        Trainer(train_digits_mobilenet.NAME, train_digits_mobilenet.Config, train_digits_mobilenet.train,
                train_digits_mobilenet.evaluate_onnx),
        Trainer(train_dcgan.NAME, train_dcgan.Config, train_dcgan.train, train_dcgan.evaluate_onnx),
    ]
}


def trainer(name: str) -> Trainer:
    """The trainer of ``name``; raises KeyError naming the known ones."""
    if name not in TRAINERS:
        raise KeyError(f"no model {name!r} (known: {', '.join(TRAINERS)})")
    return TRAINERS[name]
