package io.streaminfer.pipeline.dlq;

import io.streaminfer.pipeline.metrics.PipelineMetrics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An event a processor rejected (validation, model routing, inference) becomes a dead letter with
 * the source record's original bytes and a typed reason; the stream continues. Unexpected
 * exceptions are dead-lettered as {@code INTERNAL} and logged at WARN with their stack trace.
 */
public final class DeadLetterProcessingHandler implements ProcessingExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProcessingHandler.class);
  private String topic;
  private PipelineMetrics metrics;

  @Override
  public void configure(Map<String, ?> configs) {
    topic = DeadLetters.topic(configs);
    metrics = PipelineMetrics.of(configs);
  }

  @Override
  public Response handleError(ErrorHandlerContext ctx, Record<?, ?> record, Exception e) {
    ErrorCode code = DeadLetters.codeOf(e);
    if (code == ErrorCode.INTERNAL) {
      LOG.warn(
          "unexpected failure on {}-{}@{}; dead-lettered",
          ctx.topic(),
          ctx.partition(),
          ctx.offset(),
          e);
    } else {
      LOG.debug(
          "dead letter from {}-{}@{}: {} {}",
          ctx.topic(),
          ctx.partition(),
          ctx.offset(),
          code,
          e.getMessage());
    }
    metrics.deadLetter(DeadLetters.routeOf(ctx.processorNodeId()), code);
    return Response.resume(
        List.of(
            DeadLetters.record(
                topic, ctx, ctx.sourceRawKey(), ctx.sourceRawValue(), "process", code, e)));
  }
}
