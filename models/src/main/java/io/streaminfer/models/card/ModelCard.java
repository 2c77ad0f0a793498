package io.streaminfer.models.card;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.models.ModelLoadException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A model card ({@code model.json}) as written by StreamInfer's training module: identity,
 * inputs/outputs, labels and the exact pre- and post-processing. Immutable.
 *
 * @param name model name, e.g. {@code digits-cnn}
 * @param version version directory name (a number)
 * @param task what the model does
 * @param sha256 expected sha256 of {@code model.onnx}, lower-case hex
 * @param inputs the inputs in ONNX order
 * @param outputs the outputs in ONNX order
 * @param labels class labels (classifiers and generators), else empty
 * @param preprocessing the card's {@code preprocessing} object
 * @param postprocessing the card's {@code postprocessing} object
 * @param metrics the card's {@code metrics} object
 */
public record ModelCard(
    String name,
    String version,
    Task task,
    String sha256,
    List<TensorSpec> inputs,
    List<TensorSpec> outputs,
    List<String> labels,
    JsonNode preprocessing,
    JsonNode postprocessing,
    JsonNode metrics) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Reads and checks a card; throws {@link ModelLoadException} naming the file and key. */
  public static ModelCard read(Path file) {
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new ModelLoadException("cannot read model card " + file + ": " + e.getMessage(), e);
    }
    try {
      List<String> labels = labels(root, file);
      return new ModelCard(
          text(root, "name"),
          text(root, "version"),
          Task.fromId(text(root, "task")),
          text(root, "sha256"),
          specs(root, "inputs"),
          specs(root, "outputs"),
          List.copyOf(labels),
          object(root, "preprocessing"),
          object(root, "postprocessing"),
          root.path("metrics"));
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException("invalid model card " + file + ": " + e.getMessage(), e);
    }
  }

  /** {@code name:version}, as used in logs, metrics and errors. */
  public String id() {
    return name + ":" + version;
  }

  /** The input called {@code name}; throws naming the inputs the card has. */
  public TensorSpec input(String inputName) {
    return find(inputs, inputName, "input");
  }

  /** The output called {@code name}; throws naming the outputs the card has. */
  public TensorSpec output(String outputName) {
    return find(outputs, outputName, "output");
  }

  /** A number from the preprocessing object; throws naming the key when missing. */
  public double pre(String key) {
    return number(preprocessing, "preprocessing", key);
  }

  /** A number from the postprocessing object; throws naming the key when missing. */
  public double post(String key) {
    return number(postprocessing, "postprocessing", key);
  }

  private TensorSpec find(List<TensorSpec> specs, String wanted, String kind) {
    return specs.stream()
        .filter(s -> s.name().equals(wanted))
        .findFirst()
        .orElseThrow(
            () ->
                new ModelLoadException(
                    id() + ": card has no " + kind + " '" + wanted + "' (has " + specs + ")"));
  }

  private double number(JsonNode node, String section, String key) {
    JsonNode v = node.path(key);
    if (!v.isNumber()) {
      throw new ModelLoadException(
          id() + ": model card key '" + section + "." + key + "' missing or not a number");
    }
    return v.asDouble();
  }

  /**
   * The card's {@code labels}, or the lines of its {@code labels_file} (one label per line, a file
   * beside the card); empty when it has neither.
   */
  private static List<String> labels(JsonNode root, Path file) {
    List<String> labels = new ArrayList<>();
    if (root.has("labels") && root.has("labels_file")) {
      throw new IllegalArgumentException("has both 'labels' and 'labels_file'; keep one");
    }
    if (root.has("labels_file")) {
      String name = text(root, "labels_file");
      Path dir = file.toAbsolutePath().getParent();
      Path f = dir.resolve(name).normalize();
      if (!f.getParent().equals(dir)) {
        throw new IllegalArgumentException(
            "key 'labels_file' must name a file beside the card, not " + name);
      }
      try {
        for (String line :
            java.nio.file.Files.readAllLines(f, java.nio.charset.StandardCharsets.UTF_8)) {
          labels.add(line.strip());
        }
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read labels_file " + f + ": " + e.getMessage());
      }
      while (!labels.isEmpty() && labels.get(labels.size() - 1).isEmpty()) {
        labels.remove(labels.size() - 1);
      }
      if (labels.contains("")) {
        throw new IllegalArgumentException(
            "labels_file " + f + " has an empty line among its labels");
      }
    } else {
      root.path("labels").forEach(l -> labels.add(l.asText()));
    }
    if (new java.util.HashSet<>(labels).size() != labels.size()) {
      throw new IllegalArgumentException("labels are not unique");
    }
    return List.copyOf(labels);
  }

  private static String text(JsonNode root, String key) {
    JsonNode v = root.path(key);
    if (!v.isTextual() || v.asText().isEmpty()) {
      throw new IllegalArgumentException("key '" + key + "' missing or not a string");
    }
    return v.asText();
  }

  private static JsonNode object(JsonNode root, String key) {
    JsonNode v = root.path(key);
    if (!v.isObject()) {
      throw new IllegalArgumentException("key '" + key + "' missing or not an object");
    }
    return v;
  }

  private static List<TensorSpec> specs(JsonNode root, String key) {
    JsonNode arr = root.path(key);
    if (!arr.isArray() || arr.isEmpty()) {
      throw new IllegalArgumentException("key '" + key + "' missing or empty");
    }
    List<TensorSpec> out = new ArrayList<>();
    for (JsonNode n : arr) {
      JsonNode shape = n.path("shape");
      long[] s = new long[shape.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = shape.get(i).asLong();
      }
      out.add(new TensorSpec(text(n, "name"), text(n, "dtype"), s));
    }
    return List.copyOf(out);
  }
}
