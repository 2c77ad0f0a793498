package io.streaminfer.models.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.Forecaster;
import io.streaminfer.models.task.StepForecaster;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Imports sequence forecasters (LSTM, GRU or any graph over readings): a {@code float32} readings
 * input {@code [batch, steps, features]}. A graph with no other input is <b>windowed</b>: it reads
 * a fixed window of readings, each feature z-scored over the window (card {@code window-zscore},
 * {@code window-denormalise}). A graph whose other inputs each have an output of the same shape is
 * <b>stateful</b>: those are its recurrent states (the batch axis is the dynamic one, e.g. axis 1
 * of {@code [layers, batch, hidden]}), carried per key by the pipeline one reading per step (card
 * {@code recurrent-step}, {@code scale-denormalise}). Either way the forecast output's values per
 * row are {@code horizon x targets}.
 *
 * <p>What the graph cannot tell is asked for, never guessed: the window of a dynamic steps axis
 * ({@code preprocessing.window}), a dynamic feature axis ({@code preprocessing.features}) and the
 * forecast's expected error ({@code postprocessing.residual_std}, in the model's own units), which
 * the anomaly score divides by. No presets.
 */
final class TimeSeriesForecastImport implements ImportFamily {
  private static final JsonNodeFactory J = JsonNodeFactory.instance;

  @Override
  public Task task() {
    return Task.TIME_SERIES_FORECAST;
  }

  @Override
  public boolean recognises(OnnxGraph g) {
    return readings(g) != null
        && g.inputs().stream().allMatch(v -> v.dtype().equals("float32"))
        && g.outputs().stream().noneMatch(ImageAxes::isImage);
  }

  /** The readings input: the one float32 rank-3 input whose first axis is dynamic. */
  private static OnnxGraph.Value readings(OnnxGraph g) {
    var states = statePairs(g);
    List<OnnxGraph.Value> r =
        g.inputs().stream()
            .filter(v -> v.dtype().equals("float32") && v.dims().length == 3 && v.dims()[0] < 0)
            .filter(v -> !states.containsKey(v.name()))
            .toList();
    return r.size() == 1 ? r.get(0) : null;
  }

  /**
   * The recurrent states: each input with one dynamic axis, not the first, paired with an output of
   * the same shape and type — in order, each output taken once (an LSTM's {@code h0, c0} with its
   * {@code hn, cn}).
   */
  static java.util.Map<String, OnnxGraph.Value> statePairs(OnnxGraph g) {
    java.util.Map<String, OnnxGraph.Value> pairs = new java.util.LinkedHashMap<>();
    java.util.Set<String> taken = new java.util.HashSet<>();
    for (OnnxGraph.Value in : g.inputs()) {
      if (batchAxis(in) <= 0) {
        continue;
      }
      for (OnnxGraph.Value o : g.outputs()) {
        if (!taken.contains(o.name())
            && !o.name().equals(in.name())
            && o.dtype().equals(in.dtype())
            && Arrays.equals(o.dims(), in.dims())) {
          pairs.put(in.name(), o);
          taken.add(o.name());
          break;
        }
      }
    }
    return pairs;
  }

  /**
   * Whether {@code v} is a recurrent state: an input with an output of the same shape (or that
   * output), one dynamic axis, not the first.
   */
  static boolean isState(OnnxGraph g, OnnxGraph.Value v) {
    var pairs = statePairs(g);
    return pairs.containsKey(v.name())
        || pairs.values().stream().anyMatch(o -> o.name().equals(v.name()));
  }

  /** The one dynamic axis of a state tensor, or -1. */
  private static int batchAxis(OnnxGraph.Value v) {
    int axis = -1;
    for (int i = 0; i < v.dims().length; i++) {
      if (v.dims()[i] < 0) {
        if (axis >= 0) {
          return -1;
        }
        axis = i;
      }
    }
    return axis;
  }

  @Override
  public Set<String> presets() {
    return Set.of();
  }

