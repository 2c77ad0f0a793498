package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestTopics;
import io.streaminfer.pipeline.UsersRoutes;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.GenerationRequest;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.ReferenceReadings;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sends random bytes and random mutations of valid events (bit flips, truncation, insertion,
 * overwrites, duplicated slices, tombstones, missing keys, random {@code model} headers) to every
 * input topic — the four default routes and the routes of users' models ({@link UsersRoutes}: the
 * mobilenet's photos in every form of its reference set, the unconditional colour generator's
 * requests, the BERT classifier and its embedding on one topic; a stateful LSTM route whose
 * readings carry features and a windowed multivariate GRU route) — bounded in count and time, and
 * accounts for every input through the lineage headers: on each route that reads it, each one ends
 * in exactly one dead letter with a typed reason (never INTERNAL) or in predictions, never both,
 * never neither. The seed is printed and can be set with -Dstreaminfer.fuzz.seed.
 */
class BadInputFuzzTest {
  private static final int MAX_INPUTS = 3_000;
  private static final Duration MAX_TIME = Duration.ofSeconds(40);
  private static final String OCEAN_IN = "ocean-readings";
  private static final String MACRO_IN = "macro-readings";

  /** The users' routes and two sequence routes: stateful (ocean) and multivariate (macro). */
  private static Map<String, Object> keys() {
    Map<String, Object> p = new java.util.LinkedHashMap<>(UsersRoutes.keys());
    p.put(
        io.streaminfer.pipeline.config.StreamInferConfig.ROUTES,
        p.get(io.streaminfer.pipeline.config.StreamInferConfig.ROUTES) + ",ocean,macro");
    SequenceRoutes.route(p, "ocean", OCEAN_IN, "elnino-lstm-step", "ocean-forecasts");
    return SequenceRoutes.route(p, "macro", MACRO_IN, "macro-gru-multi", "macro-forecasts");
  }

  /** Rows of readings (value, then features) from a sequence model's reference set. */
  private static List<double[]> rows(String model) {
    return ReferenceReadings.of(Path.of(TestConfigs.repository(), model, "1"));
  }

  @TempDir Path state;

  @Test
  void shouldAccountForEveryRandomOrMutatedInput() {
    long seed = Long.getLong("streaminfer.fuzz.seed", System.nanoTime());
    System.out.println("fuzz seed " + seed + " (rerun with -Dstreaminfer.fuzz.seed=" + seed + ")");
    Random rnd = new Random(seed);
    var config = TestConfigs.config(keys());
    List<double[]> ocean = rows("elnino-lstm-step");
    List<double[]> macro = rows("macro-gru-multi");
    TestTopics topics = TestTopics.of(config);
    SampleData samples = SampleData.load();
    // valid events of every kind to mutate; sensors get their windows filled first, so every
    // accepted reading yields forecasts
    SampleEvents.Stream valid =
        SampleEvents.build(samples, topics.inputs(), 60, 60, 0, 30, 2, false, seed);
    List<ProducerRecord<String, byte[]>> warmUp = new ArrayList<>();
    List<String> sensors = samples.sensors().stream().map(SampleData.Series::sensorId).toList();
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    for (int i = 0; i < samples.sensorWindow(); i++) {
      for (int s = 0; s < sensors.size(); s++) {
        warmUp.add(
            reading(
                topics,
                sensors.get(s),
                "warm-" + s + "-" + i,
                samples.sensors().get(s).readings()[i],
                t0.plusSeconds(i)));
      }
    }
    for (int i = 0; i < macro.size(); i++) { // the macro sensors' windows full before the fuzz
      for (int s = 0; s < 3; s++) {
        warmUp.add(
            reading(
                MACRO_IN, "macro-" + s, "warm-m" + s + "-" + i, macro.get(i), t0.plusSeconds(i)));
      }
    }
    List<UsersRoutes.Photo> photos = UsersRoutes.photos();
    String[] modelHeaders = {
      "digits-cnn",
      "digits-cnn:1",
      "langid-transformer",
      "digits-gan",
      "sensor-lstm",
      "digits-mobilenet",
      "digits-dcgan:1",
      "langid-bert",
      "nope",
      "digits-cnn:0",
      ":",
      "",
      "\u0000\uFFFF"
    };

    try (ModelRegistry models = ModelRegistry.open(config)) {
      try (TopologyTestDriver driver = TestConfigs.driver(config, models, state)) {
        Map<String, TestInputTopic<String, byte[]>> inputs = new HashMap<>();
        Map<String, Long> offsets = new HashMap<>();
        Map<String, String> sent = new TreeMap<>(); // topic/0/offset -> what was sent
        java.util.function.BiConsumer<ProducerRecord<String, byte[]>, String> send =
            (r, what) -> {
              inputs
                  .computeIfAbsent(
                      r.topic(),
                      t ->
                          driver.createInputTopic(
                              t, new StringSerializer(), new ByteArraySerializer()))
                  .pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), Instant.now()));
              long offset = offsets.merge(r.topic(), 1L, Long::sum) - 1;
              if (what != null) {
                sent.put(r.topic() + "/0/" + offset, what);
              }
            };
        warmUp.forEach(r -> send.accept(r, null));
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        drain(driver, topics);

