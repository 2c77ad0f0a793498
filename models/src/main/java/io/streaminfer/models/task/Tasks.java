package io.streaminfer.models.task;

import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.OnnxModel;

/** Checks shared by the task constructors. */
final class Tasks {
  private Tasks() {}

  static void require(OnnxModel model, Task task) {
    if (model.card().task() != task) {
      throw new ModelLoadException(
          model.card().id() + " is a " + model.card().task().id() + " model, not " + task.id());
    }
  }

  /** The family feeds exactly {@code n} inputs; a graph with more cannot be served. */
  static void requireInputs(OnnxModel model, int n) {
    var inputs = model.card().inputs();
    if (inputs.size() != n) {
      throw new ModelLoadException(
          model.card().id()
              + ": a "
              + model.card().task().id()
              + " model takes "
              + n
              + " input"
              + (n == 1 ? "" : "s")
              + "; this one has "
              + inputs
              + " (inputs beyond "
              + n
              + " cannot be fed)");
    }
  }
}
