"""digits-gan: conditional GAN on the digits; only the generator is exported.

The quality metric asks digits-cnn (the ONNX file in the repository) to classify 100 generated
digits per class; the noise comes from the same SplitMix64/Box-Muller stream the Java pipeline
draws from a request's seed, so the figure can be reproduced anywhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import REPOSITORY, common, data, fit, plots, preprocessing, repository
from .nets import Discriminator, GanConfig, Generator

NAME = "digits-gan"
LABELS = [str(i) for i in range(10)]
EVAL_SEED = 1000  # class c is evaluated with request seed EVAL_SEED + c
EVAL_PER_CLASS = 100


@dataclass
class Config:
    seed: int = 7  # seeds split, init, noise and batch order
    steps: int = 8000  # adversarial steps (one D and one G update each)
    batch_size: int = 128  # real images per step
    lr: float = 2e-4  # Adam learning rate of both players
    real_label: float = 0.9  # one-sided label smoothing for real images
    net: GanConfig = field(default_factory=GanConfig)  # generator/discriminator sizes


def _classifier_dir(out_root: Path) -> Path:
    """digits-cnn next to the model being written, else the committed one."""
    for root in (out_root, REPOSITORY):
        found = sorted((root / "digits-cnn").glob("*/model.onnx"), key=lambda p: int(p.parent.name))
        if found:
            return found[-1].parent
    raise FileNotFoundError("digits-cnn is needed to evaluate digits-gan: train it first")


def generate(run, label: int, seed: int, count: int, latent: int) -> np.ndarray:
    """uint8 (count, 8, 8) images for one request; `run(z, labels)` returns [-1, 1] images."""
    z = preprocessing.gaussian_noise(seed, count, latent)
    images = run(z, np.full(count, label, dtype=np.int64))
    return preprocessing.generated_to_uint8(images[:, 0], -1.0, 1.0)


def quality(run, latent: int, classifier_dir: Path) -> tuple[dict, np.ndarray, dict]:
    """CNN agreement and diversity over EVAL_PER_CLASS samples per class."""
    from . import train_digits_cnn

    cnn_card = repository.load_card(classifier_dir)
    cnn = common.ort_session(classifier_dir / "model.onnx")
    images = np.stack([generate(run, c, EVAL_SEED + c, EVAL_PER_CLASS, latent) for c in range(10)])
    agree, per_class = 0, {}
    for c in range(10):
        x = train_digits_cnn.tensors(images[c], cnn_card["preprocessing"])
        pred = cnn.run(None, {"image": x})[0].argmax(1)
        per_class[LABELS[c]] = float((pred == c).mean())
        agree += int((pred == c).sum())
    real_x, real_y = data.digit_splits(7).train
    gen_div = np.mean([_mean_pairwise(images[c]) for c in range(10)])
    real_div = np.mean([_mean_pairwise(real_x[real_y == c][:EVAL_PER_CLASS]) for c in range(10)])
    metrics = {"cnn_agreement": agree / (10 * EVAL_PER_CLASS),
               "worst_class_agreement": min(per_class.values()),
               "diversity_generated": float(gen_div), "diversity_real": float(real_div),
               "diversity_ratio": float(gen_div / real_div)}
    return metrics, images, per_class


def _mean_pairwise(images: np.ndarray) -> float:
    """Mean L2 distance between distinct pairs, pixels scaled to [0, 1]."""
    v = images.reshape(len(images), -1).astype(np.float64) / 255.0
    d = np.sqrt(((v[:, None, :] - v[None, :, :]) ** 2).sum(-1))
    n = len(v)
    return float(d.sum() / (n * (n - 1)))


def train(cfg: Config, out_dir: Path, version: str = "1", dry_run: bool = False) -> dict:
    common.seed_everything(cfg.seed)
    t0 = time.time()
    px, y = data.digit_splits(cfg.seed).train
    real = torch.from_numpy(px.astype(np.float32) / 255.0 * 2 - 1)[:, None]  # (N, 1, 8, 8)
    labels = torch.from_numpy(y)
    steps = 50 if dry_run else cfg.steps
    gen_net, disc = Generator(cfg.net), Discriminator(cfg.net)
    g = torch.Generator().manual_seed(cfg.seed)

    def draw():
        idx = torch.randint(0, len(real), (cfg.batch_size,), generator=g)
        z = torch.randn(cfg.batch_size, cfg.net.latent, generator=g)
        fake_c = torch.randint(0, 10, (cfg.batch_size,), generator=g)
        return (real[idx], labels[idx]), (z, fake_c), (fake_c,)

    curves = fit.adversarial(gen_net, disc, desc=NAME, steps=steps, lr=cfg.lr,
                             real_label=cfg.real_label, draw=draw)
    seconds = time.time() - t0

    def torch_run(z, lab):
        with torch.no_grad():
            return gen_net(torch.from_numpy(z), torch.from_numpy(lab)).numpy()

    classifier = _classifier_dir(out_dir.parent.parent)
    metrics, images, per_class = quality(torch_run, cfg.net.latent, classifier)

    out_dir.mkdir(parents=True, exist_ok=True)
    prov = common.provenance(cfg.seed, seconds, common.device_name())
    onnx_path = out_dir / "model.onnx"
    ex = (torch.zeros(2, cfg.net.latent), torch.tensor([1, 2]))
    common.export_onnx(gen_net, ex, ["z", "label"], ["image"], onnx_path,
                       {"streaminfer.name": NAME, "streaminfer.version": version,
                        "streaminfer.task": "image-generation",
                        "streaminfer.metrics": repr(metrics), "streaminfer.provenance": repr(prov)})
    zs = preprocessing.gaussian_noise(cfg.seed + 99, 500, cfg.net.latent)
    ls = (np.arange(500) % 10).astype(np.int64)
    diff = common.parity(onnx_path, gen_net, {"z": zs, "label": ls})

    reference = {"model": NAME, "version": version, "tolerance": 1e-4,
                 "examples": reference_examples(torch_run, cfg)}
    repository.write_json(out_dir / "reference.json", reference)
    plots.loss_curves(out_dir / "loss.png", curves, f"{NAME} adversarial losses",
                      xlabel="hundreds of steps")
    plots.sample_grid(out_dir / "samples.png", images[:, :10], LABELS,
                      f"{NAME}: 10 samples per class (CNN agreement {metrics['cnn_agreement']:.2f})")
    card = repository.build_card(
        name=NAME, version=version, task="image-generation",
        description="Conditional GAN generator of 8x8 handwritten digits (ink bright on dark).",
        model_dir=out_dir,
        inputs=[repository.io_spec("z", "float32", ["batch", cfg.net.latent]),
                repository.io_spec("label", "int64", ["batch"])],
        outputs=[repository.io_spec("image", "float32", ["batch", 1, 8, 8])],
        labels=LABELS,
        preprocessing={
            "type": "latent-noise", "latent_dim": cfg.net.latent, "noise_input": "z",
            "label_input": "label", "label_encoding": "index into labels, int64",
            "generator": "splitmix64",
            "distribution": "box-muller-normal",
            "formula": "SplitMix64(seed); per pair u1 = 1 - (next >>> 11) * 2^-53, "
                       "u2 = (next >>> 11) * 2^-53; r = sqrt(-2 ln u1); emit r cos(2 pi u2) "
                       "then r sin(2 pi u2); a request for n samples fills an (n, latent_dim) "
                       "matrix row by row; sample i is row i",
        },
        postprocessing={"type": "image", "output": "image", "range": [-1.0, 1.0],
                        "height": 8, "width": 8, "channels": 1, "format": "PNG",
                        "to_uint8": "round((v - low) / (high - low) * 255), clamped to 0..255"},
        metrics=metrics,
        evaluation={"split": f"{EVAL_PER_CLASS} generated digits per class, request seed "
                             f"{EVAL_SEED} + class", "classifier": "digits-cnn",
                    "classifier_sha256": repository.load_card(classifier)["sha256"],
                    "per_class_agreement": per_class,
                    "diversity": "mean pairwise L2 distance within a class, pixels in [0, 1]; "
                                 "real = training digits"},
        parity_diff=diff, parity_examples=500,
        parameters=common.parameter_count(gen_net),
        flops=common.flops_per_inference(gen_net, (ex[0][:1], ex[1][:1])),
        training={"config": common.to_jsonable(cfg), "steps": steps, "dry_run": dry_run,
                  "discriminator_parameters": common.parameter_count(disc)},
        data={"source": "scikit-learn load_digits, training split of digits-cnn's split",
              "splits": {"train": int(len(real))}},
        provenance=prov,
    )
    repository.write_json(out_dir / "model.json", card)
    return card


def reference_examples(run, cfg: Config) -> list[dict]:
    """One request per class (seed 42 + class, first sample) and the third of a 3-sample request."""
    out = []
    for label, seed, samples, index in [(c, 42 + c, 1, 0) for c in range(10)] + [(7, 4242, 3, 2)]:
        z = preprocessing.gaussian_noise(seed, samples, cfg.net.latent)[index : index + 1]
        lab = np.array([label], dtype=np.int64)
        image = run(z, lab)
        out.append({
            "input": {"seed": seed, "label": LABELS[label], "samples": samples,
                      "sample_index": index},
            "tensors": [repository.tensor_json("z", z), repository.tensor_json("label", lab)],
            "outputs": [repository.tensor_json("image", image)],
            "expected": {"pixels": preprocessing.generated_to_uint8(image[0, 0], -1, 1)
                         .reshape(-1).tolist(), "width": 8, "height": 8},
        })
    return out


def evaluate_onnx(model_dir: Path) -> dict:
    card = repository.load_card(model_dir)
    sess = common.ort_session(model_dir / "model.onnx")
    run = lambda z, lab: sess.run(None, {"z": z, "label": lab})[0]  # noqa: E731
    metrics, _, _ = quality(run, card["preprocessing"]["latent_dim"],
                            _classifier_dir(model_dir.parent.parent))
    return metrics
