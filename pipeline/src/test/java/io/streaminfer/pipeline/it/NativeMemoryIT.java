package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.ReliabilityReport;
import io.streaminfer.pipeline.TestRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native memory across 50 deploy/undeploy cycles of a model stays flat: a child JVM (fixed,
 * pre-touched heap, so its resident set moves only with native memory) loads, runs and closes
 * version 2 of the BERT text classifier (session and Hugging Face tokenizer) 50 times; its resident
 * set after the last cycle is within a few MB of where it was after the warm-up cycles. A session
 * or tokenizer left open per cycle would add its full size every time (about 20 MB here). Figures
 * go to target/reliability/native-memory.json.
 */
class NativeMemoryIT {
  @TempDir Path work;

  private static final int CYCLES = 50;
  private static final int WARM_UP = 10;

  /**
   * The application jar (as users run it) plus the test classes: with failsafe's whole class path
   * (105 jars) a plain JVM crashed in ONNX Runtime's first session (SIGSEGV, no JVM error file) on
   * this machine, which the application jar never did.
   */
  private static String classPath() {
    List<String> cp = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (e.endsWith("test-classes") || e.endsWith("-tests.jar")) {
        cp.add(e);
      }
    }
    cp.add(Path.of("target", "streaminfer.jar").toAbsolutePath().toString());
    return String.join(java.io.File.pathSeparator, cp);
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void shouldKeepNativeMemoryFlatAcrossFiftyDeployUndeployCycles() throws Exception {
    Path repo = TestRepository.copy(work.resolve("repository"));
    Path log = work.resolve("cycles.log");
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xms256m",
            "-Xmx256m",
            "-XX:+AlwaysPreTouch",
            "-XX:ErrorFile=" + work.resolve("hs_err.log"),
            "-Djava.io.tmpdir=" + work,
            "-cp",
            classPath(),
            SessionCycles.class.getName(),
            repo.toString(),
            "texts",
            "langid-bert",
            Integer.toString(CYCLES));
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("STREAMINFER_"));
    Process p = pb.start();
    assertThat(p.waitFor(240, TimeUnit.SECONDS)).as("the cycles end").isTrue();
    String printed = Files.readString(log);
    Path crash = work.resolve("hs_err.log");
    assertThat(p.exitValue())
        .as(
            "exit status; it printed:%n%s%n%s",
            printed, Files.exists(crash) ? Files.readString(crash).lines().limit(40).toList() : "")
        .isZero();
    List<Long> rss = new ArrayList<>();
    printed
        .lines()
        .filter(l -> l.startsWith("cycle "))
        .forEach(l -> rss.add(Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))));
    assertThat(rss).hasSize(CYCLES);
    long warm = rss.get(WARM_UP - 1);
    long last = rss.get(CYCLES - 1);
    long max = rss.subList(WARM_UP, CYCLES).stream().mapToLong(Long::longValue).max().orElseThrow();
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("model", "langid-bert (session + tokenizer)");
    figures.put("cycles", CYCLES);
    figures.put("rss_mb_after_first_cycle", rss.get(0) / 1024.0);
    figures.put("rss_mb_after_warm_up", warm / 1024.0);
    figures.put("rss_mb_after_last_cycle", last / 1024.0);
    figures.put("rss_mb_max_after_warm_up", max / 1024.0);
    figures.put("growth_mb_after_warm_up", (last - warm) / 1024.0);
    ReliabilityReport.write("native-memory", figures);
    System.out.println("native-memory " + figures);
    assertThat((last - warm) / 1024.0)
        .as("resident set growth over %d cycles after warm-up, MB", CYCLES - WARM_UP)
        .isLessThan(8.0);
  }
}
