package io.streaminfer.models.importer;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.models.card.Task;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a user asks {@link ModelImporter} to bring in. Immutable.
 *
 * @param onnx the ONNX file to import (copied, never moved)
 * @param repository the model repository root; the card goes to {@code
 *     <repository>/<name>/<version>/}
 * @param name the model's name ({@code [a-z0-9][a-z0-9-]*})
 * @param version the version to write; empty means one above the newest already there, or 1
 * @param task what the model does; empty means: tell it from the graph, or refuse saying so
 * @param preset a family's named set of defaults (e.g. {@code imagenet}); empty for none
 * @param labels class labels, in output order; empty when none were given
 * @param labelsFile a file of labels, one per line, copied beside the card; empty for none
 * @param tokenizer a Hugging Face tokenizer for a text model: its {@code tokenizer.json}, or the
 *     model folder holding it (and {@code config.json}, {@code tokenizer_config.json}); empty for
 *     none
 * @param overrides card keys set by hand ({@code preprocessing.mean}, {@code postprocessing.top_k},
 *     {@code description}), each a JSON value; they win over the preset and over what is inferred
 * @param smoke whether to run one inference after writing the card (refusing the import when it
 *     fails)
 */
public record ImportRequest(
    Path onnx,
    Path repository,
    String name,
    Optional<String> version,
    Optional<Task> task,
    Optional<String> preset,
    List<String> labels,
    Optional<Path> labelsFile,
    Optional<Path> tokenizer,
    Map<String, JsonNode> overrides,
    boolean smoke) {

  /** The keys {@link #overrides()} may set: a section's key, or the description. */
  public static boolean settable(String key) {
    return key.equals("description")
        || key.matches("(preprocessing|postprocessing)\\.[a-z_]+[a-z0-9_]*");
  }
}
