package io.streaminfer.pipeline.topology;

import io.streaminfer.pipeline.config.StreamInferConfig;
import java.util.List;

/**
 * The topic names of one deployment, read once from the configuration. Immutable.
 *
 * @param images input: image events
 * @param texts input: text events
 * @param sensorReadings input: sensor readings keyed by sensor id
 * @param generationRequests input: generation requests
 * @param imagePredictions output: image classifications
 * @param textPredictions output: text classifications
 * @param forecasts output: one forecast per sensor model and full window
 * @param anomalies output: anomaly alerts
 * @param generatedImages output: generated images
 * @param deadLetters output: every input that could not become a prediction
 */
public record Topics(String images, String texts, String sensorReadings, String generationRequests,
    String imagePredictions, String textPredictions, String forecasts, String anomalies,
    String generatedImages, String deadLetters) {

  /** Reads the names from the configuration. */
  public static Topics of(StreamInferConfig c) {
    return new Topics(
        c.getString(StreamInferConfig.TOPIC_IMAGES), c.getString(StreamInferConfig.TOPIC_TEXTS),
        c.getString(StreamInferConfig.TOPIC_SENSORS), c.getString(StreamInferConfig.TOPIC_GENERATION),
        c.getString(StreamInferConfig.TOPIC_IMAGE_PREDICTIONS), c.getString(StreamInferConfig.TOPIC_TEXT_PREDICTIONS),
        c.getString(StreamInferConfig.TOPIC_FORECASTS), c.getString(StreamInferConfig.TOPIC_ANOMALIES),
        c.getString(StreamInferConfig.TOPIC_GENERATED), c.getString(StreamInferConfig.TOPIC_DEAD_LETTERS));
  }

  /** The input topics. */
  public List<String> inputs() {
    return List.of(images, texts, sensorReadings, generationRequests);
  }

  /** The output topics, dead letters included. */
  public List<String> outputs() {
    return List.of(imagePredictions, textPredictions, forecasts, anomalies, generatedImages, deadLetters);
  }

  /** Every topic. */
  public List<String> all() {
    return java.util.stream.Stream.concat(inputs().stream(), outputs().stream()).toList();
  }
}
