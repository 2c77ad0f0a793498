package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.pipeline.ReliabilityReport;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestTopics;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stateful recurrent route (elnino-lstm-step, each sensor's LSTM state in the route's
 * changelogged store) on a real broker under exactly_once_v2, through a scale-out failover and a
 * SIGKILL: two instances share the sensors; instance A is SIGKILLed mid-stream and B takes its
 * sensors over, restoring their states from the changelog; then a new A joins and B is SIGKILLed
 * while readings are still arriving. Every reading gets exactly one forecast, and every forecast
 * equals an undisturbed run's over the same readings — so every sensor's state after each crash is
 * the state it would have had — and sensor 0's equal PyTorch's full-sequence run. Figures go to
 * target/reliability/stateful-failover.json.
 */
class StatefulFailoverIT {
  private static final String MODEL = "elnino-lstm-step";
  private static final int SENSORS = 8;
  private static final int READINGS = 240; // per sensor
  @TempDir Path stateA;
  @TempDir Path stateB;
  @TempDir Path stateA2;
  @TempDir Path stateReference;

  private static Map<String, Object> routeKeys() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put(StreamInferConfig.ROUTES, "ocean");
    p.put("routes.ocean.input", "ocean-readings");
    p.put("routes.ocean.task", "time-series-forecast");
    p.put("routes.ocean.models", MODEL);
    p.put("routes.ocean.output", "ocean-forecasts");
    p.put("routes.ocean.anomalies", "ocean-anomalies");
    return p;
  }

  @Test
  @Timeout(value = 480, unit = TimeUnit.SECONDS)
  void everySensorsStateSurvivesAFailoverAndASigkill() throws Exception {
    long started = System.nanoTime();
    JsonNode ref =
        new ObjectMapper()
            .readTree(Path.of(TestConfigs.repository(), MODEL, "1", "reference.json").toFile());
    double scale =
        new ObjectMapper()
            .readTree(Path.of(TestConfigs.repository(), MODEL, "1", "model.json").toFile())
            .path("preprocessing")
            .path("scale")
            .path("std")
            .get(0)
            .asDouble();
    // sensor s reads the series from reading 29 * s on, so no two sensors' states agree
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (int t = 0; t < READINGS; t++) {
      for (int s = 0; s < SENSORS; s++) {
        records.add(reading(ref, "sea-" + s, t, 29 * s + t));
      }
    }
    StreamInferConfig config = TestConfigs.config(routeKeys());
    Map<String, Double> undisturbed = undisturbed(config, records);
    assertThat(undisturbed).hasSize(records.size());

    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      kafka.createTopics(4, TestTopics.of(config).all().toArray(String[]::new));
      Map<String, String> common = new HashMap<>();
      routeKeys().forEach((k, v) -> common.put(k, v.toString()));
      common.putAll(
          Map.of(
              StreamInferConfig.APPLICATION_ID,
              "stateful-failover",
              StreamInferConfig.PROCESSING_GUARANTEE,
              "exactly_once_v2",
              StreamInferConfig.MODELS_REPOSITORY,
              TestConfigs.repository(),
              StreamInferConfig.INFERENCE_DEVICE,
              "cpu",
              "kafka.session.timeout.ms",
              "6000",
              "kafka.heartbeat.interval.ms",
              "1000",
              "kafka.commit.interval.ms",
              "200"));
      Path log = PipelineProcess.logFile("stateful-failover").toPath();
      Map<String, Double> got = new HashMap<>();
      int[] duplicates = {0};
      int third = records.size() / 3;
      try (KafkaConsumer<String, byte[]> out = consumer(kafka.bootstrapServers());
          KafkaProducer<String, byte[]> producer = producer(kafka.bootstrapServers());
          PipelineProcess a =
              PipelineProcess.start(kafka.bootstrapServers(), with(common, stateA, "a"), log);
          PipelineProcess b =
              PipelineProcess.start(kafka.bootstrapServers(), with(common, stateB, "b"), log)) {
        awaitMembers(kafka.bootstrapServers(), 2, Set.of("a", "b"));
        // both instances serve the first third
        records.subList(0, third).forEach(producer::send);
        producer.flush();
        collect(out, got, duplicates, third, Duration.ofSeconds(120));
        // A dies; B takes A's sensors over while the second third arrives
        a.kill();
        records.subList(third, 2 * third).forEach(producer::send);
        producer.flush();
        collect(out, got, duplicates, 2 * third, Duration.ofSeconds(180));
        // a new instance joins on an empty state directory, then B dies mid-stream
        try (PipelineProcess a2 =
            PipelineProcess.start(kafka.bootstrapServers(), with(common, stateA2, "c"), log)) {
          awaitMembers(kafka.bootstrapServers(), 2, Set.of("b", "c"));
          records.subList(2 * third, records.size()).forEach(producer::send);
          producer.flush();
          collect(out, got, duplicates, 2 * third + 1, Duration.ofSeconds(60));
          b.kill();
          collect(out, got, duplicates, records.size(), Duration.ofSeconds(180));
          for (int i = 0; i < 8; i++) { // duplicates would arrive now
            collect(out, got, duplicates, Integer.MAX_VALUE, Duration.ofMillis(250));
          }
          assertThat(a2.alive()).isTrue();
          // a clean stop (SIGTERM): the JVM's status for that signal, 128 + 15
          assertThat(a2.stop()).as("exit status after SIGTERM").isEqualTo(143);
        }
      }
      double worst = 0;
      for (var e : undisturbed.entrySet()) {
        Double f = got.get(e.getKey());
        assertThat(f).as("forecast for %s", e.getKey()).isNotNull();
        worst = Math.max(worst, Math.abs(f - e.getValue()) / scale);
      }
      double pytorch = 0;
      for (int t = 0; t < READINGS; t++) {
        pytorch =
            Math.max(
                pytorch,
                Math.abs(got.get("sea-0-" + t) - ref.path("forecasts").get(t).asDouble()) / scale);
      }
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("sensors", SENSORS);
      figures.put("readings", records.size());
      figures.put("forecasts", got.size());
      figures.put("duplicates", duplicates[0]);
      figures.put("max_scaled_difference_from_undisturbed_run", worst);
      figures.put("max_scaled_difference_of_sensor_0_from_pytorch", pytorch);
      figures.put("seconds", (System.nanoTime() - started) / 1e9);
      ReliabilityReport.write("stateful-failover", figures);
      System.out.println("stateful-failover " + figures);
      assertThat(duplicates[0]).isZero();
      assertThat(got).hasSize(records.size());
      assertThat(worst).as("every state as in the undisturbed run").isLessThanOrEqualTo(1e-5);
      assertThat(pytorch).isLessThanOrEqualTo(ref.path("tolerance").asDouble());
    }
  }

  private static ProducerRecord<String, byte[]> reading(JsonNode ref, String sensor, int t, int i) {
    JsonNode r = ref.path("readings").get(i);
    List<Double> features = new ArrayList<>();
    for (int k = 1; k < r.size(); k++) {
      features.add(r.get(k).asDouble());
    }
    SensorReading e =
        SensorReading.newBuilder()
            .setId(sensor + "-" + t)
            .setSensorId(sensor)
            .setEventTime(Instant.parse("1950-01-01T00:00:00Z").plus(Duration.ofDays(30L * t)))
            .setValue(r.get(0).asDouble())
            .setFeatures(features)
            .build();
    return new ProducerRecord<>(
        "ocean-readings",
        sensor,
        AvroSerdes.serde(SensorReading.class).serializer().serialize("ocean-readings", e));
  }

  /** Forecasts (reading id → value) of one undisturbed run over the same readings. */
  private Map<String, Double> undisturbed(
      StreamInferConfig config, List<ProducerRecord<String, byte[]>> records) {
    Map<String, Double> out = new HashMap<>();
    try (ModelRegistry models = ModelRegistry.open(config);
        TopologyTestDriver d = TestConfigs.driver(config, models, stateReference)) {
      TestInputTopic<String, byte[]> in =
          d.createInputTopic("ocean-readings", new StringSerializer(), new ByteArraySerializer());
      for (var r : records) {
        in.pipeInput(r.key(), r.value());
      }
      d.advanceWallClockTime(Duration.ofSeconds(1));
      for (byte[] v :
          d.createOutputTopic(
                  "ocean-forecasts", new StringDeserializer(), new ByteArrayDeserializer())
              .readValuesToList()) {
        Forecast f = AvroSerdes.serde(Forecast.class).deserializer().deserialize("", v);
        out.put(f.getId(), f.getForecast());
      }
    }
    return out;
  }

  private static Map<String, String> with(Map<String, String> common, Path state, String id) {
    Map<String, String> m = new HashMap<>(common);
    m.put(StreamInferConfig.STATE_DIR, state.toString());
    m.put("kafka.client.id", id);
    return m;
  }

  private static KafkaProducer<String, byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  private static KafkaConsumer<String, byte[]> consumer(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "stateful-failover-reader");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    c.subscribe(List.of("ocean-forecasts"));
    return c;
  }

  /** Reads committed forecasts into {@code got} until it holds {@code n} or the time is up. */
  private static void collect(
      KafkaConsumer<String, byte[]> out,
      Map<String, Double> got,
      int[] duplicates,
      int n,
      Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    do {
      for (var r : out.poll(Duration.ofMillis(200))) {
        Forecast f = AvroSerdes.serde(Forecast.class).deserializer().deserialize("", r.value());
        if (got.put(f.getId(), f.getForecast()) != null) {
          duplicates[0]++;
        }
      }
    } while (got.size() < n && System.nanoTime() < deadline);
  }

  /** Waits until the group has {@code n} members, with these client id prefixes, all assigned. */
  private static void awaitMembers(String bootstrap, int n, Set<String> prefixes) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (System.nanoTime() < deadline) {
        try {
          List<MemberDescription> members =
              List.copyOf(
                  admin
                      .describeConsumerGroups(List.of("stateful-failover"))
                      .all()
                      .get()
                      .get("stateful-failover")
                      .members());
          boolean ready =
              members.size() == n
                  && members.stream()
                      .allMatch(
                          m ->
                              prefixes.stream().anyMatch(x -> m.clientId().startsWith(x))
                                  && !m.assignment().topicPartitions().isEmpty());
          if (ready) {
            return;
          }
        } catch (java.util.concurrent.ExecutionException notYet) {
          // the group is not formed yet
        }
        Thread.sleep(500);
      }
      throw new AssertionError("the group never had " + n + " assigned members " + prefixes);
    }
  }
}
