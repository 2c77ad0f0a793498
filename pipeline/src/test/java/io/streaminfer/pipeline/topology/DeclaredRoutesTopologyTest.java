package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.Routes;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Six routes declared by configuration alone ({@link Routes}), served at once by one topology: the
 * four defaults, a second image classifier on its own topic pinned to digits-cnn version 1 while
 * the default route serves the newest (2), and the sensor topic fanned out to a second forecast
 * route. Every input is accounted for on every route that reads it.
 */
class DeclaredRoutesTopologyTest {
  @TempDir Path repo;
  @TempDir Path state;

  @Test
  void shouldServeEveryDeclaredRouteAndAccountForEveryInputPerRoute() {
    // given: six routes, and the sample stream (valid and invalid events) plus images on the second
    // topic
    Map<String, Object> p = new HashMap<>(Routes.keys());
    p.put(
        StreamInferConfig.MODELS_REPOSITORY, Routes.repositoryWithTwoCnnVersions(repo).toString());
    StreamInferConfig config = TestConfigs.config(p);
    SampleEvents.Stream stream =
        SampleEvents.build(
            SampleData.load(), SampleEvents.Inputs.of(config), 40, 30, 40, 6, 2, true, 5);
    List<ProducerRecord<String, byte[]>> scans = new ArrayList<>();
    for (SampleEvents.Event e : stream.of(SampleEvents.Kind.IMAGES)) {
      scans.add(
          new ProducerRecord<>(
              Routes.SCANS_IN, null, e.record().key(), e.record().value(), e.record().headers()));
    }
    Map<String, List<TestRecord<String, byte[]>>> out;
    try (ModelRegistry models = ModelRegistry.open(config);
        TopologyTestDriver driver = TestConfigs.driver(config, models, state)) {
      // routes on distinct topics are independent sub-topologies; the two sensor routes share their
      // source
      List<TopologyDescription.Subtopology> subs =
          new ArrayList<>(
              StreamInferTopology.build(
                      config, models, io.streaminfer.pipeline.metrics.PipelineMetrics.inMemory())
                  .describe()
                  .subtopologies());
      assertThat(subs).hasSize(5);
      Map<String, TestInputTopic<String, byte[]>> inputs = new HashMap<>();
      List<ProducerRecord<String, byte[]>> all =
          new ArrayList<>(stream.events().stream().map(SampleEvents.Event::record).toList());
      all.addAll(scans);
      for (ProducerRecord<String, byte[]> r : all) {
        inputs
            .computeIfAbsent(
                r.topic(),
                t -> driver.createInputTopic(t, new StringSerializer(), new ByteArraySerializer()))
            .pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), Instant.now()));
      }
      driver.advanceWallClockTime(java.time.Duration.ofSeconds(1));
      out = new HashMap<>();
      for (String t : Topics.of(config).outputs()) {
        out.put(
            t,
            driver
                .createOutputTopic(t, new StringDeserializer(), new ByteArrayDeserializer())
                .readRecordsToList());
      }
    }

    // then: each route predicted with its own model version and wrote to its own topics
    Map<String, List<Classification>> classified = new HashMap<>();
    for (String route : List.of("images", Routes.SCANS)) {
      String topic = config.route(route).output(Route.OUTPUT);
      classified.put(
          route,
          out.get(topic).stream()
              .map(
                  r ->
                      AvroSerdes.serde(Classification.class)
                          .deserializer()
                          .deserialize(topic, r.value()))
              .toList());
      assertThat(out.get(topic))
          .allSatisfy(
              r -> assertThat(DeadLetters.header(r.headers(), DeadLetters.ROUTE)).isEqualTo(route));
    }
    long validImages =
        stream.of(SampleEvents.Kind.IMAGES).stream().filter(e -> e.expectedError() == null).count();
    assertThat(classified.get("images"))
        .hasSize((int) validImages)
        .allSatisfy(c -> assertThat(c.getMetadata().getModelVersion()).as("newest").isEqualTo("2"));
    assertThat(classified.get(Routes.SCANS))
        .hasSize((int) validImages)
        .allSatisfy(
            c -> {
              assertThat(c.getMetadata().getModelVersion()).as("pinned").isEqualTo("1");
              assertThat(c.getTopK()).as("the route's top.k").hasSize(1);
            });
    // the two routes on one topic: sensors runs both forecasters, gru-watch only sensor-gru
    long windows =
        stream.of(SampleEvents.Kind.SENSORS).stream().filter(e -> e.predictions() > 0).count();
    assertThat(windows).isPositive();
    Map<String, Long> sensorsByModel =
        forecastsByModel(out.get(config.route("sensors").output(Route.OUTPUT)));
    Map<String, Long> gruByModel = forecastsByModel(out.get(Routes.GRU_OUT));
    assertThat(sensorsByModel)
        .containsOnly(Map.entry("sensor-lstm", windows), Map.entry("sensor-gru", windows));
    assertThat(gruByModel).containsOnly(Map.entry("sensor-gru", windows));
    assertThat(out.get(Routes.GRU_ANOMALIES)).as("the fan-out route's own alerts").isNotEmpty();

    // and: per route, every input on its topic became its predictions or exactly one dead letter
    List<SampleEvents.Event> scanEvents = stream.of(SampleEvents.Kind.IMAGES);
    for (Route route : config.routes()) {
      List<SampleEvents.Event> in =
          route.name().equals(Routes.SCANS)
              ? scanEvents
              : stream.events().stream()
                  .filter(e -> e.record().topic().equals(route.input()))
                  .toList();
      long expectedPredictions =
          in.stream()
              .mapToLong(
                  e ->
                      route.task() == io.streaminfer.models.card.Task.TIME_SERIES_FORECAST
                          ? (e.predictions() > 0 ? route.models().size() : 0)
                          : e.predictions())
              .sum();
      long predictions =
          out.get(route.output(Route.OUTPUT)).stream()
              .filter(r -> route.name().equals(DeadLetters.header(r.headers(), DeadLetters.ROUTE)))
              .count();
      List<String> deadCodes =
          out.get("dead-letters").stream()
              .filter(r -> route.name().equals(DeadLetters.header(r.headers(), DeadLetters.ROUTE)))
              .map(r -> DeadLetters.header(r.headers(), DeadLetters.CODE))
              .sorted()
              .toList();
      List<String> expectedCodes =
          in.stream()
              .filter(e -> e.expectedError() != null)
              .map(e -> e.expectedError().name())
              .sorted()
              .toList();
      assertThat(predictions).as(route.name() + " predictions").isEqualTo(expectedPredictions);
      assertThat(deadCodes).as(route.name() + " dead letters").isEqualTo(expectedCodes);
    }
    assertThat(out.get("dead-letters"))
        .as("every dead letter names its route and carries Kafka Streams' KIP-1034 headers")
        .allSatisfy(
            r -> {
              assertThat(DeadLetters.header(r.headers(), DeadLetters.ROUTE)).isNotNull();
              assertThat(DeadLetters.header(r.headers(), "__streams.errors.topic"))
                  .isEqualTo(DeadLetters.header(r.headers(), DeadLetters.SOURCE_TOPIC));
              assertThat(DeadLetters.header(r.headers(), "__streams.errors.offset"))
                  .isEqualTo(DeadLetters.header(r.headers(), DeadLetters.SOURCE_OFFSET));
              assertThat(DeadLetters.header(r.headers(), "__streams.errors.exception"))
                  .isEqualTo(DeadLetters.header(r.headers(), DeadLetters.EXCEPTION));
              assertThat(DeadLetters.header(r.headers(), "__streams.errors.message")).isNotBlank();
              String code = DeadLetters.header(r.headers(), DeadLetters.CODE);
              assertThat(DeadLetters.header(r.headers(), DeadLetters.STAGE))
                  .as(code)
                  .isEqualTo(
                      code.startsWith("AVRO_") || code.equals("EMPTY_VALUE")
                          ? "deserialize"
                          : "process");
            });
  }

  private static Map<String, Long> forecastsByModel(List<TestRecord<String, byte[]>> records) {
    return records.stream()
        .map(r -> AvroSerdes.serde(Forecast.class).deserializer().deserialize("", r.value()))
        .collect(Collectors.groupingBy(f -> f.getMetadata().getModelName(), Collectors.counting()));
  }
}
