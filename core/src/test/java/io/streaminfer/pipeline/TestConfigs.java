package io.streaminfer.pipeline;

import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.pipeline.topology.StreamInferTopology;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.TopologyTestDriver;

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

  /**
   * A TopologyTestDriver over StreamInfer's topology for {@code config}, its state in {@code
   * stateDir}.
   */
  public static TopologyTestDriver driver(
      StreamInferConfig config, ModelRegistry models, Path stateDir) {
    return driver(config, models, stateDir, PipelineMetrics.inMemory());
  }

  /** As {@link #driver(StreamInferConfig, ModelRegistry, Path)}, counting into {@code metrics}. */
  public static TopologyTestDriver driver(
      StreamInferConfig config, ModelRegistry models, Path stateDir, PipelineMetrics metrics) {
    Properties p = StreamInferTopology.streamsProperties(config, metrics);
    p.put("state.dir", stateDir.toString());
    return new TopologyTestDriver(StreamInferTopology.build(config, models, metrics), p);
  }
}
