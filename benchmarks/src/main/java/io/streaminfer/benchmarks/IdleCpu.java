package io.streaminfer.benchmarks;

import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.broker.EmbeddedKafkaCluster;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.topology.Topics;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * What an idle pipeline costs: the CPU its stream thread uses over 20 s with no input (after 10 s
 * of warm-up), with StreamInfer's default {@code poll.ms} (half the shortest batch delay), with
 * Kafka Streams' 100 ms and with 10 ms. See docs/operations.md, "Batching".
 *
 * <pre>java -cp pipeline/target/streaminfer.jar:benchmarks/target/classes io.streaminfer.benchmarks.IdleCpu</pre>
 */
public final class IdleCpu {
  private IdleCpu() {}

  public static void main(String[] a) throws Exception {
    var mx = ManagementFactory.getThreadMXBean();
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) { // state in temp dirs, as the suite's
      int run = 0;
      for (String poll : new String[] {null, "100", "10"}) {
        Map<String, Object> p = new HashMap<>();
        p.put(StreamInferConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        p.put(StreamInferConfig.APPLICATION_ID, "idle-" + (++run));
        p.put(StreamInferConfig.STATE_DIR, Files.createTempDirectory("idle").toString());
        p.put(StreamInferConfig.MODELS_REPOSITORY, "models/repository");
        p.put(StreamInferConfig.INFERENCE_DEVICE, "cpu");
        if (poll != null) {
          p.put("kafka.poll.ms", poll);
        }
        StreamInferConfig c = StreamInferConfig.of(p);
        if (run == 1) {
          kafka.createTopics(Topics.of(c).all().stream()
              .map(t -> new org.apache.kafka.clients.admin.NewTopic(t, 2, (short) 1)).toList());
        }
        try (StreamInferApp app = StreamInferApp.start(c)) {
          app.awaitRunning(Duration.ofSeconds(60));
          Thread.sleep(10_000);
          long before = streamCpu(mx, run);
          long t0 = System.nanoTime();
          Thread.sleep(20_000);
          long cpu = streamCpu(mx, run) - before;
          double seconds = (System.nanoTime() - t0) / 1e9;
          System.out.printf(java.util.Locale.ROOT, "idle, poll.ms=%s: stream thread %.1f ms CPU per s (%.2f %% of a core)%n",
              poll == null ? "default (" + c.streamsProperties().get("poll.ms") + ")" : poll, cpu / 1e6 / seconds,
              cpu / 1e7 / seconds);
        }
      }
    }
  }

  /** CPU nanoseconds of the stream threads of run {@code run} (not their producers' I/O threads). */
  static long streamCpu(java.lang.management.ThreadMXBean mx, int run) {
    long sum = 0;
    for (var t : mx.dumpAllThreads(false, false)) {
      String n = t.getThreadName();
      if (n.startsWith("idle-" + run + "-") && n.contains("StreamThread") && !n.contains("producer")) {
        sum += Math.max(0, mx.getThreadCpuTime(t.getThreadId()));
      }
    }
    return sum;
  }
}
