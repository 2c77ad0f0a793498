package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The forecast route's processor alone, on a MockProcessorContext. */
class SensorProcessorTest {
  private static StreamInferConfig config;
  private static ModelRegistry models;
  private static Route route;

  @BeforeAll
  static void load() {
    config = TestConfigs.config(Map.of());
    models = ModelRegistry.open(config);
    route = config.route("sensors");
  }

  @AfterAll
  static void close() {
    models.close();
  }

  private static byte[] reading(String sensor, int i, double value) {
    return AvroSerdes.serde(SensorReading.class)
        .serializer()
        .serialize(
            "",
            SensorReading.newBuilder()
                .setId(sensor + "-" + i)
                .setSensorId(sensor)
                .setEventTime(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i))
                .setValue(value)
                .build());
  }

  @Test
  void shouldForecastEveryFullWindowWithEveryModelAndKeepTheWindowInItsStore() {
    var p =
        new SensorProcessor(
            route,
            new BatchSettings(8, Duration.ofMillis(50)),
            models,
            PipelineMetrics.inMemory().route(route.name()));
    ProcessorHarness h = new ProcessorHarness(route, new ForecastFamily(), p);
    h.context.setCurrentSystemTimeMs(
        Instant.parse("2026-06-01T00:00:00Z").toEpochMilli()); // after the readings
    h.init();
    int w = models.task("sensor-lstm", io.streaminfer.models.task.Forecaster.class).window();
    int n = w + 6;
    for (int i = 0; i < n; i++) {
      h.process("s1", reading("s1", i, Math.sin(i / 3.0) + (i == n - 2 ? 50 : 0)));
    }
    h.process("s1", reading("s1", n - 1, 1.0)); // a second reading at the same time
    h.punctuateAt(h.context.currentSystemTimeMs() + 1_000);

    var forecasts = h.forwarded(route.sinkNode(Route.OUTPUT));
    assertThat(forecasts).hasSize(2 * (n - w + 1));
    assertThat(forecasts)
        .extracting(f -> ((Forecast) f.record().value()).getMetadata().getModelName())
        .containsOnly("sensor-lstm", "sensor-gru");
    assertThat(h.forwarded(route.sinkNode(ForecastFamily.ANOMALIES)))
        .extracting(f -> ((AnomalyAlert) f.record().value()).getId())
        .contains("s1-" + (n - 2));
    assertThat(h.forwarded(route.deadLetterNode()))
        .singleElement()
        .satisfies(
            f ->
                assertThat(DeadLetters.header(f.record().headers(), DeadLetters.CODE))
                    .isEqualTo("READING_OUT_OF_ORDER"));
    KeyValueStore<String, SensorState> windows =
        h.context.getStateStore(route.store(ForecastFamily.WINDOWS));
    assertThat(windows.get("s1").readings()).hasSize(n);
    assertThat(windows.get("s1").pending()).isNotNull();
  }
}
