package io.streaminfer.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The sensor readings a forecaster's {@code reference.json} (written by the training module beside
 * the model) was computed from, as a producer would send them: its top-level {@code readings} (a
 * stateful model's sequence) or, for a windowed model, every example's input readings in turn. Each
 * reading is its values (the value, then its features).
 */
public final class ReferenceReadings {

  private ReferenceReadings() {}

  /** The readings of {@code modelDir}'s reference.json (e.g. models/repository/NAME/1). */
  public static List<double[]> of(Path modelDir) {
    Path file = modelDir.resolve("reference.json");
    JsonNode ref;
    try {
      ref = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
    List<double[]> out = new ArrayList<>();
    if (ref.has("readings")) {
      ref.path("readings").forEach(r -> out.add(values(r)));
    } else {
      for (JsonNode ex : ref.path("examples")) {
        ex.path("input").path("readings").forEach(r -> out.add(values(r)));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(file + ": no readings (neither readings nor examples)");
    }
    return List.copyOf(out);
  }

  private static double[] values(JsonNode reading) {
    double[] v = new double[reading.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = reading.get(i).asDouble();
    }
    return v;
  }
}
