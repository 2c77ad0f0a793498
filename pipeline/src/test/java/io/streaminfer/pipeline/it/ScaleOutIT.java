package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.ReliabilityReport;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestTopics;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.OutputCollector;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out and failover: two pipeline processes with the same application id share the partitions;
 * one is killed with SIGKILL mid-stream; the other takes its partitions over, restores their sensor
 * windows from the changelog and carries on. Nothing is lost or duplicated (exactly_once_v2), and
 * every forecast equals the one an undisturbed single run makes for the same readings. Figures go
 * to target/reliability/scale-out.json.
 */
class ScaleOutIT {
  @TempDir Path stateA;
  @TempDir Path stateB;
  @TempDir Path stateReference;

  @Test
  @Timeout(value = 420, unit = TimeUnit.SECONDS)
  void shouldFailOverToTheSurvivingInstanceWithTheSameForecasts() throws Exception {
    long started = System.nanoTime();
    TestTopics topics = TestTopics.of(TestConfigs.config(Map.of()));
    SampleEvents.Stream stream =
        SampleEvents.build(SampleData.load(), topics.inputs(), 0, 0, 160, 0, 2, false, 3);
    List<SampleEvents.Event> readings = stream.events();
    Map<String, Double> reference = undisturbed(readings, topics);

    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      kafka.createTopics(4, topics.all().toArray(String[]::new));
      Ledger ledger = new Ledger();
      Map<String, String> common =
          Map.of(
              StreamInferConfig.APPLICATION_ID,
              "scale-out",
              StreamInferConfig.PROCESSING_GUARANTEE,
              "exactly_once_v2",
              StreamInferConfig.MODELS_REPOSITORY,
              TestConfigs.repository(),
              StreamInferConfig.INFERENCE_DEVICE,
              "cpu",
              "kafka.session.timeout.ms",
              "6000",
              "kafka.heartbeat.interval.ms",
              "1000");
      Path log = PipelineProcess.logFile("scale-out").toPath();
      try (OutputCollector out =
              new OutputCollector(kafka.bootstrapServers(), topics.config(), Map.of());
          var producer = Ledger.producer(kafka.bootstrapServers());
          PipelineProcess a =
              PipelineProcess.start(
                  kafka.bootstrapServers(), with(common, stateA, "instance-a"), log);
          PipelineProcess b =
              PipelineProcess.start(
                  kafka.bootstrapServers(), with(common, stateB, "instance-b"), log)) {
        // given: both instances own sensor partitions
        Map<String, Set<Integer>> owned =
            awaitBothOwnSensorPartitions(kafka.bootstrapServers(), topics, a, b);

        // the first half is served by both
        int half = readings.size() / 2;
        readings.subList(0, half).forEach(e -> ledger.publish(producer, e));
        producer.flush();
        awaitOutputs(out, topics, ledger.expectedOutputs(), Duration.ofSeconds(120));
        long beforeKill = Ledger.outputs(out, topics);

        // when: instance A dies; the second half arrives while B takes over
        a.kill();
        long killed = System.nanoTime();
        readings.subList(half, readings.size()).forEach(e -> ledger.publish(producer, e));
        producer.flush();
        awaitOutputs(out, topics, ledger.expectedOutputs(), Duration.ofSeconds(180));
        double failoverSeconds = (System.nanoTime() - killed) / 1e9;
        for (int i = 0; i < 8; i++) {
          out.poll(Duration.ofMillis(250));
        }

        // then: nothing lost or duplicated, and every forecast as in the undisturbed run
        Ledger.Accounting acc = ledger.account(out, topics);
        int compared = 0;
        double maxRelDiff = 0;
        for (var r : out.forecasts()) {
          Forecast f =
              AvroSerdes.serde(Forecast.class).deserializer().deserialize(r.topic(), r.value());
          Double want = reference.get(f.getId() + " " + f.getMetadata().getModelName());
          assertThat(want).as("reference forecast for %s", f.getId()).isNotNull();
          maxRelDiff =
              Math.max(
                  maxRelDiff, Math.abs(f.getForecast() - want) / Math.max(1.0, Math.abs(want)));
          compared++;
        }
        Map<String, Object> figures = new LinkedHashMap<>(acc.asMap());
        figures.put("instances", 2);
        figures.put("sensor_partitions_of_killed_instance", owned.get("instance-a").size());
        figures.put("outputs_before_kill", beforeKill);
        figures.put("forecasts_compared", compared);
        figures.put("max_relative_forecast_difference", maxRelDiff);
        figures.put("seconds_from_kill_to_last_output", failoverSeconds);
        figures.put("seconds", (System.nanoTime() - started) / 1e9);
        ReliabilityReport.write("scale-out", figures);
        System.out.println("scale-out " + figures);

        assertThat(b.alive()).isTrue();
        assertThat(acc.lost()).isZero();
        assertThat(acc.duplicated()).isZero();
        assertThat(compared).isEqualTo(reference.size());
        assertThat(maxRelDiff)
            .as(
                "forecasts equal to the undisturbed run (float rounding of other batch shapes aside)")
            .isLessThan(1e-5);
      }
    }
  }

  private static Map<String, String> with(Map<String, String> common, Path state, String clientId) {
    Map<String, String> m = new HashMap<>(common);
    m.put(StreamInferConfig.STATE_DIR, state.toString());
    m.put("kafka.client.id", clientId);
    return m;
  }

  /** Forecasts ("id model" → value) of one undisturbed run over the same readings. */
  private Map<String, Double> undisturbed(List<SampleEvents.Event> readings, TestTopics topics) {
    StreamInferConfig config = TestConfigs.config(Map.of());
    Map<String, Double> out = new HashMap<>();
    try (ModelRegistry models = ModelRegistry.open(config)) {
      try (TopologyTestDriver d = TestConfigs.driver(config, models, stateReference)) {
        TestInputTopic<String, byte[]> in =
            d.createInputTopic(
                topics.sensorReadings(), new StringSerializer(), new ByteArraySerializer());
        for (SampleEvents.Event e : readings) {
          ProducerRecord<String, byte[]> r = e.record();
          in.pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), Instant.now()));
        }
        d.advanceWallClockTime(Duration.ofSeconds(1));
        for (byte[] v :
            d.createOutputTopic(
                    topics.forecasts(), new StringDeserializer(), new ByteArrayDeserializer())
                .readValuesToList()) {
          Forecast f = AvroSerdes.serde(Forecast.class).deserializer().deserialize("", v);
          out.put(f.getId() + " " + f.getMetadata().getModelName(), f.getForecast());
        }
      }
    }
    return out;
  }

  private static void awaitOutputs(
      OutputCollector out, TestTopics topics, long n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline && Ledger.outputs(out, topics) < n) {
      out.poll(Duration.ofMillis(250));
    }
  }

  /**
   * Waits until both instances' consumers hold sensor-reading partitions; returns them by client
   * id.
   */
  private static Map<String, Set<Integer>> awaitBothOwnSensorPartitions(
      String bootstrap, TestTopics topics, PipelineProcess a, PipelineProcess b) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (System.nanoTime() < deadline) {
        assertThat(a.alive() && b.alive())
            .as("both instances alive (see target/scale-out.log)")
            .isTrue();
        Map<String, Set<Integer>> owned = new HashMap<>();
        List<MemberDescription> members;
        try {
          members =
              List.copyOf(
                  admin
                      .describeConsumerGroups(List.of("scale-out"))
                      .all()
                      .get()
                      .get("scale-out")
                      .members());
        } catch (java.util.concurrent.ExecutionException notYet) { // the group is not formed yet
          Thread.sleep(500);
          continue;
        }
        for (MemberDescription m : members) {
          String instance =
              m.clientId().startsWith("instance-a")
                  ? "instance-a"
                  : m.clientId().startsWith("instance-b") ? "instance-b" : "?";
          for (TopicPartition tp : m.assignment().topicPartitions()) {
            if (tp.topic().equals(topics.sensorReadings())) {
              owned.computeIfAbsent(instance, x -> new TreeSet<>()).add(tp.partition());
            }
          }
        }
        if (owned.containsKey("instance-a")
            && owned.containsKey("instance-b")
            && owned.values().stream().mapToInt(Set::size).sum() == 4) {
          return owned;
        }
        Thread.sleep(500);
      }
      throw new AssertionError("the two instances never shared the sensor partitions");
    }
  }
}
