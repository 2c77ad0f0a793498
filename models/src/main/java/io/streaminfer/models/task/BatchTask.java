package io.streaminfer.models.task;

import ai.onnxruntime.OnnxTensor;
import io.streaminfer.models.InferenceException;
import io.streaminfer.models.runtime.OnnxModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
public abstract class BatchTask<I, C, R> {
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
   * Preprocesses, runs and postprocesses {@code inputs}; outcomes come back in input order. Never
   * throws for one input or for the run: an input that cannot be preprocessed or postprocessed
   * fails alone, and a run that fails (ONNX Runtime, e.g. out of device memory) fails every row of
   * it with {@code RUNTIME}.
   */
  @SuppressWarnings("unchecked")
  public final BatchResult<R> run(List<I> inputs) {
    long start = System.nanoTime();
    Scratch s = scratch.get();
    Map<String, java.nio.Buffer> buffers = allocate(s, inputs.size());
    Outcome<R>[] outcomes = new Outcome[inputs.size()];
    int[] rowOf = new int[inputs.size()];
    Arrays.fill(rowOf, -1);
    List<C> contexts = new ArrayList<>(inputs.size());
    int rows = 0;
    float[] output = new float[0];
    for (int i = 0; i < inputs.size(); i++) {
      try {
        contexts.add(prepare(inputs.get(i), rows, buffers));
        rowOf[i] = rows++;
      } catch (RuntimeException e) {
        outcomes[i] = Outcome.failed(failure("preprocessing", e));
      }
    }
    if (rows > 0) {
      InferenceException failed = null;
      try {
        output = infer(buffers, rows);
      } catch (RuntimeException e) {
        failed = failure("inference", e);
      }
      for (int i = 0; i < inputs.size(); i++) {
        if (rowOf[i] < 0) {
          continue;
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
    long micros = (System.nanoTime() - start) / 1_000;
    return new BatchResult<>(List.of(outcomes), rows, micros, output);
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

  private float[] infer(Map<String, java.nio.Buffer> buffers, int rows) {
    Map<String, OnnxTensor> tensors = new HashMap<>();
    try {
      for (var spec : model.card().inputs()) {
        java.nio.Buffer b = buffers.get(spec.name());
        int n = rows * spec.elementsPerExample();
        long[] shape = spec.shapeForBatch(rows);
        OnnxTensor t =
            b instanceof java.nio.FloatBuffer f
                ? model.tensor(f.limit(n), shape)
                : model.tensor(((java.nio.LongBuffer) b).limit(n), shape);
        tensors.put(spec.name(), t);
      }
      return model.run(tensors);
    } finally {
      tensors.values().forEach(OnnxTensor::close); // tensors are ours; the buffers stay in Scratch
    }
  }

  private Map<String, java.nio.Buffer> allocate(Scratch s, int capacity) {
    Map<String, java.nio.Buffer> out = new HashMap<>();
    for (var spec : model.card().inputs()) {
      int n = capacity * spec.elementsPerExample();
      out.put(
          spec.name(),
          spec.dtype().equals("int64") ? s.longs(spec.name(), n) : s.floats(spec.name(), n));
    }
    return out;
  }

  /**
   * Writes {@code input} as row {@code row} of every input buffer (buffers are indexed by input
   * name; position them with {@code row * elementsPerExample}); throws {@link InferenceException}
   * when the input is invalid.
   */
  protected abstract C prepare(I input, int row, Map<String, java.nio.Buffer> buffers);

  /** Builds the result of row {@code row} from the model's (batch-major) first output. */
  protected abstract R finish(float[] output, int row, C context);
}
