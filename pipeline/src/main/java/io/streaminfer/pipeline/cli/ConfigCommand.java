package io.streaminfer.pipeline.cli;

import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.RouteKeys;
import io.streaminfer.pipeline.config.StreamInferConfig;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigDef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Prints the configuration reference, generated from the one declaration of every key: the global
 * keys, the route keys ({@code routes.<name>.*}) and the default routes.
 */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = "Print the configuration reference.")
final class ConfigCommand implements Callable<Integer> {
  @Option(names = "--markdown", description = "As Markdown tables (the README's reference).")
  boolean markdown;

  @Override
  public Integer call() {
    if (!markdown) {
      System.out.println(StreamInferConfig.CONFIG.toRst());
      System.out.println("Route keys, each as routes.<name>.<key>:");
      System.out.println();
      System.out.println(RouteKeys.TEMPLATE.toRst());
      return 0;
    }
    System.out.print(markdown());
    return 0;
  }

  /** The reference as Markdown tables: global keys, route keys, default routes. */
  static String markdown() {
    java.io.StringWriter text = new java.io.StringWriter();
    java.io.PrintWriter out = new java.io.PrintWriter(text);
    out.println("| key | environment | type | default | description |");
    out.println("|---|---|---|---|---|");
    for (var k : new TreeMap<>(StreamInferConfig.CONFIG.configKeys()).values()) {
      String shown =
          k.name.equals(StreamInferConfig.STATE_DIR) ? "$TMPDIR/streaminfer-state" : shown(k);
      row(out, k.name, StreamInferConfig.envName(k.name), k, shown);
    }
    out.println(
        "| `kafka.*` | `STREAMINFER_KAFKA_*` | any | | Passed to Kafka Streams and its clients without the prefix (e.g. `kafka.security.protocol=SASL_SSL`). |");
    out.println();
    out.println(
        "Route keys (`<name>` is a route of `routes`; in an environment variable a `-` in the name is written `_`):");
    out.println();
    out.println("| key | environment | type | default | description |");
    out.println("|---|---|---|---|---|");
    for (String key :
        RouteKeys.TEMPLATE.names().stream().sorted(RouteKeys::compareForDocs).toList()) {
      ConfigDef.ConfigKey k = RouteKeys.TEMPLATE.configKeys().get(key);
      String shown =
          !k.hasDefault() ? "(required)" : k.defaultValue == null ? "(see description)" : shown(k);
      row(
          out,
          RouteKeys.key("<name>", key),
          StreamInferConfig.envName(RouteKeys.PREFIX)
              + "<NAME>_"
              + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_'),
          k,
          shown);
    }
    out.println();
    out.println("The default routes (`routes=" + RouteKeys.DEFAULT_ROUTES + "`):");
    out.println();
    out.println("| route | task | input | models | outputs |");
    out.println("|---|---|---|---|---|");
    for (Route r : StreamInferConfig.of(Map.of()).routes()) {
      List<String> outs =
          r.outputs().entrySet().stream().map(e -> e.getKey() + "=`" + e.getValue() + "`").toList();
      String anomaly = r.limits().anomalyModel().map(m -> " (anomaly.model " + m + ")").orElse("");
      out.printf(
          "| `%s` | %s | `%s` | `%s`%s | %s |%n",
          r.name(),
          r.task().id(),
          r.input(),
          String.join(",", r.models().stream().map(Object::toString).toList()),
          anomaly,
          String.join(", ", outs));
    }
    out.flush();
    return text.toString();
  }

  private static String shown(ConfigDef.ConfigKey k) {
    Object def = k.hasDefault() ? k.defaultValue : "(required)";
    return def instanceof List<?> l
        ? String.join(",", l.stream().map(String::valueOf).toList())
        : String.valueOf(def);
  }

  private static void row(
      java.io.PrintWriter out, String name, String env, ConfigDef.ConfigKey k, String shown) {
    String def = shown.startsWith("(") ? shown : "`" + shown + "`";
    out.printf(
        "| `%s` | `%s` | %s | %s | %s |%n",
        name, env, k.type.name().toLowerCase(), def, k.documentation.replace("|", "\\|"));
  }
}
