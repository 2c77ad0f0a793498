package io.streaminfer.pipeline.app;

import io.streaminfer.models.postprocess.PngEncoder;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.pipeline.topology.Topics;
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
 * few as raw pixels), sentences, sensor readings with injected anomalies, generation requests — plus
 * a catalogue of invalid events, each with what the pipeline must make of it. The demo, the {@code
 * produce} command and the integration tests publish the same streams.
 */
public final class SampleEvents {
  /** Readings from this many standard deviations off the series are injected as anomalies. */
  public static final double ANOMALY_SIGMAS = 12.0;

  /** Kind of input, as the summaries group them. */
  public enum Kind {
    IMAGES, TEXTS, SENSORS, GENERATION
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
  public record Event(ProducerRecord<String, byte[]> record, Kind kind, String id, String label,
      int predictions, ErrorCode expectedError) {}

  /** The stream, with the ids of injected anomalies. */
  public record Stream(List<Event> events, Set<String> injectedAnomalies) {
    /** Events of one kind. */
    public List<Event> of(Kind kind) {
      return events.stream().filter(e -> e.kind() == kind).toList();
    }
  }

  private SampleEvents() {}

  /**
   * Builds a stream: {@code images} digits, {@code texts} sentences, every sensor's held-out tail
   * ({@code readingsPerSensor} readings at most, 2 anomalies each), {@code generations} requests;
   * plus the invalid catalogue when {@code invalid} is set. Valid events are interleaved by kind.
   */
  public static Stream build(SampleData data, Topics topics, int images, int texts, int readingsPerSensor,
      int generations, int sensorModels, int sensorWindow, boolean invalid, long seed) {
    Random rnd = new Random(seed);
    Instant base = Instant.parse("2026-01-01T00:00:00Z");
    List<List<Event>> lanes = new ArrayList<>();
    List<Event> img = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      SampleData.Digit d = data.digits().get(i % data.digits().size());
      boolean raw = i % 10 == 9;
      byte[] payload = raw ? toBytes(d.pixels()) : PngEncoder.png(d.pixels(), d.width(), d.height());
      ImageEvent e = ImageEvent.newBuilder().setId("img-" + i).setEventTime(base.plusMillis(i))
          .setEncoding(raw ? ImageEncoding.RAW_UINT8 : ImageEncoding.PNG).setData(ByteBuffer.wrap(payload))
          .setWidth(raw ? d.width() : null).setHeight(raw ? d.height() : null).setChannels(raw ? 1 : null)
          .setLabel(d.label()).build();
      img.add(valid(topics.images(), e.getId(), e, Kind.IMAGES, d.label(), 1));
    }
    lanes.add(img);
    List<Event> txt = new ArrayList<>();
    for (int i = 0; i < texts; i++) {
      SampleData.Sentence s = data.texts().get((i * 7919) % data.texts().size());
      TextEvent e = TextEvent.newBuilder().setId("txt-" + i).setEventTime(base.plusMillis(i))
          .setText(s.text()).setLabel(s.label()).build();
      txt.add(valid(topics.texts(), e.getId(), e, Kind.TEXTS, s.label(), 1));
    }
    lanes.add(txt);
    Set<String> injected = new HashSet<>();
    for (SampleData.Series s : data.sensors()) {
      List<Event> lane = new ArrayList<>();
      int start = 0;
      int n = Math.min(s.readings().length, readingsPerSensor);
      double std = std(s.readings());
      Set<Integer> spikes = Set.of(n * 2 / 3, n - 3);
      for (int i = start; i < n; i++) {
        double v = s.readings()[i];
        String id = s.sensorId() + "-" + i;
        if (i >= sensorWindow + 1 && spikes.contains(i)) {
          v += ANOMALY_SIGMAS * std * (rnd.nextBoolean() ? 1 : -1);
          injected.add(id);
        }
        SensorReading r = SensorReading.newBuilder().setId(id).setSensorId(s.sensorId())
            .setEventTime(base.plusSeconds(i)).setValue(v).build();
        lane.add(valid(topics.sensorReadings(), s.sensorId(), r, Kind.SENSORS, null,
            i + 1 >= sensorWindow ? sensorModels : 0, id));
      }
      lanes.add(lane);
    }
    List<Event> gen = new ArrayList<>();
    for (int i = 0; i < generations; i++) {
      int samples = 1 + i % 4;
      GenerationRequest g = GenerationRequest.newBuilder().setId("gen-" + i).setEventTime(base.plusMillis(i))
          .setLabel(Integer.toString(i % 10)).setSamples(samples).setSeed(1000L + i).build();
      gen.add(valid(topics.generationRequests(), g.getId(), g, Kind.GENERATION, g.getLabel(), samples));
    }
    lanes.add(gen);
    List<Event> out = interleave(lanes);
    if (invalid) {
      List<Event> bad = invalid(topics, base);
      for (int i = 0; i < bad.size(); i++) {
        out.add(Math.min(out.size(), (int) ((long) (i + 1) * out.size() / (bad.size() + 1))), bad.get(i));
      }
    }
    return new Stream(List.copyOf(out), Set.copyOf(injected));
  }

