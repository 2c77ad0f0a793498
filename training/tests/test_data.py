"""Datasets load from packages, split deterministically and leak nothing between splits."""

import numpy as np
import pytest

from streaminfer_training import data


def test_digit_splits_are_deterministic_and_disjoint():
    a, b = data.digit_splits(7), data.digit_splits(7)
    for part in ("train", "val", "test"):
        assert np.array_equal(getattr(a, part)[0], getattr(b, part)[0])
    seen = {}
    for part in ("train", "val", "test"):
        for img in getattr(a, part)[0]:
            key = img.tobytes()
            assert seen.setdefault(key, part) == part, "an image sits in two splits"
    assert sum(len(getattr(a, p)[0]) for p in ("train", "val", "test")) == len(seen)
    assert set(np.unique(a.test[1])) == set(range(10))


def test_digit_split_changes_with_seed():
    assert not np.array_equal(data.digit_splits(7).test[0], data.digit_splits(8).test[0])


def test_series_targets_fall_in_one_split_only():
    for sp in data.series_splits():
        assert 0 < sp.train_end < sp.val_end < len(sp.values)
        _, y_train = data.windows(sp.values, 24, 0, sp.train_end)
        _, y_test = data.windows(sp.values, 24, sp.val_end, len(sp.values))
        assert len(y_train) + 24 == sp.train_end and len(y_test) == len(sp.values) - sp.val_end
        assert np.isfinite(sp.values).all(), sp.name


def test_windows_end_just_before_their_target():
    values = np.arange(50.0)
    x, y = data.windows(values, 4, 10, 12)
    assert x.tolist() == [[6, 7, 8, 9], [7, 8, 9, 10]] and y.tolist() == [10, 11]


def test_text_splits_are_deterministic_and_disjoint():
    a, b = data.text_splits(7), data.text_splits(7)
    assert a.test[0] == b.test[0] and a.train[0][:50] == b.train[0][:50]
    assert len(a.languages) >= 8
    parts = [set(a.train[0]), set(a.val[0]), set(a.test[0])]
    assert not parts[0] & parts[1] and not parts[0] & parts[2] and not parts[1] & parts[2]
    assert set(np.unique(a.test[1])) == set(range(len(a.languages)))


def test_missing_corpus_names_the_package_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "FORTUNE_ROOT", tmp_path)
    with pytest.raises(data.MissingCorpusError, match="apt-get install -y fortunes-de"):
        data.read_fortunes("de")


def test_fortune_cleaning_drops_attributions_and_overstrikes():
    assert data._clean("_\bH_\bi  there\n\t-- Someone\n") == "Hi there"
