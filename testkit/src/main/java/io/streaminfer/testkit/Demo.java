package io.streaminfer.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.models.task.Forecaster;
import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.topology.TaskFamily;
import io.streaminfer.pipeline.topology.Topics;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.testkit.SampleEvents.Event;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The demo: an in-process Apache Kafka KRaft broker on 127.0.0.1, the topics, the pipeline with
 * every bundled model, and real held-out sample events of all four kinds (plus a catalogue of
 * invalid ones). Prints a live progress line, a per-kind summary, saves the generated images as PNG
 * files, and ends with one JSON line of the figures.
 */
public final class Demo {
  /** What to run. */
  public record Options(
      Path repository,
      Path outputDir,
      int images,
      int texts,
      int readingsPerSensor,
      int generations,
      String guarantee,
      Duration timeout) {}

  private Demo() {}

  /** Runs the demo; returns the JSON summary (also printed as the last line of {@code out}). */
  public static ObjectNode run(Options o, PrintStream out, PrintStream progress) throws Exception {
    long t0 = System.nanoTime();
    Path state = Files.createDirectories(o.outputDir()).resolve("state");
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      Map<String, Object> props = new HashMap<>();
      props.put(StreamInferConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      props.put(StreamInferConfig.APPLICATION_ID, "streaminfer-demo");
      props.put(StreamInferConfig.MODELS_REPOSITORY, o.repository().toString());
      props.put(StreamInferConfig.STATE_DIR, state.toString());
      props.put(StreamInferConfig.PROCESSING_GUARANTEE, o.guarantee());
      props.put(StreamInferConfig.INFERENCE_DEVICE, "auto");
      props.put("kafka.commit.interval.ms", "200");
      StreamInferConfig config = StreamInferConfig.of(props);
      kafka.createTopics(2, Topics.of(config).all().toArray(String[]::new));
      progress.println(
          "StreamInfer demo: broker "
              + kafka.bootstrapServers()
              + ", loading models from "
              + o.repository());
      try (StreamInferApp app = StreamInferApp.start(config);
          OutputCollector outputs =
              new OutputCollector(kafka.bootstrapServers(), config, Map.of())) {
        if (!app.awaitRunning(Duration.ofSeconds(60))) {
          throw new IllegalStateException("pipeline did not reach RUNNING: " + app.state());
        }
        Route sensors = config.route("sensors");
        Forecaster anomaly =
            app.models().task(sensors.limits().anomalyModel().orElseThrow(), Forecaster.class);
        SampleEvents.Stream stream =
            SampleEvents.build(
                SampleData.load(),
                SampleEvents.Inputs.of(config),
                o.images(),
                o.texts(),
                o.readingsPerSensor(),
                o.generations(),
                sensors.models().size(),
                anomaly.window(),
                true,
                42);
        int expectedPredictions = stream.events().stream().mapToInt(Event::predictions).sum();
        long expectedDead = stream.events().stream().filter(e -> e.expectedError() != null).count();
        publish(kafka.bootstrapServers(), stream);
        long deadline = System.nanoTime() + o.timeout().toNanos();
        while (System.nanoTime() < deadline
            && (outputs.predictions() < expectedPredictions
                || outputs.deadLetters().size() < expectedDead)) {
          outputs.poll(Duration.ofMillis(250));
          progress.printf(
              "\r  predictions %d/%d  dead letters %d/%d  (images %d, texts %d, forecasts %d, generated %d)   ",
              outputs.predictions(),
              expectedPredictions,
              outputs.deadLetters().size(),
              expectedDead,
              outputs.predictions("images"),
              outputs.predictions("texts"),
              outputs.predictions("sensors"),
              outputs.predictions("generation"));
        }
        outputs.poll(Duration.ofMillis(500)); // anything late, e.g. duplicates
        progress.println();
        ObjectNode summary =
            summarise(stream, outputs, config, app.models().provider().orElse("-"), o);
        summary.put("seconds", Math.round((System.nanoTime() - t0) / 1e7) / 100.0);
        summary.put("generated_png_dir", savePngs(outputs, o.outputDir()).toString());
        printTable(summary, out);
        out.println(new ObjectMapper().writeValueAsString(summary));
        return summary;
      }
    } finally {
      deleteTree(state);
    }
  }

