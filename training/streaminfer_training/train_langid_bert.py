"""langid-bert: a Hugging Face `transformers` BERT (small config) that names the language of a text.

The standard Hugging Face path, from packaged data: a WordPiece `tokenizer.json` trained by
`tokenizers` on the training fortunes (lower case, accents kept: they tell languages apart), a
`BertForSequenceClassification` trained from scratch, both saved in Hugging Face format
(`hf/`: config.json with id2label, tokenizer.json, tokenizer_config.json, model.safetensors) and
exported to ONNX with dynamic batch and sequence axes and three inputs (`input_ids`,
`attention_mask`, `token_type_ids`). The card's `hf-tokenizer` preprocessing lets StreamInfer serve
it as it is.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import common, data, hf_tokenizers, plots, preprocessing, repository
from .fit import fit
from .train_langid import _balanced, random_crops, training_split

NAME = "langid-bert"
INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


@dataclass
class Config:
    seed: int = 7  # seeds split, init, crops and batch order
    max_per_language: int = 2500  # fortunes per language at most (class balance)
    epochs: int = 6  # passes over the training fortunes
    batch_size: int = 64  # texts per step
    lr: float = 5e-4  # AdamW peak learning rate (one-cycle)
    weight_decay: float = 0.01  # AdamW weight decay
    min_crop_chars: int = 12  # shortest random training crop, characters
    vocab: int = 8000  # WordPiece vocabulary
    hidden: int = 128  # BERT hidden size
    layers: int = 2  # encoder layers
    heads: int = 4  # attention heads
    intermediate: int = 256  # feed-forward size
    max_length: int = 128  # tokens served at most (the card's max_length, truncated on the right)
    train_length: int = 64  # tokens per training text (crops are short anyway)


class Classifier(nn.Module):
    """The exported graph: (input_ids, attention_mask, token_type_ids) → logits."""

    def __init__(self, bert: nn.Module):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                         token_type_ids=token_type_ids).logits


class Packed(nn.Module):
    """The same model taking one [batch, 3, length] tensor, as fit() feeds one tensor."""

    def __init__(self, model: Classifier):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x[:, 0], x[:, 1], x[:, 2])


def tokenizer(texts: list[str], cfg: Config):
    """WordPiece on the training texts; BERT's normaliser without accent stripping."""
    return hf_tokenizers.wordpiece(texts, vocab=cfg.vocab, strip_accents=False)


def encode(tok, texts: list[str], length: int) -> np.ndarray:
    """[n, 3, length] int64: ids, mask, types, truncated on the right and padded with [PAD]."""
    from tokenizers import Tokenizer

    t = Tokenizer.from_str(tok.to_str())
    t.enable_truncation(length, direction="right")
    t.enable_padding(pad_id=t.token_to_id("[PAD]"), pad_token="[PAD]", length=length)
    out = np.zeros((len(texts), 3, length), dtype=np.int64)
    for i, e in enumerate(t.encode_batch(texts)):
        out[i, 0], out[i, 1], out[i, 2] = e.ids, e.attention_mask, e.type_ids
    return out


