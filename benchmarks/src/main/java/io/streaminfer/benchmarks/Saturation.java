package io.streaminfer.benchmarks;

import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One B1 saturation point, for profiling (run it under JFR, see docs/benchmarks.md): {@code
 * Saturation <images|texts|sensors|generation> <events> <batch> <guarantee> [key=value ...]};
 * {@code passthrough} as the workload measures B1' instead. Prints events/s. With {@code
 * -Dstreaminfer.bench.latency.rate=R} it then runs 10 s of open-loop load at R events/s and prints
 * the latency percentiles and where they went (input, pipeline, output, visibility).
 */
public final class Saturation {
  private Saturation() {}

  public static void main(String[] args) throws Exception {
    String what = args[0].toLowerCase(Locale.ROOT);
    int n = Integer.parseInt(args[1]);
    int batch = Integer.parseInt(args[2]);
    Map<String, Object> overrides = new HashMap<>();
    for (int i = 4; i < args.length; i++) {
      overrides.put(
          args[i].substring(0, args[i].indexOf('=')), args[i].substring(args[i].indexOf('=') + 1));
    }
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      PipelineBench bench = new PipelineBench(kafka, "models/repository", args[3], overrides);
      for (int run = 0; run < Integer.getInteger("streaminfer.bench.runs", 1); run++) {
        double perS =
            what.equals("passthrough")
                ? bench.passthrough(n)
                : bench.saturation(Workload.valueOf(what.toUpperCase(Locale.ROOT)), n, batch, 5);
        System.out.printf(
            Locale.ROOT,
            "%s batch %d %s run %d: %.0f events/s%n",
            what,
            batch,
            args[3],
            run + 1,
            perS);
      }
      String rate = System.getProperty("streaminfer.bench.latency.rate");
      if (rate != null
          && !what.equals("passthrough")) { // then latency at that rate, with its stages
        var l =
            bench.latency(
                Workload.valueOf(what.toUpperCase(Locale.ROOT)),
                Double.parseDouble(rate),
                10,
                batch,
                5);
        l.series()
            .forEach(
                (name, v) ->
                    System.out.printf(
                        Locale.ROOT,
                        "latency %-10s p50 %6.1f  p95 %6.1f  p99 %6.1f (%d of %d outputs)%n",
                        name,
                        Stats.quantile(v, 0.5),
                        Stats.quantile(v, 0.95),
                        Stats.quantile(v, 0.99),
                        v.length,
                        l.expected()));
      }
    }
  }
}
