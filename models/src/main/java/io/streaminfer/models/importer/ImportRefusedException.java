package io.streaminfer.models.importer;

import io.streaminfer.models.ModelLoadException;

/** {@code model import} cannot bring a model in; the message names the tensor, key or file. */
public final class ImportRefusedException extends ModelLoadException {
  private static final long serialVersionUID = 1L;

  /** A refusal with its reason. */
  public ImportRefusedException(String message) {
    super(message);
  }

  /** A refusal with its reason and cause. */
  public ImportRefusedException(String message, Throwable cause) {
    super(message, cause);
  }
}
