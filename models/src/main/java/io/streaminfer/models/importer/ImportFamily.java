package io.streaminfer.models.importer;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.OnnxModel;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * How {@link ModelImporter} brings in the models of one task: which graphs look like its own, what
 * its presets set, how it fills the card from a graph, and one smoke inference. A family registers
 * in {@link ModelImporter#FAMILIES}; the text and sequence families plug in the same way.
 * Implementations are stateless.
 */
public interface ImportFamily {
  /** The task this family writes cards for. */
  Task task();

  /**
   * Whether {@code graph} has this family's shape (used to tell the task when the user names none;
   * exactly one family must say yes).
   */
  boolean recognises(OnnxGraph graph);

  /** The preset names this family knows. */
  Set<String> presets();

  /**
   * Fills {@code draft} (pre- and postprocessing, labels) from the graph, the preset and what the
   * draft already holds (the user's overrides, which it never replaces). Records what it inferred
   * and assumed; calls {@link CardDraft#missing} for a key it cannot fill; throws {@link
   * ImportRefusedException} naming the tensor for a graph it cannot serve.
   */
  void draft(OnnxGraph graph, ImportRequest request, CardDraft draft);

  /**
   * Files the card refers to besides the model, copied beside it before it is loaded: name in the
   * version directory → source (a text model's {@code tokenizer.json}); none by default.
   */
  default Map<String, Path> files(ImportRequest request) {
    return Map.of();
  }

  /**
   * Runs one inference of synthetic input through the loaded model, as the pipeline would, and says
   * what came out; throws when the model cannot serve.
   */
  String smoke(OnnxModel model);
}
