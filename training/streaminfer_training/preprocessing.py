"""Reference pre/post-processing, exactly as each model card specifies it.

The Java side implements the same steps from the card alone; `reference.json` carries the
results of these functions so both sides can be compared number for number.
"""

from __future__ import annotations

import io
import math
import re

import numpy as np
from PIL import Image

# ---------------------------------------------------------------------------------- images

#: ITU-R BT.601 luma weights used to turn RGB into one grey channel.
BT601 = (0.299, 0.587, 0.114)


def decode_image(data: bytes) -> np.ndarray:
    """Decodes PNG/JPEG bytes into a float64 array (H, W, C) of 0..255 values (C = 1 or 3)."""
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        if img.mode in ("L", "I;16", "I", "F"):
            arr = np.asarray(img.convert("L"), dtype=np.float64)[:, :, None]
        else:
            arr = np.asarray(img.convert("RGB"), dtype=np.float64)
    return arr


def to_grey(pixels: np.ndarray) -> np.ndarray:
    """(H, W, C) 0..255 → (H, W) grey, BT.601 for 3/4 channels (alpha ignored)."""
    if pixels.shape[2] == 1:
        return pixels[:, :, 0].astype(np.float64)
    r, g, b = (pixels[:, :, i].astype(np.float64) for i in range(3))
    return BT601[0] * r + BT601[1] * g + BT601[2] * b


def resize_bilinear(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize with half-pixel centres and edge clamping (no antialiasing).

    src = (dst + 0.5) * in / out - 0.5, clamped to [0, in - 1]; a 2x reduction is then exactly
    the mean of each 2x2 block. Identity when sizes already match.
    """
    in_h, in_w = img.shape
    if (in_h, in_w) == (height, width):
        return img.astype(np.float64)

    def axis(n_out: int, n_in: int):
        src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
        src = np.clip(src, 0.0, n_in - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, src - lo

    y0, y1, wy = axis(height, in_h)
    x0, x1, wx = axis(width, in_w)
    top = img[y0][:, x0] * (1 - wx) + img[y0][:, x1] * wx
    bottom = img[y1][:, x0] * (1 - wx) + img[y1][:, x1] * wx
    return top * (1 - wy[:, None]) + bottom * wy[:, None]


def image_tensor(pixels: np.ndarray, pre: dict) -> np.ndarray:
    """(H, W, C) 0..255 pixels → float32 (1, 1, height, width) as the card's preprocessing says."""
    grey = to_grey(pixels)
    grey = resize_bilinear(grey, pre["height"], pre["width"])
    x = (grey / pre["scale_divisor"] - pre["mean"]) / pre["std"]
    return x.astype(np.float32)[None, None, :, :]


def encode_png(grey_uint8: np.ndarray) -> bytes:
    """(H, W) uint8 → PNG bytes (8-bit greyscale)."""
    buf = io.BytesIO()
    Image.fromarray(grey_uint8.astype(np.uint8), mode="L").save(buf, format="PNG")
    return buf.getvalue()


# ------------------------------------------------------------------------------------ text

_ASCII_WS = re.compile(r"[ \t\n\r\f\v]+")


def normalise_text(text: str) -> str:
    """NFC, runs of ASCII whitespace collapsed to one space, leading/trailing spaces removed."""
    import unicodedata

    return _ASCII_WS.sub(" ", unicodedata.normalize("NFC", text)).strip(" ")


def byte_tokens(text: str, max_len: int, offset: int = 1, pad_id: int = 0) -> np.ndarray:
    """Text → int64 (max_len,) ids: UTF-8 byte b becomes b + offset, truncated, right-padded."""
    data = normalise_text(text).encode("utf-8")[:max_len]
    ids = np.full(max_len, pad_id, dtype=np.int64)
    ids[: len(data)] = np.frombuffer(data, dtype=np.uint8).astype(np.int64) + offset
    return ids


# ----------------------------------------------------------------------------- time series


def window_stats(window: np.ndarray, epsilon: float) -> tuple[float, float]:
    """Mean and population standard deviation (floored at epsilon), in float64."""
    w = np.asarray(window, dtype=np.float64)
    mean = float(w.sum() / len(w))
    std = math.sqrt(float(((w - mean) ** 2).sum() / len(w)))
    return mean, max(std, epsilon)


def normalise_window(window: np.ndarray, epsilon: float) -> tuple[np.ndarray, float, float]:
    """Readings → float32 (W, 1) z-scores of the window itself, plus the mean and std used."""
    mean, std = window_stats(window, epsilon)
    z = (np.asarray(window, dtype=np.float64) - mean) / std
    return z.astype(np.float32)[:, None], mean, std


# ----------------------------------------------------------------------------------- noise

_MASK64 = (1 << 64) - 1


class SplitMix64:
    """SplitMix64 generator (Steele, Lea, Flood 2014); Java implements the identical sequence."""

    def __init__(self, seed: int):
        self.state = seed & _MASK64

    def next_u64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)

    def next_double(self) -> float:
        """Uniform in [0, 1) from the top 53 bits."""
        return (self.next_u64() >> 11) * (1.0 / (1 << 53))


