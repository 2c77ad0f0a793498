"""digits-cnn: handwritten digit classifier on scikit-learn's bundled 8x8 digits."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import common, data, plots, preprocessing, repository
from .fit import fit
from .nets import CnnConfig, DigitsCnn

NAME = "digits-cnn"
LABELS = [str(i) for i in range(10)]


@dataclass
class Config:
    seed: int = 7  # seeds data split, init and augmentation
    epochs: int = 60  # passes over the training split
    batch_size: int = 64  # examples per step
    lr: float = 2e-3  # AdamW peak learning rate (cosine decay)
    weight_decay: float = 1e-4  # AdamW weight decay
    shift: int = 1  # random translation augmentation, pixels
    net: CnnConfig = field(default_factory=CnnConfig)  # architecture


def preprocessing_spec(mean: float, std: float) -> dict:
    return {
        "type": "image", "layout": "NCHW", "channels": 1, "height": 8, "width": 8,
        "color": "grey-bt601", "resize": "bilinear-half-pixel", "scale_divisor": 255.0,
        "mean": mean, "std": std, "ink": "bright-on-dark",
        "formula": "x = (resize(grey(pixels)) / scale_divisor - mean) / std",
        "accepted_encodings": ["PNG", "JPEG", "RAW_UINT8"],
    }


def tensors(pixels: np.ndarray, pre: dict) -> np.ndarray:
    """uint8 (N, 8, 8) → float32 (N, 1, 8, 8) exactly as the card says."""
    return np.concatenate([preprocessing.image_tensor(p[:, :, None], pre) for p in pixels])


def _shift(batch: torch.Tensor, k: int, gen: torch.Generator) -> torch.Tensor:
    if k == 0:
        return batch
    padded = nn.functional.pad(batch, (k, k, k, k), value=float(batch.min()))
    out = torch.empty_like(batch)
    offs = torch.randint(0, 2 * k + 1, (len(batch), 2), generator=gen)
    for i, (dy, dx) in enumerate(offs.tolist()):
        out[i] = padded[i, :, dy : dy + 8, dx : dx + 8]
    return out


def train(cfg: Config, out_dir: Path, version: str = "1", dry_run: bool = False) -> dict:
    """Trains, evaluates, exports and writes the model directory; returns the card."""
    common.seed_everything(cfg.seed)
    t0 = time.time()
    splits = data.digit_splits(cfg.seed)
    train_px = splits.train[0].astype(np.float64) / 255.0
    pre = preprocessing_spec(float(train_px.mean()), float(train_px.std()))
    xs = {k: torch.from_numpy(tensors(getattr(splits, k)[0], pre)) for k in ("train", "val", "test")}
    ys = {k: torch.from_numpy(getattr(splits, k)[1]) for k in ("train", "val", "test")}
    epochs = 2 if dry_run else cfg.epochs

    model = DigitsCnn(cfg.net)
    gen = torch.Generator().manual_seed(cfg.seed)
    loss_fn = nn.CrossEntropyLoss()

    def validate(m: nn.Module) -> tuple[float, float]:
        with torch.no_grad():
            logits = m(xs["val"])
        return (logits.argmax(1) == ys["val"]).float().mean().item(), loss_fn(logits, ys["val"]).item()

    result = fit(model, desc=NAME, epochs=epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                 weight_decay=cfg.weight_decay, loss_fn=loss_fn, examples=len(xs["train"]),
                 epoch_data=lambda _: (xs["train"], ys["train"]),
                 order=lambda n: torch.randperm(n, generator=gen),
                 augment=lambda xb: _shift(xb, cfg.shift, gen), validate=validate)
    curves = result.curves
    seconds = time.time() - t0

    with torch.no_grad():
        test_pred = model(xs["test"]).argmax(1).numpy()
    accuracy = float((test_pred == ys["test"].numpy()).mean())
    metrics = {"accuracy": accuracy, "validation_accuracy": result.best_score}

    out_dir.mkdir(parents=True, exist_ok=True)
    prov = common.provenance(cfg.seed, seconds, common.device_name())
    onnx_path = out_dir / "model.onnx"
    example = (xs["test"][:2],)
    common.export_onnx(model, example, ["image"], ["logits"], onnx_path,
                       {"streaminfer.name": NAME, "streaminfer.version": version,
                        "streaminfer.task": "image-classification",
                        "streaminfer.metrics": repr(metrics), "streaminfer.provenance": repr(prov)})
    diff = common.parity(onnx_path, model, {"image": xs["test"].numpy()})

    reference = {"model": NAME, "version": version, "tolerance": 1e-4,
                 "examples": reference_examples(model, splits, pre)}
    repository.write_json(out_dir / "reference.json", reference)
    plots.loss_curves(out_dir / "loss.png", curves, f"{NAME} cross-entropy")
    plots.confusion_matrix(out_dir / "confusion.png", ys["test"].numpy(), test_pred, LABELS,
                           f"{NAME} held-out confusion (accuracy {accuracy:.3f})")
    card = repository.build_card(
        name=NAME, version=version, task="image-classification",
        description="Convolutional classifier of 8x8 handwritten digits (ink bright on dark).",
        model_dir=out_dir,
        inputs=[repository.io_spec("image", "float32", ["batch", 1, 8, 8])],
        outputs=[repository.io_spec("logits", "float32", ["batch", 10])],
        labels=LABELS, preprocessing=pre,
        postprocessing={"type": "softmax-top-k", "output": "logits", "top_k": 3},
        metrics=metrics,
        evaluation={"split": "test", "examples": int(len(ys["test"])),
                    "metric": "top-1 accuracy on the held-out test split"},
        parity_diff=diff, parity_examples=int(len(ys["test"])),
        parameters=common.parameter_count(model),
        flops=common.flops_per_inference(model, (xs["test"][:1],)),
        training={"config": common.to_jsonable(cfg), "epochs": epochs, "dry_run": dry_run},
        data={"source": "scikit-learn load_digits (bundled, 1797 images of 8x8, values 0..16)",
              "pixels": "uint8 = round(v * 255 / 16); identical images kept once",
              "splits": {k: int(len(ys[k])) for k in ys}, "split_rule": "stratified by class, seeded"},
        provenance=prov,
    )
    repository.write_json(out_dir / "model.json", card)
    return card


def reference_examples(model: nn.Module, splits: data.DigitSplits, pre: dict) -> list[dict]:
    """One PNG test digit per class, plus raw uint8, an RGB PNG and a 16x16 PNG (resize path)."""
    x, y = splits.test
    cases = []
    for label in range(10):
        i = int(np.flatnonzero(y == label)[0])
        cases.append(("PNG", x[i][:, :, None], label, preprocessing.encode_png(x[i])))
    i = int(np.flatnonzero(y == 3)[1])
    cases.append(("RAW_UINT8", x[i][:, :, None], 3, x[i].tobytes()))
    i = int(np.flatnonzero(y == 5)[1])
    rgb = np.stack([x[i], x[i] // 2, 255 - x[i]], axis=2).astype(np.uint8)
    from PIL import Image
    import io

    buf = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(buf, format="PNG")
    cases.append(("PNG", rgb, 5, buf.getvalue()))
    i = int(np.flatnonzero(y == 8)[1])
    big = np.kron(x[i], np.ones((2, 2), dtype=np.uint8))
    cases.append(("PNG", big[:, :, None], 8, preprocessing.encode_png(big)))

    out = []
    for encoding, pixels, label, payload in cases:
        decoded = preprocessing.decode_image(payload) if encoding == "PNG" else pixels.astype(float)
        assert np.array_equal(decoded, pixels.astype(np.float64)), "PNG round trip changed pixels"
        tensor = preprocessing.image_tensor(decoded, pre)
        with torch.no_grad():
            logits = model(torch.from_numpy(tensor)).numpy()
        probs = preprocessing.softmax(logits.astype(np.float64))[0]
        h, w, c = pixels.shape
        out.append({
            "input": {"encoding": encoding, "data_base64": base64.b64encode(payload).decode(),
                      "width": w, "height": h, "channels": c, "label": str(label)},
            "tensors": [repository.tensor_json("image", tensor)],
            "outputs": [repository.tensor_json("logits", logits)],
            "expected": {"label": LABELS[int(probs.argmax())], "score": float(probs.max()),
                         "probabilities": probs.tolist()},
        })
    return out


def evaluate_onnx(model_dir: Path) -> dict:
    """Re-evaluates the committed ONNX file on the held-out split named in its card."""
    card = repository.load_card(model_dir)
    splits = data.digit_splits(card["training"]["config"]["seed"])
    x = tensors(splits.test[0], card["preprocessing"])
    logits = common.ort_session(model_dir / "model.onnx").run(None, {"image": x})[0]
    return {"accuracy": float((logits.argmax(1) == splits.test[1]).mean())}
