"""StreamInfer training: datasets from packages, PyTorch models, ONNX export, model repository."""

from pathlib import Path

#: Root of the git checkout (training/ lives directly below it).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Where the Java side loads models from: models/repository/<name>/<version>/.
REPOSITORY = PROJECT_ROOT / "models" / "repository"
