package io.streaminfer.pipeline.topology;

import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/** Readings with features in, forecasts out: what the sequence routes' tests share. */
final class SequenceRoutes {
  private SequenceRoutes() {}

  /**
   * {@code p} with a time-series-forecast route {@code name} serving {@code model} from {@code
   * input} to {@code output} (anomalies to {@code <name>-anomalies}); returns {@code p}.
   */
  static Map<String, Object> route(
      Map<String, Object> p, String name, String input, String model, String output) {
    p.put("routes." + name + ".input", input);
    p.put("routes." + name + ".task", "time-series-forecast");
    p.put("routes." + name + ".models", model);
    p.put("routes." + name + ".output", output);
    p.put("routes." + name + ".anomalies", name + "-anomalies");
    return p;
  }

  /** A reading of {@code v} (its value, then its features) at {@code start + t * step}. */
  static byte[] reading(
      String topic, String sensor, int t, double[] v, Instant start, Duration step) {
    List<Double> features = new ArrayList<>();
    for (int i = 1; i < v.length; i++) {
      features.add(v[i]);
    }
    return AvroSerdes.serde(SensorReading.class)
        .serializer()
        .serialize(
            topic,
            SensorReading.newBuilder()
                .setId(sensor + "-" + t)
                .setSensorId(sensor)
                .setEventTime(start.plus(step.multipliedBy(t)))
                .setValue(v[0])
                .setFeatures(features)
                .build());
  }

  /**
   * Pipes (key, value) pairs into {@code in}, lets the batches run, and returns what reached each
   * of {@code outs}.
   */
  static Map<String, List<TestRecord<String, byte[]>>> pipe(
      TopologyTestDriver d, String in, List<String> outs, List<Map.Entry<String, byte[]>> records) {
    TestInputTopic<String, byte[]> input =
        d.createInputTopic(in, new StringSerializer(), new ByteArraySerializer());
    for (var r : records) {
      input.pipeInput(r.getKey(), r.getValue());
    }
    d.advanceWallClockTime(Duration.ofSeconds(1));
    Map<String, List<TestRecord<String, byte[]>>> out = new HashMap<>();
    for (String t : outs) {
      out.put(
          t,
          d.createOutputTopic(t, new StringDeserializer(), new ByteArrayDeserializer())
              .readRecordsToList());
    }
    return out;
  }

  static Forecast forecast(TestRecord<String, byte[]> r) {
    return AvroSerdes.serde(Forecast.class).deserializer().deserialize("", r.value());
  }
}
