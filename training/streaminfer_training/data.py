"""Datasets that ship inside packages: scikit-learn digits, statsmodels series, Debian fortunes.

Nothing is downloaded. Every split is fixed by a seed and leak-free: a digit image, a fortune
or a forecast target belongs to exactly one split.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .preprocessing import normalise_text

# ---------------------------------------------------------------------------------- digits


@dataclass(frozen=True)
class DigitSplits:
    """uint8 (N, 8, 8) greyscale digit images (ink bright, 0..255) and int64 labels per split."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]


def digit_pixels() -> tuple[np.ndarray, np.ndarray]:
    """All distinct scikit-learn digits as uint8 pixels (round(v * 255 / 16)) with labels.

    Identical images are kept once (the first occurrence), so no image can sit in two splits.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    pixels = np.floor(d.images * 255.0 / 16.0 + 0.5).astype(np.uint8)
    _, first = np.unique(pixels.reshape(len(pixels), -1), axis=0, return_index=True)
    keep = np.sort(first)
    return pixels[keep], d.target[keep].astype(np.int64)


def digit_splits(seed: int = 7, val: float = 0.15, test: float = 0.15) -> DigitSplits:
    """Stratified train/val/test split of the distinct digits, fixed by `seed`."""
    x, y = digit_pixels()
    rng = np.random.default_rng(seed)
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for label in range(10):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        n_test, n_val = round(len(idx) * test), round(len(idx) * val)
        parts["test"] += idx[:n_test].tolist()
        parts["val"] += idx[n_test : n_test + n_val].tolist()
        parts["train"] += idx[n_test + n_val :].tolist()
    pick = {k: np.sort(np.array(v)) for k, v in parts.items()}
    return DigitSplits(**{k: (x[v], y[v]) for k, v in pick.items()})


# ---------------------------------------------------------------------------------- series


def _statsmodels_series() -> dict[str, np.ndarray]:
    import statsmodels.api as sm
    from statsmodels.datasets import elec_equip

    out: dict[str, np.ndarray] = {}
    co2 = sm.datasets.co2.load_pandas().data["co2"].interpolate(limit_direction="both")
    out["co2-weekly"] = co2.to_numpy(dtype=np.float64)
    out["sunspots-yearly"] = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(
        dtype=np.float64
    )
    el = sm.datasets.elnino.load_pandas().data.drop(columns=["YEAR"])
    out["elnino-sst-monthly"] = el.to_numpy(dtype=np.float64).reshape(-1)
    macro = sm.datasets.macrodata.load_pandas().data
    for col in ("realgdp", "cpi", "unemp", "tbilrate"):
        out[f"macro-{col}-quarterly"] = macro[col].to_numpy(dtype=np.float64)
    ee = elec_equip.load().data
    out["elec-equip-monthly"] = ee.iloc[:, 0].to_numpy(dtype=np.float64)
    out["nile-yearly"] = sm.datasets.nile.load_pandas().data["volume"].to_numpy(dtype=np.float64)
    return out


#: Series used as stand-in sensors (names are the sensor ids the demo publishes).
SERIES_NAMES = (
    "co2-weekly",
    "sunspots-yearly",
    "elnino-sst-monthly",
    "macro-realgdp-quarterly",
    "macro-cpi-quarterly",
    "macro-unemp-quarterly",
    "macro-tbilrate-quarterly",
    "elec-equip-monthly",
    "nile-yearly",
)


def load_series() -> dict[str, np.ndarray]:
    """The packaged series, float64, in `SERIES_NAMES` order; NaNs interpolated (co2)."""
    all_series = _statsmodels_series()
    return {name: all_series[name] for name in SERIES_NAMES}


@dataclass(frozen=True)
class SeriesSplit:
    """Boundaries for one series: targets in [0, train_end) train, [train_end, val_end) validate,
    [val_end, n) test (the held-out tail). Windows may look back across a boundary, targets never
    move."""

    name: str
    values: np.ndarray
    train_end: int
    val_end: int


def series_splits(val: float = 0.1, test: float = 0.2) -> list[SeriesSplit]:
    """Chronological split of every series: the last `test` fraction is the held-out tail."""
    out = []
    for name, values in load_series().items():
        n = len(values)
        val_end = n - int(round(n * test))
        train_end = val_end - int(round(n * val))
        out.append(SeriesSplit(name, values, train_end, val_end))
    return out


def windows(values: np.ndarray, length: int, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """All (window, next value) pairs whose target index lies in [max(start, length), end)."""
    idx = np.arange(max(start, length), end)
    if len(idx) == 0:
        return np.empty((0, length)), np.empty((0,))
    x = np.stack([values[i - length : i] for i in idx])
    return x, values[idx]


# -------------------------------------------------------------------------------- fortunes

FORTUNE_ROOT = Path("/usr/share/games/fortunes")

#: language code → (Debian package, files below FORTUNE_ROOT). Tech/IRC files, offensive
#: sections, ASCII art and files mixing languages are left out.
LANGUAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "en": ("fortunes", ("cookie", "definitions", "people", "politics", "wisdom", "work",
                        "men-women", "miscellaneous", "platitudes", "science", "songs-poems")),
    "de": ("fortunes-de", ("de/zitate", "de/witze", "de/sprichworte", "de/regeln",
                           "de/letzteworte", "de/sprueche")),
    "es": ("fortunes-es", ("es/refranes.fortunes", "es/sabiduria.fortunes",
                           "es/sentimientos.fortunes", "es/vida.fortunes", "es/humanos.fortunes")),
    "it": ("fortunes-it", ("it/italia", "it/norm", "it/leggi", "it/paolotedeschi")),
    "pt": ("fortunes-br", ("brasil",)),
    "pl": ("fortunes-pl", ("pl/dowcipy", "pl/bajki", "pl/chuck-norris", "pl/milosc",
                           "pl/imiona", "pl/matura", "pl/rzewski", "pl/pratchett")),
    "cs": ("fortunes-cs", ("cs/klasik-cz", "cs/citace", "cs/citat", "cs/zemeplocha")),
    "ru": ("fortunes-ru", ("ru/life", "ru/love", "ru/knowledge", "ru/friendship", "ru/polit",
                           "ru/education", "ru/wealth", "ru/truth", "ru/murphy", "ru/time")),
    "bg": ("fortunes-bg", ("bg/bgauthors", "bg/bgproverb", "bg/history", "bg/intauthors",
                           "bg/intproverb", "bg/others")),
    "eo": ("fortunes-eo", ("eo/proverbaro",)),
}


class MissingCorpusError(RuntimeError):
    """A Debian fortunes package is not installed; the message names the apt-get command."""


def _clean(raw: str) -> str:
    """One fortune → one line: no attribution lines, control characters or overstrikes."""
    text = raw.replace("\r", "")
    while "\b" in text:  # "x\bx" overstrike: keep the final character
        i = text.index("\b")
        text = text[: max(i - 1, 0)] + text[i + 1 :]
    lines = [ln for ln in text.split("\n") if not ln.strip().startswith("--")]
    text = " ".join(lines)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\t\n")
    return normalise_text(text)


def read_fortunes(language: str, min_chars: int = 12) -> list[str]:
    """Distinct cleaned fortunes of one language (order of files, then of the file)."""
    package, files = LANGUAGES[language]
    missing = [f for f in files if not (FORTUNE_ROOT / f).is_file()]
    if missing:
        raise MissingCorpusError(
            f"fortune corpus for '{language}' missing ({FORTUNE_ROOT / missing[0]}); install it "
            f"with: apt-get install -y {package}"
        )
    seen: set[str] = set()
    out: list[str] = []
    for f in files:
        content = (FORTUNE_ROOT / f).read_bytes().decode("utf-8", errors="replace")
        for raw in content.split("\n%\n"):
            text = _clean(raw.strip("%\n"))
            if len(text) >= min_chars and "\ufffd" not in text and text not in seen:
                seen.add(text)
                out.append(text)
    return out


def _bucket(text: str, seed: int) -> float:
    """Stable position in [0, 1) from a hash of the text: the split never depends on order."""
    h = hashlib.sha256(f"{seed}:{text}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


@dataclass(frozen=True)
class TextSplits:
    """(texts, label ids) per split and the language codes that label ids index."""

    languages: tuple[str, ...]
    train: tuple[list[str], np.ndarray]
    val: tuple[list[str], np.ndarray]
    test: tuple[list[str], np.ndarray]


def text_splits(
    seed: int = 7, max_per_language: int = 2500, val: float = 0.1, test: float = 0.15
) -> TextSplits:
    """Language-ID splits: a fortune's hash picks its split, texts seen in two languages dropped.

    At most `max_per_language` fortunes per language (the ones with the smallest hash), which
    keeps the classes roughly balanced.
    """
    languages = tuple(LANGUAGES)
    by_lang = {lang: read_fortunes(lang) for lang in languages}
    counts: dict[str, int] = {}
    for texts in by_lang.values():
        for t in texts:
            counts[t] = counts.get(t, 0) + 1
    parts: dict[str, tuple[list[str], list[int]]] = {k: ([], []) for k in ("train", "val", "test")}
    for label, lang in enumerate(languages):
        texts = sorted((t for t in by_lang[lang] if counts[t] == 1), key=lambda t: _bucket(t, seed))
        for t in texts[:max_per_language]:
            b = _bucket(t, seed + 1)
            split = "test" if b < test else "val" if b < test + val else "train"
            parts[split][0].append(t)
            parts[split][1].append(label)
    return TextSplits(
        languages, **{k: (v[0], np.array(v[1], dtype=np.int64)) for k, v in parts.items()}
    )


# ----------------------------------------------------------------------------- colour digits


def _luma(rgb: np.ndarray) -> float:
    return float(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])


def colour_digit(pixels: np.ndarray, rng: np.random.Generator, side: tuple[int, int] = (20, 48),
                 margin: tuple[float, float] = (1.2, 1.6), noise: float = 6.0) -> np.ndarray:
    """One 8x8 digit (uint8, ink bright) drawn as a colour photo-like image: uint8 (H, W, 3).

    The digit is scaled to a random side, set on a canvas 1.2-1.6 times larger of random aspect
    (0.8-1.25), near the centre; ink and background get random colours, the ink at least 90 luma
    levels darker (ink on paper); Gaussian noise is added.
    """
    from PIL import Image

    s = int(rng.integers(side[0], side[1] + 1))
    h = int(s * rng.uniform(*margin))
    w = max(s + 2, int(h * rng.uniform(0.8, 1.25)))
    mask = np.asarray(Image.fromarray(pixels).resize((s, s), Image.BILINEAR), dtype=np.float64) / 255.0
    while True:
        bg, ink = rng.integers(0, 256, 3).astype(np.float64), rng.integers(0, 256, 3).astype(np.float64)
        if _luma(bg) - _luma(ink) >= 90:
            break
    canvas = np.zeros((h, w), dtype=np.float64)
    jy, jx = max(0, (h - s) // 4), max(0, (w - s) // 4)
    y0 = (h - s) // 2 + int(rng.integers(-jy, jy + 1))
    x0 = (w - s) // 2 + int(rng.integers(-jx, jx + 1))
    canvas[y0 : y0 + s, x0 : x0 + s] = mask
    img = bg * (1 - canvas[:, :, None]) + ink * canvas[:, :, None]
    img += rng.normal(0.0, noise, img.shape)
    return np.clip(np.floor(img + 0.5), 0, 255).astype(np.uint8)


def colour_digits(pixels: np.ndarray, seed: int, **kw) -> list[np.ndarray]:
    """colour_digit for every digit of ``pixels`` (N, 8, 8), reproducibly from ``seed``."""
    rng = np.random.default_rng(seed)
    return [colour_digit(p, rng, **kw) for p in pixels]
