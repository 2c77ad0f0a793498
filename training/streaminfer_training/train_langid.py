"""langid-transformer: names the language of a sentence, trained on Debian's fortunes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import common, data, plots, preprocessing, repository
from .fit import fit
from .nets import LangIdTransformer, TransformerConfig

NAME = "langid-transformer"


@dataclass
class Config:
    seed: int = 7  # seeds split, init, crops and batch order
    max_per_language: int = 2500  # fortunes per language at most (class balance)
    epochs: int = 7  # passes over the training fortunes
    batch_size: int = 64  # texts per step
    lr: float = 1e-3  # AdamW peak learning rate (one-cycle)
    weight_decay: float = 0.01  # AdamW weight decay
    min_crop_chars: int = 12  # shortest random training crop, characters
    balance: bool = True  # repeat fortunes of small languages so each language weighs the same
    net: TransformerConfig = field(default_factory=TransformerConfig)  # architecture


def preprocessing_spec(cfg: Config) -> dict:
    return {
        "type": "byte-tokens",
        "normalisation": "Unicode NFC; every run of ASCII whitespace [ \\t\\n\\r\\f\\v] becomes one "
                         "space; leading and trailing spaces removed",
        "encoding": "UTF-8", "max_len": cfg.net.max_len, "offset": 1, "pad_id": 0,
        "truncation": "keep the first max_len bytes (may cut a character)",
        "formula": "ids[i] = utf8(normalise(text))[i] + offset for i < min(len, max_len), "
                   "pad_id elsewhere; int64 (batch, max_len)",
    }


def encode(texts: list[str], max_len: int) -> np.ndarray:
    return np.stack([preprocessing.byte_tokens(t, max_len) for t in texts]) if texts else \
        np.zeros((0, max_len), dtype=np.int64)


def random_crops(texts: list[str], rng: np.random.Generator, min_chars: int) -> list[str]:
    """Random character spans (start and length) so short and mid-text inputs are seen too."""
    out = []
    for t in texts:
        if len(t) <= min_chars or rng.random() < 0.3:
            out.append(t)
            continue
        length = int(rng.integers(min_chars, len(t) + 1))
        start = int(rng.integers(0, len(t) - length + 1))
        out.append(t[start : start + length])
    return out


def train(cfg: Config, out_dir: Path, version: str = "1", dry_run: bool = False) -> dict:
    common.seed_everything(cfg.seed)
    t0 = time.time()
    splits = data.text_splits(cfg.seed, cfg.max_per_language)
    labels = list(splits.languages)
    cfg.net.num_classes = len(labels)
    train_texts, train_y = training_split(splits, cfg.seed, dry_run)
    if cfg.balance:
        train_texts, train_y = _balanced(train_texts, train_y)
    xva = torch.from_numpy(encode(splits.val[0], cfg.net.max_len))
    yva = torch.from_numpy(splits.val[1])
    xte = torch.from_numpy(encode(splits.test[0], cfg.net.max_len))
    yte = splits.test[1]
    epochs = 1 if dry_run else cfg.epochs

    model = LangIdTransformer(cfg.net)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    rng = np.random.default_rng(cfg.seed)
    ytr = torch.from_numpy(train_y)

    def crops(_: int) -> tuple[torch.Tensor, torch.Tensor]:  # fresh random crops every epoch
        return torch.from_numpy(encode(random_crops(train_texts, rng, cfg.min_crop_chars), cfg.net.max_len)), ytr

    result = fit(model, desc=NAME, epochs=epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                 weight_decay=cfg.weight_decay, loss_fn=loss_fn, examples=len(train_texts),
                 epoch_data=crops, order=lambda n: torch.from_numpy(rng.permutation(n)),
                 validate=lambda m: _evaluate(m, xva, yva, loss_fn), clip_grad_norm=1.0)
    curves = result.curves
    seconds = time.time() - t0

    logits = _logits(model, xte)
    pred = logits.argmax(1)
    per_lang = {lang: float((pred[yte == i] == i).mean()) for i, lang in enumerate(labels)}
    metrics = {"accuracy": float((pred == yte).mean()), "num_languages": len(labels),
               "validation_accuracy": result.best_score, "worst_language_accuracy": min(per_lang.values())}

    out_dir.mkdir(parents=True, exist_ok=True)
    prov = common.provenance(cfg.seed, seconds, common.device_name())
    onnx_path = out_dir / "model.onnx"
    common.export_onnx(model, (xva[:2],), ["input_ids"], ["logits"], onnx_path,
                       {"streaminfer.name": NAME, "streaminfer.version": version,
                        "streaminfer.task": "text-classification",
                        "streaminfer.metrics": repr(metrics), "streaminfer.provenance": repr(prov)})
    diff = common.parity(onnx_path, model, {"input_ids": xte[:512].numpy()})

    reference = {"model": NAME, "version": version, "tolerance": 1e-4,
                 "examples": reference_examples(model, splits, cfg)}
    repository.write_json(out_dir / "reference.json", reference)
    plots.loss_curves(out_dir / "loss.png", curves, f"{NAME} cross-entropy")
    plots.confusion_matrix(out_dir / "confusion.png", yte, pred, labels,
                           f"{NAME} held-out confusion (accuracy {metrics['accuracy']:.3f})")
    card = repository.build_card(
        name=NAME, version=version, task="text-classification",
        description=f"Byte-level Transformer encoder ({cfg.net.layers} self-attention layers) "
                    f"that names the language of a text among {len(labels)} languages "
                    "(ISO 639-1 codes).",
        model_dir=out_dir,
        inputs=[repository.io_spec("input_ids", "int64", ["batch", cfg.net.max_len])],
        outputs=[repository.io_spec("logits", "float32", ["batch", len(labels)])],
        labels=labels, preprocessing=preprocessing_spec(cfg),
        postprocessing={"type": "softmax-top-k", "output": "logits", "top_k": 3},
        metrics=metrics,
        evaluation={"split": "test", "examples": int(len(yte)), "per_language_accuracy": per_lang,
                    "metric": "top-1 accuracy on the first max_len bytes of held-out fortunes"},
        parity_diff=diff, parity_examples=int(min(512, len(xte))),
        parameters=common.parameter_count(model),
        flops=common.flops_per_inference(model, (xte[:1],)),
        training={"config": common.to_jsonable(cfg), "epochs": epochs, "dry_run": dry_run,
                  "train_texts": len(train_texts)},
        data={"source": "Debian fortunes packages (" + ", ".join(
                  f"{lang}: {pkg} {common.debian_package_version(pkg) or '?'}"
                  for lang, (pkg, _) in data.LANGUAGES.items()) + ")",
              "files": {lang: list(files) for lang, (_, files) in data.LANGUAGES.items()},
              "splits": {"train": len(splits.train[0]), "val": len(splits.val[0]),
                         "test": len(splits.test[0])},
              "split_rule": "sha256 of the fortune text picks the split; texts found in two "
                            "languages dropped"},
        provenance=prov,
    )
    repository.write_json(out_dir / "model.json", card)
    return card


def training_split(splits: data.TextSplits, seed: int, dry_run: bool) -> tuple[list[str], np.ndarray]:
    """The training fortunes, or 512 of them (seeded) in a dry run."""
    texts, y = splits.train
    if dry_run:
        keep = np.random.default_rng(seed).permutation(len(texts))[:512]
        texts, y = [texts[i] for i in keep], y[keep]
    return texts, y


def _balanced(texts: list[str], y: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Repeats each language's fortunes (whole copies, then a prefix) up to the largest count.

    Repeats get fresh random crops every epoch, so they are not plain duplicates."""
    counts = np.bincount(y)
    out_t, out_y = list(texts), list(y)
    for label, n in enumerate(counts):
        idx = np.flatnonzero(y == label)
        extra = [idx[i % n] for i in range(counts.max() - n)]
        out_t += [texts[i] for i in extra]
        out_y += [label] * len(extra)
    return out_t, np.array(out_y, dtype=np.int64)


