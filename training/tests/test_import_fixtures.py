"""The committed import fixtures are exactly what import_fixtures.py makes, and each is valid ONNX."""

from pathlib import Path

import onnx
import onnxruntime as ort

from streaminfer_training import import_fixtures


def test_committed_fixtures_are_what_the_script_makes(tmp_path: Path):
    made = import_fixtures.write(tmp_path)
    assert {p.name for p in made} == {p.name for p in import_fixtures.OUT.glob("*.onnx")}
    for p in made:
        assert p.read_bytes() == (import_fixtures.OUT / p.name).read_bytes(), p.name


def test_every_fixture_loads_in_onnxruntime(tmp_path: Path):
    for p in import_fixtures.write(tmp_path):
        onnx.checker.check_model(onnx.load(p))
        ort.InferenceSession(str(p), providers=["CPUExecutionProvider"])
