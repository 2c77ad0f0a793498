"""langid-bert-embed: the langid-bert encoder as a text-embedding model.

The Hugging Face path for embeddings: the `BertModel` inside langid-bert's saved
`BertForSequenceClassification` (hf/), loaded by `from_pretrained` without its pooler and
classifier head, exported to ONNX with `last_hidden_state` [batch, sequence, hidden] as its output,
as Hugging Face feature-extraction exports are. StreamInfer pools it (the card's `mean` over the
attention mask) and L2-normalises it. Nothing is trained here: the model is the classifier's
encoder, and its evaluation asks what an embedding should give: held-out sentences whose nearest
neighbour (cosine) is in the same language, against chance and against the same architecture
untrained.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import common, data, plots, repository, train_langid_bert
from .train_langid_bert import INPUTS

NAME = "langid-bert-embed"


@dataclass
class Config:
    encoder: str = "langid-bert"  # the repository model whose hf/ encoder is exported
    encoder_version: str = "1"  # its version directory
    pooling: str = "mean"  # the card's pooling: cls, mean or max over the attention mask
    normalize: bool = True  # unit L2 norm (cosine similarity is then a dot product)


class Encoder(nn.Module):
    """The exported graph: (input_ids, attention_mask, token_type_ids) → last_hidden_state."""

    def __init__(self, bert: nn.Module):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                         token_type_ids=token_type_ids).last_hidden_state


def pool(hidden: np.ndarray, mask: np.ndarray, pooling: str, normalize: bool) -> np.ndarray:
    """[n, sequence, dim] token vectors → [n, dim], over the tokens `mask` keeps (float64)."""
    h = hidden.astype(np.float64)
    m = mask.astype(np.float64)[:, :, None]
    if pooling == "cls":
        v = h[:, 0]
    elif pooling == "mean":
        v = (h * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    elif pooling == "max":
        v = np.where(m > 0, h, -np.inf).max(1)
    else:
        raise ValueError(f"pooling {pooling!r}: expected cls, mean or max")
    if normalize:
        v = v / np.linalg.norm(v, axis=1, keepdims=True)
    return v


def nearest(vectors: np.ndarray) -> np.ndarray:
    """Index of each vector's nearest other vector by cosine."""
    v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    return sims.argmax(1)


def neighbour_agreement(vectors: np.ndarray, y: np.ndarray) -> tuple[float, dict[int, float]]:
    """Share of texts whose nearest other text (cosine) has their label, overall and per label."""
    same = y[nearest(vectors)] == y
    return float(same.mean()), {int(c): float(same[y == c].mean()) for c in np.unique(y)}


def chance_agreement(y: np.ndarray) -> float:
    """Agreement of a neighbour drawn at random: the sum of squared label shares."""
    share = np.bincount(y) / len(y)
    return float((share**2).sum())


def embed(encoder: Encoder, x: np.ndarray, cfg: Config) -> np.ndarray:
    """Pooled vectors of [n, 3, length] encodings (ids, mask, types), in batches of 256."""
    encoder.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), 256):
            b = torch.from_numpy(x[i : i + 256])
            h = encoder(b[:, 0], b[:, 1], b[:, 2]).numpy()
            out.append(pool(h, x[i : i + 256, 1], cfg.pooling, cfg.normalize))
    return np.concatenate(out)


def train(cfg: Config, out_dir: Path, version: str = "1", dry_run: bool = False) -> dict:
    encoder_dir = out_dir.parent.parent / cfg.encoder / cfg.encoder_version
    if dry_run and not (encoder_dir / "hf" / "model.safetensors").exists():
        with tempfile.TemporaryDirectory() as tmp:  # a dry-run encoder of its own
            encoder_dir = Path(tmp) / cfg.encoder / cfg.encoder_version
            train_langid_bert.train(train_langid_bert.Config(), encoder_dir, dry_run=True)
            return _export(cfg, encoder_dir, out_dir, version, dry_run)
    return _export(cfg, encoder_dir, out_dir, version, dry_run)


