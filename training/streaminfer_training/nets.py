"""The five networks StreamInfer ships, each with a dataclass config (one comment per field)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

# ------------------------------------------------------------------------------ digits CNN


@dataclass
class CnnConfig:
    channels: tuple[int, int, int] = (32, 64, 128)  # conv widths of the three conv blocks
    hidden: int = 128  # width of the dense layer before the classifier
    dropout: float = 0.3  # dropout before the classifier
    num_classes: int = 10  # digits 0..9


class DigitsCnn(nn.Module):
    """conv-conv-pool-conv-pool-dense classifier for (B, 1, 8, 8) normalised digits → logits."""

    def __init__(self, cfg: CnnConfig):
        super().__init__()
        c1, c2, c3 = cfg.channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.BatchNorm2d(c1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, padding=1), nn.BatchNorm2d(c2), nn.ReLU(),
            nn.MaxPool2d(2),  # (B, c2, 4, 4)
            nn.Conv2d(c2, c3, 3, padding=1), nn.BatchNorm2d(c3), nn.ReLU(),
            nn.MaxPool2d(2),  # (B, c3, 2, 2)
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(c3 * 4, cfg.hidden), nn.ReLU(), nn.Dropout(cfg.dropout),
            nn.Linear(cfg.hidden, cfg.num_classes),
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:  # (B, 1, 8, 8) → (B, 10)
        return self.head(self.features(image))


# ------------------------------------------------------------------------ sensor LSTM / GRU


@dataclass
class RnnConfig:
    cell: str = "lstm"  # "lstm" or "gru"
    hidden: int = 64  # recurrent state width
    layers: int = 2  # stacked recurrent layers
    dropout: float = 0.1  # dropout between recurrent layers


class SensorForecaster(nn.Module):
    """(B, W, 1) window z-scores → (B, 1) next value in the same z units, and (B, 1) its expected
    error (the spread, z units, > 0).

    Predicts a correction to the last reading of the window, so "no change" is the easy default
    the network has to improve on. The spread head sees the same summary; `calibration` (a
    constant set after training) scales it so that a chosen share of clean errors lie beyond a
    given number of spreads.
    """

    def __init__(self, cfg: RnnConfig):
        super().__init__()
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cfg.cell]
        self.rnn = rnn(1, cfg.hidden, cfg.layers, batch_first=True,
                       dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        self.head = nn.Sequential(nn.Linear(cfg.hidden, cfg.hidden), nn.Tanh(),
                                  nn.Linear(cfg.hidden, 1))
        self.spread_head = nn.Sequential(nn.Linear(cfg.hidden, cfg.hidden), nn.Tanh(),
                                         nn.Linear(cfg.hidden, 1))
        self.register_buffer("calibration", torch.ones(1))

    def forward(self, window: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out, _ = self.rnn(window)  # (B, W, H)
        last = out[:, -1, :]
        forecast = window[:, -1, :] + self.head(last)  # (B, 1)
        spread = (nn.functional.softplus(self.spread_head(last)) + 1e-3) * self.calibration
        return forecast, spread


# ------------------------------------------------------------------- language-ID Transformer


@dataclass
class TransformerConfig:
    vocab: int = 257  # byte + 1; id 0 is padding
    max_len: int = 128  # bytes per text after truncation
    dim: int = 64  # model width
    heads: int = 4  # attention heads
    layers: int = 2  # encoder blocks
    ffn: int = 128  # feed-forward width
    dropout: float = 0.1  # dropout in attention and feed-forward
    num_classes: int = 10  # languages


class EncoderBlock(nn.Module):
    """Pre-norm self-attention + feed-forward block with a key-padding mask."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.heads = cfg.heads
        self.norm1 = nn.LayerNorm(cfg.dim)
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim)
        self.proj = nn.Linear(cfg.dim, cfg.dim)
        self.norm2 = nn.LayerNorm(cfg.dim)
        self.ffn = nn.Sequential(nn.Linear(cfg.dim, cfg.ffn), nn.GELU(), nn.Linear(cfg.ffn, cfg.dim))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.heads) + key_bias  # (B, h, T, T)
        att = self.drop(torch.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).reshape(b, t, c)  # (B, T, C)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.ffn(self.norm2(x)))


class LangIdTransformer(nn.Module):
    """(B, L) int64 byte ids (0 = padding) → (B, classes) logits via masked mean pooling."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.embed = nn.Embedding(cfg.vocab, cfg.dim, padding_idx=0)
        self.pos = nn.Parameter(torch.randn(1, cfg.max_len, cfg.dim) * 0.02)
        self.blocks = nn.ModuleList(EncoderBlock(cfg) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, cfg.num_classes)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        keep = (input_ids != 0).to(torch.float32)  # (B, L)
        key_bias = ((1.0 - keep) * -1e9)[:, None, None, :]  # (B, 1, 1, L)
        x = self.embed(input_ids) + self.pos[:, : input_ids.shape[1], :]
        for block in self.blocks:
            x = block(x, key_bias)
        x = self.norm(x)
        pooled = (x * keep[:, :, None]).sum(1) / keep.sum(1, keepdim=True).clamp(min=1.0)
        return self.head(pooled)


# --------------------------------------------------------------------- conditional GAN


@dataclass
class GanConfig:
    latent: int = 32  # noise dimension
    embed: int = 16  # class embedding width
    hidden: int = 256  # generator/discriminator hidden width
    num_classes: int = 10  # digits 0..9
    pixels: int = 64  # 8x8 output


class Generator(nn.Module):
    """(z (B, latent), label (B,) int64) → (B, 1, 8, 8) image in [-1, 1] (tanh)."""

    def __init__(self, cfg: GanConfig):
        super().__init__()
        self.label = nn.Embedding(cfg.num_classes, cfg.embed)
        self.net = nn.Sequential(
            nn.Linear(cfg.latent + cfg.embed, cfg.hidden), nn.LeakyReLU(0.2),
            nn.Linear(cfg.hidden, cfg.hidden), nn.LeakyReLU(0.2),
            nn.Linear(cfg.hidden, cfg.pixels), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        h = torch.cat([z, self.label(label)], dim=1)  # (B, latent + embed)
        return self.net(h).view(-1, 1, 8, 8)


class Discriminator(nn.Module):
    """(image (B, 1, 8, 8) in [-1, 1], label) → (B, 1) real/fake logit."""

    def __init__(self, cfg: GanConfig):
        super().__init__()
        self.label = nn.Embedding(cfg.num_classes, cfg.embed)
        self.net = nn.Sequential(
            nn.Linear(cfg.pixels + cfg.embed, cfg.hidden), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(cfg.hidden, cfg.hidden), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(cfg.hidden, 1),
        )

    def forward(self, image: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([image.flatten(1), self.label(label)], dim=1))
