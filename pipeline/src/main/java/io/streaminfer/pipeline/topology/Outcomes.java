package io.streaminfer.pipeline.topology;

import io.streaminfer.models.task.BatchTask;
import io.streaminfer.models.task.Outcome;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.dlq.RejectedEventException;

/** Turns a failed outcome into the rejection that sends its input to the dead letters. */
final class Outcomes {
  private Outcomes() {}

  static <R> R valueOrReject(Outcome<R> o, BatchTask<?, ?, ?> task) {
    if (o.ok()) {
      return o.value();
    }
    throw new RejectedEventException(ErrorCode.of(o.error()), task.model().card().id(), o.error().getMessage());
  }

  static void require(boolean ok, ErrorCode code, String message) {
    if (!ok) {
      throw new RejectedEventException(code, "", message);
    }
  }
}
