package io.streaminfer.pipeline.dlq;

import io.streaminfer.pipeline.topology.TaskFamily;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificData;

/** Tells a record of another StreamInfer type (any task family's event or output) from bytes of an unknown schema. */
public final class KnownSchemas {
  private static final Map<Long, String> BY_FINGERPRINT = TaskFamily.all().stream()
      .flatMap(f -> Stream.concat(Stream.of(f.eventType()), f.outputs().values().stream()))
      .distinct()
      .map(type -> SpecificData.get().getSchema(type))
      .collect(Collectors.toMap(SchemaNormalization::parsingFingerprint64, Schema::getFullName, (a, b) -> a));
  private KnownSchemas() {}

  /** {@code AVRO_WRONG_TYPE} when an unknown fingerprint is that of another StreamInfer type. */
  public static ErrorCode refine(ErrorCode code, byte[] value) {
    if (code != ErrorCode.AVRO_UNKNOWN_FINGERPRINT || value.length < 10) {
      return code;
    }
    long fp = 0;
    for (int i = 9; i >= 2; i--) {
      fp = (fp << 8) | (value[i] & 0xFF); // little-endian CRC-64-AVRO after the C3 01 marker
    }
    return BY_FINGERPRINT.containsKey(fp) ? ErrorCode.AVRO_WRONG_TYPE : code;
  }
}
