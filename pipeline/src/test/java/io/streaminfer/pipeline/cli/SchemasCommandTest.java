package io.streaminfer.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.UsersRoutes;
import io.streaminfer.schemas.TextEvent;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code streaminfer schemas}: fingerprints as on the wire, self-contained .avsc files, topics. */
class SchemasCommandTest {
  @Test
  void theHeaderPrintedIsTheOneEveryMessageOfTheSchemaStartsWith() {
    byte[] message =
        AvroSerdes.serde(TextEvent.class)
            .serializer()
            .serialize(
                "texts",
                TextEvent.newBuilder()
                    .setId("t")
                    .setEventTime(Instant.EPOCH)
                    .setText("Guten Tag")
                    .build());
    assertThat(SchemasCommand.header(TextEvent.getClassSchema()).replace(" ", ""))
        .isEqualTo(HexFormat.of().formatHex(Arrays.copyOf(message, 10)));
  }

  @Test
  void everyWrittenSchemaParsesAloneToTheSameFingerprint(@TempDir Path dir) throws Exception {
    int exit = new CommandLine(new StreamInferCli()).execute("schemas", "--write", dir.toString());
    assertThat(exit).isZero();
    for (Schema s : SchemasCommand.SCHEMAS) {
      Path file = dir.resolve(s.getName() + ".avsc");
      Schema alone = new Schema.Parser().parse(Files.readString(file)); // a parser of its own
      assertThat(SchemaNormalization.parsingFingerprint64(alone))
          .as(s.getName())
          .isEqualTo(SchemasCommand.fingerprint(s));
    }
    assertThat(dir.toFile().list()).hasSize(SchemasCommand.SCHEMAS.size());
  }

  @Test
  void eachRecordNamesTheTopicsOfTheConfigurationThatCarryIt() {
    var topics = SchemasCommand.topics(TestConfigs.config(UsersRoutes.keys()));
    assertThat(topics.get("io.streaminfer.schemas.TextEvent"))
        .containsExactly("texts", UsersRoutes.SENTENCES_IN);
    assertThat(topics.get("io.streaminfer.schemas.Embedding"))
        .containsExactly(UsersRoutes.EMBEDDINGS_OUT);
    assertThat(topics.get("io.streaminfer.schemas.Classification"))
        .contains("image-predictions", "text-predictions", UsersRoutes.SENTENCES_OUT);
  }
}
