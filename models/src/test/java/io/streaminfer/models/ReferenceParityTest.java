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
      for (JsonNode out : ex.path("outputs")) { // a task reading several outputs: row by row
        float[] want = TestRepository.floats(out);
        for (int i = 0; i < want.length; i++) {
          worst = Math.max(worst, Math.abs(output[offset + i] - want[i]));
        }
        offset += want.length;
      }
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
        // the expected error the anomaly score divides by: the model's own spread
        double spread = TestRepository.floats(ex.path("outputs").get(1))[0];
        assertThat(f.residualStd()).as(name + " spread " + i).isCloseTo(spread, within(1e-6));
        assertThat(f.zScore(f.value() + f.windowStd() * spread)).isCloseTo(1.0, within(1e-6));
      }
    }
  }

  @Test
  void multivariateForecasterMatchesPyTorchFromTheRawReadings() {
    OnnxModel model = load("macro-gru-multi");
    JsonNode ref = TestRepository.reference(model.artifact());
    Forecaster task = new Forecaster(model);
    assertThat(task.features()).isEqualTo(4);
    assertThat(task.horizon()).isEqualTo(4);
    assertThat(task.targets()).containsExactly(0, 1);
    List<double[]> windows = new ArrayList<>();
    for (JsonNode ex : ref.path("examples")) {
      JsonNode rows = ex.path("input").path("readings");
      double[] w = new double[rows.size() * task.features()];
      for (int r = 0; r < rows.size(); r++) {
        for (int f = 0; f < task.features(); f++) {
          w[r * task.features() + f] = rows.get(r).get(f).asDouble();
        }
      }
      windows.add(w);
    }
    var result = task.run(windows);
    assertThat(windows).hasSizeGreaterThanOrEqualTo(8);
    assertRawOutputsMatch(ref, result.output());
    for (int i = 0; i < windows.size(); i++) {
      JsonNode ex = ref.path("examples").get(i);
      Forecaster.Forecast f = result.outcomes().get(i).value();
      JsonNode want = ex.path("expected").path("steps");
      JsonNode std = ex.path("expected").path("std");
      assertThat(f.steps()).hasNumberOfRows(task.horizon());
      for (int h = 0; h < task.horizon(); h++) {
        for (int k = 0; k < 2; k++) {
          double unit = std.get(task.targets()[k]).asDouble();
          // in the target's window z units, as the model's own tolerance
          assertThat((f.steps()[h][k] - want.get(h).get(k).asDouble()) / unit)
              .as("example %d step %d target %d", i, h, k)
              .isCloseTo(0.0, within(tolerance(ref)));
        }
      }
      assertThat(f.value()).isEqualTo(f.steps()[0][0]);
      assertThat(f.windowStd()).isCloseTo(std.get(0).asDouble(), within(1e-9 * f.windowStd()));
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