def train(cfg: Config, out_dir: Path, version: str = "1", dry_run: bool = False) -> dict:
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    common.seed_everything(cfg.seed)
    t0 = time.time()
    splits = data.text_splits(cfg.seed, cfg.max_per_language)
    labels = list(splits.languages)
    train_texts, train_y = training_split(splits, cfg.seed, dry_run)
    tok = tokenizer(train_texts, cfg)
    train_texts, train_y = _balanced(train_texts, train_y)
    bert_cfg = BertConfig(
        vocab_size=tok.get_vocab_size(), hidden_size=cfg.hidden, num_hidden_layers=cfg.layers,
        num_attention_heads=cfg.heads, intermediate_size=cfg.intermediate,
        max_position_embeddings=cfg.max_length, num_labels=len(labels),
        id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)},
        pad_token_id=tok.token_to_id("[PAD]"))
    bert = BertForSequenceClassification(bert_cfg)
    model = Classifier(bert)
    xva = torch.from_numpy(encode(tok, splits.val[0], cfg.max_length))
    yva = torch.from_numpy(splits.val[1])
    xte = torch.from_numpy(encode(tok, splits.test[0], cfg.max_length))
    yte = splits.test[1]
    rng = np.random.default_rng(cfg.seed)
    ytr = torch.from_numpy(train_y)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)

    def crops(_: int) -> tuple[torch.Tensor, torch.Tensor]:  # fresh random crops every epoch
        texts = random_crops(train_texts, rng, cfg.min_crop_chars)
        return torch.from_numpy(encode(tok, texts, cfg.train_length)), ytr

    packed = Packed(model)
    result = fit(packed, desc=NAME, epochs=1 if dry_run else cfg.epochs, batch_size=cfg.batch_size,
                 lr=cfg.lr, weight_decay=cfg.weight_decay, loss_fn=loss_fn,
                 examples=len(train_texts), epoch_data=crops,
                 order=lambda n: torch.from_numpy(rng.permutation(n)),
                 validate=lambda m: _evaluate(m, xva, yva, loss_fn), clip_grad_norm=1.0)
    seconds = time.time() - t0

    pred = _logits(packed, xte).argmax(1)
    per_lang = {lang: float((pred[yte == i] == i).mean()) for i, lang in enumerate(labels)}
    metrics = {"accuracy": float((pred == yte).mean()), "num_languages": len(labels),
               "validation_accuracy": result.best_score,
               "worst_language_accuracy": min(per_lang.values())}

    out_dir.mkdir(parents=True, exist_ok=True)
    hf = out_dir / "hf"
    bert.save_pretrained(hf)
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                            cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                            model_max_length=cfg.max_length).save_pretrained(hf)
    shutil.copyfile(hf / "tokenizer.json", out_dir / "tokenizer.json")
    prov = common.provenance(cfg.seed, seconds, common.device_name())
    onnx_path = out_dir / "model.onnx"
    sample = xva[:2, :, :24]
    common.export_onnx(model, (sample[:, 0], sample[:, 1], sample[:, 2]), INPUTS, ["logits"],
                       onnx_path,
                       {"streaminfer.name": NAME, "streaminfer.version": version,
                        "streaminfer.task": "text-classification",
                        "streaminfer.metrics": repr(metrics), "streaminfer.provenance": repr(prov)},
                       sequence_axis=True)
    feeds = {n: xte[:256, k].numpy() for k, n in enumerate(INPUTS)}
    diff = common.parity(onnx_path, model, feeds)

    reference = {"model": NAME, "version": version, "tolerance": 1e-4,
                 "examples": reference_examples(model, tok, splits, cfg)}
    repository.write_json(out_dir / "reference.json", reference)
    plots.loss_curves(out_dir / "loss.png", result.curves, f"{NAME} cross-entropy")
    plots.confusion_matrix(out_dir / "confusion.png", yte, pred, labels,
                           f"{NAME} held-out confusion (accuracy {metrics['accuracy']:.3f})")
    card = repository.build_card(
        name=NAME, version=version, task="text-classification",
        description=f"Hugging Face BERT ({cfg.layers} layers, hidden {cfg.hidden}) with a WordPiece "
                    f"tokenizer, both trained here, that names the language of a text among "
                    f"{len(labels)} languages (ISO 639-1 codes).",
        model_dir=out_dir,
        inputs=[repository.io_spec(n, "int64", ["batch", "sequence"]) for n in INPUTS],
        outputs=[repository.io_spec("logits", "float32", ["batch", len(labels)])],
        labels=labels, preprocessing=preprocessing_spec(cfg, tok, out_dir / "tokenizer.json"),
        postprocessing={"type": "softmax-top-k", "output": "logits", "top_k": 3},
        metrics=metrics,
        evaluation={"split": "test", "examples": int(len(yte)), "per_language_accuracy": per_lang,
                    "metric": "top-1 accuracy on held-out fortunes, at most max_length tokens"},
        parity_diff=diff, parity_examples=256,
        parameters=common.parameter_count(model),
        flops=common.flops_per_inference(model, tuple(t[:1, :32] for t in feeds_torch(xte))),
        training={"config": common.to_jsonable(cfg), "epochs": 1 if dry_run else cfg.epochs,
                  "dry_run": dry_run, "train_texts": len(train_texts)},
        data={"source": "Debian fortunes packages (" + ", ".join(
                  f"{lang}: {pkg} {common.debian_package_version(pkg) or '?'}"
                  for lang, (pkg, _) in data.LANGUAGES.items()) + ")",
              "splits": {"train": len(splits.train[0]), "val": len(splits.val[0]),
                         "test": len(splits.test[0])},
              "split_rule": "as langid-transformer: sha256 of the fortune text picks the split"},
        provenance=prov,
    )
    repository.write_json(out_dir / "model.json", card)
    return card


def feeds_torch(x: torch.Tensor) -> list[torch.Tensor]:
    return [x[:, k] for k in range(3)]


