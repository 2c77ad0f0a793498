package io.streaminfer.pipeline.config;

import io.streaminfer.models.card.Task;
import io.streaminfer.pipeline.topology.TaskFamily;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * StreamInfer's typed configuration: every key declared once (type, default, validator,
 * documentation) and parsed at start-up, failing fast with the key's name. Keys under {@code
 * kafka.} are handed to Kafka Streams and its clients unchanged (minus the prefix), so TLS and SASL
 * settings work. Sources, later winning: defaults, a properties file, {@code STREAMINFER_*}
 * environment variables ({@code STREAMINFER_INFERENCE_DEVICE=cuda} sets {@code inference.device},
 * {@code STREAMINFER_KAFKA_SECURITY_PROTOCOL} sets {@code kafka.security.protocol}), command-line
 * overrides. Immutable.
 */
public final class StreamInferConfig extends AbstractConfig {
  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String APPLICATION_ID = "application.id";
  public static final String PROCESSING_GUARANTEE = "processing.guarantee";
  public static final String NUM_STREAM_THREADS = "num.stream.threads";
  public static final String STATE_DIR = "state.dir";
  public static final String MODELS_REPOSITORY = "models.repository";
  public static final String MODELS_PIN = "models.pin";
  public static final String INFERENCE_DEVICE = "inference.device";
  public static final String INTRA_OP_THREADS = "inference.intra.op.threads";
  public static final String INTER_OP_THREADS = "inference.inter.op.threads";
  public static final String SPINNING = "inference.spinning";
  public static final String ANOMALY_Z = "anomaly.z.threshold";
  public static final String SENSOR_REPLAY_HISTORY = "sensor.replay.history";
  public static final String SENSOR_MAX_FUTURE_MS = "sensor.max.future.ms";
  public static final String MAX_SAMPLES = "generation.max.samples";
  public static final String TOP_K = "classification.top.k";
  public static final String IMAGE_MAX_BYTES = "image.max.bytes";
  public static final String IMAGE_MAX_DECODED_BYTES = "image.max.decoded.bytes";
  public static final String TEXT_MAX_CHARS = "text.max.chars";
  public static final String TOPIC_DEAD_LETTERS = "topic.dead.letters";
  public static final String TOPIC_MODEL_CONTROL = "topic.model.control";
  public static final String TOPIC_MODEL_STATUS = "topic.model.status";
  public static final String TOPIC_SHADOW_PREDICTIONS = "topic.shadow.predictions";
  public static final String TOPIC_MODEL_ARTIFACTS = "topic.model.artifacts";
  public static final String ARTIFACTS_DIR = "model.artifacts.dir";
  public static final String ARTIFACTS_MAX_BYTES = "model.artifacts.max.bytes";
  public static final String INSTANCE_ID = "instance.id";
  public static final String CONTROL_CATCHUP_MS = "model.control.catchup.ms";
  public static final String METRICS_PORT = "metrics.port";
  public static final String METRICS_HOST = "metrics.host";
  public static final String ROUTES = "routes";
  public static final String ISOLATION = "isolation";

  /** {@link #ISOLATION}: one Kafka Streams client for every route. */
  public static final String ISOLATION_SHARED = "shared";

  /** {@link #ISOLATION}: one Kafka Streams client per route. */
  public static final String ISOLATION_PER_ROUTE = "per-route";

  public static final String BATCH_MAX_SIZE = "batch.max.size";
  public static final String BATCH_MAX_DELAY_MS = "batch.max.delay.ms";

  /** Prefix of keys passed through to Kafka Streams and its clients. */
  public static final String KAFKA_PREFIX = "kafka.";

  /** Prefix of environment variables that override keys. */
  public static final String ENV_PREFIX = "STREAMINFER_";

