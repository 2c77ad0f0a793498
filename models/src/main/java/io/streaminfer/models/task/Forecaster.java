package io.streaminfer.models.task;

import io.streaminfer.models.InferenceException;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.card.TensorSpec;
import io.streaminfer.models.preprocess.WindowNormaliser;
import io.streaminfer.models.runtime.OnnxModel;
import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A windowed forecast: the last {@code window} readings (each {@code features} values) become
 * z-scores per feature ({@link WindowNormaliser}), the model forecasts the next {@code horizon}
 * steps of its target features ({@code postprocessing.targets}, default feature 0) in those units,
 * and each is mapped back with its feature's mean and std. The anomaly score of the reading that
 * follows is {@code (actual - value) / (std * e)} for the first step of the first target, where
 * {@code e} is the forecast's expected error in z units: the model's own, from the output the
 * card's {@code postprocessing.error_output} names (one value per window), or else the card's
 * constant {@code residual_std}.
 *
 * <p>An input is one window, flat: the readings oldest first, each reading's values one after the
 * other ({@code window * features} values).
 */
public final class Forecaster
    extends BatchTask<double[], WindowNormaliser.Stats, Forecaster.Forecast> {
  private final WindowNormaliser pre;
  private final String input;
  private final double residualStd;
  private final ForecastTargets out;
  private final List<String> outputs;

  /**
   * A forecast and the window statistics of its first target feature.
   *
   * @param value the first step of the first target feature, in its unit
   * @param steps per step ahead, each target feature's forecast in its unit
   * @param windowMean the window's mean of the first target feature (its fixed mean when scaled)
   * @param windowStd its standard deviation (the anomaly score's unit)
   * @param residualStd the expected error of {@code value} in z units
   */
  public record Forecast(
      double value, double[][] steps, double windowMean, double windowStd, double residualStd) {
    /** How many expected errors {@code actual} lies from this forecast. */
    public double zScore(double actual) {
      return (actual - value) / (windowStd * residualStd);
    }
  }

  /** Builds the task from a time-series-forecast model. */
  public Forecaster(OnnxModel model) {
    super(model);
    Tasks.require(model, Task.TIME_SERIES_FORECAST);
    this.pre = new WindowNormaliser(model.card());
    this.input = model.card().inputs().get(0).name();
    TensorSpec in = model.card().input(input);
    long[] shape = in.shape();
    if (shape.length != 3
        || shape[0] != -1
        || shape[1] != pre.window()
        || shape[2] != pre.features()) {
      throw new ModelLoadException(
          model.card().id()
              + ": input '"
              + input
              + "' must be (batch, "
              + pre.window()
              + ", "
              + pre.features()
              + ") for preprocessing.window and preprocessing.features; the card says "
              + Arrays.toString(shape));
    }
    this.out = ForecastTargets.of(model.card(), pre.features());
    this.residualStd = model.card().post("residual_std");
    String error = model.card().postprocessing().path("error_output").asText(null);
    if (error != null && model.card().output(error).elementsPerExample() != 1) {
      throw new ModelLoadException(
          model.card().id()
              + ": postprocessing.error_output '"
              + error
              + "' must hold one value per window");
    }
    this.outputs = error == null ? List.of(out.output()) : List.of(out.output(), error);
  }

  @Override
  protected List<String> outputNames() {
    return outputs;
  }

  /** Readings one forecast needs. */
  public int window() {
    return pre.window();
  }

  /** Values per reading (the value, then its features). */
  public int features() {
    return pre.features();
  }

  /** Steps ahead per forecast. */
  public int horizon() {
    return out.horizon();
  }

  /** The feature index each forecast column is of (the first is the anomaly score's). */
  public int[] targets() {
    return out.targets().clone();
  }

  @Override
  protected WindowNormaliser.Stats prepare(
      double[] readings, int row, Map<String, Buffer> buffers) {
    for (int i = 0; i < readings.length; i++) {
      if (!Double.isFinite(readings[i])) {
        int f = i % pre.features();
        throw new InferenceException(
            InferenceException.Reason.READING_NOT_FINITE,
            model.card().id(),
            "window contains a non-finite "
                + (f == 0 ? "reading " : "feature " + f + " ")
                + readings[i]);
      }
    }
    FloatBuffer b = (FloatBuffer) buffers.get(input);
    b.position(row * pre.window() * pre.features());
    return pre.write(readings, b);
  }

  @Override
  protected Forecast finish(float[] output, int row, WindowNormaliser.Stats s) {
    int stride = out.width() + outputs.size() - 1;
    int base = row * stride;
    double[][] steps = out.steps(output, base, s.mean(), s.std(), model.card().id());
    double error = outputs.size() == 1 ? residualStd : output[base + out.width()];
    if (!(error > 0) || !Double.isFinite(error)) {
      throw new InferenceException(
          InferenceException.Reason.RUNTIME,
          model.card().id(),
          "the model's expected error " + outputs.get(1) + " is " + error + ", not positive");
    }
    int first = out.targets()[0];
    return new Forecast(steps[0][0], steps, s.mean()[first], s.std()[first], error);
  }
}
