package io.streaminfer.models;

/**
 * Running a model, or preparing its input, failed. Carries the model name and version and a {@link
 * Reason} that the pipeline maps to a dead-letter error code.
 */
public class InferenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why an input could not become a prediction. */
  public enum Reason {
    /** Image bytes that PNG/JPEG decoders reject, or raw bytes that disagree with the size. */
    IMAGE_UNDECODABLE,
    /** Image dimensions outside the accepted range. */
    IMAGE_DIMENSIONS,
    /** Text that is empty or only whitespace after normalisation. */
    TEXT_EMPTY,
    /** Text with more tokens than the model takes, where its card refuses rather than truncates. */
    TEXT_TOO_LONG,
    /** Text whose every token is the tokenizer's unknown token. */
    TEXT_UNENCODABLE,
    /** A reading that is NaN or infinite. */
    READING_NOT_FINITE,
    /** A reading with another number of values (value and features) than the model takes. */
    READING_FEATURES,
    /** A generation request naming a class the model does not have. */
    UNKNOWN_CLASS,
    /** A generation request for zero, negative or too many samples. */
    SAMPLE_COUNT,
    /** ONNX Runtime failed while running the model. */
    RUNTIME
  }

  private final Reason reason;
  private final String model;

  /** Creates the exception; {@code model} is {@code name:version} or empty when not known. */
  public InferenceException(Reason reason, String model, String message) {
    this(reason, model, message, null);
  }

  /** Creates the exception with its underlying cause. */
  public InferenceException(Reason reason, String model, String message, Throwable cause) {
    super(model.isEmpty() ? message : model + ": " + message, cause);
    this.reason = reason;
    this.model = model;
  }

  /** Why the input could not become a prediction. */
  public Reason reason() {
    return reason;
  }

  /** The model as {@code name:version}, or empty. */
  public String model() {
    return model;
  }
}
