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
import java.util.HashMap;
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
 * A route serving a stateful step model (elnino-lstm-step, three values per reading) declared by
 * configuration: each sensor's recurrent state lives in the route's store, one step per reading,
 * sensors batched together, and the forecasts equal PyTorch's run of the whole series at once —
 * also across a restart of the pipeline on the same store, and for a sensor that starts later.
 */
class StatefulForecastTopologyTest {
  static final String IN = "ocean-readings";
  static final String OUT = "ocean-forecasts";
  static final String DLQ = "dead-letters";
  private static StreamInferConfig config;
  private static ModelRegistry models;
  private static JsonNode ref;
  private static double scale;

  @TempDir Path state;

  /** The route keys: the default four routes and {@code ocean}. */
  static Map<String, Object> keys() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put(StreamInferConfig.ROUTES, "images,texts,sensors,generation,ocean");
    return SequenceRoutes.route(p, "ocean", IN, "elnino-lstm-step", OUT);
  }

  @BeforeAll
  static void load() throws IOException {
    config = TestConfigs.config(keys());
    models = ModelRegistry.open(config);
    ref =
        new ObjectMapper()
            .readTree(
                Path.of(TestConfigs.repository(), "elnino-lstm-step", "1", "reference.json")
                    .toFile());
    scale =
        new ObjectMapper()
            .readTree(
                Path.of(TestConfigs.repository(), "elnino-lstm-step", "1", "model.json").toFile())
            .path("preprocessing")
            .path("scale")
            .path("std")
            .get(0)
            .asDouble();
  }

  @AfterAll
  static void close() {
    models.close();
  }

  private static byte[] reading(String sensor, int t, double[] v) {
    return SequenceRoutes.reading(
        IN, sensor, t, v, Instant.parse("1950-01-01T00:00:00Z"), Duration.ofDays(30));
  }

  private static double[] values(int t) {
    JsonNode r = ref.path("readings").get(t);
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
  void everySensorsForecastsEqualTheFullSequenceRunAcrossARestartOnTheSameStore() {
    int n = ref.path("readings").size();
    int half = n / 2;
    int lag = 100; // sensor "late" runs the series 100 readings behind "early", interleaved
    List<Map.Entry<String, byte[]>> first = new ArrayList<>();
    List<Map.Entry<String, byte[]>> second = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      var part = t < half ? first : second;
      part.add(Map.entry("early", reading("early", t, values(t))));
      if (t >= lag) {
        part.add(Map.entry("late", reading("late", t - lag, values(t - lag))));
      }
    }
    List<Forecast> got = new ArrayList<>();
    Map<String, byte[]> saved = new HashMap<>();
    var serde = new SensorState.StateSerde();
    try (TopologyTestDriver d = TestConfigs.driver(config, models, state.resolve("first"))) {
      got.addAll(
          pipe(d, first).get(OUT).stream().map(StatefulForecastTopologyTest::forecast).toList());
      KeyValueStore<String, SensorState> store = d.getKeyValueStore("windows-ocean");
      for (String sensor : List.of("early", "late")) {
        saved.put(sensor, serde.serialize("windows-ocean-changelog", store.get(sensor)));
      }
    }
    // a new instance restores every sensor's state (as from the changelog) and carries it on
    try (TopologyTestDriver d = TestConfigs.driver(config, models, state.resolve("second"))) {
      KeyValueStore<String, SensorState> store = d.getKeyValueStore("windows-ocean");
      saved.forEach((k, v) -> store.put(k, serde.deserialize("windows-ocean-changelog", v)));
      // the partition's offsets go on past the first instance's (a new test driver starts at 0)
      List<Map.Entry<String, byte[]>> other = new ArrayList<>();
      for (int t = 0; t < first.size(); t++) {
        other.add(Map.entry("other", reading("other", t, values(t % n))));
      }
      assertThat(pipe(d, other).get(DLQ)).isEmpty();
      var out = pipe(d, second);
      assertThat(out.get(DLQ)).isEmpty();
      got.addAll(out.get(OUT).stream().map(StatefulForecastTopologyTest::forecast).toList());
      assertThat(store.get("early").recurrent()).containsOnlyKeys("elnino-lstm-step");
      assertThat(store.get("early").recurrent().get("elnino-lstm-step").state()).hasNumberOfRows(2);
    }
    assertThat(got).hasSize(2 * n - lag);
    double worst = 0;
    String worstId = "";
    for (Forecast f : got) {
      int t = Integer.parseInt(f.getId().substring(f.getId().indexOf('-') + 1));
      double want = ref.path("forecasts").get(t).asDouble();
      if (Math.abs(f.getForecast() - want) / scale > worst) {
        worstId = f.getId() + "@" + got.indexOf(f);
      }
      worst = Math.max(worst, Math.abs(f.getForecast() - want) / scale);
      assertThat(f.getSteps()).hasSize(1);
      assertThat(f.getSteps().get(0)).containsExactly(f.getForecast());
      assertThat(f.getWindowSize()).isZero();
      assertThat(f.getMetadata().getModelName()).isEqualTo("elnino-lstm-step");
    }
    assertThat(worst)
        .as("max |pipeline - PyTorch full sequence| in scaled units, at %s", worstId)
        .isLessThanOrEqualTo(ref.path("tolerance").asDouble());
  }

  @Test
  void readingsOfAnotherSizeOrWithANonFiniteFeatureGoToDeadLettersAndTheSensorGoesOn() {
    try (TopologyTestDriver d = TestConfigs.driver(config, models, state)) {
      var out =
          pipe(
              d,
              List.of(
                  Map.entry("s", reading("s", 0, values(0))),
                  Map.entry("s", reading("s", 1, new double[] {25.0})), // an old producer's
                  Map.entry("s", reading("s", 2, new double[] {25.0, Double.NaN, 1.0})),
                  Map.entry("s", reading("s", 3, values(1)))));
      assertThat(out.get(DLQ))
          .extracting(r -> DeadLetters.header(r.headers(), DeadLetters.CODE))
          .containsExactly("READING_FEATURES", "READING_NOT_FINITE");
      // the refused readings left the state alone: reading 3 is the sensor's second step
      assertThat(out.get(OUT)).hasSize(2);
      double want = ref.path("forecasts").get(1).asDouble();
      assertThat(forecast(out.get(OUT).get(1)).getForecast())
          .isCloseTo(want, org.assertj.core.data.Offset.offset(1e-4 * scale));
    }
  }

  @Test
  void aStateOfAnotherModelStartsAfreshAndACorruptOneIsRefusedThenReset() {
    try (TopologyTestDriver d = TestConfigs.driver(config, models, state)) {
      KeyValueStore<String, SensorState> store = d.getKeyValueStore("windows-ocean");
      var stale =
          SensorState.empty()
              .withRecurrent(
                  "elnino-lstm-step",
                  SensorState.Recurrent.fresh(
                      "elnino-lstm-step:0;h0[2, 32]", new float[][] {{1f}}));
      var corrupt =
          SensorState.empty()
              .withRecurrent(
                  "elnino-lstm-step",
                  SensorState.Recurrent.fresh(signature(), new float[][] {{1f}, {2f}}));
      store.put("stale", stale);
      store.put("corrupt", corrupt);
      var out =
          pipe(
              d,
              List.of(
                  Map.entry("stale", reading("stale", 0, values(0))),
                  Map.entry("corrupt", reading("corrupt", 0, values(0))),
                  Map.entry("corrupt", reading("corrupt", 1, values(0)))));
      assertThat(out.get(DLQ))
          .singleElement()
          .satisfies(
              r -> {
                assertThat(DeadLetters.header(r.headers(), DeadLetters.CODE))
                    .isEqualTo("STATE_MISMATCH");
                assertThat(r.key()).isEqualTo("corrupt");
              });
      double fresh = ref.path("forecasts").get(0).asDouble();
      assertThat(out.get(OUT))
          .extracting(r -> forecast(r).getForecast())
          .allSatisfy(
              v -> assertThat(v).isCloseTo(fresh, org.assertj.core.data.Offset.offset(1e-4)));
      assertThat(out.get(OUT)).hasSize(2);
    }
  }

  private static String signature() {
    return models
        .task("elnino-lstm-step", io.streaminfer.models.task.StepForecaster.class)
        .signature();
  }

  @Test
  void aRouteMixingReadingSizesFailsAtStartNamingItsModelsKey() {
    Map<String, Object> k = new LinkedHashMap<>(keys());
    k.put("routes.ocean.models", "elnino-lstm-step,sensor-gru");
    StreamInferConfig mixed = TestConfigs.config(k);
    assertThatThrownBy(() -> ModelRegistry.open(mixed).close())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.ocean.models")
        .hasMessageContaining("different sizes");
  }
}
