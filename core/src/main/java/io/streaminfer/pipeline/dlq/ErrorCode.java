package io.streaminfer.pipeline.dlq;

import io.streaminfer.models.InferenceException;
import io.streaminfer.schemas.serde.InvalidAvroMessageException;

/**
 * Typed reasons carried by every dead letter in the {@code streaminfer.error.code} header.
 * Consumers of the dead-letter topic can switch on these names; they are a contract.
 */
public enum ErrorCode {
  /** Fewer bytes than the single-object header needs. */
  AVRO_TRUNCATED_HEADER,
  /** Not single-object encoded Avro (wrong marker bytes). */
  AVRO_BAD_MAGIC,
  /** A schema fingerprint this pipeline does not know. */
  AVRO_UNKNOWN_FINGERPRINT,
  /** A valid record of another StreamInfer type on this topic. */
  AVRO_WRONG_TYPE,
  /** The Avro body ends early. */
  AVRO_TRUNCATED_BODY,
  /** The Avro body does not decode. */
  AVRO_MALFORMED_BODY,
  /** Bytes left over after the record. */
  AVRO_TRAILING_BYTES,
  /** A record without a value (tombstone) on an input topic. */
  EMPTY_VALUE,
  /** A sensor reading without a key, or whose key is not its sensor id. */
  MISSING_KEY,
  /** An event without an id. */
  MISSING_ID,
  /** Image bytes that do not decode, or raw bytes that disagree with width × height × channels. */
  IMAGE_UNDECODABLE,
  /** Image dimensions zero, negative or beyond the accepted size. */
  IMAGE_DIMENSIONS,
  /** Image payload larger than accepted. */
  PAYLOAD_TOO_LARGE,
  /** Text empty or only whitespace. */
  TEXT_EMPTY,
  /** Text longer than accepted. */
  TEXT_TOO_LONG,
  /** Text whose every token is the model's tokenizer's unknown token: nothing for it to read. */
  TEXT_UNENCODABLE,
  /** Text containing U+FFFD (it was not valid UTF-8 before decoding). */
  TEXT_INVALID_UTF8,
  /** A NaN or infinite reading. */
  READING_NOT_FINITE,
  /**
   * A reading with another number of values (its value and features) than the route's models take.
   */
  READING_FEATURES,
  /**
   * A sensor's stored recurrent state is of the route's stateful model (same name and version) but
   * not of its state's shape (a corrupt or tampered store): the reading is refused, not fed
   * garbage, and the sensor starts afresh from its next reading.
   */
  STATE_MISMATCH,
  /** A reading not newer than the sensor's last one (duplicate or out of order). */
  READING_OUT_OF_ORDER,
  /**
   * A reading whose event time lies further past the wall clock than the route's max.future.ms (a
   * clock or unit error): accepted, it would refuse every later reading of its sensor.
   */
  READING_TIME_SKEW,
  /**
   * A reading read again after an at-least-once crash whose effect the sensor's state already
   * holds, but which is older than the kept history (sensor.replay.history), so its forecasts
   * cannot be recomputed. Never happens under exactly_once_v2.
   */
  READING_REPLAYED,
  /** A generation request for a class the model does not have. */
  UNKNOWN_CLASS,
  /** A generation request for zero, negative or too many samples. */
  SAMPLE_COUNT,
  /** A {@code model} header naming no loaded model or version. */
  UNKNOWN_MODEL,
  /** A {@code model} header naming a model of another task. */
  WRONG_TASK_MODEL,
  /** ONNX Runtime failed. */
  INFERENCE_FAILED,
  /** A prediction could not be written to its output topic. */
  PRODUCTION_FAILED,
  /** Anything else (a bug): the message says what. */
  INTERNAL;

  /**
   * The code for a deserialization failure (see {@link DeadLetters#codeOf}, the one translation).
   */
  static ErrorCode of(InvalidAvroMessageException e) {
    return switch (e.reason()) {
      case TRUNCATED_HEADER -> AVRO_TRUNCATED_HEADER;
      case BAD_MAGIC -> AVRO_BAD_MAGIC;
      case UNKNOWN_FINGERPRINT -> AVRO_UNKNOWN_FINGERPRINT;
      case TRUNCATED_BODY -> AVRO_TRUNCATED_BODY;
      case MALFORMED_BODY -> AVRO_MALFORMED_BODY;
      case TRAILING_BYTES -> AVRO_TRAILING_BYTES;
    };
  }

  /** The code for a model-side failure. */
  static ErrorCode of(InferenceException e) {
    return switch (e.reason()) {
      case IMAGE_UNDECODABLE -> IMAGE_UNDECODABLE;
      case IMAGE_DIMENSIONS -> IMAGE_DIMENSIONS;
      case TEXT_EMPTY -> TEXT_EMPTY;
      case TEXT_TOO_LONG -> TEXT_TOO_LONG;
      case TEXT_UNENCODABLE -> TEXT_UNENCODABLE;
      case READING_NOT_FINITE -> READING_NOT_FINITE;
      case READING_FEATURES -> READING_FEATURES;
      case UNKNOWN_CLASS -> UNKNOWN_CLASS;
      case SAMPLE_COUNT -> SAMPLE_COUNT;
      case RUNTIME -> INFERENCE_FAILED;
    };
  }
}
