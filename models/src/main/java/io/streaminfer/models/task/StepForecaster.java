package io.streaminfer.models.task;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.models.InferenceException;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelCard;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.card.TensorSpec;
import io.streaminfer.models.runtime.OnnxModel;
import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stateful recurrent forecaster (card preprocessing {@code recurrent-step}): each step feeds one
 * key's next {@code step} readings (each {@code features} values, scaled by the card's fixed
 * per-feature mean and std) with the key's recurrent state, and gives the forecast made after them
 * and the state after them. The caller keeps each key's state between steps, so a reading costs one
 * recurrent step instead of a whole window. Rows of a batch are different keys; each state input is
 * assembled along its own batch axis (e.g. axis 1 of a {@code (layers, batch, hidden)} LSTM state)
 * and each state output split along it.
 *
 * <p>The card names the readings' input, the state inputs and the outputs that carry them on, with
 * each state's batch axis and initial value, and any constant inputs; postprocessing ({@code
 * scale-denormalise}) names the forecast output, the features its columns forecast ({@code
 * targets}, default feature 0) and the residual std of the anomaly score.
 */
public final class StepForecaster
    extends BatchTask<StepForecaster.Step, StepForecaster.Step, StepForecaster.Result> {

  /** One recurrent state: the input that takes it, the output that gives it back. */
  public record StateSpec(String input, String output, int batchAxis, float init, long[] shape) {
    /** Values of one key's state (every axis but the batch axis). */
    public int elements() {
      long n = 1;
      for (int i = 0; i < shape.length; i++) {
        if (i != batchAxis) {
          n *= shape[i];
        }
      }
      return Math.toIntExact(n);
    }

    /** The state's shape without its batch axis, e.g. {@code [2, 32]}. */
    long[] example() {
      long[] e = new long[shape.length - 1];
      for (int i = 0, k = 0; i < shape.length; i++) {
        if (i != batchAxis) {
          e[k++] = shape[i];
        }
      }
      return e;
    }
  }

  /**
   * A key's step: its next readings (each a feature vector, oldest first) and its state before them
   * (one array per state, in the card's order), or null for a new key (the card's initial state).
   */
  public record Step(double[][] readings, float[][] state) {}

  /**
   * A step's outcome: the forecast (feature 0's next value where the targets begin with it), every
   * step ahead of every target feature in sensor units, and the key's state after the step.
   *
   * @param value the first forecast value, in its feature's unit
   * @param steps per step ahead, the forecast of each target feature
   * @param scale the std of the first target feature (the anomaly score's unit)
   * @param residualStd the card's residual std, in scaled units
   * @param state the key's state after the step
   */
  public record Result(
      double value, double[][] steps, double scale, double residualStd, float[][] state) {
    /** How many expected errors {@code actual} lies from this forecast. */
    public double zScore(double actual) {
      return (actual - value) / (scale * residualStd);
    }
  }

  private final String input;
  private final int features;
  private final int step;
  private final double[] mean;
  private final double[] std;
  private final List<StateSpec> states;
  private final Map<String, float[]> constants = new LinkedHashMap<>();
  private final ForecastTargets out;
  private final double residualStd;
  private final String signature;

  /** Reads the card's recurrent-step sections; throws {@link ModelLoadException} naming the key. */
  public StepForecaster(OnnxModel model) {
    super(model);
    Tasks.require(model, Task.TIME_SERIES_FORECAST);
    ModelCard card = model.card();
    JsonNode pre = card.preprocessing();
    if (!"recurrent-step".equals(pre.path("type").asText())) {
      throw new ModelLoadException(card.id() + ": preprocessing is not recurrent-step");
    }
    this.input = text(pre, "input");
    this.features = positive(pre, "features", -1);
    this.step = positive(pre, "step", 1);
    TensorSpec x = card.input(input);
    long[] xs = x.shape();
    if (xs.length != 3 || xs[0] != -1 || (xs[1] != -1 && xs[1] != step) || xs[2] != features) {
      throw fail(
          "input '"
              + input
              + "' must be (batch, "
              + step
              + " or -1, "
              + features
              + ") for preprocessing.step and preprocessing.features; the card says "
              + Arrays.toString(xs));
    }
    if (!"float32".equals(x.dtype())) {
      throw fail("input '" + input + "' must be float32, not " + x.dtype());
    }
    this.mean = new double[features];
    this.std = new double[features];
    Arrays.fill(std, 1.0);
    JsonNode scale = pre.path("scale");
    if (!scale.isMissingNode()) {
      readVector(scale.path("mean"), mean, "preprocessing.scale.mean", false);
      readVector(scale.path("std"), std, "preprocessing.scale.std", true);
    }
    this.states = states(card, pre.path("state"));
    JsonNode cs = pre.path("constants");
    for (JsonNode c : cs) {
      String name = text(c, "input");
      TensorSpec spec = card.input(name);
      int n = elements(constantExample(spec));
      JsonNode v = c.path("value");
      float[] values = new float[n];
      if (v.isNumber()) {
        Arrays.fill(values, (float) v.asDouble());
      } else if (v.isArray() && v.size() == n) {
        for (int i = 0; i < n; i++) {
          values[i] = (float) v.get(i).asDouble();
        }
      } else {
        throw fail(
            "preprocessing.constants '"
                + name
                + "': value must be a number or "
                + n
                + " numbers (one example of "
                + Arrays.toString(spec.shape())
                + ")");
      }
      constants.put(name, values);
    }
    for (TensorSpec in : card.inputs()) {
      boolean known =
          in.name().equals(input)
              || constants.containsKey(in.name())
              || states.stream().anyMatch(s -> s.input().equals(in.name()));
      if (!known) {
        throw fail(
            "input '"
                + in.name()
                + "' is neither preprocessing.input, a preprocessing.state input nor a"
                + " preprocessing.constants entry: the pipeline would not know what to feed it");
      }
    }
    JsonNode post = card.postprocessing();
    if (!"scale-denormalise".equals(post.path("type").asText())) {
      throw fail("postprocessing.type must be scale-denormalise for a recurrent-step model");
    }
    if (!post.path("output").isTextual()) {
      throw fail("key 'output' missing or not a string");
    }
    this.out = ForecastTargets.of(card, features);
    this.residualStd = card.post("residual_std");
    this.signature = signature(card, states);
  }

  private static String signature(ModelCard card, List<StateSpec> states) {
    StringBuilder b = new StringBuilder(card.id());
    for (StateSpec s : states) {
      b.append(';').append(s.input()).append(Arrays.toString(s.example()));
    }
    return b.toString();
  }

  /**
   * What a key's stored state must have been made with to be carried on: the model (name and
   * version) and the name and shape of every state. A stored state of another signature is not fed
   * to this model.
   */
  public String signature() {
    return signature;
  }

  /** The recurrent states, in the card's order. */
  public List<StateSpec> states() {
    return states;
  }

  /** Values per reading (feature 0 is the reading's value). */
  public int features() {
    return features;
  }

  /** Readings one step consumes. */
  public int step() {
    return step;
  }

  /** Steps ahead each forecast covers. */
  public int horizon() {
    return out.horizon();
  }

  /** The feature index each forecast column is of (the first is the anomaly score's). */
  public int[] targets() {
    return out.targets().clone();
  }

  /** A new key's state: every value the card's initial value. */
  public float[][] initialState() {
    float[][] s = new float[states.size()][];
    for (int i = 0; i < s.length; i++) {
      s[i] = new float[states.get(i).elements()];
      Arrays.fill(s[i], states.get(i).init());
    }
    return s;
  }

  /**
   * Whether {@code state} (one array per state) has the sizes this model's states have; a state of
   * other sizes is never fed to it.
   */
  public boolean fits(float[][] state) {
    if (state == null || state.length != states.size()) {
      return false;
    }
    for (int i = 0; i < state.length; i++) {
      if (state[i] == null || state[i].length != states.get(i).elements()) {
        return false;
      }
    }
    return true;
  }

  @Override
  protected long[] exampleShape(TensorSpec spec) {
    if (spec.name().equals(input)) {
      return new long[] {step, features};
    }
    for (StateSpec s : states) {
      if (s.input().equals(spec.name())) {
        return s.example();
      }
    }
    return constantExample(spec);
  }

  /** A constant's shape per row: all axes but the batch axis, or all of a fixed shape. */
  private static long[] constantExample(TensorSpec spec) {
    long[] s = spec.shape();
    return s.length > 0 && s[0] == -1 ? Arrays.copyOfRange(s, 1, s.length) : s;
  }

  @Override
  protected Step prepare(Step in, int row, Map<String, Buffer> buffers) {
    if (in.readings().length != step) {
      throw new IllegalArgumentException(
          "a step takes " + step + " readings, got " + in.readings().length);
    }
    FloatBuffer x = (FloatBuffer) buffers.get(input);
    x.position(row * step * features);
    for (double[] r : in.readings()) {
      if (r.length != features) {
        throw new InferenceException(
            InferenceException.Reason.READING_FEATURES,
            model.card().id(),
            "reading has " + r.length + " values; the model takes " + features);
      }
      for (int f = 0; f < features; f++) {
        if (!Double.isFinite(r[f])) {
          throw new InferenceException(
              InferenceException.Reason.READING_NOT_FINITE,
              model.card().id(),
              "feature " + f + " of a reading is " + r[f]);
        }
        x.put((float) ((r[f] - mean[f]) / std[f]));
      }
    }
    float[][] state = in.state() == null ? initialState() : in.state();
    if (!fits(state)) {
      throw new IllegalArgumentException("state does not fit " + signature);
    }
    for (int i = 0; i < states.size(); i++) {
      FloatBuffer b = (FloatBuffer) buffers.get(states.get(i).input());
      b.position(row * state[i].length);
      b.put(state[i]);
    }
    constants.forEach(
        (name, values) -> {
          Buffer b = buffers.get(name);
          b.position(row * values.length);
          if (b instanceof FloatBuffer f) {
            f.put(values);
          } else if (b instanceof LongBuffer l) {
            for (float v : values) {
              l.put((long) v);
            }
          } else {
            for (float v : values) {
              ((java.nio.ByteBuffer) b).put((byte) v);
            }
          }
        });
    return in;
  }

  /**
   * Runs the rows: the readings and constants batch-major, each state moved to its batch axis;
   * gives per row its forecast values then each state's values, row after row.
   */
  @Override
  protected float[] infer(Map<String, Buffer> buffers, int rows, Object[] staged) {
    Map<String, ai.onnxruntime.OnnxTensor> tensors = new HashMap<>();
    try {
      for (TensorSpec spec : model.card().inputs()) {
        Buffer b = buffers.get(spec.name());
        StateSpec st = stateOf(spec.name());
        if (st != null) {
          float[] staging = new float[rows * st.elements()];
          ((FloatBuffer) b).duplicate().position(0).get(staging);
          long[] shape = st.shape().clone();
          shape[st.batchAxis()] = rows;
          FloatBuffer moved = OnnxModel.floatBuffer(staging.length);
          moved.put(toAxis(staging, st, rows)).flip();
          tensors.put(spec.name(), model.tensor(moved, shape));
          continue;
        }
        long[] example = exampleShape(spec);
        boolean batched = spec.shape()[0] == -1;
        int n = (batched ? rows : 1) * elements(example);
        long[] shape;
        if (batched) {
          shape = new long[example.length + 1];
          shape[0] = rows;
          System.arraycopy(example, 0, shape, 1, example.length);
        } else {
          shape = example;
        }
        b.position(0).limit(n);
        tensors.put(spec.name(), tensor(b, shape));
      }
      List<String> names = new ArrayList<>();
      names.add(out.output());
      states.forEach(s -> names.add(s.output()));
      Map<String, float[]> outs = model.run(tensors, names);
      float[] forecast = outs.get(out.output());
      int width = out.width();
      int per = width + states.stream().mapToInt(StateSpec::elements).sum();
      float[] rowMajor = new float[rows * per];
      for (int r = 0; r < rows; r++) {
        System.arraycopy(forecast, r * width, rowMajor, r * per, width);
      }
      int at = width;
      for (StateSpec s : states) {
        float[] v = outs.get(s.output());
        if (v.length != rows * s.elements()) {
          throw new InferenceException(
              InferenceException.Reason.RUNTIME,
              model.card().id(),
              "state output '"
                  + s.output()
                  + "' has "
                  + v.length
                  + " values for "
                  + rows
                  + " rows; the card's state takes "
                  + s.elements()
                  + " per row");
        }
        float[] byRow = fromAxis(v, s, rows);
        for (int r = 0; r < rows; r++) {
          System.arraycopy(byRow, r * s.elements(), rowMajor, r * per + at, s.elements());
        }
        at += s.elements();
      }
      return rowMajor;
    } finally {
      tensors.values().forEach(ai.onnxruntime.OnnxTensor::close);
    }
  }

  private ai.onnxruntime.OnnxTensor tensor(Buffer b, long[] shape) {
    if (b instanceof FloatBuffer f) {
      return model.tensor(f, shape);
    }
    if (b instanceof LongBuffer l) {
      return model.tensor(l, shape);
    }
    return model.tensor((java.nio.ByteBuffer) b, shape);
  }

  @Override
  protected Result finish(float[] output, int row, Step in) {
    int width = out.width();
    int per = width + states.stream().mapToInt(StateSpec::elements).sum();
    int base = row * per;
    double[][] steps = out.steps(output, base, mean, std, model.card().id());
    float[][] next = new float[states.size()][];
    int at = base + width;
    for (int i = 0; i < next.length; i++) {
      next[i] = Arrays.copyOfRange(output, at, at + states.get(i).elements());
      at += next[i].length;
    }
    return new Result(steps[0][0], steps, std[out.targets()[0]], residualStd, next);
  }

  /**
   * The result a step gave before, from its kept forecast values (no state): to emit a replayed
   * reading's forecast again.
   */
  public Result result(double[][] steps) {
    return new Result(steps[0][0], steps, std[out.targets()[0]], residualStd, null);
  }

  /** Row-major per row ({@code [rows][pre][post]}) → batch on the state's axis. */
  static float[] toAxis(float[] byRow, StateSpec s, int rows) {
    int pre = prefix(s);
    int post = s.elements() / pre;
    float[] out = new float[byRow.length];
    for (int b = 0; b < rows; b++) {
      for (int p = 0; p < pre; p++) {
        System.arraycopy(byRow, b * pre * post + p * post, out, p * rows * post + b * post, post);
      }
    }
    return out;
  }

  /** Batch on the state's axis → row-major per row. */
  static float[] fromAxis(float[] onAxis, StateSpec s, int rows) {
    int pre = prefix(s);
    int post = s.elements() / pre;
    float[] out = new float[onAxis.length];
    for (int b = 0; b < rows; b++) {
      for (int p = 0; p < pre; p++) {
        System.arraycopy(onAxis, p * rows * post + b * post, out, b * pre * post + p * post, post);
      }
    }
    return out;
  }

  private static int prefix(StateSpec s) {
    long n = 1;
    for (int i = 0; i < s.batchAxis(); i++) {
      n *= s.shape()[i];
    }
    return Math.toIntExact(n);
  }

  private StateSpec stateOf(String name) {
    for (StateSpec s : states) {
      if (s.input().equals(name)) {
        return s;
      }
    }
    return null;
  }

  private List<StateSpec> states(ModelCard card, JsonNode list) {
    if (!list.isArray() || list.isEmpty()) {
      throw fail("preprocessing.state must list the model's recurrent states");
    }
    List<StateSpec> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode n = list.get(i);
      String key = "preprocessing.state[" + i + "]";
      String in = text(n, "input");
      String outName = text(n, "output");
      TensorSpec a = card.input(in);
      TensorSpec b = card.output(outName);
      int axis = n.path("batch_axis").asInt(0);
      long[] shape = a.shape();
      if (axis < 0 || axis >= shape.length || shape[axis] != -1) {
        throw fail(
            key
                + ".batch_axis "
                + axis
                + " is not a dynamic axis of input '"
                + in
                + "' "
                + Arrays.toString(shape));
      }
      for (int d = 0; d < shape.length; d++) {
        if (d != axis && shape[d] <= 0) {
          throw fail(
              key
                  + ": input '"
                  + in
                  + "' has a dynamic axis besides the batch axis: "
                  + Arrays.toString(shape));
        }
      }
      if (!Arrays.equals(shape, b.shape())
          || !"float32".equals(a.dtype())
          || !"float32".equals(b.dtype())) {
        throw fail(
            key
                + ": input '"
                + in
                + "' "
                + a
                + " and output '"
                + outName
                + "' "
                + b
                + " must be float32 of the same shape (the output is the next step's input)");
      }
      double init = n.path("init").asDouble(0.0);
      out.add(new StateSpec(in, outName, axis, (float) init, shape));
    }
    return List.copyOf(out);
  }

  private void readVector(JsonNode v, double[] into, String key, boolean positive) {
    if (!v.isArray() || v.size() != into.length) {
      throw fail(key + " must list " + into.length + " numbers (one per feature)");
    }
    for (int i = 0; i < into.length; i++) {
      double d = v.get(i).asDouble(Double.NaN);
      if (!v.get(i).isNumber() || !Double.isFinite(d) || (positive && d <= 0)) {
        throw fail(
            key + "[" + i + "] must be a finite" + (positive ? " positive" : "") + " number");
      }
      into[i] = d;
    }
  }

  private String text(JsonNode n, String key) {
    JsonNode v = n.path(key);
    if (!v.isTextual() || v.asText().isEmpty()) {
      throw fail("key '" + key + "' missing or not a string");
    }
    return v.asText();
  }

  private int positive(JsonNode n, String key, int dflt) {
    JsonNode v = n.path(key);
    if (v.isMissingNode() && dflt > 0) {
      return dflt;
    }
    if (!v.isInt() || v.asInt() < 1) {
      throw fail("preprocessing." + key + " must be a positive integer");
    }
    return v.asInt();
  }

  private ModelLoadException fail(String message) {
    return new ModelLoadException(model.card().id() + ": " + message);
  }

  private static int elements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return Math.toIntExact(n);
  }
}
