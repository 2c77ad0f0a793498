package io.streaminfer.pipeline.config;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
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
 * kafka.} are handed to Kafka Streams and its clients unchanged (minus the prefix), so TLS and
 * SASL settings work. Sources, later winning: defaults, a properties file, {@code STREAMINFER_*}
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
  public static final String IMAGE_MODEL = "image.model";
  public static final String TEXT_MODEL = "text.model";
  public static final String SENSOR_MODELS = "sensor.models";
  public static final String GENERATION_MODEL = "generation.model";
  public static final String INFERENCE_DEVICE = "inference.device";
  public static final String INTRA_OP_THREADS = "inference.intra.op.threads";
  public static final String INTER_OP_THREADS = "inference.inter.op.threads";
  public static final String SPINNING = "inference.spinning";
  public static final String ANOMALY_Z = "anomaly.z.threshold";
  public static final String SENSOR_REPLAY_HISTORY = "sensor.replay.history";
  public static final String ANOMALY_MODEL = "anomaly.model";
  public static final String MAX_SAMPLES = "generation.max.samples";
  public static final String TOP_K = "classification.top.k";
  public static final String IMAGE_MAX_BYTES = "image.max.bytes";
  public static final String TEXT_MAX_CHARS = "text.max.chars";
  public static final String TOPIC_IMAGES = "topic.images";
  public static final String TOPIC_TEXTS = "topic.texts";
  public static final String TOPIC_SENSORS = "topic.sensor.readings";
  public static final String TOPIC_GENERATION = "topic.generation.requests";
  public static final String TOPIC_IMAGE_PREDICTIONS = "topic.image.predictions";
  public static final String TOPIC_TEXT_PREDICTIONS = "topic.text.predictions";
  public static final String TOPIC_FORECASTS = "topic.forecasts";
  public static final String TOPIC_ANOMALIES = "topic.anomalies";
  public static final String TOPIC_GENERATED = "topic.generated.images";
  public static final String TOPIC_DEAD_LETTERS = "topic.dead.letters";
  public static final String METRICS_PORT = "metrics.port";
  public static final String BATCH_MAX_SIZE = "batch.max.size";
  public static final String BATCH_MAX_DELAY_MS = "batch.max.delay.ms";
  public static final String BATCH_MODELS = "batch.models";

  /** Prefix of keys passed through to Kafka Streams and its clients. */
  public static final String KAFKA_PREFIX = "kafka.";
  /** Prefix of environment variables that override keys. */
  public static final String ENV_PREFIX = "STREAMINFER_";

  /** Every StreamInfer key, with its type, default, validator and documentation. */
  public static final ConfigDef CONFIG = new ConfigDef()
      .define(BOOTSTRAP_SERVERS, Type.LIST, "127.0.0.1:9092", Importance.HIGH,
          "Kafka bootstrap servers (host:port, comma-separated).")
      .define(APPLICATION_ID, Type.STRING, "streaminfer", new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Kafka Streams application id; instances with the same id share the input partitions.")
      .define(PROCESSING_GUARANTEE, Type.STRING, StreamsConfig.EXACTLY_ONCE_V2,
          ConfigDef.ValidString.in(StreamsConfig.AT_LEAST_ONCE, StreamsConfig.EXACTLY_ONCE_V2), Importance.HIGH,
          "exactly_once_v2 (default: batch buffers, sensor windows, predictions and input offsets commit in one "
              + "transaction; consumers of the outputs read with isolation.level=read_committed) or at_least_once "
              + "(no transactions; after a crash some predictions are written twice, none lost). See docs/reliability.md.")
      .define(NUM_STREAM_THREADS, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM,
          "Stream threads per instance.")
      .define(STATE_DIR, Type.STRING, System.getProperty("java.io.tmpdir") + "/streaminfer-state", Importance.MEDIUM,
          "Directory of the local state stores (per-sensor windows).")
      .define(MODELS_REPOSITORY, Type.STRING, "models/repository", new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Model repository root: <root>/<name>/<version>/{model.onnx, model.json}.")
      .define(MODELS_PIN, Type.LIST, "", Importance.MEDIUM,
          "Pinned versions as name:version pairs (e.g. digits-cnn:1); unpinned models use their newest version.")
      .define(IMAGE_MODEL, Type.STRING, "digits-cnn", Importance.MEDIUM, "Model serving the images topic.")
      .define(TEXT_MODEL, Type.STRING, "langid-transformer", Importance.MEDIUM, "Model serving the texts topic.")
      .define(SENSOR_MODELS, Type.LIST, "sensor-lstm,sensor-gru", Importance.MEDIUM,
          "Forecasters run on every full sensor window (one forecast record each).")
      .define(ANOMALY_MODEL, Type.STRING, "sensor-lstm", Importance.MEDIUM,
          "Which of sensor.models decides anomaly alerts.")
      .define(GENERATION_MODEL, Type.STRING, "digits-gan", Importance.MEDIUM, "Model serving generation requests.")
      .define(INFERENCE_DEVICE, Type.STRING, "auto", Importance.HIGH,
          "auto (CUDA when it loads, else CPU with one warning), cpu, or cuda[:N] (fail when CUDA cannot load).")
      .define(INTRA_OP_THREADS, Type.INT, 1, Range.atLeast(0), Importance.LOW,
          "ONNX Runtime threads inside one operator (0 = ONNX Runtime's choice).")
      .define(INTER_OP_THREADS, Type.INT, 1, Range.atLeast(0), Importance.LOW,
          "ONNX Runtime threads across operators (0 = ONNX Runtime's choice).")
      .define(SPINNING, Type.BOOLEAN, false, Importance.LOW,
          "Let idle ONNX Runtime threads spin (lower latency, burns CPU; off for small machines).")
      .define(ANOMALY_Z, Type.DOUBLE, 4.0, Range.atLeast(0.5), Importance.MEDIUM,
          "Alert when |actual - forecast| exceeds this many expected errors (window std x residual std).")
      .define(SENSOR_REPLAY_HISTORY, Type.INT, 64, Range.between(0, 4096), Importance.LOW,
          "Readings kept per sensor beyond the longest window, so that readings read again after an "
              + "at_least_once crash get their forecasts recomputed (unused under exactly_once_v2).")
      .define(MAX_SAMPLES, Type.INT, 16, Range.between(1, 256), Importance.MEDIUM,
          "Most images one generation request may ask for; larger requests go to dead letters.")
      .define(TOP_K, Type.INT, 3, Range.between(1, 100), Importance.LOW, "Labels kept per classification.")
      .define(IMAGE_MAX_BYTES, Type.INT, 768 << 10, Range.between(1, 64 << 20), Importance.MEDIUM,
          "Largest accepted image payload in bytes; larger ones go to dead letters (PAYLOAD_TOO_LARGE). The "
              + "default stays under Kafka's default 1 MiB record limit; raise both together.")
      .define(TEXT_MAX_CHARS, Type.INT, 10_000, Range.between(1, 1 << 20), Importance.MEDIUM,
          "Longest accepted text in characters; longer ones go to dead letters (TEXT_TOO_LONG).")
      .define(TOPIC_IMAGES, Type.STRING, "images", Importance.MEDIUM, "Input topic of image events.")
      .define(TOPIC_TEXTS, Type.STRING, "texts", Importance.MEDIUM, "Input topic of text events.")
      .define(TOPIC_SENSORS, Type.STRING, "sensor-readings", Importance.MEDIUM, "Input topic of sensor readings (keyed by sensor id).")
      .define(TOPIC_GENERATION, Type.STRING, "generation-requests", Importance.MEDIUM, "Input topic of generation requests.")
      .define(TOPIC_IMAGE_PREDICTIONS, Type.STRING, "image-predictions", Importance.MEDIUM, "Output topic of image classifications.")
      .define(TOPIC_TEXT_PREDICTIONS, Type.STRING, "text-predictions", Importance.MEDIUM, "Output topic of text classifications.")
      .define(TOPIC_FORECASTS, Type.STRING, "forecasts", Importance.MEDIUM, "Output topic of forecasts.")
      .define(TOPIC_ANOMALIES, Type.STRING, "anomalies", Importance.MEDIUM, "Output topic of anomaly alerts.")
      .define(TOPIC_GENERATED, Type.STRING, "generated-images", Importance.MEDIUM, "Output topic of generated images.")
      .define(TOPIC_DEAD_LETTERS, Type.STRING, "dead-letters", Importance.HIGH,
          "Where every input that cannot become a prediction goes, with its original bytes and typed reason headers.")
      .define(BATCH_MAX_SIZE, Type.INT, 32, Range.between(1, 1024), Importance.HIGH,
          "Most events per model run (1 = per-record inference). A batch runs when full or when its oldest event has waited batch.max.delay.ms.")
      .define(BATCH_MAX_DELAY_MS, Type.LONG, 5L, Range.between(0, 3_600_000), Importance.HIGH,
          "How long a buffered event waits for its batch to fill, in milliseconds; checked every half delay, between polls (poll.ms follows the shortest delay unless kafka.poll.ms is set), so a partial batch runs within about 1.5 x this plus a poll.")
      .define(BATCH_MODELS, Type.LIST, "", Importance.MEDIUM,
          "Per-model batching as name:size:delayMs entries (e.g. digits-cnn:64:10), keyed by the model serving a topic.")
      .define(METRICS_PORT, Type.INT, 0, Range.between(0, 65535), Importance.LOW,
          "Port of the Prometheus /metrics endpoint on 127.0.0.1 (0 = off).");

  private StreamInferConfig(Map<String, ?> props) {
    super(CONFIG, props, false);
  }

  /** Parses and validates {@code props}; unknown non-{@code kafka.} keys are rejected by name. */
  public static StreamInferConfig of(Map<String, ?> props) {
    for (String key : props.keySet()) {
      if (!CONFIG.names().contains(key) && !key.startsWith(KAFKA_PREFIX)) {
        throw new ConfigException("unknown configuration key '" + key + "' (StreamInfer keys: "
            + new java.util.TreeSet<>(CONFIG.names()) + "; Kafka client settings go under 'kafka.')");
      }
    }
    StreamInferConfig c = new StreamInferConfig(props);
    c.check();
    return c;
  }

  /** Layers file properties, then {@code STREAMINFER_*} environment, then overrides. */
  public static StreamInferConfig load(Properties file, Map<String, String> env, Map<String, String> overrides) {
    Map<String, Object> merged = new HashMap<>();
    file.forEach((k, v) -> merged.put(k.toString(), v));
    merged.putAll(fromEnvironment(env));
    merged.putAll(overrides);
    return of(merged);
  }

  /** Maps {@code STREAMINFER_A_B_C} to the declared key {@code a.b.c} (or {@code kafka.a.b}). */
  public static Map<String, String> fromEnvironment(Map<String, String> env) {
    Map<String, String> out = new HashMap<>();
    Map<String, String> byEnvName = new HashMap<>();
    for (String key : CONFIG.names()) {
      byEnvName.put(envName(key), key);
    }
    env.forEach((name, value) -> {
      if (!name.startsWith(ENV_PREFIX)) {
        return;
      }
      String key = byEnvName.get(name);
      if (key == null && name.startsWith(ENV_PREFIX + "KAFKA_")) {
        key = name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
      }
      if (key == null) {
        throw new ConfigException("unknown environment override " + name + " (expected STREAMINFER_ + a key in upper case with _ for ., e.g. "
            + envName(INFERENCE_DEVICE) + ")");
      }
      out.put(key, value);
    });
    return out;
  }

  /** The environment variable that overrides {@code key}. */
  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  private void check() {
    if (!getList(SENSOR_MODELS).contains(getString(ANOMALY_MODEL))) {
      throw new ConfigException(ANOMALY_MODEL, getString(ANOMALY_MODEL), "must be one of " + SENSOR_MODELS + " " + getList(SENSOR_MODELS));
    }
    if (getList(SENSOR_MODELS).isEmpty()) {
      throw new ConfigException(SENSOR_MODELS, "", "needs at least one forecaster");
    }
    pins();
    batchOverrides();
    try {
      io.streaminfer.models.runtime.Device.parse(getString(INFERENCE_DEVICE));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(INFERENCE_DEVICE, getString(INFERENCE_DEVICE), e.getMessage());
    }
  }

  /** Pinned versions, model name → version. */
  public Map<String, String> pins() {
    Map<String, String> out = new HashMap<>();
    for (String pin : getList(MODELS_PIN)) {
      String[] p = pin.split(":");
      if (p.length != 2 || p[0].isBlank() || !p[1].matches("[0-9]+")) {
        throw new ConfigException(MODELS_PIN, pin, "expected name:version, e.g. digits-cnn:1");
      }
      out.put(p[0].trim(), p[1].trim());
    }
    return out;
  }

  /** The model that names each branch's batching: images, texts, sensors (the first), generation. */
  public List<String> branchModels() {
    return List.of(getString(IMAGE_MODEL), getString(TEXT_MODEL), getList(SENSOR_MODELS).get(0),
        getString(GENERATION_MODEL));
  }

  /** {size, delayMs} of the branch named by {@code model}: its batch.models entry, else the defaults. */
  public long[] batching(String model) {
    long[] o = batchOverrides().get(model);
    return o != null ? o : new long[] {getInt(BATCH_MAX_SIZE), getLong(BATCH_MAX_DELAY_MS)};
  }

  /** The shortest delay of any branch that batches (size above 1), if one does. */
  public Optional<Long> shortestBatchDelayMs() {
    return branchModels().stream().map(this::batching).filter(b -> b[0] > 1).map(b -> b[1])
        .min(Long::compare);
  }

  /** Per-model batching overrides: name → {size, delayMs}. */
  public Map<String, long[]> batchOverrides() {
    Map<String, long[]> out = new HashMap<>();
    for (String e : getList(BATCH_MODELS)) {
      String[] p = e.split(":");
      try {
        long size = Long.parseLong(p[1].trim());
        long delay = Long.parseLong(p[2].trim());
        if (p.length != 3 || size < 1 || size > 1024 || delay < 0 || delay > 3_600_000) {
          throw new NumberFormatException();
        }
        out.put(p[0].trim(), new long[] {size, delay});
      } catch (RuntimeException ex) {
        throw new ConfigException(BATCH_MODELS, e, "expected name:size:delayMs with size 1..1024 and delay 0..3600000");
      }
    }
    return out;
  }

  /** The pinned version of {@code model}, if any. */
  public Optional<String> pin(String model) {
    return Optional.ofNullable(pins().get(model));
  }

  /** Plain Kafka client properties: every {@code kafka.*} key plus the bootstrap servers. */
  public Properties clientProperties() {
    Properties p = new Properties();
    p.putAll(originalsWithPrefix(KAFKA_PREFIX));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", getList(BOOTSTRAP_SERVERS)));
    return p;
  }

  /** Kafka Streams properties: ours mapped to Streams keys, plus every {@code kafka.*} key. */
  public Properties streamsProperties() {
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
    // Kafka Streams holds its producer's records up to 100 ms (its linger.ms override); a prediction
    // then waits that long before the broker has it. 5 ms is the plain producer's default since
    // Kafka 4.0: batches still fill at saturation (docs/benchmarks.md). kafka.linger.ms overrides it.
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    shortestBatchDelayMs().ifPresent(delay -> {
      // An idle stream thread blocks in poll() for poll.ms (100 ms by default) and only then runs
      // due punctuators, so a partial batch would wait that long instead of batch.max.delay.ms.
      p.put(StreamsConfig.POLL_MS_CONFIG, Math.max(1, Math.min(100, delay / 2)));
    });
    p.putAll(originalsWithPrefix(KAFKA_PREFIX));
    return p;
  }

  /**
   * How long the work between two polls of a stream thread may take before the thread risks being
   * fenced: half of {@code max.poll.interval.ms} (Kafka Streams stops processing and polls once
   * that much has passed) and, under exactly_once_v2, {@code transaction.timeout.ms} (the broker
   * aborts a longer transaction). Both read from the {@code kafka.*} settings or their defaults.
   */
  public java.time.Duration batchTimeBudget() {
    Properties p = streamsProperties();
    long poll = longOf(p, 300_000L, "max.poll.interval.ms", "consumer.max.poll.interval.ms",
        "main.consumer.max.poll.interval.ms") / 2;
    long budget = poll;
    if (StreamsConfig.EXACTLY_ONCE_V2.equals(getString(PROCESSING_GUARANTEE))) {
      budget = Math.min(budget, longOf(p, 10_000L, "transaction.timeout.ms", "producer.transaction.timeout.ms"));
    }
    return java.time.Duration.ofMillis(Math.max(1, budget));
  }

  private static long longOf(Properties p, long fallback, String... keys) {
    for (String k : keys) {
      Object v = p.get(k);
      if (v != null) {
        try {
          return Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
          throw new ConfigException(KAFKA_PREFIX + k, v, "expected a number of milliseconds");
        }
      }
    }
    return fallback;
  }

  /** The model names this configuration serves. */
  public List<String> servedModels() {
    List<String> out = new java.util.ArrayList<>(List.of(getString(IMAGE_MODEL), getString(TEXT_MODEL), getString(GENERATION_MODEL)));
    out.addAll(getList(SENSOR_MODELS));
    return out;
  }
}
