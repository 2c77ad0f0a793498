package io.streaminfer.pipeline.topology;

import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.dlq.RejectedEventException;

/** Validation shared by the processors: a failed check rejects the event with a typed reason. */
final class Outcomes {
  private Outcomes() {}

  static void require(boolean ok, ErrorCode code, String message) {
    if (!ok) {
      throw new RejectedEventException(code, "", message);
    }
  }
}
