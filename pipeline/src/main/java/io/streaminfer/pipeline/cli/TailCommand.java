package io.streaminfer.pipeline.cli;

import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.topology.Topics;
import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.Embedding;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.InferenceMetadata;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Prints predictions and dead letters from the output topics, one readable line each. */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    description = "Print predictions and dead letters from the routes' output topics readably.")
final class TailCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--from-beginning", description = "Start at the earliest offsets.")
  boolean fromBeginning;

  @Option(
      names = "--max",
      defaultValue = "0",
      description = "Stop after this many records (0 = never).")
  long max;

  @Override
  public Integer call() throws Exception {
    StreamInferConfig c = config.load();
    Topics t = Topics.of(c);
    Properties p = c.consumerProperties();
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "streaminfer-tail-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    long seen = 0;
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(t.outputs());
      while (max == 0 || seen < max) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          System.out.println(format(t, r));
          if (max > 0 && ++seen >= max) {
            break;
          }
        }
      }
    }
    return 0;
  }

  static String format(Topics t, ConsumerRecord<String, byte[]> r) {
    String topic = r.topic();
    String route = DeadLetters.header(r.headers(), DeadLetters.ROUTE);
    String where = route == null ? topic : topic + " (" + route + ")";
    if (topic.equals(t.deadLetters())) {
      return String.format(
          "%-17s %-24s %s from %s: %s",
          where,
          r.key(),
          DeadLetters.header(r.headers(), DeadLetters.CODE),
          DeadLetters.header(r.headers(), DeadLetters.SOURCE_TOPIC),
          DeadLetters.header(r.headers(), DeadLetters.MESSAGE));
    }
    Class<?> type = t.outputTypes().get(topic);
    if (type == Classification.class) {
      Classification c =
          AvroSerdes.serde(Classification.class).deserializer().deserialize(topic, r.value());
      return String.format(
          "%-17s %-24s %s (%.3f)%s%s  %s",
          where,
          c.getId(),
          c.getLabel(),
          c.getScore(),
          c.getAccepted() == null
              ? ""
              : " accepted ["
                  + String.join(
                      ", ", c.getAccepted().stream().map(s -> s.getLabel().toString()).toList())
                  + "]",
          c.getTrueLabel() == null ? "" : " truth " + c.getTrueLabel(),
          meta(c.getMetadata()));
    }
    if (type == Embedding.class) {
      Embedding e = AvroSerdes.serde(Embedding.class).deserializer().deserialize(topic, r.value());
      List<Float> v = e.getVector();
      StringBuilder head = new StringBuilder();
      for (int i = 0; i < Math.min(3, v.size()); i++) {
        head.append(String.format(java.util.Locale.ROOT, "%.4f, ", v.get(i)));
      }
      return String.format(
          "%-17s %-24s %d-d %s%s vector [%s...] of %d tokens%s  %s",
          where,
          e.getId(),
          v.size(),
          e.getPooling(),
          e.getNormalized() ? " unit" : "",
          head,
          e.getTokens(),
          e.getTrueLabel() == null ? "" : " truth " + e.getTrueLabel(),
          meta(e.getMetadata()));
    }
    if (type == Forecast.class) {
      Forecast f = AvroSerdes.serde(Forecast.class).deserializer().deserialize(topic, r.value());
      String ahead = "";
      if (f.getSteps().size() > 1 || (f.getSteps().size() == 1 && f.getSteps().get(0).size() > 1)) {
        ahead =
            ", steps "
                + f.getSteps().stream()
                    .map(
                        st ->
                            st.stream()
                                .map(v -> String.format(java.util.Locale.ROOT, "%.4f", v))
                                .toList()
                                .toString())
                    .toList();
      }
      return String.format(
          "%-17s %-24s next %.4f%s  %s",
          where, f.getSensorId(), f.getForecast(), ahead, meta(f.getMetadata()));
    }
    if (type == AnomalyAlert.class) {
      AnomalyAlert a =
          AvroSerdes.serde(AnomalyAlert.class).deserializer().deserialize(topic, r.value());
      return String.format(
          "%-17s %-24s value %.4f, forecast %.4f, z %.1f (threshold %.1f)",
          where, a.getSensorId(), a.getValue(), a.getForecast(), a.getZScore(), a.getThreshold());
    }
    if (type != GeneratedImage.class) { // an output of another family: its record as Avro prints it
      return String.format(
          "%-17s %-24s %s", where, r.key(), type == null ? "?" : decode(type, topic, r.value()));
    }
    GeneratedImage g =
        AvroSerdes.serde(GeneratedImage.class).deserializer().deserialize(topic, r.value());
    return String.format(
        "%-17s %-24s digit %s #%d, %d-byte PNG %dx%d  %s",
        where,
        g.getId(),
        g.getLabel(),
        g.getSampleIndex(),
        g.getPng().remaining(),
        g.getWidth(),
        g.getHeight(),
        meta(g.getMetadata()));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object decode(Class<?> type, String topic, byte[] value) {
    return AvroSerdes.serde((Class) type).deserializer().deserialize(topic, value);
  }

  private static String meta(InferenceMetadata m) {
    return String.format(
        "[%s:%s on %s, batch %d, queue %d us, decode %d us, infer %d us%s]",
        m.getModelName(),
        m.getModelVersion(),
        m.getExecutionProvider(),
        m.getBatchSize(),
        m.getQueueMicros(),
        m.getDecodeMicros(),
        m.getInferenceMicros(),
        m.getControlOffset() < 0 ? "" : ", control record " + m.getControlOffset());
  }
}