def _export(cfg: Config, encoder_dir: Path, out_dir: Path, version: str, dry_run: bool) -> dict:
    from tokenizers import Tokenizer
    from transformers import BertModel

    if not (encoder_dir / "hf" / "model.safetensors").exists():
        raise SystemExit(f"{NAME}: {encoder_dir / 'hf' / 'model.safetensors'} is missing; train "
                         f"{cfg.encoder} first (its weights are not committed)")
    t0 = time.time()
    enc_card = repository.load_card(encoder_dir)
    c = enc_card["training"]["config"]
    common.seed_everything(c["seed"])
    splits = data.text_splits(c["seed"], c["max_per_language"])
    labels = list(splits.languages)
    bert = BertModel.from_pretrained(encoder_dir / "hf", add_pooling_layer=False)
    encoder = Encoder(bert).eval()
    tok = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
    max_length = enc_card["preprocessing"]["max_length"]
    test_texts, yte = splits.test
    if dry_run:
        test_texts, yte = test_texts[:300], yte[:300]
    xte = train_langid_bert.encode(tok, test_texts, max_length)

    vectors = embed(encoder, xte, cfg)
    agreement, per_lang = neighbour_agreement(vectors, yte)
    untrained = Encoder(BertModel(bert.config, add_pooling_layer=False)).eval()
    baseline, _ = neighbour_agreement(embed(untrained, xte, cfg), yte)
    metrics = {"neighbour_language_agreement": agreement, "chance_agreement": chance_agreement(yte),
               "untrained_encoder_agreement": baseline, "dimensions": int(vectors.shape[1])}
    seconds = time.time() - t0

    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(encoder_dir / "tokenizer.json", out_dir / "tokenizer.json")
    onnx_path = out_dir / "model.onnx"
    sample = torch.from_numpy(xte[:2, :, :24])
    prov = common.provenance(c["seed"], seconds, common.device_name())
    common.export_onnx(encoder, (sample[:, 0], sample[:, 1], sample[:, 2]), INPUTS,
                       ["last_hidden_state"], onnx_path,
                       {"streaminfer.name": NAME, "streaminfer.version": version,
                        "streaminfer.task": "text-embedding",
                        "streaminfer.metrics": repr(metrics), "streaminfer.provenance": repr(prov)},
                       sequence_axis=True)
    _sequence_output(onnx_path)
    feeds = {n: xte[:256, k] for k, n in enumerate(INPUTS)}
    diff = common.parity(onnx_path, encoder, feeds)

    reference = {"model": NAME, "version": version, "tolerance": 1e-4,
                 "examples": reference_examples(encoder, tok, splits, cfg, max_length)}
    repository.write_json(out_dir / "reference.json", reference)
    shutil.copyfile(encoder_dir / "loss.png", out_dir / "loss.png")  # the encoder's training
    plots.confusion_matrix(out_dir / "neighbours.png", yte, yte[nearest(vectors)], labels,
                           f"{NAME}: language of each held-out text's nearest neighbour "
                           f"(agreement {agreement:.3f})")
    hidden = int(bert.config.hidden_size)
    preprocessing = dict(enc_card["preprocessing"])
    card = repository.build_card(
        name=NAME, version=version, task="text-embedding",
        description=f"The encoder of {cfg.encoder} v{cfg.encoder_version} (Hugging Face BERT, "
                    f"{bert.config.num_hidden_layers} layers, hidden {hidden}) as a "
                    f"{hidden}-dimensional text embedding: {cfg.pooling} pooling over the attention "
                    f"mask{', L2-normalised' if cfg.normalize else ''}. Texts of one language lie "
                    f"close together.",
        model_dir=out_dir,
        inputs=[repository.io_spec(n, "int64", ["batch", "sequence"]) for n in INPUTS],
        outputs=[repository.io_spec("last_hidden_state", "float32",
                                    ["batch", "sequence", hidden])],
        labels=None, preprocessing=preprocessing,
        postprocessing={"type": "embedding", "output": "last_hidden_state",
                        "pooling": cfg.pooling, "normalize": cfg.normalize},
        metrics=metrics,
        evaluation={"split": "test", "examples": int(len(yte)),
                    "per_language_neighbour_agreement": {labels[k]: v for k, v in per_lang.items()},
                    "metric": "share of held-out fortunes whose nearest other held-out fortune "
                              "(cosine of the pooled vectors) is in the same language; chance is "
                              "the sum of squared language shares; the untrained figure is the "
                              "same architecture at its random initialisation"},
        parity_diff=diff, parity_examples=256,
        parameters=common.parameter_count(encoder),
        flops=common.flops_per_inference(encoder, tuple(torch.from_numpy(xte[:1, k, :32])
                                                        for k in range(3))),
        training={"config": common.to_jsonable(cfg), "epochs": 0, "dry_run": dry_run,
                  "encoder": {"name": enc_card["name"], "version": enc_card["version"],
                              "sha256": enc_card["sha256"]}},
        data={"source": enc_card["data"]["source"], "splits": enc_card["data"]["splits"],
              "split_rule": enc_card["data"]["split_rule"]},
        provenance=prov,
    )
    repository.write_json(out_dir / "model.json", card)
    return card


