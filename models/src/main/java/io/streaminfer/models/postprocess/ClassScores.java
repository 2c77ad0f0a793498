package io.streaminfer.models.postprocess;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelCard;
import io.streaminfer.models.card.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * A classifier's output row to scored labels, as the card's {@code postprocessing.type} says:
 * {@code softmax-top-k} (logits; the {@code top_k} most probable), {@code probabilities-top-k} (the
 * graph already outputs probabilities) or {@code sigmoid-multi-label} (independent labels: the
 * {@code top_k} most probable, and apart every label whose sigmoid reaches its threshold, {@code
 * threshold} for all or {@code thresholds}, one per label). Reads the output named by {@code
 * postprocessing.output}. Immutable.
 */
public final class ClassScores {
  /** How the output row becomes probabilities. */
  public enum Kind {
    /** Softmax over logits. */
    SOFTMAX,
    /** The row is probabilities already. */
    PROBABILITIES,
    /** One sigmoid per label, kept at or above its threshold. */
    SIGMOID
  }

  private final Kind kind;
  private final String output;
  private final List<String> labels;
  private final int topK;
  private final double[] thresholds;

  /** Reads the postprocessing of a classification card and checks it against its output. */
  public ClassScores(ModelCard card) {
    JsonNode p = card.postprocessing();
    String type = p.path("type").asText();
    this.kind =
        switch (type) {
          case "softmax-top-k" -> Kind.SOFTMAX;
          case "probabilities-top-k" -> Kind.PROBABILITIES;
          case "sigmoid-multi-label" -> Kind.SIGMOID;
          default ->
              throw new ModelLoadException(
                  card.id()
                      + ": model card key 'postprocessing.type' is '"
                      + type
                      + "'; a classifier takes softmax-top-k, probabilities-top-k or"
                      + " sigmoid-multi-label");
        };
    this.output = p.path("output").asText(card.outputs().get(0).name());
    TensorSpec out = card.output(output);
    this.labels = card.labels();
    long width = out.shape()[out.shape().length - 1];
    if (out.shape().length != 2 || (width != -1 && width != labels.size())) {
      throw new ModelLoadException(
          card.id()
              + ": output '"
              + output
              + "' is "
              + java.util.Arrays.toString(out.shape())
              + " but the card has "
              + labels.size()
              + " labels (a classifier's output is [batch, labels])");
    }
    this.topK = p.has("top_k") ? (int) card.post("top_k") : labels.size();
    if (topK < 1) {
      throw new ModelLoadException(
          card.id() + ": model card key 'postprocessing.top_k' must be >= 1");
    }
    this.thresholds = new double[labels.size()];
    if (kind == Kind.SIGMOID) {
      JsonNode t = p.path("thresholds");
      if (t.isArray()) {
        if (t.size() != labels.size()) {
          throw new ModelLoadException(
              card.id()
                  + ": model card key 'postprocessing.thresholds' has "
                  + t.size()
                  + " values for "
                  + labels.size()
                  + " labels");
        }
        for (int i = 0; i < thresholds.length; i++) {
          thresholds[i] = t.get(i).asDouble();
        }
      } else {
        java.util.Arrays.fill(thresholds, p.has("threshold") ? card.post("threshold") : 0.5);
      }
    }
  }

  /** The output tensor read. */
  public String output() {
    return output;
  }

  /** How the row becomes probabilities. */
  public Kind kind() {
    return kind;
  }

  /**
   * A classifier's answer for one input.
   *
   * @param top the {@code top_k} most probable labels, most probable first
   * @param accepted for a {@code sigmoid-multi-label} model, every label whose probability reached
   *     its threshold, most probable first (possibly none); null for a single-label model
   */
  public record Classified(List<TopK.Scored> top, List<TopK.Scored> accepted) {
    /** The most probable label. */
    public TopK.Scored best() {
      return top.get(0);
    }

    /** "label 0.912, other 0.051" of the top labels, and of the accepted ones when multi-label. */
    public String summary() {
      String t = describe(top);
      return accepted == null
          ? t
          : t + "; above threshold: " + (accepted.isEmpty() ? "none" : describe(accepted));
    }

    private static String describe(List<TopK.Scored> scored) {
      List<String> out = new ArrayList<>();
      for (TopK.Scored s : scored) {
        out.add(s.label() + " " + String.format(java.util.Locale.ROOT, "%.3f", s.score()));
      }
      return String.join(", ", out);
    }
  }

  /** The answer of row {@code row} of a batch-major output. */
  public Classified scores(float[] values, int row) {
    int n = labels.size();
    int at = row * n;
    return switch (kind) {
      case SOFTMAX -> new Classified(TopK.topK(values, row, labels, topK), null);
      case PROBABILITIES -> {
        double[] p = new double[n];
        for (int i = 0; i < n; i++) {
          p[i] = values[at + i];
        }
        yield new Classified(TopK.best(p, labels, topK), null);
      }
      case SIGMOID -> {
        double[] p = new double[n];
        for (int i = 0; i < n; i++) {
          p[i] = 1.0 / (1.0 + Math.exp(-values[at + i]));
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
          order[i] = i;
        }
        // most probable first, ties by index
        java.util.Arrays.sort(order, (a, b) -> p[b] != p[a] ? Double.compare(p[b], p[a]) : a - b);
        List<TopK.Scored> all = new ArrayList<>(n);
        List<TopK.Scored> accepted = new ArrayList<>();
        for (int i : order) {
          TopK.Scored s = new TopK.Scored(labels.get(i), (float) p[i]);
          all.add(s);
          if (p[i] >= thresholds[i]) {
            accepted.add(s);
          }
        }
        yield new Classified(List.copyOf(all.subList(0, Math.min(topK, n))), accepted);
      }
    };
  }
}
