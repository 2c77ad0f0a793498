package io.streaminfer.models;

/**
 * A model could not be loaded: a missing or tampered file, an invalid card, a session that ONNX
 * Runtime refused, or an execution provider that could not start. The message names the model and
 * the file or setting at fault.
 */
public class ModelLoadException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the model and the file at fault. */
  public ModelLoadException(String message) {
    super(message);
  }

  /** Creates the exception with its underlying cause. */
  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
