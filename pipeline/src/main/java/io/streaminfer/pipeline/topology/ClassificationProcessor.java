package io.streaminfer.pipeline.topology;

import io.streaminfer.models.postprocess.TopK;
import io.streaminfer.models.task.BatchResult;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.LabelScore;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Classifies one kind of event (images or texts) with the routed model and forwards a {@link
 * Classification} keyed by the event id. An event that cannot be classified is rejected with a
 * typed reason and ends in the dead letters.
 *
 * @param <E> the Avro event
 * @param <I> the model input extracted from it
 */
final class ClassificationProcessor<E, I> implements Processor<String, E, String, Classification> {

  /** How to read one kind of event. */
  interface EventReader<E, I> {
    String id(E event);

    Instant eventTime(E event);

    String trueLabel(E event);

    /** The model input; throws RejectedEventException for invalid events. */
    I input(E event);
  }

  private final ModelRegistry models;
  private final String defaultModel;
  private final Class<? extends BatchTask<I, ?, List<TopK.Scored>>> taskType;
  private final EventReader<E, I> reader;
  private final int topK;
  private ProcessorContext<String, Classification> context;

  ClassificationProcessor(ModelRegistry models, String defaultModel,
      Class<? extends BatchTask<I, ?, List<TopK.Scored>>> taskType, EventReader<E, I> reader, int topK) {
    this.models = models;
    this.defaultModel = defaultModel;
    this.taskType = taskType;
    this.reader = reader;
    this.topK = topK;
  }

  @Override
  public void init(ProcessorContext<String, Classification> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, E> record) {
    E event = record.value();
    Outcomes.require(event != null, ErrorCode.EMPTY_VALUE, "record has no value");
    String id = reader.id(event);
    Outcomes.require(id != null && !id.isBlank(), ErrorCode.MISSING_ID, "event has no id");
    BatchTask<I, ?, List<TopK.Scored>> task = models.route(record.headers(), defaultModel, taskType);
    I input = reader.input(event);
    BatchResult<List<TopK.Scored>> result = task.run(List.of(input));
    List<TopK.Scored> top = Outcomes.valueOrReject(result.outcomes().get(0), task);
    List<LabelScore> scores = top.stream().limit(topK)
        .map(s -> LabelScore.newBuilder().setLabel(s.label()).setScore(s.score()).build()).toList();
    Classification out = Classification.newBuilder()
        .setId(id)
        .setEventTime(reader.eventTime(event))
        .setLabel(top.get(0).label())
        .setScore(top.get(0).score())
        .setTopK(scores)
        .setTrueLabel(reader.trueLabel(event))
        .setMetadata(Metadata.of(task.model(), result, record.timestamp()))
        .build();
    context.forward(record.withKey(id).withValue(out));
  }
}
