package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestTopics;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.testkit.OutputCollector;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records that sit in a partly filled batch when the pipeline process is SIGKILLed are predicted
 * after a restart, exactly once: the batch buffer is a changelogged store, committed in the same
 * transaction as the input offsets.
 */
class CrashRecoveryIT {
  @TempDir Path state;

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void shouldPredictBufferedRecordsAfterSigkillAndRestart() throws Exception {
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      // given: a pipeline whose batches wait for 64 records or ten minutes
      Map<String, String> settings =
          new HashMap<>(
              Map.of(
                  StreamInferConfig.APPLICATION_ID,
                  "crash-it",
                  StreamInferConfig.PROCESSING_GUARANTEE,
                  "exactly_once_v2",
                  StreamInferConfig.STATE_DIR,
                  state.toString(),
                  StreamInferConfig.MODELS_REPOSITORY,
                  TestConfigs.repository(),
                  StreamInferConfig.INFERENCE_DEVICE,
                  "cpu",
                  StreamInferConfig.BATCH_MAX_SIZE,
                  "64",
                  StreamInferConfig.BATCH_MAX_DELAY_MS,
                  "600000",
                  "kafka.commit.interval.ms",
                  "100",
                  "kafka.session.timeout.ms",
                  "6000"));
      TestTopics topics = TestTopics.of(TestConfigs.config(Map.of()));
      kafka.createTopics(2, topics.all().toArray(String[]::new));
      var stream =
          SampleEvents.build(SampleData.load(), topics.inputs(), 20, 20, 0, 0, 2, false, 5);
      Path log = PipelineProcess.logFile("crash-it").toPath();

      try (OutputCollector out =
          new OutputCollector(kafka.bootstrapServers(), topics.config(), Map.of())) {
        PipelineProcess first = PipelineProcess.start(kafka.bootstrapServers(), settings, log);
        publish(kafka.bootstrapServers(), stream);
        awaitCommitted(kafka.bootstrapServers(), "crash-it", 40, first);
        for (int i = 0; i < 8; i++) {
          out.poll(Duration.ofMillis(250));
        }
        assertThat(out.predictions())
            .as("nothing predicted yet: the records sit in the buffer")
            .isZero();

        // when: SIGKILL, then a restart whose batches run after 50 ms
        first.kill();
        settings.put(StreamInferConfig.BATCH_MAX_DELAY_MS, "50");
        try (PipelineProcess second =
            PipelineProcess.start(kafka.bootstrapServers(), settings, log)) {
          long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
          while (System.nanoTime() < deadline && out.predictions() < 40) {
            out.poll(Duration.ofMillis(250));
          }
          for (int i = 0; i < 12; i++) {
            out.poll(Duration.ofMillis(250)); // duplicates would arrive now
          }
        }

        // then: every input predicted, exactly once
        assertThat(out.predictions()).isEqualTo(40);
        var classified = new java.util.ArrayList<>(out.classifications("images").keySet());
        classified.addAll(out.classifications("texts").keySet());
        assertThat(classified)
            .containsExactlyInAnyOrderElementsOf(
                stream.events().stream().map(SampleEvents.Event::id).toList());
      }
    }
  }

  private static void publish(String bootstrap, SampleEvents.Stream stream) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (var producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      stream.events().forEach(e -> producer.send(e.record()));
    }
  }

  /** Waits until the application has committed {@code n} input offsets (records in its buffer). */
  private static void awaitCommitted(String bootstrap, String group, long n, PipelineProcess p)
      throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(props)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (System.nanoTime() < deadline) {
        assertThat(p.alive()).as("pipeline process alive (see target/crash-it.log)").isTrue();
        Map<TopicPartition, OffsetAndMetadata> offsets =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        long committed =
            offsets.values().stream()
                .filter(o -> o != null)
                .mapToLong(OffsetAndMetadata::offset)
                .sum();
        if (committed >= n) {
          return;
        }
        Thread.sleep(200);
      }
      throw new AssertionError("the pipeline never committed " + n + " input offsets");
    }
  }
}
