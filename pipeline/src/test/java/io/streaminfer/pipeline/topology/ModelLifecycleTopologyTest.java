package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.models.postprocess.PngEncoder;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestRepository;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.pipeline.model.Serving;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.ImageEncoding;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.ModelControl;
import io.streaminfer.schemas.ModelVersion;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.SampleData;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Canary and shadow on the image route through the whole topology: a 10 % canary takes 10 ± 2 % of
 * 5,000 keys, each key keeps its version while the split stands, and every prediction names the
 * version and the control record it was served under; a shadow gets exactly one prediction per
 * event on the shadow topic while the route's output stays the serving version's, and its agreement
 * is counted.
 */
class ModelLifecycleTopologyTest {
  @TempDir Path repo;
  @TempDir Path state;

  private static final SampleData DATA = SampleData.load();

  private static byte[] image(String id, int i) {
    SampleData.Digit d = DATA.digits().get(i % DATA.digits().size());
    return AvroSerdes.serde(ImageEvent.class)
        .serializer()
        .serialize(
            "",
            ImageEvent.newBuilder()
                .setId(id)
                .setEventTime(Instant.parse("2026-01-01T00:00:00Z"))
                .setEncoding(ImageEncoding.PNG)
                .setData(ByteBuffer.wrap(PngEncoder.png(d.pixels(), d.width(), d.height())))
                .build());
  }

  private ModelVersion version(String name, String v) {
    return TestRepository.version(repo, name, v);
  }

  private StreamInferConfig config() {
    return TestConfigs.config(
        Map.of(
            StreamInferConfig.MODELS_REPOSITORY,
            repo.toString(),
            StreamInferConfig.MODELS_PIN,
            "digits-cnn:1"));
  }

  @Test
  void shouldServeATenPercentCanaryOnAStableShareOfKeys() {
    TestRepository.copy(repo);
    TestRepository.addVersion(repo, "digits-cnn", "1", "digits-cnn", "2");
    StreamInferConfig config = config();
    int keys = 5_000;
    PipelineMetrics metrics = PipelineMetrics.inMemory();
    try (ModelRegistry models = ModelRegistry.open(config);
        TopologyTestDriver d = TestConfigs.driver(config, models, state, metrics)) {
      // given: digits-cnn:2 on 10 % of the keys (control record 12)
      ModelControl c =
          ModelControl.newBuilder()
              .setRoute("images")
              .setServing(version("digits-cnn", "1"))
              .setCanary(version("digits-cnn", "2"))
              .setCanaryShare(0.10)
              .setIssuedAt(Instant.now())
              .build();
      assertThat(models.apply("images", c, 12).applied()).isTrue();
      TestInputTopic<String, byte[]> in =
          d.createInputTopic("images", new StringSerializer(), new ByteArraySerializer());

      // when: two events of every key
      for (int round = 0; round < 2; round++) {
        for (int k = 0; k < keys; k++) {
          in.pipeInput(
              new TestRecord<>("user-" + k, image("img-" + round + "-" + k, k), Instant.now()));
        }
      }
      d.advanceWallClockTime(Duration.ofSeconds(1));

      // then
      var out =
          d.createOutputTopic(
                  "image-predictions", new StringDeserializer(), new ByteArrayDeserializer())
              .readValuesToList();
      assertThat(out).hasSize(2 * keys);
      Map<String, String> versionOfKey = new HashMap<>();
      int canary = 0;
      for (byte[] v : out) {
        Classification p = AvroSerdes.serde(Classification.class).deserializer().deserialize("", v);
        String key = "user-" + p.getId().substring(p.getId().lastIndexOf('-') + 1);
        String version = p.getMetadata().getModelVersion();
        assertThat(p.getMetadata().getControlOffset()).isEqualTo(12);
        String before = versionOfKey.putIfAbsent(key, version);
        assertThat(before).as("key %s never flips", key).isIn(null, version);
        boolean expected = Serving.inCanary(key.getBytes(StandardCharsets.UTF_8), 0.10);
        assertThat(version).as("version of %s", key).isEqualTo(expected ? "2" : "1");
        if (p.getId().startsWith("img-0-") && version.equals("2")) {
          canary++;
        }
      }
      double share = canary / (double) keys;
      System.out.printf("canary 10%%: %d of %d keys (%.2f %%)%n", canary, keys, 100 * share);
      assertThat(share).isBetween(0.08, 0.12);
      assertThat(metrics.split("images", "canary")).isEqualTo(2 * canary);
      assertThat(metrics.split("images", "primary")).isEqualTo(2 * (keys - canary));
    }
  }

  @Test
  void shouldShadowEveryEventWithoutChangingTheRoutesOutput() {
    TestRepository.copy(repo);
    TestRepository.addVersion(repo, "digits-mobilenet", "1", "digits-cnn", "3");
    StreamInferConfig config = config();
    PipelineMetrics metrics = PipelineMetrics.inMemory();
    int events = 300;
    try (ModelRegistry models = ModelRegistry.open(config);
        TopologyTestDriver d = TestConfigs.driver(config, models, state, metrics)) {
      ModelControl c =
          ModelControl.newBuilder()
              .setRoute("images")
              .setServing(version("digits-cnn", "1"))
              .setShadow(version("digits-cnn", "3"))
              .setIssuedAt(Instant.now())
              .build();
      assertThat(models.apply("images", c, 4).applied()).isTrue();
      TestInputTopic<String, byte[]> in =
          d.createInputTopic("images", new StringSerializer(), new ByteArraySerializer());
      for (int i = 0; i < events; i++) {
        in.pipeInput(new TestRecord<>("img-" + i, image("img-" + i, i), Instant.now()));
      }
      d.advanceWallClockTime(Duration.ofSeconds(1));

      List<byte[]> served =
          d.createOutputTopic(
                  "image-predictions", new StringDeserializer(), new ByteArrayDeserializer())
              .readValuesToList();
      var shadowTopic =
          d.createOutputTopic(
                  config.getString(StreamInferConfig.TOPIC_SHADOW_PREDICTIONS),
                  new StringDeserializer(),
                  new ByteArrayDeserializer())
              .readRecordsToList();
      assertThat(served).hasSize(events);
      assertThat(shadowTopic).hasSize(events);
      Map<String, String> servedLabel = new HashMap<>();
      for (byte[] v : served) {
        Classification p = AvroSerdes.serde(Classification.class).deserializer().deserialize("", v);
        assertThat(p.getMetadata().getModelVersion()).isEqualTo("1");
        servedLabel.put(p.getId(), p.getLabel());
      }
      int agree = 0;
      java.util.Set<String> ids = new java.util.HashSet<>();
      for (var r : shadowTopic) {
        Classification p =
            AvroSerdes.serde(Classification.class).deserializer().deserialize("", r.value());
        assertThat(p.getMetadata().getModelVersion()).isEqualTo("3");
        assertThat(DeadLetters.header(r.headers(), DeadLetters.ROUTE)).isEqualTo("images");
        assertThat(ids.add(p.getId())).as("one shadow prediction per event").isTrue();
        agree += p.getLabel().equals(servedLabel.get(p.getId())) ? 1 : 0;
      }
      assertThat(ids).isEqualTo(servedLabel.keySet());
      assertThat(metrics.shadows("images", "agree")).isEqualTo(agree);
      assertThat(metrics.shadows("images", "disagree")).isEqualTo(events - agree);
      System.out.printf(
          "shadow agreement digits-cnn:1 vs mobilenet as :3: %d of %d%n", agree, events);
    }
  }
}
