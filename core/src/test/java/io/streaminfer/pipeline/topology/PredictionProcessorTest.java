package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.models.postprocess.PngEncoder;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.batch.BufferedRecord;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.ImageEncoding;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The image route's processor alone: buffering, batch by size and by delay, dead letters, restore.
 */
class PredictionProcessorTest {
  private static StreamInferConfig config;
  private static ModelRegistry models;
  private static Route route;

  @BeforeAll
  static void load() {
    config = TestConfigs.config(Map.of());
    models = ModelRegistry.open(config);
    route = config.route("images");
  }

  @AfterAll
  static void close() {
    models.close();
  }

  private static ProcessorHarness harness(int batch, long delayMs) {
    var p =
        new ImageClassificationFamily()
            .processor(
                route,
                models,
                new BatchSettings(batch, Duration.ofMillis(delayMs)),
                PipelineMetrics.inMemory().route(route.name()));
    return new ProcessorHarness(route, new ImageClassificationFamily(), p);
  }

  private static byte[] image(String id) {
    int[] px = new int[64];
    for (int i = 0; i < 64; i++) {
      px[i] = (i % 8 == 3 || i % 8 == 4) ? 255 : 0; // a vertical bar
    }
    return AvroSerdes.serde(ImageEvent.class)
        .serializer()
        .serialize(
            "",
            ImageEvent.newBuilder()
                .setId(id)
                .setEventTime(Instant.parse("2026-01-01T00:00:00Z"))
                .setEncoding(ImageEncoding.PNG)
                .setData(ByteBuffer.wrap(PngEncoder.png(px, 8, 8)))
                .build());
  }

  @Test
  void shouldBufferUntilTheBatchIsFullThenClassifyItTogether() {
    ProcessorHarness h = harness(4, 60_000).init();
    for (int i = 0; i < 3; i++) {
      h.process("k" + i, image("img-" + i));
    }
    assertThat(h.forwarded(route.sinkNode(Route.OUTPUT))).isEmpty();
    assertThat(h.buffered()).isEqualTo(3);

    h.process("k3", image("img-3"));

    var out = h.forwarded(route.sinkNode(Route.OUTPUT));
    assertThat(out).hasSize(4);
    assertThat(out)
        .extracting(f -> ((Classification) f.record().value()).getId())
        .containsExactly("img-0", "img-1", "img-2", "img-3");
    assertThat(out)
        .allSatisfy(
            f -> {
              Classification c = (Classification) f.record().value();
              assertThat(c.getMetadata().getBatchSize()).isEqualTo(4);
              assertThat(c.getTopK()).hasSize(route.limits().topK());
              assertThat(DeadLetters.header(f.record().headers(), DeadLetters.ROUTE))
                  .isEqualTo("images");
            });
    assertThat(DeadLetters.header(out.get(2).record().headers(), DeadLetters.SOURCE_OFFSET))
        .isEqualTo("2");
    assertThat(h.buffered()).isZero();
  }

  @Test
  void shouldRunAPartialBatchOnceItsOldestEventHasWaitedTheDelay() {
    ProcessorHarness h = harness(32, 50);
    h.context.setCurrentSystemTimeMs(1_000);
    h.init();
    h.process("k", image("lonely"));
    h.punctuateAt(1_020);
    assertThat(h.forwarded(route.sinkNode(Route.OUTPUT))).isEmpty();
    h.punctuateAt(1_050);
    assertThat(h.forwarded(route.sinkNode(Route.OUTPUT))).hasSize(1);
    assertThat(h.buffered()).isZero();
  }

  @Test
  void shouldSendAnEventThatIsNotAvroToTheRoutesDeadLetterSinkWithItsBytes() {
    ProcessorHarness h = harness(2, 60_000).init();
    byte[] junk = "this is not avro at all".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    h.process("bad", junk);
    h.process("good", image("good"));
    var dead = h.forwarded(route.deadLetterNode());
    assertThat(dead)
        .singleElement()
        .satisfies(
            f -> {
              assertThat((byte[]) f.record().value()).isEqualTo(junk);
              assertThat(DeadLetters.header(f.record().headers(), DeadLetters.CODE))
                  .isEqualTo("AVRO_BAD_MAGIC");
              assertThat(DeadLetters.header(f.record().headers(), DeadLetters.ROUTE))
                  .isEqualTo("images");
            });
    assertThat(h.forwarded(route.sinkNode(Route.OUTPUT))).hasSize(1);
  }

  @Test
  void shouldRunWhatARestoredBufferHoldsAtTheFirstPunctuation() {
    ProcessorHarness h = harness(32, 50);
    h.buffer.put(
        7L,
        new BufferedRecord(
            route.input(), 0, 41, 1L, "k".getBytes(), image("restored"), new RecordHeaders()));
    h.context.setCurrentSystemTimeMs(5_000);
    h.init();
    h.punctuateAt(5_000);
    assertThat(h.forwarded(route.sinkNode(Route.OUTPUT)))
        .singleElement()
        .satisfies(
            f ->
                assertThat(DeadLetters.header(f.record().headers(), DeadLetters.SOURCE_OFFSET))
                    .isEqualTo("41"));
    assertThat(h.buffered()).isZero();
  }
}
