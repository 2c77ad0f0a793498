package io.streaminfer.pipeline.it;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestRepository;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.model.ControlChanges;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.ModelControl;
import io.streaminfer.schemas.ModelVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The child process of {@link NativeMemoryIT}: deploys version 2 of a route's model as the serving
 * version and undeploys it (a tombstone) {@code cycles} times through the registry's control path,
 * running a batch on each deployed session, and prints its resident set after each cycle: {@code
 * cycle <n> rss_kb <kb>}. Arguments: repository, route, model, cycles.
 */
public final class SessionCycles {
  private SessionCycles() {}

  public static void main(String[] args) throws Exception {
    Path repo = Path.of(args[0]);
    String route = args[1];
    String model = args[2];
    int cycles = Integer.parseInt(args[3]);
    TestRepository.addVersion(repo, model, "1", model, "2");
    ModelVersion v1 = TestRepository.version(repo, model, "1");
    ModelVersion v2 = TestRepository.version(repo, model, "2");
    StreamInferConfig config =
        TestConfigs.config(
            Map.of(
                StreamInferConfig.MODELS_REPOSITORY,
                repo.toString(),
                StreamInferConfig.MODELS_PIN,
                model + ":1"));
    // the repository without version 2 at start, as when a new version is trained while serving
    Path v2dir = repo.resolve(model).resolve("2");
    Path aside = repo.resolve("..").resolve("aside-" + model + "-2");
    Files.move(v2dir, aside);
    try (ModelRegistry models = ModelRegistry.open(config)) {
      Files.move(aside, v2dir);
      for (int i = 0; i < cycles; i++) {
        ModelControl deploy = ControlChanges.deploy(ControlChanges.configured(route, v1), v2, true);
        ModelRegistry.Outcome o = models.apply(route, deploy, 2L * i);
        if (!o.applied()) {
          throw new IllegalStateException(o.reason());
        }
        try (ModelRegistry.Lease batch = models.lease(route)) {
          batch.serving().primary().model().warmUp(); // one run on the deployed session
        }
        if (!models.apply(route, null, 2L * i + 1).applied()) {
          throw new IllegalStateException("undeploy refused");
        }
        System.gc();
        Thread.sleep(50);
        System.out.println("cycle " + (i + 1) + " rss_kb " + rssKb());
      }
    }
  }

  /** VmRSS of this process, from /proc/self/status. */
  static long rssKb() throws java.io.IOException {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
