package io.streaminfer.benchmarks;

import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.RouteKeys;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.topology.Topics;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.InferenceMetadata;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/** B1 (saturation, latency), B1' (pass-through) on one in-process broker; fresh topics per run. */
final class PipelineBench {
  private static final AtomicInteger RUNS = new AtomicInteger();
  private final EmbeddedKafkaCluster kafka;
  private final String repository;
  private final String guarantee;
  private final long quickTimeoutMinutes = 5;

  private final Map<String, Object> overrides;

  PipelineBench(
      EmbeddedKafkaCluster kafka,
      String repository,
      String guarantee,
      Map<String, Object> overrides) {
    this.kafka = kafka;
    this.repository = repository;
    this.guarantee = guarantee;
    this.overrides = overrides;
  }

  /** The model-control topic of this bench's runs. */
  String controlTopic() {
    Object t = overrides.get(StreamInferConfig.TOPIC_MODEL_CONTROL);
    return t != null
        ? t.toString()
        : StreamInferConfig.of(Map.of()).getString(StreamInferConfig.TOPIC_MODEL_CONTROL);
  }

  /** The processing guarantee of this bench's Kafka Streams runs. */
  String guarantee() {
    return guarantee;
  }

  /** A run's configuration: its own topics, application id and state directory. */
  StreamInferConfig config(String run, int batch, long delayMs) throws Exception {
    return config(run, batch, delayMs, false);
  }

