"""digits-dcgan: an unconditional DCGAN-style generator of 3x32x32 colour digits.

A user's generator as users bring one: no class input, a latent vector in, an RGB image in
[-1, 1] out. Trained on digits-mobilenet's colour renderings of the training digits at 32x32;
its samples are scored by digits-mobilenet (the classifier in the repository), whose confidence
and spread over the ten classes say whether the generator draws digits and all of them. The
latent noise is the SplitMix64/Box-Muller stream the Java pipeline draws from a request's seed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import REPOSITORY, common, data, fit, plots, preprocessing, repository

NAME = "digits-dcgan"
CLASSIFIER = "digits-mobilenet"
EVAL_SEED = 2000
EVAL_SAMPLES = 500


@dataclass
class Config:
    seed: int = 7  # seeds rendering, init, noise and batch order
    steps: int = 3000  # adversarial steps (one D and one G update each)
    batch_size: int = 64  # real images per step
    lr: float = 2e-4  # Adam learning rate of both players
    latent: int = 64  # latent vector size
    width: int = 32  # feature maps of the last generator block
    images: int = 6000  # colour renderings of the training digits to learn from
    threads: int = 2  # torch intra-op threads


class DcganGenerator(nn.Module):
    """z (N, latent) → (N, 3, 32, 32) in [-1, 1]: a linear 4x4 seed, three transposed convs."""

    def __init__(self, latent: int, width: int):
        super().__init__()
        w = width
        self.seed = nn.Sequential(nn.Linear(latent, 4 * w * 4 * 4), nn.BatchNorm1d(4 * w * 16), nn.ReLU())
        self.up = nn.Sequential(
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.ConvTranspose2d(w, 3, 4, 2, 1), nn.Tanh())
        self.width = w

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.up(self.seed(z).view(-1, 4 * self.width, 4, 4))


class DcganDiscriminator(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(3, w, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.BatchNorm2d(4 * w), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(4 * w * 16, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _classifier_dir(out_root: Path) -> Path:
    for root in (out_root, REPOSITORY):
        found = sorted((root / CLASSIFIER).glob("*/model.onnx"), key=lambda p: int(p.parent.name))
        if found:
            return found[-1].parent
    raise FileNotFoundError(f"{CLASSIFIER} is needed to evaluate {NAME}: train it first")


def to_uint8(images: np.ndarray) -> np.ndarray:
    """(N, 3, H, W) in [-1, 1] → uint8 (N, H, W, 3), as the card's postprocessing says."""
    return preprocessing.generated_to_uint8(images, -1.0, 1.0).transpose(0, 2, 3, 1)


def quality(run, latent: int, classifier_dir: Path) -> tuple[dict, np.ndarray]:
    """The classifier's view of EVAL_SAMPLES samples (request seed EVAL_SEED): how confident it
    is that each is a digit, and how evenly the samples spread over the ten classes."""
    card = repository.load_card(classifier_dir)
    sess = common.ort_session(classifier_dir / "model.onnx")
    z = preprocessing.gaussian_noise(EVAL_SEED, EVAL_SAMPLES, latent)
    images = to_uint8(run(z))
    x = np.concatenate([preprocessing.colour_tensor(i.astype(np.float64), card["preprocessing"]) for i in images])
    logits = np.concatenate([sess.run(None, {"input": x[i : i + 50]})[0] for i in range(0, len(x), 50)])
    p = preprocessing.softmax(logits.astype(np.float64))
    pred = p.argmax(1)
    share = np.bincount(pred, minlength=10) / len(pred)
    entropy = float(-(share[share > 0] * np.log(share[share > 0])).sum() / np.log(10))
    metrics = {"classifier_confident": float((p.max(1) >= 0.9).mean()),
               "classifier_mean_confidence": float(p.max(1).mean()),
               "classes_covered": int((share >= 0.03).sum()),
               "class_entropy": entropy}
    return metrics, images