def _logits(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i : i + 256]) for i in range(0, len(x), 256)]).numpy()


def _evaluate(model, x, y, loss_fn) -> tuple[float, float]:
    logits = torch.from_numpy(_logits(model, x))
    return (logits.argmax(1) == y).float().mean().item(), loss_fn(logits, y).item()


def reference_examples(model: nn.Module, splits: data.TextSplits, cfg: Config) -> list[dict]:
    """The first held-out text of every language, a short crop of each of two, and a text that
    exercises normalisation (decomposed accents, tabs, newlines, surrounding spaces)."""
    texts, y = splits.test
    cases = []
    for i, lang in enumerate(splits.languages):
        j = int(np.flatnonzero(y == i)[0])
        cases.append((texts[j], lang))
    for i in (1, 7):
        j = int(np.flatnonzero(y == i)[1])
        cases.append((texts[j][:40], splits.languages[i]))
    cases.append(("  Cafe\u0301 con\tleche,\n\n por favor  ", "es"))
    out = []
    for text, lang in cases:
        ids = encode([text], cfg.net.max_len)
        logits = _logits(model, torch.from_numpy(ids))
        probs = preprocessing.softmax(logits.astype(np.float64))[0]
        out.append({
            "input": {"text": text, "label": lang},
            "tensors": [repository.tensor_json("input_ids", ids)],
            "outputs": [repository.tensor_json("logits", logits)],
            "expected": {"label": splits.languages[int(probs.argmax())],
                         "score": float(probs.max()), "probabilities": probs.tolist()},
        })
    return out


def evaluate_onnx(model_dir: Path) -> dict:
    card = repository.load_card(model_dir)
    c = card["training"]["config"]
    splits = data.text_splits(c["seed"], c["max_per_language"])
    x = encode(splits.test[0], card["preprocessing"]["max_len"])
    sess = common.ort_session(model_dir / "model.onnx")
    logits = np.concatenate([sess.run(None, {"input_ids": x[i : i + 256]})[0]
                             for i in range(0, len(x), 256)])
    return {"accuracy": float((logits.argmax(1) == splits.test[1]).mean()),
            "num_languages": len(splits.languages)}
