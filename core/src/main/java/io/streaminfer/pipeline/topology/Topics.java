package io.streaminfer.pipeline.topology;

import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;

/**
 * The topics of one deployment, derived once from its routes: the input topics, the output topics
 * with the record type written to each, and the dead-letter topic. Immutable.
 *
 * @param inputs input topics (distinct, in route order)
 * @param outputTypes output topic → the record type routes write there (distinct, in route order)
 * @param deadLetters every input that could not become a prediction
 */
public record Topics(
    List<String> inputs,
    Map<String, Class<? extends SpecificRecord>> outputTypes,
    String deadLetters) {

  /** Copies the collections. */
  public Topics {
    inputs = List.copyOf(inputs);
    outputTypes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outputTypes));
  }

  /** Reads the topics of {@code c}'s routes. */
  public static Topics of(StreamInferConfig c) {
    List<String> inputs = c.routes().stream().map(Route::input).distinct().toList();
    Map<String, Class<? extends SpecificRecord>> outputs = new LinkedHashMap<>();
    for (Route r : c.routes()) {
      TaskFamily.of(r.task())
          .outputs()
          .forEach((role, type) -> outputs.putIfAbsent(r.output(role), type));
    }
    return new Topics(inputs, outputs, c.getString(StreamInferConfig.TOPIC_DEAD_LETTERS));
  }

  /** The output topics, dead letters included. */
  public List<String> outputs() {
    return Stream.concat(outputTypes.keySet().stream(), Stream.of(deadLetters)).toList();
  }

  /** Every topic. */
  public List<String> all() {
    return Stream.concat(inputs.stream(), outputs().stream()).toList();
  }
}