def _sequence_output(path: Path) -> None:
    """Names the exported output's axis 1 `sequence` (it follows the inputs' sequence axis)."""
    import onnx

    proto = onnx.load(str(path))
    dims = proto.graph.output[0].type.tensor_type.shape.dim
    dims[1].ClearField("dim_value")
    dims[1].dim_param = "sequence"
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, str(path))


def reference_examples(encoder: Encoder, tok, splits: data.TextSplits, cfg: Config,
                       max_length: int) -> list[dict]:
    """langid-bert's reference texts, each run alone, unpadded: its tensors, the token vectors and
    the pooled vector StreamInfer must give."""
    from tokenizers import Tokenizer

    t = Tokenizer.from_str(tok.to_str())
    t.enable_truncation(max_length, direction="right")
    out = []
    for text, lang in train_langid_bert.reference_cases(splits):
        e = t.encode(text)
        arrays = [np.array([a], dtype=np.int64) for a in (e.ids, e.attention_mask, e.type_ids)]
        with torch.no_grad():
            h = encoder(*(torch.from_numpy(a) for a in arrays)).numpy()
        out.append({
            "input": {"text": text, "label": lang},
            "tensors": [repository.tensor_json(n, a) for n, a in zip(INPUTS, arrays)],
            "outputs": [repository.tensor_json("last_hidden_state", h)],
            "expected": {"vector": pool(h, arrays[1], cfg.pooling, cfg.normalize)[0].tolist(),
                         "tokens": len(e.ids)},
        })
    return out


def evaluate_onnx(model_dir: Path) -> dict:
    """The card's metrics again from the committed model.onnx, pooled as the card says."""
    from tokenizers import Tokenizer

    card = repository.load_card(model_dir)
    enc = card["training"]["encoder"]
    enc_dir = model_dir.parent.parent / enc["name"] / enc["version"]
    c = repository.load_card(enc_dir)["training"]["config"]
    splits = data.text_splits(c["seed"], c["max_per_language"])
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    x = train_langid_bert.encode(tok, splits.test[0], card["preprocessing"]["max_length"])
    sess = common.ort_session(model_dir / "model.onnx")
    post = card["postprocessing"]
    vectors = np.concatenate([
        pool(sess.run(None, {n: x[i : i + 256, k] for k, n in enumerate(INPUTS)})[0],
             x[i : i + 256, 1], post["pooling"], post["normalize"])
        for i in range(0, len(x), 256)])
    agreement, _ = neighbour_agreement(vectors, splits.test[1])
    return {"neighbour_language_agreement": agreement,
            "chance_agreement": chance_agreement(splits.test[1]),
            "dimensions": int(vectors.shape[1])}
