package io.streaminfer.pipeline.cli;

import io.streaminfer.testkit.Demo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The demo on an embedded broker (see {@link Demo}). */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Start an in-process Kafka broker, the pipeline and sample producers; print a summary and one JSON line.")
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--repository",
      defaultValue = "models/repository",
      description = "Model repository (default: ${DEFAULT-VALUE}).")
  Path repository;

  @Option(
      names = "--out",
      defaultValue = "demo-output",
      description = "Where generated PNG files go (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--images", defaultValue = "200", description = "Digit images to publish.")
  int images;

  @Option(names = "--texts", defaultValue = "200", description = "Sentences to publish.")
  int texts;

  @Option(
      names = "--readings",
      defaultValue = "120",
      description =
          "Forecast readings per sensor (9 sensors), after the readings that fill its window.")
  int readings;

  @Option(
      names = "--generations",
      defaultValue = "20",
      description = "Generation requests to publish.")
  int generations;

  @Option(
      names = "--guarantee",
      defaultValue = "exactly_once_v2",
      description = "at_least_once or exactly_once_v2.")
  String guarantee;

  @Option(
      names = "--timeout",
      defaultValue = "180",
      description = "Seconds to wait for all outputs.")
  int timeout;

  @Override
  public Integer call() throws Exception {
    var summary =
        Demo.run(
            new Demo.Options(
                repository,
                out,
                images,
                texts,
                readings,
                generations,
                guarantee,
                Duration.ofSeconds(timeout)),
            System.out,
            System.err);
    return summary.path("accounted").asBoolean() ? 0 : 2;
  }
}