def preprocessing_spec(cfg: Config, tok, tokenizer_file: Path) -> dict:
    return {
        "type": "hf-tokenizer", "tokenizer_file": "tokenizer.json",
        "tokenizer_sha256": hashlib.sha256(tokenizer_file.read_bytes()).hexdigest(),
        "max_length": cfg.max_length, "truncation": "right", "pad_id": tok.token_to_id("[PAD]"),
        "inputs": {n: n for n in INPUTS},
    }


def _logits(packed: nn.Module, x: torch.Tensor) -> np.ndarray:
    packed.eval()
    with torch.no_grad():
        return torch.cat([packed(x[i : i + 256]) for i in range(0, len(x), 256)]).numpy()


def _evaluate(packed, x, y, loss_fn) -> tuple[float, float]:
    logits = torch.from_numpy(_logits(packed, x))
    return (logits.argmax(1) == y).float().mean().item(), loss_fn(logits, y).item()


def reference_examples(model: Classifier, tok, splits: data.TextSplits, cfg: Config) -> list[dict]:
    """The reference_cases, each run alone, unpadded."""
    from tokenizers import Tokenizer

    t = Tokenizer.from_str(tok.to_str())
    t.enable_truncation(cfg.max_length, direction="right")
    out = []
    model.eval()
    for text, lang in reference_cases(splits):
        e = t.encode(text)
        ids = np.array([e.ids], dtype=np.int64)
        mask = np.array([e.attention_mask], dtype=np.int64)
        types = np.array([e.type_ids], dtype=np.int64)
        with torch.no_grad():
            logits = model(*(torch.from_numpy(a) for a in (ids, mask, types))).numpy()
        probs = preprocessing.softmax(logits.astype(np.float64))[0]
        out.append({
            "input": {"text": text, "label": lang},
            "tensors": [repository.tensor_json(n, a) for n, a in zip(INPUTS, (ids, mask, types))],
            "outputs": [repository.tensor_json("logits", logits)],
            "expected": {"label": splits.languages[int(probs.argmax())],
                         "score": float(probs.max()), "probabilities": probs.tolist()},
        })
    return out


def reference_cases(splits: data.TextSplits) -> list[tuple[str, str]]:
    """(text, language) of the reference texts: the first held-out text of every language, two
    short crops, and texts that exercise the tokenizer (accents, CJK and emoji, an over-long text)."""
    texts, y = splits.test
    cases = []
    for i, lang in enumerate(splits.languages):
        cases.append((texts[int(np.flatnonzero(y == i)[0])], lang))
    for i in (1, 7):
        cases.append((texts[int(np.flatnonzero(y == i)[1])][:40], splits.languages[i]))
    cases += [("  Cafe\u0301 con\tleche,\n\n por favor  ", "es"),
              ("Ich liebe 東京 und 😀 Emoji", "de"),
              (_over_long(texts[int(np.flatnonzero(y == 0)[0])]), "en")]
    return cases


def _over_long(text: str, chars: int = 3000) -> str:
    """`text` repeated to `chars` characters: far beyond max_length tokens, within the default
    route's text.max.chars (10,000), so it is truncated, not refused."""
    return ((text + " ") * (chars // (len(text) + 1) + 1))[:chars].strip()


def rewrite_reference(model_dir: Path) -> None:
    """reference.json again from the saved Hugging Face model (hf/), without retraining."""
    from tokenizers import Tokenizer
    from transformers import BertForSequenceClassification

    card = repository.load_card(model_dir)
    c = card["training"]["config"]
    cfg = Config(**{k: v for k, v in c.items() if k in Config.__dataclass_fields__})
    splits = data.text_splits(cfg.seed, cfg.max_per_language)
    model = Classifier(BertForSequenceClassification.from_pretrained(model_dir / "hf")).eval()
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    reference = {"model": NAME, "version": card["version"], "tolerance": 1e-4,
                 "examples": reference_examples(model, tok, splits, cfg)}
    repository.write_json(model_dir / "reference.json", reference)


def evaluate_onnx(model_dir: Path) -> dict:
    from tokenizers import Tokenizer

    card = repository.load_card(model_dir)
    c = card["training"]["config"]
    splits = data.text_splits(c["seed"], c["max_per_language"])
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    x = encode(tok, splits.test[0], card["preprocessing"]["max_length"])
    sess = common.ort_session(model_dir / "model.onnx")
    logits = np.concatenate([
        sess.run(None, {n: x[i : i + 256, k] for k, n in enumerate(INPUTS)})[0]
        for i in range(0, len(x), 256)])
    pred, y = logits.argmax(1), splits.test[1]
    return {"accuracy": float((pred == y).mean()), "num_languages": len(splits.languages),
            "worst_language_accuracy": min(float((pred[y == i] == i).mean())
                                           for i in range(len(splits.languages)))}
