package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestTopics;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Micro-batching changes when models run, never what they predict or the order per key. */
class BatchingEquivalenceTest {
  private static ModelRegistry models;

  @TempDir Path state;

  @BeforeAll
  static void load() {
    models = ModelRegistry.open(TestConfigs.config(Map.of()));
  }

  @AfterAll
  static void close() {
    models.close();
  }

  /** Every output record of a run over the same interleaved stream, per topic, in order. */
  private Map<String, List<SpecificRecord>> run(int batchSize, String dir) {
    StreamInferConfig config =
        TestConfigs.config(
            Map.of(
                StreamInferConfig.BATCH_MAX_SIZE,
                batchSize,
                StreamInferConfig.BATCH_MAX_DELAY_MS,
                50L));
    TestTopics topics = TestTopics.of(config);
    Map<String, List<SpecificRecord>> out = new HashMap<>();
    try (TopologyTestDriver driver = TestConfigs.driver(config, models, state.resolve(dir))) {
      var stream =
          SampleEvents.build(SampleData.load(), topics.inputs(), 50, 50, 60, 10, 2, true, 3);
      Instant t = Instant.parse("2026-01-01T00:00:00Z");
      for (var e : stream.events()) {
        driver
            .createInputTopic(e.record().topic(), new StringSerializer(), new ByteArraySerializer())
            .pipeInput(
                new TestRecord<>(e.record().key(), e.record().value(), e.record().headers(), t));
        driver.advanceWallClockTime(Duration.ofMillis(7)); // some batches fill, others time out
      }
      driver.advanceWallClockTime(Duration.ofSeconds(1));
      Map<String, Class<? extends SpecificRecord>> types =
          Map.of(
              topics.imagePredictions(),
              Classification.class,
              topics.textPredictions(),
              Classification.class,
              topics.forecasts(),
              Forecast.class,
              topics.anomalies(),
              AnomalyAlert.class,
              topics.generatedImages(),
              GeneratedImage.class);
      types.forEach(
          (topic, type) -> {
            List<SpecificRecord> values = new ArrayList<>();
            driver
                .createOutputTopic(topic, new StringDeserializer(), new ByteArrayDeserializer())
                .readValuesToList()
                .forEach(v -> values.add(decode(type, topic, v)));
            out.put(topic, values);
          });
      int dead =
          driver
              .createOutputTopic(
                  topics.deadLetters(), new StringDeserializer(), new ByteArrayDeserializer())
              .readRecordsToList()
              .size();
      out.put(
          "dead-letter-count",
          new ArrayList<>(java.util.Collections.nCopies(dead, (SpecificRecord) null)));
    }
    return out;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static SpecificRecord decode(Class type, String topic, byte[] v) {
    return (SpecificRecord) AvroSerdes.serde(type).deserializer().deserialize(topic, v);
  }

  @Test
  void batchedAndUnbatchedRunsPredictTheSame() {
    Map<String, List<SpecificRecord>> single = run(1, "single");
    Map<String, List<SpecificRecord>> batched = run(16, "batched");
    assertThat(batched.get("dead-letter-count"))
        .hasSameSizeAs(single.get("dead-letter-count"))
        .isNotEmpty();
    for (String topic : List.of("image-predictions", "text-predictions")) {
      Map<String, Classification> byId = new HashMap<>();
      single.get(topic).forEach(r -> byId.put(((Classification) r).getId(), (Classification) r));
      assertThat(batched.get(topic)).hasSameSizeAs(single.get(topic)).isNotEmpty();
      for (SpecificRecord r : batched.get(topic)) {
        Classification b = (Classification) r;
        Classification s = byId.get(b.getId());
        assertThat(b.getLabel()).as(b.getId()).isEqualTo(s.getLabel());
        assertThat(b.getScore()).as(b.getId()).isCloseTo(s.getScore(), within(1e-5f));
      }
    }
    // forecasts: same values in the same order per sensor and model
    List<SpecificRecord> fs = single.get("forecasts");
    List<SpecificRecord> fb = batched.get("forecasts");
    assertThat(fb).hasSameSizeAs(fs).isNotEmpty();
    Map<String, List<Forecast>> perKeyS = perKey(fs);
    Map<String, List<Forecast>> perKeyB = perKey(fb);
    assertThat(perKeyB.keySet()).isEqualTo(perKeyS.keySet());
    perKeyS.forEach(
        (k, list) -> {
          List<Forecast> other = perKeyB.get(k);
          for (int i = 0; i < list.size(); i++) {
            assertThat(other.get(i).getId()).isEqualTo(list.get(i).getId());
            assertThat(other.get(i).getForecast())
                .isCloseTo(
                    list.get(i).getForecast(),
                    within(1e-4 * Math.max(1, Math.abs(list.get(i).getForecast()))));
          }
        });
    assertThat(
            batched.get("anomalies").stream()
                .map(a -> ((AnomalyAlert) a).getId())
                .sorted()
                .toList())
        .isEqualTo(
            single.get("anomalies").stream()
                .map(a -> ((AnomalyAlert) a).getId())
                .sorted()
                .toList());
    List<SpecificRecord> gs = single.get("generated-images");
    List<SpecificRecord> gb = batched.get("generated-images");
    assertThat(gb).hasSameSizeAs(gs).isNotEmpty();
    for (int i = 0; i < gs.size(); i++) {
      assertThat(((GeneratedImage) gb.get(i)).getPng())
          .isEqualTo(((GeneratedImage) gs.get(i)).getPng());
    }
    // batches really formed
    assertThat(
            fb.stream().mapToInt(r -> ((Forecast) r).getMetadata().getBatchSize()).max().orElse(0))
        .isGreaterThan(1);
  }

  private static Map<String, List<Forecast>> perKey(List<SpecificRecord> records) {
    Map<String, List<Forecast>> out = new HashMap<>();
    records.forEach(
        r -> {
          Forecast f = (Forecast) r;
          out.computeIfAbsent(
                  f.getSensorId() + "/" + f.getMetadata().getModelName(), k -> new ArrayList<>())
              .add(f);
        });
    return out;
  }
}