  /** Every StreamInfer key, with its type, default, validator and documentation. */
  public static final ConfigDef CONFIG =
      new ConfigDef()
          .define(
              BOOTSTRAP_SERVERS,
              Type.LIST,
              "127.0.0.1:9092",
              Importance.HIGH,
              "Kafka bootstrap servers (host:port, comma-separated).")
          .define(
              APPLICATION_ID,
              Type.STRING,
              "streaminfer",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Kafka Streams application id; instances with the same id share the input partitions.")
          .define(
              PROCESSING_GUARANTEE,
              Type.STRING,
              StreamsConfig.EXACTLY_ONCE_V2,
              ConfigDef.ValidString.in(StreamsConfig.AT_LEAST_ONCE, StreamsConfig.EXACTLY_ONCE_V2),
              Importance.HIGH,
              "exactly_once_v2 (default: batch buffers, sensor windows, predictions and input offsets commit in one "
                  + "transaction; consumers of the outputs read with isolation.level=read_committed) or at_least_once "
                  + "(no transactions; after a crash some predictions are written twice, none lost). See docs/reliability.md.")
          .define(
              NUM_STREAM_THREADS,
              Type.INT,
              1,
              Range.atLeast(1),
              Importance.MEDIUM,
              "Stream threads per instance.")
          .define(
              STATE_DIR,
              Type.STRING,
              System.getProperty("java.io.tmpdir") + "/streaminfer-state",
              Importance.MEDIUM,
              "Directory of the local state stores (per-sensor windows).")
          .define(
              MODELS_REPOSITORY,
              Type.STRING,
              "models/repository",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Model repository root: <root>/<name>/<version>/{model.onnx, model.json}.")
          .define(
              MODELS_PIN,
              Type.LIST,
              "",
              Importance.MEDIUM,
              "Pinned versions as name:version pairs (e.g. digits-cnn:1); unpinned models use their newest version.")
          .define(
              INFERENCE_DEVICE,
              Type.STRING,
              "auto",
              Importance.HIGH,
              "auto (CUDA when it loads, else CPU with one warning), cpu, or cuda[:N] (fail when CUDA cannot load).")
          .define(
              INTRA_OP_THREADS,
              Type.INT,
              1,
              Range.atLeast(0),
              Importance.LOW,
              "ONNX Runtime threads inside one operator (0 = ONNX Runtime's choice).")
          .define(
              INTER_OP_THREADS,
              Type.INT,
              1,
              Range.atLeast(0),
              Importance.LOW,
              "ONNX Runtime threads across operators (0 = ONNX Runtime's choice).")
          .define(
              SPINNING,
              Type.BOOLEAN,
              false,
              Importance.LOW,
              "Let idle ONNX Runtime threads spin (lower latency, burns CPU; off for small machines).")
          .define(
              ANOMALY_Z,
              Type.DOUBLE,
              4.0,
              Range.atLeast(0.5),
              Importance.MEDIUM,
              "Default of routes.<name>.anomaly.z: alert when |actual - forecast| exceeds this many expected errors (window std x residual std).")
          .define(
              SENSOR_REPLAY_HISTORY,
              Type.INT,
              64,
              Range.between(0, 4096),
              Importance.LOW,
              "Default of routes.<name>.replay.history: readings kept per sensor beyond the longest window, so that readings read again after an "
                  + "at_least_once crash get their forecasts recomputed (unused under exactly_once_v2).")
          .define(
              SENSOR_MAX_FUTURE_MS,
              Type.LONG,
              3_600_000L,
              Range.between(0, 100L * 365 * 86_400_000),
              Importance.LOW,
              "Default of routes.<name>.max.future.ms: a reading whose event time lies more than this many "
                  + "milliseconds past the wall clock is refused (READING_TIME_SKEW) instead of becoming the "
                  + "sensor's last reading, which would refuse every later one as out of order. Readings "
                  + "from the past, also before 1970, are accepted in event-time order.")
          .define(
              MAX_SAMPLES,
              Type.INT,
              16,
              Range.between(1, 256),
              Importance.MEDIUM,
              "Default of routes.<name>.max.samples: most images one generation request may ask for; larger requests go to dead letters (SAMPLE_COUNT).")
          .define(
              TOP_K,
              Type.INT,
              3,
              Range.between(1, 100),
              Importance.LOW,
              "Default of routes.<name>.top.k: labels kept per classification.")
          .define(
              IMAGE_MAX_BYTES,
              Type.INT,
              768 << 10,
              Range.between(1, 64 << 20),
              Importance.MEDIUM,
              "Default of routes.<name>.max.bytes: largest accepted image payload in bytes; larger ones go to dead letters (PAYLOAD_TOO_LARGE). The "
                  + "default stays under Kafka's default 1 MiB record limit; raise both together.")
          .define(
              IMAGE_MAX_DECODED_BYTES,
              Type.LONG,
              64L << 20,
              Range.between(1, 1L << 40),
              Importance.MEDIUM,
              "Default of routes.<name>.max.decoded.bytes: most bytes a PNG/JPEG may decode to at"
                  + " full size (width x height x bands x bytes per sample), judged from its header"
                  + " before any pixel is decoded; larger ones go to dead letters (IMAGE_DIMENSIONS)."
                  + " Bounds the memory and time one image can cost (docs/operations.md).")
          .define(
              TEXT_MAX_CHARS,
              Type.INT,
              10_000,
              Range.between(1, 1 << 20),
              Importance.MEDIUM,
              "Default of routes.<name>.max.chars: longest accepted text in characters; longer ones go to dead letters (TEXT_TOO_LONG).")
          .define(
              TOPIC_DEAD_LETTERS,
              Type.STRING,
              "dead-letters",
              Importance.HIGH,
              "Where every input that cannot become a prediction goes, with its original bytes and typed reason headers.")
          .define(
              TOPIC_MODEL_CONTROL,
              Type.STRING,
              "model-control",
              Importance.HIGH,
              "Compacted topic (one partition) of the routes' desired models, written by `streaminfer model deploy|promote|canary|"
                  + "shadow|rollback|undeploy`; every instance reads it from the start and swaps models while serving. Created when "
                  + "missing. Empty: no run-time model changes (the routes serve what their configuration names).")
          .define(
              TOPIC_MODEL_STATUS,
              Type.STRING,
              "model-status",
              Importance.MEDIUM,
              "Compacted topic where each instance reports, per route, what it serves and what it refused (`streaminfer model "
                  + "status` prints it). Created when missing.")
          .define(
              TOPIC_SHADOW_PREDICTIONS,
              Type.STRING,
              "shadow-predictions",
              Importance.MEDIUM,
              "Where a shadow version's predictions go (the route's output record, header streaminfer.route naming the route); "
                  + "never to the route's own output.")
          .define(
              TOPIC_MODEL_ARTIFACTS,
              Type.STRING,
              "model-artifacts",
              Importance.MEDIUM,
              "Compacted topic (one partition) of model versions published into Kafka (`model deploy --publish`): their files"
                  + " in 512 KiB chunks and a manifest a control record names (artifact kafka:<offset>), so instances without a"
                  + " shared filesystem load byte-identical files. Created when missing.")
          .define(
              ARTIFACTS_DIR,
              Type.STRING,
              "",
              Importance.LOW,
              "Where an instance keeps the versions it fetched from the artifacts topic (<dir>/<sha256>/<name>/<version>/);"
                  + " empty: <state.dir>/model-artifacts.")
          .define(
              ARTIFACTS_MAX_BYTES,
              Type.LONG,
              2L * 1024 * 1024 * 1024,
              Range.atLeast(1),
              Importance.LOW,
              "Largest model version (all its files) that `model deploy --publish` writes and an instance fetches from the"
                  + " artifacts topic.")
          .define(
              INSTANCE_ID,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "This instance's name in the model-status topic; empty: the host name. Set it when one host runs several instances.")
          .define(
              CONTROL_CATCHUP_MS,
              Type.LONG,
              60_000L,
              Range.atLeast(1),
              Importance.LOW,
              "How long start-up may take to read the model-control topic to its end and load the versions it names, before "
                  + "the streams start (so a new or restarted instance serves what its peers serve from its first batch).")
          .define(
              BATCH_MAX_SIZE,
              Type.INT,
              32,
              Range.between(1, 1024),
              Importance.HIGH,
              "Default of routes.<name>.batch.max.size: most events per model run (1 = per-record inference). A batch runs when full or when its oldest event has waited batch.max.delay.ms.")
          .define(
              BATCH_MAX_DELAY_MS,
              Type.LONG,
              5L,
              Range.between(0, 3_600_000),
              Importance.HIGH,
              "Default of routes.<name>.batch.max.delay.ms: how long a buffered event waits for its batch to fill, in milliseconds; checked every half delay, between polls (poll.ms follows the shortest delay unless kafka.poll.ms is set), so a partial batch runs within about 1.5 x this plus a poll.")
          .define(
              METRICS_PORT,
              Type.INT,
              0,
              Range.between(0, 65535),
              Importance.LOW,
              "Port of the Prometheus /metrics and the /health/live, /health/ready endpoints (0 = off).")
          .define(
              METRICS_HOST,
              Type.STRING,
              "127.0.0.1",
              Importance.LOW,
              "Address the metrics.port endpoints listen on: loopback by default; 0.0.0.0 in a container whose"
                  + " port only a scraper on its network reaches (docker-compose's monitoring profile).")
          .define(
              ROUTES,
              Type.LIST,
              RouteKeys.DEFAULT_ROUTES,
              Importance.HIGH,
              "The served routes, by name; each is declared by its routes.<name>.* keys (input, task, models, output, "
                  + "...). The defaults images, texts, sensors and generation serve the bundled models; setting this "
                  + "replaces them (name a default route to keep it).")
          .define(
              ISOLATION,
              Type.STRING,
              ISOLATION_SHARED,
              ValidString.in(ISOLATION_SHARED, ISOLATION_PER_ROUTE),
              Importance.MEDIUM,
              "shared: one Kafka Streams client (application.id) runs every route on num.stream.threads threads, so a "
                  + "slow route delays the others; per-route: one client per route (application.id-<route>: its own "
                  + "consumer group, threads, transactions and changelogs), so a slow route holds up only itself. "
                  + "See docs/architecture.md (Routes at run time).");

  private final List<Route> routes;

  private StreamInferConfig(ConfigDef definition, Map<String, ?> props, List<String> routeNames) {
    super(definition, props, false);
    List<Route> parsed = new ArrayList<>();
    for (String name : routeNames) {
      parsed.add(parseRoute(name));
    }
    this.routes = List.copyOf(parsed);
  }

  /**
   * Parses and validates {@code props}; unknown non-{@code kafka.} keys are rejected by name, and
   * so is a route key of a route not in {@code routes} or of another task family.
   */
  public static StreamInferConfig of(Map<String, ?> props) {
    List<String> routeNames = routeNames(props.get(ROUTES));
    ConfigDef definition = new ConfigDef(CONFIG);
    Map<String, Set<String>> keysOf = new LinkedHashMap<>();
    Map<String, Task> tasks = new HashMap<>();
    for (String name : routeNames) {
      Task task = RouteKeys.taskOf(name, props.get(RouteKeys.key(name, RouteKeys.TASK)));
      Set<String> keys = routeKeys(task);
      keysOf.put(name, keys);
      tasks.put(name, task);
      RouteKeys.definition(name, task, keys).configKeys().values().forEach(definition::define);
    }
    for (String key : props.keySet()) {
      if (definition.names().contains(key) || key.startsWith(KAFKA_PREFIX)) {
        continue;
      }
      if (key.startsWith(RouteKeys.PREFIX)) {
        throw unknownRouteKey(key, keysOf, tasks);
      }
      throw new ConfigException(
          "unknown configuration key '"
              + key
              + "' (StreamInfer keys: "
              + new TreeSet<>(CONFIG.names())
              + ", routes.<name>.*; Kafka client settings go under 'kafka.')");
    }
    StreamInferConfig c = new StreamInferConfig(definition, props, routeNames);
    c.check();
    return c;
  }

  /**
   * The route keys a route of {@code task} reads: the common ones, its family's outputs and limits.
   */
  private static Set<String> routeKeys(Task task) {
    TaskFamily family = TaskFamily.of(task);
    Set<String> keys = new LinkedHashSet<>(RouteKeys.COMMON);
    keys.addAll(family.outputs().keySet());
    keys.addAll(family.routeKeys());
    return keys;
  }

  private static List<String> routeNames(Object value) {
    List<?> raw =
        (List<?>)
            ConfigDef.parseType(
                ROUTES, value == null ? RouteKeys.DEFAULT_ROUTES : value, Type.LIST);
    List<String> names = new ArrayList<>();
    for (Object o : raw) {
      String name = o.toString().trim();
      if (!name.matches(RouteKeys.NAME_PATTERN)) {
        throw new ConfigException(
            ROUTES,
            value,
            "route name '"
                + name
                + "' must match "
                + RouteKeys.NAME_PATTERN
                + " (it names the route's stores and their changelog topics)");
      }
      if (names.contains(name)) {
        throw new ConfigException(ROUTES, value, "route '" + name + "' is declared twice");
      }
      names.add(name);
    }
    if (names.isEmpty()) {
      throw new ConfigException(ROUTES, value, "needs at least one route");
    }
    return names;
  }

  private static ConfigException unknownRouteKey(
      String key, Map<String, Set<String>> keysOf, Map<String, Task> tasks) {
    for (var e : keysOf.entrySet()) {
      String prefix = RouteKeys.PREFIX + e.getKey() + ".";
      if (key.startsWith(prefix)) {
        return new ConfigException(
            "unknown route key '"
                + key
                + "': route "
                + e.getKey()
                + " ("
                + tasks.get(e.getKey()).id()
                + ") reads "
                + e.getValue().stream().map(k -> prefix + k).toList());
      }
    }
    String route = key.substring(RouteKeys.PREFIX.length()).split("\\.", 2)[0];
    return new ConfigException(
        "route key '"
            + key
            + "' belongs to route '"
            + route
            + "', which is not in "
            + ROUTES
            + "="
            + String.join(",", keysOf.keySet())
            + " (add it there to serve it)");
  }

  private Route parseRoute(String name) {
    Task task = Task.fromId(getString(RouteKeys.key(name, RouteKeys.TASK)).trim());
    TaskFamily family = TaskFamily.of(task);
    List<ModelRef> models = new ArrayList<>();
    String modelsKey = RouteKeys.key(name, RouteKeys.MODELS);
    for (String m : getList(modelsKey)) {
      models.add(modelRef(modelsKey, m));
    }
    if (models.isEmpty()) {
      throw new ConfigException(modelsKey, "", "route " + name + " needs at least one model");
    }
    if (new java.util.HashSet<>(models).size() < models.size()) {
      throw new ConfigException(
          modelsKey,
          getList(modelsKey),
          "names a model twice (each would forecast every reading again)");
    }
    if (models.size() > 1 && !family.servesSeveralModels()) {
      throw new ConfigException(
          modelsKey,
          getList(modelsKey),
          "a "
              + task.id()
              + " route serves one model "
              + "(a model header picks another of the same task); declare another route to serve a second one");
    }
    Map<String, String> outputs = new LinkedHashMap<>();
    for (String role : family.outputs().keySet()) {
      outputs.put(role, getString(RouteKeys.key(name, role)).trim());
    }
    Optional<ModelRef> anomalyModel = Optional.empty();
    if (family.routeKeys().contains(RouteKeys.ANOMALY_MODEL)) {
      String key = RouteKeys.key(name, RouteKeys.ANOMALY_MODEL);
      ModelRef a = getString(key) == null ? models.get(0) : modelRef(key, getString(key));
      boolean unset = getString(key) == null; // the default: the route's first model, as written
      // the route's model it names: the same reference, or (without a version) the one of that name
      List<ModelRef> matches =
          models.stream()
              .filter(
                  m -> unset || a.version().isPresent() ? m.equals(a) : m.name().equals(a.name()))
              .toList();
      if (matches.isEmpty()) {
        throw new ConfigException(key, a.toString(), "must be one of " + modelsKey + " " + models);
      }
      if (matches.size() > 1) {
        throw new ConfigException(
            key, a.toString(), "matches " + matches + " of " + modelsKey + "; name its version");
      }
      anomalyModel = Optional.of(matches.get(0));
    }
    Route.Limits limits =
        new Route.Limits(
            orGlobal(name, RouteKeys.TOP_K, TOP_K),
            orGlobal(name, RouteKeys.MAX_BYTES, IMAGE_MAX_BYTES),
            this.<Long>orGlobal(name, RouteKeys.MAX_DECODED_BYTES, IMAGE_MAX_DECODED_BYTES),
            orGlobal(name, RouteKeys.MAX_CHARS, TEXT_MAX_CHARS),
            orGlobal(name, RouteKeys.MAX_SAMPLES, MAX_SAMPLES),
            anomalyModel,
            orGlobal(name, RouteKeys.ANOMALY_Z, ANOMALY_Z),
            orGlobal(name, RouteKeys.REPLAY_HISTORY, SENSOR_REPLAY_HISTORY),
            this.<Long>orGlobal(name, RouteKeys.MAX_FUTURE_MS, SENSOR_MAX_FUTURE_MS));
    return new Route(
        name,
        getString(RouteKeys.key(name, RouteKeys.INPUT)).trim(),
        task,
        models,
        outputs,
        orGlobal(name, RouteKeys.BATCH_MAX_SIZE, BATCH_MAX_SIZE),
        Duration.ofMillis(
            this.<Long>orGlobal(name, RouteKeys.BATCH_MAX_DELAY_MS, BATCH_MAX_DELAY_MS)),
        limits);
  }

  private static ModelRef modelRef(String key, String text) {
    try {
      return ModelRef.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          key, text, e.getMessage() + " (expected name or name:version, e.g. digits-cnn:1)");
    }
  }

  /** The route's value of {@code routeKey} when it reads and sets it, else the global key's. */
  @SuppressWarnings("unchecked")
  private <T> T orGlobal(String route, String routeKey, String globalKey) {
    String full = RouteKeys.key(route, routeKey);
    Object own = values().get(full);
    return (T) (own != null ? own : get(globalKey));
  }

  /** Layers file properties, then {@code STREAMINFER_*} environment, then overrides. */
  public static StreamInferConfig load(
      Properties file, Map<String, String> env, Map<String, String> overrides) {
    Map<String, Object> merged = new HashMap<>();
    file.forEach((k, v) -> merged.put(k.toString(), v));
    merged.putAll(fromEnvironment(env));
    merged.putAll(overrides);
    return of(merged);
  }

  /**
   * Maps {@code STREAMINFER_A_B_C} to the declared key {@code a.b.c}, {@code
   * STREAMINFER_ROUTES_<NAME>_<KEY>} to {@code routes.<name>.<key>} (a {@code _} in the name stands
   * for its {@code -}), and {@code STREAMINFER_KAFKA_A_B} to {@code kafka.a.b}.
   */
  public static Map<String, String> fromEnvironment(Map<String, String> env) {
    Map<String, String> out = new HashMap<>();
    Map<String, String> byEnvName = new HashMap<>();
    for (String key : CONFIG.names()) {
      byEnvName.put(envName(key), key);
    }
    String routesPrefix = envName(RouteKeys.PREFIX);
    env.forEach(
        (name, value) -> {
          if (!name.startsWith(ENV_PREFIX)) {
            return;
          }
          String key = byEnvName.get(name);
          if (key == null && name.startsWith(routesPrefix)) {
            key = routeKeyOf(name.substring(routesPrefix.length()));
          }
          if (key == null && name.startsWith(ENV_PREFIX + "KAFKA_")) {
            key = name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
          }
          if (key == null) {
            throw new ConfigException(
                "unknown environment override "
                    + name
                    + " (expected STREAMINFER_ + a key in upper case with _ for ., e.g. "
                    + envName(INFERENCE_DEVICE)
                    + " or "
                    + routesPrefix
                    + "IMAGES_"
                    + "INPUT)");
          }
          out.put(key, value);
        });
    return out;
  }

  /**
   * {@code routes.<name>.<key>} for the tail {@code <NAME>_<KEY>} of a route's environment name, or
   * null.
   */
  private static String routeKeyOf(String tail) {
    String best = null;
    for (String k : RouteKeys.TEMPLATE.names()) {
      String suffix = "_" + k.toUpperCase(Locale.ROOT).replace('.', '_');
      if (tail.endsWith(suffix)
          && tail.length() > suffix.length()
          && (best == null || k.length() > best.length())) {
        best = k;
      }
    }
    if (best == null) {
      return null;
    }
    String route =
        tail.substring(0, tail.length() - best.length() - 1)
            .toLowerCase(Locale.ROOT)
            .replace('_', '-');
    return RouteKeys.key(route, best);
  }

  /** The environment variable that overrides {@code key}. */
  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private void check() {
    pins = parsePins();
    batchTimeBudget = computeBatchTimeBudget();
    try {
      io.streaminfer.models.runtime.Device.parse(getString(INFERENCE_DEVICE));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(INFERENCE_DEVICE, getString(INFERENCE_DEVICE), e.getMessage());
    }
    checkTopics();
  }

  /**
   * Topics: no route reads an output or the dead letters, no route writes an input or the dead
   * letters, and routes writing one topic write the same schema.
   */
  private void checkTopics() {
    String deadLetters = getString(TOPIC_DEAD_LETTERS);
    Map<String, String> writer = new HashMap<>(); // topic → route key that writes it
    Map<String, Class<?>> schema = new HashMap<>();
    for (Route r : routes) {
      String inKey = RouteKeys.key(r.name(), RouteKeys.INPUT);
      if (r.input().equals(deadLetters)) {
        throw new ConfigException(
            inKey, r.input(), "is the dead-letter topic (" + TOPIC_DEAD_LETTERS + ")");
      }
      for (var o : r.outputs().entrySet()) {
        String key = RouteKeys.key(r.name(), o.getKey());
        Class<?> type = TaskFamily.of(r.task()).outputs().get(o.getKey());
        if (o.getValue().equals(deadLetters)) {
          throw new ConfigException(
              key, o.getValue(), "is the dead-letter topic (" + TOPIC_DEAD_LETTERS + ")");
        }
        Class<?> before = schema.putIfAbsent(o.getValue(), type);
        if (before != null && before != type) {
          throw new ConfigException(
              key,
              o.getValue(),
              "is also written by "
                  + writer.get(o.getValue())
                  + " with another schema ("
                  + before.getSimpleName()
                  + ", here "
                  + type.getSimpleName()
                  + "); give each its own topic");
        }
        writer.putIfAbsent(o.getValue(), key);
      }
    }
    for (Route r : routes) {
      if (writer.containsKey(r.input())) {
        throw new ConfigException(
            RouteKeys.key(r.name(), RouteKeys.INPUT),
            r.input(),
            "is an output topic ("
                + writer.get(r.input())
                + "); a route must not read predictions back");
      }
    }
  }

  private Map<String, String> pins;

  private Map<String, String> parsePins() {
    Map<String, String> out = new HashMap<>();
    for (String pin : getList(MODELS_PIN)) {
      String[] p = pin.split(":");
      if (p.length != 2 || p[0].isBlank() || !p[1].trim().matches("[0-9]+")) {
        throw new ConfigException(MODELS_PIN, pin, "expected name:version, e.g. digits-cnn:1");
      }
      out.put(p[0].trim(), p[1].trim());
    }
    return Map.copyOf(out);
  }

  /** Pinned versions, model name → version. */
  public Map<String, String> pins() {
    return pins;
  }

  /** The pinned version of {@code model}, if any. */
  public Optional<String> pin(String model) {
    return Optional.ofNullable(pins.get(model));
  }

  /** The declared routes, in declaration order. */
  public List<Route> routes() {
    return routes;
  }

  /** The route named {@code name}; throws naming the declared ones. */
  public Route route(String name) {
    return routes.stream()
        .filter(r -> r.name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "no route "
                        + name
                        + " (routes: "
                        + routes.stream().map(Route::name).toList()
                        + ")"));
  }

