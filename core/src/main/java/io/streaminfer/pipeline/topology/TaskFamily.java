package io.streaminfer.pipeline.topology;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Everything StreamInfer knows about one task family, in one class: the event schema it reads, the
 * {@link BatchTask} that pre- and post-processes a model of its task, its output roles and their
 * schemas, the route keys it reads, and the processor (plus stores) a route of it runs. Found by
 * the model card's task through {@link ServiceLoader} ({@code
 * META-INF/services/io.streaminfer.pipeline.topology.TaskFamily}), so no other code switches over
 * kinds of event; a new family is one class and one line there.
 *
 * <p>Implementations are stateless and thread-safe; the processors they build are per task (one per
 * stream task, as Kafka Streams requires).
 */
public interface TaskFamily {
  /** The model-card task this family serves. */
  Task task();

  /** The Avro record its input topic carries. */
  Class<? extends SpecificRecord> eventType();

  /**
   * Output roles (each a route key naming a topic) and their record types, {@link Route#OUTPUT}
   * first.
   */
  Map<String, Class<? extends SpecificRecord>> outputs();

  /** The route keys it reads beyond the common ones and its output roles ({@code top.k}, …). */
  Set<String> routeKeys();

  /** Whether one route runs several models on every event (forecasts) rather than one. */
  default boolean servesSeveralModels() {
    return false;
  }

  /** The batch task over {@code model} (a model of {@link #task()}; does not own it). */
  BatchTask<?, ?, ?> newTask(OnnxModel model);

  /**
   * Checks that the tasks of {@code route}'s models can serve it together; throws {@link
   * io.streaminfer.pipeline.config.ConfigException} naming the route's key when not. Nothing to
   * check by default.
   */
  default void checkModels(Route route, List<BatchTask<?, ?, ?>> tasks) {}

  /** The state stores its processor uses besides the route's batch buffer. */
  default List<StoreBuilder<?>> stores(Route route) {
    return List.of();
  }

  /**
   * A processor for one stream task of {@code route}: it buffers into {@link Route#bufferStore()},
   * forwards predictions to {@link Route#sinkNode(String)} and dead letters to {@link
   * Route#deadLetterNode()}, counting into the route's {@code metrics}. The registry is not owned.
   */
  Processor<byte[], byte[], Object, Object> processor(
      Route route,
      ModelRegistry models,
      BatchSettings batching,
      PipelineMetrics.RouteMetrics metrics);

  /** The family of {@code task}; fails when none is on the class path. */
  static TaskFamily of(Task task) {
    TaskFamily f = Registry.BY_TASK.get(task);
    if (f == null) {
      throw new IllegalStateException("no task family for " + task.id() + " on the class path");
    }
    return f;
  }

  /** Every family on the class path. */
  static List<TaskFamily> all() {
    return List.copyOf(Registry.BY_TASK.values());
  }

  /** Holder of the families found on the class path (loaded once). */
  final class Registry {
    private static final Map<Task, TaskFamily> BY_TASK = load();

    private Registry() {}

    private static Map<Task, TaskFamily> load() {
      Map<Task, TaskFamily> m = new EnumMap<>(Task.class);
      for (TaskFamily f : ServiceLoader.load(TaskFamily.class, TaskFamily.class.getClassLoader())) {
        TaskFamily before = m.putIfAbsent(f.task(), f);
        if (before != null) {
          throw new IllegalStateException(
              "two task families for "
                  + f.task().id()
                  + ": "
                  + before.getClass().getName()
                  + " and "
                  + f.getClass().getName());
        }
      }
      return m;
    }
  }
}
