package io.streaminfer.pipeline.topology;

import io.streaminfer.models.task.Forecaster;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Forecasts every full window of a batch: for each forecaster, the windows at least as long as its
 * window (their most recent readings) run together, in runs of at most the batch size.
 */
final class WindowForecasts {
  private WindowForecasts() {}

  /**
   * For each of {@code windows} (null or too short for a model: no forecast from it), the forecast
   * of each model in {@code forecasters} (by reference), indexed like {@code windows}.
   */
  static List<Map<String, Batches.Ran<Forecaster.Forecast>>> run(
      Map<String, Forecaster> forecasters,
      List<double[]> windows,
      int maxSize,
      PipelineMetrics.RouteMetrics metrics) {
    List<Map<String, Batches.Ran<Forecaster.Forecast>>> out = new ArrayList<>(windows.size());
    for (int i = 0; i < windows.size(); i++) {
      out.add(new LinkedHashMap<>());
    }
    forecasters.forEach(
        (ref, task) -> {
          List<double[]> inputs = new ArrayList<>();
          List<Integer> which = new ArrayList<>();
          for (int i = 0; i < windows.size(); i++) {
            double[] w = windows.get(i);
            int n = task.window() * task.features(); // windows are flat, a reading's values in turn
            if (w != null && w.length >= n) {
              inputs.add(Arrays.copyOfRange(w, w.length - n, w.length));
              which.add(i);
            }
          }
          List<Batches.Ran<Forecaster.Forecast>> ran = Batches.run(task, inputs, maxSize, metrics);
          for (int k = 0; k < which.size(); k++) {
            out.get(which.get(k)).put(ref, ran.get(k));
          }
        });
    return out;
  }

  /** Forecasters by reference, in the route's order. */
  static Map<String, Forecaster> of(
      List<String> refs, java.util.function.Function<String, Forecaster> task) {
    Map<String, Forecaster> m = new LinkedHashMap<>();
    refs.forEach(r -> m.put(r, task.apply(r)));
    return m;
  }

  /** The longest window of {@code forecasters}. */
  static int capacity(Map<String, Forecaster> forecasters) {
    return forecasters.values().stream().mapToInt(Forecaster::window).max().orElse(0);
  }
}
