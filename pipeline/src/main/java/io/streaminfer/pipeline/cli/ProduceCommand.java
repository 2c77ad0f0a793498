package io.streaminfer.pipeline.cli;

import io.streaminfer.models.card.Task;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.schemas.ImageEncoding;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.TextEvent;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Publishes the bundled sample events, or image files, to a running cluster. */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description =
        "Publish sample events to the routes that serve them, PNG/JPEG files as image events, or"
            + " --text sentences as text events.")
final class ProduceCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(
      names = "--count",
      defaultValue = "100",
      description = "Images and texts to publish (sensors: every series tail).")
  int count;

  @Option(names = "--invalid", description = "Also publish the catalogue of invalid events.")
  boolean invalid;

  @Parameters(
      arity = "0..*",
      description = "PNG or JPEG files to publish as image events instead of samples.")
  List<Path> files = List.of();

  @Option(
      names = "--text",
      description =
          "A text to publish as a text event (repeatable; id text-1, text-2, ...) instead of samples.")
  List<String> texts = List.of();

  @Option(
      names = "--readings",
      description =
          "A CSV file of one sensor's readings to publish instead of samples, one per line, oldest"
              + " first: the value, then its features (value,feature1,...); lines starting with #"
              + " are skipped. Needs --sensor.")
  Path readings;

  @Option(names = "--sensor", description = "The sensor id (record key) of --readings.")
  String sensor;

  @Option(
      names = "--route",
      description =
          "Route whose input topic gets the image files, texts or readings (default: the first "
              + "route of their task).")
  String route;

  @Override
  public Integer call() throws Exception {
    StreamInferConfig c = config.load();
    Properties p = c.clientProperties();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    int sent = 0;
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      if (readings != null) {
        sent = publishReadings(c, producer);
      } else if (!texts.isEmpty()) {
        String topic = topic(c, Task.TEXT_CLASSIFICATION, Task.TEXT_EMBEDDING);
        for (String text : texts) {
          TextEvent e =
              TextEvent.newBuilder()
                  .setId("text-" + (sent + 1))
                  .setEventTime(Instant.now())
                  .setText(text)
                  .build();
          producer.send(
              new ProducerRecord<>(
                  topic,
                  e.getId(),
                  AvroSerdes.serde(TextEvent.class).serializer().serialize(topic, e)));
          sent++;
        }
      } else if (!files.isEmpty()) {
        String topic = topic(c, Task.IMAGE_CLASSIFICATION);
        for (Path f : files) {
          String name = f.getFileName().toString().toLowerCase();
          ImageEvent e =
              ImageEvent.newBuilder()
                  .setId(f.getFileName().toString())
                  .setEventTime(Instant.now())
                  .setEncoding(name.endsWith(".png") ? ImageEncoding.PNG : ImageEncoding.JPEG)
                  .setData(ByteBuffer.wrap(Files.readAllBytes(f)))
                  .build();
          producer.send(
              new ProducerRecord<>(
                  topic,
                  e.getId(),
                  AvroSerdes.serde(ImageEvent.class).serializer().serialize(topic, e)));
          sent++;
        }
      } else {
        var stream =
            SampleEvents.build(
                SampleData.load(),
                SampleEvents.Inputs.of(c),
                count,
                count,
                120,
                Math.max(1, count / 10),
                2,
                invalid,
                42);
        for (var e : stream.events()) {
          producer.send(e.record());
          sent++;
        }
      }
      producer.flush();
    }
    System.err.println("published " + sent + " events");
    return 0;
  }

  /**
   * Publishes --readings as {@code --sensor}'s readings, one second apart and ending now, ids
   * {@code <sensor>-1, -2, ...}; returns how many.
   */
  private int publishReadings(StreamInferConfig c, KafkaProducer<String, byte[]> producer)
      throws java.io.IOException {
    if (sensor == null || sensor.isBlank()) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "--readings needs --sensor (the sensor id)");
    }
    String topic = topic(c, Task.TIME_SERIES_FORECAST);
    List<double[]> rows = new java.util.ArrayList<>();
    int line = 0;
    for (String l : Files.readAllLines(readings)) {
      line++;
      String t = l.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String[] cells = t.split(",");
      double[] v = new double[cells.length];
      for (int i = 0; i < cells.length; i++) {
        try {
          v[i] = Double.parseDouble(cells[i].strip());
        } catch (NumberFormatException e) {
          throw new picocli.CommandLine.ParameterException(
              new picocli.CommandLine(this),
              readings + " line " + line + ": '" + cells[i].strip() + "' is not a number");
        }
      }
      rows.add(v);
    }
    Instant end = Instant.now();
    for (int i = 0; i < rows.size(); i++) {
      double[] v = rows.get(i);
      List<Double> features = new java.util.ArrayList<>();
      for (int k = 1; k < v.length; k++) {
        features.add(v[k]);
      }
      SensorReading e =
          SensorReading.newBuilder()
              .setId(sensor + "-" + (i + 1))
              .setSensorId(sensor)
              .setEventTime(end.minusSeconds(rows.size() - 1 - i))
              .setValue(v[0])
              .setFeatures(features)
              .build();
      producer.send(
          new ProducerRecord<>(
              topic,
              sensor,
              AvroSerdes.serde(SensorReading.class).serializer().serialize(topic, e)));
    }
    return rows.size();
  }

  /** The input topic of --route, or of the first route of one of {@code tasks}. */
  private String topic(StreamInferConfig c, Task... tasks) {
    List<Task> accepted = List.of(tasks);
    String what = String.join(" or ", accepted.stream().map(Task::id).toList());
    Route r =
        route != null
            ? c.route(route)
            : c.routes().stream()
                .filter(x -> accepted.contains(x.task()))
                .findFirst()
                .orElseThrow(
                    () ->
                        new picocli.CommandLine.ParameterException(
                            new picocli.CommandLine(this),
                            "no " + what + " route is declared; name one with --route"));
    if (!accepted.contains(r.task())) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this),
          "route " + r.name() + " is " + r.task().id() + ", not " + what);
    }
    return r.input();
  }
}
