package io.streaminfer.schemas.serde;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.TextEvent;
import io.streaminfer.schemas.serde.InvalidAvroMessageException.Reason;
import java.util.Arrays;
import java.util.Random;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;

class AvroDeserializerTest {

  private final Deserializer<ImageEvent> images = AvroSerdes.serde(ImageEvent.class).deserializer();

  @Test
  void shouldRejectMessageWrittenWithAnUnknownSchemaNamingTheFingerprint() {
    // given: a SensorReading, whose schema the ImageEvent reader does not know
    byte[] bytes =
        AvroSerdes.serde(SensorReading.class)
            .serializer()
            .serialize("images", SampleRecords.sensorReading());

    // when / then
    assertThatThrownBy(() -> images.deserialize("images", bytes))
        .isInstanceOf(SerializationException.class)
        .isInstanceOfSatisfying(
            InvalidAvroMessageException.class,
            e -> {
              assertReason(e, Reason.UNKNOWN_FINGERPRINT);
              assertThatThrownBy(
                      () -> {
                        throw e;
                      })
                  .hasMessageContaining("topic 'images'")
                  .hasMessageContaining("io.streaminfer.schemas.ImageEvent")
                  .hasMessageContaining("fingerprint")
                  .hasMessageContaining("SchemaStore");
            });
  }

  @Test
  void shouldRejectBytesShorterThanTheHeader() {
    // given
    byte[] bytes = {(byte) 0xC3, 0x01, 1, 2};

    // when / then
    assertThatThrownBy(() -> images.deserialize("images", bytes))
        .isInstanceOfSatisfying(
            InvalidAvroMessageException.class, e -> assertReason(e, Reason.TRUNCATED_HEADER))
        .hasMessageContaining("expected at least 10 header bytes, got 4");
  }

  @Test
  void shouldRejectTruncatedBody() {
    // given: a valid message cut short in the middle of its body
    byte[] whole =
        AvroSerdes.serde(ImageEvent.class)
            .serializer()
            .serialize("images", SampleRecords.imageEvent());
    byte[] bytes = Arrays.copyOf(whole, whole.length - 6);

    // when / then
    assertThatThrownBy(() -> images.deserialize("images", bytes))
        .isInstanceOfSatisfying(
            InvalidAvroMessageException.class, e -> assertReason(e, Reason.TRUNCATED_BODY))
        .hasMessageContaining("ends before the record does");
  }

  @Test
  void shouldRejectTrailingBytes() {
    // given
    byte[] whole =
        AvroSerdes.serde(TextEvent.class)
            .serializer()
            .serialize("texts", SampleRecords.textEvent());
    byte[] bytes = Arrays.copyOf(whole, whole.length + 3);
    Deserializer<TextEvent> texts = AvroSerdes.serde(TextEvent.class).deserializer();

    // when / then
    assertThatThrownBy(() -> texts.deserialize("texts", bytes))
        .isInstanceOfSatisfying(
            InvalidAvroMessageException.class, e -> assertReason(e, Reason.TRAILING_BYTES))
        .hasMessageContaining("3 bytes left");
  }

  @Test
  void shouldRejectRandomBytesAsBadMagic() {
    // given: JSON, as a misconfigured producer might send
    byte[] json = "{\"id\":\"img-1\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    // when / then
    assertThatThrownBy(() -> images.deserialize("images", json))
        .isInstanceOfSatisfying(
            InvalidAvroMessageException.class, e -> assertReason(e, Reason.BAD_MAGIC))
        .hasMessageContaining("expected marker C3 01, got 7B 22");
  }

  @Test
  void shouldRejectSeededRandomBytesWithATypedException() {
    // given
    Random random = new Random(20_260_101L);

    for (int i = 0; i < 200; i++) {
      byte[] bytes = new byte[random.nextInt(64)];
      random.nextBytes(bytes);

      // when / then
      assertThatThrownBy(() -> images.deserialize("images", bytes))
          .isInstanceOf(InvalidAvroMessageException.class);
    }
  }

  private static void assertReason(InvalidAvroMessageException e, Reason expected) {
    org.assertj.core.api.Assertions.assertThat(e.reason()).isEqualTo(expected);
    org.assertj.core.api.Assertions.assertThat(e.expectedType())
        .startsWith("io.streaminfer.schemas.");
  }
}
