package io.streaminfer.pipeline.cli;

import io.streaminfer.models.card.Task;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.schemas.GenerationRequest;
import io.streaminfer.schemas.ImageEncoding;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.TextEvent;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** Publishes the bundled sample events, or image files, to a running cluster. */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description =
        "Publish sample events to the routes that serve them, or the user's own: PNG/JPEG files as"
            + " image events, --text or --text-file lines as text events, --readings as one"
            + " sensor's readings, --generate labels as generation requests.")
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

  @Option(
      names = "--text-file",
      paramLabel = "FILE",
      description =
          "Publish each non-blank line of FILE as a text event (- reads standard input; ids"
              + " text-1, text-2, ...).")
  Path textFile;

  @Option(
      names = "--generate",
      paramLabel = "LABEL",
      description =
          "Publish a generation request for LABEL (repeatable; ids generate-<label>-1, ...).")
  List<String> generate = List.of();

  @Option(
      names = "--samples",
      defaultValue = "1",
      description = "Images each --generate request asks for (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description =
          "Seed of the first --generate request; each next one adds 1 (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    StreamInferConfig c = config.load();
    List<ProducerRecord<String, byte[]>> records = records(c, System.in);
    Properties p = c.producerProperties();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
      for (ProducerRecord<String, byte[]> r : records) {
        sends.add(producer.send(r));
      }
      producer.flush();
      // a record the cluster refused (credentials, rights, size) fails the command, never silently
      for (java.util.concurrent.Future<?> f : sends) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw e.getCause() instanceof Exception cause ? cause : e;
        }
      }
    }
    System.err.println("published " + records.size() + " events");
    return 0;
  }

  /**
   * The records this invocation publishes: the user's readings, texts (given or from {@code
   * --text-file}, {@code -} being {@code stdin}), generation requests or image files, else the
   * bundled samples.
   */
  List<ProducerRecord<String, byte[]>> records(StreamInferConfig c, InputStream stdin)
      throws IOException {
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    if (readings != null) {
      readings(c, out);
    } else if (!texts.isEmpty() || textFile != null) {
      String topic = topic(c, Task.TEXT_CLASSIFICATION, Task.TEXT_EMBEDDING);
      List<String> all = new ArrayList<>(texts);
      if (textFile != null) {
        String content =
            textFile.toString().equals("-")
                ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
                : Files.readString(textFile, StandardCharsets.UTF_8);
        content.lines().filter(l -> !l.isBlank()).forEach(all::add);
      }
      for (String text : all) {
        TextEvent e =
            TextEvent.newBuilder()
                .setId("text-" + (out.size() + 1))
                .setEventTime(Instant.now())
                .setText(text)
                .build();
        out.add(record(topic, e.getId(), TextEvent.class, e));
      }
    } else if (!generate.isEmpty()) {
      if (samples < 1) {
        throw new ParameterException(new CommandLine(this), "--samples must be at least 1");
      }
      String topic = topic(c, Task.IMAGE_GENERATION);
      Map<String, Integer> perLabel = new HashMap<>();
      for (String label : generate) {
        int n = perLabel.merge(label, 1, Integer::sum);
        GenerationRequest e =
            GenerationRequest.newBuilder()
                .setId("generate-" + label + "-" + n)
                .setEventTime(Instant.now())
                .setLabel(label)
                .setSamples(samples)
                .setSeed(seed + out.size())
                .build();
        out.add(record(topic, e.getId(), GenerationRequest.class, e));
      }
    } else if (!files.isEmpty()) {
      String topic = topic(c, Task.IMAGE_CLASSIFICATION);
      for (Path f : files) {
        byte[] data = Files.readAllBytes(f);
        ImageEvent e =
            ImageEvent.newBuilder()
                .setId(f.getFileName().toString())
                .setEventTime(Instant.now())
                .setEncoding(encoding(f, data))
                .setData(ByteBuffer.wrap(data))
                .build();
        out.add(record(topic, e.getId(), ImageEvent.class, e));
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
      stream.events().forEach(e -> out.add(e.record()));
    }
    return out;
  }

  /** PNG or JPEG from the file's signature, as the pipeline checks the field against it. */
  private ImageEncoding encoding(Path f, byte[] data) {
    String signature = io.streaminfer.models.preprocess.ImageDecoder.signature(data);
    if (signature == null) {
      throw new ParameterException(new CommandLine(this), f + " is neither a PNG nor a JPEG file");
    }
    return ImageEncoding.valueOf(signature);
  }

  private static <T extends SpecificRecord> ProducerRecord<String, byte[]> record(
      String topic, String key, Class<T> type, T value) {
    return new ProducerRecord<>(
        topic, key, AvroSerdes.serde(type).serializer().serialize(topic, value));
  }

  /**
   * Adds --readings as {@code --sensor}'s readings, one second apart and ending now, ids {@code
   * <sensor>-1, -2, ...}.
   */
  private void readings(StreamInferConfig c, List<ProducerRecord<String, byte[]>> out)
      throws IOException {
    if (sensor == null || sensor.isBlank()) {
      throw new ParameterException(
          new CommandLine(this), "--readings needs --sensor (the sensor id)");
    }
    String topic = topic(c, Task.TIME_SERIES_FORECAST);
    List<double[]> rows = new ArrayList<>();
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
          throw new ParameterException(
              new CommandLine(this),
              readings + " line " + line + ": '" + cells[i].strip() + "' is not a number");
        }
      }
      rows.add(v);
    }
    Instant end = Instant.now();
    for (int i = 0; i < rows.size(); i++) {
      double[] v = rows.get(i);
      List<Double> features = new ArrayList<>();
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
      out.add(record(topic, sensor, SensorReading.class, e));
    }
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
                        new ParameterException(
                            new CommandLine(this),
                            "no " + what + " route is declared; name one with --route"));
    if (!accepted.contains(r.task())) {
      throw new ParameterException(
          new CommandLine(this), "route " + r.name() + " is " + r.task().id() + ", not " + what);
    }
    return r.input();
  }
}
