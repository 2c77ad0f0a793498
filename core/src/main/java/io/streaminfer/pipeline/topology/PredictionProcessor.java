package io.streaminfer.pipeline.topology;

import io.streaminfer.models.task.BatchTask;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.batch.BufferedRecord;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.pipeline.model.Serving;
import io.streaminfer.schemas.InferenceMetadata;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;

/**
 * Serves one prediction per event on one route (image and text classification, text embedding) in
 * micro-batches: each buffered event is decoded, validated and routed to its model; the valid ones
 * of a model run together; each yields its output record keyed by the event id, each invalid one a
 * dead letter with its typed reason.
 *
 * @param <E> the Avro event
 * @param <I> the model input extracted from it
 * @param <R> the batch task's result for one input
 */
final class PredictionProcessor<E extends SpecificRecord, I, R> extends ServingProcessor {

  /**
   * How to read one kind of event: its id, event time, true label (or null) and model input; {@code
   * input} throws RejectedEventException for an invalid event.
   */
  record EventReader<E, I>(
      Function<E, String> id,
      Function<E, Instant> eventTime,
      Function<E, String> trueLabel,
      Function<E, I> input) {}

  /** Builds the output record of one event from its task's result. */
  @FunctionalInterface
  interface Output<E, R> {
    /**
     * The record for {@code event}, read with {@code reader}, from {@code result} of {@code task}
     * with its {@code metadata}.
     */
    SpecificRecord build(
        EventReader<E, ?> reader,
        E event,
        R result,
        BatchTask<?, ?, R> task,
        InferenceMetadata metadata);
  }

  private final Class<? extends BatchTask<I, ?, R>> taskType;
  private final Batches.Decoder<E> decoder;
  private final EventReader<E, I> reader;
  private final Output<E, R> output;
  private final String predictionsChild;
  private final String shadowChild;

  PredictionProcessor(
      Route route,
      BatchSettings batching,
      ModelRegistry models,
      PipelineMetrics.RouteMetrics metrics,
      Class<? extends BatchTask<I, ?, R>> taskType,
      Class<E> eventType,
      EventReader<E, I> reader,
      Output<E, R> output) {
    super(route, batching, models, metrics);
    this.taskType = taskType;
    this.decoder = new Batches.Decoder<>(eventType);
    this.reader = reader;
    this.output = output;
    this.predictionsChild = route.sinkNode(Route.OUTPUT);
    this.shadowChild = route.sinkNode(Route.SHADOW);
  }

  private record Item<E, I>(int index, E event, I input) {}

  @Override
  protected void handle(List<BufferedRecord> batch, Serving now) {
    Runnable[] actions = new Runnable[batch.size()];
    SpecificRecord[] served = new SpecificRecord[batch.size()];
    Map<BatchTask<I, ?, R>, List<Item<E, I>>> byModel = new LinkedHashMap<>();
    List<Item<E, I>> shadowed = new ArrayList<>(); // served by the route's versions, not a header
    for (int i = 0; i < batch.size(); i++) {
      BufferedRecord src = batch.get(i);
      try {
        E event = decoder.decode(src);
        String id = reader.id().apply(event);
        Outcomes.require(id != null && !id.isBlank(), ErrorCode.MISSING_ID, "event has no id");
        BatchTask<I, ?, R> task = models().route(src.headers(), src.key(), now, taskType);
        if (now.canary() != null && src.headers().lastHeader(ModelRegistry.MODEL_HEADER) == null) {
          metrics().split(task == now.canary());
        }
        Item<E, I> item = new Item<>(i, event, reader.input().apply(event));
        byModel.computeIfAbsent(task, t -> new ArrayList<>()).add(item);
        if (now.shadow() != null && src.headers().lastHeader(ModelRegistry.MODEL_HEADER) == null) {
          shadowed.add(item);
        }
      } catch (RuntimeException e) {
        actions[i] = () -> deadLetter(src, e, "");
      }
    }
    byModel.forEach(
        (task, items) -> {
          var ran =
              Batches.run(
                  task, items.stream().map(Item::input).toList(), settings().maxSize(), metrics());
          for (int k = 0; k < items.size(); k++) {
            Item<E, I> item = items.get(k);
            BufferedRecord src = batch.get(item.index());
            Batches.Ran<R> r = ran.get(k);
            if (!r.outcome().ok()) {
              var e = r.outcome().error();
              actions[item.index()] = () -> deadLetter(src, e, task.model().card().id());
              continue;
            }
            SpecificRecord out;
            try {
              out = build(item, r, task, src, now);
            } catch (RuntimeException e) { // a result the output record cannot hold
              actions[item.index()] = () -> deadLetter(src, e, task.model().card().id());
              continue;
            }
            String key = reader.id().apply(item.event());
            served[item.index()] = out;
            actions[item.index()] =
                () -> emitPrediction(predictionsChild, key, out, src, task.model());
          }
        });
    for (Runnable a : actions) {
      a.run();
    }
    if (!shadowed.isEmpty()) {
      shadow(batch, now, shadowed, served);
    }
  }

  /**
   * Runs the route's shadow on the events its versions served and writes its predictions to the
   * shadow topic (never to the route's output, never a dead letter: a shadow's failure is counted
   * and leaves the route's answers as they are); counts whether each agrees with what was served.
   */
  private void shadow(
      List<BufferedRecord> batch, Serving now, List<Item<E, I>> items, SpecificRecord[] served) {
    BatchTask<I, ?, R> shadow = taskType.cast(now.shadow());
    var ran =
        Batches.run(
            shadow, items.stream().map(Item::input).toList(), settings().maxSize(), metrics());
    for (int k = 0; k < items.size(); k++) {
      Item<E, I> item = items.get(k);
      BufferedRecord src = batch.get(item.index());
      Batches.Ran<R> r = ran.get(k);
      SpecificRecord out = null;
      if (r.outcome().ok()) {
        try {
          out = build(item, r, shadow, src, now);
        } catch (RuntimeException e) {
          out = null;
        }
      }
      if (out == null) {
        metrics().shadowFailed();
        continue;
      }
      emit(shadowChild, reader.id().apply(item.event()), out, src);
      metrics().shadow(Agreement.of(served[item.index()], out));
    }
  }

  private SpecificRecord build(
      Item<E, I> item, Batches.Ran<R> r, BatchTask<I, ?, R> task, BufferedRecord src, Serving now) {
    return output.build(
        reader,
        item.event(),
        r.outcome().value(),
        task,
        Metadata.of(task.model(), r.batch(), src.timestamp(), now.controlOffset()));
  }
}
