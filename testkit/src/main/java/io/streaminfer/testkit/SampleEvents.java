package io.streaminfer.testkit;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.postprocess.PngEncoder;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.GenerationRequest;
import io.streaminfer.schemas.ImageEncoding;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.TextEvent;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Turns {@link SampleData} into the events a producer would publish — digit images as PNG (and a
 * few as raw pixels), sentences, sensor readings with injected anomalies, generation requests —
 * plus a catalogue of invalid events, each with what the pipeline must make of it. The demo, the
 * {@code produce} command and the integration tests publish the same streams.
 */
public final class SampleEvents {
  /** Readings from this many standard deviations off the series are injected as anomalies. */
  public static final double ANOMALY_SIGMAS = 12.0;

  /** Kind of sample event, by the task family that serves it. */
  public enum Kind {
    IMAGES(Task.IMAGE_CLASSIFICATION),
    TEXTS(Task.TEXT_CLASSIFICATION),
    SENSORS(Task.TIME_SERIES_FORECAST),
    GENERATION(Task.IMAGE_GENERATION);

    private final Task task;

    Kind(Task task) {
      this.task = task;
    }

    /** The task of the routes that serve this kind of sample. */
    public Task task() {
      return task;
    }
  }

  /**
   * Where each kind of sample is published: the input topic of the first route of its task.
   *
   * @param images digit images
   * @param texts sentences
   * @param sensorReadings sensor readings (keyed by sensor id)
   * @param generationRequests generation requests
   */
  public record Inputs(
      String images, String texts, String sensorReadings, String generationRequests) {
    /**
     * The inputs of {@code config}'s routes; a kind no route serves gets null (its samples are
     * skipped).
     */
    public static Inputs of(StreamInferConfig config) {
      return new Inputs(
          input(config, Kind.IMAGES),
          input(config, Kind.TEXTS),
          input(config, Kind.SENSORS),
          input(config, Kind.GENERATION));
    }

    private static String input(StreamInferConfig config, Kind kind) {
      return config.routes().stream()
          .filter(r -> r.task() == kind.task())
          .map(Route::input)
          .findFirst()
          .orElse(null);
    }

    /**
     * These inputs with a placeholder for kinds no route serves (their events are dropped at the
     * end).
     */
    Inputs served() {
      return new Inputs(
          orNone(images), orNone(texts), orNone(sensorReadings), orNone(generationRequests));
    }

    private static String orNone(String topic) {
      return topic == null ? UNSERVED : topic;
    }

    /** The topic of {@code kind}, or null. */
    public String of(Kind kind) {
      return switch (kind) {
        case IMAGES -> images;
        case TEXTS -> texts;
        case SENSORS -> sensorReadings;
        case GENERATION -> generationRequests;
      };
    }
  }

  /**
   * One event to publish and what it must produce.
   *
   * @param record the record (key and value bytes, headers)
   * @param kind which branch it feeds
   * @param id the event id (for matching predictions)
   * @param label the ground truth for labelled inputs, else null
   * @param predictions how many prediction records it must produce (0 for invalid ones)
   * @param expectedError the dead-letter code it must produce, or null when valid
   */
  public record Event(
      ProducerRecord<String, byte[]> record,
      Kind kind,
      String id,
      String label,
      int predictions,
      ErrorCode expectedError) {}

  /** The stream, with the ids of injected anomalies. */
  public record Stream(List<Event> events, Set<String> injectedAnomalies) {
    /** Events of one kind. */
    public List<Event> of(Kind kind) {
      return events.stream().filter(e -> e.kind() == kind).toList();
    }
  }

  /** Placeholder topic of kinds no route serves. */
  private static final String UNSERVED = "\u0000unserved";

  private SampleEvents() {}

  /**
   * Builds a stream: {@code images} digits, {@code texts} sentences, every sensor's held-out tail
   * (the bundled forecasters' window, then {@code readingsPerSensor} readings that are forecast, at
   * most what the tail holds; 2 anomalies each), {@code generations} requests; plus the invalid
   * catalogue when {@code invalid} is set. Valid events are interleaved by kind.
   */
  public static Stream build(
      SampleData data,
      Inputs inputs,
      int images,
      int texts,
      int readingsPerSensor,
      int generations,
      int sensorModels,
      boolean invalid,
      long seed) {
    return build(
        data,
        inputs,
        images,
        texts,
        readingsPerSensor,
        generations,
        sensorModels,
        data.sensorWindow(),
        invalid,
        seed);
  }