def gaussian_noise(seed: int, count: int, dim: int) -> np.ndarray:
    """float32 (count, dim) standard normals: Box-Muller on SplitMix64(seed), both outputs used.

    Pairs (u1, u2) are drawn in order; u1 is mapped to (0, 1] as 1 - u1; z0 = r cos(2 pi u2) is
    used first, then z1 = r sin(2 pi u2). Values fill the matrix row by row.
    """
    rng = SplitMix64(seed)
    n = count * dim
    out = np.empty(n, dtype=np.float64)
    i = 0
    while i < n:
        u1 = 1.0 - rng.next_double()
        u2 = rng.next_double()
        r = math.sqrt(-2.0 * math.log(u1))
        out[i] = r * math.cos(2.0 * math.pi * u2)
        if i + 1 < n:
            out[i + 1] = r * math.sin(2.0 * math.pi * u2)
        i += 2
    return out.reshape(count, dim).astype(np.float32)


def uniform_noise(seed: int, count: int, dim: int) -> np.ndarray:
    """float32 (count, dim) values 2u - 1 in [-1, 1), u = SplitMix64(seed) draws in order."""
    rng = SplitMix64(seed)
    out = np.array([2.0 * rng.next_double() - 1.0 for _ in range(count * dim)], dtype=np.float64)
    return out.reshape(count, dim).astype(np.float32)


def generated_to_uint8(image: np.ndarray, low: float, high: float) -> np.ndarray:
    """Generator output in [low, high] → uint8 pixels: round((v - low) / (high - low) * 255)."""
    v = (np.asarray(image, dtype=np.float64) - low) / (high - low) * 255.0
    return np.clip(np.floor(v + 0.5), 0, 255).astype(np.uint8)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis."""
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------- colour images (card-driven)


def decode_colour(data: bytes, background=(0, 0, 0), exif: bool = True) -> np.ndarray:
    """PNG/JPEG bytes → float64 (H, W, 3) 0..255, as the card's colour image preprocessing says.

    EXIF orientation applied (Pillow's ImageOps.exif_transpose); alpha (RGBA, LA, palette with
    transparency) composited on ``background`` as v * a + bg * (1 - a) with a = alpha / 255;
    16-bit grey scaled by 255 / 65535; grey replicated to three channels; CMYK converted the way
    Pillow converts it (R = (255 - C) * (255 - K) / 255, no colour management).
    """
    from PIL import ImageOps

    with Image.open(io.BytesIO(data)) as img:
        img.load()
        if exif:
            img = ImageOps.exif_transpose(img)
        if img.mode in ("I;16", "I;16B", "I;16L", "I"):
            grey = np.asarray(img, dtype=np.float64) * (255.0 / 65535.0)
            return np.repeat(grey[:, :, None], 3, axis=2)
        has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
        if has_alpha:
            rgba = np.asarray(img.convert("RGBA"), dtype=np.float64)
            a = rgba[:, :, 3:4] / 255.0
            return rgba[:, :, :3] * a + np.asarray(background, dtype=np.float64) * (1.0 - a)
        return np.asarray(img.convert("RGB"), dtype=np.float64)


def input_pixels(event: dict, background=(0, 0, 0)) -> np.ndarray:
    """An image event as a producer sends it ({encoding, data_base64, width, height, channels})
    → float64 (H, W, 3) 0..255 pixels: decode_colour for PNG/JPEG, raw interleaved uint8 as is."""
    import base64

    data = base64.b64decode(event["data_base64"])
    if event["encoding"] == "RAW_UINT8":
        shape = (event["height"], event["width"], event["channels"])
        return np.frombuffer(data, dtype=np.uint8).reshape(shape).astype(np.float64)
    return decode_colour(data, background)


def colour_tensor(pixels: np.ndarray, pre: dict) -> np.ndarray:
    """float (H, W, 3) 0..255 → float32 (1, 3, height, width): torchvision's Resize(resize_size) +
    CenterCrop(height, width) on the float64 tensor, then / scale_divisor and per-channel
    (x - mean) / std, exactly as the card's ``shorter-side-center-crop`` preprocessing says."""
    import torch
    from torchvision.transforms.v2 import functional as F

    assert pre["resize"] == "shorter-side-center-crop" and pre["color"] == "rgb"
    t = torch.from_numpy(np.ascontiguousarray(pixels, dtype=np.float64)).permute(2, 0, 1)
    # torchvision Resize(size): the shorter side becomes size, the longer int(size * long / short)
    t = F.resize(t, [pre["resize_size"]], antialias=pre.get("antialias", True))
    t = F.center_crop(t, [pre["height"], pre["width"]])
    mean = torch.tensor(pre["mean"], dtype=torch.float64)[:, None, None]
    std = torch.tensor(pre["std"], dtype=torch.float64)[:, None, None]
    x = (t / pre["scale_divisor"] - mean) / std
    return x.numpy().astype(np.float32)[None]
