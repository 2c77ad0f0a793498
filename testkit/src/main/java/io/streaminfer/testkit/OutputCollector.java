package io.streaminfer.testkit;

import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.topology.Topics;
import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.Embedding;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads every output topic of a configuration's routes (read_committed) and keeps what a summary
 * needs, per route (the {@code streaminfer.route} header): predictions (records on the route's main
 * output) and their latencies, classifications, anomaly alerts, generated images, dead letters with
 * their codes. Latency is the consumer's wall clock minus the prediction's timestamp, which Kafka
 * Streams carries over from the input record (the producer's send time). Not thread-safe.
 */
public final class OutputCollector implements AutoCloseable {
  /** A dead letter as read back. */
  public record DeadLetter(
      String route,
      String sourceTopic,
      String code,
      String message,
      byte[] key,
      byte[] value,
      String source) {}

  private final Topics topics;
  private final Map<String, Route> routes = new HashMap<>();
  private final Map<String, String> routeOfOutput =
      new HashMap<>(); // main output topic → first route writing it
  private final KafkaConsumer<String, byte[]> consumer;
  private final Map<String, Integer> predictions = new HashMap<>();
  private final Map<String, List<Long>> latenciesMs = new HashMap<>();
  private final Map<String, Map<String, Classification>> classifications = new HashMap<>();
  private final Map<String, Map<String, Embedding>> embeddings = new HashMap<>();
  private final List<ConsumerRecord<String, byte[]>> forecasts = new ArrayList<>();
  private final List<AnomalyAlert> anomalies = new ArrayList<>();
  private final List<GeneratedImage> generated = new ArrayList<>();
  private final List<DeadLetter> deadLetters = new ArrayList<>();
  private final Map<String, Map<String, Integer>> sources = new HashMap<>();

  /** The source key of outputs that carry no {@code streaminfer.source.*} headers. */
  public static final String UNTRACED = "untraced";

  /** Subscribes to every output topic of {@code config}'s routes from the beginning. */
  public OutputCollector(
      String bootstrapServers, StreamInferConfig config, Map<String, Object> clientOverrides) {
    this.topics = Topics.of(config);
    for (Route r : config.routes()) {
      routes.put(r.name(), r);
      routeOfOutput.putIfAbsent(r.output(Route.OUTPUT), r.name());
    }
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "streaminfer-collector-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.putAll(clientOverrides);
    consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(topics.outputs());
  }

  /** Polls once and files what arrived; returns how many records arrived. */
  public int poll(Duration timeout) {
    int n = 0;
    long now = System.currentTimeMillis();
    for (ConsumerRecord<String, byte[]> r : consumer.poll(timeout)) {
      n++;
      String t = r.topic();
      sources.computeIfAbsent(sourceOf(r), s -> new HashMap<>()).merge(t, 1, Integer::sum);
      if (t.equals(topics.deadLetters())) {
        deadLetters.add(
            new DeadLetter(
                DeadLetters.header(r.headers(), DeadLetters.ROUTE),
                DeadLetters.header(r.headers(), DeadLetters.SOURCE_TOPIC),
                DeadLetters.header(r.headers(), DeadLetters.CODE),
                DeadLetters.header(r.headers(), DeadLetters.MESSAGE),
                r.key() == null ? null : r.key().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                r.value(),
                sourceOf(r)));
        continue;
      }
      String routeName = DeadLetters.header(r.headers(), DeadLetters.ROUTE);
      Route route = routes.get(routeName != null ? routeName : routeOfOutput.getOrDefault(t, ""));
      Class<?> type = topics.outputTypes().get(t);
      if (type == AnomalyAlert.class) {
        anomalies.add(
            AvroSerdes.serde(AnomalyAlert.class).deserializer().deserialize(t, r.value()));
        continue;
      }
      if (route == null || !t.equals(route.output(Route.OUTPUT))) {
        continue; // not a prediction of a route of this configuration
      }
      predictions.merge(route.name(), 1, Integer::sum);
      latenciesMs.computeIfAbsent(route.name(), x -> new ArrayList<>()).add(now - r.timestamp());
      if (type == Classification.class) {
        Classification c =
            AvroSerdes.serde(Classification.class).deserializer().deserialize(t, r.value());
        classifications.computeIfAbsent(route.name(), x -> new HashMap<>()).put(c.getId(), c);
      } else if (type == Embedding.class) {
        Embedding e = AvroSerdes.serde(Embedding.class).deserializer().deserialize(t, r.value());
        embeddings.computeIfAbsent(route.name(), x -> new HashMap<>()).put(e.getId(), e);
      } else if (type == GeneratedImage.class) {
        generated.add(
            AvroSerdes.serde(GeneratedImage.class).deserializer().deserialize(t, r.value()));
      } else {
        forecasts.add(r);
      }
    }
    return n;
  }

  /** {@code topic/partition/offset} of the input an output came from, or {@link #UNTRACED}. */
  private static String sourceOf(ConsumerRecord<?, ?> r) {
    String source = DeadLetters.source(r.headers());
    return source == null ? UNTRACED : source;
  }

  /**
   * For every input that produced output ({@code topic/partition/offset}): how many records it
   * produced on each output topic. Lets tests account for every input, duplicates included.
   */
  public Map<String, Map<String, Integer>> sources() {
    return sources;
  }

  /** Prediction records seen for route {@code route}. */
  public int predictions(String route) {
    return predictions.getOrDefault(route, 0);
  }

  /** All prediction records seen. */
  public int predictions() {
    return predictions.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** The {@code q}-quantile (0..1) of the latencies of route {@code route}, in ms; -1 when none. */
  public double latencyMs(String route, double q) {
    List<Long> l = new ArrayList<>(latenciesMs.getOrDefault(route, List.of()));
    if (l.isEmpty()) {
      return -1;
    }
    l.sort(null);
    return l.get((int) Math.min(l.size() - 1, Math.floor(q * l.size())));
  }

  /** Classifications of route {@code route} by event id. */
  public Map<String, Classification> classifications(String route) {
    return classifications.getOrDefault(route, Map.of());
  }

  /** Embeddings of route {@code route} by event id. */
  public Map<String, Embedding> embeddings(String route) {
    return embeddings.getOrDefault(route, Map.of());
  }

  /** Forecast records. */
  public List<ConsumerRecord<String, byte[]>> forecasts() {
    return forecasts;
  }

  /** Anomaly alerts. */
  public List<AnomalyAlert> anomalies() {
    return anomalies;
  }

  /** Generated images. */
  public List<GeneratedImage> generated() {
    return generated;
  }

  /** Dead letters. */
  public List<DeadLetter> deadLetters() {
    return deadLetters;
  }

  /** Dead letters written by route {@code route}. */
  public long deadLettersOf(String route) {
    return deadLetters.stream().filter(d -> route.equals(d.route())).count();
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
