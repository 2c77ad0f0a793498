import pytest

from streaminfer_training import REPOSITORY
from streaminfer_training.registry import TRAINERS as MODELS


def committed_model_dirs():
    """Newest committed version directory of every shipped model."""
    dirs = []
    for name in MODELS:
        versions = sorted((REPOSITORY / name).glob("*/model.json"), key=lambda p: int(p.parent.name))
        if versions:
            dirs.append(pytest.param(versions[-1].parent, id=name))
    return dirs
