package io.streaminfer.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.schemas.GenerationRequest;
import io.streaminfer.schemas.ImageEncoding;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.TextEvent;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code streaminfer produce}: the user's own texts, generation requests and images as records. */
class ProduceCommandTest {
  private static final InputStream NO_STDIN = InputStream.nullInputStream();

  @TempDir Path dir;

  @Test
  void publishesEveryNonBlankLineOfStandardInputAsATextEvent() throws Exception {
    // a line of ASCII white space is skipped; one that only looks blank (NBSP) is the pipeline's
    // to refuse as TEXT_EMPTY, so it is published
    InputStream stdin =
        new ByteArrayInputStream(
            "Guten Morgen\n\n \t\nBuenos días\n\u00a0\n".getBytes(StandardCharsets.UTF_8));
    List<ProducerRecord<String, byte[]>> records =
        records(stdin, "--text", "Dobré ráno", "--text-file", "-");

    assertThat(records).extracting(ProducerRecord::topic).containsOnly("texts");
    assertThat(records)
        .extracting(ProducerRecord::key)
        .containsExactly("text-1", "text-2", "text-3", "text-4");
    assertThat(records)
        .extracting(r -> decode(TextEvent.class, r).getText())
        .containsExactly("Dobré ráno", "Guten Morgen", "Buenos días", "\u00a0");
  }

  @Test
  void readsTextsFromAFileToo() throws Exception {
    Path file = dir.resolve("lines.txt");
    Files.writeString(file, "one\ntwo\n");
    assertThat(records(NO_STDIN, "--text-file", file.toString()))
        .extracting(r -> decode(TextEvent.class, r).getText())
        .containsExactly("one", "two");
  }

  @Test
  void publishesAGenerationRequestPerLabelWithItsOwnIdAndSeed() throws Exception {
    List<ProducerRecord<String, byte[]>> records =
        records(
            NO_STDIN, "--generate", "7", "--generate", "7", "--generate", "3", "--samples", "2");

    assertThat(records).extracting(ProducerRecord::topic).containsOnly("generation-requests");
    assertThat(records)
        .extracting(
            r -> {
              GenerationRequest g = decode(GenerationRequest.class, r);
              assertThat(g.getId()).isEqualTo(r.key());
              return g.getId() + " " + g.getLabel() + " " + g.getSamples() + " " + g.getSeed();
            })
        .containsExactly("generate-7-1 7 2 42", "generate-7-2 7 2 43", "generate-3-1 3 2 44");
  }

  @Test
  void refusesAGenerationRequestForNoImage() {
    assertThatThrownBy(() -> records(NO_STDIN, "--generate", "7", "--samples", "0"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("--samples");
  }

  @Test
  void namesAnImageFileByItsBytesNotItsName() throws Exception {
    Path jpeg = dir.resolve("really-a-jpeg.png");
    Files.write(jpeg, new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0, 0, 0x10});
    Path text = dir.resolve("notes.png");
    Files.writeString(text, "not an image at all");

    assertThat(records(NO_STDIN, jpeg.toString()))
        .extracting(r -> decode(ImageEvent.class, r).getEncoding())
        .containsExactly(ImageEncoding.JPEG);
    assertThatThrownBy(() -> records(NO_STDIN, text.toString()))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("notes.png is neither a PNG nor a JPEG");
  }

  private static List<ProducerRecord<String, byte[]>> records(InputStream stdin, String... args)
      throws Exception {
    ProduceCommand command = new ProduceCommand();
    new CommandLine(command).parseArgs(args);
    return command.records(TestConfigs.config(Map.of()), stdin);
  }

  private static <T extends org.apache.avro.specific.SpecificRecord> T decode(
      Class<T> type, ProducerRecord<String, byte[]> r) {
    return AvroSerdes.serde(type).deserializer().deserialize(r.topic(), r.value());
  }
}
