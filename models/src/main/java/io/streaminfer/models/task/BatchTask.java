package io.streaminfer.models.task;

import ai.onnxruntime.OnnxTensor;
import io.streaminfer.models.InferenceException;
import io.streaminfer.models.card.TensorSpec;
import io.streaminfer.models.runtime.OnnxModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Runs a batch of raw inputs through one model: each input is preprocessed into its row of the
 * batch tensors (an input that cannot be preprocessed gets a failed {@link Outcome} and no row),
 * the valid rows run in one ONNX Runtime call, and each row is postprocessed. Thread-safe: the
 * input buffers are per thread and the shared session is thread-safe. Does not own the model.
 *
 * @param <I> raw input
 * @param <C> what preprocessing remembers for postprocessing (e.g. a window's mean and std)
 * @param <R> result
 */
public abstract class BatchTask<I, C, R> implements AutoCloseable {
  /** The model this task runs (owned by the application, not by the task). */
  protected final OnnxModel model;

  private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

  /** Creates a task over a loaded model. */
  protected BatchTask(OnnxModel model) {
    this.model = model;
  }

  /** The model this task runs. */
  public OnnxModel model() {
    return model;
  }

  /**
   * Releases what the task owns besides the model (a native tokenizer); nothing by default. The
   * model is the application's to close, after its tasks.
   */
  @Override
  public void close() {}

  /**
   * Preprocesses, runs and postprocesses {@code inputs}; outcomes come back in input order. Never
   * throws for one input or for the run: an input that cannot be preprocessed or postprocessed
   * fails alone, and a run that fails (ONNX Runtime, e.g. out of device memory) fails every row of
   * it with {@code RUNTIME}.
   */
  @SuppressWarnings("unchecked")
  public final BatchResult<R> run(List<I> inputs) {
    long start = System.nanoTime();
    Outcome<R>[] outcomes = new Outcome[inputs.size()];
    Object[] staged = stage(inputs, outcomes);
    List<int[]> groups = staged == null ? List.of() : groups(staged, outcomes);
    Part part;
    float[] output;
    int rows = 0;
    long runNanos = 0;
    if (groups.size() <= 1) {
      part = runPart(inputs, staged, outcomes);
      rows = part.rows;
      runNanos = part.runNanos;
      output = part.output;
    } else { // texts of similar length run together; each row's output kept in input order
      int[] groupOf = new int[inputs.size()];
      int[] localOf = new int[inputs.size()];
      Arrays.fill(groupOf, -1);
      Part[] parts = new Part[groups.size()];
      for (int g = 0; g < groups.size(); g++) {
        int[] idx = groups.get(g);
        List<I> in = new ArrayList<>(idx.length);
        Object[] st = new Object[idx.length];
        Outcome<R>[] out = new Outcome[idx.length];
        for (int k = 0; k < idx.length; k++) {
          in.add(inputs.get(idx[k]));
          st[k] = staged[idx[k]];
          groupOf[idx[k]] = g;
          localOf[idx[k]] = k;
        }
        parts[g] = runPart(in, st, out);
        for (int k = 0; k < idx.length; k++) {
          outcomes[idx[k]] = out[k];
        }
        rows += parts[g].rows;
        runNanos += parts[g].runNanos;
      }
      float[][] slices = new float[inputs.size()][];
      int total = 0;
      for (int i = 0; i < inputs.size(); i++) {
        Part pt = groupOf[i] < 0 ? null : parts[groupOf[i]];
        int row = pt == null ? -1 : pt.rowOf[localOf[i]];
        if (row >= 0 && pt.output.length > 0) {
          int width = pt.output.length / pt.rows;
          slices[i] = Arrays.copyOfRange(pt.output, row * width, (row + 1) * width);
          total += width;
        }
      }
      output = new float[total];
      int at = 0;
      for (float[] slice : slices) {
        if (slice != null) {
          System.arraycopy(slice, 0, output, at, slice.length);
          at += slice.length;
        }
      }
    }
    long micros = (System.nanoTime() - start) / 1_000;
    return new BatchResult<>(List.of(outcomes), rows, micros, runNanos / 1_000, output);
  }

  /**
   * What one model run of a batch (or of one length group of it) gave: its rows (valid ones and
   * rows left unused), each input's row or -1, the run's time and output.
   */
  private record Part(int rows, int[] rowOf, long runNanos, float[] output) {}

  /**
   * Preprocesses, runs and postprocesses {@code inputs} in one model run; {@code staged} their
   * staged forms (null without a stage), {@code outcomes} their staging failures, filled here.
   */
  private Part runPart(List<I> inputs, Object[] staged, Outcome<R>[] outcomes) {
    Scratch s = scratch.get();
    int[] rowOf = new int[inputs.size()];
    Arrays.fill(rowOf, -1);
    List<C> contexts = new ArrayList<>(inputs.size());
    int rows = 0;
    float[] output = new float[0];
    long runNanos = 0;
    // after staging: an example's shape may depend on the batch (texts padded to the longest)
    Map<String, java.nio.Buffer> buffers = allocate(s, inputs.size(), staged);
    int allocated;
    if (staged == null) {
      for (int i = 0; i < inputs.size(); i++) {
        try {
          contexts.add(prepare(inputs.get(i), rows, buffers));
          rowOf[i] = rows++;
        } catch (RuntimeException e) {
          outcomes[i] = Outcome.failed(failure("preprocessing", e));
        }
      }
      allocated = rows;
    } else {
      allocated = finishStaged(inputs, staged, outcomes, rowOf, buffers, contexts);
    }
    if (allocated > 0) {
      InferenceException failed = null;
      long ran = System.nanoTime();
      try {
        output = infer(buffers, allocated, staged);
      } catch (RuntimeException e) {
        failed = failure("inference", e);
      }
      runNanos = System.nanoTime() - ran;
      for (int i = 0; i < inputs.size(); i++) {
        if (rowOf[i] < 0) {
          continue; // no row, or a row left unused (its input failed after the row was given)
        }
        if (failed != null) { // the run failed: every row of it fails with it, none is lost
          outcomes[i] = Outcome.failed(failed);
          continue;
        }
        try {
          outcomes[i] = Outcome.ok(finish(output, rowOf[i], contexts.get(rowOf[i])));
        } catch (RuntimeException e) {
          outcomes[i] = Outcome.failed(failure("postprocessing", e));
        }
      }
    }
    return new Part(allocated, rowOf, runNanos, output);
  }

  /** The length groups of a staged batch ({@link #lengthGroups}); failed inputs in none. */
  private List<int[]> groups(Object[] staged, Outcome<R>[] outcomes) {
    int[] lengths = new int[staged.length];
    for (int i = 0; i < staged.length; i++) {
      lengths[i] = outcomes[i] == null ? groupLength(staged[i]) : 0;
    }
    return lengthGroups(lengths);
  }

  /**
   * Groups of the indices of {@code lengths} (0: in no group) that run together: shortest first,
   * cut where padding the next one's group to its length would make more than a fifth of the
   * group's tokens padding. Empty when fewer than two lengths are positive (nothing to group).
   */
  public static List<int[]> lengthGroups(int[] lengths) {
    List<int[]> out = new ArrayList<>();
    Integer[] order =
        IntStream.range(0, lengths.length)
            .filter(i -> lengths[i] > 0)
            .boxed()
            .toArray(Integer[]::new);
    if (order.length < 2) {
      return out;
    }
    Arrays.sort(order, (a, b) -> Integer.compare(lengths[a], lengths[b]));
    List<Integer> current = new ArrayList<>();
    long tokens = 0;
    for (int i : order) {
      int len = lengths[i];
      if (!current.isEmpty() && (long) (current.size() + 1) * len * 4 > (tokens + len) * 5) {
        out.add(current.stream().mapToInt(Integer::intValue).toArray());
        current.clear();
        tokens = 0;
      }
      current.add(i);
      tokens += len;
    }
    out.add(current.stream().mapToInt(Integer::intValue).toArray());
    return out;
  }

  /**
   * The length of a staged input that its batch pads to (a text's tokens), for running inputs of
   * similar length together; 0 (the default) when the task's inputs do not vary in length.
   */
  protected int groupLength(Object staged) {
    return 0;
  }

  /**
   * The parallel stage of preprocessing: {@link #stage(Object)} of every input on the common
   * fork-join pool (the calling thread takes part), a failure recorded in {@code outcomes}; null
   * when the task has no such stage.
   */
  private Object[] stage(List<I> inputs, Outcome<R>[] outcomes) {
    if (!parallelStage()) {
      return null;
    }
    Object[] staged = new Object[inputs.size()];
    IntStream.range(0, inputs.size())
        .parallel() // a one-input stream runs on the calling thread
        .forEach(
            i -> {
              try {
                staged[i] = stage(inputs.get(i));
              } catch (RuntimeException e) {
                outcomes[i] = Outcome.failed(failure("preprocessing", e));
              }
            });
    return staged;
  }

  /**
   * Gives each staged input its row, in input order, then writes the rows in parallel, each through
   * views of the batch buffers of its own (one position per thread); returns the rows given. An
   * input that fails here keeps its row, which runs unused: {@code rowOf} is -1 for it.
   */
  @SuppressWarnings("unchecked")
  private int finishStaged(
      List<I> inputs,
      Object[] staged,
      Outcome<R>[] outcomes,
      int[] rowOf,
      Map<String, java.nio.Buffer> buffers,
      List<C> contexts) {
    int rows = 0;
    for (int i = 0; i < inputs.size(); i++) {
      if (outcomes[i] == null) {
        rowOf[i] = rows++;
      }
    }
    Object[] byRow = new Object[rows];
    Map<String, Integer> perRow = new HashMap<>(); // values of one row, per input
    for (var spec : model.card().inputs()) {
      perRow.put(spec.name(), elements(exampleShape(spec, staged)));
    }
    IntStream.range(0, inputs.size())
        .parallel()
        .filter(i -> rowOf[i] >= 0)
        .forEach(
            i -> {
              // each row's own view of every buffer: its position the row's start, its limit the
              // row's end
              Map<String, java.nio.Buffer> views = new HashMap<>();
              for (var spec : model.card().inputs()) {
                int n = perRow.get(spec.name());
                views.put(
                    spec.name(),
                    buffers
                        .get(spec.name())
                        .duplicate()
                        .limit((rowOf[i] + 1) * n)
                        .position(rowOf[i] * n));
              }
              try {
                byRow[rowOf[i]] = prepare(inputs.get(i), staged[i], rowOf[i], views);
              } catch (RuntimeException e) {
                outcomes[i] = Outcome.failed(failure("preprocessing", e));
              }
            });
    for (int i = 0; i < inputs.size(); i++) {
      if (outcomes[i] != null) {
        rowOf[i] = -1;
      }
    }
    for (Object c : byRow) {
      contexts.add((C) c);
    }
    return rows;
  }

  /**
   * Whether {@link #stage(Object)} does the costly, independent part of preprocessing (decoding and
   * resizing an image), so that a batch's inputs are staged in parallel, and then their rows
   * written in parallel by {@link #prepare(Object, Object, int, Map)}.
   */
  protected boolean parallelStage() {
    return false;
  }

  /**
   * The costly part of preprocessing one input, thread-safe and free of the batch buffers; its
   * result goes to {@link #prepare(Object, Object, int, Map)}. Throws like {@code prepare}.
   */
  protected Object stage(I input) {
    throw new UnsupportedOperationException("no parallel stage");
  }

  /**
   * {@link #prepare(Object, int, Map)} from the result of {@link #stage(Object)}; called for
   * several rows at once from several threads, each with views of the buffers of its own whose
   * position is the row's start and whose limit is its end, so it writes its row from there and
   * touches no shared state.
   */
  protected C prepare(I input, Object staged, int row, Map<String, java.nio.Buffer> buffers) {
    return prepare(input, row, buffers);
  }

  /**
   * {@code e} as the failure of {@code stage}: itself when typed, else a RUNTIME failure naming the
   * model.
   */
  private InferenceException failure(String stage, RuntimeException e) {
    return e instanceof InferenceException i
        ? i
        : new InferenceException(
            InferenceException.Reason.RUNTIME, model.card().id(), stage + " failed: " + e, e);
  }

  /**
   * Runs the first {@code rows} rows of the input buffers and gives the output the task reads,
   * batch-major. A task whose inputs are not all batch-major, or that reads several outputs,
   * overrides this (and reads its own layout in {@link #finish}).
   */
  protected float[] infer(Map<String, java.nio.Buffer> buffers, int rows, Object[] staged) {
    Map<String, OnnxTensor> tensors = new HashMap<>();
    try {
      for (var spec : model.card().inputs()) {
        java.nio.Buffer b = buffers.get(spec.name());
        long[] example = exampleShape(spec, staged);
        int n = rows * elements(example);
        long[] shape = new long[example.length + 1];
        shape[0] = rows;
        System.arraycopy(example, 0, shape, 1, example.length);
        OnnxTensor t;
        if (b instanceof java.nio.FloatBuffer f) {
          t = model.tensor(f.limit(n), shape);
        } else if (b instanceof java.nio.LongBuffer l) {
          t = model.tensor(l.limit(n), shape);
        } else {
          t = model.tensor(((java.nio.ByteBuffer) b).limit(n), shape);
        }
        tensors.put(spec.name(), t);
      }
      List<String> names = outputNames();
      if (names.size() == 1) {
        return model.run(tensors, names.get(0));
      }
      return interleave(model.run(tensors, names), names, rows);
    } finally {
      tensors.values().forEach(OnnxTensor::close); // tensors are ours; the buffers stay in Scratch
    }
  }

  private Map<String, java.nio.Buffer> allocate(Scratch s, int capacity, Object[] staged) {
    Map<String, java.nio.Buffer> out = new HashMap<>();
    for (var spec : model.card().inputs()) {
      out.put(spec.name(), s.buffer(spec, capacity * elements(exampleShape(spec, staged))));
    }
    return out;
  }

  private static int elements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return Math.toIntExact(n);
  }

  /**
   * The shape of one example of input {@code spec} (all axes but the batch axis): the card's, or,
   * where the graph leaves an axis dynamic, what the task's preprocessing makes of it.
   */
  protected long[] exampleShape(TensorSpec spec) {
    return java.util.Arrays.copyOfRange(spec.shape(), 1, spec.shape().length);
  }

  /**
   * As {@link #exampleShape(TensorSpec)} for one batch, given what {@link #stage(Object)} made of
   * its inputs ({@code staged[i]} null where input i failed; {@code staged} null when the task has
   * no stage): a task padding each batch to its longest member overrides this.
   */
  protected long[] exampleShape(TensorSpec spec, Object[] staged) {
    return exampleShape(spec);
  }

  /** The output the task reads: the card's first unless the task names another. */
  protected String outputName() {
    return model.card().outputs().get(0).name();
  }

  /**
   * The outputs the task reads: {@link #outputName()} alone unless the task names several; then
   * {@link #finish} gets each row's values of every output one after the other, in this order.
   */
  protected List<String> outputNames() {
    return List.of(outputName());
  }

  /** Several batch-major outputs of {@code rows} rows as one: row by row, output after output. */
  private static float[] interleave(Map<String, float[]> outputs, List<String> names, int rows) {
    int total = 0;
    for (String n : names) {
      total += outputs.get(n).length;
    }
    float[] out = new float[total];
    int at = 0;
    for (int r = 0; r < rows; r++) {
      for (String n : names) {
        float[] o = outputs.get(n);
        int width = o.length / rows;
        System.arraycopy(o, r * width, out, at, width);
        at += width;
      }
    }
    return out;
  }

  /**
   * Writes {@code input} as row {@code row} of every input buffer (buffers are indexed by input
   * name; position them with {@code row * elementsPerExample}); throws {@link InferenceException}
   * when the input is invalid.
   */
  protected abstract C prepare(I input, int row, Map<String, java.nio.Buffer> buffers);

  /** Builds the result of row {@code row} from the model's (batch-major) output. */
  protected abstract R finish(float[] output, int row, C context);
}
