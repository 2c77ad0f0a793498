package io.streaminfer.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration reference is what {@code config --markdown} generates, keys and routes
 * included.
 */
class ConfigCommandTest {
  @Test
  void shouldMatchTheReadmeReference() throws Exception {
    Path readme =
        Path.of(TestConfigs.repository())
            .toAbsolutePath()
            .getParent()
            .getParent()
            .resolve("README.md");
    String generated = ConfigCommand.markdown();
    assertThat(generated)
        .contains("| `routes.<name>.input` |")
        .contains("| `routes` |")
        .contains("| `sensors` | time-series-forecast | `sensor-readings` |");
    assertThat(Files.readString(readme))
        .as("README.md: regenerate with `streaminfer config --markdown`")
        .contains(generated);
  }
}
