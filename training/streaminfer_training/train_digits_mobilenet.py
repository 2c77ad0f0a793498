"""digits-mobilenet: torchvision's mobilenet_v3_small, RGB 224, ImageNet normalisation.

A user's model as users bring one: a public architecture from torchvision (built from its code,
no downloaded weights), fed the way torchvision's ImageNet recipe feeds it (Resize(256),
CenterCrop(224), ToTensor, Normalize(ImageNet mean, std)), trained here on colour photographs of
the bundled digits (random ink and background colours, sizes, aspect ratios, positions and
noise; see data.colour_digit). The card describes that preprocessing in the card's own keys, so
StreamInfer serves it without Java.
"""

from __future__ import annotations

import base64
import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from . import common, data, plots, preprocessing, repository
from .fit import fit

NAME = "digits-mobilenet"
LABELS = [str(i) for i in range(10)]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
TENSOR_SAMPLES = 512  # input-tensor values kept per reference example


@dataclass
class Config:
    seed: int = 7  # seeds split, rendering, init and batch order
    epochs: int = 8  # passes over the (re-rendered) training split
    copies: int = 3  # renderings of each training digit per epoch
    batch_size: int = 32  # examples per step
    lr: float = 1e-3  # AdamW peak learning rate (one-cycle)
    weight_decay: float = 1e-4  # AdamW weight decay
    threads: int = 2  # torch intra-op threads


def preprocessing_spec() -> dict:
    return {
        "type": "image", "layout": "NCHW", "channels": 3, "color": "rgb",
        "height": 224, "width": 224, "resize": "shorter-side-center-crop", "resize_size": 256,
        "antialias": True, "scale_divisor": 255.0, "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
        "background": [255, 255, 255], "exif_orientation": "apply",
        "formula": "x[c] = (center_crop(resize_shorter_side(rgb(pixels), resize_size), height, "
                   "width)[c] / scale_divisor - mean[c]) / std[c]; bilinear, half-pixel centres, "
                   "antialiased when reducing (torchvision Resize on float tensors)",
        "accepted_encodings": ["PNG", "JPEG", "RAW_UINT8"],
    }


def network() -> nn.Module:
    from torchvision.models import mobilenet_v3_small

    net = mobilenet_v3_small(weights=None, num_classes=len(LABELS))
    # torchvision sets BatchNorm momentum 0.01 for long ImageNet runs; over a few hundred steps the
    # running statistics would lag the weights and eval() would see stale ones
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 0.1
    return net


def tensors(images: list[np.ndarray], pre: dict) -> torch.Tensor:
    return torch.from_numpy(np.concatenate([preprocessing.colour_tensor(i, pre) for i in images]))


