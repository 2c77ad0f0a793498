package io.streaminfer.pipeline;

import io.streaminfer.pipeline.config.StreamInferConfig;
import java.util.HashMap;
import java.util.Map;

/** Configurations for tests: the committed model repository, CPU, one thread. */
public final class TestConfigs {
  private TestConfigs() {}

  /** The checkout's models/repository (surefire/failsafe pass it as a system property). */
  public static String repository() {
    return System.getProperty("streaminfer.repository", "../models/repository");
  }

  /** A valid configuration with the given overrides. */
  public static StreamInferConfig config(Map<String, Object> overrides) {
    Map<String, Object> p = new HashMap<>();
    p.put(StreamInferConfig.MODELS_REPOSITORY, repository());
    p.put(StreamInferConfig.INFERENCE_DEVICE, "cpu");
    p.putAll(overrides);
    return StreamInferConfig.of(p);
  }
}
