"""Acceptance thresholds for every shipped model: the one place they live.

Cards record measured metrics; tests compare those (and fresh re-evaluations) against these.
Each entry maps a metric name to (comparison, bound).
"""

THRESHOLDS: dict[str, dict[str, tuple[str, float]]] = {
    "digits-cnn": {"accuracy": (">=", 0.97)},
    "sensor-lstm": {"mae_ratio_vs_naive": ("<=", 0.80)},
    "sensor-gru": {"mae_ratio_vs_naive": ("<=", 0.80)},
    "elnino-lstm-step": {"mae_ratio_vs_naive": ("<=", 0.85)},
    "langid-transformer": {"accuracy": (">=", 0.95), "num_languages": (">=", 8)},
    "langid-bert": {"accuracy": (">=", 0.97), "worst_language_accuracy": (">=", 0.92),
                    "num_languages": (">=", 8)},
    "langid-bert-embed": {"neighbour_language_agreement": (">=", 0.90)},
    "digits-gan": {"cnn_agreement": (">=", 0.80)},
    "digits-mobilenet": {"accuracy": (">=", 0.95), "worst_class_accuracy": (">=", 0.85)},
    "digits-dcgan": {"classifier_confident": (">=", 0.5), "classes_covered": (">=", 8)},
}

#: Largest allowed |ONNX Runtime - PyTorch| on held-out inputs, for every model.
PARITY_MAX_ABS_DIFF = 1e-4


def meets(comparison: str, value: float, bound: float) -> bool:
    """True when value satisfies `value <comparison> bound`."""
    if comparison == ">=":
        return value >= bound
    if comparison == "<=":
        return value <= bound
    raise ValueError(f"unknown comparison {comparison!r}")


def failures(model: str, metrics: dict) -> list[str]:
    """Human-readable list of thresholds that `metrics` misses for `model` (empty when all met)."""
    out = []
    for key, (cmp, bound) in THRESHOLDS[model].items():
        if key not in metrics:
            out.append(f"{model}: metric {key!r} missing")
        elif not meets(cmp, metrics[key], bound):
            out.append(f"{model}: {key}={metrics[key]:.4f} does not satisfy {cmp} {bound}")
    return out