def train(cfg: Config, out_dir: Path, version: str = "1", dry_run: bool = False) -> dict:
    """Trains, evaluates, exports and writes the model directory; returns the card."""
    common.seed_everything(cfg.seed)
    torch.set_num_threads(cfg.threads)
    t0 = time.time()
    splits = data.digit_splits(cfg.seed)
    pre = preprocessing_spec()
    train_px, train_y = splits.train
    val_px, val_y = splits.val
    test_px, test_y = splits.test
    epochs, copies = cfg.epochs, cfg.copies
    if dry_run:
        epochs, copies = 1, 1
        train_px, train_y = train_px[:48], train_y[:48]
        val_px, val_y, test_px, test_y = val_px[:16], val_y[:16], test_px[:20], test_y[:20]
    val_images = data.colour_digits(val_px, cfg.seed + 1)
    # the held-out figure: every test digit rendered twice, with colours and sizes never trained on
    test_images = data.colour_digits(test_px, cfg.seed + 2) + data.colour_digits(test_px, cfg.seed + 3)
    test_labels = np.concatenate([test_y, test_y])
    x_val, y_val = tensors(val_images, pre), torch.from_numpy(val_y)

    model = network()
    gen = torch.Generator().manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed + 10)
    loss_fn = nn.CrossEntropyLoss()
    n = len(train_px) * copies
    labels = torch.from_numpy(np.tile(train_y, copies))

    def render(idx: torch.Tensor) -> torch.Tensor:  # a batch of fresh renderings of its digits
        return tensors([data.colour_digit(train_px[int(i) % len(train_px)], rng) for i in idx], pre)

    def validate(m: nn.Module) -> tuple[float, float]:
        with torch.no_grad():
            logits = m(x_val)
        return (logits.argmax(1) == y_val).float().mean().item(), loss_fn(logits, y_val).item()

    result = fit(model, desc=NAME, epochs=epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                 weight_decay=cfg.weight_decay, loss_fn=loss_fn, examples=n,
                 epoch_data=lambda _: (torch.arange(n), labels),
                 order=lambda k: torch.randperm(k, generator=gen), augment=render, validate=validate)
    seconds = time.time() - t0

    x_test = tensors(test_images, pre)
    with torch.no_grad():
        test_pred = torch.cat([model(x_test[i : i + 64]) for i in range(0, len(x_test), 64)]).argmax(1).numpy()
    accuracy = float((test_pred == test_labels).mean())
    per_class = {LABELS[c]: float((test_pred[test_labels == c] == c).mean()) for c in range(10)}
    metrics = {"accuracy": accuracy, "worst_class_accuracy": min(per_class.values()),
               "validation_accuracy": result.best_score}

    out_dir.mkdir(parents=True, exist_ok=True)
    prov = common.provenance(cfg.seed, seconds, common.device_name())
    onnx_path = out_dir / "model.onnx"
    common.export_onnx(model, (x_test[:2],), ["input"], ["logits"], onnx_path,
                       {"streaminfer.name": NAME, "streaminfer.version": version,
                        "streaminfer.task": "image-classification",
                        "streaminfer.metrics": repr(metrics), "streaminfer.provenance": repr(prov)})
    diff = common.parity(onnx_path, model, {"input": x_test[:64].numpy()})

    reference = {"model": NAME, "version": version, "tolerance": 1e-4,
                 "examples": reference_examples(model, test_px, test_y, pre, cfg.seed + 4)}
    repository.write_json(out_dir / "reference.json", reference)
    plots.loss_curves(out_dir / "loss.png", result.curves, f"{NAME} cross-entropy")
    plots.confusion_matrix(out_dir / "confusion.png", test_labels, test_pred, LABELS,
                           f"{NAME} held-out confusion (accuracy {accuracy:.3f})")
    card = repository.build_card(
        name=NAME, version=version, task="image-classification",
        description="torchvision mobilenet_v3_small (no pretrained weights), RGB 224x224 with "
                    "ImageNet normalisation, trained on colour photographs of handwritten digits.",
        model_dir=out_dir,
        inputs=[repository.io_spec("input", "float32", ["batch", 3, 224, 224])],
        outputs=[repository.io_spec("logits", "float32", ["batch", 10])],
        labels=LABELS, preprocessing=pre,
        postprocessing={"type": "softmax-top-k", "output": "logits", "top_k": 3},
        metrics=metrics,
        evaluation={"split": "test", "examples": int(len(test_labels)),
                    "metric": "top-1 accuracy on the held-out test digits, each rendered twice "
                              "with unseen colours, sizes and positions",
                    "per_class_accuracy": per_class},
        parity_diff=diff, parity_examples=int(min(64, len(x_test))),
        parameters=common.parameter_count(model),
        flops=common.flops_per_inference(model, (x_test[:1],)),
        training={"config": common.to_jsonable(cfg), "epochs": epochs, "dry_run": dry_run},
        data={"source": "scikit-learn load_digits (bundled), digits-cnn's split, each digit drawn "
                        "as a colour image by data.colour_digit",
              "splits": {"train": int(n), "val": int(len(val_y)), "test": int(len(test_labels))},
              "split_rule": "stratified by class, seeded; training renderings fresh every epoch"},
        provenance=prov,
    )
    repository.write_json(out_dir / "model.json", card)
    return card


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def variants(pixels: np.ndarray, rng: np.random.Generator) -> tuple[list[tuple[str, str, bytes]], np.ndarray]:
    """(variant, encoding, producer-side bytes) of one colour digit in every form a producer may
    send: RGB PNG and JPEG, grey and 16-bit grey PNG, palette PNG, RGBA on a transparent
    background, CMYK JPEG, a JPEG stored rotated with an EXIF orientation, and raw uint8."""
    from PIL import ImageOps

    rgb = data.colour_digit(pixels, rng)
    img = Image.fromarray(rgb, mode="RGB")
    grey = ImageOps.grayscale(img)
    out = [("rgb-png", "PNG", _encode(img, "PNG")),
           ("rgb-jpeg", "JPEG", _encode(img, "JPEG", quality=95)),
           ("grey-png", "PNG", _encode(grey, "PNG")),
           ("grey16-png", "PNG", _encode(Image.fromarray(
               (np.asarray(grey, dtype=np.uint16) * 257 + rng.integers(0, 200, grey.size[::-1]))
               .astype(np.uint16)), "PNG")),
           ("palette-png", "PNG", _encode(img.quantize(64), "PNG")),
           ("cmyk-jpeg", "JPEG", _encode(img.convert("CMYK"), "JPEG", quality=95))]
    # dark ink on a transparent background: the digit's mask as alpha
    mask = np.asarray(Image.fromarray(pixels).resize(img.size, Image.BILINEAR))
    rgba = np.dstack([np.zeros_like(rgb), mask]).astype(np.uint8)
    out.append(("rgba-png", "PNG", _encode(Image.fromarray(rgba, mode="RGBA"), "PNG")))
    # stored rotated 90 degrees clockwise; EXIF orientation 8 says: rotate back to view
    exif = Image.Exif()
    exif[0x0112] = 8
    out.append(("exif-jpeg", "JPEG", _encode(img.transpose(Image.Transpose.ROTATE_270), "JPEG",
                                             quality=95, exif=exif.tobytes())))
    out.append(("raw", "RAW_UINT8", rgb.tobytes()))
    return out, rgb


