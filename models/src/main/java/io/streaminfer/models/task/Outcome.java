package io.streaminfer.models.task;

import io.streaminfer.models.InferenceException;

/**
 * The result for one input of a batch: a value, or the reason it could not become one. One bad
 * input never fails the rest of its batch.
 *
 * @param value the result, or null on failure
 * @param error the failure, or null on success
 * @param <R> the result type
 */
public record Outcome<R>(R value, InferenceException error) {

  /** A success. */
  public static <R> Outcome<R> ok(R value) {
    return new Outcome<>(value, null);
  }

  /** A failure. */
  public static <R> Outcome<R> failed(InferenceException error) {
    return new Outcome<>(null, error);
  }

  /** Whether this is a success. */
  public boolean ok() {
    return error == null;
  }
}
