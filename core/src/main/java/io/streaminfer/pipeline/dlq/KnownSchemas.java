package io.streaminfer.pipeline.dlq;

import io.streaminfer.pipeline.topology.TaskFamily;
import io.streaminfer.schemas.serde.InvalidAvroMessageException;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificData;

/**
 * Tells a record of another StreamInfer type (any task family's event or output) from bytes of an
 * unknown schema.
 */
public final class KnownSchemas {
  private static final Map<Long, String> BY_FINGERPRINT =
      TaskFamily.all().stream()
          .flatMap(f -> Stream.concat(Stream.of(f.eventType()), f.outputs().values().stream()))
          .distinct()
          .map(type -> SpecificData.get().getSchema(type))
          .collect(
              Collectors.toMap(
                  SchemaNormalization::parsingFingerprint64, Schema::getFullName, (a, b) -> a));

  private KnownSchemas() {}

  /**
   * {@code AVRO_WRONG_TYPE} when the unknown writer fingerprint {@code e} read from the header is
   * that of another StreamInfer type; {@code code} otherwise.
   */
  static ErrorCode refine(ErrorCode code, InvalidAvroMessageException e) {
    if (code != ErrorCode.AVRO_UNKNOWN_FINGERPRINT || e.writerFingerprint().isEmpty()) {
      return code;
    }
    return BY_FINGERPRINT.containsKey(e.writerFingerprint().getAsLong())
        ? ErrorCode.AVRO_WRONG_TYPE
        : code;
  }
}
