package io.streaminfer.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Held-out sample data bundled in the jar ({@code demo/samples.json}, written by the training
 * module): digit images with labels, sentences with their language, sensor series tails, and the
 * window of readings the bundled forecasters need before their first forecast (read from their
 * cards when the samples were written). Used by the demo, the {@code produce} command and the
 * integration tests.
 */
public record SampleData(
    List<Digit> digits, List<Sentence> texts, List<Series> sensors, int sensorWindow) {

  /** An 8-bit grey digit image, row-major. */
  public record Digit(int[] pixels, int width, int height, String label) {}

  /** A sentence and its language code. */
  public record Sentence(String text, String label) {}

  /** A sensor's readings; readings from {@code heldOutFrom} on were never seen in training. */
  public record Series(String sensorId, double[] readings, int heldOutFrom) {}

  /** Loads the bundled samples. */
  public static SampleData load() {
    try (InputStream in =
        SampleData.class.getResourceAsStream("/io/streaminfer/testkit/samples.json")) {
      if (in == null) {
        throw new IllegalStateException(
            "io/streaminfer/testkit/samples.json missing from the classpath");
      }
      JsonNode root = new ObjectMapper().readTree(in);
      List<Digit> digits = new ArrayList<>();
      for (JsonNode d : root.path("digits")) {
        int[] px = new int[d.path("pixels").size()];
        for (int i = 0; i < px.length; i++) {
          px[i] = d.path("pixels").get(i).asInt();
        }
        digits.add(
            new Digit(
                px, d.path("width").asInt(), d.path("height").asInt(), d.path("label").asText()));
      }
      List<Sentence> texts = new ArrayList<>();
      root.path("texts")
          .forEach(t -> texts.add(new Sentence(t.path("text").asText(), t.path("label").asText())));
      List<Series> sensors = new ArrayList<>();
      for (JsonNode s : root.path("sensors")) {
        double[] r = new double[s.path("readings").size()];
        for (int i = 0; i < r.length; i++) {
          r[i] = s.path("readings").get(i).asDouble();
        }
        sensors.add(new Series(s.path("sensor_id").asText(), r, s.path("held_out_from").asInt()));
      }
      int window = root.path("sensor_window").asInt();
      if (window < 1) {
        throw new IllegalStateException(
            "io/streaminfer/testkit/samples.json: sensor_window missing (python -m"
                + " streaminfer_training demo-data writes it)");
      }
      return new SampleData(List.copyOf(digits), List.copyOf(texts), List.copyOf(sensors), window);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