        long deadline = System.nanoTime() + MAX_TIME.toNanos();
        int n = 0;
        for (; n < MAX_INPUTS && System.nanoTime() < deadline; n++) {
          ProducerRecord<String, byte[]> base;
          int lane = rnd.nextInt(9);
          if (lane == 7) { // a reading with features for the stateful LSTM
            int s = rnd.nextInt(4);
            base =
                reading(
                    OCEAN_IN,
                    "sea-" + s,
                    "fuzz-" + n,
                    ocean.get(rnd.nextInt(ocean.size())),
                    t0.plusSeconds(1000 + n));
          } else if (lane == 8) { // a reading of a warm multivariate sensor
            int s = rnd.nextInt(3);
            base =
                reading(
                    MACRO_IN,
                    "macro-" + s,
                    "fuzz-" + n,
                    macro.get(rnd.nextInt(macro.size())),
                    t0.plusSeconds(1000 + n));
          } else if (lane == 6) { // a sentence for the users' Hugging Face BERT
            ProducerRecord<String, byte[]> text =
                valid
                    .of(SampleEvents.Kind.TEXTS)
                    .get(rnd.nextInt(valid.of(SampleEvents.Kind.TEXTS).size()))
                    .record();
            base = new ProducerRecord<>(UsersRoutes.SENTENCES_IN, text.key(), text.value());
          } else if (lane == 4) { // a photo for the users' CNN
            ImageEvent e = photos.get(rnd.nextInt(photos.size())).event();
            base =
                new ProducerRecord<>(
                    UsersRoutes.PHOTOS_IN,
                    e.getId(),
                    AvroSerdes.serde(ImageEvent.class).serializer().serialize("", e));
          } else if (lane == 5) { // a request to the users' unconditional generator
            GenerationRequest r = UsersRoutes.request("art-" + n, "", 1 + rnd.nextInt(3), n);
            base =
                new ProducerRecord<>(
                    UsersRoutes.ART_IN,
                    r.getId(),
                    AvroSerdes.serde(GenerationRequest.class).serializer().serialize("", r));
          } else if (lane == 2) { // a reading of a warm sensor, newer than any before
            int s = rnd.nextInt(sensors.size());
            double[] tail = samples.sensors().get(s).readings();
            base =
                reading(
                    topics,
                    sensors.get(s),
                    "fuzz-" + n,
                    tail[
                        samples.sensorWindow() + rnd.nextInt(tail.length - samples.sensorWindow())],
                    t0.plusSeconds(1000 + n));
          } else {
            SampleEvents.Kind kind = SampleEvents.Kind.values()[lane];
            List<SampleEvents.Event> pool = valid.of(kind);
            base = pool.get(rnd.nextInt(pool.size())).record();
            if (kind == SampleEvents.Kind.IMAGES && rnd.nextInt(4) == 0) {
              base = headerClaiming(base, rnd); // a PNG whose header lies about its cost
            }
          }
          int op = rnd.nextInt(10);
          byte[] value = mutate(base.value(), op, rnd);
          String key = rnd.nextInt(25) == 0 ? null : base.key();
          RecordHeaders headers = new RecordHeaders();
          if (rnd.nextInt(8) == 0) {
            headers.add(
                "model",
                modelHeaders[rnd.nextInt(modelHeaders.length)].getBytes(StandardCharsets.UTF_8));
          }
          send.accept(
              new ProducerRecord<>(base.topic(), null, key, value, headers),
              "op " + op + " key " + key);
          if (n % 50 == 49) {
            driver.advanceWallClockTime(Duration.ofMillis(100));
          }
        }
        driver.advanceWallClockTime(Duration.ofSeconds(1));

