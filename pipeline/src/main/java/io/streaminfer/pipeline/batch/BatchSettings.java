package io.streaminfer.pipeline.batch;

import java.time.Duration;

/**
 * When a buffered batch runs: as soon as it holds {@code maxSize} records, or once its oldest
 * record has waited {@code maxDelay}. {@code maxSize = 1} is per-record inference.
 *
 * @param maxSize most records per batch
 * @param maxDelay longest wait of a buffered record before its batch runs
 */
public record BatchSettings(int maxSize, Duration maxDelay) {
  /** Checks the bounds. */
  public BatchSettings {
    if (maxSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + maxSize);
    }
    if (maxDelay.isNegative()) {
      throw new IllegalArgumentException("batch delay must not be negative");
    }
  }

  /** Per-record inference: every record runs at once. */
  public static BatchSettings unbatched() {
    return new BatchSettings(1, Duration.ZERO);
  }
}
