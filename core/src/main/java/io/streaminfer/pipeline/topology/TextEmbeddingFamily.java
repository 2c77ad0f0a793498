package io.streaminfer.pipeline.topology;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.models.task.TextEmbedder;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.RouteKeys;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.Embedding;
import io.streaminfer.schemas.TextEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;

/**
 * Text embedding: {@link TextEvent} → {@link Embedding}, one vector per text, computed in the
 * stream's own transaction. Texts are checked as the text classifiers check them ({@code
 * max.chars}, UTF-8, visible characters).
 */
public final class TextEmbeddingFamily implements TaskFamily {
  @Override
  public Task task() {
    return Task.TEXT_EMBEDDING;
  }

  @Override
  public Class<? extends SpecificRecord> eventType() {
    return TextEvent.class;
  }

  @Override
  public Map<String, Class<? extends SpecificRecord>> outputs() {
    return Map.of(Route.OUTPUT, Embedding.class);
  }

  @Override
  public Set<String> routeKeys() {
    return Set.of(RouteKeys.MAX_CHARS);
  }

  @Override
  public BatchTask<?, ?, ?> newTask(OnnxModel model) {
    return new TextEmbedder(model);
  }

  @Override
  public Processor<byte[], byte[], Object, Object> processor(
      Route route,
      ModelRegistry models,
      BatchSettings batching,
      PipelineMetrics.RouteMetrics metrics) {
    return new PredictionProcessor<TextEvent, String, TextEmbedder.Vector>(
        route,
        batching,
        models,
        metrics,
        TextEmbedder.class,
        TextEvent.class,
        TextClassificationFamily.textReader(route),
        (reader, event, v, task, metadata) -> {
          TextEmbedder embedder = (TextEmbedder) task;
          List<Float> vector = new ArrayList<>(v.values().length);
          for (float x : v.values()) {
            vector.add(x);
          }
          return Embedding.newBuilder()
              .setId(event.getId())
              .setEventTime(event.getEventTime())
              .setVector(vector)
              .setPooling(embedder.pooling().name().toLowerCase(Locale.ROOT))
              .setNormalized(embedder.normalized())
              .setTokens(v.tokens())
              .setTrueLabel(event.getLabel())
              .setMetadata(metadata)
              .build();
        });
  }
}
