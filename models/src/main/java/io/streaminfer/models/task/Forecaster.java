package io.streaminfer.models.task;

import io.streaminfer.models.InferenceException;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.preprocess.WindowNormaliser;
import io.streaminfer.models.runtime.OnnxModel;
import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * Next-reading forecast: window z-scores → model → value in sensor units. The anomaly score of the
 * reading that follows is {@code (actual - value) / (std * residual_std)}.
 */
public final class Forecaster
    extends BatchTask<double[], WindowNormaliser.Stats, Forecaster.Forecast> {
  private final WindowNormaliser pre;
  private final String input;
  private final double residualStd;

  /** A forecast and the window statistics it was made with. */
  public record Forecast(double value, double windowMean, double windowStd, double residualStd) {
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
    this.residualStd = model.card().post("residual_std");
  }

  /** Readings one forecast needs. */
  public int window() {
    return pre.window();
  }

  @Override
  protected WindowNormaliser.Stats prepare(
      double[] readings, int row, Map<String, Buffer> buffers) {
    for (double r : readings) {
      if (!Double.isFinite(r)) {
        throw new InferenceException(
            InferenceException.Reason.READING_NOT_FINITE,
            model.card().id(),
            "window contains a non-finite reading " + r);
      }
    }
    FloatBuffer b = (FloatBuffer) buffers.get(input);
    b.position(row * pre.window());
    return pre.write(readings, b);
  }

  @Override
  protected Forecast finish(float[] output, int row, WindowNormaliser.Stats s) {
    return new Forecast(output[row] * s.std() + s.mean(), s.mean(), s.std(), residualStd);
  }
}
