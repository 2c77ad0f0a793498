package io.streaminfer.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.postprocess.ClassScores;
import io.streaminfer.models.postprocess.TopK;
import io.streaminfer.models.preprocess.ImageInput;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.runtime.ProviderSelector;
import io.streaminfer.models.runtime.RuntimeSettings;
import io.streaminfer.models.task.BatchResult;
import io.streaminfer.models.task.Forecaster;
import io.streaminfer.models.task.ImageClassifier;
import io.streaminfer.models.task.ImageGenerator;
import io.streaminfer.models.task.TextClassifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Java, starting from the raw producer-side input of every reference.json example, reproduces
 * PyTorch's outputs within the reference tolerance (1e-4), for every bundled model. The whole
 * reference set runs as one batch, so batching is exercised too.
 */
class ReferenceParityTest {
  private static final List<OnnxModel> OPEN = new ArrayList<>();

  @BeforeAll
  static void openRepository() {
    TestRepository.open();
  }

  @AfterAll
  static void closeModels() {
    OPEN.forEach(OnnxModel::close);
  }

  private static OnnxModel load(String name) {
    ModelArtifact a = TestRepository.newest(name);
    OnnxModel m = OnnxModel.load(a, RuntimeSettings.cpuDefaults(), new ProviderSelector());
    OPEN.add(m);
    return m;
  }

  /** Every example's raw model output (batch-major in {@code output}) within the tolerance. */
  private static void assertRawOutputsMatch(JsonNode ref, float[] output) {
    int offset = 0;
    double worst = 0;
    for (JsonNode ex : ref.path("examples")) {
      float[] want = TestRepository.floats(ex.path("outputs").get(0));
      for (int i = 0; i < want.length; i++) {
        worst = Math.max(worst, Math.abs(output[offset + i] - want[i]));
      }
      offset += want.length;
    }
    assertThat(offset).isEqualTo(output.length);
    assertThat(worst)
        .as("max |Java - PyTorch| of " + ref.path("model").asText())
        .isLessThanOrEqualTo(tolerance(ref));
  }

  private static double tolerance(JsonNode ref) {
    return ref.path("tolerance").asDouble();
  }

  private static void assertLogitsMatch(
      JsonNode ex, List<TopK.Scored> got, List<String> labels, double tol) {
    JsonNode probs = ex.path("expected").path("probabilities");
    assertThat(got.get(0).label()).isEqualTo(ex.path("expected").path("label").asText());
    for (TopK.Scored s : got) {
      assertThat((double) s.score())
          .isCloseTo(probs.get(labels.indexOf(s.label())).asDouble(), within(tol));
    }
  }

  @Test
  void digitsCnnMatchesPyTorchFromPngAndRawPixels() {
    OnnxModel model = load("digits-cnn");
    JsonNode ref = TestRepository.reference(model.artifact());
    List<ImageInput> inputs = new ArrayList<>();
    ref.path("examples").forEach(ex -> inputs.add(TestRepository.imageInput(ex.path("input"))));
    BatchResult<ClassScores.Classified> result = new ImageClassifier(model).run(inputs);
    assertThat(result.batchSize()).isEqualTo(inputs.size()).isGreaterThanOrEqualTo(8);
    assertRawOutputsMatch(ref, result.output());
    for (int i = 0; i < inputs.size(); i++) {
      assertLogitsMatch(
          ref.path("examples").get(i),
          result.outcomes().get(i).value().top(),
          model.card().labels(),
          tolerance(ref));
    }
  }

  @Test
  void languageIdentifiersMatchPyTorchFromRawText() {
    // byte tokens (langid-transformer) and a Hugging Face tokenizer with three inputs, the batch
    // padded to its longest text (langid-bert; its references ran each text alone, unpadded)
    for (String name : List.of("langid-transformer", "langid-bert")) {
      OnnxModel model = load(name);
      JsonNode ref = TestRepository.reference(model.artifact());
      List<String> texts = new ArrayList<>();
      ref.path("examples").forEach(ex -> texts.add(ex.path("input").path("text").asText()));
      try (TextClassifier task = new TextClassifier(model)) {
        var result = task.run(texts);
        assertThat(texts).as(name).hasSizeGreaterThanOrEqualTo(8);
        assertRawOutputsMatch(ref, result.output());
        for (int i = 0; i < texts.size(); i++) {
          assertLogitsMatch(
              ref.path("examples").get(i),
              result.outcomes().get(i).value().top(),
              model.card().labels(),
              tolerance(ref));
        }
      }
    }
  }

  @Test
  void sensorForecastersMatchPyTorchInSensorUnits() {
    for (String name : List.of("sensor-lstm", "sensor-gru")) {
      OnnxModel model = load(name);
      JsonNode ref = TestRepository.reference(model.artifact());
      List<double[]> windows = new ArrayList<>();
      for (JsonNode ex : ref.path("examples")) {
        JsonNode r = ex.path("input").path("readings");
        double[] w = new double[r.size()];
        for (int i = 0; i < w.length; i++) {
          w[i] = r.get(i).asDouble();
        }
        windows.add(w);
      }
      var result = new Forecaster(model).run(windows);
      assertThat(windows).hasSizeGreaterThanOrEqualTo(8);
      assertRawOutputsMatch(ref, result.output());
      for (int i = 0; i < windows.size(); i++) {
        JsonNode ex = ref.path("examples").get(i);
        Forecaster.Forecast f = result.outcomes().get(i).value();
        double std = ex.path("expected").path("std").asDouble();
        double zOut = TestRepository.floats(ex.path("outputs").get(0))[0];
        assertThat(f.windowMean())
            .isCloseTo(
                ex.path("expected").path("mean").asDouble(),
                within(1e-9 * Math.max(1, Math.abs(f.windowMean()))));
        assertThat(f.windowStd()).isCloseTo(std, within(1e-9 * std));
        // the model's output in z units, recovered from the forecast, within the tolerance
        assertThat((f.value() - f.windowMean()) / f.windowStd())
            .as(name + " example " + i)
            .isCloseTo(zOut, within(tolerance(ref)));
      }
    }
  }

  @Test
  void digitsGanMatchesPyTorchFromSeedAndClass() {
    OnnxModel model = load("digits-gan");
    JsonNode ref = TestRepository.reference(model.artifact());
    List<ImageGenerator.Sample> samples = TestRepository.samples(ref);
    var result = new ImageGenerator(model).run(samples);
    assertThat(samples).hasSizeGreaterThanOrEqualTo(8);
    assertRawOutputsMatch(ref, result.output());
    for (int i = 0; i < samples.size(); i++) {
      JsonNode ex = ref.path("examples").get(i);
      int[] want = TestRepository.ints(ex.path("expected").path("pixels"));
      ImageGenerator.Image img = result.outcomes().get(i).value();
      // a pixel may round the other way when PyTorch's value sits within 1e-4 of a .5 boundary
      for (int p = 0; p < 64; p++) {
        assertThat(img.pixels()[p]).as("example %d pixel %d", i, p).isCloseTo(want[p], within(1));
      }
      assertThat(img.png()).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    }
  }
}
