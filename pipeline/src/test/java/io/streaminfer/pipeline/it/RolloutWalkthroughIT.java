package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.models.postprocess.PngEncoder;
import io.streaminfer.pipeline.TestRepository;
import io.streaminfer.testkit.SampleData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the rollout recipe of docs/operations.md (Changing models while serving) as written: its
 * properties block becomes the file and its commands run in order from the repository root, the
 * broker and the pipeline in the background, with these substitutions only: a free port for 9092, a
 * temporary copy of the committed repository for {@code models/repository}, the training in its
 * {@code --dry-run} size, and a digit for {@code digit.png}.
 */
class RolloutWalkthroughIT {
  @TempDir Path work;

  @Test
  @Timeout(value = 420, unit = TimeUnit.SECONDS)
  void shouldRollOutAndBackAsTheRecipeSays() throws Exception {
    Path root = Walkthrough.root();
    String doc = Files.readString(root.resolve("docs/operations.md"));
    int start = doc.indexOf("## Changing models while serving");
    assertThat(start).isNotNegative();
    int end = doc.indexOf("\n## ", start + 3);
    String section = doc.substring(start, end < 0 ? doc.length() : end);
    int port = Walkthrough.freePort();
    Path repo = TestRepository.copy(work.resolve("repository"));

    Matcher props = Pattern.compile("```properties\\n(.*?)```", Pattern.DOTALL).matcher(section);
    assertThat(props.find()).as("a properties block").isTrue();
    Path properties = work.resolve("rollout.properties");
    Files.writeString(
        properties,
        props
            .group(1)
            .replace("9092", Integer.toString(port))
            .replace("models/repository", repo.toString()));
    SampleData.Digit digit = SampleData.load().digits().get(0);
    Path png = work.resolve("digit.png");
    Files.write(png, PngEncoder.png(digit.pixels(), digit.width(), digit.height()));

    List<String> commands =
        new ArrayList<>(
            section
                .lines()
                .map(String::strip)
                .filter(
                    l -> l.startsWith(Walkthrough.JAR_COMMAND) || l.startsWith(Walkthrough.PYTHON))
                .toList());
    Map<String, String> subst = new LinkedHashMap<>(); // the longer key first: one pass
    subst.put("--out models/repository", "--out " + repo + " --dry-run");
    subst.put("9092", Integer.toString(port));
    subst.put("rollout.properties", properties.toString());
    subst.put("digit.png", png.toString());
    List<String> verbs =
        commands.stream().map(c -> c.startsWith(Walkthrough.PYTHON) ? "train" : verb(c)).toList();
    assertThat(verbs)
        .containsExactly(
            "broker",
            "run",
            "train",
            "model deploy",
            "model shadow",
            "model canary",
            "model promote",
            "produce",
            "tail",
            "model rollback",
            "model status");

    List<Process> background = new ArrayList<>();
    try {
      background.add(
          Walkthrough.startBroker(root, work, commands.get(0), subst, "rollout-broker", port));
      Process run = Walkthrough.start(root, work, commands.get(1), subst, "rollout-run");
      background.add(run);
      Walkthrough.awaitLine(PipelineProcess.logFile("rollout-run").toPath(), "-> RUNNING", run);

      String trained = Walkthrough.run(root, work, commands.get(2), subst, "rollout-train", 240);
      assertThat(trained).contains("\"model\": \"digits-cnn\"");
      assertThat(repo.resolve("digits-cnn/2/model.json")).exists();

      String deploy = Walkthrough.run(root, work, commands.get(3), subst, "rollout-deploy", 120);
      assertThat(deploy)
          .contains("route images: serving digits-cnn:1, loaded digits-cnn:2")
          .containsPattern("laptop +images +SERVING +digits-cnn:1 ");
      String shadow = Walkthrough.run(root, work, commands.get(4), subst, "rollout-shadow", 120);
      assertThat(shadow).contains("shadow digits-cnn:2");
      String canary = Walkthrough.run(root, work, commands.get(5), subst, "rollout-canary", 120);
      assertThat(canary)
          .contains("canary digits-cnn:2 on 10.0% of keys")
          .containsPattern("laptop +images +SERVING +digits-cnn:1 +digits-cnn:2 \\(10.0%\\)");
      String promote = Walkthrough.run(root, work, commands.get(6), subst, "rollout-promote", 120);
      assertThat(promote)
          .contains(
              "route images: serving digits-cnn:2, loaded digits-cnn:1, rollback to digits-cnn:1")
          .containsPattern("laptop +images +SERVING +digits-cnn:2 +- +- +3");

      Walkthrough.run(root, work, commands.get(7), subst, "rollout-produce", 90);
      String tail = Walkthrough.run(root, work, commands.get(8), subst, "rollout-tail", 150);
      assertThat(tail)
          .containsPattern(
              "image-predictions \\(images\\) .*\\[digits-cnn:2 on CPU.*, control record 3\\]");

      String back = Walkthrough.run(root, work, commands.get(9), subst, "rollout-rollback", 120);
      assertThat(back).contains("route images: serving digits-cnn:1");
      String status = Walkthrough.run(root, work, commands.get(10), subst, "rollout-status", 120);
      assertThat(status)
          .contains("route images: serving digits-cnn:1")
          .containsPattern("laptop +images +SERVING +digits-cnn:1 +- +- +4")
          .containsPattern("laptop +sensors +SERVING +sensor-lstm:1 ");
    } finally {
      Walkthrough.stopAll(background);
    }
  }

  /** {@code run}, {@code model deploy}, ... of a jar command. */
  private static String verb(String command) {
    String[] w = command.substring(Walkthrough.JAR_COMMAND.length()).split(" ");
    return w[0].equals("model") ? "model " + w[1] : w[0];
  }
}