  @Override
  public void draft(OnnxGraph g, ImportRequest r, CardDraft d) {
    OnnxGraph.Value x = readings(g);
    if (x == null) {
      throw new ImportRefusedException(
          "no readings input: a forecaster takes one float32 [batch, steps, features] input"
              + " (inputs: "
              + g.inputs().stream().map(OnnxGraph.Value::describe).toList()
              + ")");
    }
    var pairs = statePairs(g); // state input -> the output carrying it on
    List<OnnxGraph.Value> states = new ArrayList<>();
    for (OnnxGraph.Value v : g.inputs()) {
      if (v == x) {
        continue;
      }
      if (!pairs.containsKey(v.name())) {
        throw new ImportRefusedException(
            "input '"
                + v.name()
                + "' ("
                + v.describe()
                + ") cannot be fed: besides the readings a forecaster takes only recurrent"
                + " states, each with an output of the same shape and one dynamic batch axis");
      }
      states.add(v);
    }
    boolean stateful = !states.isEmpty();
    long features = x.dims()[2];
    if (features > 0) {
      d.infer(
          "preprocessing.features", J.numberNode(features), "axis 2 of input '" + x.name() + "'");
    } else if (!d.has("preprocessing.features")) {
      d.missing(
          "preprocessing.features",
          "axis 2 of input '" + x.name() + "' is dynamic; set the values per reading");
    }
    List<String> stateOutputs = states.stream().map(s -> pairs.get(s.name()).name()).toList();
    List<OnnxGraph.Value> forecasts =
        g.outputs().stream().filter(o -> !stateOutputs.contains(o.name())).toList();
    OnnxGraph.Value out = forecastOutput(g, d, forecasts);
    if (out == null) {
      return;
    }
    if (stateful) {
      d.fill("preprocessing.type", J.textNode("recurrent-step"));
      d.infer("preprocessing.input", J.textNode(x.name()), "the float32 rank-3 input");
      d.assume(
          "preprocessing.step",
          J.numberNode(1),
          "one reading per step (the pipeline feeds stateful models one at a time)");
      ArrayNode list = J.arrayNode();
      for (OnnxGraph.Value s : states) {
        ObjectNode st = list.addObject();
        st.put("input", s.name());
        st.put("output", pairs.get(s.name()).name());
        st.put("batch_axis", batchAxis(s));
      }
      d.infer(
          "preprocessing.state",
          list,
          "inputs with an output of the same shape: "
              + states.stream()
                  .map(
                      s ->
                          s.name()
                              + " -> "
                              + pairs.get(s.name()).name()
                              + " (batch axis "
                              + batchAxis(s)
                              + ")")
                  .toList());
      if (!d.has("preprocessing.scale")) {
        d.note(
            "preprocessing.scale: none, readings are fed as they come; set {\"mean\": [...],"
                + " \"std\": [...]} (one per feature) for a model trained on scaled readings");
      }
      d.fill("postprocessing.type", J.textNode("scale-denormalise"));
    } else {
      d.fill("preprocessing.type", J.textNode("window-zscore"));
      long window = x.dims()[1];
      if (window > 0) {
        d.infer("preprocessing.window", J.numberNode(window), "axis 1 of input '" + x.name() + "'");
      } else if (!d.has("preprocessing.window")) {
        d.missing(
            "preprocessing.window",
            "axis 1 of input '" + x.name() + "' is dynamic; set the readings per window");
      }
      d.assume(
          "preprocessing.epsilon",
          J.numberNode(1e-6),
          "the floor of a window's standard deviation (a constant window)");
      d.fill("preprocessing.std", J.textNode("population"));
      if (!d.has("preprocessing.scale")) {
        d.note(
            "preprocessing: each feature z-scored over its window (population std); set"
                + " preprocessing.scale={\"mean\": [...], \"std\": [...]} for fixed scaling");
      }
      d.fill("postprocessing.type", J.textNode("window-denormalise"));
    }
    d.assume(
        "postprocessing.targets",
        J.arrayNode().add(0),
        "the output's columns forecast the reading's value (feature 0); set e.g. [0, 2] when they"
            + " forecast several features");
    if (!d.has("postprocessing.residual_std")) {
      d.missing(
          "postprocessing.residual_std",
          "the forecast's typical error in the model's units (the std of its held-out errors of"
              + " feature 0, scaled as the model sees it): the anomaly score divides by it");
    }
    d.describe(
        (stateful ? "Stateful recurrent" : "Windowed")
            + " forecaster, "
            + (features > 0 ? features : "?")
            + " values per reading, imported from "
            + g.file().getFileName()
            + ".");
  }

  private static OnnxGraph.Value forecastOutput(
      OnnxGraph g, CardDraft d, List<OnnxGraph.Value> candidates) {
    OnnxGraph.Value out = d.output(g, candidates, "the one output not a state", "the forecast");
    if (out == null) {
      return null;
    }
    if (!out.dtype().equals("float32")
        || out.dims()[0] >= 0
        || Arrays.stream(out.dims()).skip(1).anyMatch(v -> v <= 0)) {
      throw new ImportRefusedException(
          "output '"
              + out.name()
              + "' is "
              + out.describe()
              + "; a forecast is float32 [batch, ...] with fixed axes after the batch axis");
    }
    return out;
  }

  @Override
  public String smoke(OnnxModel model) {
    JsonNode pre = model.card().preprocessing();
    StringBuilder what = new StringBuilder();
    double[] first;
    long micros;
    if ("recurrent-step".equals(pre.path("type").asText())) {
      try (StepForecaster f = new StepForecaster(model)) {
        List<StepForecaster.Step> steps = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
          steps.add(new StepForecaster.Step(new double[][] {reading(k, f.features())}, null));
        }
        var result = f.run(steps);
        if (!result.outcomes().get(0).ok()) {
          throw result.outcomes().get(0).error();
        }
        first = result.outcomes().get(0).value().steps()[0];
        micros = result.inferenceMicros();
        what.append("one step for 4 keys from the initial state");
      }
    } else {
      try (Forecaster f = new Forecaster(model)) {
        List<double[]> windows = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
          double[] w = new double[f.window() * f.features()];
          for (int t = 0; t < f.window(); t++) {
            System.arraycopy(reading(k + t, f.features()), 0, w, t * f.features(), f.features());
          }
          windows.add(w);
        }
        var result = f.run(windows);
        if (!result.outcomes().get(0).ok()) {
          throw result.outcomes().get(0).error();
        }
        first = result.outcomes().get(0).value().steps()[0];
        micros = result.inferenceMicros();
        what.append("4 windows of ").append(f.window()).append(" sine readings");
      }
    }
    return what
        + " in "
        + micros / 1000
        + " ms: first step "
        + Arrays.stream(first).mapToObj(v -> String.format(Locale.ROOT, "%.4f", v)).toList();
  }

  /** A synthetic reading: a sine of period 12 and, for every further feature, a shifted one. */
  private static double[] reading(int t, int features) {
    double[] v = new double[features];
    for (int f = 0; f < features; f++) {
      v[f] = Math.sin(2 * Math.PI * t / 12.0 + f);
    }
    return v;
  }
}
