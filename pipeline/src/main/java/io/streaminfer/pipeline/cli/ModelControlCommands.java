package io.streaminfer.pipeline.cli;

import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.pipeline.config.ModelRef;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.model.ControlChanges;
import io.streaminfer.pipeline.model.ControlClient;
import io.streaminfer.pipeline.model.ControlTopics;
import io.streaminfer.pipeline.model.KafkaArtifacts;
import io.streaminfer.schemas.ModelControl;
import io.streaminfer.schemas.ModelStatus;
import io.streaminfer.schemas.ModelVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code streaminfer model deploy|promote|canary|shadow|rollback|undeploy|status}: each change
 * reads the route's latest record on the control topic, writes the next one (see {@link
 * ControlChanges}) and, with {@code --wait}, waits until every instance on the status topic has
 * answered it.
 */
final class ModelControlCommands {
  private ModelControlCommands() {}

  /** What every change command shares: the cluster, the route and the wait. */
  abstract static class Change implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Parameters(index = "0", paramLabel = "ROUTE", description = "The route (routes.<name>).")
    String route;

    @Option(
        names = "--wait",
        defaultValue = "0",
        paramLabel = "SECONDS",
        description =
            "Wait up to this long until every instance reporting on the status topic has answered"
                + " the record; exit 1 when one refused it or did not answer (default 0: do not wait).")
    int waitSeconds;

    StreamInferConfig c;
    private ModelControl current; // the route's latest state, while change() runs

    /** The next record from the route's latest ({@code null}: a tombstone). */
    abstract ModelControl change(ModelControl now);

    @Override
    public Integer call() throws Exception {
      c = config.load();
      if (!controlled(c)) {
        return StreamInferCli.EXIT_BAD_SETUP;
      }
      Route r;
      try {
        r = c.route(route);
      } catch (IllegalArgumentException e) {
        System.err.println("streaminfer: " + e.getMessage());
        return StreamInferCli.EXIT_BAD_SETUP;
      }
      ControlTopics.ensure(c);
      String topic = c.getString(StreamInferConfig.TOPIC_MODEL_CONTROL);
      var latest = ControlClient.controls(c.clientProperties(), topic, Duration.ofSeconds(30));
      ModelControl now =
          latest.containsKey(route)
              ? latest.get(route).value()
              : ControlChanges.configured(route, configured(r));
      ModelControl next;
      current = now;
      try {
        next = change(now);
      } catch (IllegalArgumentException e) {
        System.err.println("streaminfer: " + e.getMessage());
        return StreamInferCli.EXIT_BAD_SETUP;
      }
      long offset = ControlClient.write(c.clientProperties(), topic, route, next);
      System.out.println(
          "route "
              + route
              + ": "
              + (next == null ? "back to its configured models" : describe(next))
              + " (control record "
              + offset
              + " on "
              + topic
              + ")");
      return waitSeconds > 0 ? await(offset) : 0;
    }

    /** Waits until every instance has answered control record {@code offset}; prints each. */
    private int await(long offset) throws InterruptedException {
      String statusTopic = c.getString(StreamInferConfig.TOPIC_MODEL_STATUS);
      long deadline = System.nanoTime() + Duration.ofSeconds(waitSeconds).toNanos();
      while (true) {
        var all = ControlClient.statuses(c.clientProperties(), statusTopic, Duration.ofSeconds(30));
        List<ModelStatus> mine =
            all.values().stream()
                .map(ControlClient.At::value)
                .filter(s -> s.getRoute().equals(route))
                .toList();
        boolean answered =
            !mine.isEmpty() && mine.stream().allMatch(s -> s.getControlOffset() >= offset);
        if (answered || System.nanoTime() > deadline) {
          StatusTable.print(mine);
          if (!answered) {
            System.err.println(
                "streaminfer: not every instance answered control record "
                    + offset
                    + " within "
                    + waitSeconds
                    + " s");
            return 1;
          }
          boolean refused =
              mine.stream()
                  .anyMatch(s -> s.getState() == io.streaminfer.schemas.ModelState.REFUSED);
          return refused ? 1 : 0;
        }
        Thread.sleep(250);
      }
    }

