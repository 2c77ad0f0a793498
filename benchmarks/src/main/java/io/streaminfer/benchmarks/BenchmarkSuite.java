package io.streaminfer.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * StreamInfer's benchmark suite: B0 bare ONNX Runtime, B1 pipeline saturation (batched and
 * unbatched) and latency with its stages (half load under both guarantees, quarter load under the
 * run's), B1' pass-through transport limit, B2 the Python loop a user would write, B3 soak — all in
 * one run on one in-process broker, so the ratios compare like with like. Writes
 * docs/benchmarks.json and the plots (benchmarks/python/plots.py).
 *
 * <p>{@code quick}: a few minutes, fewer events (default: the documented full run); {@code
 * --out=FILE}: where the JSON goes (default docs/benchmarks.json, plots beside it); {@code
 * --set=key=value}: a StreamInfer setting for every pipeline run (e.g. kafka.linger.ms=0); {@code
 * --guarantee=at_least_once|exactly_once_v2}: the processing guarantee of every Kafka Streams run,
 * pipeline and pass-through alike (default: the pipeline's default, exactly_once_v2); {@code
 * --only=PHOTOS,IMAGES}: only these workloads (B0 of their models, B1, B1' and their ratios; no
 * soak; warmed up for at least a minute, as long as the whole suite warms up), to measure one route
 * without the whole suite.
 *
 * <p>The broker, the pipeline and the load share one JVM, whose JIT compiler needs tens of seconds
 * of this load before the code is compiled (a cold first run reaches half the throughput of a warm
 * one on two cores). So before anything is measured every workload runs once, unmeasured; then
 * every B1/B1' point is measured {@code repeats} times (full: 3, quick: 1) and the median kept.
 */
public final class BenchmarkSuite {
  private static final int BATCH = 64;
  private static final long DELAY_MS = 5;

  private BenchmarkSuite() {}

  public static void main(String[] args) throws Exception {
    boolean quick = List.of(args).contains("--quick") || List.of(args).contains("quick");
    String repository = "models/repository";
    Path json =
        Path.of(
            List.of(args).stream()
                .filter(a -> a.startsWith("--out="))
                .map(a -> a.substring(6))
                .findFirst()
                .orElse("docs/benchmarks.json"));
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.set("machine", machine(mapper));
    root.put("quick", quick);
    root.put("started", Instant.now().toString());
    String guarantee =
        List.of(args).stream()
            .filter(a -> a.startsWith("--guarantee="))
            .map(a -> a.substring(12))
            .findFirst()
            .orElse(
                StreamInferConfig.CONFIG
                    .defaultValues()
                    .get(StreamInferConfig.PROCESSING_GUARANTEE)
                    .toString());
    root.put("processing_guarantee", guarantee);
    ArrayNode m = root.putArray("measurements");
    List<Workload> workloads =
        List.of(args).stream()
            .filter(a -> a.startsWith("--only="))
            .findFirst()
            .map(
                a ->
                    java.util.Arrays.stream(a.substring(7).split(","))
                        .map(Workload::valueOf)
                        .toList())
            .orElse(List.of(Workload.values()));
    root.put("workloads", workloads.toString());
    ModelRepository repo = ModelRepository.open(Path.of(repository));
    Map<String, Double> bare = new HashMap<>();

    // B0: bare ONNX Runtime
    long window = quick ? 250 : 1500;
    int repeats = quick ? 3 : 5;
    java.util.Set<String> models = new java.util.TreeSet<>();
    workloads.forEach(w -> models.addAll(w.models()));
    for (String model : models) {
      for (int threads : new int[] {1, 2}) {
        for (int batch : new int[] {1, 8, 32, 64}) {
          var r =
              BareOrtBench.run(
                  repo.select(model, java.util.Optional.empty()), batch, threads, window, repeats);
          ObjectNode o =
              m.addObject()
                  .put("bench", "B0")
                  .put("model", model)
                  .put("mode", "bare-ort")
                  .put("batch", batch)
                  .put("threads", threads)
                  .put("events_per_s", r.inferencesPerS())
                  .put("p50_us", r.p50Us())
                  .put("p99_us", r.p99Us());
          bare.put(model + "/" + batch + "/" + threads, r.inferencesPerS());
          System.err.println(o);
        }
      }
      var artifact = repo.select(model, java.util.Optional.empty());
      if ("hf-tokenizer".equals(artifact.card().preprocessing().path("type").asText())) {
        // the same sentences padded to the card's max_length, and in groups of similar length
        for (var padding : List.of(BareOrtBench.Padding.MAX_LENGTH, BareOrtBench.Padding.GROUPED)) {
          for (int batch : new int[] {8, 64}) {
            var r = BareOrtBench.runTexts(artifact, batch, 1, window, repeats, padding);
            ObjectNode o =
                m.addObject()
                    .put("bench", "B0")
                    .put("model", model)
                    .put(
                        "mode",
                        padding == BareOrtBench.Padding.GROUPED
                            ? "bare-ort-length-groups"
                            : "bare-ort-padded-to-max-length")
                    .put("batch", batch)
                    .put("threads", 1)
                    .put("events_per_s", r.inferencesPerS())
                    .put("p50_us", r.p50Us())
                    .put("p99_us", r.p99Us());
            if (padding == BareOrtBench.Padding.GROUPED) {
              bare.put(model + "/grouped/" + batch, r.inferencesPerS());
            }
            System.err.println(o);
          }
        }
      }
    }

    int n = quick ? 3000 : 20000;
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      Map<String, Object> overrides = new HashMap<>();
      for (String a : args) {
        if (a.startsWith("--set=")) { // e.g. --set=kafka.linger.ms=0, applied to every pipeline run
          String kv = a.substring(6);
          if (kv.startsWith(StreamInferConfig.PROCESSING_GUARANTEE + "=")) {
            throw new IllegalArgumentException(
                "use --guarantee=, not --set="
                    + kv
                    + ": the latency points run under both guarantees");
          }
          overrides.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
      }
      root.set("pipeline_overrides", mapper.valueToTree(overrides));
      PipelineBench bench = new PipelineBench(kafka, repository, guarantee, overrides);
      String otherGuarantee =
          guarantee.equals("at_least_once") ? "exactly_once_v2" : "at_least_once";
      PipelineBench otherBench = new PipelineBench(kafka, repository, otherGuarantee, overrides);
      // JIT warm-up of broker, Streams and pipeline code: every workload once, unmeasured; with
      // --only, again until the warm-up has lasted as long as the whole suite's (about a minute)
      int measured = quick ? 1 : 3;
      long warmUpStart = System.nanoTime();
      long warmUpMs = quick || workloads.size() == Workload.values().length ? 0 : 60_000;
      int passes = 0;
      do {
        bench.passthrough(n / 2);
        for (Workload w : workloads) {
          bench.saturation(w, events(w, n) / 2, BATCH, DELAY_MS);
          otherBench.saturation(
              w, events(w, n) / 4, BATCH, DELAY_MS); // its latency point's code paths
        }
        passes++;
      } while ((System.nanoTime() - warmUpStart) / 1_000_000 < warmUpMs);
      root.put(
          "warm_up",
          passes
              + " pass(es) of every workload (half the events), and a quarter under the other"
              + " guarantee, unmeasured");
      root.put("repeats", measured);
      // B1' transport limit
      double[] transportRuns = new double[measured];
      for (int i = 0; i < measured; i++) {
        transportRuns[i] = bench.passthrough(n);
      }
      double transport = Stats.quantile(transportRuns, 0.5);
      ObjectNode t =
          m.addObject()
              .put("bench", "B1'")
              .put("model", "digits-cnn")
              .put("mode", "passthrough")
              .put("events_per_s", transport);
      t.set("runs", mapper.valueToTree(transportRuns));
      System.err.println("B1' passthrough " + transport);
      ArrayNode ratios = root.putArray("ratios");
      for (Workload w : workloads) {
        int events = events(w, n);
        double[] unbatchedRuns = new double[measured];
        double[] batchedRuns = new double[measured];
        for (int i = 0; i < measured; i++) {
          unbatchedRuns[i] = bench.saturation(w, events, 1, 0);
          batchedRuns[i] = bench.saturation(w, events, BATCH, DELAY_MS);
        }
        double unbatched = Stats.quantile(unbatchedRuns, 0.5);
        double batched = Stats.quantile(batchedRuns, 0.5);
        m.addObject()
            .put("bench", "B1")
            .put("model", w.model)
            .put("mode", "pipeline-unbatched")
            .put("batch", 1)
            .put("threads", 1)
            .put("events", events)
            .put("events_per_s", unbatched)
            .set("runs", mapper.valueToTree(unbatchedRuns));
        m.addObject()
            .put("bench", "B1")
            .put("model", w.model)
            .put("mode", "pipeline-batched")
            .put("batch", BATCH)
            .put("threads", 1)
            .put("events", events)
            .put("events_per_s", batched)
            .set("runs", mapper.valueToTree(batchedRuns));
        System.err.printf("B1 %s unbatched %.0f/s batched %.0f/s%n", w, unbatched, batched);
        // latency: half load under both guarantees, a quarter load under the run's guarantee
        for (var point :
            List.of(Map.entry(bench, 0.5), Map.entry(otherBench, 0.5), Map.entry(bench, 0.25))) {
          ObjectNode l = latency(m, point.getKey(), w, batched * point.getValue(), quick ? 4 : 15);
          l.put("load_fraction", point.getValue());
        }
        // B2: the Python loop, same events, same batch size, same broker
        Double python = pythonLoop(bench, kafka, w, events, BATCH);
        if (python != null) {
          m.addObject()
              .put("bench", "B2")
              .put("model", w.model)
              .put("mode", "python-loop")
              .put("batch", BATCH)
              .put("threads", 1)
              .put("events_per_s", python);
        }
        // the compute limit of a branch: every model it runs, one after the other, on one thread
        double computeUsPerEvent = 0;
        for (String model : w.models()) {
          computeUsPerEvent += 1e6 / bare.getOrDefault(model + "/" + BATCH + "/1", Double.NaN);
        }
        double compute = 1e6 / computeUsPerEvent;
        ObjectNode r =
            ratios
                .addObject()
                .put("model", w.model)
                .put("batched_over_unbatched", batched / unbatched)
                .put("compute_limit_per_s", compute)
                .put("pipeline_over_bare_ort", batched / compute)
                .put("pipeline_over_transport", batched / transport)
                .put("overhead_us_per_event", 1e6 / batched - computeUsPerEvent);
        if (python != null) {
          r.put("java_over_python", batched / python);
        }
        if (bare.containsKey(w.model + "/grouped/" + BATCH)) { // texts: the same length groups
          double grouped = bare.get(w.model + "/grouped/" + BATCH);
          r.put("compute_limit_grouped_per_s", grouped)
              .put("pipeline_over_bare_ort_grouped", batched / grouped);
        }
        System.err.println(r);
      }
      // B3 soak on the image path
      if (workloads.contains(Workload.IMAGES)) {
        ObjectNode soak = Soak.run(kafka, bench, repository, quick ? 30_000 : 1_000_000, mapper);
        m.add(soak);
      }
    }
    root.put("finished", Instant.now().toString());
    Files.createDirectories(json.getParent());
    mapper.writeValue(json.toFile(), root);
    System.err.println("wrote " + json.toAbsolutePath());
    Process plots =
        new ProcessBuilder(
                "training/.venv/bin/python",
                "benchmarks/python/plots.py",
                "--input",
                json.toString(),
                "--out",
                json.getParent().toString())
            .inheritIO()
            .start();
    plots.waitFor();
  }

  /** Events per B1 point: the Transformer is compute-bound at ~500/s, so it gets a quarter. */
  private static int events(Workload w, int n) {
    return switch (w) {
      case SENSORS -> Math.max(n, 2000);
      case TEXTS, EMBEDDINGS -> n / 4;
      case PHOTOS -> n / 20; // mobilenet_v3_small: ~100/s on one thread
      default -> n;
    };
  }

  /**
   * B2 on the events of {@code w}, running every model the pipeline's branch runs; null if it
   * cannot run.
   */
  private static Double pythonLoop(
      PipelineBench bench, EmbeddedKafkaCluster kafka, Workload w, int events, int batch)
      throws Exception {
    String model = String.join(",", w.models());
    if (w == Workload.PHOTOS) {
      System.err.println("B2 skipped for PHOTOS: b2_loop.py has no torchvision preprocessing");
      return null;
    }
    if (w == Workload.MACRO) {
      System.err.println("B2 skipped for MACRO: b2_loop.py reads one value per reading");
      return null;
    }
    if (w == Workload.TEXTS || w == Workload.EMBEDDINGS) {
      System.err.println("B2 skipped for " + w + ": b2_loop.py has no Hugging Face tokenizer");
      return null;
    }
    Path python = Path.of("training/.venv/bin/python");
    if (!Files.isExecutable(python)) {
      System.err.println(
          "B2 skipped: " + python + " missing (bash scripts/test-all.sh creates it)");
      return null;
    }
    StreamInferConfig c = bench.preloaded(w, events);
    Process p =
        new ProcessBuilder(
                python.toString(),
                "benchmarks/python/b2_loop.py",
                "--bootstrap",
                kafka.bootstrapServers(),
                "--model",
                model,
                "--topic",
                w.input(c),
                "--output-topic",
                w.output(c),
                "--count",
                Integer.toString(events),
                "--batch",
                Integer.toString(batch),
                "--threads",
                "1")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String last = null;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        last = line;
      }
    }
    if (p.waitFor() != 0 || last == null) {
      System.err.println("B2 " + model + " failed (exit " + p.exitValue() + ")");
      return null;
    }
    return new ObjectMapper().readTree(last).path("events_per_s").asDouble();
  }

  /**
   * B1 latency of {@code w} at {@code rate} events/s, with its stages, as a new measurement in
   * {@code m}.
   */
  private static ObjectNode latency(
      ArrayNode m, PipelineBench bench, Workload w, double rate, int seconds) throws Exception {
    var lat = bench.latency(w, rate, seconds, BATCH, DELAY_MS);
    ObjectNode l =
        m.addObject()
            .put("bench", "B1-latency")
            .put("model", w.model)
            .put("mode", "pipeline-batched")
            .put("processing_guarantee", bench.guarantee())
            .put("rate_per_s", rate)
            .put("batch", BATCH)
            .put("delay_ms", DELAY_MS)
            .put("outputs", lat.get("end_to_end").length)
            .put("expected_outputs", lat.expected());
    percentiles(l.putObject("latency_ms"), lat.get("end_to_end"), 0.5, 0.95, 0.99);
    percentiles(l.putObject("visible_ms"), lat.get("visible"), 0.5, 0.95, 0.99);
    ObjectNode stages = l.putObject("stages_ms");
    for (String stage : PipelineBench.Latency.STAGES) {
      percentiles(stages.putObject(stage), lat.get(stage), 0.5, 0.99);
    }
    percentiles(l.putObject("batch_size"), lat.get("batch_size"), 0.5, 0.99);
    ArrayNode cdf = l.putArray("cdf");
    Stats.cdf(lat.get("end_to_end"), 100).forEach(p -> cdf.addArray().add(p[0]).add(p[1]));
    ArrayNode cdfVisible = l.putArray("cdf_visible");
    Stats.cdf(lat.get("visible"), 100).forEach(p -> cdfVisible.addArray().add(p[0]).add(p[1]));
    System.err.println(
        "B1 latency "
            + w
            + " "
            + bench.guarantee()
            + " "
            + Math.round(rate)
            + "/s: "
            + l.path("latency_ms")
            + " visible "
            + l.path("visible_ms")
            + " stages "
            + stages);
    return l;
  }

  /** Puts {@code pNN} for each quantile of {@code values} into {@code o}. */
  private static void percentiles(ObjectNode o, double[] values, double... quantiles) {
    for (double q : quantiles) {
      o.put("p" + Math.round(q * 100), Stats.quantile(values, q));
    }
  }

  private static ObjectNode machine(ObjectMapper mapper) throws Exception {
    ObjectNode o = mapper.createObjectNode();
    String cpu =
        Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
            .filter(l -> l.startsWith("model name"))
            .findFirst()
            .map(l -> l.substring(l.indexOf(':') + 1).trim())
            .orElse("unknown");
    o.put("cpu", cpu);
    o.put("cores", Runtime.getRuntime().availableProcessors());
    o.put(
        "memory_gb",
        Math.round(
            ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                    .getTotalMemorySize()
                / 1e9));
    o.put("java", System.getProperty("java.version"));
    o.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    return o;
  }
}
