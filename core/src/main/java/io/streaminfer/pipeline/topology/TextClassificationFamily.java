package io.streaminfer.pipeline.topology;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.models.task.TextClassifier;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.RouteKeys;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.dlq.RejectedEventException;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.TextEvent;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;

/** Text classification: {@link TextEvent} → {@link Classification}. */
public final class TextClassificationFamily implements TaskFamily {
  @Override
  public Task task() {
    return Task.TEXT_CLASSIFICATION;
  }

  @Override
  public Class<? extends SpecificRecord> eventType() {
    return TextEvent.class;
  }

  @Override
  public Map<String, Class<? extends SpecificRecord>> outputs() {
    return Map.of(Route.OUTPUT, Classification.class);
  }

  @Override
  public Set<String> routeKeys() {
    return Set.of(RouteKeys.TOP_K, RouteKeys.MAX_CHARS);
  }

  @Override
  public BatchTask<?, ?, ?> newTask(OnnxModel model) {
    return new TextClassifier(model);
  }

  @Override
  public Processor<byte[], byte[], Object, Object> processor(
      Route route,
      ModelRegistry models,
      BatchSettings batching,
      PipelineMetrics.RouteMetrics metrics) {
    return new ClassificationProcessor<>(
        route,
        batching,
        models,
        metrics,
        TextClassifier.class,
        TextEvent.class,
        new Reader(route.limits().maxChars()));
  }

  /** Reads a text event; refuses texts over the route's max.chars and texts that were not UTF-8. */
  static final class Reader implements ClassificationProcessor.EventReader<TextEvent, String> {
    private final int maxChars;

    Reader(int maxChars) {
      this.maxChars = maxChars;
    }

    @Override
    public String id(TextEvent e) {
      return e.getId();
    }

    @Override
    public Instant eventTime(TextEvent e) {
      return e.getEventTime();
    }

    @Override
    public String trueLabel(TextEvent e) {
      return e.getLabel();
    }

    @Override
    public String input(TextEvent e) {
      String text = e.getText();
      if (text.length() > maxChars) {
        throw new RejectedEventException(
            ErrorCode.TEXT_TOO_LONG,
            "",
            "text of " + text.length() + " characters exceeds the route's max.chars=" + maxChars);
      }
      if (text.indexOf('\uFFFD') >= 0) {
        throw new RejectedEventException(
            ErrorCode.TEXT_INVALID_UTF8, "", "text was not valid UTF-8 (contains U+FFFD)");
      }
      return text;
    }
  }
}
