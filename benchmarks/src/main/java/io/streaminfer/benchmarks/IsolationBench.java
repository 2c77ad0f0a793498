package io.streaminfer.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.schemas.ImageEncoding;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.TextEvent;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.zip.DeflaterOutputStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * How one slow route affects another, with one Kafka Streams client for every route ({@code
 * isolation=shared}) and with one per route ({@code per-route}): texts at a steady 20/s for 10 s
 * alone, then again while a burst of 32 costly images hits the image route — 4096 × 4096 16-bit
 * RGBA PNGs of about 130 KB each, which the image route decodes in full before refusing them (~1 s
 * of CPU each). Reports the texts' latency (consumer receipt − the input's producer timestamp)
 * p50/p99/max per phase and mode, one JSON line each.
 *
 * <pre>
 * java -cp pipeline/target/streaminfer.jar:benchmarks/target/classes io.streaminfer.benchmarks.IsolationBench
 * </pre>
 */
public final class IsolationBench {
  private static final int TEXTS_PER_SECOND = 20;
  private static final int SECONDS = 10;
  private static final int BURST = 32;

  private IsolationBench() {}

  public static void main(String[] args) throws Exception {
    ObjectMapper json = new ObjectMapper();
    byte[] costly = costlyPng(4096, 4096);
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      for (String isolation :
          List.of(StreamInferConfig.ISOLATION_SHARED, StreamInferConfig.ISOLATION_PER_ROUTE)) {
        String run = "iso-" + isolation;
        Map<String, Object> p = new HashMap<>();
        p.put(StreamInferConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        p.put(StreamInferConfig.APPLICATION_ID, run);
        p.put(StreamInferConfig.STATE_DIR, Files.createTempDirectory("iso-state").toString());
        p.put(StreamInferConfig.INFERENCE_DEVICE, "cpu");
        p.put(StreamInferConfig.ISOLATION, isolation);
        p.put(StreamInferConfig.IMAGE_MAX_BYTES, 1 << 20);
        p.put(StreamInferConfig.ROUTES, "images,texts");
        p.put("routes.images.input", run + "-images");
        p.put("routes.images.output", run + "-image-predictions");
        p.put("routes.texts.input", run + "-texts");
        p.put("routes.texts.output", run + "-text-predictions");
        p.put(StreamInferConfig.TOPIC_DEAD_LETTERS, run + "-dead-letters");
        p.put("kafka.max.request.size", 2 << 20);
        StreamInferConfig c = StreamInferConfig.of(p);
        kafka.createTopics(
            1, io.streaminfer.pipeline.topology.Topics.of(c).all().toArray(String[]::new));
        try (StreamInferApp app = StreamInferApp.start(c);
            KafkaProducer<String, byte[]> producer = producer(kafka.bootstrapServers());
            KafkaConsumer<byte[], byte[]> out =
                consumer(kafka.bootstrapServers(), run + "-text-predictions")) {
          app.awaitRunning(Duration.ofSeconds(60));
          Map<String, List<Long>> latency = new HashMap<>();
          texts(producer, c.route("texts").input(), "warm", TEXTS_PER_SECOND, out, latency);
          texts(
              producer,
              c.route("texts").input(),
              "alone",
              TEXTS_PER_SECOND * SECONDS,
              out,
              latency);
          for (int i = 0; i < BURST; i++) {
            ImageEvent e =
                ImageEvent.newBuilder()
                    .setId("costly-" + i)
                    .setEventTime(Instant.now())
                    .setEncoding(ImageEncoding.PNG)
                    .setData(ByteBuffer.wrap(costly))
                    .build();
            producer.send(
                new ProducerRecord<>(
                    c.route("images").input(),
                    e.getId(),
                    AvroSerdes.serde(ImageEvent.class).serializer().serialize("", e)));
          }
          producer.flush();
          texts(
              producer,
              c.route("texts").input(),
              "burst",
              TEXTS_PER_SECOND * SECONDS,
              out,
              latency);
          drain(out, latency, "burst", TEXTS_PER_SECOND * SECONDS, Duration.ofSeconds(120));
          for (String phase : List.of("alone", "burst")) {
            List<Long> l = new ArrayList<>(latency.getOrDefault(phase, List.of()));
            l.sort(null);
            ObjectNode o =
                json.createObjectNode()
                    .put("bench", "isolation")
                    .put("isolation", isolation)
                    .put("phase", phase)
                    .put("texts", l.size())
                    .put("clients", app.clients().size())
                    .put("image_burst", phase.equals("burst") ? BURST : 0)
                    .put("image_png_bytes", costly.length)
                    .put("text_p50_ms", q(l, 0.50))
                    .put("text_p99_ms", q(l, 0.99))
                    .put("text_max_ms", l.isEmpty() ? -1 : l.get(l.size() - 1));
            System.out.println(json.writeValueAsString(o));
          }
        }
      }
    }
  }

