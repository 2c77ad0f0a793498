package io.streaminfer.models.card;

import java.nio.file.Path;

/**
 * One verified model version on disk: its directory and card. Created by {@link ModelRepository}
 * only after the sha256 of {@code model.onnx} matched the card.
 *
 * @param directory {@code <repository>/<name>/<version>}
 * @param card the parsed card
 */
public record ModelArtifact(Path directory, ModelCard card) {

  /** The ONNX file. */
  public Path onnxFile() {
    return directory.resolve("model.onnx");
  }

  /** The parity vectors written by training. */
  public Path referenceFile() {
    return directory.resolve("reference.json");
  }
}