  /** The shortest delay of any route that batches (size above 1), if one does. */
  public Optional<Long> shortestBatchDelayMs() {
    return shortestBatchDelayMs(routes);
  }

  /** The shortest delay of those of {@code routes} that batch (size above 1), if one does. */
  static Optional<Long> shortestBatchDelayMs(List<Route> routes) {
    return routes.stream()
        .filter(r -> r.batchMaxSize() > 1)
        .map(r -> r.batchMaxDelay().toMillis())
        .min(Long::compare);
  }

  /** This instance's name on the model-status topic: {@code instance.id}, else the host name. */
  public String instanceId() {
    String id = getString(INSTANCE_ID).trim();
    if (!id.isEmpty()) {
      return id;
    }
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }

  /** Where fetched artifacts are kept: {@code model.artifacts.dir}, else under the state dir. */
  public java.nio.file.Path artifactsDir() {
    String d = getString(ARTIFACTS_DIR).trim();
    return d.isEmpty()
        ? java.nio.file.Path.of(getString(STATE_DIR)).resolve("model-artifacts")
        : java.nio.file.Path.of(d);
  }

  /** Whether models change at run time (a control topic is named). */
  public boolean modelControl() {
    return !getString(TOPIC_MODEL_CONTROL).isBlank();
  }

