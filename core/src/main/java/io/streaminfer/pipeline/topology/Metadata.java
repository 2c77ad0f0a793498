package io.streaminfer.pipeline.topology;

import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.BatchResult;
import io.streaminfer.schemas.InferenceMetadata;

/** Builds the inference-metadata record every prediction carries. */
final class Metadata {
  private Metadata() {}

  /**
   * Metadata for a prediction made by {@code model} in {@code batch}; its queue time is the wall
   * clock now (the prediction built, after inference) minus the input's record timestamp, in whole
   * milliseconds: fetch, batch wait, pre-processing, inference and post-processing; {@code
   * controlOffset} is the control record the route served under (-1: its configured models).
   */
  static InferenceMetadata of(
      OnnxModel model, BatchResult<?> batch, long recordTimestampMs, long controlOffset) {
    long queueMicros =
        recordTimestampMs > 0
            ? Math.max(0, (System.currentTimeMillis() - recordTimestampMs) * 1_000)
            : 0;
    var card = model.card();
    return InferenceMetadata.newBuilder()
        .setModelName(card.name())
        .setModelVersion(card.version())
        .setModelSha256(card.sha256())
        .setExecutionProvider(model.provider())
        .setBatchSize(batch.batchSize())
        .setQueueMicros(queueMicros)
        .setInferenceMicros(batch.runMicros())
        .setDecodeMicros(Math.max(0, batch.inferenceMicros() - batch.runMicros()))
        .setControlOffset(controlOffset)
        .build();
  }
}
