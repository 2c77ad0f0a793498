package io.streaminfer.pipeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class StreamInferConfigTest {

  @Test
  void shouldUseDocumentedDefaults() {
    StreamInferConfig c = StreamInferConfig.of(Map.of());
    assertThat(c.getString(StreamInferConfig.PROCESSING_GUARANTEE)).isEqualTo("exactly_once_v2");
    assertThat(c.getString(StreamInferConfig.INFERENCE_DEVICE)).isEqualTo("auto");
    assertThat(c.routes())
        .extracting(Route::name)
        .containsExactly("images", "texts", "sensors", "generation");
    assertThat(c.route("sensors").models())
        .extracting(ModelRef::toString)
        .containsExactly("sensor-lstm", "sensor-gru");
    assertThat(c.route("sensors").limits().anomalyModel())
        .map(ModelRef::name)
        .contains("sensor-lstm");
    assertThat(c.route("images").outputs())
        .containsExactly(Map.entry("output", "image-predictions"));
  }

  @Test
  void shouldHandPredictionsToTheBrokerWithinFiveMillisecondsUnlessToldOtherwise() {
    // Kafka Streams' own producer default is linger.ms=100: every output would wait up to 100 ms
    var defaults =
        new StreamsConfig(StreamInferConfig.of(Map.of()).streamsProperties())
            .getProducerConfigs("p");
    assertThat(defaults.get(ProducerConfig.LINGER_MS_CONFIG)).hasToString("5");
    var alos =
        new StreamsConfig(
                StreamInferConfig.of(
                        Map.of(StreamInferConfig.PROCESSING_GUARANTEE, "at_least_once"))
                    .streamsProperties())
            .getProducerConfigs("p");
    assertThat(alos.get(ProducerConfig.LINGER_MS_CONFIG)).hasToString("5");
    var set =
        new StreamsConfig(
                StreamInferConfig.of(Map.of("kafka.linger.ms", "100")).streamsProperties())
            .getProducerConfigs("p");
    assertThat(set.get(ProducerConfig.LINGER_MS_CONFIG)).hasToString("100");
    var prefixed =
        new StreamsConfig(
                StreamInferConfig.of(Map.of("kafka.producer.linger.ms", "20")).streamsProperties())
            .getProducerConfigs("p");
    assertThat(prefixed.get(ProducerConfig.LINGER_MS_CONFIG)).hasToString("20");
  }

  @Test
  void shouldPollOftenEnoughForTheShortestBatchDelay() {
    // Kafka Streams runs punctuators between polls; its default poll.ms of 100 would hold a partial
    // batch up to 100 ms past its 5 ms delay while the input is idle
    assertThat(pollMs(Map.of())).isEqualTo(2L);
    assertThat(pollMs(Map.of("routes.sensors.batch.max.delay.ms", "1")))
        .as("a route's own delay counts")
        .isEqualTo(1L);
    assertThat(
            pollMs(
                Map.of(
                    StreamInferConfig.BATCH_MAX_SIZE,
                    "1",
                    "routes.generation.batch.max.size",
                    "64",
                    "routes.generation.batch.max.delay.ms",
                    "40")))
        .as("only the batching route counts")
        .isEqualTo(20L);
    assertThat(pollMs(Map.of(StreamInferConfig.BATCH_MAX_DELAY_MS, "1000"))).isEqualTo(100L);
    assertThat(pollMs(Map.of(StreamInferConfig.BATCH_MAX_SIZE, "1")))
        .as("no model path batches: Kafka Streams' default")
        .isEqualTo(100L);
    assertThat(pollMs(Map.of("kafka.poll.ms", "50"))).isEqualTo(50L);
    StreamInferConfig perRoute =
        StreamInferConfig.of(
            Map.of("isolation", "per-route", "routes.images.batch.max.delay.ms", "40"));
    assertThat(
            perRoute
                .streamsProperties(List.of(perRoute.route("images")))
                .get(StreamsConfig.POLL_MS_CONFIG))
        .as("a client of its own polls as its route's delay says")
        .isEqualTo(20L);
    assertThat(
            perRoute
                .streamsProperties(List.of(perRoute.route("texts")))
                .get(StreamsConfig.POLL_MS_CONFIG))
        .isEqualTo(2L);
  }

  private static long pollMs(Map<String, String> settings) {
    return new StreamsConfig(StreamInferConfig.of(settings).streamsProperties())
        .getLong(StreamsConfig.POLL_MS_CONFIG);
  }

  @Test
  void shouldRejectAnUnknownKeyByName() {
    assertThatThrownBy(() -> StreamInferConfig.of(Map.of("inference.devcie", "cpu")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown configuration key 'inference.devcie'");
  }

  @Test
  void shouldRejectInvalidValuesNamingTheKey() {
    assertThatThrownBy(
            () -> StreamInferConfig.of(Map.of(StreamInferConfig.INFERENCE_DEVICE, "gpu")))
        .hasMessageContaining("inference.device")
        .hasMessageContaining("expected auto, cpu, cuda or cuda:N");
    assertThatThrownBy(
            () ->
                StreamInferConfig.of(
                    Map.of(StreamInferConfig.PROCESSING_GUARANTEE, "exactly_once")))
        .hasMessageContaining("processing.guarantee");
    assertThatThrownBy(() -> StreamInferConfig.of(Map.of(StreamInferConfig.MAX_SAMPLES, "0")))
        .hasMessageContaining("generation.max.samples");
    assertThatThrownBy(
            () -> StreamInferConfig.of(Map.of(StreamInferConfig.MODELS_PIN, "digits-cnn")))
        .hasMessageContaining("models.pin")
        .hasMessageContaining("expected name:version");
    assertThatThrownBy(
            () -> StreamInferConfig.of(Map.of("routes.sensors.anomaly.model", "digits-cnn")))
        .hasMessageContaining("routes.sensors.anomaly.model")
        .hasMessageContaining("must be one of routes.sensors.models");
  }

  @Test
  void shouldLayerFileThenEnvironmentThenOverrides() {
    Properties file = new Properties();
    file.put(StreamInferConfig.INFERENCE_DEVICE, "cuda:1");
    file.put(StreamInferConfig.APPLICATION_ID, "from-file");
    file.put("kafka.security.protocol", "SSL");
    Map<String, String> env =
        Map.of(
            "STREAMINFER_INFERENCE_DEVICE",
            "cpu",
            "STREAMINFER_KAFKA_SASL_MECHANISM",
            "PLAIN",
            "PATH",
            "/usr/bin");
    StreamInferConfig c =
        StreamInferConfig.load(file, env, Map.of(StreamInferConfig.APPLICATION_ID, "from-cli"));
    assertThat(c.getString(StreamInferConfig.INFERENCE_DEVICE)).isEqualTo("cpu");
    assertThat(c.getString(StreamInferConfig.APPLICATION_ID)).isEqualTo("from-cli");
    Properties streams = c.streamsProperties();
    assertThat(streams)
        .containsEntry("security.protocol", "SSL")
        .containsEntry("sasl.mechanism", "PLAIN")
        .containsEntry("application.id", "from-cli");
  }

  @Test
  void shouldRejectAnUnknownEnvironmentOverride() {
    assertThatThrownBy(() -> StreamInferConfig.fromEnvironment(Map.of("STREAMINFER_NOPE", "1")))
        .hasMessageContaining("STREAMINFER_NOPE");
  }

  @Test
  void shouldParsePins() {
    StreamInferConfig c =
        StreamInferConfig.of(Map.of(StreamInferConfig.MODELS_PIN, "digits-cnn:1, sensor-gru:3"));
    assertThat(c.pin("digits-cnn")).contains("1");
    assertThat(c.pin("sensor-gru")).contains("3");
    assertThat(c.pin("langid-transformer")).isEmpty();
  }
}
