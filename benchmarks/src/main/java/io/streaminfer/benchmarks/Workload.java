package io.streaminfer.benchmarks;

import io.streaminfer.models.postprocess.PngEncoder;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.Embedding;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.GenerationRequest;
import io.streaminfer.schemas.ImageEncoding;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.InferenceMetadata;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.TextEvent;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.SampleData;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The events one model branch consumes, built from the bundled held-out samples: PNG digits,
 * sentences, readings of nine sensors in turn, one-sample generation requests, and for the users'
 * CNN the photographs of its reference set (RGB, grey, 16-bit, palette and RGBA PNG; RGB, CMYK and
 * EXIF-rotated JPEG; raw RGB) in turn, and for the text embedding the sentences.
 */
enum Workload {
  IMAGES("digits-cnn", "images", Classification.class),
  TEXTS("langid-bert", "texts", Classification.class),
  SENSORS("sensor-lstm+sensor-gru", "sensors", Forecast.class),
  GENERATION("digits-gan", "generation", GeneratedImage.class),
  /** A user's CNN: torchvision mobilenet_v3_small on the {@code photos} route. */
  PHOTOS("digits-mobilenet", "photos", Classification.class),
  /** The BERT encoder as a text embedding on the {@code embeddings} route, on the sentences. */
  EMBEDDINGS("langid-bert-embed", "embeddings", Embedding.class),
  /**
   * A multivariate multi-step GRU on the {@code macro} route: readings of four values, of eight
   * sensors in turn, each four quarters ahead of two features from a window of sixteen.
   */
  MACRO("macro-gru-multi", "macro", Forecast.class);

  /**
   * The non-default routes, by workload: their input, task, model and output ({@link #PHOTOS},
   * {@link #EMBEDDINGS}).
   */
  static final Map<Workload, Map<String, String>> DECLARED_ROUTES =
      Map.of(
          PHOTOS,
          Map.of(
              "input", "photos",
              "task", "image-classification",
              "models", "digits-mobilenet",
              "output", "photo-predictions"),
          EMBEDDINGS,
          Map.of(
              "input", "sentences",
              "task", "text-embedding",
              "models", "langid-bert-embed",
              "output", "sentence-embeddings"),
          MACRO,
          Map.of(
              "input", "macro-readings",
              "task", "time-series-forecast",
              "models", "macro-gru-multi",
              "output", "macro-forecasts",
              "anomalies", "macro-anomalies"));

  /** Sensors of the {@link #MACRO} workload. */
  private static final int MACRO_SENSORS = 8;

  final String model;

  /** The default route that serves this workload. */
  final String route;

  /**
   * The prediction record on the route's output; each carries an {@code InferenceMetadata metadata}
   * field.
   */
  final Class<? extends SpecificRecord> outputType;

  /** Reads {@link #outputType}; built once (a serde computes its schema's fingerprint). */
  private final Deserializer<? extends SpecificRecord> outputs;

  private static final SampleData DATA = SampleData.load();
  // one serializer per event type for every event (a serde computes its schema's fingerprint)
  private static final Serializer<ImageEvent> IMAGE_EVENTS =
      AvroSerdes.serde(ImageEvent.class).serializer();
  private static final Serializer<TextEvent> TEXT_EVENTS =
      AvroSerdes.serde(TextEvent.class).serializer();
  private static final Serializer<SensorReading> READINGS =
      AvroSerdes.serde(SensorReading.class).serializer();
  private static final Serializer<GenerationRequest> REQUESTS =
      AvroSerdes.serde(GenerationRequest.class).serializer();
  private static final Instant BASE = Instant.parse("2026-01-01T00:00:00Z");

  Workload(String model, String route, Class<? extends SpecificRecord> outputType) {
    this.model = model;
    this.route = route;
    this.outputType = outputType;
    this.outputs = AvroSerdes.serde(outputType).deserializer();
  }

  /** The input topic of this workload's route in {@code c}. */
  String input(StreamInferConfig c) {
    return c.route(route).input();
  }

  /** The prediction topic of this workload's route in {@code c}. */
  String output(StreamInferConfig c) {
    return c.route(route).output(Route.OUTPUT);
  }

  /** The models the branch runs on every event (the sensor branch: both forecasters). */
  List<String> models() {
    return List.of(model.split("\\+"));
  }

  /** The inference metadata of one output record's value. */
  InferenceMetadata metadata(byte[] output) {
    SpecificRecord r = outputs.deserialize(null, output);
    return (InferenceMetadata) r.get(r.getSchema().getField("metadata").pos());
  }

  /** Output records that {@code n} events produce. */
  int expectedOutputs(int n) {
    return switch (this) {
      case MACRO -> fullWindows(n, MACRO_SENSORS, 16); // macro-gru-multi's window
      case SENSORS -> 2 * fullWindows(n, DATA.sensors().size(), DATA.sensorWindow());
      default -> n;
    };
  }

  /**
   * Readings among {@code n} sent to {@code sensors} sensors in turn that find their sensor's
   * window of {@code window} full (each yields one forecast per model).
   */
  private static int fullWindows(int n, int sensors, int window) {
    int out = 0;
    for (int s = 0; s < sensors; s++) {
      out += Math.max(0, n / sensors + (s < n % sensors ? 1 : 0) - (window - 1));
    }
    return out;
  }

