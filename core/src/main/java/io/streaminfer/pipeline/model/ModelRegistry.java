package io.streaminfer.pipeline.model;

import io.streaminfer.models.ModelLoadException;
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
import io.streaminfer.schemas.ModelControl;
import io.streaminfer.schemas.ModelVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every model version of the repository, loaded once with one ONNX Runtime session each, and the
 * task that serves it (built by the card's {@link TaskFamily}); and, per route, what the route
 * serves now ({@link Serving}): its configured default (the version it names, else the pinned or
 * newest) until a control record ({@link #apply}) asks for other versions. An event is served by
 * the route's serving (canary or primary by its key), or by the model a {@code model} header names
 * ({@code name} or {@code name:version}) when that model has the same task.
 *
 * <p>Versions a control record names are loaded, verified (sha256 against the record and the card,
 * card against the graph, task against the route) and warmed up by the caller's thread (the control
 * listener's, never a stream thread); a refused one changes nothing. A processor holds a {@link
 * Lease} for each batch; a version no route needs any more is closed once every lease taken before
 * it was dropped has been closed.
 *
 * <p>Owns the sessions: {@link #close()} closes them and must run only after every Kafka Streams
 * instance that uses them has been closed. Thread-safe.
 */
public final class ModelRegistry implements AutoCloseable {
  /** Header that picks another model or version of the same task. */
  public static final String MODEL_HEADER = "model";

  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

  private final Map<String, BatchTask<?, ?, ?>> tasks = new ConcurrentHashMap<>(); // "name:version"
  private final Map<String, String> defaults = new LinkedHashMap<>(); // name → version
  private final Map<String, OnnxModel> sessions = new ConcurrentHashMap<>(); // "name:version"
  private final Set<String> startup = ConcurrentHashMap.newKeySet(); // loaded at start, kept
  private final Map<String, Serving> serving = new ConcurrentHashMap<>(); // route → now
  private final Map<String, Route> routes = new LinkedHashMap<>();
  private final RuntimeSettings settings;
  private final ProviderSelector selector = new ProviderSelector();
  private final Path root;

  private volatile java.util.function.Function<String, Path> published; // kafka:<offset> → dir
  private volatile long processed = -1; // the last control offset read (applied or refused)
  private boolean closed; // guarded by this
  private final Object generations = new Object();
  private volatile Generation current = new Generation();
  private final ArrayDeque<Generation> sealed = new ArrayDeque<>(); // oldest first

  private ModelRegistry(RuntimeSettings settings, Path root) {
    this.settings = settings;
    this.root = root;
  }

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
    ModelRegistry registry = new ModelRegistry(settings, root);
    try {
      for (ModelArtifact a : repo.all()) {
        OnnxModel m = OnnxModel.load(a, settings, registry.selector);
        registry.sessions.put(a.card().id(), m);
        registry.startup.add(a.card().id());
        registry.tasks.put(a.card().id(), TaskFamily.of(a.card().task()).newTask(m));
      }
      for (String name : repo.names()) {
        registry.defaults.put(name, repo.select(name, config.pin(name)).card().version());
      }
      for (Route r : config.routes()) {
        List<BatchTask<?, ?, ?>> tasks = new ArrayList<>();
        r.models().forEach(m -> tasks.add(registry.task(m, BatchTask.class)));
        TaskFamily.of(r.task()).checkModels(r, tasks);
        registry.routes.put(r.name(), r);
        registry.serving.put(r.name(), Serving.configured(r.name(), tasks.get(0)));
      }
    } catch (RuntimeException e) {
      registry.close();
      throw e;
    }
    LOG.info("loaded models {} on {}", registry.tasks.keySet(), registry.provider().orElse("-"));
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
          "model " + ref + " is not loaded (loaded: " + loadedIds() + ")");
    }
    return type.cast(t);
  }

  /** The task of {@code ref} given as text ({@code name} or {@code name:version}). */
  public <T extends BatchTask<?, ?, ?>> T task(String ref, Class<T> type) {
    return task(ModelRef.parse(ref), type);
  }

  /**
   * The task for an event of a route serving {@code now}: the one its {@code model} header names,
   * else the serving's pick for the event's {@code key} (canary or primary). Throws {@link
   * RejectedEventException} (UNKNOWN_MODEL, WRONG_TASK_MODEL) for a bad header.
   */
  public <T extends BatchTask<?, ?, ?>> T route(
      Headers headers, byte[] key, Serving now, Class<T> type) {
    Header h = headers == null ? null : headers.lastHeader(MODEL_HEADER);
    if (h == null) {
      return type.cast(now.pick(key));
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
          "model header '" + wanted + "' names no loaded model (loaded: " + loadedIds() + ")");
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

  /**
   * Lets control records name versions published into Kafka ({@code kafka:<offset>}): {@code fetch}
   * returns the version directory of such an artifact (see {@link KafkaArtifacts#fetch}).
   */
  public void usePublishedArtifacts(java.util.function.Function<String, Path> fetch) {
    this.published = fetch;
  }

  /**
   * Notes that every control record up to {@code offset} has been read and applied or refused (by
   * the control listener, after each record).
   */
  public void processed(long offset) {
    processed = Math.max(processed, offset);
  }

  /** The last control offset read (applied or refused); -1 before any. */
  public long processedOffset() {
    return processed;
  }

  /**
   * Waits until the control record at {@code offset} has been read (applied or refused); false when
   * {@code timeout} passed first.
   */
  public boolean awaitProcessed(long offset, java.time.Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (processed < offset) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** What route {@code route} serves now. */
  public Serving serving(String route) {
    Serving s = serving.get(route);
    if (s == null) {
      throw new IllegalArgumentException(
          "no route " + route + " (routes: " + routes.keySet() + ")");
    }
    return s;
  }

  /**
   * Takes a lease on what route {@code route} serves now: the versions it names stay open until it
   * is closed. One per batch; close it in try-with-resources.
   */
  public Lease lease(String route) {
    while (true) {
      Generation g = current;
      g.users.incrementAndGet();
      if (g == current) {
        return new Lease(serving(route), g);
      }
      release(g); // a swap sealed it meanwhile: take the next
    }
  }

  /** A batch's hold on one route's serving; closing it lets retired versions close. */
  public final class Lease implements AutoCloseable {
    private final Serving serving;
    private Generation generation;

    private Lease(Serving serving, Generation generation) {
      this.serving = serving;
      this.generation = generation;
    }

    /** What the route served when the lease was taken. */
    public Serving serving() {
      return serving;
    }

    /** Safe to call twice. */
    @Override
    public void close() {
      if (generation != null) {
        Generation g = generation;
        generation = null;
        release(g);
      }
    }
  }

  /** Leases taken between two swaps, and what closes once none of them is held any more. */
  private static final class Generation {
    final AtomicInteger users = new AtomicInteger();
    final List<Runnable> onDrained = new ArrayList<>();
    volatile boolean isSealed;
  }

  private void release(Generation g) {
    if (g.users.decrementAndGet() == 0 && g.isSealed) {
      drain();
    }
  }

  /** Ends the current generation; {@code closers} run once it and every older one have drained. */
  private void retire(List<Runnable> closers) {
    synchronized (generations) {
      Generation old = current;
      old.onDrained.addAll(closers);
      old.isSealed = true;
      sealed.add(old);
      current = new Generation();
    }
    drain();
  }

  private void drain() {
    List<Runnable> run = new ArrayList<>();
    synchronized (generations) {
      while (!sealed.isEmpty() && sealed.peek().users.get() == 0) {
        run.addAll(sealed.poll().onDrained);
      }
    }
    run.forEach(ModelRegistry::runGuarded);
  }

  /** Runs one closer; a failure is logged, never thrown into a batch or the next closer. */
  private static void runGuarded(Runnable closer) {
    try {
      closer.run();
    } catch (RuntimeException e) {
      LOG.warn("closing a retired model version failed", e);
    }
  }

  /**
   * The answer to one control record of one route.
   *
   * @param route the route
   * @param applied whether the route now serves what the record asks
   * @param reason why not (naming the file or key); when applied, the versions only to be kept
   *     loaded that would not load and why; else empty
   * @param serving what the route serves after it
   */
  public record Outcome(String route, boolean applied, String reason, Serving serving) {}

  /**
   * Makes route {@code route} serve what control record {@code control} (at {@code offset} of the
   * control topic) asks, or — for a tombstone ({@code control} null) — its configured models. Loads
   * and warms the versions it names that are not loaded yet on the calling thread; when the serving
   * version, the canary or the shadow is refused (missing, tampered, another task, a graph that
   * disagrees with its card or will not run), closes what it loaded and changes nothing. A version
   * the record only keeps loaded (deployed, or the rollback target) that will not load is left out
   * and named in the outcome's reason. Versions no route needs any more are closed once the batches
   * using them end. Called by one thread at a time (the control listener).
   */
  public synchronized Outcome apply(String route, ModelControl control, long offset) {
    if (closed) {
      return refused(route, "the instance is closing", null);
    }
    try {
      return applyRecord(route, control, offset);
    } finally {
      processed(offset);
    }
  }

  private Outcome applyRecord(String route, ModelControl control, long offset) {
    Route r = routes.get(route);
    if (r == null) {
      return refused(
          route, "no route " + route + " on this instance (routes: " + routes.keySet() + ")", null);
    }
    Serving before = serving.get(route);
    TaskFamily family = TaskFamily.of(r.task());
    if (family.servesSeveralModels()) {
      return refused(
          route,
          "route "
              + route
              + " is a "
              + r.task().id()
              + " route: its models change at a restart ("
              + RouteKeys.key(route, RouteKeys.MODELS)
              + "), not through the control topic yet",
          before);
    }
    if (control == null) {
      Serving configured =
          new Serving(
              route, task(r.defaultModel(), BatchTask.class), null, 0, null, List.of(), offset);
      swap(route, configured, Map.of());
      return new Outcome(route, true, "", configured);
    }
    Map<String, BatchTask<?, ?, ?>> fresh = new LinkedHashMap<>(); // loaded by this record
    Serving next;
    List<String> left = new ArrayList<>(); // versions only kept warm need not load
    try {
      BatchTask<?, ?, ?> primary = obtain(r, control.getServing(), fresh);
      BatchTask<?, ?, ?> canary =
          control.getCanary() == null ? null : obtain(r, control.getCanary(), fresh);
      double share = control.getCanaryShare();
      if (canary != null && !(share > 0 && share <= 1)) {
        throw new ModelLoadException(
            "canary share " + share + " of route " + route + " is not in (0, 1]");
      }
      BatchTask<?, ?, ?> shadow =
          control.getShadow() == null ? null : obtain(r, control.getShadow(), fresh);
      List<String> loaded = new ArrayList<>();
      Map<String, ModelVersion> keep = new LinkedHashMap<>(); // by id, each once
      control.getLoaded().forEach(v -> keep.putIfAbsent(v.getName() + ":" + v.getVersion(), v));
      if (control.getPrevious() != null) { // warm, so that a rollback is instant
        keep.putIfAbsent(
            control.getPrevious().getName() + ":" + control.getPrevious().getVersion(),
            control.getPrevious());
      }
      for (ModelVersion v : keep.values()) {
        try {
          loaded.add(obtain(r, v, fresh).model().card().id());
        } catch (RuntimeException e) {
          left.add(v.getName() + ":" + v.getVersion() + " not loaded: " + e.getMessage());
        }
      }
      List<BatchTask<?, ?, ?>> check = new ArrayList<>(List.of(primary));
      if (canary != null) {
        check.add(canary);
      }
      if (shadow != null) {
        check.add(shadow);
      }
      for (BatchTask<?, ?, ?> t : check) {
        family.checkModels(r, List.of(t));
      }
      next = new Serving(route, primary, canary, share, shadow, loaded, offset);
    } catch (RuntimeException e) {
      fresh.values().forEach(ModelRegistry::closeTask);
      LOG.warn("route {}: control record at offset {} refused: {}", route, offset, e.getMessage());
      return refused(route, e.getMessage(), before);
    }
    swap(route, next, fresh); // published: from here on its versions serve, whatever follows
    left.forEach(l -> LOG.warn("route {}: control record at offset {}: {}", route, offset, l));
    return new Outcome(route, true, String.join("; ", left), next);
  }

  private static Outcome refused(String route, String reason, Serving before) {
    return new Outcome(route, false, reason == null ? "refused" : reason, before);
  }

  /** Publishes {@code next} for {@code route}, then retires the versions nothing needs. */
  private void swap(String route, Serving next, Map<String, BatchTask<?, ?, ?>> fresh) {
    fresh.forEach(
        (id, t) -> {
          sessions.put(id, t.model());
          tasks.put(id, t);
        });
    serving.put(route, next);
    Set<String> needed = new HashSet<>(startup);
    serving.values().forEach(s -> needed.addAll(s.ids()));
    List<Runnable> closers = new ArrayList<>();
    for (String id : List.copyOf(tasks.keySet())) {
      if (!needed.contains(id)) {
        BatchTask<?, ?, ?> t = tasks.remove(id);
        sessions.remove(id);
        LOG.info("{} is no longer served: closing it once the batches using it end", id);
        closers.add(() -> closeTask(t));
      }
    }
    retire(closers);
  }

  /**
   * The task of version {@code v} for route {@code r}: the loaded one when its sha256 is {@code
   * v}'s, else loaded from the artifact (into {@code fresh}), verified against {@code v}, the card
   * and the route's task, and warmed up.
   */
  private BatchTask<?, ?, ?> obtain(
      Route r, ModelVersion v, Map<String, BatchTask<?, ?, ?>> fresh) {
    ModelRef ref;
    try {
      ref = new ModelRef(v.getName(), Optional.of(v.getVersion()));
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException("control record names " + v.getName() + ": " + e.getMessage());
    }
    String id = ref.toString();
    BatchTask<?, ?, ?> t = fresh.containsKey(id) ? fresh.get(id) : tasks.get(id);
    if (t != null) {
      requireSha(v, t.model().artifact());
      requireTask(r, t.model().artifact());
      return t;
    }
    Path dir;
    if (v.getArtifact().isEmpty()) {
      dir = root.resolve(v.getName()).resolve(v.getVersion());
    } else if (v.getArtifact().startsWith(KafkaArtifacts.PREFIX)) {
      if (published == null) {
        throw new ModelLoadException(
            id
                + " is published into Kafka ("
                + v.getArtifact()
                + "), but this instance reads no"
                + " artifacts topic (topic.model.artifacts)");
      }
      dir = published.apply(v.getArtifact()); // fetched into the artifact cache
    } else {
      dir = root.resolve(v.getArtifact());
    }
    ModelArtifact a = ModelRepository.verify(dir); // the file against its card
    if (!a.card().id().equals(id)) {
      throw new ModelLoadException(dir + " holds " + a.card().id() + ", not " + id);
    }
    requireSha(v, a);
    requireTask(r, a);
    OnnxModel m = OnnxModel.load(a, settings, selector); // the card against the graph
    BatchTask<?, ?, ?> task;
    try {
      task = TaskFamily.of(a.card().task()).newTask(m);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
    fresh.put(id, task); // closed by apply should anything after this be refused
    m.warmUp();
    LOG.info("route {}: loaded and warmed {} from {}", r.name(), id, dir);
    return task;
  }

  private static void requireSha(ModelVersion v, ModelArtifact a) {
    if (!v.getSha256().equalsIgnoreCase(a.card().sha256())) {
      throw new ModelLoadException(
          a.onnxFile()
              + " has sha256 "
              + a.card().sha256()
              + " but the control record expects "
              + v.getSha256()
              + " (another or a replaced artifact)");
    }
  }

  private static void requireTask(Route r, ModelArtifact a) {
    if (a.card().task() != r.task()) {
      throw new ModelLoadException(
          a.directory().resolve("model.json")
              + " is a "
              + a.card().task().id()
              + " model, but route "
              + r.name()
              + " is "
              + r.task().id());
    }
  }

  private static void closeTask(BatchTask<?, ?, ?> t) {
    t.close(); // tokenizers, before the session
    t.model().close();
  }

  /** The loaded versions, {@code name:version}, sorted. */
  public List<String> loadedIds() {
    return tasks.keySet().stream().sorted().toList();
  }

  /** The loaded sessions (for metrics and the provider report). */
  public List<OnnxModel> sessions() {
    return List.copyOf(sessions.values());
  }

  /** The execution provider in use ({@code CPU} or {@code CUDA:N}). */
  public Optional<String> provider() {
    return sessions.values().stream().map(OnnxModel::provider).findFirst();
  }

  /** The routes this registry serves, by name. */
  public Set<String> routes() {
    return java.util.Collections.unmodifiableSet(routes.keySet());
  }

  /**
   * Closes every session; call after the streams that use them are closed. Waits for a control
   * record being applied; none is applied after.
   */
  @Override
  public synchronized void close() {
    closed = true;
    tasks.values().forEach(BatchTask::close); // tokenizers, before the sessions
    sessions.values().forEach(OnnxModel::close);
    List<Runnable> retired = new ArrayList<>(); // versions swapped out whose batches never ended
    synchronized (generations) {
      sealed.forEach(g -> retired.addAll(g.onDrained));
      sealed.clear();
    }
    retired.forEach(ModelRegistry::runGuarded);
  }
}
