package io.streaminfer.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Bytes that are not a valid Avro single-object encoded message of the expected record type.
 *
 * <p>Thrown by the deserializers that {@link AvroSerdes} makes. The message names the topic, the
 * expected record type and what was wrong, e.g. a wrong magic header or a schema fingerprint that
 * the deserializer's {@link org.apache.avro.message.SchemaStore} does not know. Being a Kafka
 * {@link SerializationException}, it reaches Kafka Streams' deserialization exception handler,
 * which routes the record to dead letters.
 */
public final class InvalidAvroMessageException extends SerializationException {

  private static final long serialVersionUID = 1L;

  /** What was wrong with the bytes. */
  public enum Reason {
    /** Fewer bytes than the 10-byte single-object header. */
    TRUNCATED_HEADER,
    /** The first two bytes are not the single-object marker {@code C3 01}. */
    BAD_MAGIC,
    /** The writer schema's fingerprint is neither the reader's nor registered in the store. */
    UNKNOWN_FINGERPRINT,
    /** The body ended before the record did. */
    TRUNCATED_BODY,
    /** The body does not decode with the writer schema. */
    MALFORMED_BODY,
    /** Bytes are left over after the record. */
    TRAILING_BYTES
  }

  private final Reason reason;
  private final String expectedType;
  private final String topic;
  private final Long writerFingerprint;

  /**
   * As {@link #InvalidAvroMessageException(Reason, String, String, String, Throwable, Long)}, no
   * fingerprint.
   */
  public InvalidAvroMessageException(
      Reason reason, String expectedType, String topic, String detail, Throwable cause) {
    this(reason, expectedType, topic, detail, cause, null);
  }

  /**
   * Creates the exception.
   *
   * @param reason what was wrong
   * @param expectedType full name of the record type the deserializer reads
   * @param topic the topic the bytes came from, or {@code null} when unknown
   * @param detail what was expected and what was found
   * @param cause the Avro error, or {@code null}
   * @param writerFingerprint the writer schema's fingerprint the header names (CRC-64-AVRO), or
   *     {@code null} when the header is not read
   */
  public InvalidAvroMessageException(
      Reason reason,
      String expectedType,
      String topic,
      String detail,
      Throwable cause,
      Long writerFingerprint) {
    super(
        "Invalid Avro message on topic '"
            + topic
            + "', expected a single-object encoded "
            + expectedType
            + ": "
            + reason
            + ": "
            + detail,
        cause);
    this.reason = reason;
    this.expectedType = expectedType;
    this.topic = topic;
    this.writerFingerprint = writerFingerprint;
  }

  /** The writer schema's fingerprint the message's header names, when the header was read. */
  public java.util.OptionalLong writerFingerprint() {
    return writerFingerprint == null
        ? java.util.OptionalLong.empty()
        : java.util.OptionalLong.of(writerFingerprint);
  }

  /** Returns what was wrong with the bytes. */
  public Reason reason() {
    return reason;
  }

  /** Returns the full name of the record type that was expected. */
  public String expectedType() {
    return expectedType;
  }

  /** Returns the topic the bytes came from, or {@code null} when unknown. */
  public String topic() {
    return topic;
  }
}