  /**
   * As {@link #build(SampleData, Inputs, int, int, int, int, int, boolean, long)}, for sensor
   * models whose window is {@code sensorWindow} readings (the demo asks the loaded model).
   */
  public static Stream build(
      SampleData data,
      Inputs inputs,
      int images,
      int texts,
      int readingsPerSensor,
      int generations,
      int sensorModels,
      int sensorWindow,
      boolean invalid,
      long seed) {
    Inputs topics = inputs.served();
    Random rnd = new Random(seed);
    Instant base = Instant.parse("2026-01-01T00:00:00Z");
    List<List<Event>> lanes = new ArrayList<>();
    List<Event> img = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      SampleData.Digit d = data.digits().get(i % data.digits().size());
      boolean raw = i % 10 == 9;
      byte[] payload =
          raw ? toBytes(d.pixels()) : PngEncoder.png(d.pixels(), d.width(), d.height());
      ImageEvent e =
          ImageEvent.newBuilder()
              .setId("img-" + i)
              .setEventTime(base.plusMillis(i))
              .setEncoding(raw ? ImageEncoding.RAW_UINT8 : ImageEncoding.PNG)
              .setData(ByteBuffer.wrap(payload))
              .setWidth(raw ? d.width() : null)
              .setHeight(raw ? d.height() : null)
              .setChannels(raw ? 1 : null)
              .setLabel(d.label())
              .build();
      img.add(valid(topics.images(), e.getId(), e, Kind.IMAGES, d.label(), 1));
    }
    lanes.add(img);
    List<Event> txt = new ArrayList<>();
    for (int i = 0; i < texts; i++) {
      SampleData.Sentence s = data.texts().get((i * 7919) % data.texts().size());
      TextEvent e =
          TextEvent.newBuilder()
              .setId("txt-" + i)
              .setEventTime(base.plusMillis(i))
              .setText(s.text())
              .setLabel(s.label())
              .build();
      txt.add(valid(topics.texts(), e.getId(), e, Kind.TEXTS, s.label(), 1));
    }
    lanes.add(txt);
    Set<String> injected = new HashSet<>();
    for (SampleData.Series s : data.sensors()) {
      List<Event> lane = new ArrayList<>();
      int start = 0;
      int n =
          readingsPerSensor == 0
              ? 0
              : Math.min(s.readings().length, sensorWindow - 1 + readingsPerSensor);
      double std = std(s.readings());
      Set<Integer> spikes = Set.of(n * 2 / 3, n - 3);
      for (int i = start; i < n; i++) {
        double v = s.readings()[i];
        String id = s.sensorId() + "-" + i;
        if (i >= sensorWindow + 1 && spikes.contains(i)) {
          v += ANOMALY_SIGMAS * std * (rnd.nextBoolean() ? 1 : -1);
          injected.add(id);
        }
        SensorReading r =
            SensorReading.newBuilder()
                .setId(id)
                .setSensorId(s.sensorId())
                .setEventTime(base.plusSeconds(i))
                .setValue(v)
                .build();
        lane.add(
            valid(
                topics.sensorReadings(),
                s.sensorId(),
                r,
                Kind.SENSORS,
                null,
                i + 1 >= sensorWindow ? sensorModels : 0,
                id));
      }
      lanes.add(lane);
    }
    List<Event> gen = new ArrayList<>();
    for (int i = 0; i < generations; i++) {
      int samples = 1 + i % 4;
      GenerationRequest g =
          GenerationRequest.newBuilder()
              .setId("gen-" + i)
              .setEventTime(base.plusMillis(i))
              .setLabel(Integer.toString(i % 10))
              .setSamples(samples)
              .setSeed(1000L + i)
              .build();
      gen.add(
          valid(topics.generationRequests(), g.getId(), g, Kind.GENERATION, g.getLabel(), samples));
    }
    lanes.add(gen);
    List<Event> out = interleave(lanes);
    out.removeIf(e -> e.record().topic().equals(UNSERVED));
    if (invalid) {
      List<Event> bad = invalid(inputs, base);
      for (int i = 0; i < bad.size(); i++) {
        out.add(
            Math.min(out.size(), (int) ((long) (i + 1) * out.size() / (bad.size() + 1))),
            bad.get(i));
      }
    }
    return new Stream(List.copyOf(out), Set.copyOf(injected));
  }

  /**
   * Payload size of the catalogue's oversize image: above the default image.max.bytes, under 1 MiB.
   */
  public static final int OVERSIZE_IMAGE_BYTES = 800_000;

  /**
   * The bad-input catalogue: malformed events of every kind the pipeline types, across all four
   * input topics, each with the dead-letter code it must produce (54 inputs, 23 codes, and two
   * valid ones that must be served after them; only those of kinds some route serves). Two valid
   * readings of sensor {@code bad-dup-sensor} precede its duplicate and out-of-order readings.
   */
  public static List<Event> invalid(Inputs inputs, Instant base) {
    Inputs t = inputs.served();
    List<Event> out = new ArrayList<>();
    byte[] png = PngEncoder.png(new int[64], 8, 8);
    ImageEvent goodImage =
        ImageEvent.newBuilder()
            .setId("bad-img")
            .setEventTime(base)
            .setEncoding(ImageEncoding.PNG)
            .setData(ByteBuffer.wrap(png))
            .build();
    byte[] img = bytes(goodImage);
    // Avro framing, on the images topic
    out.add(
        raw(
            t.images(),
            "bad-img-random",
            "not avro at all".getBytes(StandardCharsets.UTF_8),
            Kind.IMAGES,
            ErrorCode.AVRO_BAD_MAGIC));
    out.add(
        raw(
            t.images(),
            "bad-img-short",
            new byte[] {(byte) 0xC3, 0x01, 0x00},
            Kind.IMAGES,
            ErrorCode.AVRO_TRUNCATED_HEADER));
    out.add(
        raw(
            t.images(),
            "bad-img-truncated",
            Arrays.copyOf(img, img.length - 20),
            Kind.IMAGES,
            ErrorCode.AVRO_TRUNCATED_BODY));
    out.add(
        raw(
            t.images(),
            "bad-img-trailing",
            concat(img, new byte[] {1, 2, 3}),
            Kind.IMAGES,
            ErrorCode.AVRO_TRAILING_BYTES));
    out.add(
        raw(
            t.images(),
            "bad-img-negative-length",
            concat(Arrays.copyOf(img, 10), new byte[] {0x01, 0x00}),
            Kind.IMAGES,
            ErrorCode.AVRO_MALFORMED_BODY));
    out.add(
        raw(
            t.images(),
            "bad-img-wrong-type",
            bytes(TextEvent.newBuilder().setId("x").setEventTime(base).setText("hello").build()),
            Kind.IMAGES,
            ErrorCode.AVRO_WRONG_TYPE));
    out.add(
        raw(
            t.images(),
            "bad-img-fingerprint",
            fingerprint(img),
            Kind.IMAGES,
            ErrorCode.AVRO_UNKNOWN_FINGERPRINT));
    out.add(raw(t.images(), "bad-img-tombstone", null, Kind.IMAGES, ErrorCode.EMPTY_VALUE));
    // image content
    out.add(
        image(
            t,
            goodImage,
            "bad-img-corrupt-png",
            b -> b.setData(ByteBuffer.wrap(Arrays.copyOf(png, png.length / 2))),
            ErrorCode.IMAGE_UNDECODABLE));
    out.add(
        image(
            t,
            goodImage,
            "bad-img-not-an-image",
            b -> b.setData(ByteBuffer.wrap("GIF89a? no".getBytes(StandardCharsets.UTF_8))),
            ErrorCode.IMAGE_UNDECODABLE));
    // the event's encoding must describe its bytes: a real PNG sent as JPEG, a real GIF as PNG
    out.add(
        image(
            t,
            goodImage,
            "bad-img-png-as-jpeg",
            b -> b.setEncoding(ImageEncoding.JPEG),
            ErrorCode.IMAGE_UNDECODABLE));
    out.add(
        image(
            t,
            goodImage,
            "bad-img-gif-as-png",
            b -> b.setData(ByteBuffer.wrap(gif())),
            ErrorCode.IMAGE_UNDECODABLE));
    out.add(
        image(
            t,
            goodImage,
            "bad-img-no-bytes",
            b -> b.setData(ByteBuffer.allocate(0)),
            ErrorCode.IMAGE_UNDECODABLE));
    out.add(
        image(
            t,
            goodImage,
            "bad-img-jpeg-garbage",
            b ->
                b.setEncoding(ImageEncoding.JPEG)
                    .setData(
                        ByteBuffer.wrap(
                            new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0, 1, 2, 3})),
            ErrorCode.IMAGE_UNDECODABLE));
    out.add(
        image(
            t,
            goodImage,
            "bad-img-raw-size",
            b -> rawImage(b, 8, 8, 1, 60),
            ErrorCode.IMAGE_UNDECODABLE));
    out.add(
        image(
            t,
            goodImage,
            "bad-img-raw-zero",
            b -> rawImage(b, 0, 8, 1, 8),
            ErrorCode.IMAGE_DIMENSIONS));
    out.add(
        image(
            t,
            goodImage,
            "bad-img-raw-negative",
            b -> rawImage(b, -8, 8, 1, 64),
            ErrorCode.IMAGE_DIMENSIONS));
    out.add(
        image(
            t,
            goodImage,
            "bad-img-raw-huge",
            b -> rawImage(b, 100_000, 100_000, 1, 64),
            ErrorCode.IMAGE_DIMENSIONS));
    out.add(
        image(
            t,
            goodImage,
            "bad-img-raw-channels",
            b -> rawImage(b, 8, 4, 2, 64),
            ErrorCode.IMAGE_DIMENSIONS));
    out.add(
        image(
            t,
            goodImage,
            "bad-img-raw-no-dims",
            b -> rawImage(b, 8, 8, 1, 64).setWidth(null),
            ErrorCode.IMAGE_DIMENSIONS));
    out.add(
        image(
            t,
            goodImage,
            "bad-img-png-huge",
            b -> b.setData(ByteBuffer.wrap(pngClaiming(png, 50_000, 50_000))),
            ErrorCode.IMAGE_DIMENSIONS));
    out.add(
        image(
            t,
            goodImage,
            "bad-img-png-over-budget",
            // 4096 x 4096 RGBA at 16 bits decodes to 128 MiB, over the decoder's 64 MiB budget
            b -> b.setData(ByteBuffer.wrap(pngClaiming(png, 4096, 4096, 16, 6))),
            ErrorCode.IMAGE_DIMENSIONS));
    out.add(
        image(
            t,
            goodImage,
            "bad-img-oversize",
            b -> b.setData(ByteBuffer.allocate(OVERSIZE_IMAGE_BYTES)),
            ErrorCode.PAYLOAD_TOO_LARGE));
    out.add(image(t, goodImage, "bad-img-no-id", b -> b.setId(""), ErrorCode.MISSING_ID));
    out.add(
        invalidEvent(
            t.images(),
            "bad-img-model-version",
            ImageEvent.newBuilder(goodImage).setId("bad-img-model-version").build(),
            Kind.IMAGES,
            ErrorCode.UNKNOWN_MODEL,
            "digits-cnn:99"));
    out.add(
        invalidEvent(
            t.images(),
            "bad-img-model-name",
            ImageEvent.newBuilder(goodImage).setId("bad-img-model-name").build(),
            Kind.IMAGES,
            ErrorCode.UNKNOWN_MODEL,
            "no-such-model"));
    out.add(
        invalidEvent(
            t.images(),
            "bad-img-model-task",
            ImageEvent.newBuilder(goodImage).setId("bad-img-model-task").build(),
            Kind.IMAGES,
            ErrorCode.WRONG_TASK_MODEL,
            "langid-transformer"));
    // texts
    TextEvent goodText =
        TextEvent.newBuilder().setId("bad-txt").setEventTime(base).setText("XXXX").build();
    out.add(text(t, goodText, "bad-txt-empty", "", ErrorCode.TEXT_EMPTY));
    out.add(text(t, goodText, "bad-txt-blank", " \t\n ", ErrorCode.TEXT_EMPTY));
    out.add(text(t, goodText, "bad-txt-too-long", "ab ".repeat(3_334), ErrorCode.TEXT_TOO_LONG));
    out.add(
        raw(
            t.texts(),
            "bad-txt-invalid-utf8",
            invalidUtf8(
                bytes(TextEvent.newBuilder(goodText).setId("bad-txt-invalid-utf8").build())),
            Kind.TEXTS,
            ErrorCode.TEXT_INVALID_UTF8));
    out.add(
        raw(
            t.texts(),
            "bad-txt-fingerprint",
            new byte[] {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 42, 42},
            Kind.TEXTS,
            ErrorCode.AVRO_UNKNOWN_FINGERPRINT));
    out.add(
        raw(
            t.texts(),
            "bad-txt-wrong-type",
            bytes(
                SensorReading.newBuilder()
                    .setId("x")
                    .setSensorId("s")
                    .setEventTime(base)
                    .setValue(1)
                    .build()),
            Kind.TEXTS,
            ErrorCode.AVRO_WRONG_TYPE));
    out.add(raw(t.texts(), "bad-txt-tombstone", null, Kind.TEXTS, ErrorCode.EMPTY_VALUE));
    out.add(text(t, goodText, "bad-txt-nbsp", "\u00A0\u3000\u2003", ErrorCode.TEXT_EMPTY));
    out.add(
        text(t, goodText, "bad-txt-invisible", "\u200B\u200D\uFEFF\u2060", ErrorCode.TEXT_EMPTY));
    // 10,000 characters with 1,250 emoji (11,250 UTF-16 units): within text.max.chars, classified
    TextEvent emoji =
        TextEvent.newBuilder(goodText)
            .setId("txt-emoji")
            .setText("\uD83D\uDE00 Hallo ".repeat(1_250))
            .build();
    out.add(valid(t.texts(), emoji.getId(), emoji, Kind.TEXTS, null, 1));
    // emoji alone: no word of any language the model knows
    out.add(
        text(
            t,
            goodText,
            "bad-txt-only-emoji",
            "\uD83D\uDE00".repeat(10_000),
            ErrorCode.TEXT_UNENCODABLE));
    out.add(
        invalidEvent(
            t.texts(),
            "bad-txt-no-id",
            TextEvent.newBuilder(goodText).setId(" ").setText("hello world").build(),
            Kind.TEXTS,
            ErrorCode.MISSING_ID,
            null));
    out.add(
        invalidEvent(
            t.texts(),
            "bad-txt-model-version",
            TextEvent.newBuilder(goodText)
                .setId("bad-txt-model-version")
                .setText("hello world")
                .build(),
            Kind.TEXTS,
            ErrorCode.UNKNOWN_MODEL,
            "langid-transformer:7"));
    // sensor readings
    SensorReading r =
        SensorReading.newBuilder()
            .setId("bad-nan")
            .setSensorId("bad-sensor-nan")
            .setEventTime(base)
            .setValue(Double.NaN)
            .build();
    out.add(
        invalidEvent(
            t.sensorReadings(),
            "bad-sensor-nan",
            r,
            Kind.SENSORS,
            ErrorCode.READING_NOT_FINITE,
            null));
    out.add(
        reading(
            t,
            r,
            "bad-sensor-inf",
            "bad-inf",
            Double.POSITIVE_INFINITY,
            base,
            ErrorCode.READING_NOT_FINITE));
    out.add(
        reading(
            t,
            r,
            "bad-sensor-ninf",
            "bad-ninf",
            Double.NEGATIVE_INFINITY,
            base,
            ErrorCode.READING_NOT_FINITE));
    out.add(
        new Event(
            new ProducerRecord<>(
                t.sensorReadings(),
                null,
                bytes(SensorReading.newBuilder(r).setId("bad-nokey").setValue(1.0).build())),
            Kind.SENSORS,
            "bad-nokey",
            null,
            0,
            ErrorCode.MISSING_KEY));
    out.add(
        new Event(
            new ProducerRecord<>(
                t.sensorReadings(),
                "bad-sensor-key",
                bytes(
                    SensorReading.newBuilder(r)
                        .setId("bad-key")
                        .setSensorId("another-sensor")
                        .setValue(1.0)
                        .build())),
            Kind.SENSORS,
            "bad-key",
            null,
            0,
            ErrorCode.MISSING_KEY));
    out.add(
        raw(
            t.sensorReadings(),
            "bad-sensor-bytes",
            "{\"value\": 1.5, \"json\": true}".getBytes(StandardCharsets.UTF_8),
            Kind.SENSORS,
            ErrorCode.AVRO_BAD_MAGIC));
    out.add(reading(t, r, "bad-dup-sensor", "bad-dup-first", 1.0, base.plusSeconds(10), null));
    out.add(reading(t, r, "bad-dup-sensor", "bad-dup-second", 2.0, base.plusSeconds(11), null));
    out.add(
        reading(
            t,
            r,
            "bad-dup-sensor",
            "bad-dup-duplicate",
            2.0,
            base.plusSeconds(11),
            ErrorCode.READING_OUT_OF_ORDER));
    out.add(
        reading(
            t,
            r,
            "bad-dup-sensor",
            "bad-dup-older",
            3.0,
            base.plusSeconds(5),
            ErrorCode.READING_OUT_OF_ORDER));
    // a reading dated year 3000 is refused; the sensor's next normal reading is served
    out.add(
        reading(
            t,
            r,
            "bad-skew-sensor",
            "bad-skew-future",
            1.0,
            Instant.parse("3000-01-01T00:00:00Z"),
            ErrorCode.READING_TIME_SKEW));
    out.add(reading(t, r, "bad-skew-sensor", "bad-skew-after", 2.0, base.plusSeconds(20), null));
    // generation requests
    GenerationRequest g =
        GenerationRequest.newBuilder()
            .setId("bad-class")
            .setEventTime(base)
            .setLabel("x")
            .setSamples(1)
            .setSeed(1)
            .build();
    out.add(
        invalidEvent(
            t.generationRequests(),
            "bad-gen-class",
            g,
            Kind.GENERATION,
            ErrorCode.UNKNOWN_CLASS,
            null));
    for (int n : new int[] {0, -3, 1_000_000}) {
      out.add(
          invalidEvent(
              t.generationRequests(),
              "bad-gen-samples" + n,
              GenerationRequest.newBuilder(g)
                  .setId("bad-gen-samples" + n)
                  .setLabel("3")
                  .setSamples(n)
                  .build(),
              Kind.GENERATION,
              ErrorCode.SAMPLE_COUNT,
              null));
    }
    out.add(
        invalidEvent(
            t.generationRequests(),
            "bad-gen-model",
            GenerationRequest.newBuilder(g).setId("bad-gen-model").setLabel("3").build(),
            Kind.GENERATION,
            ErrorCode.UNKNOWN_MODEL,
            "digits-gan:42"));
    out.add(
        invalidEvent(
            t.generationRequests(),
            "bad-gen-model-task",
            GenerationRequest.newBuilder(g).setId("bad-gen-model-task").setLabel("3").build(),
            Kind.GENERATION,
            ErrorCode.WRONG_TASK_MODEL,
            "digits-cnn"));
    out.add(
        raw(
            t.generationRequests(),
            "bad-gen-short",
            new byte[] {(byte) 0xC3},
            Kind.GENERATION,
            ErrorCode.AVRO_TRUNCATED_HEADER));
    out.removeIf(e -> e.record().topic().equals(UNSERVED));
    return out;
  }

  private static Event image(
      Inputs t,
      ImageEvent base,
      String id,
      java.util.function.UnaryOperator<ImageEvent.Builder> change,
      ErrorCode code) {
    ImageEvent e = change.apply(ImageEvent.newBuilder(base).setId(id)).build();
    return invalidEvent(t.images(), id, e, Kind.IMAGES, code, null);
  }

  /** A real 8x8 GIF, which no image route accepts. */
  private static byte[] gif() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      javax.imageio.ImageIO.write(
          new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_BYTE_GRAY),
          "gif",
          out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static ImageEvent.Builder rawImage(ImageEvent.Builder b, int w, int h, int c, int bytes) {
    return b.setEncoding(ImageEncoding.RAW_UINT8)
        .setWidth(w)
        .setHeight(h)
        .setChannels(c)
        .setData(ByteBuffer.allocate(bytes));
  }

  private static Event text(Inputs t, TextEvent base, String id, String text, ErrorCode code) {
    return invalidEvent(
        t.texts(),
        id,
        TextEvent.newBuilder(base).setId(id).setText(text).build(),
        Kind.TEXTS,
        code,
        null);
  }

  private static Event reading(
      Inputs t,
      SensorReading base,
      String sensor,
      String id,
      double value,
      Instant time,
      ErrorCode code) {
    SensorReading r =
        SensorReading.newBuilder(base)
            .setId(id)
            .setSensorId(sensor)
            .setValue(value)
            .setEventTime(time)
            .build();
    return new Event(
        new ProducerRecord<>(t.sensorReadings(), sensor, bytes(r)),
        Kind.SENSORS,
        id,
        null,
        0,
        code);
  }

  /** Single-object bytes with the schema fingerprint flipped. */
  private static byte[] fingerprint(byte[] avro) {
    byte[] b = avro.clone();
    for (int i = 2; i < 10; i++) {
      b[i] = (byte) ~b[i];
    }
    return b;
  }

  /** A PNG whose header claims {@code w} × {@code h} (CRC fixed), with the original small body. */
  private static byte[] pngClaiming(byte[] png, int w, int h) {
    return pngClaiming(png, w, h, png[24], png[25]);
  }

  /**
   * A PNG whose header claims {@code w} × {@code h} pixels of {@code bitDepth} bits in PNG colour
   * type {@code colourType} (6: RGBA), CRC fixed, with the original small body: only a decoder that
   * reads the whole body before its header's cost is refused would notice.
   */
  public static byte[] pngClaiming(byte[] png, int w, int h, int bitDepth, int colourType) {
    byte[] b = png.clone();
    ByteBuffer.wrap(b, 16, 10).putInt(w).putInt(h).put((byte) bitDepth).put((byte) colourType);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(b, 12, 17);
    ByteBuffer.wrap(b, 29, 4).putInt((int) crc.getValue());
    return b;
  }

  /**
   * Serialized text event whose text bytes (the marker XXXX) are replaced by bytes that are not
   * UTF-8.
   */
  private static byte[] invalidUtf8(byte[] avro) {
    byte[] b = avro.clone();
    for (int i = 0; i + 4 <= b.length; i++) {
      if (b[i] == 'X' && b[i + 1] == 'X' && b[i + 2] == 'X' && b[i + 3] == 'X') {
        b[i] = (byte) 0xFF;
        b[i + 1] = (byte) 0xFE;
        b[i + 2] = (byte) 0xC3;
        b[i + 3] = (byte) 0x28;
        return b;
      }
    }
    throw new IllegalStateException("marker not found");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static Event valid(
      String topic, String key, SpecificRecord value, Kind kind, String label, int predictions) {
    return valid(topic, key, value, kind, label, predictions, key);
  }

  private static Event valid(
      String topic,
      String key,
      SpecificRecord value,
      Kind kind,
      String label,
      int predictions,
      String id) {
    return new Event(
        new ProducerRecord<>(topic, key, bytes(value)), kind, id, label, predictions, null);
  }

  private static Event invalidEvent(
      String topic,
      String key,
      SpecificRecord value,
      Kind kind,
      ErrorCode code,
      String modelHeader) {
    ProducerRecord<String, byte[]> rec = new ProducerRecord<>(topic, key, bytes(value));
    if (modelHeader != null) {
      rec.headers().add(ModelRegistry.MODEL_HEADER, modelHeader.getBytes(StandardCharsets.UTF_8));
    }
    return new Event(rec, kind, key, null, 0, code);
  }

  private static Event raw(String topic, String key, byte[] value, Kind kind, ErrorCode code) {
    return new Event(new ProducerRecord<>(topic, key, value), kind, key, null, 0, code);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static byte[] bytes(SpecificRecord r) {
    return AvroSerdes.serde((Class) r.getClass()).serializer().serialize("", r);
  }

  private static byte[] toBytes(int[] px) {
    byte[] b = new byte[px.length];
    for (int i = 0; i < px.length; i++) {
      b[i] = (byte) px[i];
    }
    return b;
  }

  private static double std(double[] v) {
    double m = 0;
    for (double x : v) {
      m += x;
    }
    m /= v.length;
    double s = 0;
    for (double x : v) {
      s += (x - m) * (x - m);
    }
    return Math.sqrt(s / v.length);
  }

  private static List<Event> interleave(List<List<Event>> lanes) {
    List<Event> out = new ArrayList<>();
    Map<Integer, Integer> pos = new LinkedHashMap<>();
    boolean more = true;
    while (more) {
      more = false;
      for (int l = 0; l < lanes.size(); l++) {
        int p = pos.getOrDefault(l, 0);
        if (p < lanes.get(l).size()) {
          out.add(lanes.get(l).get(p));
          pos.put(l, p + 1);
          more = true;
        }
      }
    }
    return out;
  }
}
