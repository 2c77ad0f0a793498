package io.streaminfer.pipeline.cli;

import io.streaminfer.pipeline.config.StreamInferConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** Options shared by the commands that talk to a cluster: a config file and overrides. */
final class ConfigOptions {
  @Option(
      names = {"-c", "--config"},
      description = "Properties file (StreamInfer keys, kafka.* client settings).")
  Path file;

  @Option(
      names = {"-b", "--bootstrap-servers"},
      description = "Kafka bootstrap servers (overrides the file).")
  String bootstrap;

  @Option(
      names = {"-s", "--set"},
      description = "key=value override (repeatable).")
  Map<String, String> overrides = new LinkedHashMap<>();

  /** File, then STREAMINFER_* environment, then --bootstrap-servers and --set. */
  StreamInferConfig load() throws IOException {
    Properties p = new Properties();
    if (file != null) {
      try (Reader r = Files.newBufferedReader(file)) {
        p.load(r);
      }
    }
    Map<String, String> o = new LinkedHashMap<>(overrides);
    if (bootstrap != null) {
      o.put(StreamInferConfig.BOOTSTRAP_SERVERS, bootstrap);
    }
    return StreamInferConfig.load(p, System.getenv(), o);
  }
}
