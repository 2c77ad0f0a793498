package io.streaminfer.benchmarks;

import ai.onnxruntime.OnnxTensor;
import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.models.runtime.Device;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.runtime.ProviderSelector;
import io.streaminfer.models.runtime.RuntimeSettings;
import io.streaminfer.models.task.StepForecaster;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A stateful recurrent forecaster's cost per reading: one step per reading from each key's kept
 * state, against re-running the same model over the key's last W readings from the initial state
 * for every reading (what a windowed route does). Readings per second for {@code keys} keys batched
 * in one run, one intra-op thread:
 *
 * <ul>
 *   <li>{@code step (task)}: {@link StepForecaster} as the route runs it — scaling, each key's
 *       state gathered along the card's batch axis and scattered back, results in sensor units;
 *   <li>{@code step (bare)}: the session run alone on a one-reading chunk and the states;
 *   <li>{@code window W (bare)}: the session run alone on W readings per key from zero state.
 * </ul>
 *
 * <pre>
 * java -cp pipeline/target/streaminfer.jar:benchmarks/target/classes \
 *     io.streaminfer.benchmarks.StatefulBench [model] [keys] [seconds]
 * </pre>
 *
 * Prints one line per mode: readings/s, median over five timed windows after a warm-up.
 */
public final class StatefulBench {
  private StatefulBench() {}

  /** A mode's readings per second. */
  record Row(String mode, double readingsPerS) {}

  public static void main(String[] args) throws Exception {
    String name = args.length > 0 ? args[0] : "elnino-lstm-step";
    int keys = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 1.5;
    ModelArtifact artifact =
        ModelRepository.open(Path.of("models/repository")).select(name, Optional.empty());
    for (Row r : run(artifact, keys, seconds, new int[] {24, 48, 96, 365})) {
      System.out.printf(
          "%s keys=%d %-22s %,12.0f readings/s%n", name, keys, r.mode(), r.readingsPerS());
    }
  }

  static List<Row> run(ModelArtifact artifact, int keys, double seconds, int[] windows)
      throws Exception {
    RuntimeSettings settings = new RuntimeSettings(Device.parse("cpu"), 1, 1, false);
    List<Row> rows = new ArrayList<>();
    try (OnnxModel model = OnnxModel.load(artifact, settings, new ProviderSelector());
        StepForecaster task = new StepForecaster(model)) {
      SplittableRandom rnd = new SplittableRandom(7);
      int f = task.features();
      // the task, as the route runs it: every key's state carried from step to step
      List<StepForecaster.Step> steps = new ArrayList<>();
      for (int k = 0; k < keys; k++) {
        steps.add(new StepForecaster.Step(new double[][] {reading(rnd, f)}, null));
      }
      List<StepForecaster.Step>[] carried = new List[] {steps};
      rows.add(
          new Row(
              "step (task)",
              keys
                  * rate(
                      seconds,
                      () -> {
                        var result = task.run(carried[0]);
                        List<StepForecaster.Step> next = new ArrayList<>(keys);
                        for (int k = 0; k < keys; k++) {
                          next.add(
                              new StepForecaster.Step(
                                  new double[][] {reading(rnd, f)},
                                  result.outcomes().get(k).value().state()));
                        }
                        carried[0] = next;
                      })));
      try (Bare b = new Bare(model, task, keys, 1, rnd)) {
        rows.add(new Row("step (bare)", keys * rate(seconds, b)));
      }
      for (int w : windows) {
        try (Bare b = new Bare(model, task, keys, w, rnd)) {
          rows.add(new Row("window " + w + " (bare)", keys * rate(seconds, b)));
        }
      }
    }
    return rows;
  }

  private static double[] reading(SplittableRandom rnd, int features) {
    double[] r = new double[features];
    for (int i = 0; i < features; i++) {
      r[i] = rnd.nextGaussian();
    }
    return r;
  }

  /** One session run over {@code length} readings per key from zero state; owns its tensors. */
  private static final class Bare implements Runnable, AutoCloseable {
    private final OnnxModel model;
    private final Map<String, OnnxTensor> inputs = new HashMap<>();
    private final String output;

    Bare(OnnxModel model, StepForecaster task, int keys, int length, SplittableRandom rnd) {
      this.model = model;
      this.output = model.card().postprocessing().path("output").asText();
      int f = task.features();
      FloatBuffer xb = OnnxModel.floatBuffer(keys * length * f);
      for (int i = 0; i < keys * length * f; i++) {
        xb.put((float) rnd.nextGaussian());
      }
      inputs.put(
          model.card().preprocessing().path("input").asText(),
          model.tensor(xb.rewind(), new long[] {keys, length, f}));
      for (StepForecaster.StateSpec s : task.states()) {
        long[] shape = s.shape().clone();
        shape[s.batchAxis()] = keys;
        inputs.put(s.input(), model.tensor(OnnxModel.floatBuffer(keys * s.elements()), shape));
      }
    }

    @Override
    public void run() {
      model.run(inputs, output);
    }

    @Override
    public void close() {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  /** Calls per second of {@code call}: median of five windows of {@code seconds} after one. */
  private static double rate(double seconds, Runnable call) {
    List<Double> rates = new ArrayList<>();
    for (int w = 0; w < 6; w++) {
      long end = System.nanoTime() + (long) (seconds * 1e9);
      long start = System.nanoTime();
      int n = 0;
      while (System.nanoTime() < end) {
        call.run();
        n++;
      }
      if (w > 0) {
        rates.add(n / ((System.nanoTime() - start) / 1e9));
      }
    }
    return Stats.median(rates);
  }
}
