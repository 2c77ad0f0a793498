package io.streaminfer.pipeline.dlq;

import io.streaminfer.models.InferenceException;
import io.streaminfer.schemas.serde.InvalidAvroMessageException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;

/**
 * Builds dead-letter records: the original key and value bytes, the original headers, and
 * StreamInfer's typed reason headers. Shared by the deserialization and processing handlers so both
 * stages write the same contract.
 */
public final class DeadLetters {
  /** Header with the {@link ErrorCode} name. */
  public static final String CODE = "streaminfer.error.code";

  /** Header with the stage that failed: deserialize, process or produce. */
  public static final String STAGE = "streaminfer.error.stage";

  /** Header with a human-readable message. */
  public static final String MESSAGE = "streaminfer.error.message";

  /** Header with the model involved ({@code name:version}), when there was one. */
  public static final String MODEL = "streaminfer.error.model";

  /** Header with the exception class. */
  public static final String EXCEPTION = "streaminfer.error.exception";

  /** Header with the route that read the input (several routes may read one topic). */
  public static final String ROUTE = "streaminfer.route";

  /** Header with the source topic. */
  public static final String SOURCE_TOPIC = "streaminfer.source.topic";

  /** Header with the source partition. */
  public static final String SOURCE_PARTITION = "streaminfer.source.partition";

  /** Header with the source offset. */
  public static final String SOURCE_OFFSET = "streaminfer.source.offset";

  /** Kafka Streams' KIP-1034 dead-letter headers (the names its own handlers write). */
  public static final String STREAMS_EXCEPTION = "__streams.errors.exception";

  public static final String STREAMS_MESSAGE = "__streams.errors.message";
  public static final String STREAMS_STACKTRACE = "__streams.errors.stacktrace";
  public static final String STREAMS_TOPIC = "__streams.errors.topic";
  public static final String STREAMS_PARTITION = "__streams.errors.partition";
  public static final String STREAMS_OFFSET = "__streams.errors.offset";

  /** Streams config key naming the dead-letter topic (Kafka Streams' own, KIP-1034). */
  public static final String TOPIC_CONFIG = "errors.dead.letter.queue.topic.name";

  private DeadLetters() {}

  /** The dead-letter topic named in a handler's configuration; fails naming the key. */
  public static String topic(Map<String, ?> configs) {
    Object t = configs.get(TOPIC_CONFIG);
    if (t == null || t.toString().isBlank()) {
      throw new org.apache.kafka.common.config.ConfigException(
          TOPIC_CONFIG, t, "dead-letter topic must be set");
    }
    return t.toString();
  }

