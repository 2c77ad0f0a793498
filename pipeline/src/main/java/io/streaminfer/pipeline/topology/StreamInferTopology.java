package io.streaminfer.pipeline.topology;

import io.streaminfer.models.preprocess.ImageInput;
import io.streaminfer.models.task.ImageClassifier;
import io.streaminfer.models.task.TextClassifier;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetterDeserializationHandler;
import io.streaminfer.pipeline.dlq.DeadLetterProcessingHandler;
import io.streaminfer.pipeline.dlq.DeadLetterProductionHandler;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.dlq.RejectedEventException;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.GenerationRequest;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.TextEvent;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.batch.BufferedRecord;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.time.Instant;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds StreamInfer's topology: one branch per event kind, each from its input topic through a
 * processor that routes to its model, to typed prediction topics. Failures of any stage go to the
 * dead-letter topic through Kafka Streams' own exception handlers ({@link #streamsProperties}).
 * Called by {@code main} and by the tests alike.
 */
public final class StreamInferTopology {
  /**
   * Prefix of the dead-letter sinks. Each branch has its own sink (all writing the dead-letter
   * topic), so the four branches stay four independent sub-topologies: a task then reads one
   * input partition, and Kafka Streams never waits on (or checks) the empty partitions of other
   * kinds of input on every record.
   */
  static final String DLQ = "dead-letters-";

  private StreamInferTopology() {}

