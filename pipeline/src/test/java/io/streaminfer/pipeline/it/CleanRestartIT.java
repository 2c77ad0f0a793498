package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.topology.Topics;
import io.streaminfer.testkit.OutputCollector;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A clean stop and start of an instance on a real broker under exactly_once_v2: the stopping
 * instance leaves the consumer group, so the next one is assigned its tasks at once instead of
 * after the old member's session timeout (45 s), and it resumes from the committed offsets: every
 * image and text of both halves is predicted exactly once.
 */
class CleanRestartIT {
  @TempDir Path state;

  /**
   * The group protocols a rolling restart may use: the classic one (the default), Kafka Streams'
   * own rebalance protocol (KIP-1071, GA in Kafka 4.2) and classic with static membership (each
   * instance a fixed {@code group.instance.id}).
   */
  static Stream<Arguments> protocols() {
    return Stream.of(
        Arguments.of("classic", Map.of()),
        Arguments.of("streams", Map.of("kafka.group.protocol", "streams")),
        Arguments.of(
            "classic, static member", Map.of("kafka.group.instance.id", "streaminfer-host-a")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("protocols")
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void shouldRunAgainWithinTenSecondsOfACleanStopReprocessingNothing(
      String protocol, Map<String, String> settings) throws Exception {
    try (KafkaEndpoint kafka = KafkaEndpoint.start()) {
      Map<String, Object> p = new HashMap<>();
      p.put(StreamInferConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      p.put(StreamInferConfig.APPLICATION_ID, "clean-restart-it");
      p.put(StreamInferConfig.PROCESSING_GUARANTEE, "exactly_once_v2");
      p.put(StreamInferConfig.STATE_DIR, state.toString());
      p.put("kafka.commit.interval.ms", "200");
      p.putAll(settings);
      StreamInferConfig config = TestConfigs.config(p);
      kafka.createTopics(2, Topics.of(config).all());
      var first =
          SampleEvents.build(
              SampleData.load(), SampleEvents.Inputs.of(config), 60, 20, 0, 0, 2, false, 1);
      var second =
          SampleEvents.build(
              SampleData.load(), SampleEvents.Inputs.of(config), 60, 20, 0, 0, 2, false, 2);
      long expected =
          first.events().stream().mapToLong(SampleEvents.Event::predictions).sum()
              + second.events().stream().mapToLong(SampleEvents.Event::predictions).sum();

      try (OutputCollector out = new OutputCollector(kafka.bootstrapServers(), config, Map.of())) {
        // given: an instance that has served the first half and committed it
        try (StreamInferApp app = StreamInferApp.start(config)) {
          assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
          send(kafka, first);
          awaitPredictions(
              out, first.events().stream().mapToLong(SampleEvents.Event::predictions).sum());
        } // when: it stops cleanly
        long stopped = System.nanoTime();
        try (StreamInferApp app = StreamInferApp.start(config)) {
          // then: the next instance runs within 10 s
          assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
          double seconds = (System.nanoTime() - stopped) / 1e9;
          System.out.printf(
              "clean restart (%s): RUNNING %.1f s after the stop%n", protocol, seconds);
          assertThat(seconds).isLessThan(10.0);
          assertProtocol(kafka, settings);
          send(kafka, second);
          awaitPredictions(out, expected);
          out.poll(Duration.ofSeconds(3)); // a reprocessed input would show up as a duplicate
        }
        // and every input (images and texts: one prediction each) was predicted once, none twice
        assertThat((long) out.predictions()).isEqualTo(expected);
        assertThat(out.sources()).hasSize((int) expected);
        out.sources()
            .forEach(
                (source, byTopic) ->
                    assertThat(byTopic.values().stream().mapToInt(Integer::intValue).sum())
                        .as(source)
                        .isEqualTo(1));
      }
    }
  }

  /** The group really runs the protocol asked for: its type, and static members' instance ids. */
  private static void assertProtocol(KafkaEndpoint kafka, Map<String, String> settings)
      throws Exception {
    Properties ap = new Properties();
    ap.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (Admin admin = Admin.create(ap)) {
      GroupListing group =
          admin.listGroups().all().get(30, TimeUnit.SECONDS).stream()
              .filter(g -> g.groupId().equals("clean-restart-it"))
              .findFirst()
              .orElseThrow();
      GroupType expected =
          "streams".equals(settings.get("kafka.group.protocol"))
              ? GroupType.STREAMS
              : GroupType.CLASSIC;
      assertThat(group.type()).contains(expected);
      String instance = settings.get("kafka.group.instance.id");
      if (instance != null) {
        var members =
            admin
                .describeConsumerGroups(List.of("clean-restart-it"))
                .all()
                .get(30, TimeUnit.SECONDS)
                .get("clean-restart-it")
                .members();
        assertThat(members)
            .isNotEmpty()
            .allSatisfy(
                m ->
                    assertThat(m.groupInstanceId())
                        .hasValueSatisfying(id -> assertThat(id).startsWith(instance)));
      }
    }
  }

  private static void send(KafkaEndpoint kafka, SampleEvents.Stream stream) {
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (var producer =
        new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer())) {
      stream.events().forEach(e -> producer.send(e.record()));
    }
  }

  private static void awaitPredictions(OutputCollector out, long n) {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline && out.predictions() < n) {
      out.poll(Duration.ofMillis(250));
    }
    assertThat((long) out.predictions()).isGreaterThanOrEqualTo(n);
  }
}