    /**
     * The version of {@code ref}: as the route's state already names it (with its artifact, e.g. a
     * published one), else from the model repository (or {@code artifact}), verified.
     */
    ModelVersion version(String ref, Path artifact) {
      ModelRef m;
      try {
        m = ModelRef.parse(ref);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("MODEL:VERSION: " + e.getMessage());
      }
      if (artifact == null && current != null && m.version().isPresent()) {
        List<ModelVersion> known = new ArrayList<>(current.getLoaded());
        known.add(current.getServing());
        java.util.stream.Stream.of(current.getCanary(), current.getShadow(), current.getPrevious())
            .filter(java.util.Objects::nonNull)
            .forEach(known::add);
        for (ModelVersion k : known) {
          if (ControlChanges.id(k).equals(m.toString())) {
            return ModelVersion.newBuilder(k).build();
          }
        }
      }
      Path root = Path.of(c.getString(StreamInferConfig.MODELS_REPOSITORY));
      Path dir;
      if (artifact != null) {
        dir = root.resolve(artifact);
      } else {
        // only this version's files are checked: another broken version does not block it
        String v =
            m.version().or(() -> c.pin(m.name())).orElseGet(() -> newest(root.resolve(m.name())));
        dir = root.resolve(m.name()).resolve(v);
      }
      ModelArtifact a = ModelRepository.verify(dir);
      if (!a.card().name().equals(m.name())
          || (m.version().isPresent() && !a.card().version().equals(m.version().get()))) {
        throw new IllegalArgumentException(artifact + " holds " + a.card().id() + ", not " + ref);
      }
      return ModelVersion.newBuilder()
          .setName(a.card().name())
          .setVersion(a.card().version())
          .setSha256(a.card().sha256())
          .setArtifact(artifact == null ? "" : artifact.toString())
          .build();
    }

    /**
     * The route's configured model, as a version: what the instances report serving without a
     * control record (they resolved it at their start), else as the configuration resolves it now.
     */
    private ModelVersion configured(Route r) {
      var reported =
          ControlClient.statuses(
                  c.clientProperties(),
                  c.getString(StreamInferConfig.TOPIC_MODEL_STATUS),
                  Duration.ofSeconds(30))
              .values()
              .stream()
              .map(ControlClient.At::value)
              .filter(s -> s.getRoute().equals(r.name()) && s.getAppliedOffset() < 0)
              .map(ModelStatus::getServing)
              .distinct()
              .toList();
      if (reported.size() == 1) {
        return version(reported.get(0), null);
      }
      ModelRef d = r.defaultModel();
      return version(d.name() + d.version().map(v -> ":" + v).orElse(""), null);
    }

