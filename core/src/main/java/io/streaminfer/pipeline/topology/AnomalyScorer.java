package io.streaminfer.pipeline.topology;

import java.util.OptionalDouble;

/**
 * Scores a reading against the forecast the anomaly model made for it: {@code z = (actual -
 * forecast) / (window_std × residual_std)}; an alert when {@code |z|} exceeds the threshold.
 *
 * @param threshold alert threshold in expected errors (the route's anomaly.z)
 */
record AnomalyScorer(double threshold) {
  /** The z-score of an alert for {@code actual}, or empty when there is no forecast or no alert. */
  OptionalDouble alert(SensorState.PendingForecast forecast, double actual) {
    if (forecast == null) {
      return OptionalDouble.empty();
    }
    double z = forecast.zScore(actual);
    return Math.abs(z) > threshold ? OptionalDouble.of(z) : OptionalDouble.empty();
  }
}