        // then: every input accounted for by exactly one dead letter or by predictions
        // source -> route -> {predictions, dead letters}: a topic read by two routes (languages
        // and embeddings both read sentences) accounts for each input once per route
        Map<String, Map<String, int[]>> outcome = new HashMap<>();
        Map<String, Integer> codes = new TreeMap<>();
        for (TestRecord<String, byte[]> r : drain(driver, topics)) {
          String src = DeadLetters.source(r.headers());
          String code = DeadLetters.header(r.headers(), DeadLetters.CODE);
          String route = DeadLetters.header(r.headers(), DeadLetters.ROUTE);
          int[] o =
              outcome
                  .computeIfAbsent(src, x -> new HashMap<>())
                  .computeIfAbsent(route, x -> new int[2]);
          if (code != null) {
            o[1]++;
            codes.merge(code, 1, Integer::sum);
            assertThat(code)
                .as(
                    "dead letter of %s: %s",
                    src, DeadLetters.header(r.headers(), DeadLetters.MESSAGE))
                .isNotEqualTo(ErrorCode.INTERNAL.name());
          } else {
            o[0]++;
          }
        }
        System.out.printf(
            "fuzz: %d inputs, %d dead letters by code %s%n",
            n, codes.values().stream().mapToInt(i -> i).sum(), codes);
        long predicted =
            outcome.values().stream()
                .filter(byRoute -> byRoute.values().stream().anyMatch(o -> o[0] > 0))
                .count();
        io.streaminfer.pipeline.ReliabilityReport.write(
            "fuzz",
            Map.of(
                "seed",
                seed,
                "inputs",
                n,
                "predicted",
                predicted,
                "dead_letters",
                codes.values().stream().mapToInt(i -> i).sum(),
                "dead_letter_codes",
                codes,
                "unaccounted",
                sent.keySet().stream().filter(k -> !outcome.containsKey(k)).count()));
        assertThat(outcome.keySet()).as("outputs only for fuzz inputs").isEqualTo(sent.keySet());
        Map<String, List<String>> routesOf = new HashMap<>(); // input topic -> its routes
        config
            .routes()
            .forEach(
                r -> routesOf.computeIfAbsent(r.input(), t -> new ArrayList<>()).add(r.name()));
        assertThat(routesOf.get(UsersRoutes.SENTENCES_IN)).hasSize(2);
        for (var e : sent.entrySet()) {
          Map<String, int[]> byRoute = outcome.get(e.getKey());
          String topic = e.getKey().substring(0, e.getKey().indexOf('/'));
          if (byRoute.containsKey(null)) { // refused before any route: one dead letter
            assertThat(byRoute).as("%s (%s)", e.getKey(), e.getValue()).hasSize(1);
            assertThat(byRoute.get(null)).as("%s", e.getKey()).containsExactly(0, 1);
            continue;
          }
          assertThat(byRoute.keySet())
              .as("%s (%s): every route of its topic", e.getKey(), e.getValue())
              .containsExactlyInAnyOrderElementsOf(routesOf.get(topic));
          byRoute.forEach(
              (route, o) ->
                  assertThat(o[1] == 1 && o[0] == 0 || o[1] == 0 && o[0] > 0)
                      .as(
                          "%s (%s) on route %s: %d predictions, %d dead letters",
                          e.getKey(), e.getValue(), route, o[0], o[1])
                      .isTrue());
        }
        assertThat(n).isGreaterThanOrEqualTo(500);
        for (String topic :
            List.of(
                UsersRoutes.PHOTOS_IN,
                UsersRoutes.ART_IN,
                UsersRoutes.SENTENCES_IN,
                OCEAN_IN,
                MACRO_IN)) {
          var ofTopic =
              sent.keySet().stream()
                  .filter(k -> k.startsWith(topic + "/"))
                  .flatMap(k -> outcome.get(k).values().stream());
          long[] split = new long[2]; // predicted, dead-lettered (per route)
          ofTopic.forEach(o -> split[o[0] > 0 ? 0 : 1]++);
          System.out.printf("fuzz: %s %d predicted, %d dead-lettered%n", topic, split[0], split[1]);
          assertThat(split).as("the fuzz reaches both outcomes on %s", topic).doesNotContain(0L);
        }
        assertThat(codes)
            .as("the fuzz reaches many kinds of rejection")
            .hasSizeGreaterThanOrEqualTo(6);
      }
    }
  }

  private static ProducerRecord<String, byte[]> reading(
      TestTopics topics, String sensor, String id, double value, Instant time) {
    return reading(topics.sensorReadings(), sensor, id, new double[] {value}, time);
  }

  /** A reading of {@code values}: the value, then its features. */
  private static ProducerRecord<String, byte[]> reading(
      String topic, String sensor, String id, double[] values, Instant time) {
    List<Double> features = new ArrayList<>();
    for (int i = 1; i < values.length; i++) {
      features.add(values[i]);
    }
    SensorReading r =
        SensorReading.newBuilder()
            .setId(id)
            .setSensorId(sensor)
            .setEventTime(time)
            .setValue(values[0])
            .setFeatures(features)
            .build();
    return new ProducerRecord<>(
        topic, sensor, AvroSerdes.serde(SensorReading.class).serializer().serialize("", r));
  }

  /** Everything written to the output topics since the last call. */
  private static List<TestRecord<String, byte[]>> drain(
      TopologyTestDriver driver, TestTopics topics) {
    List<TestRecord<String, byte[]>> out = new ArrayList<>();
    for (String t : topics.outputs()) {
      out.addAll(
          driver
              .createOutputTopic(t, new StringDeserializer(), new ByteArrayDeserializer())
              .readRecordsToList());
    }
    return out;
  }

  /**
   * {@code image} with its PNG's header claiming random dimensions (1 to 2^31 - 1 a side), bit
   * depth and colour type over the original small body: refused from the header, or decoded and
   * found broken, never decoded at the claimed cost.
   */
  private static ProducerRecord<String, byte[]> headerClaiming(
      ProducerRecord<String, byte[]> image, Random rnd) {
    var serde = AvroSerdes.serde(ImageEvent.class);
    ImageEvent e = serde.deserializer().deserialize(image.topic(), image.value());
    if (e.getEncoding() != io.streaminfer.schemas.ImageEncoding.PNG) {
      return image;
    }
    byte[] original = new byte[e.getData().remaining()];
    e.getData().duplicate().get(original);
    int[] sides = {1, 28, 1024, 4096, 8192, 65_535, 1 << 20, Integer.MAX_VALUE};
    byte[] png =
        SampleEvents.pngClaiming(
            original,
            sides[rnd.nextInt(sides.length)],
            sides[rnd.nextInt(sides.length)],
            new int[] {1, 2, 4, 8, 16}[rnd.nextInt(5)],
            new int[] {0, 2, 3, 4, 6}[rnd.nextInt(5)]);
    e.setData(java.nio.ByteBuffer.wrap(png));
    return new ProducerRecord<>(
        image.topic(), image.key(), serde.serializer().serialize(image.topic(), e));
  }

  /** One mutation of {@code v}; op 9 leaves it valid (a control). */
  static byte[] mutate(byte[] v, int op, Random rnd) {
    int at = rnd.nextInt(v.length);
    return switch (op) {
      case 0 -> { // flip 1..3 bits
        byte[] b = v.clone();
        for (int k = 0, m = 1 + rnd.nextInt(3); k < m; k++) {
          int i = rnd.nextInt(b.length);
          b[i] ^= (byte) (1 << rnd.nextInt(8));
        }
        yield b;
      }
      case 1 -> Arrays.copyOf(v, at); // truncate
      case 2 -> { // insert random bytes
        byte[] ins = random(1 + rnd.nextInt(8), rnd);
        byte[] b = new byte[v.length + ins.length];
        System.arraycopy(v, 0, b, 0, at);
        System.arraycopy(ins, 0, b, at, ins.length);
        System.arraycopy(v, at, b, at + ins.length, v.length - at);
        yield b;
      }
      case 3 -> { // overwrite a run
        byte[] b = v.clone();
        for (int i = at; i < Math.min(b.length, at + 1 + rnd.nextInt(16)); i++) {
          b[i] = (byte) rnd.nextInt(256);
        }
        yield b;
      }
      case 4 -> { // duplicate a slice
        int len = Math.min(v.length - at, 1 + rnd.nextInt(32));
        byte[] b = Arrays.copyOf(v, v.length + len);
        System.arraycopy(v, at, b, at + len, v.length - at);
        yield b;
      }
      case 5 -> random(rnd.nextInt(64), rnd);
      case 6 -> { // an extreme byte in the body
        byte[] b = v.clone();
        b[10 + rnd.nextInt(Math.max(1, b.length - 10)) % b.length] =
            new byte[] {0, (byte) 0xFF, 0x7F, (byte) 0x80}[rnd.nextInt(4)];
        yield b;
      }
      case 7 -> rnd.nextBoolean() ? null : new byte[0];
      case 8 -> { // a valid header with a random body
        byte[] b = Arrays.copyOf(v, Math.min(v.length, 10) + rnd.nextInt(40));
        for (int i = 10; i < b.length; i++) {
          b[i] = (byte) rnd.nextInt(256);
        }
        yield b;
      }
      default -> v;
    };
  }

  private static byte[] random(int n, Random rnd) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }
}
