package io.streaminfer.pipeline.topology;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.models.task.ImageGenerator;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.RouteKeys;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.GenerationRequest;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;

/** Image generation: {@link GenerationRequest} → one {@link GeneratedImage} (PNG) per sample. */
public final class GenerationFamily implements TaskFamily {
  @Override
  public Task task() {
    return Task.IMAGE_GENERATION;
  }

  @Override
  public Class<? extends SpecificRecord> eventType() {
    return GenerationRequest.class;
  }

  @Override
  public Map<String, Class<? extends SpecificRecord>> outputs() {
    return Map.of(Route.OUTPUT, GeneratedImage.class);
  }

  @Override
  public Set<String> routeKeys() {
    return Set.of(RouteKeys.MAX_SAMPLES);
  }

  @Override
  public BatchTask<?, ?, ?> newTask(OnnxModel model) {
    return new ImageGenerator(model);
  }

  @Override
  public Processor<byte[], byte[], Object, Object> processor(
      Route route,
      ModelRegistry models,
      BatchSettings batching,
      PipelineMetrics.RouteMetrics metrics) {
    return new GenerationProcessor(route, batching, models, metrics);
  }
}
