"""Acceptance thresholds for every shipped model: the one place they live.

Cards record measured metrics; tests compare those (and fresh re-evaluations) against these.
Each entry maps a metric name to (comparison, bound).
"""

THRESHOLDS: dict[str, dict[str, tuple[str, float]]] = {
    "digits-cnn": {"accuracy": (">=", 0.97)},
    # held-out families (sensor_families.HELD_OUT): the target is <= 1.0 x last value on every
    # one (a random walk's best forecast is its last value: 1.001-1.003 is that) and <= 1 alert per
    # 1,000 clean readings; the alert bound is what the bundled 48-reading models reach (a
    # sawtooth's drops, 3-4.5 per 1,000, and an AR(2) cycle's swings still alert)
    **{name: {"mae_ratio_vs_naive": ("<=", 0.85), "held_out_worst_ratio": ("<=", 1.01),
              "held_out_worst_seasonal_ratio": ("<=", 0.75),
              "held_out_worst_alerts_per_1000": ("<=", 5.0),
              "held_out_worst_spikes_caught": (">=", 0.9)}
       for name in ("sensor-lstm", "sensor-gru")},
    "macro-gru-multi": {"mae_ratio_vs_naive": ("<=", 0.9)},
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
