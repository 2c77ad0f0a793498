package io.streaminfer.models.postprocess;

import java.util.ArrayList;
import java.util.List;

/** Softmax over one row of logits and the k most probable labels. Stateless. */
public final class TopK {
  private TopK() {}

  /** A label and its probability. */
  public record Scored(String label, float score) {}

  /** Numerically stable softmax of {@code logits[offset .. offset + n)} in double precision. */
  public static double[] softmax(float[] logits, int offset, int n) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, logits[offset + i]);
    }
    double[] p = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      p[i] = Math.exp(logits[offset + i] - max);
      sum += p[i];
    }
    for (int i = 0; i < n; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /** The {@code k} most probable labels of one row, most probable first (ties: lower index). */
  public static List<Scored> topK(float[] logits, int row, List<String> labels, int k) {
    int n = labels.size();
    return best(softmax(logits, row * n, n), labels, k);
  }

  /** The {@code k} labels of highest {@code p}, highest first (ties: lower index). */
  public static List<Scored> best(double[] p, List<String> labels, int k) {
    int n = labels.size();
    boolean[] taken = new boolean[n];
    List<Scored> out = new ArrayList<>(Math.min(k, n));
    for (int j = 0; j < Math.min(k, n); j++) {
      int best = -1;
      for (int i = 0; i < n; i++) {
        if (!taken[i] && (best < 0 || p[i] > p[best])) {
          best = i;
        }
      }
      taken[best] = true;
      out.add(new Scored(labels.get(best), (float) p[best]));
    }
    return out;
  }
}
