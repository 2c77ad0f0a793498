package io.streaminfer.schemas.serde;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * The schemas StreamInfer released earlier for its records, packaged as {@code
 * io/streaminfer/schemas/released/<Record>-v<N>.avsc} (v1, v2, ... up to the first missing): a
 * reader of today's record decodes what producers of an earlier release wrote, resolved to today's
 * schema (an added field takes its default). Each file holds the record as released; the named
 * types it refers to (e.g. InferenceMetadata) are today's, which evolve compatibly too.
 */
public final class ReleasedSchemas {
  private static final String DIR = "/io/streaminfer/schemas/released/";

  private ReleasedSchemas() {}

  /** The released schemas of {@code type}, oldest first; empty for a record never changed. */
  public static List<Schema> of(Class<? extends SpecificRecord> type) {
    Schema current = SpecificData.getForClass(type).getSchema(type);
    List<Schema> out = new ArrayList<>();
    for (int v = 1; ; v++) {
      String name = DIR + current.getName() + "-v" + v + ".avsc";
      try (InputStream in = ReleasedSchemas.class.getResourceAsStream(name)) {
        if (in == null) {
          return List.copyOf(out);
        }
        Schema.Parser parser = new Schema.Parser();
        Map<String, Schema> named = new LinkedHashMap<>();
        referenced(current, current.getFullName(), named);
        parser.addTypes(named.values());
        out.add(parser.parse(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read released schema " + name, e);
      }
    }
  }

  /** A store holding the released schemas of {@code type}, for its deserializer. */
  public static SchemaStore.Cache store(Class<? extends SpecificRecord> type) {
    return AvroSerdes.schemaStore(of(type).toArray(Schema[]::new));
  }

  /** The named types {@code s} refers to (besides {@code self}), dependencies first. */
  private static void referenced(Schema s, String self, Map<String, Schema> out) {
    switch (s.getType()) {
      case RECORD -> {
        if (!s.getFullName().equals(self) && out.containsKey(s.getFullName())) {
          return;
        }
        for (Schema.Field f : s.getFields()) {
          referenced(f.schema(), self, out);
        }
        if (!s.getFullName().equals(self)) {
          out.put(s.getFullName(), s);
        }
      }
      case ENUM, FIXED -> out.putIfAbsent(s.getFullName(), s);
      case ARRAY -> referenced(s.getElementType(), self, out);
      case MAP -> referenced(s.getValueType(), self, out);
      case UNION -> s.getTypes().forEach(t -> referenced(t, self, out));
      default -> {}
    }
  }
}