  /** Sends {@code n} texts at 20/s, polling outputs between sends. */
  private static void texts(
      KafkaProducer<String, byte[]> producer,
      String topic,
      String phase,
      int n,
      KafkaConsumer<byte[], byte[]> out,
      Map<String, List<Long>> latency) {
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      long due = start + i * 1_000_000_000L / TEXTS_PER_SECOND;
      while (System.nanoTime() < due) {
        poll(out, latency, Duration.ofMillis(Math.max(1, (due - System.nanoTime()) / 1_000_000)));
      }
      TextEvent e =
          TextEvent.newBuilder()
              .setId(phase + "-" + i)
              .setEventTime(Instant.now())
              .setText("Der schnelle braune Fuchs springt über den faulen Hund " + i)
              .build();
      producer.send(
          new ProducerRecord<>(
              topic, e.getId(), AvroSerdes.serde(TextEvent.class).serializer().serialize("", e)));
    }
    producer.flush();
    if (phase.equals("warm") || phase.equals("alone")) {
      drain(out, latency, phase, n, Duration.ofSeconds(60));
    }
  }

  private static void drain(
      KafkaConsumer<byte[], byte[]> out,
      Map<String, List<Long>> latency,
      String phase,
      int n,
      Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    while (latency.getOrDefault(phase, List.of()).size() < n && System.nanoTime() < end) {
      poll(out, latency, Duration.ofMillis(50));
    }
  }

  private static void poll(
      KafkaConsumer<byte[], byte[]> out, Map<String, List<Long>> latency, Duration d) {
    long now = System.currentTimeMillis();
    for (ConsumerRecord<byte[], byte[]> r : out.poll(d)) {
      String id = new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
      latency
          .computeIfAbsent(id.substring(0, id.indexOf('-')), k -> new ArrayList<>())
          .add(now - r.timestamp());
    }
  }

  private static double q(List<Long> sorted, double q) {
    return sorted.isEmpty()
        ? -1
        : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
  }

  /** A {@code w} × {@code h} 16-bit RGBA PNG of zeros: small on the wire, costly to decode. */
  static byte[] costlyPng(int w, int h) throws Exception {
    return costlyPng(w, h, 16);
  }

  /** A {@code w} × {@code h} RGBA PNG of zeros at {@code bits} (8 or 16) per sample. */
  static byte[] costlyPng(int w, int h, int bits) throws Exception {
    ByteArrayOutputStream idat = new ByteArrayOutputStream();
    try (DeflaterOutputStream z = new DeflaterOutputStream(idat, new java.util.zip.Deflater(9))) {
      byte[] row = new byte[1 + w * 4 * bits / 8];
      for (int y = 0; y < h; y++) {
        z.write(row);
      }
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    ByteBuffer ihdr =
        ByteBuffer.allocate(13)
            .putInt(w)
            .putInt(h)
            .put((byte) bits)
            .put((byte) 6)
            .put((byte) 0)
            .put((byte) 0)
            .put((byte) 0);
    io.streaminfer.models.postprocess.PngEncoder.chunk(png, "IHDR", ihdr.array());
    io.streaminfer.models.postprocess.PngEncoder.chunk(png, "IDAT", idat.toByteArray());
    io.streaminfer.models.postprocess.PngEncoder.chunk(png, "IEND", new byte[0]);
    return png.toByteArray();
  }

  private static KafkaProducer<String, byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 << 20);
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "iso-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    c.subscribe(List.of(topic));
    return c;
  }
}
