"""Tiny ONNX graphs that `streaminfer model import` must bring in or refuse, built with onnx.helper.

python -m streaminfer_training.import_fixtures [OUT_DIR]
(default: models/src/test/resources/import-fixtures). Deterministic: the same bytes every run.
Each graph is a few nodes with seeded weights; ModelImportTest (Java) imports each one and
checks the card it writes or the refusal's wording (the tensor or key it names).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "models" / "src" / "test" / "resources" / "import-fixtures"
OPSET = 17


def _weights(name: str, shape: tuple[int, ...], seed: int) -> onnx.TensorProto:
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(rng.normal(0, 0.5, shape).astype(np.float32), name)


def _classifier_tail(features: str, channels: int, classes: int, out: str, last: str | None):
    """(nodes, initializers): GlobalAveragePool → Flatten → Gemm [→ last op] into `out`."""
    gemm_out = out if last is None else "scores"
    nodes = [
        helper.make_node("GlobalAveragePool", [features], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("Gemm", ["flat", "W", "B"], [gemm_out], transB=1),
    ]
    if last == "Softmax":
        nodes.append(helper.make_node("Softmax", [gemm_out], [out], axis=-1))
    elif last is not None:
        nodes.append(helper.make_node(last, [gemm_out], [out]))
    inits = [_weights("W", (classes, channels), 1), _weights("B", (classes,), 2)]
    return nodes, inits


def _model(nodes, inputs, outputs, inits, name: str) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    m = helper.make_model(
        graph, producer_name="streaminfer-import-fixtures", opset_imports=[helper.make_opsetid("", OPSET)]
    )
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def _image_classifier(name, dtype, shape, out_shape, last=None, layout="NCHW", extra_inputs=()):
    """A classifier over an image input of `shape` (NCHW or NHWC; uint8 is cast to float)."""
    nodes = []
    x = "image"
    if dtype == TensorProto.UINT8:
        nodes.append(helper.make_node("Cast", [x], ["image_f"], to=TensorProto.FLOAT))
        x = "image_f"
    if layout == "NHWC":
        nodes.append(helper.make_node("Transpose", [x], ["image_nchw"], perm=[0, 3, 1, 2]))
        x = "image_nchw"
    channels = shape[3] if layout == "NHWC" else shape[1]
    tail, inits = _classifier_tail(x, channels, out_shape[1], "scores_out", last)
    inputs = [helper.make_tensor_value_info("image", dtype, shape)]
    inputs += [helper.make_tensor_value_info(n, t, s) for n, t, s in extra_inputs]
    outputs = [helper.make_tensor_value_info("scores_out", TensorProto.FLOAT, out_shape)]
    return _model(nodes + tail, inputs, outputs, inits, name)


def _generator(name, latent_shape, out_shape, last, conditional=False):
    """z → Gemm → Reshape to an image → last op (Tanh, Sigmoid or none); labels add an offset."""
    c, h, w = out_shape[1:]
    n = c * h * w
    latent = int(np.prod([d for d in latent_shape[1:]]))
    nodes = [helper.make_node("Flatten", ["z"], ["zf"])]
    nodes.append(helper.make_node("Gemm", ["zf", "G", "GB"], ["lin"], transB=1))
    x = "lin"
    inits = [_weights("G", (n, latent), 3), _weights("GB", (n,), 4)]
    inputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, latent_shape)]
    if conditional:
        inputs.append(helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]))
        inits.append(_weights("E", (3, n), 5))
        nodes.append(helper.make_node("Gather", ["E", "label"], ["emb"], axis=0))
        nodes.append(helper.make_node("Add", ["lin", "emb"], ["lin2"]))
        x = "lin2"
    inits.append(numpy_helper.from_array(np.array([-1, c, h, w], dtype=np.int64), "shape"))
    img = "img" if last else "generated"
    nodes.append(helper.make_node("Reshape", [x, "shape"], [img]))
    if last:
        nodes.append(helper.make_node(last, [img], ["generated"]))
    outputs = [helper.make_tensor_value_info("generated", TensorProto.FLOAT, out_shape)]
    return _model(nodes, inputs, outputs, inits, name)


def fixtures() -> dict[str, onnx.ModelProto]:
    f, u8 = TensorProto.FLOAT, TensorProto.UINT8
    return {
        # served: an NCHW RGB classifier whose spatial axes are dynamic
        "dynamic-rgb.onnx": _image_classifier("dynamic_rgb", f, ["batch", 3, "h", "w"], ["batch", 4]),
        # served: uint8 NHWC input, probabilities out
        "nhwc-uint8-softmax.onnx": _image_classifier(
            "nhwc_uint8", u8, ["batch", 16, 16, 3], ["batch", 3], last="Softmax", layout="NHWC"
        ),
        # served: an unconditional generator in [0, 1] with a [batch, z, 1, 1] noise input
        "generator-sigmoid.onnx": _generator("gen_sigmoid", ["batch", 8, 1, 1], ["batch", 3, 4, 6], "Sigmoid"),
        # served with labels: a conditional grey generator in [-1, 1]
        "generator-conditional.onnx": _generator(
            "gen_conditional", ["batch", 8], ["batch", 1, 5, 5], "Tanh", conditional=True
        ),
        # refused: the input is int32
        "int32-input.onnx": _int32_input(),
        # refused: the batch axis is fixed at 1
        "fixed-batch.onnx": _image_classifier("fixed_batch", f, [1, 3, 8, 8], [1, 2]),
        # refused: a second input the image family cannot feed
        "two-inputs.onnx": _image_classifier(
            "two_inputs", f, ["batch", 3, 8, 8], ["batch", 2], extra_inputs=[("mask", f, ["batch", 1])]
        ),
        # refused: a float16 output
        "float16-output.onnx": _float16_output(),
        # needs postprocessing.range: the generator's output is not bounded by its last op
        "generator-unbounded.onnx": _generator("gen_unbounded", ["batch", 8], ["batch", 1, 4, 4], None),
    }


def _int32_input() -> onnx.ModelProto:
    nodes = [helper.make_node("Cast", ["image"], ["image_f"], to=TensorProto.FLOAT)]
    tail, inits = _classifier_tail("image_f", 3, 2, "scores_out", None)
    inputs = [helper.make_tensor_value_info("image", TensorProto.INT32, ["batch", 3, 8, 8])]
    outputs = [helper.make_tensor_value_info("scores_out", TensorProto.FLOAT, ["batch", 2])]
    return _model(nodes + tail, inputs, outputs, inits, "int32_input")


def _float16_output() -> onnx.ModelProto:
    tail, inits = _classifier_tail("image", 3, 2, "scores", None)
    nodes = tail + [helper.make_node("Cast", ["scores"], ["half"], to=TensorProto.FLOAT16)]
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, 8, 8])]
    outputs = [helper.make_tensor_value_info("half", TensorProto.FLOAT16, ["batch", 2])]
    return _model(nodes, inputs, outputs, inits, "float16_output")


def write(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in fixtures().items():
        p = out / name
        p.write_bytes(model.SerializeToString())
        written.append(p)
    return written


if __name__ == "__main__":
    for p in write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(p)
