package io.streaminfer.models.task;

import java.util.List;

/**
 * Outcomes of one batch, in input order, with what the batch cost.
 *
 * @param outcomes one per input, same order
 * @param batchSize how many inputs went through the model together (valid ones only)
 * @param inferenceMicros wall-clock microseconds of preprocessing, the session run and
 *     postprocessing for the batch
 * @param runMicros wall-clock microseconds of the ONNX Runtime session run alone (0 when no row was
 *     valid)
 * @param output the model's first output for the valid rows, batch-major (empty when no row was
 *     valid); kept for parity checks and diagnostics
 * @param <R> the result type
 */
public record BatchResult<R>(
    List<Outcome<R>> outcomes,
    int batchSize,
    long inferenceMicros,
    long runMicros,
    float[] output) {}
