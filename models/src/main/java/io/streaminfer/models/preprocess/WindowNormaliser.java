package io.streaminfer.models.preprocess;

import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelCard;
import java.nio.FloatBuffer;

/**
 * The card's {@code window-zscore} preprocessing: a window of readings becomes its own z-scores
 * (population standard deviation floored at {@code epsilon}, computed in double). Stateless.
 */
public final class WindowNormaliser {
  private final int window;
  private final double epsilon;

  /** Reads the preprocessing from a card with {@code preprocessing.type = window-zscore}. */
  public WindowNormaliser(ModelCard card) {
    if (!"window-zscore".equals(card.preprocessing().path("type").asText())) {
      throw new ModelLoadException(card.id() + ": preprocessing is not window-zscore");
    }
    this.window = (int) card.pre("window");
    this.epsilon = card.pre("epsilon");
  }

  /** Readings per window. */
  public int window() {
    return window;
  }

  /** Mean and floored standard deviation of a window. */
  public record Stats(double mean, double std) {}

  /** Statistics of {@code readings} (exactly {@link #window()} values). */
  public Stats stats(double[] readings) {
    if (readings.length != window) {
      throw new IllegalArgumentException(
          "window needs " + window + " readings, got " + readings.length);
    }
    double sum = 0;
    for (double r : readings) {
      sum += r;
    }
    double mean = sum / window;
    double sq = 0;
    for (double r : readings) {
      sq += (r - mean) * (r - mean);
    }
    return new Stats(mean, Math.max(Math.sqrt(sq / window), epsilon));
  }

  /** Writes the window's z-scores into {@code dst} and returns the statistics used. */
  public Stats write(double[] readings, FloatBuffer dst) {
    Stats s = stats(readings);
    for (double r : readings) {
      dst.put((float) ((r - s.mean()) / s.std()));
    }
    return s;
  }
}
