package io.streaminfer.pipeline.topology;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.postprocess.ClassScores;
import io.streaminfer.models.postprocess.TopK;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.RouteKeys;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.LabelScore;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;

/**
 * What the classification families share: a {@link Classification} out, the route's {@code top.k}
 * and one input limit, and the {@link PredictionProcessor}; a subclass names its task, event, batch
 * task and how to read an event.
 *
 * @param <E> the Avro event
 * @param <I> the model input read from it
 */
abstract class ClassificationFamily<E extends SpecificRecord, I> implements TaskFamily {
  private final Task task;
  private final Class<E> eventType;
  private final Class<? extends BatchTask<I, ?, ClassScores.Classified>> taskType;
  private final Set<String> routeKeys;

  ClassificationFamily(
      Task task,
      Class<E> eventType,
      Class<? extends BatchTask<I, ?, ClassScores.Classified>> taskType,
      String... limitKeys) {
    this.task = task;
    this.eventType = eventType;
    this.taskType = taskType;
    Set<String> keys = new java.util.HashSet<>(List.of(limitKeys));
    keys.add(RouteKeys.TOP_K);
    this.routeKeys = Set.copyOf(keys);
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
    return routeKeys;
  }

  @Override
  public final Processor<byte[], byte[], Object, Object> processor(
      Route route,
      ModelRegistry models,
      BatchSettings batching,
      PipelineMetrics.RouteMetrics metrics) {
    int topK = route.limits().topK();
    return new PredictionProcessor<E, I, ClassScores.Classified>(
        route,
        batching,
        models,
        metrics,
        taskType,
        eventType,
        reader(route),
        (reader, event, c, task, metadata) ->
            Classification.newBuilder()
                .setId(reader.id().apply(event))
                .setEventTime(reader.eventTime().apply(event))
                .setLabel(c.best().label())
                .setScore(c.best().score())
                .setTopK(scores(c.top().subList(0, Math.min(topK, c.top().size()))))
                .setAccepted(c.accepted() == null ? null : scores(c.accepted()))
                .setTrueLabel(reader.trueLabel().apply(event))
                .setMetadata(metadata)
                .build());
  }

  private static List<LabelScore> scores(List<TopK.Scored> scored) {
    return scored.stream()
        .map(s -> LabelScore.newBuilder().setLabel(s.label()).setScore(s.score()).build())
        .toList();
  }

  /** How a route of this family reads an event (with the route's limits). */
  abstract PredictionProcessor.EventReader<E, I> reader(Route route);
}
