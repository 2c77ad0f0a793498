package io.streaminfer.models.card;

import io.streaminfer.models.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The model repository: {@code <root>/<name>/<version>/{model.onnx, model.json}}. Opening it reads
 * every card and checks every file's sha256 against its card, so a tampered or missing file stops
 * start-up with a message that names it. Immutable after {@link #open(Path)}.
 */
public final class ModelRepository {

  private final Path root;
  private final Map<String, List<ModelArtifact>> byName; // versions ascending

  private ModelRepository(Path root, Map<String, List<ModelArtifact>> byName) {
    this.root = root;
    this.byName = byName;
  }

  /** Scans and verifies the repository at {@code root}. */
  public static ModelRepository open(Path root) {
    if (!Files.isDirectory(root)) {
      throw new ModelLoadException("model repository " + root + " is not a directory");
    }
    Map<String, List<ModelArtifact>> byName = new TreeMap<>();
    try (Stream<Path> names = Files.list(root)) {
      for (Path nameDir : names.filter(Files::isDirectory).sorted().toList()) {
        List<ModelArtifact> versions = new ArrayList<>();
        try (Stream<Path> vs = Files.list(nameDir)) {
          for (Path dir : vs.filter(Files::isDirectory).toList()) {
            versions.add(verify(dir));
          }
        }
        versions.sort(Comparator.comparingLong(a -> versionNumber(a.directory())));
        if (!versions.isEmpty()) {
          byName.put(nameDir.getFileName().toString(), List.copyOf(versions));
        }
      }
    } catch (IOException e) {
      throw new ModelLoadException("cannot list model repository " + root + ": " + e, e);
    }
    return new ModelRepository(root, byName);
  }

  /** Reads one version directory and checks its card and sha256. */
  public static ModelArtifact verify(Path dir) {
    Path cardFile = dir.resolve("model.json");
    Path onnx = dir.resolve("model.onnx");
    if (!Files.isRegularFile(cardFile)) {
      throw new ModelLoadException("model card missing: " + cardFile);
    }
    if (!Files.isRegularFile(onnx)) {
      throw new ModelLoadException("model file missing: " + onnx);
    }
    versionNumber(dir);
    ModelCard card = ModelCard.read(cardFile);
    String expectedName = dir.getParent().getFileName().toString();
    if (!card.name().equals(expectedName) || !card.version().equals(dir.getFileName().toString())) {
      throw new ModelLoadException(
          cardFile
              + " says "
              + card.id()
              + " but sits in "
              + expectedName
              + "/"
              + dir.getFileName());
    }
    String actual = sha256(onnx);
    if (!actual.equals(card.sha256())) {
      throw new ModelLoadException(
          "sha256 mismatch for "
              + onnx
              + ": card "
              + cardFile.getFileName()
              + " expects "
              + card.sha256()
              + ", file has "
              + actual
              + " (tampered or replaced model file)");
    }
    return new ModelArtifact(dir, card);
  }

  /** The repository root. */
  public Path root() {
    return root;
  }

  /** Names of all models, sorted. */
  public List<String> names() {
    return List.copyOf(byName.keySet());
  }

  /** Every version of {@code name}, oldest first (empty when unknown). */
  public List<ModelArtifact> versions(String name) {
    return byName.getOrDefault(name, List.of());
  }

  /** Every artifact of every model. */
  public List<ModelArtifact> all() {
    return byName.values().stream().flatMap(List::stream).toList();
  }

  /**
   * The pinned version of {@code name}, or its newest when {@code version} is empty. Throws naming
   * the versions that exist.
   */
  public ModelArtifact select(String name, Optional<String> version) {
    List<ModelArtifact> vs = versions(name);
    if (vs.isEmpty()) {
      throw new ModelLoadException(
          "no model '" + name + "' in repository " + root + " (has " + names() + ")");
    }
    if (version.isEmpty()) {
      return vs.get(vs.size() - 1);
    }
    return vs.stream()
        .filter(a -> a.card().version().equals(version.get()))
        .findFirst()
        .orElseThrow(
            () ->
                new ModelLoadException(
                    "model '"
                        + name
                        + "' has no version "
                        + version.get()
                        + " (has "
                        + vs.stream().map(a -> a.card().version()).toList()
                        + ")"));
  }

  /** Lower-case hex sha256 of a file. */
  public static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new ModelLoadException("cannot hash " + file + ": " + e, e);
    }
  }

  private static long versionNumber(Path dir) {
    try {
      return Long.parseLong(dir.getFileName().toString());
    } catch (NumberFormatException e) {
      throw new ModelLoadException("model version directory " + dir + " is not a number");
    }
  }
}
