package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.Forecast;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A route serving a multivariate, multi-step windowed forecaster (macro-gru-multi: four values per
 * reading, four steps ahead of two features) declared by configuration: each sensor's window keeps
 * every reading's values, and the forecasts made from the raw readings equal PyTorch's.
 */
class MultivariateForecastTopologyTest {
  static final String IN = "macro-readings";
  static final String OUT = "macro-forecasts";
  static final String DLQ = "dead-letters";
  private static StreamInferConfig config;
  private static ModelRegistry models;
  private static JsonNode ref;

  @TempDir Path state;

  static Map<String, Object> keys() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put(StreamInferConfig.ROUTES, "images,texts,sensors,generation,macro");
    return SequenceRoutes.route(p, "macro", IN, "macro-gru-multi", OUT);
  }

  @BeforeAll
  static void load() throws IOException {
    config = TestConfigs.config(keys());
    models = ModelRegistry.open(config);
    ref =
        new ObjectMapper()
            .readTree(
                Path.of(TestConfigs.repository(), "macro-gru-multi", "1", "reference.json")
                    .toFile());
  }

  @AfterAll
  static void close() {
    models.close();
  }

  private static byte[] reading(String sensor, int t, double[] v) {
    return SequenceRoutes.reading(
        IN, sensor, t, v, Instant.parse("1959-01-01T00:00:00Z"), Duration.ofDays(91));
  }

  private static double[] row(JsonNode example, int t) {
    JsonNode r = example.path("input").path("readings").get(t);
    double[] v = new double[r.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.get(i).asDouble();
    }
    return v;
  }

  private static Map<String, List<TestRecord<String, byte[]>>> pipe(
      TopologyTestDriver d, List<Map.Entry<String, byte[]>> records) {
    return SequenceRoutes.pipe(d, IN, List.of(OUT, DLQ), records);
  }

  private static Forecast forecast(TestRecord<String, byte[]> r) {
    return SequenceRoutes.forecast(r);
  }

  @Test
  void forecastsFromTheRawReadingsEqualPyTorchsForEveryStepAndTarget() {
    // every reference window is one sensor's readings, the sensors interleaved in one batch
    List<Map.Entry<String, byte[]>> records = new ArrayList<>();
    int examples = ref.path("examples").size();
    int window = ref.path("examples").get(0).path("input").path("readings").size();
    for (int t = 0; t < window; t++) {
      for (int e = 0; e < examples; e++) {
        records.add(Map.entry("ex" + e, reading("ex" + e, t, row(ref.path("examples").get(e), t))));
      }
    }
    try (TopologyTestDriver d = TestConfigs.driver(config, models, state)) {
      var out = pipe(d, records);
      assertThat(out.get(DLQ)).isEmpty();
      assertThat(out.get(OUT)).hasSize(examples); // one full window per sensor, at its last
      double worst = 0;
      for (var r : out.get(OUT)) {
        Forecast f = forecast(r);
        JsonNode ex = ref.path("examples").get(Integer.parseInt(r.key().substring(2)));
        JsonNode want = ex.path("expected").path("steps");
        JsonNode std = ex.path("expected").path("std");
        assertThat(f.getSteps()).hasSize(want.size());
        assertThat(f.getWindowSize()).isEqualTo(window);
        for (int h = 0; h < want.size(); h++) {
          for (int k = 0; k < want.get(h).size(); k++) {
            double unit = std.get(k).asDouble(); // targets are features 0 and 1
            worst =
                Math.max(
                    worst,
                    Math.abs(f.getSteps().get(h).get(k) - want.get(h).get(k).asDouble()) / unit);
          }
        }
        assertThat(f.getForecast()).isEqualTo(f.getSteps().get(0).get(0));
      }
      assertThat(worst)
          .as("max |pipeline - PyTorch| in the targets' window z units")
          .isLessThanOrEqualTo(ref.path("tolerance").asDouble());
      KeyValueStore<String, SensorState> store = d.getKeyValueStore("windows-macro");
      assertThat(store.get("ex0").width()).isEqualTo(4);
    }
  }

  @Test
  void readingsOfAnotherSizeOrWithANonFiniteFeatureGoToDeadLetters() {
    JsonNode ex = ref.path("examples").get(0);
    try (TopologyTestDriver d = TestConfigs.driver(config, models, state)) {
      var out =
          pipe(
              d,
              List.of(
                  Map.entry("s", reading("s", 0, row(ex, 0))),
                  Map.entry("s", reading("s", 1, new double[] {5.0})), // an old producer's
                  Map.entry("s", reading("s", 2, new double[] {5.0, 1.0, Double.NaN, 2.0}))));
      assertThat(out.get(DLQ))
          .extracting(r -> DeadLetters.header(r.headers(), DeadLetters.CODE))
          .containsExactly("READING_FEATURES", "READING_NOT_FINITE");
      KeyValueStore<String, SensorState> store = d.getKeyValueStore("windows-macro");
      assertThat(store.get("s").count()).isEqualTo(1);
    }
  }

  @Test
  void aRouteMixingItWithAOneValueForecasterFailsAtStart() {
    Map<String, Object> k = new LinkedHashMap<>(keys());
    k.put("routes.macro.models", "macro-gru-multi,sensor-gru");
    StreamInferConfig mixed = TestConfigs.config(k);
    assertThatThrownBy(() -> ModelRegistry.open(mixed).close())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.macro.models")
        .hasMessageContaining("different sizes");
  }
}
