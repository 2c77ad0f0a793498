package io.streaminfer.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where the reliability tests leave their figures: one JSON object per test in target/reliability/,
 * merged into one line by scripts/reliability.sh.
 */
public final class ReliabilityReport {
  private ReliabilityReport() {}

  /** Writes {@code figures} to target/reliability/{name}.json. */
  public static void write(String name, Map<String, ?> figures) {
    try {
      Path dir = Path.of("target", "reliability");
      Files.createDirectories(dir);
      Files.writeString(
          dir.resolve(name + ".json"),
          new ObjectMapper().writeValueAsString(new TreeMap<>(figures)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
