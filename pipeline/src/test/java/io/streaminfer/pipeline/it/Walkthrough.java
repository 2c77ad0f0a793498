package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a documented command line as a user would type it in the repository root: {@code java -jar
 * pipeline/target/streaminfer.jar ...} with this JDK, {@code training/.venv/bin/python ...} with
 * the training virtualenv, after substituting temporary paths and ports for the doc's words.
 */
final class Walkthrough {
  static final String JAR_COMMAND = "java -jar pipeline/target/streaminfer.jar ";
  static final String PYTHON = "training/.venv/bin/python";

  private Walkthrough() {}

  /** The repository root. */
  static Path root() {
    return Path.of(io.streaminfer.pipeline.TestConfigs.repository())
        .toAbsolutePath()
        .getParent()
        .getParent();
  }

  /**
   * Starts {@code command} in {@code root} with each key of {@code subst} replaced by its value (in
   * one pass, so a substituted path is never substituted again); its output goes to {@code log}.
   */
  static Process start(Path root, Path work, String command, Map<String, String> subst, String log)
      throws IOException {
    String line = command;
    if (!subst.isEmpty()) {
      Matcher m =
          Pattern.compile(String.join("|", subst.keySet().stream().map(Pattern::quote).toList()))
              .matcher(command);
      StringBuilder replaced = new StringBuilder();
      while (m.find()) {
        m.appendReplacement(replaced, Matcher.quoteReplacement(subst.get(m.group())));
      }
      line = m.appendTail(replaced).toString();
    }
    List<String> cmd = new ArrayList<>(); // words, a "quoted text" one word as a shell reads it
    Matcher word = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(line);
    while (word.find()) {
      cmd.add(word.group(1) != null ? word.group(1) : word.group(2));
    }
    if (cmd.get(0).equals("java")) {
      cmd.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add(1, "-Djava.io.tmpdir=" + work);
    } else {
      cmd.set(0, root.resolve(cmd.get(0)).toString());
    }
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

  /** Runs {@code command} to completion (at most {@code seconds}); returns what it printed. */
  static String run(
      Path root, Path work, String command, Map<String, String> subst, String log, int seconds)
      throws Exception {
    Process p = start(root, work, command, subst, log);
    boolean ended = p.waitFor(seconds, TimeUnit.SECONDS);
    if (!ended) {
      p.destroyForcibly();
    }
    String printed = Files.readString(PipelineProcess.logFile(log).toPath());
    assertThat(ended)
        .as("'%s' ended within %d s; it printed:%n%s", command, seconds, printed)
        .isTrue();
    assertThat(p.exitValue()).as("exit status of '%s'; it printed:%n%s", command, printed).isZero();
    return printed;
  }

  /**
   * Starts the documented {@code streaminfer broker} command and waits until it serves on {@code
   * port}.
   */
  static Process startBroker(
      Path root, Path work, String command, Map<String, String> subst, String log, int port)
      throws Exception {
    Process broker = start(root, work, command, subst, log);
    awaitLine(PipelineProcess.logFile(log).toPath(), "Kafka broker on 127.0.0.1:" + port, broker);
    return broker;
  }

  /** Waits until {@code log} contains {@code text}, failing when {@code p} ends first. */
  static void awaitLine(Path log, String text, Process p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
        return;
      }
      assertThat(p.isAlive()).as("still running; its log: " + log).isTrue();
      Thread.sleep(200);
    }
    throw new AssertionError("no '" + text + "' in " + log);
  }

  /** Stops background processes, the last started first. */
  static void stopAll(List<Process> background) throws InterruptedException {
    for (int i = background.size() - 1; i >= 0; i--) {
      background.get(i).destroy();
      if (!background.get(i).waitFor(30, TimeUnit.SECONDS)) {
        background.get(i).destroyForcibly();
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
