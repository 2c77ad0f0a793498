package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestTopics;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every branch of the topology, driven by TopologyTestDriver over the real models. */
class StreamInferTopologyTest {
  private static StreamInferConfig config;
  private static ModelRegistry models;
  private static TestTopics topics;
  private static SampleData samples;

  @TempDir Path state;
  private TopologyTestDriver driver;
  private final Map<String, TestInputTopic<String, byte[]>> inputs = new HashMap<>();

  @BeforeAll
  static void loadModels() {
    config = TestConfigs.config(Map.of());
    models = ModelRegistry.open(config);
    topics = TestTopics.of(config);
    samples = SampleData.load();
  }

  @AfterAll
  static void closeModels() {
    models.close();
  }

  @BeforeEach
  void startDriver() {
    driver = TestConfigs.driver(config, models, state);
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  private void send(ProducerRecord<String, byte[]> r) {
    inputs
        .computeIfAbsent(
            r.topic(),
            t -> driver.createInputTopic(t, new StringSerializer(), new ByteArraySerializer()))
        .pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), Instant.now()));
  }

  /** Lets the batch punctuators run whatever is buffered. */
  private void flush() {
    driver.advanceWallClockTime(java.time.Duration.ofSeconds(1));
  }

  private <T extends org.apache.avro.specific.SpecificRecord> List<T> read(
      String topic, Class<T> type) {
    flush();
    TestOutputTopic<String, byte[]> out =
        driver.createOutputTopic(topic, new StringDeserializer(), new ByteArrayDeserializer());
    List<T> values = new ArrayList<>();
    out.readValuesToList()
        .forEach(v -> values.add(AvroSerdes.serde(type).deserializer().deserialize(topic, v)));
    return values;
  }

  private List<TestRecord<String, byte[]>> deadLetters() {
    flush();
    return driver
        .createOutputTopic(
            topics.deadLetters(), new StringDeserializer(), new ByteArrayDeserializer())
        .readRecordsToList();
  }

  private SampleEvents.Stream stream(
      int images, int texts, int readings, int generations, boolean invalid) {
    return SampleEvents.build(
        samples, topics.inputs(), images, texts, readings, generations, 2, invalid, 7);
  }

  @Test
  void shouldClassifyDigitImagesFromPngAndRawPixels() {
    var events = stream(40, 0, 0, 0, false).of(SampleEvents.Kind.IMAGES);
    events.forEach(e -> send(e.record()));
    List<Classification> out = read(topics.imagePredictions(), Classification.class);
    assertThat(out).hasSize(40);
    long right = out.stream().filter(c -> c.getLabel().equals(c.getTrueLabel())).count();
    assertThat(right).isGreaterThanOrEqualTo(37);
    Classification c = out.get(0);
    assertThat(c.getId()).isEqualTo("img-0");
    assertThat(c.getTopK()).hasSize(3);
    assertThat(c.getMetadata().getModelName()).isEqualTo("digits-cnn");
    assertThat(c.getMetadata().getExecutionProvider()).isEqualTo("CPU");
    assertThat(c.getMetadata().getModelSha256()).hasSize(64);
    assertThat(c.getMetadata().getBatchSize()).isEqualTo(32); // the first 32 ran together
  }

  @Test
  void shouldNameTheLanguageOfSentences() {
    var events = stream(0, 60, 0, 0, false).of(SampleEvents.Kind.TEXTS);
    events.forEach(e -> send(e.record()));
    List<Classification> out = read(topics.textPredictions(), Classification.class);
    assertThat(out).hasSize(60);
    assertThat(out.stream().filter(c -> c.getLabel().equals(c.getTrueLabel())).count())
        .isGreaterThanOrEqualTo(55);
    assertThat(out.get(0).getMetadata().getModelName()).isEqualTo("langid-bert");
  }

  @Test
  void shouldForecastEveryFullWindowOfManyInterleavedSensorsWithEachModel() {
    var events = stream(0, 0, 40, 0, false).of(SampleEvents.Kind.SENSORS);
    events.forEach(e -> send(e.record()));
    List<Forecast> out = read(topics.forecasts(), Forecast.class);
    int sensors = samples.sensors().size();
    int w = samples.sensorWindow();
    assertThat(sensors).isGreaterThanOrEqualTo(5);
    // each sensor: the readings that fill its window, then 40 forecast ones (fewer on a short tail)
    int full =
        samples.sensors().stream().mapToInt(t -> Math.min(40, t.readings().length - (w - 1))).sum();
    assertThat(full).isGreaterThan(sensors * 20);
    assertThat(out).hasSize(full * 2);
    Map<String, List<Forecast>> bySensor = new HashMap<>();
    out.forEach(
        f ->
            bySensor
                .computeIfAbsent(
                    f.getSensorId() + "/" + f.getMetadata().getModelName(), k -> new ArrayList<>())
                .add(f));
    assertThat(bySensor).hasSize(sensors * 2);
    bySensor.forEach(
        (key, l) -> {
          double[] tail =
              samples.sensors().stream()
                  .filter(t -> key.startsWith(t.sensorId() + "/"))
                  .findFirst()
                  .orElseThrow()
                  .readings();
          assertThat(l).hasSize(Math.min(40, tail.length - (w - 1)));
          for (int i = 1; i < l.size(); i++) { // order per sensor preserved
            assertThat(l.get(i).getEventTime()).isAfter(l.get(i - 1).getEventTime());
          }
        });
  }

  @Test
  void shouldAlertWhenAReadingDepartsFromItsForecast() {
    var stream = stream(0, 0, 60, 0, false);
    stream.of(SampleEvents.Kind.SENSORS).forEach(e -> send(e.record()));
    List<AnomalyAlert> alerts = read(topics.anomalies(), AnomalyAlert.class);
    long caught =
        alerts.stream().filter(a -> stream.injectedAnomalies().contains(a.getId())).count();
    assertThat(stream.injectedAnomalies()).isNotEmpty();
    assertThat(caught).isGreaterThanOrEqualTo(stream.injectedAnomalies().size() - 2);
    assertThat(alerts)
        .allSatisfy(a -> assertThat(Math.abs(a.getZScore())).isGreaterThan(a.getThreshold()));
  }

  @Test
  void shouldGenerateOneImagePerRequestedSample() {
    var events = stream(0, 0, 0, 8, false).of(SampleEvents.Kind.GENERATION);
    events.forEach(e -> send(e.record()));
    List<GeneratedImage> out = read(topics.generatedImages(), GeneratedImage.class);
    assertThat(out).hasSize(events.stream().mapToInt(SampleEvents.Event::predictions).sum());
    assertThat(out.get(0).getPng().remaining()).isGreaterThan(8);
    assertThat(out)
        .allSatisfy(g -> assertThat(g.getMetadata().getModelName()).isEqualTo("digits-gan"));
  }

  @Test
  void shouldSendEveryInvalidEventToDeadLettersWithItsCodeAndOriginalBytes() {
    List<SampleEvents.Event> catalogue = SampleEvents.invalid(topics.inputs(), Instant.now());
    Map<String, SampleEvents.Event> bySource = new HashMap<>(); // topic/partition/offset -> event
    Map<String, Integer> offsets = new HashMap<>();
    for (SampleEvents.Event e : catalogue) {
      int offset = offsets.merge(e.record().topic(), 1, Integer::sum) - 1;
      bySource.put(e.record().topic() + "/0/" + offset, e);
      send(e.record());
    }
    List<SampleEvents.Event> bad =
        catalogue.stream().filter(e -> e.expectedError() != null).toList();
    assertThat(bad).hasSizeGreaterThanOrEqualTo(30);
    assertThat(catalogue.stream().map(e -> e.record().topic()).distinct()).hasSize(4);
    List<TestRecord<String, byte[]>> dead = deadLetters();
    io.streaminfer.pipeline.ReliabilityReport.write(
        "bad-input",
        Map.of(
            "kinds_tried", bad.size(),
            "topics", catalogue.stream().map(e -> e.record().topic()).distinct().count(),
            "codes", bad.stream().map(SampleEvents.Event::expectedError).distinct().count(),
            "dead_lettered_with_expected_code",
                dead.stream()
                    .filter(
                        d -> {
                          SampleEvents.Event e = bySource.get(DeadLetters.source(d.headers()));
                          return e != null
                              && String.valueOf(e.expectedError())
                                  .equals(DeadLetters.header(d.headers(), DeadLetters.CODE))
                              && java.util.Arrays.equals(e.record().value(), d.value());
                        })
                    .count()));
    assertThat(dead).hasSize(bad.size());
    for (TestRecord<String, byte[]> d : dead) {
      SampleEvents.Event e = bySource.get(DeadLetters.source(d.headers()));
      assertThat(e).as("dead letter traced to its input").isNotNull();
      assertThat(DeadLetters.header(d.headers(), DeadLetters.CODE))
          .as(e.id() + ": " + DeadLetters.header(d.headers(), DeadLetters.MESSAGE))
          .isEqualTo(String.valueOf(e.expectedError()));
      assertThat(d.value()).as(e.id()).isEqualTo(e.record().value());
      assertThat(d.key()).as(e.id()).isEqualTo(e.record().key());
      assertThat(DeadLetters.header(d.headers(), DeadLetters.MESSAGE)).isNotBlank();
    }
  }

  @Test
  void shouldKeepServingValidEventsInterleavedWithInvalidOnes() {
    var stream = stream(20, 20, 30, 5, true);
    stream.events().forEach(e -> send(e.record()));
    int predictions =
        read(topics.imagePredictions(), Classification.class).size()
            + read(topics.textPredictions(), Classification.class).size()
            + read(topics.forecasts(), Forecast.class).size()
            + read(topics.generatedImages(), GeneratedImage.class).size();
    assertThat(predictions)
        .isEqualTo(stream.events().stream().mapToInt(SampleEvents.Event::predictions).sum());
    assertThat(deadLetters())
        .hasSize((int) stream.events().stream().filter(e -> e.expectedError() != null).count());
  }

  @Test
  void shouldRejectDuplicateAndOutOfOrderReadings() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    for (int i : new int[] {0, 1, 1, 0, 2}) {
      SensorReading r =
          SensorReading.newBuilder()
              .setId("r" + i)
              .setSensorId("s1")
              .setEventTime(t0.plusSeconds(i))
              .setValue(i)
              .build();
      send(
          new ProducerRecord<>(
              topics.sensorReadings(),
              "s1",
              AvroSerdes.serde(SensorReading.class).serializer().serialize("", r)));
    }
    assertThat(deadLetters())
        .extracting(d -> DeadLetters.header(d.headers(), DeadLetters.CODE))
        .containsExactly(
            ErrorCode.READING_OUT_OF_ORDER.name(), ErrorCode.READING_OUT_OF_ORDER.name());
  }

  @Test
  void shouldRouteToTheModelVersionNamedInTheHeader() {
    var e = stream(1, 0, 0, 0, false).of(SampleEvents.Kind.IMAGES).get(0).record();
    var headers =
        new RecordHeaders()
            .add(ModelRegistry.MODEL_HEADER, "digits-cnn:1".getBytes(StandardCharsets.UTF_8));
    send(new ProducerRecord<>(e.topic(), null, e.key(), e.value(), headers));
    assertThat(read(topics.imagePredictions(), Classification.class))
        .singleElement()
        .satisfies(c -> assertThat(c.getMetadata().getModelVersion()).isEqualTo("1"));
  }

  @Test
  void shouldKeepSensorWindowsInAChangeloggedStore() {
    stream(0, 0, 5, 0, false).of(SampleEvents.Kind.SENSORS).forEach(e -> send(e.record()));
    flush();
    var store = driver.<String, SensorState>getKeyValueStore("windows-sensors");
    try (var all = store.all()) {
      int n = 0;
      for (; all.hasNext(); all.next()) {
        n++;
      }
      assertThat(n).isEqualTo(samples.sensors().size());
    }
    // the window's readings and the 5 after them
    assertThat(store.get(samples.sensors().get(0).sensorId()).readings())
        .hasSize(samples.sensorWindow() - 1 + 5);
    assertThat(driver.producedTopicNames())
        .contains("streaminfer-" + "windows-sensors" + "-changelog");
  }

  @Test
  void shouldKeepEveryKindOfInputInItsOwnSubTopology() {
    // one task per input partition: no task waits on, or polls, the empty partitions of other kinds
    var subs =
        StreamInferTopology.build(
                config, models, io.streaminfer.pipeline.metrics.PipelineMetrics.inMemory())
            .describe()
            .subtopologies();
    assertThat(subs).hasSize(4);
    assertThat(subs)
        .allSatisfy(
            sub ->
                assertThat(
                        sub.nodes().stream()
                            .filter(
                                n ->
                                    n
                                        instanceof
                                        org.apache.kafka.streams.TopologyDescription.Source)
                            .flatMap(
                                n ->
                                    ((org.apache.kafka.streams.TopologyDescription.Source) n)
                                        .topicSet().stream()))
                    .hasSize(1));
  }

  @Test
  void shouldRecomputeForecastsOfReadingsReplayedAfterAnAtLeastOnceCrash() {
    // given: w + 26 readings of one sensor (one a spike), run once; the state keeps the last w + 16
    int w = samples.sensorWindow();
    int n = w + 26;
    StreamInferConfig noHistory =
        TestConfigs.config(Map.of(StreamInferConfig.SENSOR_REPLAY_HISTORY, 16));
    SampleData.Series series = samples.sensors().get(0);
    List<ProducerRecord<String, byte[]>> readings = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double v = series.readings()[i] + (i == w + 16 ? 1e4 : 0);
      SensorReading r =
          SensorReading.newBuilder()
              .setId("r" + i)
              .setSensorId("s1")
              .setEventTime(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i))
              .setValue(v)
              .build();
      readings.add(
          new ProducerRecord<>(
              topics.sensorReadings(),
              "s1",
              AvroSerdes.serde(SensorReading.class).serializer().serialize("", r)));
    }
    Map<String, List<TestRecord<String, byte[]>>> first;
    SensorState after;
    try (TopologyTestDriver d = TestConfigs.driver(noHistory, models, state.resolve("first"))) {
      first = pipe(d, readings);
      after = d.<String, SensorState>getKeyValueStore("windows-sensors").get("s1");
    }
    assertThat(first.get(topics.forecasts())).hasSize(2 * 27); // readings w - 1 .. w + 25
    assertThat(first.get(topics.anomalies())).isNotEmpty();

    // when: a restart finds the state already holding all n (its changelog got ahead of the
    // committed offsets) and reads the same n records again
    Map<String, List<TestRecord<String, byte[]>>> replay;
    try (TopologyTestDriver d = TestConfigs.driver(noHistory, models, state.resolve("replay"))) {
      d.<String, SensorState>getKeyValueStore("windows-sensors").put("s1", after);
      replay = pipe(d, readings);
      // then: the state is left as it was
      assertThat(d.<String, SensorState>getKeyValueStore("windows-sensors").get("s1").readings())
          .containsExactly(after.readings());
    }
    // the forecasts and alerts of the last 16 readings (a full window before them is kept) come
    // again, equal; the readings before them cannot be recomputed and say so, none is silently
    // skipped
    java.util.function.Predicate<String> recomputable =
        v -> Integer.parseInt(v.substring(1, v.indexOf(' '))) >= n - 16;
    assertThat(values(replay.get(topics.forecasts())))
        .hasSize(2 * 16)
        .isEqualTo(values(first.get(topics.forecasts())).stream().filter(recomputable).toList());
    assertThat(values(replay.get(topics.anomalies())))
        .isNotEmpty()
        .isEqualTo(values(first.get(topics.anomalies())).stream().filter(recomputable).toList());
    assertThat(replay.get(topics.deadLetters()))
        .hasSize(n - 16)
        .allSatisfy(
            dl ->
                assertThat(DeadLetters.header(dl.headers(), DeadLetters.CODE))
                    .isEqualTo(ErrorCode.READING_REPLAYED.name()));
  }

  /** Pipes {@code records} and returns every output, by topic. */
  private static Map<String, List<TestRecord<String, byte[]>>> pipe(
      TopologyTestDriver d, List<ProducerRecord<String, byte[]>> records) {
    Map<String, TestInputTopic<String, byte[]>> in = new HashMap<>();
    for (ProducerRecord<String, byte[]> r : records) {
      in.computeIfAbsent(
              r.topic(),
              t -> d.createInputTopic(t, new StringSerializer(), new ByteArraySerializer()))
          .pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), Instant.now()));
    }
    d.advanceWallClockTime(java.time.Duration.ofSeconds(1));
    Map<String, List<TestRecord<String, byte[]>>> out = new HashMap<>();
    for (String t : List.of(topics.forecasts(), topics.anomalies(), topics.deadLetters())) {
      out.put(
          t,
          d.createOutputTopic(t, new StringDeserializer(), new ByteArrayDeserializer())
              .readRecordsToList());
    }
    return out;
  }

  /** What a forecast or alert says, without its metadata (which carries processing times). */
  private static List<String> values(List<TestRecord<String, byte[]>> records) {
    return records.stream()
        .map(
            r -> {
              try {
                Forecast f =
                    AvroSerdes.serde(Forecast.class).deserializer().deserialize("", r.value());
                return f.getId() + " " + f.getMetadata().getModelName() + " " + f.getForecast();
              } catch (RuntimeException notAForecast) {
                AnomalyAlert a =
                    AvroSerdes.serde(AnomalyAlert.class).deserializer().deserialize("", r.value());
                return a.getId() + " " + a.getForecast() + " " + a.getZScore();
              }
            })
        .toList();
  }
}
