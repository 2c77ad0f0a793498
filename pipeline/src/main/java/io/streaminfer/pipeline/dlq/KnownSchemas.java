package io.streaminfer.pipeline.dlq;

import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.GenerationRequest;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.TextEvent;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/** Tells a record of another StreamInfer type from bytes of an unknown schema. */
public final class KnownSchemas {
  private static final Map<Long, String> BY_FINGERPRINT = Stream.of(
          ImageEvent.getClassSchema(), TextEvent.getClassSchema(), SensorReading.getClassSchema(),
          GenerationRequest.getClassSchema(), Classification.getClassSchema(), Forecast.getClassSchema(),
          AnomalyAlert.getClassSchema(), GeneratedImage.getClassSchema())
      .collect(Collectors.toMap(SchemaNormalization::parsingFingerprint64, Schema::getFullName));

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
