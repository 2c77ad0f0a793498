package io.streaminfer.models.preprocess;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelCard;
import java.nio.FloatBuffer;

/**
 * The card's {@code window-zscore} preprocessing: a window of readings, each {@code features}
 * values (default 1), becomes z-scores per feature, from the window itself (population standard
 * deviation floored at {@code epsilon}, computed in double) or, where the card gives {@code scale}
 * ({@code mean} and {@code std}, one per feature), from those fixed values. Stateless.
 */
public final class WindowNormaliser {
  private final int window;
  private final int features;
  private final double epsilon;
  private final double[] fixedMean;
  private final double[] fixedStd;

  /** Reads the preprocessing from a card with {@code preprocessing.type = window-zscore}. */
  public WindowNormaliser(ModelCard card) {
    JsonNode pre = card.preprocessing();
    if (!"window-zscore".equals(pre.path("type").asText())) {
      throw new ModelLoadException(card.id() + ": preprocessing is not window-zscore");
    }
    this.window = (int) card.pre("window");
    JsonNode f = pre.path("features");
    if (!f.isMissingNode() && (!f.isInt() || f.asInt() < 1)) {
      throw new ModelLoadException(
          card.id() + ": preprocessing.features must be a positive integer");
    }
    this.features = f.isMissingNode() ? 1 : f.asInt();
    JsonNode scale = pre.path("scale");
    if (scale.isMissingNode()) {
      this.epsilon = card.pre("epsilon");
      this.fixedMean = null;
      this.fixedStd = null;
    } else {
      this.epsilon = 0;
      this.fixedMean = vector(card, scale.path("mean"), "preprocessing.scale.mean", false);
      this.fixedStd = vector(card, scale.path("std"), "preprocessing.scale.std", true);
    }
  }

  private double[] vector(ModelCard card, JsonNode v, String key, boolean positive) {
    if (!v.isArray() || v.size() != features) {
      throw new ModelLoadException(
          card.id() + ": " + key + " must list " + features + " numbers (one per feature)");
    }
    double[] out = new double[features];
    for (int i = 0; i < features; i++) {
      out[i] = v.get(i).asDouble(Double.NaN);
      if (!v.get(i).isNumber() || !Double.isFinite(out[i]) || (positive && out[i] <= 0)) {
        throw new ModelLoadException(
            card.id()
                + ": "
                + key
                + "["
                + i
                + "] must be a finite"
                + (positive ? " positive" : "")
                + " number");
      }
    }
    return out;
  }

  /** Readings per window. */
  public int window() {
    return window;
  }

  /** Values per reading. */
  public int features() {
    return features;
  }

  /** The mean and (floored) standard deviation each feature was scaled with. */
  public record Stats(double[] mean, double[] std) {}

  /**
   * Statistics of {@code values}: {@link #window()} readings, oldest first, each {@link
   * #features()} values one after the other.
   */
  public Stats stats(double[] values) {
    if (values.length != window * features) {
      throw new IllegalArgumentException(
          "window needs "
              + window
              + " readings of "
              + features
              + " values ("
              + window * features
              + "), got "
              + values.length
              + " values");
    }
    if (fixedMean != null) {
      return new Stats(fixedMean, fixedStd);
    }
    double[] mean = new double[features];
    double[] std = new double[features];
    for (int f = 0; f < features; f++) {
      double sum = 0;
      for (int r = 0; r < window; r++) {
        sum += values[r * features + f];
      }
      double m = sum / window;
      double sq = 0;
      for (int r = 0; r < window; r++) {
        double d = values[r * features + f] - m;
        sq += d * d;
      }
      mean[f] = m;
      std[f] = Math.max(Math.sqrt(sq / window), epsilon);
    }
    return new Stats(mean, std);
  }

  /** Writes the window's z-scores into {@code dst} and returns the statistics used. */
  public Stats write(double[] values, FloatBuffer dst) {
    Stats s = stats(values);
    for (int i = 0; i < values.length; i++) {
      int f = i % features;
      dst.put((float) ((values[i] - s.mean()[f]) / s.std()[f]));
    }
    return s;
  }
}
