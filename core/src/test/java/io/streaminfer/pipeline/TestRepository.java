package io.streaminfer.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

/**
 * Model repositories for the lifecycle tests: a copy of the committed one, into which a test adds
 * versions while the pipeline runs (another model's artifact under a name and version, a tampered
 * file, a card that disagrees with its graph).
 */
public final class TestRepository {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TestRepository() {}

  /** Copies the committed repository into {@code target}; returns it. */
  public static Path copy(Path target) {
    copyTree(Path.of(TestConfigs.repository()), target);
    return target;
  }

  /**
   * Writes {@code <root>/<name>/<version>/} from the artifact of {@code fromName}/{@code
   * fromVersion} (its files, its card renamed): a retrained version, as training would write it.
   */
  public static Path addVersion(
      Path root, String fromName, String fromVersion, String name, String version) {
    Path dir = root.resolve(name).resolve(version);
    copyTree(root.resolve(fromName).resolve(fromVersion), dir);
    editCard(dir, card -> card.put("name", name).put("version", version));
    return dir;
  }

  /** Version {@code name:v} of {@code root} as a control record names it (sha256 from its card). */
  public static io.streaminfer.schemas.ModelVersion version(Path root, String name, String v) {
    return io.streaminfer.schemas.ModelVersion.newBuilder()
        .setName(name)
        .setVersion(v)
        .setSha256(
            io.streaminfer.models.card.ModelRepository.verify(root.resolve(name).resolve(v))
                .card()
                .sha256())
        .build();
  }

  /** Appends a byte to {@code dir}'s model.onnx: its sha256 no longer matches its card. */
  public static void tamper(Path dir) {
    try {
      Files.write(dir.resolve("model.onnx"), new byte[] {0}, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Sets axis {@code axis} of {@code dir}'s card's first input to {@code size} (the graph's stays).
   */
  public static void misshapeInput(Path dir, int axis, long size) {
    editCard(
        dir,
        card -> {
          ArrayNode shape = (ArrayNode) card.get("inputs").get(0).get("shape");
          shape.set(axis, size);
          return card;
        });
  }

  private static void editCard(Path dir, java.util.function.UnaryOperator<ObjectNode> edit) {
    Path card = dir.resolve("model.json");
    try {
      ObjectNode node = (ObjectNode) JSON.readTree(card.toFile());
      JSON.writerWithDefaultPrettyPrinter().writeValue(card.toFile(), edit.apply(node));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void copyTree(Path from, Path to) {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path t = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(t);
        } else {
          Files.copy(f, t, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
