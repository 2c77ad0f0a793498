package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestTopics;
import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.OutputCollector;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import io.streaminfer.testkit.SampleEvents.Event;
import io.streaminfer.testkit.SampleEvents.Kind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on a real broker: a few hundred events of all four kinds, invalid ones interleaved;
 * every valid input gets its predictions (one per routed model), labelled inputs mostly the right
 * label, every invalid input exactly one dead letter with its code — input = predictions + dead
 * letters.
 */
class PipelineIT {
  @TempDir Path state;

  private static int freePort() throws java.io.IOException {
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void shouldPredictEveryValidInputAndDeadLetterEveryInvalidOne() throws Exception {
    try (KafkaEndpoint kafka = KafkaEndpoint.start()) {
      // given
      StreamInferConfig config =
          TestConfigs.config(
              Map.of(
                  StreamInferConfig.BOOTSTRAP_SERVERS,
                  kafka.bootstrapServers(),
                  StreamInferConfig.APPLICATION_ID,
                  "streaminfer-it",
                  StreamInferConfig.STATE_DIR,
                  state.toString(),
                  StreamInferConfig.PROCESSING_GUARANTEE,
                  "exactly_once_v2",
                  "kafka.commit.interval.ms",
                  "200",
                  StreamInferConfig.METRICS_PORT,
                  freePort()));
      TestTopics topics = TestTopics.of(config);
      kafka.createTopics(3, topics.all());
      SampleEvents.Stream stream =
          SampleEvents.build(SampleData.load(), topics.inputs(), 100, 100, 40, 12, 2, true, 11);
      int expectedPredictions = stream.events().stream().mapToInt(Event::predictions).sum();
      long invalid = stream.events().stream().filter(e -> e.expectedError() != null).count();
      assertThat(stream.events().size()).isGreaterThanOrEqualTo(300);

      try (StreamInferApp app = StreamInferApp.start(config);
          OutputCollector out =
              new OutputCollector(kafka.bootstrapServers(), topics.config(), Map.of())) {
        assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();

        // when
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (var producer =
            new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
          stream.events().forEach(e -> producer.send(e.record()));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (System.nanoTime() < deadline
            && (out.predictions() < expectedPredictions || out.deadLetters().size() < invalid)) {
          out.poll(Duration.ofMillis(250));
        }
        out.poll(Duration.ofSeconds(2)); // anything extra would show up as a duplicate

        // then: input = predictions + dead letters, nothing more
        assertThat(out.predictions()).isEqualTo(expectedPredictions);
        assertThat(out.deadLetters()).hasSize((int) invalid);
        // each invalid event's dead letter carries its own code and traces back to its input
        List<String> expectedCodes =
            stream.events().stream()
                .filter(e -> e.expectedError() != null)
                .map(e -> e.record().key() + "=" + e.expectedError().name())
                .sorted()
                .toList();
        List<String> codes =
            out.deadLetters().stream()
                .map(d -> (d.key() == null ? "null" : new String(d.key())) + "=" + d.code())
                .sorted()
                .toList();
        assertThat(codes).isEqualTo(expectedCodes);
        assertThat(out.sources())
            .as("every output names its input")
            .doesNotContainKey(OutputCollector.UNTRACED);
        assertThat(out.sources())
            .hasSize(
                (int)
                    stream.events().stream()
                        .filter(e -> e.expectedError() != null || e.predictions() > 0)
                        .count());

        // one classification per valid image and text, mostly right
        for (Kind k : new Kind[] {Kind.IMAGES, Kind.TEXTS}) {
          var valid = stream.of(k).stream().filter(e -> e.expectedError() == null).toList();
          String route = k == Kind.IMAGES ? "images" : "texts";
          long right =
              valid.stream()
                  .filter(
                      e -> {
                        Classification c = out.classifications(route).get(e.id());
                        assertThat(c).as(e.id()).isNotNull();
                        return c.getLabel().equals(e.label());
                      })
                  .count();
          assertThat((double) right / valid.size()).as(k + " accuracy").isGreaterThanOrEqualTo(0.9);
        }
        // one forecast per full window and sensor model
        Map<String, Long> perModel =
            out.forecasts().stream()
                .map(
                    r ->
                        AvroSerdes.serde(Forecast.class)
                            .deserializer()
                            .deserialize(r.topic(), r.value()))
                .collect(
                    Collectors.groupingBy(
                        f -> f.getMetadata().getModelName(), Collectors.counting()));
        long windows = stream.of(Kind.SENSORS).stream().filter(e -> e.predictions() > 0).count();
        assertThat(perModel)
            .containsOnly(Map.entry("sensor-lstm", windows), Map.entry("sensor-gru", windows));
        assertThat(
                out.anomalies().stream()
                    .filter(a -> stream.injectedAnomalies().contains(a.getId()))
                    .count())
            .isGreaterThanOrEqualTo(stream.injectedAnomalies().size() / 2);

        // the metrics endpoint reports the provider in use and the dead letters by code
        int port = config.getInt(StreamInferConfig.METRICS_PORT);
        String metrics = get(port, "/metrics").body();
        assertThat(metrics)
            .contains("streaminfer_model_info{model=\"digits-cnn\",provider=\"CPU\",version=\"1\"}")
            .contains(
                "streaminfer_dead_letters_total{code=\"TEXT_EMPTY\",route=\"texts\"} "
                    + (double)
                        stream.events().stream()
                            .filter(e -> e.expectedError() == ErrorCode.TEXT_EMPTY)
                            .count())
            .contains(
                "streaminfer_predictions_total{model=\"sensor-gru\",route=\"sensors\",version=\"1\"}")
            .contains(
                "streaminfer_inference_seconds_count{model=\"digits-cnn\",route=\"images\",version=\"1\"}")
            .contains("kafka_stream_")
            // latency histograms per route and stage, and the batch-size histogram
            .containsPattern(
                "streaminfer_latency_seconds_bucket\\{route=\"images\",stage=\"end_to_end\","
                    + "le=\"60\\.0\"\\} [1-9]")
            .contains("stage=\"queue\"", "stage=\"decode\"", "stage=\"inference\"")
            .containsPattern(
                "streaminfer_batch_size_bucket\\{route=\"texts\",le=\"\\+Inf\"\\} [1-9]");
        // every metric the Grafana dashboard queries is one the instance serves
        var dashboard =
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(
                    Path.of(TestConfigs.repository())
                        .resolve("../../docker/grafana/dashboards/streaminfer.json")
                        .normalize()
                        .toFile());
        java.util.Set<String> queried = new java.util.TreeSet<>();
        java.util.regex.Pattern metric =
            java.util.regex.Pattern.compile("\\b(?:streaminfer|jvm|kafka_stream)_[a-z_]+");
        for (var panel : dashboard.path("panels")) {
          for (var target : panel.path("targets")) {
            var m = metric.matcher(target.path("expr").asText());
            while (m.find()) {
              queried.add(m.group());
            }
          }
        }
        assertThat(queried).hasSizeGreaterThan(8);
        assertThat(queried)
            .allSatisfy(
                name ->
                    assertThat(metrics)
                        .as("the dashboard queries " + name)
                        .containsPattern("(?m)^" + name + "[{ ]"));
        // the health endpoints: live and ready, each client RUNNING, each route's model loaded
        for (String path : List.of("/health/live", "/health/ready")) {
          Http r = get(port, path);
          assertThat(r.status()).as(path).isEqualTo(200);
          assertThat(r.body()).contains("\"status\":\"UP\"", "\"streaminfer-it\":\"RUNNING\"");
        }
        assertThat(get(port, "/health/ready").body())
            .contains("\"images\":{\"digits-cnn\":\"digits-cnn:1\"}");
      }
    }
  }

  private record Http(int status, String body) {}

  private static Http get(int port, String path) throws Exception {
    var c =
        (java.net.HttpURLConnection)
            java.net.URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
    try {
      int status = c.getResponseCode();
      var in = status < 400 ? c.getInputStream() : c.getErrorStream();
      return new Http(
          status, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    } finally {
      c.disconnect();
    }
  }
}
