package io.streaminfer.pipeline.batch;

import java.time.Duration;

/**
 * When a buffered batch runs: as soon as it holds {@code maxSize} records, or once its oldest
 * record has waited {@code maxDelay}. {@code maxSize = 1} is per-record inference.
 *
 * <p>{@code slowAfter} is the time one batch may take before it counts as slow (a WARN and the
 * {@code streaminfer_slow_batches} metric): a quarter of the budget Kafka Streams gives the work
 * between two polls (half of {@code max.poll.interval.ms}, and under exactly_once_v2 also {@code
 * transaction.timeout.ms}); see docs/reliability.md.
 *
 * @param maxSize most records per batch
 * @param maxDelay longest wait of a buffered record before its batch runs
 * @param slowAfter how long one batch may take before it is reported as slow
 */
public record BatchSettings(int maxSize, Duration maxDelay, Duration slowAfter) {
  /**
   * Settings with Kafka Streams' default budget (a quarter of exactly_once_v2's 10 s transaction
   * timeout).
   */
  public BatchSettings(int maxSize, Duration maxDelay) {
    this(maxSize, maxDelay, Duration.ofMillis(2_500));
  }

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
