package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestTopics;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limits that keep a slow batch from getting its stream thread fenced: the budget follows
 * max.poll.interval.ms and, under exactly_once_v2, transaction.timeout.ms; a batch over a quarter
 * of it is reported (WARN and the streaminfer_slow_batches metric).
 */
class SlowBatchTest {
  @TempDir Path state;

  @Test
  void shouldDeriveTheBatchBudgetFromThePollAndTransactionLimits() {
    assertThat(TestConfigs.config(Map.of()).batchTimeBudget()).isEqualTo(Duration.ofSeconds(10));
    assertThat(
            TestConfigs.config(Map.of(StreamInferConfig.PROCESSING_GUARANTEE, "at_least_once"))
                .batchTimeBudget())
        .isEqualTo(Duration.ofSeconds(150));
    assertThat(TestConfigs.config(Map.of("kafka.transaction.timeout.ms", "4000")).batchTimeBudget())
        .isEqualTo(Duration.ofSeconds(4));
    assertThat(TestConfigs.config(Map.of("kafka.max.poll.interval.ms", "6000")).batchTimeBudget())
        .isEqualTo(Duration.ofSeconds(3));
    assertThat(
            StreamInferTopology.batching(
                    TestConfigs.config(Map.of()), TestConfigs.config(Map.of()).route("images"))
                .slowAfter())
        .isEqualTo(Duration.ofMillis(2_500));
    assertThatThrownBy(
            () ->
                TestConfigs.config(Map.of("kafka.max.poll.interval.ms", "soon")).batchTimeBudget())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.max.poll.interval.ms");
  }

  @Test
  void shouldReportBatchesOverAQuarterOfTheBudget() {
    // a 32-image batch is far below a quarter of the default 10 s budget ...
    assertThat(slowBatchesAfter32Images(TestConfigs.config(Map.of()), state.resolve("default")))
        .isZero();
    // ... and over a quarter of a 4 ms one (max.poll.interval.ms of 8 ms)
    assertThat(
            slowBatchesAfter32Images(
                TestConfigs.config(Map.of("kafka.max.poll.interval.ms", "8")),
                state.resolve("tight")))
        .isPositive();
  }

  private static long slowBatchesAfter32Images(StreamInferConfig config, Path dir) {
    PipelineMetrics metrics = PipelineMetrics.inMemory();
    TestTopics topics = TestTopics.of(config);
    try (ModelRegistry models = ModelRegistry.open(config)) {
      try (TopologyTestDriver d = TestConfigs.driver(config, models, dir, metrics)) {
        var in =
            d.createInputTopic(topics.images(), new StringSerializer(), new ByteArraySerializer());
        for (SampleEvents.Event e :
            SampleEvents.build(SampleData.load(), topics.inputs(), 32, 0, 0, 0, 2, false, 1)
                .events()) {
          in.pipeInput(
              new TestRecord<>(
                  e.record().key(), e.record().value(), e.record().headers(), Instant.now()));
        }
        d.advanceWallClockTime(Duration.ofSeconds(1));
      }
    }
    return (long) metrics.slowBatches("images");
  }
}