  /** Plain Kafka client properties: every {@code kafka.*} key plus the bootstrap servers. */
  public Properties clientProperties() {
    Properties p = new Properties();
    p.putAll(originalsWithPrefix(KAFKA_PREFIX));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", getList(BOOTSTRAP_SERVERS)));
    return p;
  }

  /**
   * {@link #clientProperties()} less the keys a plain consumer does not take (Kafka Streams' own,
   * such as {@code group.protocol=streams}, which a consumer refuses).
   */
  public Properties consumerProperties() {
    return forConsumer(clientProperties());
  }

  /**
   * A plain consumer's share of {@code client}: the consumer's keys only, without Kafka Streams'
   * {@code group.protocol=streams} (a Streams group protocol that plain consumers refuse).
   */
  public static Properties forConsumer(Properties client) {
    Properties p = only(client, org.apache.kafka.clients.consumer.ConsumerConfig.configNames());
    Object protocol = p.get(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_PROTOCOL_CONFIG);
    if (protocol != null && protocol.toString().equalsIgnoreCase("streams")) {
      p.remove(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_PROTOCOL_CONFIG);
    }
    return p;
  }

  /** {@link #clientProperties()} less the keys a plain producer does not take. */
  public Properties producerProperties() {
    return only(org.apache.kafka.clients.producer.ProducerConfig.configNames());
  }