  private static void publish(String bootstrap, SampleEvents.Stream stream) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      stream.events().forEach(e -> producer.send(e.record()));
      producer.flush();
    }
  }

  /**
   * The summary: per route (the demo runs the four default routes, named like the kinds of sample).
   */
  static ObjectNode summarise(
      SampleEvents.Stream stream,
      OutputCollector outputs,
      StreamInferConfig config,
      String provider,
      Options o) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode s = json.createObjectNode();
    s.put("demo", "streaminfer");
    s.put("broker", "embedded Apache Kafka KRaft (127.0.0.1)");
    s.put("processing_guarantee", o.guarantee());
    s.put("execution_provider", provider);
    ObjectNode kinds = s.putObject("kinds");
    for (Route route : config.routes()) {
      ObjectNode n = kinds.putObject(route.name());
      var events =
          stream.events().stream().filter(e -> e.record().topic().equals(route.input())).toList();
      n.put("events_in", events.size());
      n.put("valid_in", events.stream().filter(e -> e.expectedError() == null).count());
      n.put("predictions_expected", events.stream().mapToInt(Event::predictions).sum());
      n.put("predictions_out", outputs.predictions(route.name()));
      n.put("dead_letters", outputs.deadLettersOf(route.name()));
      n.put(
          "dead_letters_expected", events.stream().filter(e -> e.expectedError() != null).count());
      n.put("latency_p50_ms", outputs.latencyMs(route.name(), 0.50));
      n.put("latency_p99_ms", outputs.latencyMs(route.name(), 0.99));
      if (TaskFamily.of(route.task()).outputs().get(Route.OUTPUT) == Classification.class) {
        long labelled = 0;
        long right = 0;
        for (Event e : events) {
          Classification c = outputs.classifications(route.name()).get(e.id());
          if (e.label() != null && c != null) {
            labelled++;
            right += e.label().equals(c.getLabel()) ? 1 : 0;
          }
        }
        n.put("accuracy", labelled == 0 ? 0 : Math.round(10000.0 * right / labelled) / 10000.0);
      }
    }
    ObjectNode a = s.putObject("anomalies");
    a.put("injected", stream.injectedAnomalies().size());
    a.put("alerts", outputs.anomalies().size());
    a.put(
        "caught",
        outputs.anomalies().stream()
            .filter(x -> stream.injectedAnomalies().contains(x.getId()))
            .count());
    Map<String, Integer> codes = new TreeMap<>();
    outputs.deadLetters().forEach(d -> codes.merge(String.valueOf(d.code()), 1, Integer::sum));
    s.set("dead_letter_codes", json.valueToTree(codes));
    int in = stream.events().size();
    s.put("events_in", in);
    s.put("predictions_out", outputs.predictions());
    s.put("dead_letters_out", outputs.deadLetters().size());
    long validIn = stream.events().stream().filter(e -> e.expectedError() == null).count();
    long invalidIn = in - validIn;
    s.put(
        "accounted",
        outputs.predictions() == stream.events().stream().mapToInt(Event::predictions).sum()
            && outputs.deadLetters().size() == invalidIn);
    return s;
  }

  private static Path savePngs(OutputCollector outputs, Path dir) throws IOException {
    Path d = Files.createDirectories(dir.resolve("generated"));
    for (GeneratedImage g : outputs.generated()) {
      byte[] png = new byte[g.getPng().remaining()];
      g.getPng().duplicate().get(png);
      Files.write(
          d.resolve(g.getId() + "-" + g.getSampleIndex() + "-digit-" + g.getLabel() + ".png"), png);
    }
    return d.toAbsolutePath();
  }

  private static void printTable(ObjectNode s, PrintStream out) {
    out.println();
    out.printf(
        "%-11s %7s %12s %13s %9s %9s %9s%n",
        "kind", "in", "predictions", "dead letters", "p50 ms", "p99 ms", "accuracy");
    s.path("kinds")
        .fields()
        .forEachRemaining(
            e -> {
              var n = e.getValue();
              out.printf(
                  "%-11s %7d %5d/%-6d %6d/%-6d %9.0f %9.0f %9s%n",
                  e.getKey(),
                  n.path("events_in").asInt(),
                  n.path("predictions_out").asInt(),
                  n.path("predictions_expected").asInt(),
                  n.path("dead_letters").asInt(),
                  n.path("dead_letters_expected").asInt(),
                  n.path("latency_p50_ms").asDouble(),
                  n.path("latency_p99_ms").asDouble(),
                  n.has("accuracy") ? String.format("%.3f", n.path("accuracy").asDouble()) : "-");
            });
    var a = s.path("anomalies");
    out.printf(
        "anomalies: %d injected, %d caught, %d alerts in all%n",
        a.path("injected").asInt(), a.path("caught").asInt(), a.path("alerts").asInt());
    out.println("dead letters by code: " + s.path("dead_letter_codes"));
    out.println("generated images: " + s.path("generated_png_dir").asText());
  }

  private static void deleteTree(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temp directory
    }
  }
}
