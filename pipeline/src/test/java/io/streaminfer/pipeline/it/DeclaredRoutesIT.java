package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.models.card.Task;
import io.streaminfer.pipeline.Routes;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.topology.Topics;
import io.streaminfer.testkit.OutputCollector;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The six routes of {@link Routes}, declared by configuration alone, on a real broker under
 * exactly_once_v2: every input accounted for per route (its predictions, or one dead letter), the
 * pinned route served by version 1 and the default image route by the newest; with one Kafka
 * Streams client for all routes and with one per route. Figures go to
 * target/reliability/declared-routes-*.json.
 */
class DeclaredRoutesIT {
  @TempDir Path repo;
  @TempDir Path state;

  @ParameterizedTest(name = "isolation={0}")
  @ValueSource(
      strings = {StreamInferConfig.ISOLATION_SHARED, StreamInferConfig.ISOLATION_PER_ROUTE})
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void shouldServeRoutesDeclaredByConfigurationAloneAndAccountForEveryInputPerRoute(
      String isolation) throws Exception {
    try (KafkaEndpoint kafka = KafkaEndpoint.start()) {
      // given
      Map<String, Object> p = new HashMap<>(Routes.keys());
      p.put(StreamInferConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      p.put(StreamInferConfig.APPLICATION_ID, "declared-routes-it-" + isolation);
      p.put(StreamInferConfig.ISOLATION, isolation);
      p.put(StreamInferConfig.STATE_DIR, state.toString());
      p.put(
          StreamInferConfig.MODELS_REPOSITORY,
          Routes.repositoryWithTwoCnnVersions(repo).toString());
      p.put("kafka.commit.interval.ms", "200");
      StreamInferConfig config = TestConfigs.config(p);
      kafka.createTopics(2, Topics.of(config).all());
      SampleEvents.Stream stream =
          SampleEvents.build(
              SampleData.load(), SampleEvents.Inputs.of(config), 60, 40, 40, 8, 2, true, 23);
      List<ProducerRecord<String, byte[]>> records =
          new ArrayList<>(stream.events().stream().map(SampleEvents.Event::record).toList());
      List<SampleEvents.Event> scans = stream.of(SampleEvents.Kind.IMAGES);
      for (SampleEvents.Event e : scans) {
        records.add(
            new ProducerRecord<>(
                Routes.SCANS_IN, null, e.record().key(), e.record().value(), e.record().headers()));
      }
      Map<String, Long> expectedPredictions = new LinkedHashMap<>();
      Map<String, Long> expectedDead = new LinkedHashMap<>();
      for (Route r : config.routes()) {
        List<SampleEvents.Event> in =
            r.name().equals(Routes.SCANS)
                ? scans
                : stream.events().stream()
                    .filter(e -> e.record().topic().equals(r.input()))
                    .toList();
        expectedPredictions.put(
            r.name(),
            in.stream()
                .mapToLong(
                    e ->
                        r.task() == Task.TIME_SERIES_FORECAST
                            ? (e.predictions() > 0 ? r.models().size() : 0)
                            : e.predictions())
                .sum());
        expectedDead.put(r.name(), in.stream().filter(e -> e.expectedError() != null).count());
      }

      try (StreamInferApp app = StreamInferApp.start(config);
          OutputCollector out = new OutputCollector(kafka.bootstrapServers(), config, Map.of())) {
        assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
        assertThat(app.clients())
            .hasSize(isolation.equals(StreamInferConfig.ISOLATION_SHARED) ? 1 : 6);

        // when
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (var producer =
            new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer())) {
          records.forEach(producer::send);
        }
        long total = expectedPredictions.values().stream().mapToLong(Long::longValue).sum();
        long totalDead = expectedDead.values().stream().mapToLong(Long::longValue).sum();
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (System.nanoTime() < deadline
            && (out.predictions() < total || out.deadLetters().size() < totalDead)) {
          out.poll(Duration.ofMillis(250));
        }
        out.poll(Duration.ofSeconds(2)); // anything extra would show up as a duplicate

        // then: per route, input = predictions + dead letters, nothing more
        Map<String, Object> figures = new LinkedHashMap<>();
        for (Route r : config.routes()) {
          assertThat((long) out.predictions(r.name()))
              .as(r.name() + " predictions")
              .isEqualTo(expectedPredictions.get(r.name()));
          assertThat(out.deadLettersOf(r.name()))
              .as(r.name() + " dead letters")
              .isEqualTo(expectedDead.get(r.name()));
          figures.put(
              r.name(),
              Map.of(
                  "predictions",
                  out.predictions(r.name()),
                  "dead_letters",
                  out.deadLettersOf(r.name())));
        }
        assertThat(out.classifications("images").values())
            .allSatisfy(c -> assertThat(c.getMetadata().getModelVersion()).isEqualTo("2"));
        assertThat(out.classifications(Routes.SCANS).values())
            .isNotEmpty()
            .allSatisfy(c -> assertThat(c.getMetadata().getModelVersion()).isEqualTo("1"));
        io.streaminfer.pipeline.ReliabilityReport.write("declared-routes-" + isolation, figures);
      }
    }
  }
}