def reference_examples(model: nn.Module, test_px: np.ndarray, test_y: np.ndarray, pre: dict,
                       seed: int) -> list[dict]:
    """Producer-side bytes of held-out digits in every variant, the tensor Python makes from
    them (Pillow decoding + torchvision transforms, float64) and PyTorch's logits on it."""
    rng = np.random.default_rng(seed)
    out = []
    for k, wanted in enumerate((7, 2)):
        hits = np.flatnonzero(test_y == wanted)
        i = int(hits[0]) if len(hits) else k
        forms, rgb = variants(test_px[i], rng)
        h, w = rgb.shape[:2]
        for variant, encoding, payload in forms:
            event = {"encoding": encoding, "data_base64": base64.b64encode(payload).decode(),
                     "width": w, "height": h, "channels": 3, "label": LABELS[int(test_y[i])]}
            pixels = preprocessing.input_pixels(event, pre["background"])
            tensor = preprocessing.colour_tensor(pixels, pre)
            with torch.no_grad():
                logits = model(torch.from_numpy(tensor)).numpy()
            probs = preprocessing.softmax(logits.astype(np.float64))[0]
            flat = tensor.reshape(-1)
            at = np.linspace(0, len(flat) - 1, TENSOR_SAMPLES).astype(np.int64)
            out.append({
                "variant": variant,
                "input": event,
                "pixels": {"height": int(pixels.shape[0]), "width": int(pixels.shape[1]),
                           "data": np.round(pixels, 6).reshape(-1).tolist()},
                # the whole input tensor is 150,528 floats: a fixed sample of it, and its sum
                "tensor_sample": {"name": "input", "shape": list(tensor.shape), "at": at.tolist(),
                                  "data": flat[at].tolist(), "sum": float(flat.astype(np.float64).sum())},
                "outputs": [repository.tensor_json("logits", logits)],
                "expected": {"label": LABELS[int(probs.argmax())], "score": float(probs.max()),
                             "probabilities": probs.tolist()},
            })
    return out


def evaluate_onnx(model_dir: Path) -> dict:
    """Re-evaluates the committed ONNX file on the held-out renderings named in its card."""
    card = repository.load_card(model_dir)
    seed = card["training"]["config"]["seed"]
    test_px, test_y = data.digit_splits(seed).test
    images = data.colour_digits(test_px, seed + 2) + data.colour_digits(test_px, seed + 3)
    sess = common.ort_session(model_dir / "model.onnx")
    x = tensors(images, card["preprocessing"]).numpy()
    pred = np.concatenate([sess.run(None, {"input": x[i : i + 64]})[0] for i in range(0, len(x), 64)]).argmax(1)
    truth = np.concatenate([test_y, test_y])
    return {"accuracy": float((pred == truth).mean()),
            "worst_class_accuracy": float(min((pred[truth == c] == c).mean() for c in range(10)))}
