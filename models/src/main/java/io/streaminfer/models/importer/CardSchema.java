package io.streaminfer.models.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code model-card.schema.json} (the repository's grammar of cards, packaged with this module),
 * compiled once. Thread-safe.
 */
public final class CardSchema {
  private static final JsonSchema SCHEMA = load();

  private CardSchema() {}

  private static JsonSchema load() {
    try (InputStream in = CardSchema.class.getResourceAsStream("model-card.schema.json")) {
      if (in == null) {
        throw new IllegalStateException("model-card.schema.json is not on the class path");
      }
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Throws {@link ImportRefusedException} listing each way {@code card} breaks the schema. */
  public static void check(JsonNode card, Path file) {
    Set<ValidationMessage> errors = SCHEMA.validate(card);
    if (!errors.isEmpty()) {
      throw new ImportRefusedException(
          "the card for "
              + file
              + " would not match model-card.schema.json:\n  "
              + errors.stream()
                  .map(ValidationMessage::getMessage)
                  .sorted()
                  .collect(Collectors.joining("\n  ")));
    }
  }
}
