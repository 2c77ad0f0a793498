package io.streaminfer.pipeline.topology;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.postprocess.TopK;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.RouteKeys;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.Classification;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;

/**
 * What the classification families share: a {@link Classification} out, the route's {@code top.k}
 * and one input limit, and the {@link ClassificationProcessor}; a subclass names its task, event,
 * batch task and how to read an event.
 *
 * @param <E> the Avro event
 * @param <I> the model input read from it
 */
abstract class ClassificationFamily<E extends SpecificRecord, I> implements TaskFamily {
  private final Task task;
  private final Class<E> eventType;
  private final Class<? extends BatchTask<I, ?, List<TopK.Scored>>> taskType;
  private final String limitKey;

  ClassificationFamily(
      Task task,
      Class<E> eventType,
      Class<? extends BatchTask<I, ?, List<TopK.Scored>>> taskType,
      String limitKey) {
    this.task = task;
    this.eventType = eventType;
    this.taskType = taskType;
    this.limitKey = limitKey;
  }

  @Override
  public final Task task() {
    return task;
  }

  @Override
  public final Class<? extends SpecificRecord> eventType() {
    return eventType;
  }

  @Override
  public final Map<String, Class<? extends SpecificRecord>> outputs() {
    return Map.of(Route.OUTPUT, Classification.class);
  }

  @Override
  public final Set<String> routeKeys() {
    return Set.of(RouteKeys.TOP_K, limitKey);
  }

  @Override
  public final Processor<byte[], byte[], Object, Object> processor(
      Route route,
      ModelRegistry models,
      BatchSettings batching,
      PipelineMetrics.RouteMetrics metrics) {
    return new ClassificationProcessor<>(
        route, batching, models, metrics, taskType, eventType, reader(route));
  }

  /** How a route of this family reads an event (with the route's limits). */
  abstract ClassificationProcessor.EventReader<E, I> reader(Route route);
}
