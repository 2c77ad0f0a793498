package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.models.postprocess.PngEncoder;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.testkit.SampleData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the walkthroughs of docs/routes.md, docs/bring-your-own-model.md,
 * docs/bring-your-own-text-model.md and docs/bring-your-own-sequence-model.md as written: the
 * properties block becomes the file, and the {@code java -jar pipeline/target/streaminfer.jar ...}
 * commands run in order from the repository root ({@code model import} to completion first, broker
 * and run in the background), with these substitutions only: a free port for 9092, temporary paths
 * for the properties file, the image and the user's model repository, and the committed models'
 * files for the user's ({@code model.onnx}, {@code encoder.onnx}, the Hugging Face folder).
 */
class RoutesWalkthroughIT {
  @TempDir Path work;

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void shouldServeTheNewRouteAsTheWalkthroughSays() throws Exception {
    SampleData.Digit digit = SampleData.load().digits().get(0);
    walk(
        "docs/routes.md",
        Map.of(),
        "scans.properties",
        Map.of("digit.png", PngEncoder.png(digit.pixels(), digit.width(), digit.height())),
        List.of(
            "scan-predictions \\(scans\\) digit\\.png +"
                + digit.label()
                + " \\(.*\\[digits-cnn:1 on CPU"));
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void shouldServeTheBroughtModelAsBringYourOwnModelSays() throws Exception {
    // a colour photograph of a digit, as the model's reference set has it
    Path root = Path.of(TestConfigs.repository());
    JsonNode ex =
        new ObjectMapper()
            .readTree(root.resolve("digits-mobilenet/1/reference.json").toFile())
            .path("examples")
            .get(0);
    assertThat(ex.path("variant").asText()).isEqualTo("rgb-png");
    Path exported = root.resolve("digits-mobilenet/1/model.onnx").toAbsolutePath();
    walk(
        "docs/bring-your-own-model.md",
        Map.of(
            "model.onnx", exported.toString(), "my-models", work.resolve("my-models").toString()),
        "photos.properties",
        Map.of(
            "photo.png", Base64.getDecoder().decode(ex.path("input").path("data_base64").asText())),
        List.of(
            "photo-predictions \\(photos\\) photo\\.png +"
                + ex.path("expected").path("label").asText()
                + " \\(.*\\[my-classifier:1 on CPU"));
    assertThat(work.resolve("my-models/my-classifier/1/model.json")).exists();
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void shouldServeTheBroughtTextModelsAsTheTextWalkthroughSays() throws Exception {
    // the bundled BERT classifier and its encoder, with the Hugging Face folder they came with
    Path root = Path.of(TestConfigs.repository());
    walk(
        "docs/bring-your-own-text-model.md",
        Map.of(
            "model.onnx", root.resolve("langid-bert/1/model.onnx").toAbsolutePath().toString(),
            "encoder.onnx",
                root.resolve("langid-bert-embed/1/model.onnx").toAbsolutePath().toString(),
            "my-hf-folder", root.resolve("langid-bert/1/hf").toAbsolutePath().toString(),
            "my-models", work.resolve("my-models").toString()),
        "sentences.properties",
        Map.of(),
        List.of(
            "sentence-predictions \\(sentences\\) text-1 +de \\(.*\\[my-text-classifier:1 on CPU",
            "sentence-vectors \\(vectors\\) text-1 +128-d mean unit vector \\[.*\\] of \\d+ tokens"
                + ".*\\[my-embedder:1 on CPU"));
    assertThat(work.resolve("my-models/my-embedder/1/tokenizer.json")).exists();
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void shouldServeTheBroughtForecasterAsTheSequenceWalkthroughSays() throws Exception {
    // one sensor's readings: a reference window of the bundled multivariate GRU, as CSV
    Path root = Path.of(TestConfigs.repository());
    JsonNode ex =
        new ObjectMapper()
            .readTree(root.resolve("macro-gru-multi/1/reference.json").toFile())
            .path("examples")
            .get(0);
    StringBuilder csv = new StringBuilder("# value,realgdp,cpi,tbilrate\n");
    for (JsonNode r : ex.path("input").path("readings")) {
      List<String> cells = new ArrayList<>();
      r.forEach(v -> cells.add(Double.toString(v.asDouble())));
      csv.append(String.join(",", cells)).append('\n');
    }
    walk(
        "docs/bring-your-own-sequence-model.md",
        Map.of(
            "model.onnx",
            root.resolve("macro-gru-multi/1/model.onnx").toAbsolutePath().toString(),
            "my-models",
            work.resolve("my-models").toString()),
        "macro.properties",
        Map.of("quarters.csv", csv.toString().getBytes(StandardCharsets.UTF_8)),
        List.of(
            "macro-forecasts \\(macro\\) +us-macro-a +next -?[0-9.]+, steps \\[\\[.*\\]\\]"
                + " .*\\[my-forecaster:1 on CPU"));
    assertThat(work.resolve("my-models/my-forecaster/1/model.json")).exists();
  }

  /**
   * Runs the walkthrough of {@code docName}: its properties block becomes {@code propsName}, its
   * commands run with a free port for 9092, temporary paths for {@code propsName} and each of
   * {@code files} (written with its bytes) and the doc's own {@code paths}; the tail must print a
   * line matching each of {@code expected}.
   */
  private void walk(
      String docName,
      Map<String, String> paths,
      String propsName,
      Map<String, byte[]> files,
      List<String> expected)
      throws Exception {
    Path root = Walkthrough.root();
    String doc = Files.readString(root.resolve(docName));
    int port = Walkthrough.freePort();
    Matcher props = Pattern.compile("```properties\\n(.*?)```", Pattern.DOTALL).matcher(doc);
    assertThat(props.find()).as("a properties block").isTrue();
    Path properties = work.resolve(propsName);
    String text = props.group(1).replace("9092", Integer.toString(port));
    for (Map.Entry<String, String> e : paths.entrySet()) {
      text = text.replace(e.getKey(), e.getValue());
    }
    Files.writeString(properties, text);
    List<String> commands =
        new ArrayList<>(
            doc.lines()
                .map(String::strip)
                .filter(l -> l.startsWith(Walkthrough.JAR_COMMAND))
                .toList());
    Map<String, String> subst = new java.util.LinkedHashMap<>(paths);
    subst.put("9092", Integer.toString(port));
    subst.put(propsName, properties.toString());
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      Path file = work.resolve(f.getKey());
      Files.write(file, f.getValue());
      subst.put(f.getKey(), file.toString());
    }
    while (commands.get(0).split(" ")[3].equals("model")) {
      String printed =
          Walkthrough.run(root, work, commands.remove(0), subst, "walkthrough-import", 120);
      assertThat(printed).contains("smoke    ").contains("wrote ");
    }
    assertThat(commands)
        .extracting(c -> c.split(" ")[3])
        .containsExactly("broker", "run", "produce", "tail");

    List<Process> background = new ArrayList<>();
    try {
      background.add(
          Walkthrough.startBroker(root, work, commands.get(0), subst, "walkthrough-broker", port));
      background.add(Walkthrough.start(root, work, commands.get(1), subst, "walkthrough-run"));
      Process produce =
          Walkthrough.start(root, work, commands.get(2), subst, "walkthrough-produce");
      assertThat(produce.waitFor(90, TimeUnit.SECONDS)).isTrue();
      assertThat(produce.exitValue()).isZero();
      Process tail = Walkthrough.start(root, work, commands.get(3), subst, "walkthrough-tail");
      assertThat(tail.waitFor(150, TimeUnit.SECONDS))
          .as("tail --max 1 ends after one record")
          .isTrue();
      String printed = Files.readString(PipelineProcess.logFile("walkthrough-tail").toPath());
      for (String line : expected) {
        assertThat(printed).containsPattern(line);
      }
    } finally {
      Walkthrough.stopAll(background);
    }
  }
}
