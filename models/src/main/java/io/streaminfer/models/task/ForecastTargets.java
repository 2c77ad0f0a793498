package io.streaminfer.models.task;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.models.InferenceException;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelCard;
import io.streaminfer.models.card.TensorSpec;
import java.util.Arrays;

/**
 * What a forecaster's output holds, from its card: the output ({@code postprocessing.output}), the
 * features it forecasts ({@code postprocessing.targets}, default feature 0) and, from the output's
 * shape, how many steps ahead ({@code values per row / targets}); and how a row of it becomes
 * values in the features' units. Shared by the windowed and the stateful forecasters.
 *
 * @param output the forecast output's name
 * @param targets the feature index each column forecasts
 * @param horizon steps ahead per row
 */
record ForecastTargets(String output, int[] targets, int horizon) {

  /**
   * Reads the targets of {@code card}, whose readings carry {@code features} values; throws {@link
   * ModelLoadException} naming the key.
   */
  static ForecastTargets of(ModelCard card, int features) {
    JsonNode post = card.postprocessing();
    String output =
        post.path("output").isTextual()
            ? post.path("output").asText()
            : card.outputs().get(0).name();
    TensorSpec out = card.output(output);
    if (out.shape()[0] != -1 || Arrays.stream(out.shape()).skip(1).anyMatch(d -> d <= 0)) {
      throw fail(
          card,
          "output '"
              + output
              + "' must be (batch, ...) with fixed other axes; the card says "
              + Arrays.toString(out.shape()));
    }
    JsonNode t = post.path("targets");
    int[] targets = t.isMissingNode() ? new int[] {0} : new int[t.size()];
    for (int i = 0; i < (t.isMissingNode() ? 0 : t.size()); i++) {
      targets[i] = t.get(i).asInt(-1);
      if (!t.get(i).isInt() || targets[i] < 0 || targets[i] >= features) {
        throw fail(
            card, "postprocessing.targets[" + i + "] must be a feature index below " + features);
      }
    }
    if (targets.length == 0) {
      throw fail(card, "postprocessing.targets is empty");
    }
    int perRow = out.elementsPerExample();
    if (perRow % targets.length != 0) {
      throw fail(
          card,
          "output '"
              + output
              + "' has "
              + perRow
              + " values per row, not a whole number of steps of "
              + targets.length
              + " target features");
    }
    return new ForecastTargets(output, targets, perRow / targets.length);
  }

  /** Output values per row. */
  int width() {
    return horizon * targets.length;
  }

  /**
   * The row at {@code base} of {@code output} in the features' units: per step ahead, each target
   * feature's {@code value * std + mean}; a non-finite value fails the row (RUNTIME).
   */
  double[][] steps(float[] output, int base, double[] mean, double[] std, String model) {
    double[][] steps = new double[horizon][targets.length];
    for (int h = 0; h < horizon; h++) {
      for (int k = 0; k < targets.length; k++) {
        int f = targets[k];
        double v = output[base + h * targets.length + k] * std[f] + mean[f];
        if (!Double.isFinite(v)) {
          throw new InferenceException(
              InferenceException.Reason.RUNTIME,
              model,
              "the model's forecast is " + v + " (step " + (h + 1) + ", feature " + f + ")");
        }
        steps[h][k] = v;
      }
    }
    return steps;
  }

  private static ModelLoadException fail(ModelCard card, String message) {
    return new ModelLoadException(card.id() + ": " + message);
  }
}
