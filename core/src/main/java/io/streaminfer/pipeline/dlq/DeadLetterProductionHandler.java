package io.streaminfer.pipeline.dlq;

import io.streaminfer.pipeline.metrics.PipelineMetrics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A prediction that cannot be written: retriable broker errors are retried; a prediction that this
 * one record makes impossible (too large, not serialisable) sends the record's source input to the
 * dead letters as {@code PRODUCTION_FAILED}; anything else (authorisation, a missing topic) stops
 * the stream thread rather than dropping data.
 */
public final class DeadLetterProductionHandler implements ProductionExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProductionHandler.class);
  private String topic;
  private PipelineMetrics metrics;

  @Override
  public void configure(Map<String, ?> configs) {
    topic = DeadLetters.topic(configs);
    metrics = PipelineMetrics.of(configs);
  }

  @Override
  public Response handleError(
      ErrorHandlerContext ctx, ProducerRecord<byte[], byte[]> record, Exception e) {
    if (e instanceof RetriableException) {
      return Response.retry();
    }
    if (e instanceof RecordTooLargeException) {
      LOG.warn(
          "prediction for {}-{}@{} too large for {}; input dead-lettered",
          ctx.topic(),
          ctx.partition(),
          ctx.offset(),
          record.topic());
      return Response.resume(List.of(deadLetter(ctx, record.headers(), e)));
    }
    LOG.error("cannot write to {}; stopping rather than losing data", record.topic(), e);
    return Response.fail();
  }

  @Override
  @SuppressWarnings("rawtypes")
  public Response handleSerializationError(
      ErrorHandlerContext ctx,
      ProducerRecord record,
      Exception e,
      SerializationExceptionOrigin origin) {
    LOG.warn(
        "prediction for {}-{}@{} does not serialise ({}); input dead-lettered",
        ctx.topic(),
        ctx.partition(),
        ctx.offset(),
        origin,
        e);
    return Response.resume(List.of(deadLetter(ctx, record.headers(), e)));
  }

  private ProducerRecord<byte[], byte[]> deadLetter(
      ErrorHandlerContext ctx, org.apache.kafka.common.header.Headers failed, Exception e) {
    ProducerRecord<byte[], byte[]> dead =
        DeadLetters.outputRecord(topic, ctx, failed, "produce", ErrorCode.PRODUCTION_FAILED, e);
    metrics.deadLetter(
        DeadLetters.header(dead.headers(), DeadLetters.ROUTE), ErrorCode.PRODUCTION_FAILED);
    return dead;
  }
}
