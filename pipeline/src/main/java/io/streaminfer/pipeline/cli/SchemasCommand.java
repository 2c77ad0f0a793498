package io.streaminfer.pipeline.cli;

import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.topology.TaskFamily;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streaminfer schemas}: every record schema StreamInfer reads or writes, with its Avro
 * parsing canonical form and its CRC-64-AVRO fingerprint as the single-object header carries it,
 * and which topic of the configuration carries it; {@code --write DIR} writes each as a
 * self-contained {@code <Name>.avsc} (shared types inlined), for producers and consumers in other
 * languages.
 */
@Command(
    name = "schemas",
    mixinStandardHelpOptions = true,
    description = {
      "Print every StreamInfer record schema: the topics that carry it, its fingerprint as the",
      "single-object header carries it (C3 01, then 8 bytes little-endian) and its canonical form;",
      "--write DIR writes self-contained .avsc files."
    })
final class SchemasCommand implements Callable<Integer> {
  /**
   * Every record on a StreamInfer topic, from the task families on the class path (as {@code
   * KnownSchemas} finds them): the events first, then the predictions.
   */
  static final List<Schema> SCHEMAS =
      java.util.stream.Stream.concat(
              TaskFamily.all().stream().map(TaskFamily::eventType),
              TaskFamily.all().stream().flatMap(f -> f.outputs().values().stream()))
          .distinct()
          .map(type -> org.apache.avro.specific.SpecificData.get().getSchema(type))
          .toList();

  @Mixin ConfigOptions config;

  @Option(names = "--write", paramLabel = "DIR", description = "Write <Name>.avsc files here.")
  Path write;

  @Override
  public Integer call() throws Exception {
    Map<String, List<String>> topics = topics(config.load());
    for (Schema s : SCHEMAS) {
      System.out.println(s.getFullName());
      System.out.println(
          "  topics       "
              + String.join(", ", topics.getOrDefault(s.getFullName(), List.of("(none)"))));
      System.out.println("  fingerprint  " + header(s) + " (as a long: " + fingerprint(s) + ")");
      System.out.println("  canonical    " + SchemaNormalization.toParsingForm(s));
      if (write != null) {
        Files.createDirectories(write);
        Path file = write.resolve(s.getName() + ".avsc");
        Files.writeString(file, s.toString(true) + "\n", StandardCharsets.UTF_8);
        System.out.println("  wrote        " + file);
      }
    }
    return 0;
  }

  /** The CRC-64-AVRO fingerprint of {@code s}'s parsing canonical form. */
  static long fingerprint(Schema s) {
    return SchemaNormalization.parsingFingerprint64(s);
  }

  /** The 10 header bytes a single-object message of {@code s} starts with, in hex. */
  static String header(Schema s) {
    long f = fingerprint(s);
    StringBuilder b = new StringBuilder("c3 01");
    for (int i = 0; i < 8; i++) {
      b.append(String.format(Locale.ROOT, " %02x", (f >>> (8 * i)) & 0xff));
    }
    return b.toString();
  }

  /** Record name → the topics of {@code c} that carry it (inputs and outputs of its routes). */
  static Map<String, List<String>> topics(StreamInferConfig c) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Route r : c.routes()) {
      TaskFamily f = TaskFamily.of(r.task());
      add(out, f.eventType().getName(), r.input());
      f.outputs().forEach((role, type) -> add(out, type.getName(), r.output(role)));
    }
    return out;
  }

  private static void add(Map<String, List<String>> out, String type, String topic) {
    List<String> l = out.computeIfAbsent(type, t -> new ArrayList<>());
    if (!l.contains(topic)) {
      l.add(topic);
    }
  }
}
