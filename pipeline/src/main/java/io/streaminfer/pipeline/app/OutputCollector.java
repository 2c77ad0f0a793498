package io.streaminfer.pipeline.app;

import io.streaminfer.pipeline.app.SampleEvents.Kind;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.topology.Topics;
import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
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
 * Reads every output topic (read_committed) and keeps what a summary needs: predictions and
 * latencies per kind, classifications, anomaly alerts, generated images, dead letters with their
 * codes. Latency is the consumer's wall clock minus the prediction's timestamp, which Kafka
 * Streams carries over from the input record (the producer's send time). Not thread-safe.
 */
public final class OutputCollector implements AutoCloseable {
  /** A dead letter as read back. */
  public record DeadLetter(String sourceTopic, String code, String message, byte[] key, byte[] value, String source) {}

  private final Topics topics;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Map<Kind, Integer> predictions = new EnumMap<>(Kind.class);
  private final Map<Kind, List<Long>> latenciesMs = new EnumMap<>(Kind.class);
  private final Map<String, Classification> classifications = new HashMap<>();
  private final List<ConsumerRecord<String, byte[]>> forecasts = new ArrayList<>();
  private final List<AnomalyAlert> anomalies = new ArrayList<>();
  private final List<GeneratedImage> generated = new ArrayList<>();
  private final List<DeadLetter> deadLetters = new ArrayList<>();
  private final Map<String, Map<String, Integer>> sources = new HashMap<>();

  /** The source key of outputs that carry no {@code streaminfer.source.*} headers. */
  public static final String UNTRACED = "untraced";

  /** Subscribes to every output topic from the beginning. */
  public OutputCollector(String bootstrapServers, Topics topics, Map<String, Object> clientOverrides) {
    this.topics = topics;
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
      if (t.equals(topics.imagePredictions()) || t.equals(topics.textPredictions())) {
        Kind k = t.equals(topics.imagePredictions()) ? Kind.IMAGES : Kind.TEXTS;
        Classification c = AvroSerdes.serde(Classification.class).deserializer().deserialize(t, r.value());
        classifications.put(c.getId(), c);
        count(k, now - r.timestamp());
      } else if (t.equals(topics.forecasts())) {
        forecasts.add(r);
        count(Kind.SENSORS, now - r.timestamp());
      } else if (t.equals(topics.anomalies())) {
        anomalies.add(AvroSerdes.serde(AnomalyAlert.class).deserializer().deserialize(t, r.value()));
      } else if (t.equals(topics.generatedImages())) {
        generated.add(AvroSerdes.serde(GeneratedImage.class).deserializer().deserialize(t, r.value()));
        count(Kind.GENERATION, now - r.timestamp());
      } else if (t.equals(topics.deadLetters())) {
        deadLetters.add(new DeadLetter(DeadLetters.header(r.headers(), DeadLetters.SOURCE_TOPIC),
            DeadLetters.header(r.headers(), DeadLetters.CODE), DeadLetters.header(r.headers(), DeadLetters.MESSAGE),
            r.key() == null ? null : r.key().getBytes(java.nio.charset.StandardCharsets.UTF_8), r.value(), sourceOf(r)));
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

  private void count(Kind k, long latencyMs) {
    predictions.merge(k, 1, Integer::sum);
    latenciesMs.computeIfAbsent(k, x -> new ArrayList<>()).add(latencyMs);
  }

  /** Prediction records seen for {@code kind}. */
  public int predictions(Kind kind) {
    return predictions.getOrDefault(kind, 0);
  }

  /** All prediction records seen. */
  public int predictions() {
    return predictions.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** The {@code q}-quantile (0..1) of the latencies of {@code kind}, in ms; -1 when none. */
  public double latencyMs(Kind kind, double q) {
    List<Long> l = new ArrayList<>(latenciesMs.getOrDefault(kind, List.of()));
    if (l.isEmpty()) {
      return -1;
    }
    l.sort(null);
    return l.get((int) Math.min(l.size() - 1, Math.floor(q * l.size())));
  }

  /** Classifications by event id. */
  public Map<String, Classification> classifications() {
    return classifications;
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

  /** Dead letters whose source topic is {@code topic}. */
  public long deadLetters(String topic) {
    return deadLetters.stream().filter(d -> topic.equals(d.sourceTopic())).count();
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
