package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.ReliabilityReport;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.config.StreamInferConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bad model repository stops {@code streaminfer run} at start, before it touches Kafka, with a
 * message naming the file: a tampered model (sha256 mismatch) and a missing model file. (Input
 * names or shapes that disagree with the card are refused by OnnxModelTest.) Figures go to
 * target/reliability/model-faults.json.
 */
class ModelFaultIT {
  @TempDir Path repo;

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void shouldRefuseToStartOnATamperedOrMissingModelNamingTheFile() throws Exception {
    Map<String, Object> figures = new LinkedHashMap<>();
    copy(Path.of(TestConfigs.repository()), repo);
    Path model = repo.resolve("digits-cnn/1/model.onnx");
    byte[] bytes = Files.readAllBytes(model);
    bytes[bytes.length / 2] ^= 1;
    Files.write(model, bytes);
    String tampered = startAndFail("tampered");
    assertThat(tampered)
        .contains(model.toString())
        .containsIgnoringCase("sha256")
        .doesNotContain("\tat ");
    figures.put("tampered_refused", true);

    Files.delete(model);
    String missing = startAndFail("missing");
    assertThat(missing).contains(model.toString());
    figures.put("missing_refused", true);
    ReliabilityReport.write("model-faults", figures);
  }

  /** Starts the pipeline on the broken repository (no broker needed); returns its log. */
  private String startAndFail(String name) throws Exception {
    Path log = PipelineProcess.logFile("model-fault-" + name).toPath();
    Files.deleteIfExists(log);
    PipelineProcess p =
        PipelineProcess.start(
            "127.0.0.1:1",
            Map.of(
                StreamInferConfig.MODELS_REPOSITORY,
                repo.toString(),
                StreamInferConfig.INFERENCE_DEVICE,
                "cpu"),
            log);
    int exit = p.awaitExit(120);
    assertThat(exit)
        .as("exit code (see %s)", log)
        .isEqualTo(io.streaminfer.pipeline.cli.StreamInferCli.EXIT_BAD_SETUP);
    return Files.readString(log);
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
