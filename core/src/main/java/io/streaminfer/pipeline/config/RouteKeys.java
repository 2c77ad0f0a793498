package io.streaminfer.pipeline.config;

import io.streaminfer.models.card.Task;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The keys of one route, declared once: each is read as {@code routes.<name>.<key>} (Kafka
 * Connect's {@code transforms.<name>.*} idiom). The common keys apply to every route; a task family
 * names which of the others it reads ({@code TaskFamily#routeKeys}). Keys without a route value
 * fall back to their global key ({@code batch.max.size}, {@code classification.top.k} …). Also
 * holds the four default routes, so a configuration without {@code routes} serves what StreamInfer
 * always served.
 */
public final class RouteKeys {
  /** Prefix of every route key. */
  public static final String PREFIX = "routes.";

  /** Input topic. */
  public static final String INPUT = "input";

  /** Task family. */
  public static final String TASK = "task";

  /** Served models. */
  public static final String MODELS = "models";

  /** Main output topic. */
  public static final String OUTPUT = Route.OUTPUT;

  /** Anomaly-alert topic of a forecast route. */
  public static final String ANOMALIES = "anomalies";

  /** Per-route batch size. */
  public static final String BATCH_MAX_SIZE = "batch.max.size";

  /** Per-route batch delay. */
  public static final String BATCH_MAX_DELAY_MS = "batch.max.delay.ms";

  /** Labels kept per classification. */
  public static final String TOP_K = "top.k";

  /** Largest image payload. */
  public static final String MAX_BYTES = "max.bytes";

  /** Most bytes an image may decode to. */
  public static final String MAX_DECODED_BYTES = "max.decoded.bytes";

  /** Longest text. */
  public static final String MAX_CHARS = "max.chars";

  /** Most samples per generation request. */
  public static final String MAX_SAMPLES = "max.samples";

  /** The forecaster that decides anomaly alerts. */
  public static final String ANOMALY_MODEL = "anomaly.model";

  /** The anomaly threshold. */
  public static final String ANOMALY_Z = "anomaly.z";

  /** Readings kept beyond the window for at-least-once replays. */
  public static final String REPLAY_HISTORY = "replay.history";

  /** How far in the future a reading's event time may lie. */
  public static final String MAX_FUTURE_MS = "max.future.ms";

  /** Keys every route has. */
  public static final List<String> COMMON =
      List.of(INPUT, TASK, MODELS, OUTPUT, BATCH_MAX_SIZE, BATCH_MAX_DELAY_MS);

  /** Allowed route names: they name processors, stores and changelog topics. */
  public static final String NAME_PATTERN = "[a-z0-9][a-z0-9-]{0,62}";

  /**
   * Every route key with its type, validator and documentation ({@code routes.<name>.} omitted).
   */
  public static final ConfigDef TEMPLATE =
      new ConfigDef()
          .define(
              INPUT,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Input topic of the route. Several routes may read one topic (each serves every event).")
          .define(
              TASK,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              ConfigDef.ValidString.in(
                  Arrays.stream(Task.values()).map(Task::id).toArray(String[]::new)),
              Importance.HIGH,
              "Task family: image-classification, text-classification, text-embedding, time-series-forecast or image-generation.")
          .define(
              MODELS,
              Type.LIST,
              ConfigDef.NO_DEFAULT_VALUE,
              Importance.HIGH,
              "Models served, as name or name:version (unversioned: models.pin, else the newest). The first is the "
                  + "default; a model header picks another of the same task. A time-series-forecast route runs all.")
          .define(
              OUTPUT,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Output topic of the route's predictions (routes writing one topic must write the same schema).")
          .define(
              ANOMALIES,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "time-series-forecast: output topic of anomaly alerts.")
          .define(
              BATCH_MAX_SIZE,
              Type.INT,
              null,
              nullOr(ConfigDef.Range.between(1, 1024)),
              Importance.MEDIUM,
              "Most events per model run on this route (default: batch.max.size).")
          .define(
              BATCH_MAX_DELAY_MS,
              Type.LONG,
              null,
              nullOr(ConfigDef.Range.between(0, 3_600_000)),
              Importance.MEDIUM,
              "Longest wait of a buffered event on this route, ms (default: batch.max.delay.ms).")
          .define(
              TOP_K,
              Type.INT,
              null,
              nullOr(ConfigDef.Range.between(1, 100)),
              Importance.LOW,
              "Classification: labels kept per prediction (default: classification.top.k).")
          .define(
              MAX_BYTES,
              Type.INT,
              null,
              nullOr(ConfigDef.Range.between(1, 64 << 20)),
              Importance.MEDIUM,
              "image-classification: largest accepted payload in bytes (default: image.max.bytes).")
          .define(
              MAX_DECODED_BYTES,
              Type.LONG,
              null,
              nullOr(ConfigDef.Range.between(1, 1L << 40)),
              Importance.MEDIUM,
              "image-classification: most bytes a PNG/JPEG may decode to at full size, judged from"
                  + " its header before decoding (default: image.max.decoded.bytes).")
          .define(
              MAX_CHARS,
              Type.INT,
              null,
              nullOr(ConfigDef.Range.between(1, 1 << 20)),
              Importance.MEDIUM,
              "text-classification, text-embedding: longest accepted text in characters (default: text.max.chars).")
          .define(
              MAX_SAMPLES,
              Type.INT,
              null,
              nullOr(ConfigDef.Range.between(1, 256)),
              Importance.MEDIUM,
              "image-generation: most images one request may ask for (default: generation.max.samples).")
          .define(
              ANOMALY_MODEL,
              Type.STRING,
              null,
              Importance.MEDIUM,
              "time-series-forecast: which of the route's models decides anomaly alerts (default: the first).")
          .define(
              ANOMALY_Z,
              Type.DOUBLE,
              null,
              nullOr(ConfigDef.Range.atLeast(0.5)),
              Importance.MEDIUM,
              "time-series-forecast: alert threshold in expected errors (default: anomaly.z.threshold).")
          .define(
              REPLAY_HISTORY,
              Type.INT,
              null,
              nullOr(ConfigDef.Range.between(0, 4096)),
              Importance.LOW,
              "time-series-forecast: readings kept per key beyond the window (default: sensor.replay.history).")
          .define(
              MAX_FUTURE_MS,
              Type.LONG,
              null,
              nullOr(ConfigDef.Range.between(0, 100L * 365 * 86_400_000)),
              Importance.LOW,
              "time-series-forecast: how far past the wall clock a reading's event time may lie (default: "
                  + "sensor.max.future.ms).");

  /** A default route: what it serves when no route key overrides it. */
  record DefaultRoute(String input, Task task, String models, Map<String, String> outputs) {}

  /** The four routes served when {@code routes} is not set, by name. */
  static final Map<String, DefaultRoute> DEFAULTS = defaults();

  /** The default value of {@code routes}. */
  public static final String DEFAULT_ROUTES = String.join(",", DEFAULTS.keySet());

  private RouteKeys() {}

  private static Map<String, DefaultRoute> defaults() {
    Map<String, DefaultRoute> m = new LinkedHashMap<>();
    m.put(
        "images",
        new DefaultRoute(
            "images",
            Task.IMAGE_CLASSIFICATION,
            "digits-cnn",
            Map.of(OUTPUT, "image-predictions")));
    m.put(
        "texts",
        new DefaultRoute(
            "texts", Task.TEXT_CLASSIFICATION, "langid-bert", Map.of(OUTPUT, "text-predictions")));
    m.put(
        "sensors",
        new DefaultRoute(
            "sensor-readings",
            Task.TIME_SERIES_FORECAST,
            "sensor-lstm,sensor-gru",
            Map.of(
                OUTPUT,
                "forecasts",
                ANOMALIES,
                "anomalies"))); // anomaly model: the first, sensor-lstm
    m.put(
        "generation",
        new DefaultRoute(
            "generation-requests",
            Task.IMAGE_GENERATION,
            "digits-gan",
            Map.of(OUTPUT, "generated-images")));
    return java.util.Collections.unmodifiableMap(m);
  }

  /** The full key {@code routes.<route>.<key>}. */
  public static String key(String route, String key) {
    return PREFIX + route + "." + key;
  }

  /**
   * The declaration of route {@code name} of task {@code task} reading {@code keys} (common keys,
   * output roles and limits), with the default route's values when {@code name} is a default route
   * of that task, prefixed {@code routes.<name>.}.
   */
  static ConfigDef definition(String name, Task task, Set<String> keys) {
    DefaultRoute d = DEFAULTS.get(name);
    boolean defaulted = d != null && d.task() == task;
    ConfigDef def = new ConfigDef();
    for (String k : keys) {
      ConfigDef.ConfigKey t = TEMPLATE.configKeys().get(k);
      if (t == null) {
        throw new IllegalStateException(
            "route key " + k + " is not declared in RouteKeys.TEMPLATE");
      }
      Object defaultValue = t.defaultValue;
      if (defaulted) {
        Object own =
            switch (k) {
              case INPUT -> d.input();
              case TASK -> task.id();
              case MODELS -> d.models();
              default -> d.outputs().get(k);
            };
        defaultValue = own != null ? own : defaultValue;
      }
      String full = key(name, k);
      def.define(
          new ConfigDef.ConfigKey(
              full,
              t.type,
              defaultValue,
              t.validator,
              t.importance,
              t.documentation,
              "routes",
              0,
              ConfigDef.Width.NONE,
              full,
              List.of(),
              null,
              false));
    }
    return def;
  }

  /**
   * The task of route {@code name}: its {@code task} key, else the default route's; fails naming
   * the key.
   */
  static Task taskOf(String name, Object value) {
    DefaultRoute d = DEFAULTS.get(name);
    if (value == null) {
      if (d == null) {
        throw new ConfigException(
            "Missing required configuration \""
                + key(name, TASK)
                + "\" which has no default value "
                + "(route "
                + name
                + " is declared in routes; its task is one of "
                + Arrays.stream(Task.values()).map(Task::id).toList()
                + ")");
      }
      return d.task();
    }
    try {
      return Task.fromId(value.toString().trim());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key(name, TASK), value, e.getMessage());
    }
  }

  /** Documentation order: the common keys first, then the family keys alphabetically. */
  public static int compareForDocs(String a, String b) {
    int ia = COMMON.indexOf(a);
    int ib = COMMON.indexOf(b);
    if (ia >= 0 || ib >= 0) {
      return Integer.compare(ia < 0 ? Integer.MAX_VALUE : ia, ib < 0 ? Integer.MAX_VALUE : ib);
    }
    return a.compareTo(b);
  }

  /** {@code validator} that also accepts null (the key then falls back to its global key). */
  private static ConfigDef.Validator nullOr(ConfigDef.Validator validator) {
    return new ConfigDef.Validator() {
      @Override
      public void ensureValid(String name, Object value) {
        if (value != null) {
          validator.ensureValid(name, value);
        }
      }

      @Override
      public String toString() {
        return validator.toString();
      }
    };
  }
}
