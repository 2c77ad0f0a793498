package io.streaminfer.pipeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.model.ModelRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Liveness and readiness follow the clients' states and the routes' models: a client that has not
 * started is live but not ready, a stopped one is neither, and a route naming a model that is not
 * loaded keeps the instance unready and says which.
 */
class HealthTest {
  @TempDir Path state;

  @Test
  void shouldBeLiveButNotReadyBeforeRunningAndNeitherOnceStopped() throws Exception {
    StreamInferConfig served = TestConfigs.config(Map.of("routes", "images"));
    StreamInferConfig declared =
        TestConfigs.config(
            Map.of("routes", "images,texts", "routes.texts.models", "langid-bert:9"));
    try (ModelRegistry models = ModelRegistry.open(served)) {
      KafkaStreams client = client();
      try {
        Health health = new Health(Map.of("streaminfer", client), declared.instances(), models);
        // a client created, not started: live (it may still start), not ready
        Health.Report live = health.live();
        assertThat(live.up()).isTrue();
        assertThat(json(live).path("clients").path("streaminfer").asText()).isEqualTo("CREATED");
        Health.Report ready = health.ready();
        assertThat(ready.up()).isFalse();
        JsonNode body = json(ready);
        assertThat(body.path("status").asText()).isEqualTo("DOWN");
        assertThat(body.path("routes").path("images").path("digits-cnn").asText())
            .isEqualTo("digits-cnn:1");
        assertThat(body.path("routes").path("texts").path("langid-bert:9").asText())
            .as("a route whose model is not loaded")
            .isEqualTo("not loaded");
        // stopped: neither
        client.close(Duration.ofSeconds(5));
        assertThat(health.live().up()).isFalse();
        assertThat(json(health.live()).path("clients").path("streaminfer").asText())
            .isEqualTo("NOT_RUNNING");
        assertThat(health.ready().up()).isFalse();
      } finally {
        client.close(Duration.ofSeconds(5));
      }
    }
  }

  private KafkaStreams client() {
    StreamsBuilder b = new StreamsBuilder();
    b.stream("in").to("out");
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "health-test");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
    p.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    return new KafkaStreams(b.build(), p);
  }

  private static JsonNode json(Health.Report r) throws Exception {
    return new ObjectMapper().readTree(r.body());
  }
}