  /**
   * The typed reason of any failure: the one translation of every exception into an {@link
   * ErrorCode}, used by the processors and the exception handlers alike.
   */
  public static ErrorCode codeOf(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RejectedEventException r) {
        return r.code();
      }
      if (t instanceof InvalidAvroMessageException a) {
        return KnownSchemas.refine(ErrorCode.of(a), a);
      }
      if (t instanceof InferenceException i) {
        return ErrorCode.of(i);
      }
    }
    return ErrorCode.INTERNAL;
  }

  /**
   * The stage a processor's dead letter names: {@code deserialize} for bytes that are not a record
   * of the route's type (the {@code AVRO_*} codes and {@code EMPTY_VALUE}; the route decodes them
   * at batch time, so that they keep their place in the batch), else {@code process}.
   */
  public static String stageOf(ErrorCode code) {
    return code == ErrorCode.EMPTY_VALUE || code.name().startsWith("AVRO_")
        ? "deserialize"
        : "process";
  }

  /** The model an exception names ({@code name:version}), or empty. */
  public static String modelOf(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RejectedEventException r) {
        return r.model();
      }
      if (t instanceof InferenceException i) {
        return i.model();
      }
    }
    return "";
  }

  /**
   * A dead letter, as a KIP-1034 dead-letter record for a handler's {@code Response.resume}, for
   * the record the context describes.
   */
  public static ProducerRecord<byte[], byte[]> record(
      String topic,
      ErrorHandlerContext ctx,
      byte[] key,
      byte[] value,
      String stage,
      ErrorCode code,
      Exception e) {
    String model = modelOf(e);
    Headers headers =
        headers(
            ctx.headers(),
            code,
            stage,
            e,
            model,
            routeOf(ctx.processorNodeId(), ctx.headers()),
            ctx.topic(),
            ctx.partition(),
            ctx.offset());
    return new ProducerRecord<>(
        topic, null, ctx.timestamp() >= 0 ? ctx.timestamp() : null, key, value, headers);
  }

  /**
   * A dead letter for an output that could not be written, {@code failed} (a prediction carrying
   * its input's lineage headers). Kafka Streams' context describes the record that was being
   * processed when the batch ran, which for a batched prediction is another input: the dead letter
   * therefore names the prediction's own input (its route and source position, from its lineage
   * headers), and carries that input's bytes only when the context's record is that input; else its
   * key and value are empty and the input is still in its topic at the position named.
   */
  public static ProducerRecord<byte[], byte[]> outputRecord(
      String topic,
      ErrorHandlerContext ctx,
      Headers failed,
      String stage,
      ErrorCode code,
      Exception e) {
    String own = failed == null ? null : source(failed);
    String current =
        ctx.topic() == null ? null : source(ctx.topic(), ctx.partition(), ctx.offset());
    if (own == null || own.equals(current)) {
      String route = failed == null ? null : header(failed, ROUTE);
      Headers headers =
          headers(
              ctx.headers(),
              code,
              stage,
              e,
              modelOf(e),
              route != null ? route : routeOf(ctx.processorNodeId()),
              ctx.topic(),
              ctx.partition(),
              ctx.offset());
      return new ProducerRecord<>(
          topic,
          null,
          ctx.timestamp() >= 0 ? ctx.timestamp() : null,
          ctx.sourceRawKey(),
          ctx.sourceRawValue(),
          headers);
    }
    Headers headers =
        headers(
            failed,
            code,
            stage,
            e,
            modelOf(e),
            header(failed, ROUTE),
            header(failed, SOURCE_TOPIC),
            Integer.parseInt(header(failed, SOURCE_PARTITION)),
            Long.parseLong(header(failed, SOURCE_OFFSET)));
    return new ProducerRecord<>(topic, null, null, null, null, headers);
  }

  /**
   * The headers of a dead letter: the original ones (minus StreamInfer's own error headers), the
   * typed reason ({@code streaminfer.error.*}), the route and source position, and Kafka Streams'
   * own KIP-1034 dead-letter headers ({@code __streams.errors.exception}, {@code .message}, {@code
   * .stacktrace}, {@code .topic}, {@code .partition}, {@code .offset}), so tools written for either
   * read it. {@code model} is {@code name:version} or empty; {@code route} may be null.
   */
  public static Headers headers(
      Headers original,
      ErrorCode code,
      String stage,
      Throwable e,
      String model,
      String route,
      String sourceTopic,
      int partition,
      long offset) {
    Headers headers = lineage(original, route, sourceTopic, partition, offset);
    String message = String.valueOf(e.getMessage());
    put(headers, CODE, code.name());
    put(headers, STAGE, stage);
    put(headers, MESSAGE, message);
    put(headers, MODEL, model);
    put(headers, EXCEPTION, e.getClass().getName());
    put(headers, STREAMS_EXCEPTION, e.getClass().getName());
    put(headers, STREAMS_MESSAGE, message);
    put(headers, STREAMS_STACKTRACE, e.getStackTrace().length == 0 ? "" : stackTrace(e));
    put(headers, STREAMS_TOPIC, sourceTopic);
    put(headers, STREAMS_PARTITION, Integer.toString(partition));
    put(headers, STREAMS_OFFSET, Long.toString(offset));
    return headers;
  }

  private static String stackTrace(Throwable e) {
    java.io.StringWriter w = new java.io.StringWriter();
    e.printStackTrace(new java.io.PrintWriter(w));
    return w.toString();
  }

  /**
   * The headers of any record the pipeline writes for an input: the input's own headers (minus
   * StreamInfer's error, route and source headers it may carry from an earlier stage) plus the
   * route and the input's position, so every prediction and dead letter can be traced to exactly
   * one input record and the route that served it. {@code route} may be null (a failure outside any
   * route's processor).
   */
  public static Headers lineage(
      Headers original, String route, String sourceTopic, int partition, long offset) {
    Headers headers = new RecordHeaders();
    if (original != null) {
      for (Header h : original) {
        if (!h.key().startsWith("streaminfer.error.")
            && !h.key().startsWith("streaminfer.source.")
            && !h.key().equals(ROUTE)
            && !h.key().startsWith("__streams.errors.")) {
          headers.add(h);
        }
      }
    }
    if (route != null) {
      put(headers, ROUTE, route);
    }
    put(headers, SOURCE_TOPIC, sourceTopic);
    put(headers, SOURCE_PARTITION, Integer.toString(partition));
    put(headers, SOURCE_OFFSET, Long.toString(offset));
    return headers;
  }

  /**
   * The route of a processor node named {@code route-<name>} (see {@code Route#processorNode}),
   * else null.
   */
  public static String routeOf(String processorNode) {
    return processorNode != null && processorNode.startsWith("route-")
        ? processorNode.substring("route-".length())
        : null;
  }

  /**
   * The route of a failure: the processor node's route, else the {@code streaminfer.route} header
   * of the record involved (an output already names its route when its sink fails), else null.
   */
  public static String routeOf(String processorNode, Headers headers) {
    String route = routeOf(processorNode);
    return route != null || headers == null ? route : header(headers, ROUTE);
  }

  private static void put(Headers h, String key, String value) {
    h.add(key, value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The input an output came from, as {@code topic/partition/offset} (its lineage headers), or null
   * for a record without them.
   */
  public static String source(Headers headers) {
    String topic = header(headers, SOURCE_TOPIC);
    return topic == null
        ? null
        : source(
            topic,
            Integer.parseInt(header(headers, SOURCE_PARTITION)),
            Long.parseLong(header(headers, SOURCE_OFFSET)));
  }

  /**
   * An input's position as {@code topic/partition/offset}, the key {@link #source(Headers)} gives.
   */
  public static String source(String topic, int partition, long offset) {
    return topic + "/" + partition + "/" + offset;
  }

  /** Reads a header as UTF-8, or null. */
  public static String header(Headers headers, String key) {
    Header h = headers.lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
