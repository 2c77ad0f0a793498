package io.streaminfer.pipeline.topology;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.models.task.TextClassifier;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.RouteKeys;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.dlq.RejectedEventException;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.TextEvent;

/** Text classification: {@link TextEvent} → {@link Classification}. */
public final class TextClassificationFamily extends ClassificationFamily<TextEvent, String> {
  /** The family (found through ServiceLoader). */
  public TextClassificationFamily() {
    super(Task.TEXT_CLASSIFICATION, TextEvent.class, TextClassifier.class, RouteKeys.MAX_CHARS);
  }

  @Override
  public BatchTask<?, ?, ?> newTask(OnnxModel model) {
    return new TextClassifier(model);
  }

  @Override
  ClassificationProcessor.EventReader<TextEvent, String> reader(Route route) {
    int maxChars = route.limits().maxChars();
    return ClassificationProcessor.EventReader.of(
        TextEvent::getId, TextEvent::getEventTime, TextEvent::getLabel, e -> input(e, maxChars));
  }

  /** The text of {@code e}; refuses texts over {@code maxChars} and texts that were not UTF-8. */
  static String input(TextEvent e, int maxChars) {
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
