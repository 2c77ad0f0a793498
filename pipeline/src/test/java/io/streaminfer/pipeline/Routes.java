package io.streaminfer.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.pipeline.config.StreamInferConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The routes of the multi-route tests, declared by configuration alone: the four default routes; a
 * second image classifier on its own topic with digits-cnn pinned to version 1 (the repository copy
 * also holds a version 2, which the default images route serves as the newest); and the
 * sensor-readings topic fanned out to a second forecast route that runs only sensor-gru, with its
 * own outputs.
 */
public final class Routes {
  /** The second image route and its topics. */
  public static final String SCANS = "scans";

  public static final String SCANS_IN = "scans-in";
  public static final String SCANS_OUT = "scan-predictions";

  /** The fan-out forecast route and its outputs. */
  public static final String GRU = "gru-watch";

  public static final String GRU_OUT = "gru-forecasts";
  public static final String GRU_ANOMALIES = "gru-anomalies";

  private Routes() {}

  /** The route keys (no other setting): six routes, two of them on one topic. */
  public static Map<String, Object> keys() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put(StreamInferConfig.ROUTES, "images,texts,sensors,generation," + SCANS + "," + GRU);
    p.put("routes." + SCANS + ".input", SCANS_IN);
    p.put("routes." + SCANS + ".task", "image-classification");
    p.put("routes." + SCANS + ".models", "digits-cnn:1");
    p.put("routes." + SCANS + ".output", SCANS_OUT);
    p.put("routes." + SCANS + ".top.k", "1");
    p.put("routes." + GRU + ".input", "sensor-readings");
    p.put("routes." + GRU + ".task", "time-series-forecast");
    p.put("routes." + GRU + ".models", "sensor-gru");
    p.put("routes." + GRU + ".output", GRU_OUT);
    p.put("routes." + GRU + ".anomalies", GRU_ANOMALIES);
    p.put("routes." + GRU + ".batch.max.size", "8");
    return p;
  }

  /**
   * A copy of the committed repository in {@code dir} plus digits-cnn version 2 (the same graph,
   * its card saying version 2); returns {@code dir}.
   */
  public static Path repositoryWithTwoCnnVersions(Path dir) {
    Path from = Path.of(TestConfigs.repository());
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path to = dir.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else if (f.getFileName().toString().startsWith("model.")
            || f.getFileName().toString().equals("tokenizer.json")) {
          Files.copy(f, to);
        }
      }
      Path v2 = Files.createDirectories(dir.resolve("digits-cnn/2"));
      Files.copy(dir.resolve("digits-cnn/1/model.onnx"), v2.resolve("model.onnx"));
      ObjectMapper json = new ObjectMapper();
      ObjectNode card = (ObjectNode) json.readTree(dir.resolve("digits-cnn/1/model.json").toFile());
      card.put("version", "2");
      json.writerWithDefaultPrettyPrinter().writeValue(v2.resolve("model.json").toFile(), card);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }
}
