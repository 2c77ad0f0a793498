package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.GenerationRequest;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The generation route's processor alone, on a MockProcessorContext. */
class GenerationProcessorTest {
  private static StreamInferConfig config;
  private static ModelRegistry models;
  private static Route route;

  @BeforeAll
  static void load() {
    config = TestConfigs.config(Map.of("routes.generation.max.samples", "4"));
    models = ModelRegistry.open(config);
    route = config.route("generation");
  }

  @AfterAll
  static void close() {
    models.close();
  }

  private static byte[] request(String id, String label, int samples) {
    return AvroSerdes.serde(GenerationRequest.class)
        .serializer()
        .serialize(
            "",
            GenerationRequest.newBuilder()
                .setId(id)
                .setEventTime(Instant.parse("2026-01-01T00:00:00Z"))
                .setLabel(label)
                .setSamples(samples)
                .setSeed(11)
                .build());
  }

  @Test
  void shouldGenerateEverySampleOfEveryRequestInOneBatchAndRefuseWhatTheRouteDoesNotAllow() {
    var p =
        new GenerationProcessor(
            route,
            new BatchSettings(4, Duration.ofMillis(50)),
            models,
            PipelineMetrics.inMemory().route(route.name()));
    ProcessorHarness h = new ProcessorHarness(route, new GenerationFamily(), p).init();
    h.process("a", request("a", "3", 2));
    h.process("b", request("b", "7", 3));
    h.process("c", request("c", "7", 5)); // over the route's max.samples
    h.process("d", request("d", "x", 1)); // a class the model lacks

    var images = h.forwarded(route.sinkNode(Route.OUTPUT));
    assertThat(images)
        .extracting(f -> ((GeneratedImage) f.record().value()).getId())
        .containsExactly("a", "a", "b", "b", "b");
    // the five samples run in runs of at most the batch size (4), each a PNG
    assertThat(images)
        .extracting(f -> ((GeneratedImage) f.record().value()).getMetadata().getBatchSize())
        .containsExactly(4, 4, 4, 4, 1);
    assertThat(images)
        .allSatisfy(
            f ->
                assertThat(((GeneratedImage) f.record().value()).getPng().remaining())
                    .isPositive());
    assertThat(h.forwarded(route.deadLetterNode()))
        .extracting(f -> DeadLetters.header(f.record().headers(), DeadLetters.CODE))
        .containsExactly("SAMPLE_COUNT", "UNKNOWN_CLASS");
  }
}
