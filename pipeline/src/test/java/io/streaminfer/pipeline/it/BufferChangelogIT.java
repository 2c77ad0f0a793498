package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.topology.Topics;
import io.streaminfer.testkit.OutputCollector;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch buffer's changelog on a real broker under exactly_once_v2: a buffered input takes a
 * slot (0 … batch size − 1) and the store is cached, so the changelog carries at most one record
 * per slot per commit — far fewer than the put and the tombstone per input it carried before —
 * while every input is still predicted exactly once.
 */
class BufferChangelogIT {
  private static final int BATCH = 16;

  @TempDir Path state;

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void shouldWriteAtMostOneChangelogRecordPerSlotPerCommit() throws Exception {
    try (KafkaEndpoint kafka = KafkaEndpoint.start()) {
      Map<String, Object> p = new HashMap<>();
      p.put(StreamInferConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      p.put(StreamInferConfig.APPLICATION_ID, "buffer-changelog-it");
      p.put(StreamInferConfig.PROCESSING_GUARANTEE, "exactly_once_v2");
      p.put(StreamInferConfig.STATE_DIR, state.toString());
      p.put("routes.images.batch.max.size", Integer.toString(BATCH));
      StreamInferConfig config = TestConfigs.config(p);
      kafka.createTopics(1, Topics.of(config).all());
      SampleEvents.Stream stream =
          SampleEvents.build(
              SampleData.load(), SampleEvents.Inputs.of(config), 1500, 0, 0, 0, 2, false, 5);
      long inputs = stream.of(SampleEvents.Kind.IMAGES).size();

      try (StreamInferApp app = StreamInferApp.start(config);
          OutputCollector out = new OutputCollector(kafka.bootstrapServers(), config, Map.of())) {
        assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (var producer =
            new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer())) {
          stream.of(SampleEvents.Kind.IMAGES).forEach(e -> producer.send(e.record()));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline && out.predictions("images") < inputs) {
          out.poll(Duration.ofMillis(250));
        }
        out.poll(Duration.ofSeconds(2)); // a duplicate would show up
        assertThat((long) out.predictions("images")).isEqualTo(inputs);
        assertThat(out.sources()).hasSize((int) inputs);
      }

      List<ConsumerRecord<byte[], byte[]>> changelog =
          readAll(kafka.bootstrapServers(), "buffer-changelog-it-buffer-images-changelog");
      TreeSet<Long> keys = new TreeSet<>();
      changelog.forEach(r -> keys.add(ByteBuffer.wrap(r.key()).getLong()));
      System.out.printf(
          "buffer changelog: %d records for %d inputs (%.3f per input), keys %s%n",
          changelog.size(), inputs, changelog.size() / (double) inputs, keys);
      assertThat(keys).allSatisfy(k -> assertThat(k).isBetween(0L, (long) BATCH - 1));
      // before: 2 per input (a put and a tombstone)
      assertThat(changelog.size()).isLessThan((int) (inputs / 2));
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "changelog-reader-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (var consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<byte[], byte[]>> all = new java.util.ArrayList<>();
      long quietSince = System.nanoTime();
      while (System.nanoTime() - quietSince < Duration.ofSeconds(3).toNanos()) {
        var batch = consumer.poll(Duration.ofMillis(200));
        if (!batch.isEmpty()) {
          batch.forEach(all::add);
          quietSince = System.nanoTime();
        }
      }
      return all;
    }
  }
}
