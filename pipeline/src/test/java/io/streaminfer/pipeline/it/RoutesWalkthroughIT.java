package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.models.postprocess.PngEncoder;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.testkit.SampleData;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
 * Runs the walkthroughs of docs/routes.md and docs/bring-your-own-model.md as written: the
 * properties block becomes the file, and the {@code java -jar pipeline/target/streaminfer.jar ...}
 * commands run in order from the repository root ({@code model import} to completion first, broker
 * and run in the background), with these substitutions only: a free port for 9092, temporary paths
 * for the properties file, the image and the user's model repository, and the committed mobilenet's
 * ONNX file for the user's {@code model.onnx}.
 */
class RoutesWalkthroughIT {
  private static final String JAR_COMMAND = "java -jar pipeline/target/streaminfer.jar ";

  @TempDir Path work;

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void shouldServeTheNewRouteAsTheWalkthroughSays() throws Exception {
    SampleData.Digit digit = SampleData.load().digits().get(0);
    walk(
        "docs/routes.md",
        Map.of(),
        "scans.properties",
        "digit.png",
        PngEncoder.png(digit.pixels(), digit.width(), digit.height()),
        "scan-predictions \\(scans\\) digit\\.png +" + digit.label() + " \\(",
        "[digits-cnn:1 on CPU");
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
        "photo.png",
        Base64.getDecoder().decode(ex.path("input").path("data_base64").asText()),
        "photo-predictions \\(photos\\) photo\\.png +"
            + ex.path("expected").path("label").asText()
            + " \\(",
        "[my-classifier:1 on CPU");
    assertThat(work.resolve("my-models/my-classifier/1/model.json")).exists();
  }

  /**
   * Runs the walkthrough of {@code docName}: its properties block becomes {@code propsName}, its
   * commands run with a free port for 9092, temporary paths for {@code propsName} and {@code
   * imageName} (written with {@code image}) and the doc's own {@code paths}; the tail must print
   * {@code expected} and {@code model}.
   */
  private void walk(
      String docName,
      Map<String, String> paths,
      String propsName,
      String imageName,
      byte[] image,
      String expected,
      String model)
      throws Exception {
    Path root = Path.of(TestConfigs.repository()).toAbsolutePath().getParent().getParent();
    String doc = Files.readString(root.resolve(docName));
    int port = freePort();
    Matcher props = Pattern.compile("```properties\\n(.*?)```", Pattern.DOTALL).matcher(doc);
    assertThat(props.find()).as("a properties block").isTrue();
    Path properties = work.resolve(propsName);
    String text = props.group(1).replace("9092", Integer.toString(port));
    for (Map.Entry<String, String> e : paths.entrySet()) {
      text = text.replace(e.getKey(), e.getValue());
    }
    Files.writeString(properties, text);
    Path png = work.resolve(imageName);
    Files.write(png, image);
    List<String> commands =
        new ArrayList<>(
            doc.lines().map(String::strip).filter(l -> l.startsWith(JAR_COMMAND)).toList());
    Map<String, String> subst = new java.util.LinkedHashMap<>(paths);
    subst.put("9092", Integer.toString(port));
    subst.put(propsName, properties.toString());
    subst.put(imageName, png.toString());
    if (commands.get(0).split(" ")[3].equals("model")) {
      Process imported = start(root, commands.remove(0), subst, "walkthrough-import");
      assertThat(imported.waitFor(120, TimeUnit.SECONDS)).isTrue();
      String printed = Files.readString(PipelineProcess.logFile("walkthrough-import").toPath());
      assertThat(imported.exitValue()).as(printed).isZero();
      assertThat(printed).contains("smoke    ").contains("wrote ");
    }
    assertThat(commands)
        .extracting(c -> c.split(" ")[3])
        .containsExactly("broker", "run", "produce", "tail");

    List<Process> background = new ArrayList<>();
    try {
      Process broker = start(root, commands.get(0), subst, "walkthrough-broker");
      background.add(broker);
      awaitLine(
          PipelineProcess.logFile("walkthrough-broker").toPath(),
          "Kafka broker on 127.0.0.1:" + port,
          broker);
      background.add(start(root, commands.get(1), subst, "walkthrough-run"));
      Process produce = start(root, commands.get(2), subst, "walkthrough-produce");
      assertThat(produce.waitFor(90, TimeUnit.SECONDS)).isTrue();
      assertThat(produce.exitValue()).isZero();
      Process tail = start(root, commands.get(3), subst, "walkthrough-tail");
      assertThat(tail.waitFor(150, TimeUnit.SECONDS))
          .as("tail --max 1 ends after one record")
          .isTrue();
      String printed = Files.readString(PipelineProcess.logFile("walkthrough-tail").toPath());
      assertThat(printed).containsPattern(expected).contains(model);
    } finally {
      for (int i = background.size() - 1; i >= 0; i--) {
        background.get(i).destroy();
        if (!background.get(i).waitFor(30, TimeUnit.SECONDS)) {
          background.get(i).destroyForcibly();
        }
      }
    }
  }

  private Process start(Path root, String command, Map<String, String> subst, String log)
      throws IOException {
    // one pass, so a substituted path is never substituted again
    Matcher m =
        Pattern.compile(String.join("|", subst.keySet().stream().map(Pattern::quote).toList()))
            .matcher(command);
    StringBuilder replaced = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(replaced, Matcher.quoteReplacement(subst.get(m.group())));
    }
    String line = m.appendTail(replaced).toString();
    List<String> cmd = new ArrayList<>(Arrays.asList(line.split(" +")));
    cmd.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add(1, "-Djava.io.tmpdir=" + work);
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(root.toFile())
            .redirectErrorStream(true)
            .redirectOutput(PipelineProcess.logFile(log));
    pb.environment().keySet().removeIf(k -> k.startsWith("STREAMINFER_"));
    pb.environment().put("TMPDIR", work.toString());
    pb.environment().put("STREAMINFER_INFERENCE_DEVICE", "cpu");
    return pb.start();
  }

  private static void awaitLine(Path log, String text, Process p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
        return;
      }
      assertThat(p.isAlive()).as("broker still running; its log: " + log).isTrue();
      Thread.sleep(200);
    }
    throw new AssertionError("no '" + text + "' in " + log);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
