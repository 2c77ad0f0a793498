"""PNG plots saved next to each model: loss curves, confusion matrices, samples, forecasts."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def loss_curves(path: Path, curves: dict[str, list[float]], title: str, xlabel: str = "epoch"):
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set(title=title, xlabel=xlabel, ylabel="loss")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def confusion_matrix(path: Path, truth: np.ndarray, pred: np.ndarray, labels: list[str], title: str):
    n = len(labels)
    cm = np.zeros((n, n), dtype=int)
    for t, p in zip(truth, pred):
        cm[t, p] += 1
    fig, ax = plt.subplots(figsize=(1 + 0.5 * n, 1 + 0.5 * n))
    ax.imshow(cm, cmap="Blues")
    for i in range(n):
        for j in range(n):
            if cm[i, j]:
                ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=7,
                        color="white" if cm[i, j] > cm.max() / 2 else "black")
    ax.set(xticks=range(n), yticks=range(n), xticklabels=labels, yticklabels=labels,
           xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def sample_grid(path: Path, images: np.ndarray, labels: list[str], title: str):
    """images: (classes, per_class, H, W) uint8."""
    rows, cols = images.shape[:2]
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.6, rows * 0.6))
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            ax.imshow(images[r, c], cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(labels[r], rotation=0, labelpad=10)
    fig.suptitle(title)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def forecasts(path: Path, series: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], title: str):
    """series: name → (actual, model forecast, naive forecast) over the held-out tail."""
    n = len(series)
    fig, axes = plt.subplots(n, 1, figsize=(8, 2.0 * n))
    for ax, (name, (actual, pred, naive)) in zip(np.atleast_1d(axes), series.items()):
        ax.plot(actual, label="actual", color="black", lw=1)
        ax.plot(pred, label="model", color="tab:red", lw=1)
        ax.plot(naive, label="last value", color="tab:gray", lw=0.8, ls="--")
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=7)
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
