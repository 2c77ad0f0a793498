package io.streaminfer.pipeline.config;

import io.streaminfer.models.card.Task;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One served route, as declared under {@code routes.<name>.*} and checked at start-up: the input
 * topic, the task family, the model(s), the output topics by role ({@code output}, and {@code
 * anomalies} for forecasts), batching and the task's limits (each defaulting to its global key).
 * The route is the unit the topology is built from: one processor, its stores and sinks per route.
 * Immutable.
 *
 * @param name route name ({@code [a-z0-9][a-z0-9-]*}); names the route's processor and stores
 * @param input input topic
 * @param task task family
 * @param models served models; the first is the default, a forecast route runs them all
 * @param outputs output topic by role, in the family's order ({@code output} first)
 * @param batchMaxSize most events per model run
 * @param batchMaxDelay longest wait of a buffered event
 * @param limits the task's limits (see {@link Limits})
 */
public record Route(
    String name,
    String input,
    Task task,
    List<ModelRef> models,
    Map<String, String> outputs,
    int batchMaxSize,
    Duration batchMaxDelay,
    Limits limits) {

  /**
   * The task's limits; each applies to the families that use it and holds the global default
   * otherwise.
   *
   * @param topK labels kept per classification
   * @param maxBytes largest image payload
   * @param maxDecodedBytes most bytes an image may decode to
   * @param maxChars longest text
   * @param maxSamples most samples per generation request
   * @param anomalyModel which forecaster decides anomaly alerts (one of the route's models), or
   *     empty
   * @param anomalyZ alert threshold in expected errors
   * @param replayHistory readings kept per key beyond the longest window
   * @param maxFutureMs how far past the wall clock a reading's event time may lie
   */
  public record Limits(
      int topK,
      int maxBytes,
      long maxDecodedBytes,
      int maxChars,
      int maxSamples,
      Optional<ModelRef> anomalyModel,
      double anomalyZ,
      int replayHistory,
      long maxFutureMs) {}

  /** Role of the main output topic every route has. */
  public static final String OUTPUT = "output";

  /** Role of the shadow-predictions sink (a shadow version's results; not a route key). */
  public static final String SHADOW = "shadow";

  /** Copies the collections. */
  public Route {
    models = List.copyOf(models);
    outputs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(outputs));
  }

  /** The default model: the first declared. */
  public ModelRef defaultModel() {
    return models.get(0);
  }

  /** The topic of output role {@code role}. */
  public String output(String role) {
    String t = outputs.get(role);
    if (t == null) {
      throw new IllegalArgumentException(
          "route " + name + " has no " + role + " output (has " + outputs.keySet() + ")");
    }
    return t;
  }

  /** The route's processor node. */
  public String processorNode() {
    return "route-" + name;
  }

  /** The sink node of output role {@code role}. */
  public String sinkNode(String role) {
    return "out-" + name + "-" + role;
  }

  /** The route's own dead-letter sink node (all write the dead-letter topic). */
  public String deadLetterNode() {
    return "dead-letters-" + name;
  }

  /**
   * The route's batch buffer store (its changelog topic is {@code
   * <application.id>-buffer-<name>-changelog}).
   */
  public String bufferStore() {
    return "buffer-" + name;
  }

  /** A store of the route's own, named {@code <kind>-<name>}. */
  public String store(String kind) {
    return kind + "-" + name;
  }
}
