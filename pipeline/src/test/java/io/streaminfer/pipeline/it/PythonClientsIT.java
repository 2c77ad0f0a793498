package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs docs/python-clients.md as written: the properties block becomes the file, and its {@code
 * java -jar pipeline/target/streaminfer.jar ...} and {@code training/.venv/bin/python ...} commands
 * run in order from the repository root (broker and run in the background), with a free port for
 * 9092 and temporary paths for the properties file and the schema folder. The Python client's
 * published texts and generation request must come back as predictions its consumer decodes.
 *
 * <p>Needs the training virtualenv; {@code scripts/test-all.sh} creates it before Maven runs.
 */
class PythonClientsIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void shouldServeWhatThePythonClientPublishesAsTheDocSays() throws Exception {
    Path root = Walkthrough.root();
    assertThat(root.resolve(Walkthrough.PYTHON))
        .as("the training virtualenv (scripts/test-all.sh creates it before the Java tests)")
        .isExecutable();
    String doc = Files.readString(root.resolve("docs/python-clients.md"));
    int port = Walkthrough.freePort();
    Matcher props = Pattern.compile("```properties\\n(.*?)```", Pattern.DOTALL).matcher(doc);
    assertThat(props.find()).as("a properties block").isTrue();
    Path properties = work.resolve("clients.properties");
    Files.writeString(properties, props.group(1).replace("9092", Integer.toString(port)));
    List<String> commands =
        doc.lines()
            .map(String::strip)
            .filter(
                l ->
                    l.startsWith(Walkthrough.JAR_COMMAND)
                        || l.startsWith(Walkthrough.PYTHON + " docs/"))
            .toList();
    assertThat(commands)
        .extracting(c -> c.startsWith("java") ? c.split(" ")[3] : c.replaceAll(".* avro ", ""))
        .extracting(c -> c.split(" ")[0])
        .containsExactly("broker", "run", "schemas", "produce", "produce", "consume", "consume");
    Map<String, String> subst =
        Map.of(
            "9092",
            Integer.toString(port),
            "clients.properties",
            properties.toString(),
            "--schemas avro",
            "--schemas " + work.resolve("avro"),
            "--write avro",
            "--write " + work.resolve("avro"));

    List<Process> background = new ArrayList<>();
    try {
      background.add(
          Walkthrough.startBroker(root, work, commands.get(0), subst, "python-broker", port));
      background.add(Walkthrough.start(root, work, commands.get(1), subst, "python-run"));
      String schemas = Walkthrough.run(root, work, commands.get(2), subst, "python-schemas", 60);
      assertThat(schemas).contains("wrote ");
      assertThat(Walkthrough.run(root, work, commands.get(3), subst, "python-texts", 60))
          .contains("published 2 to texts");
      assertThat(Walkthrough.run(root, work, commands.get(4), subst, "python-generation", 60))
          .contains("published 1 to generation-requests");

      List<JsonNode> texts =
          lines(Walkthrough.run(root, work, commands.get(5), subst, "python-consume-texts", 150));
      assertThat(texts).hasSize(2);
      assertThat(texts)
          .allSatisfy(
              t -> {
                assertThat(t.path("schema").asText()).isEqualTo("Classification");
                assertThat(t.path("value").path("metadata").path("model_name").asText())
                    .isEqualTo("langid-bert");
              });
      assertThat(texts)
          .extracting(t -> t.path("key").asText() + "=" + t.path("value").path("label").asText())
          .containsExactlyInAnyOrder("text-1=de", "text-2=es");

      List<JsonNode> images =
          lines(Walkthrough.run(root, work, commands.get(6), subst, "python-consume-images", 150));
      assertThat(images).hasSize(2);
      assertThat(images)
          .allSatisfy(
              i -> {
                assertThat(i.path("schema").asText()).isEqualTo("GeneratedImage");
                assertThat(i.path("value").path("label").asText()).isEqualTo("7");
                assertThat(i.path("value").path("png").asText()).matches("<[1-9][0-9]* bytes>");
              });
      assertThat(images)
          .extracting(i -> i.path("value").path("sample_index").asInt())
          .containsExactlyInAnyOrder(0, 1);
    } finally {
      Walkthrough.stopAll(background);
    }
  }

  private static List<JsonNode> lines(String printed) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : printed.lines().filter(l -> l.startsWith("{")).toList()) {
      out.add(JSON.readTree(line));
    }
    return out;
  }
}
