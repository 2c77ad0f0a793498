package io.streaminfer.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Percentiles and medians over samples. */
final class Stats {
  private Stats() {}

  /** The q-quantile (0..1) by nearest rank; NaN when empty. */
  static double quantile(double[] values, double q) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] v = values.clone();
    Arrays.sort(v);
    return v[(int) Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
  }

  static double median(List<Double> values) {
    return quantile(values.stream().mapToDouble(Double::doubleValue).toArray(), 0.5);
  }

  /** (value, cumulative fraction) pairs at {@code points} evenly spaced fractions. */
  static List<double[]> cdf(double[] values, int points) {
    double[] v = values.clone();
    Arrays.sort(v);
    List<double[]> out = new ArrayList<>();
    for (int i = 1; i <= points && v.length > 0; i++) {
      double f = (double) i / points;
      out.add(new double[] {v[(int) Math.min(v.length - 1, Math.ceil(f * v.length) - 1)], f});
    }
    return out;
  }
}
