package io.streaminfer.pipeline.model;

import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.Device;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.runtime.ProviderSelector;
import io.streaminfer.models.runtime.RuntimeSettings;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.pipeline.config.ModelRef;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.RouteKeys;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.dlq.RejectedEventException;
import io.streaminfer.pipeline.topology.TaskFamily;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every model version of the repository, loaded once with one ONNX Runtime session each, and the
 * task that serves it (built by the card's {@link TaskFamily}). Routes an event to its model: the
 * route's default (the version it names, else the pinned or newest), or the model a {@code model}
 * header names ({@code name} or {@code name:version}) when that model has the same task.
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

  /**
   * Verifies the repository, opens every model version in it and checks every route's models: each
   * must be in the repository (the version it names, or {@code models.pin}'s) and of the route's
   * task. Fails with a {@link ConfigException} naming the route's key, or a {@link
   * io.streaminfer.models.ModelLoadException} naming the file.
   */
  public static ModelRegistry open(StreamInferConfig config) {
    RuntimeSettings settings =
        new RuntimeSettings(
            Device.parse(config.getString(StreamInferConfig.INFERENCE_DEVICE)),
            config.getInt(StreamInferConfig.INTRA_OP_THREADS),
            config.getInt(StreamInferConfig.INTER_OP_THREADS),
            config.getBoolean(StreamInferConfig.SPINNING));
    Path root = Path.of(config.getString(StreamInferConfig.MODELS_REPOSITORY));
    ModelRepository repo = ModelRepository.open(root);
    checkRoutes(config, repo, root);
    ModelRegistry registry = new ModelRegistry();
    ProviderSelector selector = new ProviderSelector();
    try {
      for (ModelArtifact a : repo.all()) {
        OnnxModel m = OnnxModel.load(a, settings, selector);
        registry.sessions.add(m);
        registry.tasks.put(a.card().id(), TaskFamily.of(a.card().task()).newTask(m));
      }
      for (String name : repo.names()) {
        registry.defaults.put(name, repo.select(name, config.pin(name)).card().version());
      }
      for (Route r : config.routes()) {
        List<BatchTask<?, ?, ?>> tasks = new ArrayList<>();
        r.models().forEach(m -> tasks.add(registry.task(m, BatchTask.class)));
        TaskFamily.of(r.task()).checkModels(r, tasks);
      }
    } catch (RuntimeException e) {
      registry.close();
      throw e;
    }
    LOG.info(
        "loaded models {} on {}",
        registry.tasks.keySet(),
        registry.sessions.isEmpty() ? "-" : registry.sessions.get(0).provider());
    return registry;
  }

  /** Every route's models exist (with the version asked for) and are of the route's task. */
  private static void checkRoutes(StreamInferConfig config, ModelRepository repo, Path root) {
    for (Route r : config.routes()) {
      String key = RouteKeys.key(r.name(), RouteKeys.MODELS);
      java.util.Set<String> resolved = new java.util.HashSet<>();
      for (ModelRef m : r.models()) {
        if (!repo.names().contains(m.name())) {
          throw new ConfigException(
              key,
              m.toString(),
              "route "
                  + r.name()
                  + " serves model '"
                  + m.name()
                  + "', which is not in the model repository "
                  + root
                  + " (it has "
                  + repo.names()
                  + ")");
        }
        Optional<String> version = m.version().isPresent() ? m.version() : config.pin(m.name());
        ModelArtifact a;
        try {
          a = repo.select(m.name(), version);
        } catch (io.streaminfer.models.ModelLoadException e) {
          throw new ConfigException(key, m.toString(), "route " + r.name() + ": " + e.getMessage());
        }
        if (!resolved.add(a.card().id())) {
          throw new ConfigException(
              key,
              m.toString(),
              "route "
                  + r.name()
                  + " names "
                  + a.card().id()
                  + " twice ("
                  + r.models()
                  + "); name each model version once");
        }
        Task task = a.card().task();
        if (task != r.task()) {
          throw new ConfigException(
              key,
              m.toString(),
              a.card().id()
                  + " is a "
                  + task.id()
                  + " model, but route "
                  + r.name()
                  + " is "
                  + r.task().id()
                  + " ("
                  + RouteKeys.key(r.name(), RouteKeys.TASK)
                  + ")");
        }
      }
    }
  }

  /** The task of model reference {@code ref} ({@code name}, or {@code name:version}). */
  public <T extends BatchTask<?, ?, ?>> T task(ModelRef ref, Class<T> type) {
    String version = ref.version().orElse(defaults.get(ref.name()));
    BatchTask<?, ?, ?> t = tasks.get(ref.name() + ":" + version);
    if (t == null) {
      throw new IllegalArgumentException(
          "model " + ref + " is not loaded (loaded: " + tasks.keySet() + ")");
    }
    return type.cast(t);
  }

  /** The task of {@code ref} given as text ({@code name} or {@code name:version}). */
  public <T extends BatchTask<?, ?, ?>> T task(String ref, Class<T> type) {
    return task(ModelRef.parse(ref), type);
  }

  /**
   * The task for an event: the one its {@code model} header names, else {@code defaultModel}.
   * Throws {@link RejectedEventException} (UNKNOWN_MODEL, WRONG_TASK_MODEL) for a bad header.
   */
  public <T extends BatchTask<?, ?, ?>> T route(
      Headers headers, ModelRef defaultModel, Class<T> type) {
    Header h = headers == null ? null : headers.lastHeader(MODEL_HEADER);
    if (h == null) {
      return task(defaultModel, type);
    }
    String wanted =
        new String(h.value() == null ? new byte[0] : h.value(), StandardCharsets.UTF_8).trim();
    String name = wanted.contains(":") ? wanted.substring(0, wanted.indexOf(':')) : wanted;
    String version =
        wanted.contains(":") ? wanted.substring(wanted.indexOf(':') + 1) : defaults.get(name);
    BatchTask<?, ?, ?> t = tasks.get(name + ":" + version);
    if (t == null) {
      throw new RejectedEventException(
          ErrorCode.UNKNOWN_MODEL,
          "",
          "model header '" + wanted + "' names no loaded model (loaded: " + tasks.keySet() + ")");
    }
    if (!type.isInstance(t)) {
      Task task = t.model().card().task();
      throw new RejectedEventException(
          ErrorCode.WRONG_TASK_MODEL,
          t.model().card().id(),
          "model header '" + wanted + "' names a " + task.id() + " model, not one for this route");
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
    tasks.values().forEach(BatchTask::close); // tokenizers, before the sessions
    sessions.forEach(OnnxModel::close);
  }
}