  /** {@link #clientProperties()} less the keys an admin client does not take. */
  public Properties adminProperties() {
    return only(org.apache.kafka.clients.admin.AdminClientConfig.configNames());
  }

  private Properties only(java.util.Set<String> names) {
    return only(clientProperties(), names);
  }

  /** A copy of {@code client} with only the keys in {@code names} (a client's configNames()). */
  public static Properties only(Properties client, java.util.Set<String> names) {
    Properties p = new Properties();
    client.forEach(
        (k, v) -> {
          if (names.contains(k.toString())) {
            p.put(k, v);
          }
        });
    return p;
  }

  /**
   * The Kafka Streams clients this configuration runs, each with the routes it serves: one client
   * named by {@code application.id} for every route ({@code isolation=shared}), or one per route,
   * named {@code <application.id>-<route>} ({@code per-route}).
   */
  public Map<String, List<Route>> instances() {
    Map<String, List<Route>> out = new LinkedHashMap<>();
    String id = getString(APPLICATION_ID);
    if (ISOLATION_SHARED.equals(getString(ISOLATION))) {
      out.put(id, routes);
    } else {
      routes.forEach(r -> out.put(id + "-" + r.name(), List.of(r)));
    }
    return out;
  }

  /** Kafka Streams properties: ours mapped to Streams keys, plus every {@code kafka.*} key. */
  public Properties streamsProperties() {
    return streamsProperties(routes);
  }

