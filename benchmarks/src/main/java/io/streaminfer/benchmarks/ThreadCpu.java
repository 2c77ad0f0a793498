package io.streaminfer.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where the CPU time of a measurement goes, by thread group (the broker runs in the same JVM, so
 * its threads count too): a snapshot of every live thread's CPU time and the process's; the
 * difference of two snapshots, printed by group. What no Java thread accounts for (JIT compiler,
 * GC, ONNX Runtime's own pool when it has more than one thread) is the remainder.
 */
final class ThreadCpu {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private final Map<Long, Long> byThread = new HashMap<>();
  private final Map<Long, String> names = new HashMap<>();
  private final long processNs;
  private final long wallNs = System.nanoTime();

  private ThreadCpu() {
    for (ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
      if (t != null) {
        byThread.put(t.getThreadId(), Math.max(0, THREADS.getThreadCpuTime(t.getThreadId())));
        names.put(t.getThreadId(), t.getThreadName());
      }
    }
    processNs =
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime();
  }

  static ThreadCpu snapshot() {
    return new ThreadCpu();
  }

  /** CPU seconds per thread group of the threads alive now, between {@code before} and now. */
  private static Map<String, Double> groups(ThreadCpu before, ThreadCpu now) {
    Map<String, Double> groups = new TreeMap<>();
    for (var e : now.byThread.entrySet()) {
      double s = (e.getValue() - before.byThread.getOrDefault(e.getKey(), 0L)) / 1e9;
      groups.merge(group(now.names.get(e.getKey())), s, Double::sum);
    }
    return groups;
  }

  /**
   * CPU seconds that {@code group} (e.g. "pipeline stream thread") used between {@code before} and
   * now.
   */
  static double seconds(ThreadCpu before, String group) {
    return groups(before, snapshot()).getOrDefault(group, 0.0);
  }

  /**
   * CPU seconds per thread group between {@code before} and now, with the wall time and the
   * remainder.
   */
  static String since(ThreadCpu before) {
    ThreadCpu now = snapshot();
    Map<String, Double> groups = groups(before, now);
    double threads = groups.values().stream().mapToDouble(Double::doubleValue).sum();
    double process = (now.processNs - before.processNs) / 1e9;
    StringBuilder out =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "wall %.2f s, process CPU %.2f s%n",
                (now.wallNs - before.wallNs) / 1e9,
                process));
    groups.entrySet().stream()
        .sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
        .filter(e -> e.getValue() >= 0.05)
        .forEach(
            e ->
                out.append(
                    String.format(Locale.ROOT, "  %-42s %6.2f s%n", e.getKey(), e.getValue())));
    out.append(
        String.format(
            Locale.ROOT, "  %-42s %6.2f s%n", "(JIT, GC, native pools)", process - threads));
    return out.toString();
  }

  private static String group(String name) {
    if (name == null) {
      return "?";
    }
    if (name.contains("StreamThread") && name.contains("producer")) {
      return "pipeline producer I/O";
    }
    if (name.contains("StreamThread")) {
      return "pipeline stream thread";
    }
    if (name.startsWith("kafka-producer-network-thread")) {
      return "load producer I/O";
    }
    if (name.contains("request-handler")) {
      return "broker request handlers";
    }
    if (name.contains("network-thread") || name.contains("acceptor")) {
      return "broker network";
    }
    if (name.startsWith("main")) {
      return "main (load + output consumer)";
    }
    if (name.contains("kafka-log-cleaner") || name.contains("log-cleaner")) {
      return "broker log cleaner";
    }
    return name.replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "*").replaceAll("\\d+", "N");
  }
}
