package io.streaminfer.models.card;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.TestRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRepositoryTest {
  @TempDir Path tmp;

  private Path copyOf(String name, String version) throws IOException {
    Path src = TestRepository.root().resolve(name).resolve("1");
    Path dst = Files.createDirectories(tmp.resolve(name).resolve(version));
    for (String f : List.of("model.onnx", "model.json")) {
      Files.copy(src.resolve(f), dst.resolve(f));
    }
    return dst;
  }

  @Test
  void shouldLoadEveryCommittedModelWithMatchingHashes() {
    ModelRepository repo = TestRepository.open();
    assertThat(repo.names())
        .contains("digits-cnn", "sensor-lstm", "sensor-gru", "langid-transformer", "digits-gan");
    for (ModelArtifact a : repo.all()) {
      assertThat(ModelRepository.sha256(a.onnxFile())).isEqualTo(a.card().sha256());
    }
  }

  @Test
  void shouldRefuseATamperedModelNamingTheFile() throws IOException {
    Path dir = copyOf("digits-cnn", "1");
    byte[] bytes = Files.readAllBytes(dir.resolve("model.onnx"));
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(dir.resolve("model.onnx"), bytes);
    assertThatThrownBy(() -> ModelRepository.open(tmp))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("sha256 mismatch")
        .hasMessageContaining(dir.resolve("model.onnx").toString());
  }

  @Test
  void shouldRefuseAMissingModelFileNamingIt() throws IOException {
    Path dir = copyOf("digits-cnn", "1");
    Files.delete(dir.resolve("model.onnx"));
    assertThatThrownBy(() -> ModelRepository.open(tmp))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("model file missing: " + dir.resolve("model.onnx"));
  }

  @Test
  void shouldRefuseACardFiledUnderAnotherName() throws IOException {
    Path dir = copyOf("digits-cnn", "1");
    Files.move(dir.getParent(), tmp.resolve("other-model"));
    assertThatThrownBy(() -> ModelRepository.open(tmp))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("says digits-cnn:1 but sits in other-model/1");
  }

  @Test
  void shouldRefuseAnInvalidCardNamingTheKey() throws IOException {
    Path dir = copyOf("digits-cnn", "1");
    String card =
        Files.readString(dir.resolve("model.json"))
            .replace("\"task\": \"image-classification\"", "\"task\": \"juggling\"");
    Files.writeString(dir.resolve("model.json"), card);
    assertThatThrownBy(() -> ModelRepository.open(tmp))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("model.json")
        .hasMessageContaining("unknown task 'juggling'");
  }

  @Test
  void shouldPickTheNewestVersionUnlessPinned() throws IOException {
    copyOf("digits-cnn", "1");
    Path v2 = copyOf("digits-cnn", "2");
    Files.writeString(
        v2.resolve("model.json"),
        Files.readString(v2.resolve("model.json"))
            .replace("\"version\": \"1\"", "\"version\": \"2\""));
    ModelRepository repo = ModelRepository.open(tmp);
    assertThat(repo.select("digits-cnn", Optional.empty()).card().version()).isEqualTo("2");
    assertThat(repo.select("digits-cnn", Optional.of("1")).card().version()).isEqualTo("1");
    assertThatThrownBy(() -> repo.select("digits-cnn", Optional.of("7")))
        .hasMessageContaining("has no version 7 (has [1, 2])");
    assertThatThrownBy(() -> repo.select("nope", Optional.empty()))
        .hasMessageContaining("no model 'nope'");
  }
}