    /** The newest version directory of a model (a number), without reading the others. */
    private static String newest(Path modelDir) {
      try (var dirs = java.nio.file.Files.list(modelDir)) {
        return dirs.map(p -> p.getFileName().toString())
            .filter(n -> n.matches("[0-9]+"))
            .max(java.util.Comparator.comparingLong(Long::parseLong))
            .orElseThrow(() -> new IllegalArgumentException("no version of " + modelDir));
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("cannot list " + modelDir + ": " + e.getMessage());
      }
    }
  }

  /** Whether {@code c} names a control topic; says so on stderr when not. */
  static boolean controlled(StreamInferConfig c) {
    if (!c.modelControl()) {
      System.err.println(
          "streaminfer: "
              + StreamInferConfig.TOPIC_MODEL_CONTROL
              + " is empty: no run-time changes");
    }
    return c.modelControl();
  }

  /** One line for a desired state. */
  static String describe(ModelControl m) {
    StringBuilder b = new StringBuilder("serving ").append(ControlChanges.id(m.getServing()));
    if (m.getCanary() != null) {
      b.append(", canary ")
          .append(ControlChanges.id(m.getCanary()))
          .append(" on ")
          .append(Math.round(m.getCanaryShare() * 1000) / 10.0)
          .append("% of keys");
    }
    if (m.getShadow() != null) {
      b.append(", shadow ").append(ControlChanges.id(m.getShadow()));
    }
    List<String> loaded = new ArrayList<>();
    m.getLoaded().forEach(v -> loaded.add(ControlChanges.id(v)));
    if (!loaded.isEmpty()) {
      b.append(", loaded ").append(String.join(" ", loaded));
    }
    if (m.getPrevious() != null) {
      b.append(", rollback to ").append(ControlChanges.id(m.getPrevious()));
    }
    return b.toString();
  }

  @Command(
      name = "deploy",
      mixinStandardHelpOptions = true,
      description = {
        "Load MODEL:VERSION on every instance of ROUTE (verified, warmed, not serving yet);"
            + " --serve makes it serve at once."
      })
  static final class Deploy extends Change {
    @Parameters(index = "1", paramLabel = "MODEL:VERSION", description = "The version to deploy.")
    String model;

    @Option(names = "--serve", description = "Serve it on every key at once (promote).")
    boolean serve;

    @Option(
        names = "--artifact",
        paramLabel = "DIR",
        description =
            "Its version directory on a volume every instance mounts (absolute, or relative to"
                + " models.repository); default <models.repository>/<name>/<version>.")
    Path artifact;

    @Option(
        names = "--publish",
        description =
            "Publish the version's files into Kafka (topic.model.artifacts) and have the instances"
                + " load them from there: no shared filesystem needed.")
    boolean publish;

    @Override
    ModelControl change(ModelControl now) {
      ModelVersion v = version(model, artifact);
      if (publish) {
        Path root = Path.of(c.getString(StreamInferConfig.MODELS_REPOSITORY));
        Path dir =
            artifact != null
                ? root.resolve(artifact)
                : root.resolve(v.getName()).resolve(v.getVersion());
        String published =
            KafkaArtifacts.publish(
                c.clientProperties(),
                c.getString(StreamInferConfig.TOPIC_MODEL_ARTIFACTS),
                ModelRepository.verify(dir),
                c.getLong(StreamInferConfig.ARTIFACTS_MAX_BYTES));
        System.out.println("published " + ControlChanges.id(v) + " as " + published);
        v.setArtifact(published);
      }
      return ControlChanges.deploy(now, v, serve);
    }
  }

  @Command(
      name = "promote",
      mixinStandardHelpOptions = true,
      description =
          "Serve MODEL:VERSION (default: the canary, else the shadow) on every key of ROUTE; the"
              + " version it replaces stays loaded for rollback.")
  static final class Promote extends Change {
    @Parameters(
        index = "1",
        arity = "0..1",
        paramLabel = "MODEL:VERSION",
        description = "The version.")
    String model;

    @Override
    ModelControl change(ModelControl now) {
      return ControlChanges.promote(now, model == null ? null : version(model, null));
    }
  }

  @Command(
      name = "canary",
      mixinStandardHelpOptions = true,
      description =
          "Serve MODEL:VERSION on a share of ROUTE's keys (a stable hash of the key: a key keeps"
              + " its version while the split stands); --share 0 ends the canary.")
  static final class Canary extends Change {
    @Parameters(index = "1", paramLabel = "MODEL:VERSION", description = "The candidate.")
    String model;

    @Option(names = "--share", required = true, description = "Share of keys, 0..1 (e.g. 0.1).")
    double share;

    @Override
    ModelControl change(ModelControl now) {
      return ControlChanges.canary(now, version(model, null), share);
    }
  }

  @Command(
      name = "shadow",
      mixinStandardHelpOptions = true,
      description =
          "Run MODEL:VERSION beside ROUTE's serving version on every event, its results to the"
              + " shadow-predictions topic only; --off ends it.")
  static final class Shadow extends Change {
    @Parameters(
        index = "1",
        arity = "0..1",
        paramLabel = "MODEL:VERSION",
        description = "The shadow.")
    String model;

    @Option(names = "--off", description = "End the shadow.")
    boolean off;

    @Override
    ModelControl change(ModelControl now) {
      if (off == (model != null)) {
        throw new IllegalArgumentException("name MODEL:VERSION, or --off");
      }
      return ControlChanges.shadow(now, off ? null : version(model, null));
    }
  }

  @Command(
      name = "rollback",
      mixinStandardHelpOptions = true,
      description = "Serve ROUTE's previous version again on every key; canary and shadow end.")
  static final class Rollback extends Change {
    @Override
    ModelControl change(ModelControl now) {
      return ControlChanges.rollback(now);
    }
  }

  @Command(
      name = "undeploy",
      mixinStandardHelpOptions = true,
      description =
          "Unload MODEL:VERSION from ROUTE on every instance; without it, return ROUTE to the"
              + " models its configuration names.")
  static final class Undeploy extends Change {
    @Parameters(
        index = "1",
        arity = "0..1",
        paramLabel = "MODEL:VERSION",
        description = "The version.")
    String model;

    @Override
    ModelControl change(ModelControl now) {
      if (model == null) {
        return null;
      }
      ModelRef m = ModelRef.parse(model);
      if (m.version().isEmpty()) {
        throw new IllegalArgumentException("undeploy names a version: " + model + ":N");
      }
      ModelVersion v =
          ModelVersion.newBuilder()
              .setName(m.name())
              .setVersion(m.version().get())
              .setSha256("")
              .build();
      return ControlChanges.undeploy(now, v);
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description =
          "Print each instance's view of each route (serving, canary, shadow, refused and why)"
              + " from the status topic, and each route's desired state from the control topic.")
  static final class Status implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Override
    public Integer call() throws Exception {
      StreamInferConfig c = config.load();
      if (!controlled(c)) {
        return StreamInferCli.EXIT_BAD_SETUP;
      }
      Map<String, ControlClient.At<ModelControl>> desired =
          ControlClient.controls(
              c.clientProperties(),
              c.getString(StreamInferConfig.TOPIC_MODEL_CONTROL),
              Duration.ofSeconds(30));
      for (Route r : c.routes()) {
        var d = desired.get(r.name());
        System.out.println(
            "route "
                + r.name()
                + ": "
                + (d == null
                    ? "configured models " + r.models()
                    : describe(d.value()) + " (control record " + d.offset() + ")"));
      }
      var all =
          ControlClient.statuses(
              c.clientProperties(),
              c.getString(StreamInferConfig.TOPIC_MODEL_STATUS),
              Duration.ofSeconds(30));
      System.out.println();
      StatusTable.print(all.values().stream().map(ControlClient.At::value).toList());
      return 0;
    }
  }

  /** The status table: one row per instance and route. */
  static final class StatusTable {
    private StatusTable() {}

    static void print(List<ModelStatus> rows) {
      String fmt = "%-20s %-16s %-8s %-24s %-30s %-24s %-7s %s%n";
      System.out.printf(
          fmt, "INSTANCE", "ROUTE", "STATE", "SERVING", "CANARY", "SHADOW", "RECORD", "REASON");
      for (ModelStatus s : rows) {
        System.out.printf(
            fmt,
            s.getInstance(),
            s.getRoute(),
            s.getState(),
            s.getServing(),
            s.getCanary() == null
                ? "-"
                : s.getCanary() + " (" + Math.round(s.getCanaryShare() * 1000) / 10.0 + "%)",
            Optional.ofNullable(s.getShadow()).orElse("-"),
            s.getControlOffset() < 0 ? "-" : String.valueOf(s.getControlOffset()),
            Optional.ofNullable(s.getReason()).orElse(""));
      }
    }
  }
}
