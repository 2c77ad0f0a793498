package io.streaminfer.models.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.models.InferenceException;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.TestRepository;
import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.runtime.ProviderSelector;
import io.streaminfer.models.runtime.RuntimeSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stateful step model, one reading per step with its state carried by the caller, against
 * PyTorch's run of the whole series at once (reference.json), alone and batched with another key
 * whose state is at another point of the series.
 */
class StepForecasterTest {
  private static final String NAME = "elnino-lstm-step";
  private static OnnxModel model;
  private static JsonNode ref;

  @BeforeAll
  static void load() {
    TestRepository.open();
    ModelArtifact a = TestRepository.newest(NAME);
    model = OnnxModel.load(a, RuntimeSettings.cpuDefaults(), new ProviderSelector());
    ref = TestRepository.reference(a);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  private static double[] reading(int t) {
    JsonNode r = ref.path("readings").get(t);
    double[] v = new double[r.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.get(i).asDouble();
    }
    return v;
  }

  private static double expected(int t) {
    return ref.path("forecasts").get(t).asDouble();
  }

  @Test
  void stepByStepEqualsTheFullSequenceRunAloneAndBatchedWithAKeyElsewhereInTheSeries() {
    StepForecaster task = new StepForecaster(model);
    double scale = model.card().preprocessing().path("scale").path("std").get(0).asDouble();
    int n = ref.path("readings").size();
    int lag = 100;
    float[][] a = null;
    float[][] b = null;
    double worst = 0;
    int checked = 0;
    for (int t = 0; t < n; t++) {
      List<StepForecaster.Step> in = new ArrayList<>();
      in.add(new StepForecaster.Step(new double[][] {reading(t)}, a));
      if (t >= lag) { // key b runs the same series 100 readings behind a, in the same batches
        in.add(new StepForecaster.Step(new double[][] {reading(t - lag)}, b));
      }
      var res = task.run(in);
      StepForecaster.Result ra = res.outcomes().get(0).value();
      a = ra.state();
      worst = Math.max(worst, Math.abs(ra.value() - expected(t)) / scale);
      checked++;
      if (t >= lag) {
        StepForecaster.Result rb = res.outcomes().get(1).value();
        b = rb.state();
        worst = Math.max(worst, Math.abs(rb.value() - expected(t - lag)) / scale);
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(2 * n - lag - 1);
    assertThat(worst)
        .as("max |Java step by step - PyTorch full sequence| in scaled units")
        .isLessThanOrEqualTo(ref.path("tolerance").asDouble());
  }

  @Test
  void aStateFromZeroAndTheCarriedStateGiveDifferentForecasts() {
    // the state matters: the same reading with the state of 24 readings before forecasts otherwise
    StepForecaster task = new StepForecaster(model);
    float[][] s = null;
    for (int t = 0; t < 24; t++) {
      s =
          task.run(List.of(new StepForecaster.Step(new double[][] {reading(t)}, s)))
              .outcomes()
              .get(0)
              .value()
              .state();
    }
    var carried = task.run(List.of(new StepForecaster.Step(new double[][] {reading(24)}, s)));
    var fresh = task.run(List.of(new StepForecaster.Step(new double[][] {reading(24)}, null)));
    assertThat(carried.outcomes().get(0).value().value())
        .isNotEqualTo(fresh.outcomes().get(0).value().value());
    assertThat(task.fits(s)).isTrue();
    assertThat(task.fits(new float[][] {new float[3], new float[3]})).isFalse();
  }

  @Test
  void aReadingOfAnotherSizeOrWithANonFiniteFeatureFailsAloneWithItsReason() {
    StepForecaster task = new StepForecaster(model);
    var res =
        task.run(
            List.of(
                new StepForecaster.Step(new double[][] {{25.0, 0.0}}, null),
                new StepForecaster.Step(new double[][] {{25.0, Double.NaN, 1.0}}, null),
                new StepForecaster.Step(new double[][] {reading(0)}, null)));
    assertThat(res.outcomes().get(0).error().reason())
        .isEqualTo(InferenceException.Reason.READING_FEATURES);
    assertThat(res.outcomes().get(1).error().reason())
        .isEqualTo(InferenceException.Reason.READING_NOT_FINITE);
    assertThat(res.outcomes().get(2).ok()).isTrue();
  }

  @Test
  void aCardWhoseStateAxisOrInputsDoNotFitFailsNamingTheKey(@TempDir Path dir) throws IOException {
    assertRefused(
        dir.resolve("a"),
        c -> ((ObjectNode) c.path("preprocessing").path("state").get(0)).put("batch_axis", 0),
        "preprocessing.state[0].batch_axis 0");
    assertRefused(
        dir.resolve("b"),
        c -> ((ObjectNode) c.path("preprocessing")).put("features", 2),
        "preprocessing.features");
    assertRefused(
        dir.resolve("c"),
        c -> ((ObjectNode) c.path("preprocessing")).remove("state"),
        "preprocessing.state");
    assertRefused(
        dir.resolve("d"),
        c ->
            ((com.fasterxml.jackson.databind.node.ArrayNode)
                    c.path("preprocessing").path("scale").path("std"))
                .set(1, 0.0),
        "preprocessing.scale.std[1]");
  }

  private static void assertRefused(Path root, Consumer<ObjectNode> tamper, String message)
      throws IOException {
    ModelArtifact a = TestRepository.newest(NAME);
    Path dir = root.resolve(NAME).resolve("1");
    Files.createDirectories(dir);
    Files.copy(a.onnxFile(), dir.resolve("model.onnx"));
    ObjectMapper json = new ObjectMapper();
    ObjectNode card = (ObjectNode) json.readTree(a.directory().resolve("model.json").toFile());
    tamper.accept(card);
    json.writeValue(dir.resolve("model.json").toFile(), card);
    ModelArtifact tampered = ModelRepository.open(root).select(NAME, java.util.Optional.empty());
    try (OnnxModel m =
        OnnxModel.load(tampered, RuntimeSettings.cpuDefaults(), new ProviderSelector())) {
      assertThatThrownBy(() -> new StepForecaster(m))
          .isInstanceOf(ModelLoadException.class)
          .hasMessageContaining(NAME + ":1")
          .hasMessageContaining(message);
    }
  }
}
