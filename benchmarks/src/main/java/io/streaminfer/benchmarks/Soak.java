package io.streaminfer.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * B3: a long run through the image path with the pipeline in its own JVM ({@code java -jar
 * pipeline/target/streaminfer.jar run}); its heap (from its Prometheus endpoint) and its process
 * RSS (from /proc) are sampled every two seconds while the events flow.
 */
final class Soak {
  private Soak() {}

  static ObjectNode run(
      EmbeddedKafkaCluster kafka,
      PipelineBench bench,
      String repository,
      int events,
      ObjectMapper mapper)
      throws Exception {
    StreamInferConfig c = bench.config(PipelineBench.newRun("soak"), 64, 5, true);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "java",
                "-Xmx512m",
                "-jar",
                "pipeline/target/streaminfer.jar",
                "run",
                "-b",
                kafka.bootstrapServers()));
    for (var e :
        c.originals()
            .entrySet()) { // the run's settings and topics (not the bench's broker or repository)
      if (!e.getKey().equals(StreamInferConfig.BOOTSTRAP_SERVERS)
          && !e.getKey().equals(StreamInferConfig.MODELS_REPOSITORY)) {
        cmd.addAll(List.of("-s", e.getKey() + "=" + e.getValue()));
      }
    }
    cmd.addAll(
        List.of(
            "-s",
            StreamInferConfig.METRICS_PORT + "=" + port,
            "-s",
            StreamInferConfig.MODELS_REPOSITORY + "=" + repository));
    Process pipeline =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(Path.of("benchmarks", "target", "soak-pipeline.log").toFile())
            .start();
    String in = Workload.IMAGES.input(c);
    ObjectNode o =
        mapper
            .createObjectNode()
            .put("bench", "B3")
            .put("model", "digits-cnn")
            .put("mode", "soak")
            .put("events", events)
            .put("batch", 64);
    ArrayNode samples = o.putArray("samples");
    try (PipelineBench.Sink sink =
            new PipelineBench.Sink(kafka.bootstrapServers(), Workload.IMAGES.output(c));
        KafkaProducer<String, byte[]> producer = bench.producer()) {
      Thread load =
          new Thread(
              () -> {
                for (int i = 0; i < events; i++) {
                  producer.send(Workload.IMAGES.event(in, i));
                }
                producer.flush();
              },
              "soak-producer");
      load.start();
      long start = System.nanoTime();
      long nextSample = start;
      while (sink.count < events && System.nanoTime() - start < Duration.ofMinutes(30).toNanos()) {
        sink.await(Math.min(events, sink.count + 5000), Duration.ofMillis(200));
        if (System.nanoTime() >= nextSample) {
          nextSample += 2_000_000_000L;
          samples
              .addObject()
              .put("t_s", (System.nanoTime() - start) / 1e9)
              .put("predicted", sink.count)
              .put("heap_mb", heapMb(port))
              .put("rss_mb", rssMb(pipeline.pid()));
        }
      }
      load.join();
      o.put("predicted", sink.count)
          .put("seconds", (System.nanoTime() - start) / 1e9)
          .put("events_per_s", sink.eventsPerSecond(events));
    } finally {
      pipeline.destroy();
      pipeline.waitFor();
    }
    // flatness: RSS growth between the end of warm-up (first quarter) and the end
    int k = samples.size();
    if (k >= 4) {
      double warm = samples.get(k / 4).path("rss_mb").asDouble();
      double end = samples.get(k - 1).path("rss_mb").asDouble();
      o.put("rss_growth_after_warmup_mb", end - warm);
    }
    return o;
  }

  private static double rssMb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (Exception e) {
      // process gone
    }
    return Double.NaN;
  }

  private static double heapMb(int port) {
    try {
      String text =
          new String(
              URI.create("http://127.0.0.1:" + port + "/metrics")
                  .toURL()
                  .openStream()
                  .readAllBytes(),
              StandardCharsets.UTF_8);
      double bytes = 0;
      for (String line : text.split("\n")) {
        if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
          bytes += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return bytes / (1024 * 1024);
    } catch (Exception e) {
      return Double.NaN;
    }
  }
}
