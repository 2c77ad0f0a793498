package io.streaminfer.pipeline.dlq;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bytes that do not deserialize (Kafka Streams' deserialization stage) become a dead letter
 * with their original bytes and a typed {@code AVRO_*} reason; the stream continues.
 */
public final class DeadLetterDeserializationHandler implements DeserializationExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);
  private String topic;

  @Override
  public void configure(Map<String, ?> configs) {
    topic = DeadLetters.topic(configs);
  }

  @Override
  public Response handleError(ErrorHandlerContext ctx, ConsumerRecord<byte[], byte[]> record, Exception e) {
    LOG.debug("dead letter from {}-{}@{}: {}", ctx.topic(), ctx.partition(), ctx.offset(), e.getMessage());
    ErrorCode code = record.value() == null ? ErrorCode.EMPTY_VALUE : KnownSchemas.refine(DeadLetters.codeOf(e), record.value());
    return Response.resume(List.of(DeadLetters.record(topic, ctx, record.key(), record.value(), "deserialize", code, e)));
  }
}
