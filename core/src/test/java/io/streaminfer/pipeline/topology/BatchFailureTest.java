package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.batch.BatchingProcessor;
import io.streaminfer.pipeline.batch.BufferedRecord;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A batch whose handling fails as a whole does not stay in the buffer to fail again. */
class BatchFailureTest {
  private static final Route ROUTE = TestConfigs.config(Map.of()).route("images");

  /** Fails its first batch, then forwards every record. */
  private static final class FailingOnce extends BatchingProcessor {
    private boolean failed;

    FailingOnce() {
      super(
          PipelineMetrics.inMemory().route(ROUTE.name()),
          ROUTE.bufferStore(),
          new BatchSettings(2, Duration.ofMillis(50)),
          ROUTE.deadLetterNode());
    }

    @Override
    protected void handle(List<BufferedRecord> batch) {
      if (!failed) {
        failed = true;
        throw new IllegalStateException("a bug in the batch");
      }
      batch.forEach(r -> emit(ROUTE.sinkNode(Route.OUTPUT), r.key(), r.value(), r));
    }
  }

  @Test
  void shouldDeadLetterEveryRecordOfAFailedBatchAndCarryOn() {
    ProcessorHarness h =
        new ProcessorHarness(ROUTE, new ImageClassificationFamily(), new FailingOnce()).init();
    h.process("a", new byte[] {1});
    h.process("b", new byte[] {2});
    assertThat(h.forwarded(ROUTE.deadLetterNode()))
        .extracting(f -> DeadLetters.header(f.record().headers(), DeadLetters.CODE))
        .containsExactly("INTERNAL", "INTERNAL");
    assertThat(h.buffered()).isZero();

    h.process("c", new byte[] {3});
    h.process("d", new byte[] {4});
    assertThat(h.forwarded(ROUTE.sinkNode(Route.OUTPUT))).hasSize(2);
    assertThat(h.forwarded(ROUTE.deadLetterNode())).as("no new dead letter").hasSize(2);
  }
}
