package io.streaminfer.benchmarks;

import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.model.ControlChanges;
import io.streaminfer.pipeline.model.ControlClient;
import io.streaminfer.schemas.InferenceMetadata;
import io.streaminfer.schemas.ModelControl;
import io.streaminfer.schemas.ModelVersion;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * B7, models changed while serving, on the image route ({@code digits-cnn}, exactly_once_v2):
 *
 * <ul>
 *   <li>end-to-end p99 in the 10 s around a swap ({@code deploy --serve} of version 2, a retrained
 *       copy) against the steady state before it, under an open-loop load;
 *   <li>the time from the control record's append to the first prediction by the new version;
 *   <li>saturation throughput with a shadow version running against without one.
 * </ul>
 *
 * {@code SwapBench [rate events/s] [saturation events]}; prints one line per figure.
 */
public final class SwapBench {
  private static final AtomicInteger RUNS = new AtomicInteger();

  private SwapBench() {}

  /** The figures of one run. */
  record Figures(
      double steadyP99Ms,
      double swapP99Ms,
      double afterP99Ms,
      double firstPredictionMs,
      int outputs,
      int expected,
      double plainPerS,
      double shadowPerS) {
    Map<String, Object> asMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("steady_p99_ms", steadyP99Ms);
      m.put("swap_p99_ms", swapP99Ms);
      m.put("after_p99_ms", afterP99Ms);
      m.put("swap_over_steady_p99", swapP99Ms / steadyP99Ms);
      m.put("control_record_to_first_new_prediction_ms", firstPredictionMs);
      m.put("outputs", outputs);
      m.put("expected_outputs", expected);
      m.put("saturation_events_per_s", plainPerS);
      m.put("saturation_with_shadow_events_per_s", shadowPerS);
      m.put("shadow_over_plain", shadowPerS / plainPerS);
      return m;
    }
  }

  public static void main(String[] args) throws Exception {
    double rate = args.length > 0 ? Double.parseDouble(args[0]) : 2_000;
    int saturation = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      Figures f = run(kafka, rate, saturation);
      f.asMap().forEach((k, v) -> System.out.printf(Locale.ROOT, "%s %s%n", k, v));
    }
  }

  /** Runs all three figures on {@code kafka}. */
  static Figures run(EmbeddedKafkaCluster kafka, double rate, int saturationEvents)
      throws Exception {
    Path repo = Files.createTempDirectory("swap-bench-repository");
    copy(Path.of("models/repository"), repo);
    copy(repo.resolve("digits-cnn/1"), repo.resolve("digits-cnn/2"));
    Path card = repo.resolve("digits-cnn/2/model.json");
    Files.writeString(
        card, Files.readString(card).replaceFirst("\"version\": \"1\"", "\"version\": \"2\""));
    ModelVersion v1 = version(repo, "1");
    ModelVersion v2 = version(repo, "2");

    // 1, 2: the swap under load
    PipelineBench bench = bench(kafka, repo);
    StreamInferConfig c = bench.config(PipelineBench.newRun("swap"), 64, 5, true);
    String in = Workload.IMAGES.input(c);
    int seconds = 30;
    int n = (int) (rate * seconds);
    Map<String, long[]> sent = new ConcurrentHashMap<>(); // source -> {send ms}
    long[] swapAt = new long[1];
    List<double[]> rows = new ArrayList<>(); // {send ms, end-to-end ms, version, append ms}
    try (PipelineBench.Sink sink =
            new PipelineBench.Sink(kafka.bootstrapServers(), Workload.IMAGES.output(c));
        StreamInferApp app = StreamInferApp.start(c);
        KafkaProducer<String, byte[]> producer = bench.producer()) {
      sink.keep = true;
      app.awaitRunning(Duration.ofSeconds(60));
      sink.consumer.poll(Duration.ofMillis(500));
      Thread load =
          new Thread(
              () -> {
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) {
                  long wait = start + (long) (i * 1e9 / rate) - System.nanoTime();
                  if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                  }
                  ProducerRecord<String, byte[]> e = Workload.IMAGES.event(in, i);
                  long t0 = System.currentTimeMillis();
                  producer.send(
                      e,
                      (md, ex) -> {
                        if (ex == null) {
                          sent.put(
                              DeadLetters.source(md.topic(), md.partition(), md.offset()),
                              new long[] {t0});
                        }
                      });
                }
                producer.flush();
              },
              "swap-load");
      load.start();
      Thread.sleep(seconds * 1000L / 2);
      String control = c.getString(StreamInferConfig.TOPIC_MODEL_CONTROL);
      ModelControl next = ControlChanges.deploy(ControlChanges.configured("images", v1), v2, true);
      swapAt[0] = System.currentTimeMillis();
      ControlClient.write(c.clientProperties(), control, "images", next);
      int expected = Workload.IMAGES.expectedOutputs(n);
      sink.await(expected, Duration.ofSeconds(seconds + 120L));
      load.join();
      for (PipelineBench.Sink.Received r : sink.received) {
        long[] t = sent.get(r.source());
        InferenceMetadata md = Workload.IMAGES.metadata(r.value());
        if (t != null) {
          rows.add(
              new double[] {
                t[0], r.appendMs() - t[0], Double.parseDouble(md.getModelVersion()), r.appendMs()
              });
        }
      }
      double steady = p99(rows, swapAt[0] - 12_000, swapAt[0] - 2_000);
      double around = p99(rows, swapAt[0] - 5_000, swapAt[0] + 5_000);
      double after = p99(rows, swapAt[0] + 5_000, swapAt[0] + 12_000);
      double first =
          rows.stream().filter(r -> r[2] == 2).mapToDouble(r -> r[3]).min().orElse(Double.NaN)
              - swapAt[0];

      System.out.printf(
          Locale.ROOT,
          "swap: steady p99 %.1f ms, around the swap %.1f ms, after %.1f ms; first v2 prediction"
              + " %.0f ms after the record; %d of %d outputs%n",
          steady,
          around,
          after,
          first,
          sink.received.size(),
          expected);
      // 3: saturation without and with a shadow (each its own run and control topic)
      double plain = bench(kafka, repo).saturation(Workload.IMAGES, saturationEvents, 64, 5);
      PipelineBench shadowed = bench(kafka, repo);
      ModelControl withShadow = ControlChanges.shadow(ControlChanges.configured("images", v1), v2);
      kafka.createTopics(1, shadowed.controlTopic()); // before the run's instance creates it
      ControlClient.write(c.clientProperties(), shadowed.controlTopic(), "images", withShadow);
      double shadow = shadowed.saturation(Workload.IMAGES, saturationEvents, 64, 5);
      return new Figures(
          steady, around, after, first, sink.received.size(), expected, plain, shadow);
    }
  }

  private static PipelineBench bench(EmbeddedKafkaCluster kafka, Path repo) {
    String id = "swap-bench-" + RUNS.incrementAndGet();
    Map<String, Object> o = new HashMap<>();
    o.put(StreamInferConfig.MODELS_PIN, "digits-cnn:1");
    o.put(StreamInferConfig.TOPIC_MODEL_CONTROL, id + "-control");
    o.put(StreamInferConfig.TOPIC_MODEL_STATUS, id + "-status");
    o.put(StreamInferConfig.TOPIC_SHADOW_PREDICTIONS, id + "-shadow");
    return new PipelineBench(kafka, repo.toString(), "exactly_once_v2", o);
  }

  /** p99 of the end-to-end latencies of the inputs sent in [from, to). */
  private static double p99(List<double[]> rows, long from, long to) {
    double[] v =
        rows.stream().filter(r -> r[0] >= from && r[0] < to).mapToDouble(r -> r[1]).toArray();
    return v.length == 0 ? Double.NaN : Stats.quantile(v, 0.99);
  }

  private static ModelVersion version(Path repo, String v) {
    return ModelVersion.newBuilder()
        .setName("digits-cnn")
        .setVersion(v)
        .setSha256(ModelRepository.verify(repo.resolve("digits-cnn").resolve(v)).card().sha256())
        .build();
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path t = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(t);
        } else {
          Files.copy(f, t, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }
}
