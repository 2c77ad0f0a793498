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
}
