package io.streaminfer.pipeline.cli;

import io.streaminfer.pipeline.config.StreamInferConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prints the configuration reference (generated from the one declaration of every key). */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Print the configuration reference.")
final class ConfigCommand implements Callable<Integer> {
  @Option(names = "--markdown", description = "As a Markdown table (the README's reference).")
  boolean markdown;

  @Override
  public Integer call() {
    if (!markdown) {
      System.out.println(StreamInferConfig.CONFIG.toRst());
      return 0;
    }
    System.out.println("| key | environment | type | default | description |");
    System.out.println("|---|---|---|---|---|");
    for (var k : new java.util.TreeMap<>(StreamInferConfig.CONFIG.configKeys()).values()) {
      Object def = k.hasDefault() ? k.defaultValue : "(required)";
      String shown = def instanceof java.util.List<?> l ? String.join(",", l.stream().map(String::valueOf).toList()) : String.valueOf(def);
      if (k.name.equals(StreamInferConfig.STATE_DIR)) {
        shown = "$TMPDIR/streaminfer-state";
      }
      System.out.printf("| `%s` | `%s` | %s | `%s` | %s |%n", k.name, StreamInferConfig.envName(k.name),
          k.type.name().toLowerCase(), shown, k.documentation.replace("|", "\\|"));
    }
    System.out.println("| `kafka.*` | `STREAMINFER_KAFKA_*` | any | | Passed to Kafka Streams and its clients without the prefix (e.g. `kafka.security.protocol=SASL_SSL`). |");
    return 0;
  }
}