  /** The topology for {@code config}, serving the models in {@code models} (not owned). */
  public static Topology build(StreamInferConfig config, ModelRegistry models) {
    Topics topics = Topics.of(config);
    ByteArrayDeserializer bytesIn = new ByteArrayDeserializer();
    StringSerializer keyOut = new StringSerializer();
    int topK = config.getInt(StreamInferConfig.TOP_K);
    String imageModel = config.getString(StreamInferConfig.IMAGE_MODEL);
    String textModel = config.getString(StreamInferConfig.TEXT_MODEL);
    String generationModel = config.getString(StreamInferConfig.GENERATION_MODEL);
    List<String> sensorModels = config.getList(StreamInferConfig.SENSOR_MODELS);
    // read once here, not in the processor suppliers (called once per task)
    BatchSettings imageBatching = batching(config, imageModel);
    BatchSettings textBatching = batching(config, textModel);
    BatchSettings sensorBatching = batching(config, sensorModels.get(0));
    BatchSettings generationBatching = batching(config, generationModel);
    int replayHistory = config.getInt(StreamInferConfig.SENSOR_REPLAY_HISTORY);
    int imageMaxBytes = config.getInt(StreamInferConfig.IMAGE_MAX_BYTES);
    int textMaxChars = config.getInt(StreamInferConfig.TEXT_MAX_CHARS);
    String anomalyModel = config.getString(StreamInferConfig.ANOMALY_MODEL);
    double anomalyZ = config.getDouble(StreamInferConfig.ANOMALY_Z);
    int maxSamples = config.getInt(StreamInferConfig.MAX_SAMPLES);
    Topology t = new Topology();
    // Sources keep the raw bytes: the batching processors buffer exactly what was read and decode
    // at batch time, so every dead letter carries the original bytes.
    t.addSource("images", bytesIn, bytesIn, topics.images());
    t.addProcessor("classify-images", () -> new ClassificationProcessor<>("buffer-images",
        imageBatching, DLQ + "images", "image-predictions", models, imageModel, ImageClassifier.class,
        ImageEvent.class, imageReader(imageMaxBytes), topK), "images");
    t.addSink("image-predictions", topics.imagePredictions(), keyOut,
        AvroSerdes.serde(Classification.class).serializer(), "classify-images");

    t.addSource("texts", bytesIn, bytesIn, topics.texts());
    t.addProcessor("classify-texts", () -> new ClassificationProcessor<>("buffer-texts",
        textBatching, DLQ + "texts", "text-predictions", models, textModel, TextClassifier.class,
        TextEvent.class, textReader(textMaxChars), topK), "texts");
    t.addSink("text-predictions", topics.textPredictions(), keyOut,
        AvroSerdes.serde(Classification.class).serializer(), "classify-texts");

    t.addSource("sensor-readings", bytesIn, bytesIn, topics.sensorReadings());
    t.addProcessor("forecast-sensors", () -> new SensorProcessor("buffer-sensors",
        sensorBatching, DLQ + "sensors", models, sensorModels,
        anomalyModel, anomalyZ,
        "forecasts", "anomalies", replayHistory), "sensor-readings");
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SensorProcessor.STORE),
        Serdes.String(), new SensorState.StateSerde()), "forecast-sensors");
    t.addSink("forecasts", topics.forecasts(), keyOut, AvroSerdes.serde(Forecast.class).serializer(), "forecast-sensors");
    t.addSink("anomalies", topics.anomalies(), keyOut, AvroSerdes.serde(AnomalyAlert.class).serializer(), "forecast-sensors");

    t.addSource("generation-requests", bytesIn, bytesIn, topics.generationRequests());
    t.addProcessor("generate-images", () -> new GenerationProcessor("buffer-generation",
        generationBatching, DLQ + "generation", "generated-images", models, generationModel,
        maxSamples), "generation-requests");
    t.addSink("generated-images", topics.generatedImages(), keyOut,
        AvroSerdes.serde(GeneratedImage.class).serializer(), "generate-images");

    for (String[] b : new String[][] {{"buffer-images", "classify-images"}, {"buffer-texts", "classify-texts"},
        {"buffer-sensors", "forecast-sensors"}, {"buffer-generation", "generate-images"}}) {
      // small and short-lived: in memory, made durable by its changelog topic
      t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(b[0]), Serdes.Long(),
          new BufferedRecord.StoreSerde()), b[1]);
    }
    for (String[] b : new String[][] {{"images", "classify-images"}, {"texts", "classify-texts"},
        {"sensors", "forecast-sensors"}, {"generation", "generate-images"}}) {
      t.addSink(DLQ + b[0], topics.deadLetters(), new ByteArraySerializer(), new ByteArraySerializer(), b[1]);
    }
    return t;
  }

  /** Batching of the branch served by {@code model}: its batch.models entry, else the defaults. */
  static BatchSettings batching(StreamInferConfig config, String model) {
    long[] b = config.batching(model);
    return new BatchSettings((int) b[0], Duration.ofMillis(b[1]), config.batchTimeBudget().dividedBy(4));
  }

  /** Kafka Streams properties for {@code config}, with the dead-letter handlers installed. */
  public static Properties streamsProperties(StreamInferConfig config) {
    Properties p = config.streamsProperties();
    p.put(DeadLetters.TOPIC_CONFIG, Topics.of(config).deadLetters());
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterDeserializationHandler.class.getName());
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingHandler.class.getName());
    p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProductionHandler.class.getName());
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true); // 5.0 default
    return p;
  }

  static ClassificationProcessor.EventReader<ImageEvent, ImageInput> imageReader(int maxBytes) {
    return new ClassificationProcessor.EventReader<>() {
      @Override
      public String id(ImageEvent e) {
        return e.getId();
      }

      @Override
      public Instant eventTime(ImageEvent e) {
        return e.getEventTime();
      }

      @Override
      public String trueLabel(ImageEvent e) {
        return e.getLabel();
      }

      @Override
      public ImageInput input(ImageEvent e) {
        ByteBuffer b = e.getData();
        if (b.remaining() > maxBytes) {
          throw new RejectedEventException(ErrorCode.PAYLOAD_TOO_LARGE, "",
              "image payload of " + b.remaining() + " bytes exceeds image.max.bytes=" + maxBytes);
        }
        byte[] data = new byte[b.remaining()];
        b.duplicate().get(data);
        ImageInput.Encoding enc = ImageInput.Encoding.valueOf(e.getEncoding().name());
        if (enc != ImageInput.Encoding.RAW_UINT8) {
          return ImageInput.encoded(enc, data);
        }
        if (e.getWidth() == null || e.getHeight() == null || e.getChannels() == null) {
          throw new RejectedEventException(ErrorCode.IMAGE_DIMENSIONS, "", "raw image needs width, height and channels");
        }
        return new ImageInput(enc, data, e.getWidth(), e.getHeight(), e.getChannels());
      }
    };
  }

  static ClassificationProcessor.EventReader<TextEvent, String> textReader(int maxChars) {
    return new ClassificationProcessor.EventReader<>() {
      @Override
      public String id(TextEvent e) {
        return e.getId();
      }

      @Override
      public Instant eventTime(TextEvent e) {
        return e.getEventTime();
      }

      @Override
      public String trueLabel(TextEvent e) {
        return e.getLabel();
      }

      @Override
      public String input(TextEvent e) {
        String text = e.getText();
        if (text.length() > maxChars) {
          throw new RejectedEventException(ErrorCode.TEXT_TOO_LONG, "",
              "text of " + text.length() + " characters exceeds text.max.chars=" + maxChars);
        }
        if (text.indexOf('\uFFFD') >= 0) {
          throw new RejectedEventException(ErrorCode.TEXT_INVALID_UTF8, "",
              "text was not valid UTF-8 (contains U+FFFD)");
        }
        return text;
      }
    };
  }

}