  /** One malformed event per kind of failure the pipeline types, across all four input topics. */
  public static List<Event> invalid(Topics t, Instant base) {
    List<Event> out = new ArrayList<>();
    byte[] png = PngEncoder.png(new int[64], 8, 8);
    ImageEvent goodImage = ImageEvent.newBuilder().setId("bad-img").setEventTime(base)
        .setEncoding(ImageEncoding.PNG).setData(ByteBuffer.wrap(png)).build();
    byte[] goodImageBytes = bytes(goodImage);
    out.add(raw(t.images(), "bad-random", "not avro at all".getBytes(StandardCharsets.UTF_8), Kind.IMAGES, ErrorCode.AVRO_BAD_MAGIC));
    out.add(raw(t.images(), "bad-truncated", java.util.Arrays.copyOf(goodImageBytes, goodImageBytes.length - 20), Kind.IMAGES, ErrorCode.AVRO_TRUNCATED_BODY));
    out.add(raw(t.images(), "bad-wrong-type", bytes(TextEvent.newBuilder().setId("x").setEventTime(base).setText("hello").build()), Kind.IMAGES, ErrorCode.AVRO_WRONG_TYPE));
    out.add(invalidEvent(t.images(), "bad-corrupt-png", ImageEvent.newBuilder(goodImage).setId("bad-corrupt-png")
        .setData(ByteBuffer.wrap(java.util.Arrays.copyOf(png, png.length / 2))).build(), Kind.IMAGES, ErrorCode.IMAGE_UNDECODABLE, null));
    out.add(invalidEvent(t.images(), "bad-raw-size", ImageEvent.newBuilder(goodImage).setId("bad-raw-size")
        .setEncoding(ImageEncoding.RAW_UINT8).setWidth(8).setHeight(8).setChannels(1)
        .setData(ByteBuffer.wrap(new byte[60])).build(), Kind.IMAGES, ErrorCode.IMAGE_UNDECODABLE, null));
    out.add(invalidEvent(t.images(), "bad-model-header", ImageEvent.newBuilder(goodImage).setId("bad-model-header").build(),
        Kind.IMAGES, ErrorCode.UNKNOWN_MODEL, "digits-cnn:99"));
    out.add(invalidEvent(t.images(), "bad-model-task", ImageEvent.newBuilder(goodImage).setId("bad-model-task").build(),
        Kind.IMAGES, ErrorCode.WRONG_TASK_MODEL, "langid-transformer"));
    out.add(invalidEvent(t.texts(), "bad-blank", TextEvent.newBuilder().setId("bad-blank").setEventTime(base)
        .setText(" \t\n ").build(), Kind.TEXTS, ErrorCode.TEXT_EMPTY, null));
    out.add(raw(t.texts(), "bad-text-bytes", new byte[] {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 42, 42}, Kind.TEXTS, ErrorCode.AVRO_UNKNOWN_FINGERPRINT));
    SensorReading r = SensorReading.newBuilder().setId("bad-nan").setSensorId("bad-sensor").setEventTime(base).setValue(Double.NaN).build();
    out.add(invalidEvent(t.sensorReadings(), "bad-sensor", r, Kind.SENSORS, ErrorCode.READING_NOT_FINITE, null));
    out.add(new Event(new ProducerRecord<>(t.sensorReadings(), null, bytes(SensorReading.newBuilder(r).setId("bad-nokey").setValue(1.0).build())),
        Kind.SENSORS, "bad-nokey", null, 0, ErrorCode.MISSING_KEY));
    GenerationRequest g = GenerationRequest.newBuilder().setId("bad-class").setEventTime(base).setLabel("x").setSamples(1).setSeed(1).build();
    out.add(invalidEvent(t.generationRequests(), "bad-class", g, Kind.GENERATION, ErrorCode.UNKNOWN_CLASS, null));
    out.add(invalidEvent(t.generationRequests(), "bad-samples", GenerationRequest.newBuilder(g).setId("bad-samples").setLabel("3").setSamples(0).build(),
        Kind.GENERATION, ErrorCode.SAMPLE_COUNT, null));
    return out;
  }

  private static Event valid(String topic, String key, SpecificRecord value, Kind kind, String label, int predictions) {
    return valid(topic, key, value, kind, label, predictions, key);
  }

  private static Event valid(String topic, String key, SpecificRecord value, Kind kind, String label, int predictions, String id) {
    return new Event(new ProducerRecord<>(topic, key, bytes(value)), kind, id, label, predictions, null);
  }

  private static Event invalidEvent(String topic, String key, SpecificRecord value, Kind kind, ErrorCode code, String modelHeader) {
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
