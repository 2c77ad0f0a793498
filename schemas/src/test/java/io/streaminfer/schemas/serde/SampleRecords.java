package io.streaminfer.schemas.serde;

import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.Embedding;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.GenerationRequest;
import io.streaminfer.schemas.ImageEncoding;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.InferenceMetadata;
import io.streaminfer.schemas.LabelScore;
import io.streaminfer.schemas.SensorReading;
import io.streaminfer.schemas.TextEvent;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/** One filled-in instance of every StreamInfer record type. */
final class SampleRecords {

  static final Instant EVENT_TIME = Instant.ofEpochMilli(1_767_225_600_123L);

  private SampleRecords() {}

  static List<SpecificRecord> all() {
    return List.of(
        imageEvent(),
        textEvent(),
        sensorReading(),
        generationRequest(),
        classification(),
        forecast(),
        anomalyAlert(),
        generatedImage(),
        embedding(),
        multiLabel());
  }

  static ImageEvent imageEvent() {
    return ImageEvent.newBuilder()
        .setId("img-1")
        .setEventTime(EVENT_TIME)
        .setEncoding(ImageEncoding.RAW_UINT8)
        .setData(ByteBuffer.wrap(new byte[] {0, 16, (byte) 255, 7}))
        .setWidth(2)
        .setHeight(2)
        .setChannels(1)
        .setLabel("7")
        .build();
  }

  static TextEvent textEvent() {
    return TextEvent.newBuilder()
        .setId("txt-1")
        .setEventTime(EVENT_TIME)
        .setText("Das Leben ist schön — ça va?")
        .setLabel(null)
        .build();
  }

  static SensorReading sensorReading() {
    return SensorReading.newBuilder()
        .setId("r-1")
        .setSensorId("co2")
        .setEventTime(EVENT_TIME)
        .setValue(315.42)
        .setUnit("ppm")
        .build();
  }

  static GenerationRequest generationRequest() {
    return GenerationRequest.newBuilder()
        .setId("gen-1")
        .setEventTime(EVENT_TIME)
        .setLabel("3")
        .setSamples(4)
        .setSeed(42L)
        .build();
  }

  static InferenceMetadata metadata() {
    return InferenceMetadata.newBuilder()
        .setModelName("digits-cnn")
        .setModelVersion("1")
        .setModelSha256("ab".repeat(32))
        .setExecutionProvider("CPU")
        .setBatchSize(32)
        .setQueueMicros(1_250L)
        .setInferenceMicros(310L)
        .build();
  }

  static Classification classification() {
    return Classification.newBuilder()
        .setId("img-1")
        .setEventTime(EVENT_TIME)
        .setLabel("7")
        .setScore(0.93f)
        .setTopK(List.of(new LabelScore("7", 0.93f), new LabelScore("1", 0.05f)))
        .setTrueLabel("7")
        .setMetadata(metadata())
        .build();
  }

  static Classification multiLabel() {
    return Classification.newBuilder(classification())
        .setAccepted(List.of(new LabelScore("7", 0.93f)))
        .build();
  }

  static Embedding embedding() {
    return Embedding.newBuilder()
        .setId("txt-1")
        .setEventTime(EVENT_TIME)
        .setVector(List.of(0.6f, -0.8f, 0f))
        .setPooling("mean")
        .setNormalized(true)
        .setTokens(9)
        .setTrueLabel("de")
        .setMetadata(metadata())
        .build();
  }

  static Forecast forecast() {
    return Forecast.newBuilder()
        .setId("r-1")
        .setSensorId("co2")
        .setEventTime(EVENT_TIME)
        .setForecast(315.9)
        .setWindowSize(24)
        .setMetadata(metadata())
        .build();
  }

  static AnomalyAlert anomalyAlert() {
    return AnomalyAlert.newBuilder()
        .setId("r-2")
        .setSensorId("co2")
        .setEventTime(EVENT_TIME)
        .setValue(400.0)
        .setForecast(316.0)
        .setZScore(8.4)
        .setThreshold(4.0)
        .setMetadata(metadata())
        .build();
  }

  static GeneratedImage generatedImage() {
    return GeneratedImage.newBuilder()
        .setId("gen-1")
        .setEventTime(EVENT_TIME)
        .setSampleIndex(0)
        .setLabel("3")
        .setSeed(42L)
        .setPng(ByteBuffer.wrap(new byte[] {(byte) 0x89, 'P', 'N', 'G'}))
        .setWidth(8)
        .setHeight(8)
        .setMetadata(metadata())
        .build();
  }
}
