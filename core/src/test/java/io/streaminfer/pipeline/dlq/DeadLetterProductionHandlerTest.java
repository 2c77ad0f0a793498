package io.streaminfer.pipeline.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeadLetterProductionHandlerTest {
  private final DeadLetterProductionHandler handler = new DeadLetterProductionHandler();
  private final ProducerRecord<byte[], byte[]> prediction =
      new ProducerRecord<>("image-predictions", new byte[10]);

  /** The context Kafka Streams hands a handler, for a record read from images-0@42. */
  private record Context(Headers headers) implements ErrorHandlerContext {
    public String topic() {
      return "images";
    }

    public int partition() {
      return 0;
    }

    public long offset() {
      return 42;
    }

    public String processorNodeId() {
      return "image-predictions";
    }

    public TaskId taskId() {
      return new TaskId(0, 0);
    }

    public long timestamp() {
      return 1_000L;
    }

    public byte[] sourceRawKey() {
      return "img-7".getBytes(StandardCharsets.UTF_8);
    }

    public byte[] sourceRawValue() {
      return new byte[] {1, 2, 3};
    }
  }

  @BeforeEach
  void configure() {
    handler.configure(Map.of(DeadLetters.TOPIC_CONFIG, "dead-letters"));
  }

  @Test
  void shouldDeadLetterTheInputOfAPredictionTooLargeToWrite() {
    var response =
        handler.handleError(
            new Context(new RecordHeaders()), prediction, new RecordTooLargeException("big"));
    assertThat(response.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
    var dead = response.deadLetterQueueRecords().get(0);
    assertThat(dead.topic()).isEqualTo("dead-letters");
    assertThat(dead.value()).containsExactly(1, 2, 3);
    assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("img-7");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.CODE)).isEqualTo("PRODUCTION_FAILED");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("42");
  }

  @Test
  void shouldNameThePredictionsOwnInputAndRouteWhenTheBatchRanOnAnother() {
    // a batched prediction of images-0@40, failing while Kafka Streams processes images-0@42
    Headers lineage = DeadLetters.lineage(new RecordHeaders(), "images", "images", 0, 40);
    var own =
        new ProducerRecord<byte[], byte[]>(
            "image-predictions", null, null, null, new byte[10], lineage);
    var dead =
        handler
            .handleError(new Context(new RecordHeaders()), own, new RecordTooLargeException("big"))
            .deadLetterQueueRecords()
            .get(0);
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("40");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.ROUTE)).isEqualTo("images");
    assertThat(dead.value()).as("not the bytes of another input").isNull();
    // the prediction of the record being processed carries that record's bytes and its route
    Headers same = DeadLetters.lineage(new RecordHeaders(), "images", "images", 0, 42);
    var dead42 =
        handler
            .handleError(
                new Context(new RecordHeaders()),
                new ProducerRecord<byte[], byte[]>(
                    "image-predictions", null, null, null, new byte[10], same),
                new RecordTooLargeException("big"))
            .deadLetterQueueRecords()
            .get(0);
    assertThat(dead42.value()).containsExactly(1, 2, 3);
    assertThat(DeadLetters.header(dead42.headers(), DeadLetters.ROUTE)).isEqualTo("images");
  }

  @Test
  void shouldRetryRetriableErrorsAndStopOnClusterWideOnes() {
    assertThat(
            handler
                .handleError(
                    new Context(new RecordHeaders()),
                    prediction,
                    new NotEnoughReplicasException("isr"))
                .result())
        .isEqualTo(ProductionExceptionHandler.Result.RETRY);
    assertThat(
            handler
                .handleError(
                    new Context(new RecordHeaders()), prediction, new AuthorizationException("acl"))
                .result())
        .isEqualTo(ProductionExceptionHandler.Result.FAIL);
  }
}