  /** Event {@code i} for topic {@code topic}, value as single-object Avro. */
  ProducerRecord<String, byte[]> event(String topic, int i) {
    switch (this) {
      case IMAGES -> {
        SampleData.Digit d = DATA.digits().get(i % DATA.digits().size());
        ImageEvent e =
            ImageEvent.newBuilder()
                .setId("img-" + i)
                .setEventTime(BASE.plusMillis(i))
                .setEncoding(ImageEncoding.PNG)
                .setData(ByteBuffer.wrap(png(i % DATA.digits().size())))
                .setLabel(d.label())
                .build();
        return new ProducerRecord<>(topic, e.getId(), IMAGE_EVENTS.serialize(topic, e));
      }
      case TEXTS, EMBEDDINGS -> {
        SampleData.Sentence s = DATA.texts().get(i % DATA.texts().size());
        TextEvent e =
            TextEvent.newBuilder()
                .setId("txt-" + i)
                .setEventTime(BASE.plusMillis(i))
                .setText(s.text())
                .setLabel(s.label())
                .build();
        return new ProducerRecord<>(topic, e.getId(), TEXT_EVENTS.serialize(topic, e));
      }
      case SENSORS -> {
        List<SampleData.Series> all = DATA.sensors();
        SampleData.Series s = all.get(i % all.size());
        int step = i / all.size();
        SensorReading r =
            SensorReading.newBuilder()
                .setId(s.sensorId() + "-" + step)
                .setSensorId(s.sensorId())
                .setEventTime(BASE.plusSeconds(step))
                .setValue(s.readings()[step % s.readings().length])
                .build();
        return new ProducerRecord<>(topic, s.sensorId(), READINGS.serialize(topic, r));
      }
      case MACRO -> {
        int sensor = i % MACRO_SENSORS;
        int step = i / MACRO_SENSORS;
        List<double[]> rows = macroRows();
        double[] v = rows.get((sensor * 5 + step) % rows.size());
        List<Double> features = new java.util.ArrayList<>();
        for (int k = 1; k < v.length; k++) {
          features.add(v[k]);
        }
        SensorReading r =
            SensorReading.newBuilder()
                .setId("macro-" + sensor + "-" + step)
                .setSensorId("macro-" + sensor)
                .setEventTime(BASE.plusSeconds(step))
                .setValue(v[0])
                .setFeatures(features)
                .build();
        return new ProducerRecord<>(topic, r.getSensorId(), READINGS.serialize(topic, r));
      }
      case PHOTOS -> {
        ImageEvent e =
            ImageEvent.newBuilder(photo(i % photos().size())).setId("photo-" + i).build();
        return new ProducerRecord<>(topic, e.getId(), IMAGE_EVENTS.serialize(topic, e));
      }
      default -> {
        GenerationRequest g =
            GenerationRequest.newBuilder()
                .setId("gen-" + i)
                .setEventTime(BASE.plusMillis(i))
                .setLabel(Integer.toString(i % 10))
                .setSamples(1)
                .setSeed(i)
                .build();
        return new ProducerRecord<>(topic, g.getId(), REQUESTS.serialize(topic, g));
      }
    }
  }

  private static List<ImageEvent> photos;
  private static List<double[]> macroRows;

  /** Every reading of macro-gru-multi's reference windows (read once from models/repository). */
  private static synchronized List<double[]> macroRows() {
    if (macroRows == null) {
      macroRows =
          io.streaminfer.testkit.ReferenceReadings.of(
              java.nio.file.Path.of("models/repository/macro-gru-multi/1"));
    }
    return macroRows;
  }

  private static ImageEvent photo(int i) {
    return photos().get(i);
  }

  /** The mobilenet's reference images as events (read once from models/repository). */
  private static synchronized List<ImageEvent> photos() {
    if (photos == null) {
      try {
        var ref =
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(
                    java.nio.file.Path.of("models/repository/digits-mobilenet/1/reference.json")
                        .toFile());
        List<ImageEvent> out = new java.util.ArrayList<>();
        for (var ex : ref.path("examples")) {
          var in = ex.path("input");
          ImageEvent.Builder b =
              ImageEvent.newBuilder()
                  .setId("photo")
                  .setEventTime(BASE)
                  .setEncoding(ImageEncoding.valueOf(in.path("encoding").asText()))
                  .setData(
                      ByteBuffer.wrap(
                          java.util.Base64.getDecoder().decode(in.path("data_base64").asText())))
                  .setLabel(in.path("label").asText());
          if (in.path("encoding").asText().equals("RAW_UINT8")) {
            b.setWidth(in.path("width").asInt())
                .setHeight(in.path("height").asInt())
                .setChannels(in.path("channels").asInt());
          }
          out.add(b.build());
        }
        photos = List.copyOf(out);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return photos;
  }

  private static final byte[][] PNGS = new byte[DATA.digits().size()][];

  private static synchronized byte[] png(int i) {
    if (PNGS[i] == null) {
      SampleData.Digit d = DATA.digits().get(i);
      PNGS[i] = PngEncoder.png(d.pixels(), d.width(), d.height());
    }
    return PNGS[i];
  }
}
