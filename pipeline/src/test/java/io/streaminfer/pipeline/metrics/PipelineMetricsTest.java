package io.streaminfer.pipeline.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.TextEvent;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each instance counts into its own registry, every meter labelled by route. */
class PipelineMetricsTest {
  @TempDir Path state;

  @Test
  void shouldCountTwoInstancesInOneJvmApartAndPerRoute() {
    StreamInferConfig config = TestConfigs.config(Map.of());
    SampleEvents.Stream stream =
        SampleEvents.build(
            SampleData.load(), SampleEvents.Inputs.of(config), 10, 3, 0, 0, 2, false, 9);
    PipelineMetrics a = PipelineMetrics.inMemory();
    PipelineMetrics b = PipelineMetrics.inMemory();
    try (ModelRegistry models = ModelRegistry.open(config);
        TopologyTestDriver da = TestConfigs.driver(config, models, state.resolve("a"), a);
        TopologyTestDriver db = TestConfigs.driver(config, models, state.resolve("b"), b)) {
      pipe(
          da,
          stream.of(SampleEvents.Kind.IMAGES).stream().map(SampleEvents.Event::record).toList());
      byte[] empty =
          AvroSerdes.serde(TextEvent.class)
              .serializer()
              .serialize(
                  "",
                  TextEvent.newBuilder()
                      .setId("e")
                      .setEventTime(Instant.now())
                      .setText(" ")
                      .build());
      List<ProducerRecord<String, byte[]>> texts =
          new java.util.ArrayList<>(
              stream.of(SampleEvents.Kind.TEXTS).stream().map(SampleEvents.Event::record).toList());
      texts.add(new ProducerRecord<>(config.route("texts").input(), "e", empty));
      pipe(db, texts);
    }
    assertThat(a.predictions("images")).isEqualTo(10);
    assertThat(a.predictions("texts")).isZero();
    assertThat(b.predictions("images")).isZero();
    assertThat(b.predictions("texts")).isEqualTo(3);
    assertThat(b.deadLetters("texts", ErrorCode.TEXT_EMPTY)).isEqualTo(1);
    assertThat(a.deadLetters("texts", ErrorCode.TEXT_EMPTY)).isZero();
    assertThat(
            a.registry()
                .find("streaminfer.inference")
                .tag("route", "images")
                .tag("model", "digits-cnn")
                .timer())
        .isNotNull()
        .satisfies(t -> assertThat(t.count()).isPositive());
    assertThat(
            a.registry()
                .find("streaminfer.batch.size")
                .tag("route", "images")
                .summary()
                .totalAmount())
        .isEqualTo(10);
  }

  private static void pipe(TopologyTestDriver d, List<ProducerRecord<String, byte[]>> records) {
    for (ProducerRecord<String, byte[]> r : records) {
      d.createInputTopic(r.topic(), new StringSerializer(), new ByteArraySerializer())
          .pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), Instant.now()));
    }
    d.advanceWallClockTime(Duration.ofSeconds(1));
  }
}