def train(cfg: Config, out_dir: Path, version: str = "1", dry_run: bool = False) -> dict:
    common.seed_everything(cfg.seed)
    torch.set_num_threads(cfg.threads)
    t0 = time.time()
    px, _ = data.digit_splits(cfg.seed).train
    count = 128 if dry_run else cfg.images
    rng = np.random.default_rng(cfg.seed + 20)
    picks = rng.integers(0, len(px), count)
    rendered = [data.colour_digit(px[i], rng, side=(16, 24), margin=(1.2, 1.4)) for i in picks]
    # every rendering resized to 32x32 the way the classifier's preprocessing would see it later
    real = torch.from_numpy(np.stack([
        torch.nn.functional.interpolate(torch.from_numpy(r.astype(np.float32)).permute(2, 0, 1)[None],
                                        size=(32, 32), mode="bilinear", antialias=True)[0].numpy()
        for r in rendered]) / 127.5 - 1.0)
    steps = 40 if dry_run else cfg.steps
    gen_net, disc = DcganGenerator(cfg.latent, cfg.width), DcganDiscriminator(cfg.width)
    g = torch.Generator().manual_seed(cfg.seed)

    def draw():
        x = real[torch.randint(0, len(real), (cfg.batch_size,), generator=g)]
        return (x,), (torch.randn(cfg.batch_size, cfg.latent, generator=g),), ()

    curves = fit.adversarial(gen_net, disc, desc=NAME, steps=steps, lr=cfg.lr, real_label=0.9,
                             draw=draw)
    seconds = time.time() - t0

    def torch_run(z):
        with torch.no_grad():
            return gen_net(torch.from_numpy(z)).numpy()

    classifier = _classifier_dir(out_dir.parent.parent)
    metrics, images = quality(torch_run, cfg.latent, classifier)

    out_dir.mkdir(parents=True, exist_ok=True)
    prov = common.provenance(cfg.seed, seconds, common.device_name())
    onnx_path = out_dir / "model.onnx"
    ex = (torch.zeros(2, cfg.latent),)
    common.export_onnx(gen_net, ex, ["z"], ["image"], onnx_path,
                       {"streaminfer.name": NAME, "streaminfer.version": version,
                        "streaminfer.task": "image-generation",
                        "streaminfer.metrics": repr(metrics), "streaminfer.provenance": repr(prov)})
    diff = common.parity(onnx_path, gen_net, {"z": preprocessing.gaussian_noise(cfg.seed + 99, 200, cfg.latent)})

    reference = {"model": NAME, "version": version, "tolerance": 1e-4,
                 "examples": reference_examples(torch_run, cfg)}
    repository.write_json(out_dir / "reference.json", reference)
    plots.loss_curves(out_dir / "loss.png", curves, f"{NAME} adversarial losses", xlabel="hundreds of steps")
    plots.sample_grid(out_dir / "samples.png", images[:100].reshape(10, 10, 32, 32, 3), [""] * 10,
                      f"{NAME}: 100 samples (classifier confident on {metrics['classifier_confident']:.2f})")
    card = repository.build_card(
        name=NAME, version=version, task="image-generation",
        description="Unconditional DCGAN-style generator of 32x32 colour digits.",
        model_dir=out_dir,
        inputs=[repository.io_spec("z", "float32", ["batch", cfg.latent])],
        outputs=[repository.io_spec("image", "float32", ["batch", 3, 32, 32])],
        labels=None,
        preprocessing={
            "type": "latent-noise", "latent_dim": cfg.latent, "noise_input": "z",
            "generator": "splitmix64", "distribution": "box-muller-normal",
            "formula": "SplitMix64(seed); per pair u1 = 1 - (next >>> 11) * 2^-53, "
                       "u2 = (next >>> 11) * 2^-53; r = sqrt(-2 ln u1); emit r cos(2 pi u2) "
                       "then r sin(2 pi u2); a request for n samples fills an (n, latent_dim) "
                       "matrix row by row; sample i is row i",
        },
        postprocessing={"type": "image", "output": "image", "range": [-1.0, 1.0], "layout": "NCHW",
                        "height": 32, "width": 32, "channels": 3, "format": "PNG",
                        "to_uint8": "round((v - low) / (high - low) * 255), clamped to 0..255"},
        metrics=metrics,
        evaluation={"split": f"{EVAL_SAMPLES} samples, request seed {EVAL_SEED}",
                    "classifier": CLASSIFIER,
                    "classifier_sha256": repository.load_card(classifier)["sha256"],
                    "metric": "classifier_confident: share of samples the classifier gives >= 0.9; "
                              "classes_covered: classes predicted for >= 3 % of samples; "
                              "class_entropy: entropy of the predicted-class shares / ln 10"},
        parity_diff=diff, parity_examples=200,
        parameters=common.parameter_count(gen_net),
        flops=common.flops_per_inference(gen_net, (ex[0][:1],)),
        training={"config": common.to_jsonable(cfg), "steps": steps, "dry_run": dry_run,
                  "discriminator_parameters": common.parameter_count(disc)},
        data={"source": "scikit-learn load_digits, digits-cnn's training split, drawn as colour "
                        "images by data.colour_digit and resized to 32x32",
              "splits": {"train": int(count)}},
        provenance=prov,
    )
    repository.write_json(out_dir / "model.json", card)
    return card


def reference_examples(run, cfg: Config) -> list[dict]:
    """Requests (seed, samples) and the pixels of chosen samples, Java to reproduce exactly."""
    out = []
    for seed, samples, index in [(42, 1, 0), (43, 1, 0), (44, 1, 0), (45, 1, 0), (7, 4, 0), (7, 4, 3),
                                 (-5, 2, 1), (2**62, 1, 0)]:
        z = preprocessing.gaussian_noise(seed, samples, cfg.latent)[index : index + 1]
        image = run(z)
        out.append({
            "input": {"seed": seed, "label": "", "samples": samples, "sample_index": index},
            "tensors": [repository.tensor_json("z", z)],
            "outputs": [repository.tensor_json("image", image)],
            "expected": {"pixels": to_uint8(image)[0].reshape(-1).tolist(), "width": 32, "height": 32,
                         "channels": 3},
        })
    return out


def evaluate_onnx(model_dir: Path) -> dict:
    card = repository.load_card(model_dir)
    sess = common.ort_session(model_dir / "model.onnx")
    metrics, _ = quality(lambda z: sess.run(None, {"z": z})[0], card["preprocessing"]["latent_dim"],
                         _classifier_dir(model_dir.parent.parent))
    return metrics