  /**
   * Kafka Streams properties of a client serving {@code routes} (some of this configuration's): its
   * {@code poll.ms} follows the shortest batch delay among them.
   */
  public Properties streamsProperties(List<Route> routes) {
    Properties p = new Properties();
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", getList(BOOTSTRAP_SERVERS)));
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, getString(APPLICATION_ID));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, getString(PROCESSING_GUARANTEE));
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, getInt(NUM_STREAM_THREADS));
    p.put(StreamsConfig.STATE_DIR_CONFIG, getString(STATE_DIR));
    if (StreamsConfig.AT_LEAST_ONCE.equals(getString(PROCESSING_GUARANTEE))) {
      // Kafka Streams' 30 s would replay up to 30 s of input after a crash (duplicates, and more
      // than the sensor replay history holds); exactly_once_v2 already commits every 100 ms.
      p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    }
    // Kafka Streams holds its producer's records up to 100 ms (its linger.ms override); a
    // prediction then waits that long before the broker has it. 5 ms is the plain producer's
    // default since Kafka 4.0: batches still fill at saturation (docs/benchmarks.md).
    // kafka.linger.ms overrides it.
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    // An idle stream thread blocks in poll() for poll.ms (100 ms by default) and only then runs
    // due punctuators, so a partial batch would wait that long instead of its batch delay.
    shortestBatchDelayMs(routes)
        .ifPresent(
            delay -> p.put(StreamsConfig.POLL_MS_CONFIG, Math.max(1, Math.min(100, delay / 2))));
    p.putAll(originalsWithPrefix(KAFKA_PREFIX));
    return p;
  }

  /**
   * How long the work between two polls of a stream thread may take before the thread risks being
   * fenced: half of {@code max.poll.interval.ms} (Kafka Streams stops processing and polls once
   * that much has passed) and, under exactly_once_v2, {@code transaction.timeout.ms} (the broker
   * aborts a longer transaction). Both read from the {@code kafka.*} settings or their defaults,
   * once, at start-up.
   */
  public Duration batchTimeBudget() {
    return batchTimeBudget;
  }

  private Duration batchTimeBudget;

  private Duration computeBatchTimeBudget() {
    Properties p = streamsProperties();
    long poll =
        longOf(
                p,
                300_000L,
                "max.poll.interval.ms",
                "consumer.max.poll.interval.ms",
                "main.consumer.max.poll.interval.ms")
            / 2;
    long budget = poll;
    if (StreamsConfig.EXACTLY_ONCE_V2.equals(getString(PROCESSING_GUARANTEE))) {
      budget =
          Math.min(
              budget,
              longOf(p, 10_000L, "transaction.timeout.ms", "producer.transaction.timeout.ms"));
    }
    return Duration.ofMillis(Math.max(1, budget));
  }

  /** The first of {@code keys} set, parsed as Kafka parses a long (a ConfigException names it). */
  private static long longOf(Properties p, long fallback, String... keys) {
    for (String k : keys) {
      Object v = p.get(k);
      if (v != null) {
        return (Long)
            ConfigDef.parseType(KAFKA_PREFIX + k, v instanceof String t ? t.trim() : v, Type.LONG);
      }
    }
    return fallback;
  }

  /** The models the routes serve (a model may appear on several routes). */
  public List<ModelRef> servedModels() {
    return routes.stream().flatMap(r -> r.models().stream()).distinct().toList();
  }
}
