package io.streaminfer.models.card;

/** What a model does; decides which pre- and post-processing its card must describe. */
public enum Task {
  IMAGE_CLASSIFICATION("image-classification"),
  TEXT_CLASSIFICATION("text-classification"),
  TEXT_EMBEDDING("text-embedding"),
  TIME_SERIES_FORECAST("time-series-forecast"),
  IMAGE_GENERATION("image-generation");

  private final String id;

  Task(String id) {
    this.id = id;
  }

  /** The name used in model cards. */
  public String id() {
    return id;
  }

  /** Parses a card's {@code task}; throws naming the accepted values. */
  public static Task fromId(String id) {
    for (Task t : values()) {
      if (t.id.equals(id)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "unknown task '"
            + id
            + "' (expected one of "
            + java.util.Arrays.stream(values()).map(Task::id).toList()
            + ")");
  }
}
