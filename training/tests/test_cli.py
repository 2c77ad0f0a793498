"""Overridable defaults reject unknown keys and badly typed values."""

import pytest

from streaminfer_training import train_digits_cnn
from streaminfer_training.__main__ import main
from streaminfer_training.common import apply_overrides
from streaminfer_training.registry import trainer


def test_overrides_reach_nested_configs():
    cfg = apply_overrides(train_digits_cnn.Config(), {"epochs": "3", "net.hidden": "32",
                                                      "net.channels": "8,16,32"})
    assert cfg.epochs == 3 and cfg.net.hidden == 32 and cfg.net.channels == (8, 16, 32)
    assert train_digits_cnn.Config().net.hidden == 128  # defaults untouched


def test_unknown_key_is_rejected_with_the_valid_keys():
    with pytest.raises(ValueError, match=r"unknown config key 'epoch'.*epochs"):
        apply_overrides(train_digits_cnn.Config(), {"epoch": "3"})


def test_badly_typed_value_is_rejected():
    with pytest.raises(ValueError, match="'lr'"):
        apply_overrides(train_digits_cnn.Config(), {"lr": "fast"})


def test_sensor_variants_differ_only_in_the_cell():
    gru, lstm = trainer("sensor-gru").config(), trainer("sensor-lstm").config()
    assert (gru.net.cell, lstm.net.cell) == ("gru", "lstm")
    gru.net.cell = "lstm"
    assert gru == lstm


def test_unknown_model_names_the_known_ones():
    with pytest.raises(KeyError, match="digits-cnn"):
        trainer("resnet")


def test_cli_exits_with_a_message_for_unknown_keys():
    with pytest.raises(SystemExit, match="unknown config key"):
        main(["train", "digits-cnn", "--dry-run", "--set", "nope=1"])
