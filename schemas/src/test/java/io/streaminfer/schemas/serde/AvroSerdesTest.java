package io.streaminfer.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.schemas.SensorReading;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AvroSerdesTest {

  static List<SpecificRecord> records() {
    return SampleRecords.all();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("records")
  void shouldRoundTripEveryRecordType(SpecificRecord record) {
    // given
    Serde<SpecificRecord> serde = serdeFor(record);

    // when
    byte[] bytes = serde.serializer().serialize("topic", record);
    SpecificRecord read = serde.deserializer().deserialize("topic", bytes);

    // then
    assertThat(read).isEqualTo(record).isNotSameAs(record);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("records")
  void shouldPrefixEveryMessageWithMarkerAndSchemaFingerprint(SpecificRecord record) {
    // given
    Serde<SpecificRecord> serde = serdeFor(record);

    // when
    byte[] bytes = serde.serializer().serialize("topic", record);

    // then
    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    assertThat(bytes.length).isGreaterThan(AvroDeserializer.HEADER_LENGTH);
  }

  @Test
  void shouldMapNullToNullBothWays() {
    // given
    Serde<SensorReading> serde = AvroSerdes.serde(SensorReading.class);

    // when / then
    assertThat(serde.serializer().serialize("sensor-readings", null)).isNull();
    assertThat(serde.deserializer().deserialize("sensor-readings", null)).isNull();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("records")
  void shouldDocumentEveryField(SpecificRecord record) {
    // given
    Schema schema = record.getSchema();

    // when / then
    assertThat(schema.getDoc()).isNotBlank();
    assertThat(schema.getFields())
        .allSatisfy(field -> assertThat(field.doc()).as(field.name()).isNotBlank());
  }

  @SuppressWarnings("unchecked")
  private static Serde<SpecificRecord> serdeFor(SpecificRecord record) {
    return AvroSerdes.serde((Class<SpecificRecord>) record.getClass());
  }
}
