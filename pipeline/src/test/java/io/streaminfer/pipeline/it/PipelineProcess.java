package io.streaminfer.pipeline.it;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The pipeline as a separate JVM ({@code java -jar target/streaminfer.jar run}), so tests can kill
 * it with SIGKILL the way a crashed machine would. Output goes to a log file under target/.
 */
final class PipelineProcess implements AutoCloseable {
  private final Process process;

  private PipelineProcess(Process process) {
    this.process = process;
  }

  /** Starts {@code run} with {@code settings} as --set overrides. */
  static PipelineProcess start(String bootstrap, Map<String, String> settings, Path log)
      throws IOException {
    Path jar = Path.of("target", "streaminfer.jar");
    if (!jar.toFile().isFile()) {
      throw new IllegalStateException(
          jar.toAbsolutePath() + " missing: integration tests run after package");
    }
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-jar",
                jar.toString(),
                "run",
                "-b",
                bootstrap));
    settings.forEach((k, v) -> cmd.addAll(List.of("-s", k + "=" + v)));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().keySet().removeIf(k -> k.startsWith("STREAMINFER_"));
    return new PipelineProcess(pb.start());
  }

  /** SIGKILL: no shutdown hook, no commit, no flush. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /**
   * Waits for the process to end by itself; its exit code, or -1 if it still runs after {@code
   * seconds}.
   */
  int awaitExit(long seconds) throws InterruptedException {
    return process.waitFor(seconds, java.util.concurrent.TimeUnit.SECONDS)
        ? process.exitValue()
        : -1;
  }

  boolean alive() {
    return process.isAlive();
  }

  /**
   * SIGTERM and wait (a clean close); its exit status, or -1 when it was still running 30 s later
   * (then SIGKILLed).
   */
  int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
      kill();
      return -1;
    }
    return process.exitValue();
  }

  /** SIGTERM and wait (a clean close), if it still runs. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      stop();
    }
  }

  static File logFile(String name) {
    return Path.of("target", name + ".log").toFile();
  }
}
