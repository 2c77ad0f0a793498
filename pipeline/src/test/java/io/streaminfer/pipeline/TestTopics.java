package io.streaminfer.pipeline;

import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.topology.Topics;
import io.streaminfer.testkit.SampleEvents;
import java.util.List;

/**
 * The topics of the four default routes of {@code config}, by the names the tests use.
 *
 * @param config a configuration with the default routes (their topics may be renamed)
 */
public record TestTopics(StreamInferConfig config) {
  /** The topics of {@code config}'s default routes. */
  public static TestTopics of(StreamInferConfig config) {
    return new TestTopics(config);
  }

  private String in(String route) {
    return config.route(route).input();
  }

  private String out(String route, String role) {
    return config.route(route).output(role);
  }

  /** Where the sample events go. */
  public SampleEvents.Inputs inputs() {
    return SampleEvents.Inputs.of(config);
  }

  public String images() {
    return in("images");
  }

  public String texts() {
    return in("texts");
  }

  public String sensorReadings() {
    return in("sensors");
  }

  public String generationRequests() {
    return in("generation");
  }

  public String imagePredictions() {
    return out("images", Route.OUTPUT);
  }

  public String textPredictions() {
    return out("texts", Route.OUTPUT);
  }

  public String forecasts() {
    return out("sensors", Route.OUTPUT);
  }

  public String anomalies() {
    return out("sensors", "anomalies");
  }

  public String generatedImages() {
    return out("generation", Route.OUTPUT);
  }

  public String deadLetters() {
    return Topics.of(config).deadLetters();
  }

  /** Every output topic, dead letters included. */
  public List<String> outputs() {
    return Topics.of(config).outputs();
  }

  /** Every topic. */
  public List<String> all() {
    return Topics.of(config).all();
  }
}
