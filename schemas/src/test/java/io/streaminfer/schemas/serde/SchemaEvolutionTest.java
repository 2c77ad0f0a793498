package io.streaminfer.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.InferenceMetadata;
import io.streaminfer.schemas.LabelScore;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.TextEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/**
 * TextEvent v1 (generated) against a v2 that adds an optional field with a default; and the
 * released Classification (v1, before multi-label {@code accepted}) against the current one.
 */
class SchemaEvolutionTest {

  private static final long EVENT_MILLIS = SampleRecords.EVENT_TIME.toEpochMilli();

  private final Schema v2 = loadSchema("/evolution/TextEvent-v2.avsc");

  @Test
  void shouldReadV2BytesWithV1ReaderWhenV2IsRegistered() throws IOException {
    // given: a message written with v2, carrying the new field
    GenericRecord written = new GenericData.Record(v2);
    written.put("id", "txt-2");
    written.put("event_time", EVENT_MILLIS);
    written.put("text", "Buongiorno");
    written.put("label", "it");
    written.put("source", "fortunes-it");
    ByteBuffer bytes =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v2).encode(written);

    // when: the generated v1 class reads it, v2 registered in its store
    TextEvent read =
        AvroSerdes.serde(TextEvent.class, AvroSerdes.schemaStore(v2))
            .deserializer()
            .deserialize("texts", toArray(bytes));

    // then: the fields v1 knows survive, the new one is dropped
    assertThat(read.getId()).isEqualTo("txt-2");
    assertThat(read.getEventTime()).isEqualTo(SampleRecords.EVENT_TIME);
    assertThat(read.getText()).isEqualTo("Buongiorno");
    assertThat(read.getLabel()).isEqualTo("it");
  }

  @Test
  void shouldReadV1BytesWithV2ReaderFillingTheDefault() throws IOException {
    // given: a message written by the v1 serde
    byte[] bytes =
        AvroSerdes.serde(TextEvent.class)
            .serializer()
            .serialize("texts", SampleRecords.textEvent());

    // when: a v2 reader that knows v1
    BinaryMessageDecoder<GenericRecord> v2Reader =
        new BinaryMessageDecoder<>(
            GenericData.get(), v2, AvroSerdes.schemaStore(TextEvent.getClassSchema()));
    GenericRecord read = v2Reader.decode(bytes);

    // then: v1 fields are kept and the added field takes its default
    assertThat(read.get("id")).hasToString("txt-1");
    assertThat(read.get("event_time")).isEqualTo(EVENT_MILLIS);
    assertThat(read.get("text")).hasToString(SampleRecords.textEvent().getText());
    assertThat(read.get("label")).isNull();
    assertThat(read.get("source")).isNull();
  }

  @Test
  void classificationReadersOfTheReleasedSchemaReadTodaysRecordsAndViceVersa() throws IOException {
    // given: the released Classification, parsed with the named types it refers to
    Schema.Parser parser = new Schema.Parser();
    parser.parse(LabelScore.getClassSchema().toString());
    parser.parse(InferenceMetadata.getClassSchema().toString());
    Schema released;
    try (InputStream in = getClass().getResourceAsStream("/evolution/Classification-v1.avsc")) {
      released = parser.parse(in);
    }
    assertThat(released.getField("accepted")).isNull();
    Schema current = Classification.getClassSchema();
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(released, current).getType())
        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, released).getType())
        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);

    // when: an old consumer reads a multi-label prediction of today
    byte[] today =
        AvroSerdes.serde(Classification.class)
            .serializer()
            .serialize("p", SampleRecords.multiLabel());
    GenericRecord old =
        new BinaryMessageDecoder<GenericRecord>(
                GenericData.get(), released, AvroSerdes.schemaStore(current))
            .decode(today);
    // then: it sees every field it knows
    assertThat(old.get("label")).hasToString("7");
    assertThat(old.get("top_k")).asList().hasSize(2);

    // and a record of the released schema reads today with accepted null (single-label)
    Classification sample = SampleRecords.classification();
    ByteBuffer written =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), released)
            .encode(toGeneric(sample, released));
    Classification read =
        AvroSerdes.serde(Classification.class, AvroSerdes.schemaStore(released))
            .deserializer()
            .deserialize("p", toArray(written));
    assertThat(read.getAccepted()).isNull();
    assertThat(read.getTopK()).isEqualTo(sample.getTopK());
  }

  @Test
  void readingsOfTheReleasedSchemaDecodeWithTheDefaultSerdeAsSingleValueReadings()
      throws IOException {
    // given: a reading an old producer wrote (no features), from the released schema
    Schema released = ReleasedSchemas.of(SensorReading.class).get(0);
    assertThat(released.getField("features")).isNull();
    GenericRecord old = new GenericData.Record(released);
    old.put("id", "r-1");
    old.put("sensor_id", "s-1");
    old.put("event_time", EVENT_MILLIS);
    old.put("value", 21.5);
    byte[] bytes =
        toArray(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), released).encode(old));

    // when: the pipeline's serde (nothing registered by hand) reads it
    SensorReading read =
        AvroSerdes.serde(SensorReading.class).deserializer().deserialize("r", bytes);

    // then: a single-value reading
    assertThat(read.getValue()).isEqualTo(21.5);
    assertThat(read.getFeatures()).isEmpty();
  }

  @Test
  void forecastsStayReadableByConsumersOfTheReleasedSchemaAndViceVersa() {
    for (Class<? extends org.apache.avro.specific.SpecificRecord> type :
        List.of(Forecast.class, SensorReading.class, Classification.class)) {
      Schema current = org.apache.avro.specific.SpecificData.get().getSchema(type);
      for (Schema released : ReleasedSchemas.of(type)) {
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(released, current).getType())
            .as("%s: released reads current", type.getSimpleName())
            .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, released).getType())
            .as("%s: current reads released", type.getSimpleName())
            .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
      }
    }
    assertThat(ReleasedSchemas.of(Forecast.class)).hasSize(1);
    assertThat(ReleasedSchemas.of(io.streaminfer.schemas.ImageEvent.class)).isEmpty();
  }

  /** {@code r} as a generic record of {@code schema} (a subset of its fields), via its bytes. */
  private static GenericRecord toGeneric(Classification r, Schema schema) throws IOException {
    byte[] bytes = AvroSerdes.serde(Classification.class).serializer().serialize("p", r);
    return new BinaryMessageDecoder<GenericRecord>(
            GenericData.get(), schema, AvroSerdes.schemaStore(Classification.getClassSchema()))
        .decode(bytes);
  }

  private static Schema loadSchema(String resource) {
    try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream(resource)) {
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + resource, e);
    }
  }

  private static byte[] toArray(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }
}
