package io.streaminfer.benchmarks;

import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * What an idle pipeline costs: the CPU its stream thread uses over 20 s with no input (after 10 s
 * of warm-up), with StreamInfer's default {@code poll.ms} (half the shortest batch delay), with
 * Kafka Streams' 100 ms and with 10 ms. See docs/operations.md, "Batching".
 *
 * <pre>
 * java -cp pipeline/target/streaminfer.jar:benchmarks/target/classes io.streaminfer.benchmarks.IdleCpu
 * </pre>
 */
public final class IdleCpu {
  private IdleCpu() {}

  public static void main(String[] a) throws Exception {
    Map<String, Object> defaults = StreamInferConfig.CONFIG.defaultValues();
    int batch = (Integer) defaults.get(StreamInferConfig.BATCH_MAX_SIZE);
    long delayMs = (Long) defaults.get(StreamInferConfig.BATCH_MAX_DELAY_MS);
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      for (Map<String, Object> poll :
          java.util.List.<Map<String, Object>>of(
              Map.of(), Map.of("kafka.poll.ms", "100"), Map.of("kafka.poll.ms", "10"))) {
        PipelineBench bench =
            new PipelineBench(
                kafka,
                "models/repository",
                defaults.get(StreamInferConfig.PROCESSING_GUARANTEE).toString(),
                poll);
        StreamInferConfig c = bench.config(PipelineBench.newRun("idle"), batch, delayMs);
        try (StreamInferApp app = StreamInferApp.start(c)) {
          app.awaitRunning(Duration.ofSeconds(60));
          Thread.sleep(10_000);
          ThreadCpu before = ThreadCpu.snapshot();
          long t0 = System.nanoTime();
          Thread.sleep(20_000);
          double cpu =
              ThreadCpu.seconds(before, "pipeline stream thread"); // only this run's threads live
          double seconds = (System.nanoTime() - t0) / 1e9;
          System.out.printf(
              Locale.ROOT,
              "idle, poll.ms=%s: stream thread %.1f ms CPU per s (%.2f %% of a core)%n",
              c.streamsProperties().get("poll.ms"),
              cpu * 1e3 / seconds,
              cpu * 100 / seconds);
        }
      }
    }
  }
}
