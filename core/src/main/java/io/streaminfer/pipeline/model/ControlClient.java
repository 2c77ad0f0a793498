package io.streaminfer.pipeline.model;

import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.schemas.ModelControl;
import io.streaminfer.schemas.ModelStatus;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the CLI (and the tests) do with the control and status topics: read the latest record per
 * key, and write a route's next desired state. Stateless; each call opens and closes its client.
 */
public final class ControlClient {
  private ControlClient() {}

  /** A record read with its offset. */
  public record At<T>(T value, long offset) {}

  /** The latest control record of every route on {@code topic} (tombstoned routes left out). */
  public static Map<String, At<ModelControl>> controls(
      Properties client, String topic, Duration timeout) {
    return latest(client, topic, timeout, ModelControl.class);
  }

  /** The latest status of every {@code <instance>/<route>} on {@code topic}. */
  public static Map<String, At<ModelStatus>> statuses(
      Properties client, String topic, Duration timeout) {
    return latest(client, topic, timeout, ModelStatus.class);
  }

  /**
   * Writes {@code control} as route {@code route}'s desired state ({@code null}: a tombstone, back
   * to the configured models) and returns its offset once the broker has it.
   */
  public static long write(Properties client, String topic, String route, ModelControl control) {
    Properties p = StreamInferConfig.only(client, ProducerConfig.configNames());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      byte[] value =
          control == null
              ? null
              : AvroSerdes.serde(ModelControl.class).serializer().serialize(topic, control);
      return producer
          .send(new ProducerRecord<>(topic, route, value))
          .get(60, TimeUnit.SECONDS)
          .offset();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted writing to " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("cannot write to " + topic + ": " + cause, cause);
    }
  }

  private static <T extends SpecificRecord> Map<String, At<T>> latest(
      Properties client, String topic, Duration timeout, Class<T> type) {
    Properties p = StreamInferConfig.forConsumer(client);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    var decoder = AvroSerdes.serde(type).deserializer();
    Function<ConsumerRecord<String, byte[]>, T> decode =
        r -> r.value() == null ? null : decoder.deserialize(topic, r.value());
    Map<String, At<T>> out = new LinkedHashMap<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        return out;
      }
      List<TopicPartition> parts =
          infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (parts.stream().anyMatch(tp -> consumer.position(tp, timeout) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("cannot read " + topic + " to its end within " + timeout);
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.key() == null) {
            continue;
          }
          T v;
          try {
            v = decode.apply(r);
          } catch (RuntimeException e) {
            continue; // not a record of ours: the instances refuse it too
          }
          if (v == null) {
            out.remove(r.key());
          } else {
            out.put(r.key(), new At<>(v, r.offset()));
          }
        }
      }
    }
    return out;
  }
}
