package io.streaminfer.pipeline.topology;

import io.streaminfer.models.task.BatchResult;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.models.task.Outcome;
import io.streaminfer.pipeline.batch.BufferedRecord;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.dlq.RejectedEventException;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/** Helpers shared by the batching processors: decoding buffered bytes and chunked model runs. */
final class Batches {
  private Batches() {}

  /** An outcome and the model run (batch) it came from, for the prediction's metadata. */
  record Ran<R>(Outcome<R> outcome, BatchResult<R> batch) {}

  /**
   * Runs {@code inputs} through {@code task} in runs of at most {@code maxSize}, each timed in
   * {@code metrics}.
   */
  static <I, R> List<Ran<R>> run(
      BatchTask<I, ?, R> task, List<I> inputs, int maxSize, PipelineMetrics.RouteMetrics metrics) {
    List<Ran<R>> out = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i += maxSize) {
      BatchResult<R> res = task.run(inputs.subList(i, Math.min(inputs.size(), i + maxSize)));
      metrics.inference(task.model(), res.inferenceMicros(), res.runMicros());
      res.outcomes().forEach(o -> out.add(new Ran<>(o, res)));
    }
    return out;
  }

  /** A decoder of one Avro event type that reports failures as typed rejections. */
  static final class Decoder<E extends SpecificRecord> {
    private final Deserializer<E> deserializer;

    Decoder(Class<E> type) {
      this.deserializer = AvroSerdes.serde(type).deserializer();
    }

    /**
     * The event; throws RejectedEventException (EMPTY_VALUE) for a tombstone and the deserializer's
     * InvalidAvroMessageException (an AVRO_* code) for bytes that do not decode.
     */
    E decode(BufferedRecord r) {
      if (r.value() == null) {
        throw new RejectedEventException(ErrorCode.EMPTY_VALUE, "", "record has no value");
      }
      return deserializer.deserialize(r.topic(), r.value());
    }
  }
}
