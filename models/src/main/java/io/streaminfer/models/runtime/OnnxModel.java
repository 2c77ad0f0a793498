package io.streaminfer.models.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.streaminfer.models.InferenceException;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelCard;
import io.streaminfer.models.card.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;

/**
 * One ONNX Runtime session for one model version, shared by all stream threads ({@code
 * OrtSession.run} is thread-safe). At load the session's inputs and outputs are checked against the
 * card, so a model that disagrees with its card never serves.
 *
 * <p>Lifecycle: created by {@link #load}; the owner (the application's model registry) calls {@link
 * #close()} once, after every stream thread that uses it has stopped. Tensors passed to {@link
 * #run} stay owned by the caller.
 */
public final class OnnxModel implements AutoCloseable {
  private final ModelArtifact artifact;
  private final OrtEnvironment env;
  private final OrtSession session;
  private final String provider;

  private OnnxModel(
      ModelArtifact artifact, OrtEnvironment env, OrtSession session, String provider) {
    this.artifact = artifact;
    this.env = env;
    this.session = session;
    this.provider = provider;
  }

  /** Opens a session for a verified artifact; throws {@link ModelLoadException} naming it. */
  public static OnnxModel load(
      ModelArtifact artifact, RuntimeSettings settings, ProviderSelector selector) {
    ModelCard card = artifact.card();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(settings.intraOpThreads());
      options.setInterOpNumThreads(settings.interOpThreads());
      options.addConfigEntry("session.intra_op.allow_spinning", settings.spinning() ? "1" : "0");
      options.addConfigEntry("session.inter_op.allow_spinning", settings.spinning() ? "1" : "0");
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      String provider = selector.configure(options, settings.device(), card.id());
      OrtSession session = env.createSession(artifact.onnxFile().toString(), options);
      try {
        check(card, "input", card.inputs(), session.getInputInfo(), artifact);
        check(card, "output", card.outputs(), session.getOutputInfo(), artifact);
      } catch (RuntimeException e) {
        session.close();
        throw e;
      }
      return new OnnxModel(artifact, env, session, provider);
    } catch (OrtException e) {
      throw new ModelLoadException(
          card.id() + ": ONNX Runtime cannot open " + artifact.onnxFile() + ": " + e.getMessage(),
          e);
    }
  }

  private static void check(
      ModelCard card,
      String kind,
      List<TensorSpec> specs,
      Map<String, NodeInfo> actual,
      ModelArtifact a) {
    if (!actual
        .keySet()
        .equals(
            specs.stream().map(TensorSpec::name).collect(java.util.stream.Collectors.toSet()))) {
      throw new ModelLoadException(
          a.onnxFile() + " " + kind + "s " + actual.keySet() + " disagree with its card " + specs);
    }
    for (TensorSpec spec : specs) {
      TensorInfo info = (TensorInfo) actual.get(spec.name()).getInfo();
      OnnxJavaType want =
          switch (spec.dtype()) {
            case "int64" -> OnnxJavaType.INT64;
            case "uint8" -> OnnxJavaType.UINT8;
            default -> OnnxJavaType.FLOAT;
          };
      long[] shape = info.getShape();
      boolean same = info.type == want && shape.length == spec.shape().length;
      for (int i = 0; same && i < shape.length; i++) {
        long s = spec.shape()[i];
        same = s == -1 ? shape[i] == -1 : shape[i] == s;
      }
      if (!same) {
        throw new ModelLoadException(
            a.onnxFile()
                + " "
                + kind
                + " '"
                + spec.name()
                + "' is "
                + info.type
                + java.util.Arrays.toString(shape)
                + " but its card "
                + card.id()
                + " says "
                + spec);
      }
    }
  }

  /** The verified artifact (directory and card). */
  public ModelArtifact artifact() {
    return artifact;
  }

  /** The card. */
  public ModelCard card() {
    return artifact.card();
  }

  /** The execution provider actually in use, {@code CPU} or {@code CUDA:N}. */
  public String provider() {
    return provider;
  }

  /**
   * A direct, native-order float buffer of {@code n} elements (what tensors wrap without copying).
   */
  public static FloatBuffer floatBuffer(int n) {
    return ByteBuffer.allocateDirect(n * Float.BYTES)
        .order(ByteOrder.nativeOrder())
        .asFloatBuffer();
  }

  /** A direct, native-order long buffer of {@code n} elements. */
  public static LongBuffer longBuffer(int n) {
    return ByteBuffer.allocateDirect(n * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
  }

  /** Wraps a direct buffer as a tensor; the caller owns (and closes) the tensor. */
  public OnnxTensor tensor(FloatBuffer data, long[] shape) {
    try {
      return OnnxTensor.createTensor(env, data.rewind(), shape);
    } catch (OrtException e) {
      throw new InferenceException(
          InferenceException.Reason.RUNTIME, card().id(), "cannot create tensor", e);
    }
  }

  /** A direct byte buffer of {@code n} elements (uint8 inputs). */
  public static ByteBuffer byteBuffer(int n) {
    return ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder());
  }

  /** Wraps a direct buffer as a uint8 tensor; the caller owns (and closes) the tensor. */
  public OnnxTensor tensor(ByteBuffer data, long[] shape) {
    try {
      return OnnxTensor.createTensor(env, data.rewind(), shape, OnnxJavaType.UINT8);
    } catch (OrtException e) {
      throw new InferenceException(
          InferenceException.Reason.RUNTIME, card().id(), "cannot create tensor", e);
    }
  }

  /** Wraps a direct buffer as a tensor; the caller owns (and closes) the tensor. */
  public OnnxTensor tensor(LongBuffer data, long[] shape) {
    try {
      return OnnxTensor.createTensor(env, data.rewind(), shape);
    } catch (OrtException e) {
      throw new InferenceException(
          InferenceException.Reason.RUNTIME, card().id(), "cannot create tensor", e);
    }
  }

  /**
   * Runs the model and copies its first output out as floats (row-major). Input tensors stay owned
   * by the caller; the native result is closed here.
   */
  public float[] run(Map<String, OnnxTensor> inputs) {
    return run(inputs, card().outputs().get(0).name());
  }

  /**
   * Runs the model for its output {@code output} alone and copies it out as floats (row-major).
   * Input tensors stay owned by the caller; the native result is closed here.
   */
  public float[] run(Map<String, OnnxTensor> inputs, String output) {
    return run(inputs, java.util.List.of(output)).get(output);
  }

  /**
   * Runs the model for the outputs {@code outputs} and copies each out as floats (row-major), by
   * name. Input tensors stay owned by the caller; the native result is closed here.
   */
  public Map<String, float[]> run(Map<String, OnnxTensor> inputs, java.util.List<String> outputs) {
    try (OrtSession.Result result = session.run(inputs, new java.util.LinkedHashSet<>(outputs))) {
      Map<String, float[]> out = new java.util.LinkedHashMap<>();
      for (String name : outputs) {
        OnnxValue value =
            result
                .get(name)
                .orElseThrow(() -> new IllegalStateException("no output '" + name + "'"));
        FloatBuffer b = ((OnnxTensor) value).getFloatBuffer();
        float[] copy = new float[b.remaining()];
        b.get(copy);
        out.put(name, copy);
      }
      return out;
    } catch (OrtException | RuntimeException e) {
      throw new InferenceException(
          InferenceException.Reason.RUNTIME,
          card().id(),
          "ONNX Runtime failed: " + e.getMessage(),
          e);
    }
  }

  /**
   * Runs the model once on zeros, one example (other dynamic axes, such as a sequence, at 8), so
   * that the first event it serves does not pay for ONNX Runtime's first-run allocations; throws
   * {@link ModelLoadException} naming the file when the graph cannot run. Every tensor and the
   * result are closed here.
   */
  public void warmUp() {
    Map<String, OnnxTensor> inputs = new java.util.LinkedHashMap<>();
    try {
      for (var spec : card().inputs()) {
        long[] shape = spec.shape().clone();
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
          shape[i] = shape[i] >= 0 ? shape[i] : i == 0 ? 1 : 8;
          n *= shape[i];
        }
        int count = Math.toIntExact(n);
        OnnxTensor t =
            switch (spec.dtype()) {
              case "int64" -> tensor(longBuffer(count), shape);
              case "uint8" -> tensor(byteBuffer(count), shape);
              default -> tensor(floatBuffer(count), shape);
            };
        inputs.put(spec.name(), t);
      }
      try (OrtSession.Result ignored = session.run(inputs)) {
        // only the run matters
      }
    } catch (OrtException | RuntimeException e) {
      throw new ModelLoadException(
          card().id() + ": warm-up run of " + artifact.onnxFile() + " failed: " + e.getMessage(),
          e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  /** Closes the native session; safe to call twice. */
  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException | IllegalStateException e) {
      // already closed or closing at shutdown: nothing left to release
    }
  }
}
