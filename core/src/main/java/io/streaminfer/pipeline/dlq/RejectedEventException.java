package io.streaminfer.pipeline.dlq;

/**
 * An input that cannot become a prediction, with its typed reason. Thrown by processors and turned
 * into a dead letter by {@link DeadLetterProcessingHandler}; carries no stack trace (it is an
 * expected outcome, not a bug).
 */
public class RejectedEventException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ErrorCode code;
  private final String model;

  /** Creates the exception; {@code model} is {@code name:version} or empty. */
  public RejectedEventException(ErrorCode code, String model, String message) {
    super(message, null, false, false);
    this.code = code;
    this.model = model;
  }

  /** The typed reason. */
  public ErrorCode code() {
    return code;
  }

  /** The model involved ({@code name:version}), or empty. */
  public String model() {
    return model;
  }
}
