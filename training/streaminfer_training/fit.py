"""One training loop for the supervised models: AdamW + one-cycle schedule, best on validation.

The CNN, the sensor forecasters and the language identifier differ only in what an epoch feeds
(fixed tensors, or fresh random crops), how batches are ordered, an optional per-batch
augmentation, gradient clipping, and which validation figure decides "best"; those are arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn
from tqdm import tqdm


@dataclass
class Fit:
    """What fit() returns: the best validation score and the per-epoch loss curves."""

    best_score: float  # validation score of the weights left in the model
    curves: dict[str, list[float]] = field(default_factory=lambda: {"train": [], "validation": []})


def fit(
    model: nn.Module,
    *,
    desc: str,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    loss_fn: nn.Module,
    examples: int,
    epoch_data: Callable[[int], tuple[torch.Tensor, torch.Tensor]],
    order: Callable[[int], torch.Tensor],
    validate: Callable[[nn.Module], tuple[float, float]],
    higher_is_better: bool = True,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    clip_grad_norm: float | None = None,
) -> Fit:
    """Trains ``model`` in place and leaves it with its best weights on validation, in eval mode.

    Every epoch has ``examples`` examples: epoch_data(epoch) gives them as (inputs, targets), once
    per epoch and before order (so a generator they share is drawn in that order); order(n) a
    permutation of the n examples; validate(model)
    the validation (score, loss), higher score better unless higher_is_better is False (ties go
    to the later epoch).
    """
    steps = (examples + batch_size - 1) // batch_size
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=epochs * steps)
    result = Fit(float("-inf") if higher_is_better else float("inf"))
    best_state = None
    bar = tqdm(total=epochs * steps, desc=desc, unit="step")
    for epoch in range(epochs):
        model.train()
        x, y = epoch_data(epoch)
        perm = order(len(x))
        total = 0.0
        for i in range(0, len(perm), batch_size):
            idx = perm[i : i + batch_size]
            xb = x[idx] if augment is None else augment(x[idx])
            loss = loss_fn(model(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            bar.update(1)
        result.curves["train"].append(total / len(perm))
        model.eval()
        score, val_loss = validate(model)
        result.curves["validation"].append(val_loss)
        bar.set_postfix(validation=f"{score:.4f}")
        better = score >= result.best_score if higher_is_better else score <= result.best_score
        if better:
            result.best_score = score
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    bar.close()
    model.load_state_dict(best_state)
    model.eval()
    return result


def adversarial(
    generator: nn.Module,
    discriminator: nn.Module,
    *,
    desc: str,
    steps: int,
    lr: float,
    real_label: float,
    draw: Callable[[], tuple[tuple, tuple, tuple]],
) -> dict[str, list[float]]:
    """Trains a GAN pair in place (Adam, betas 0.5/0.999; one discriminator then one generator
    update per step, BCE on logits, one-sided label smoothing ``real_label``) and returns the
    losses averaged over every 100 steps.

    draw() gives each step's (discriminator inputs of the real batch, generator inputs, extra
    discriminator inputs of the fake batch, e.g. its classes); the fake batch's own size is the
    real batch's.
    """
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    curves: dict[str, list[float]] = {"discriminator": [], "generator": []}
    acc_d, acc_g = [], []
    for step in tqdm(range(steps), desc=desc, unit="step", mininterval=2):
        real, gen_in, cond = draw()
        n = len(real[0])
        fake = generator(*gen_in)
        loss_d = bce(discriminator(*real), torch.full((n, 1), real_label)) + \
            bce(discriminator(fake.detach(), *cond), torch.zeros(n, 1))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = bce(discriminator(fake, *cond), torch.ones(n, 1))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        acc_d.append(loss_d.item())
        acc_g.append(loss_g.item())
        if (step + 1) % 100 == 0 or step + 1 == steps:
            curves["discriminator"].append(float(sum(acc_d) / len(acc_d)))
            curves["generator"].append(float(sum(acc_g) / len(acc_g)))
            acc_d, acc_g = [], []
    generator.eval()
    return curves
