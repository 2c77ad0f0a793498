package io.streaminfer.pipeline.config;

import java.util.Optional;

/**
 * A model a route serves: {@code name} or {@code name:version}. Without a version the route serves
 * the version {@code models.pin} names, else the newest in the repository. Immutable.
 *
 * @param name model name (its folder in the repository)
 * @param version pinned version, or empty
 */
public record ModelRef(String name, Optional<String> version) {

  /** Checks the parts. */
  public ModelRef {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("model name is empty");
    }
    if (version.isPresent() && !version.get().matches("[0-9]+")) {
      throw new IllegalArgumentException(
          "version '" + version.get() + "' of " + name + " is not a number");
    }
  }

  /**
   * Parses {@code name} or {@code name:version}; throws IllegalArgumentException saying what is
   * wrong.
   */
  public static ModelRef parse(String text) {
    String s = text.trim();
    int colon = s.indexOf(':');
    if (colon < 0) {
      return new ModelRef(s, Optional.empty());
    }
    if (s.indexOf(':', colon + 1) >= 0) {
      throw new IllegalArgumentException("'" + s + "' is not name or name:version");
    }
    return new ModelRef(s.substring(0, colon).trim(), Optional.of(s.substring(colon + 1).trim()));
  }

  @Override
  public String toString() {
    return version.map(v -> name + ":" + v).orElse(name);
  }
}
