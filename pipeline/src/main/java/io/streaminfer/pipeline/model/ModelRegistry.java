package io.streaminfer.pipeline.model;

import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.Device;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.runtime.ProviderSelector;
import io.streaminfer.models.runtime.RuntimeSettings;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.models.task.Forecaster;
import io.streaminfer.models.task.ImageClassifier;
import io.streaminfer.models.task.ImageGenerator;
import io.streaminfer.models.task.TextClassifier;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.dlq.RejectedEventException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every model version of the repository, loaded once with one ONNX Runtime session each, and the
 * task that serves it. Routes an event to its model: the configured default (pinned or newest
 * version), or the model a {@code model} header names ({@code name} or {@code name:version}) when
 * that model has the same task.
 *
 * <p>Owns the sessions: {@link #close()} closes them and must run only after every Kafka Streams
 * instance that uses them has been closed.
 */
public final class ModelRegistry implements AutoCloseable {
  /** Header that picks another model or version of the same task. */
  public static final String MODEL_HEADER = "model";

  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

  private final Map<String, BatchTask<?, ?, ?>> tasks = new LinkedHashMap<>(); // "name:version"
  private final Map<String, String> defaults = new LinkedHashMap<>(); // name → version
  private final List<OnnxModel> sessions = new ArrayList<>();

  private ModelRegistry() {}

  /** Verifies the repository and opens every model version in it. */
  public static ModelRegistry open(StreamInferConfig config) {
    RuntimeSettings settings = new RuntimeSettings(
        Device.parse(config.getString(StreamInferConfig.INFERENCE_DEVICE)),
        config.getInt(StreamInferConfig.INTRA_OP_THREADS),
        config.getInt(StreamInferConfig.INTER_OP_THREADS),
        config.getBoolean(StreamInferConfig.SPINNING));
    ModelRepository repo = ModelRepository.open(Path.of(config.getString(StreamInferConfig.MODELS_REPOSITORY)));
    ModelRegistry registry = new ModelRegistry();
    ProviderSelector selector = new ProviderSelector();
    try {
      for (ModelArtifact a : repo.all()) {
        OnnxModel m = OnnxModel.load(a, settings, selector);
        registry.sessions.add(m);
        registry.tasks.put(a.card().id(), taskFor(m));
      }
      for (String name : repo.names()) {
        registry.defaults.put(name, repo.select(name, config.pin(name)).card().version());
      }
      for (String served : config.servedModels()) {
        repo.select(served, config.pin(served)); // fails fast naming a missing model or version
      }
    } catch (RuntimeException e) {
      registry.close();
      throw e;
    }
    LOG.info("loaded models {} on {}", registry.tasks.keySet(),
        registry.sessions.isEmpty() ? "-" : registry.sessions.get(0).provider());
    return registry;
  }

  private static BatchTask<?, ?, ?> taskFor(OnnxModel m) {
    return switch (m.card().task()) {
      case IMAGE_CLASSIFICATION -> new ImageClassifier(m);
      case TEXT_CLASSIFICATION -> new TextClassifier(m);
      case TIME_SERIES_FORECAST -> new Forecaster(m);
      case IMAGE_GENERATION -> new ImageGenerator(m);
    };
  }

  /** The default version's task of {@code name} (pinned or newest). */
  public <T extends BatchTask<?, ?, ?>> T task(String name, Class<T> type) {
    return type.cast(tasks.get(name + ":" + defaults.get(name)));
  }

  /**
   * The task for an event: the one its {@code model} header names, else {@code defaultName}.
   * Throws {@link RejectedEventException} (UNKNOWN_MODEL, WRONG_TASK_MODEL) for a bad header.
   */
  public <T extends BatchTask<?, ?, ?>> T route(Headers headers, String defaultName, Class<T> type) {
    Header h = headers == null ? null : headers.lastHeader(MODEL_HEADER);
    if (h == null) {
      return task(defaultName, type);
    }
    String wanted = new String(h.value() == null ? new byte[0] : h.value(), StandardCharsets.UTF_8).trim();
    String name = wanted.contains(":") ? wanted.substring(0, wanted.indexOf(':')) : wanted;
    String version = wanted.contains(":") ? wanted.substring(wanted.indexOf(':') + 1) : defaults.get(name);
    BatchTask<?, ?, ?> t = tasks.get(name + ":" + version);
    if (t == null) {
      throw new RejectedEventException(ErrorCode.UNKNOWN_MODEL, "",
          "model header '" + wanted + "' names no loaded model (loaded: " + tasks.keySet() + ")");
    }
    if (!type.isInstance(t)) {
      Task task = t.model().card().task();
      throw new RejectedEventException(ErrorCode.WRONG_TASK_MODEL, t.model().card().id(),
          "model header '" + wanted + "' names a " + task.id() + " model, not one for this topic");
    }
    return type.cast(t);
  }

  /** The loaded sessions (for metrics and the provider report). */
  public List<OnnxModel> sessions() {
    return List.copyOf(sessions);
  }

  /** The execution provider in use ({@code CPU} or {@code CUDA:N}). */
  public Optional<String> provider() {
    return sessions.stream().map(OnnxModel::provider).findFirst();
  }

  /** Closes every session; call after the streams that use them are closed. */
  @Override
  public void close() {
    sessions.forEach(OnnxModel::close);
  }
}
