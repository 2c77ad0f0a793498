package io.streaminfer.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.models.preprocess.ImageInput;
import io.streaminfer.models.task.ImageGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** The committed model repository and its reference vectors, shared by the tests. */
public final class TestRepository {
  private static ModelRepository repository;

  private TestRepository() {}

  /** {@code models/repository} of this checkout (surefire passes it as a system property). */
  public static Path root() {
    String p = System.getProperty("streaminfer.repository");
    return p != null ? Path.of(p) : Path.of("repository");
  }

  /** The verified repository, opened once. */
  public static synchronized ModelRepository open() {
    if (repository == null) {
      repository = ModelRepository.open(root());
    }
    return repository;
  }

  /** The newest version of {@code name}. */
  public static ModelArtifact newest(String name) {
    return open().select(name, java.util.Optional.empty());
  }

  /** reference.json of an artifact. */
  public static JsonNode reference(ModelArtifact a) {
    try {
      return new ObjectMapper().readTree(Files.readString(a.referenceFile()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The {@code data} array of a tensor JSON object as floats. */
  public static float[] floats(JsonNode tensor) {
    JsonNode d = tensor.path("data");
    float[] out = new float[d.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) d.get(i).asDouble();
    }
    return out;
  }

  /** The {@code data} array of a JSON object as ints. */
  public static int[] ints(JsonNode node) {
    JsonNode d = node.isArray() ? node : node.path("data");
    int[] out = new int[d.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = d.get(i).asInt();
    }
    return out;
  }

  /** A reference example's producer-side image ({@code input} object) as the pipeline gets it. */
  public static ImageInput imageInput(JsonNode in) {
    return new ImageInput(
        ImageInput.Encoding.valueOf(in.path("encoding").asText()),
        Base64.getDecoder().decode(in.path("data_base64").asText()),
        in.path("width").asInt(),
        in.path("height").asInt(),
        in.path("channels").asInt());
  }

  /** The generation requests of a generator's reference examples, one sample each. */
  public static List<ImageGenerator.Sample> samples(JsonNode ref) {
    List<ImageGenerator.Sample> out = new ArrayList<>();
    for (JsonNode ex : ref.path("examples")) {
      JsonNode in = ex.path("input");
      out.add(
          new ImageGenerator.Sample(
              in.path("seed").asLong(),
              in.path("label").asText(),
              in.path("sample_index").asInt()));
    }
    return out;
  }
}
