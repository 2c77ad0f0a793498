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
  PredictionProcessor.EventReader<TextEvent, String> reader(Route route) {
    return textReader(route);
  }

  /** How a text route reads an event: its text checked against the route's max.chars. */
  static PredictionProcessor.EventReader<TextEvent, String> textReader(Route route) {
    int maxChars = route.limits().maxChars();
    return new PredictionProcessor.EventReader<>(
        TextEvent::getId, TextEvent::getEventTime, TextEvent::getLabel, e -> input(e, maxChars));
  }

  /**
   * The text of {@code e}; refuses texts over {@code maxChars} characters (code points, so an emoji
   * counts one), texts that were not UTF-8, and texts that show nothing.
   */
  static String input(TextEvent e, int maxChars) {
    String text = e.getText();
    int chars = text.codePointCount(0, text.length());
    if (chars > maxChars) {
      throw new RejectedEventException(
          ErrorCode.TEXT_TOO_LONG,
          "",
          "text of " + chars + " characters exceeds the route's max.chars=" + maxChars);
    }
    if (text.indexOf('\uFFFD') >= 0) {
      throw new RejectedEventException(
          ErrorCode.TEXT_INVALID_UTF8, "", "text was not valid UTF-8 (contains U+FFFD)");
    }
    if (text.codePoints().allMatch(TextClassificationFamily::invisible)) {
      throw new RejectedEventException(
          ErrorCode.TEXT_EMPTY, "", "text is empty or only whitespace or invisible characters");
    }
    return text;
  }

  /**
   * Whether {@code cp} shows nothing: Unicode white space and space separators (NBSP, ideographic
   * space …), format characters (zero-width space and joiners, byte-order mark …) and controls.
   */
  static boolean invisible(int cp) {
    return Character.isWhitespace(cp)
        || Character.isSpaceChar(cp)
        || Character.getType(cp) == Character.FORMAT
        || Character.isISOControl(cp);
  }
}