  /**
   * A run's configuration; with {@code appendTime} its topics stamp records with the broker's
   * append time, so a saturation run's span is measured where the outputs are written, not where
   * they become visible (under exactly_once_v2 a whole commit's outputs become visible at once),
   * and a latency run's stages are timed by the broker's appends of input and output.
   */
  StreamInferConfig config(String run, int batch, long delayMs, boolean appendTime)
      throws Exception {
    Map<String, Object> p = new HashMap<>();
    p.put(StreamInferConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    p.put(StreamInferConfig.APPLICATION_ID, run);
    p.put(StreamInferConfig.STATE_DIR, Files.createTempDirectory("bench-state").toString());
    p.put(StreamInferConfig.MODELS_REPOSITORY, repository);
    p.put(StreamInferConfig.INFERENCE_DEVICE, "cpu");
    p.put(StreamInferConfig.PROCESSING_GUARANTEE, guarantee);
    p.put(StreamInferConfig.BATCH_MAX_SIZE, batch);
    p.put(StreamInferConfig.BATCH_MAX_DELAY_MS, delayMs);
    p.putAll(overrides);
    for (Route r :
        StreamInferConfig.of(Map.of()).routes()) { // the default routes, on this run's own topics
      p.put(RouteKeys.key(r.name(), RouteKeys.INPUT), run + "-" + r.input());
      r.outputs().forEach((role, topic) -> p.put(RouteKeys.key(r.name(), role), run + "-" + topic));
    }
    // the users' CNN and the text embedding on routes of their own, after the default four
    List<String> routes =
        new java.util.ArrayList<>(
            StreamInferConfig.of(Map.of()).routes().stream().map(Route::name).toList());
    for (var declared : new java.util.TreeMap<>(Workload.DECLARED_ROUTES).entrySet()) {
      routes.add(declared.getKey().route);
      declared
          .getValue()
          .forEach(
              (k, v) ->
                  p.put(
                      RouteKeys.key(declared.getKey().route, k),
                      java.util.Set.of("input", "output", "anomalies").contains(k)
                          ? run + "-" + v
                          : v));
    }
    p.put(StreamInferConfig.ROUTES, String.join(",", routes));
    p.put(StreamInferConfig.TOPIC_DEAD_LETTERS, run + "-dead-letters");
    StreamInferConfig c = StreamInferConfig.of(p);
    Map<String, String> topicConfig =
        appendTime ? Map.of("message.timestamp.type", "LogAppendTime") : Map.of();
    kafka.createTopics(
        Topics.of(c).all().stream()
            .map(
                t ->
                    new org.apache.kafka.clients.admin.NewTopic(t, 2, (short) 1)
                        .configs(topicConfig))
            .toList());
    return c;
  }

  static String newRun(String what) {
    return "b" + RUNS.incrementAndGet() + "-" + what;
  }

  /** Publishes {@code n} events of {@code w} to {@code topic} and waits for the acks. */
  void preload(Workload w, String topic, int n) {
    try (KafkaProducer<String, byte[]> p = producer()) {
      for (int i = 0; i < n; i++) {
        p.send(w.event(topic, i));
      }
      p.flush();
    }
  }

  KafkaProducer<String, byte[]> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.ACKS_CONFIG, "1");
    p.put(
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
        false); // a load generator; one run saw a stuck idempotent retry
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1); // retries keep per-sensor order
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  /**
   * Reads a run's outputs: their count, the span of their timestamps and (latency runs) each
   * output.
   */
  static final class Sink implements AutoCloseable {
    final KafkaConsumer<byte[], byte[]> consumer;
    int count;
    long minTs = Long.MAX_VALUE;
    long maxTs = Long.MIN_VALUE;

    /** Every output as received, when {@link #keep} is set (latency runs). */
    final List<Received> received = new ArrayList<>();

    boolean keep;

    /**
     * One output: append time, receipt time, the input it came from ({@link DeadLetters#source}),
     * its value.
     */
    record Received(long appendMs, long receiptMs, String source, byte[] value) {}

    Sink(String bootstrap, String topic) {
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-sink-" + UUID.randomUUID());
      p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      consumer.subscribe(List.of(topic));
    }

    /** Polls until {@code expected} records arrived or the timeout passed. */
    boolean await(int expected, Duration timeout) {
      long end = System.nanoTime() + timeout.toNanos();
      while (count < expected && System.nanoTime() < end) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
          count++;
          minTs = Math.min(minTs, r.timestamp());
          maxTs = Math.max(maxTs, r.timestamp());
          if (keep) {
            received.add(
                new Received(
                    r.timestamp(),
                    System.currentTimeMillis(),
                    DeadLetters.source(r.headers()),
                    r.value()));
          }
        }
      }
      return count >= expected;
    }

    /**
     * Input events per second between the first and the last output, by the outputs' timestamps
     * (the broker's append times on saturation topics).
     */
    double eventsPerSecond(int events) {
      double s = (maxTs - minTs) / 1e3;
      return s <= 0 ? Double.NaN : events * ((double) (count - 1) / count) / s;
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  /** B1: events/s of the pipeline over {@code n} preloaded events of {@code w}. */
  double saturation(Workload w, int n, int batch, long delayMs) throws Exception {
    StreamInferConfig c =
        config(newRun(w.name().toLowerCase() + "-" + batch), batch, delayMs, true);
    String in = w.input(c);
    String out = w.output(c);
    preload(w, in, n);
    ThreadCpu cpu = ThreadCpu.snapshot();
    boolean breakdown = Boolean.getBoolean("streaminfer.bench.cpu");
    try (Sink sink = new Sink(kafka.bootstrapServers(), out);
        StreamInferApp app = StreamInferApp.start(c)) {
      sink.keep = breakdown;
      if (!sink.await(w.expectedOutputs(n), Duration.ofMinutes(quickTimeoutMinutes))) {
        throw new IllegalStateException(
            w + ": only " + sink.count + " of " + w.expectedOutputs(n) + " outputs");
      }
      if (breakdown) {
        System.out.print(w + " batch " + batch + ": " + ThreadCpu.since(cpu));
        // each output carries its batch's ONNX Runtime time: the run's share per event
        double ortMicros = 0;
        for (Sink.Received r : sink.received) {
          InferenceMetadata md = w.metadata(r.value());
          ortMicros += (double) md.getInferenceMicros() / md.getBatchSize();
        }
        System.out.printf(
            "  ONNX Runtime in the pipeline: %.0f us per event of %.0f us wall per event%n",
            ortMicros / sink.received.size(), 1e6 / sink.eventsPerSecond(n));
      }
      return sink.eventsPerSecond(n);
    }
  }

  /**
   * Where each output's latency went, in ms, from five instants: the load producer's send (t0), the
   * input's append by the broker (t1), the prediction built by the pipeline (t2 = t1 + the output's
   * {@code metadata.queue_micros}), the output's append by the broker (t3) and its receipt by a
   * read_committed consumer (t4). The input and output topics stamp records with the broker's
   * append time, so t1 and t3 are the broker's clock (the same host's clock here). Series, in
   * {@link #SERIES} order:
   *
   * <ul>
   *   <li>{@code end_to_end} t3 − t0: producer timestamp → output append (the target's definition);
   *   <li>{@code visible} t4 − t0: what a read_committed consumer sees (under exactly_once_v2
   *       outputs become visible when their transaction commits);
   *   <li>{@code input} t1 − t0: the load producer's linger and the input's append;
   *   <li>{@code pipeline} t2 − t1: fetch, batch wait, pre-processing, inference, post-processing;
   *   <li>{@code output} t3 − t2: the pipeline's producer (linger.ms, the send) and the append;
   *   <li>{@code visibility} t4 − t3: the commit (exactly_once_v2) and the consumer's fetch;
   *   <li>{@code batch_size}: the size of the batch each output's input ran in.
   * </ul>
   *
   * @param series name → one value per output
   * @param expected outputs the load should have produced
   */
  record Latency(Map<String, double[]> series, int expected) {
    /** The four stages that add up to {@code visible}. */
    static final List<String> STAGES = List.of("input", "pipeline", "output", "visibility");

    static final List<String> SERIES =
        List.of(
            "end_to_end",
            "visible",
            STAGES.get(0),
            STAGES.get(1),
            STAGES.get(2),
            STAGES.get(3),
            "batch_size");

    double[] get(String name) {
      return series.get(name);
    }
  }

  /** B1 latency: an open-loop producer at {@code rate} events/s for {@code seconds}. */
  Latency latency(Workload w, double rate, int seconds, int batch, long delayMs) throws Exception {
    StreamInferConfig c = config(newRun(w.name().toLowerCase() + "-latency"), batch, delayMs, true);
    String in = w.input(c);
    int n = (int) (rate * seconds);
    Map<String, long[]> sent = new ConcurrentHashMap<>(); // input source -> {t0, t1}
    try (Sink sink = new Sink(kafka.bootstrapServers(), w.output(c));
        StreamInferApp app = StreamInferApp.start(c);
        KafkaProducer<String, byte[]> producer = producer()) {
      sink.keep = true;
      app.awaitRunning(Duration.ofSeconds(60));
      sink.consumer.poll(Duration.ofMillis(500)); // join the group before the load starts
      Thread load =
          new Thread(
              () -> {
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) {
                  long due = start + (long) (i * 1e9 / rate);
                  long wait = due - System.nanoTime();
                  if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(
                        wait); // no spinning: 2 cores are shared
                  }
                  ProducerRecord<String, byte[]> event = w.event(in, i);
                  long t0 = System.currentTimeMillis(); // latency starts here, at the send (not the
                  // schedule)
                  producer.send(
                      event,
                      (md, e) -> {
                        if (e == null) {
                          sent.put(
                              DeadLetters.source(md.topic(), md.partition(), md.offset()),
                              new long[] {t0, md.timestamp()});
                        }
                      });
                }
                producer.flush(); // every callback has run when this returns
              },
              "open-loop-producer");
      load.start();
      int expected = w.expectedOutputs(n);
      if (!sink.await(expected, Duration.ofSeconds(seconds + 120L))) {
        System.err.println(
            "B1 latency " + w + ": only " + sink.count + " of " + expected + " outputs in time");
      }
      load.join();
      Map<String, double[]> series = new LinkedHashMap<>();
      Latency.SERIES.forEach(name -> series.put(name, new double[sink.received.size()]));
      int k = 0;
      for (Sink.Received r : sink.received) {
        long[] t = sent.get(r.source());
        if (t == null) {
          throw new IllegalStateException(
              w + ": output of input " + r.source() + " that the load producer did not send");
        }
        InferenceMetadata md = w.metadata(r.value());
        double t2 = t[1] + md.getQueueMicros() / 1e3;
        series.get("end_to_end")[k] = r.appendMs() - t[0];
        series.get("visible")[k] = r.receiptMs() - t[0];
        series.get("input")[k] = t[1] - t[0];
        series.get("pipeline")[k] = t2 - t[1];
        series.get("output")[k] = r.appendMs() - t2;
        series.get("visibility")[k] = r.receiptMs() - r.appendMs();
        series.get("batch_size")[k] = md.getBatchSize();
        k++;
      }
      return new Latency(series, expected);
    }
  }

  /** B1': a Kafka Streams app that deserialises and re-serialises image events, nothing else. */
  double passthrough(int n) throws Exception {
    String run = newRun("passthrough");
    StreamInferConfig c = config(run, 1, 0, true);
    String in = Workload.IMAGES.input(c);
    String out = Workload.IMAGES.output(c);
    preload(Workload.IMAGES, in, n);
    var serde = AvroSerdes.serde(ImageEvent.class);
    StreamsBuilder b = new StreamsBuilder();
    b.stream(in, Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .mapValues(v -> serde.serializer().serialize(out, serde.deserializer().deserialize(in, v)))
        .to(out, Produced.with(Serdes.String(), Serdes.ByteArray()));
    Properties p = c.streamsProperties();
    try (Sink sink = new Sink(kafka.bootstrapServers(), out);
        KafkaStreams streams = new KafkaStreams(b.build(), p)) {
      streams.start();
      if (!sink.await(n, Duration.ofMinutes(10))) {
        throw new IllegalStateException("pass-through: only " + sink.count + " of " + n);
      }
      return sink.eventsPerSecond(n);
    }
  }

  /** A fresh run's configuration (for the Python loop, which reads the same kind of topics). */
  StreamInferConfig preloaded(Workload w, int n) throws Exception {
    StreamInferConfig c = config(newRun(w.name().toLowerCase() + "-python"), 1, 0);
    preload(w, w.input(c), n);
    return c;
  }

  static Path tmp() {
    return Path.of(System.getProperty("java.io.tmpdir"));
  }
}
