package io.streaminfer.models.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.models.TestRepository;
import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.runtime.ProviderSelector;
import io.streaminfer.models.runtime.RuntimeSettings;
import io.streaminfer.models.task.Forecaster;
import io.streaminfer.models.task.StepForecaster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model import} learns the sequence family: the committed forecasters' own ONNX files — a
 * windowed multivariate multi-step GRU, a windowed LSTM with its own error output, a stateful LSTM
 * with {@code [layers, batch, hidden]} states — give cards that serve them exactly as their
 * training-written cards do, with the window, features, horizon and state tensors read from the
 * graph; what the graph cannot tell (the expected error) is asked for by key.
 */
class SequenceImportTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path repo;

  private ImportRequest request(Path onnx, String name, Map<String, String> set) {
    Map<String, JsonNode> overrides = new LinkedHashMap<>();
    set.forEach(
        (k, v) -> {
          try {
            overrides.put(k, JSON.readTree(v));
          } catch (IOException e) {
            throw new IllegalArgumentException(v, e);
          }
        });
    return new ImportRequest(
        onnx,
        repo,
        name,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        List.of(),
        Optional.empty(),
        Optional.empty(),
        overrides,
        true);
  }

  private static OnnxModel load(ModelArtifact a) {
    return OnnxModel.load(a, RuntimeSettings.cpuDefaults(), new ProviderSelector());
  }

  private static List<double[]> windows(ModelArtifact committed) {
    List<double[]> out = new ArrayList<>();
    for (JsonNode ex : TestRepository.reference(committed).path("examples")) {
      List<Double> flat = new ArrayList<>();
      for (JsonNode r : ex.path("input").path("readings")) {
        if (r.isArray()) {
          r.forEach(v -> flat.add(v.asDouble()));
        } else {
          flat.add(r.asDouble());
        }
      }
      out.add(flat.stream().mapToDouble(Double::doubleValue).toArray());
    }
    return out;
  }

  @Test
  void aWindowedMultivariateMultiStepForecasterIsReadFromItsGraph() {
    ModelArtifact committed = TestRepository.newest("macro-gru-multi");
    double residual = committed.card().post("residual_std");
    ModelImporter.Report report =
        ModelImporter.run(
            request(
                committed.onnxFile(),
                "my-forecaster",
                Map.of(
                    "postprocessing.targets",
                    "[0, 1]",
                    "postprocessing.residual_std",
                    Double.toString(residual))));
    report.lines().forEach(System.out::println);
    assertThat(report.inferred())
        .anySatisfy(l -> assertThat(l).startsWith("preprocessing.window = 16"))
        .anySatisfy(l -> assertThat(l).startsWith("preprocessing.features = 4"));
    ModelArtifact a = ModelRepository.verify(report.directory());
    assertThat(a.card().task()).isEqualTo(committed.card().task());
    List<double[]> windows = windows(committed);
    try (OnnxModel mine = load(a);
        OnnxModel theirs = load(committed)) {
      Forecaster f = new Forecaster(mine);
      assertThat(f.horizon()).isEqualTo(4);
      var got = f.run(windows).outcomes();
      var want = new Forecaster(theirs).run(windows).outcomes();
      for (int i = 0; i < windows.size(); i++) {
        assertThat(got.get(i).value().steps()).isDeepEqualTo(want.get(i).value().steps());
      }
    }
  }

  @Test
  void aForecasterWithAnErrorOutputNeedsItNamedAndTheExpectedErrorIsAskedFor() {
    ModelArtifact committed = TestRepository.newest("sensor-lstm");
    assertThatThrownBy(() -> ModelImporter.run(request(committed.onnxFile(), "mine", Map.of())))
        .isInstanceOf(ImportRefusedException.class)
        .hasMessageContaining("postprocessing.output")
        .hasMessageContaining("spread");
    assertThatThrownBy(
            () ->
                ModelImporter.run(
                    request(
                        committed.onnxFile(),
                        "mine",
                        Map.of("postprocessing.output", "\"forecast\""))))
        .isInstanceOf(ImportRefusedException.class)
        .hasMessageContaining("postprocessing.residual_std");
    assertThat(repo.resolve("mine")).doesNotExist();
    ModelImporter.Report report =
        ModelImporter.run(
            request(
                committed.onnxFile(),
                "mine",
                Map.of(
                    "postprocessing.output", "\"forecast\"",
                    "postprocessing.error_output", "\"spread\"",
                    "postprocessing.residual_std", "1.0")));
    ModelArtifact a = ModelRepository.verify(report.directory());
    List<double[]> windows = windows(committed);
    try (OnnxModel mine = load(a);
        OnnxModel theirs = load(committed)) {
      var got = new Forecaster(mine).run(windows).outcomes();
      var want = new Forecaster(theirs).run(windows).outcomes();
      for (int i = 0; i < windows.size(); i++) {
        assertThat(got.get(i).value()).usingRecursiveComparison().isEqualTo(want.get(i).value());
      }
    }
  }

  @Test
  void aStatefulLstmsStatesAndTheirBatchAxesAreReadFromItsGraph() {
    ModelArtifact committed = TestRepository.newest("elnino-lstm-step");
    JsonNode pre = committed.card().preprocessing();
    ModelImporter.Report report =
        ModelImporter.run(
            request(
                committed.onnxFile(),
                "my-step-model",
                Map.of(
                    "preprocessing.scale", pre.path("scale").toString(),
                    "postprocessing.residual_std",
                        Double.toString(committed.card().post("residual_std")))));
    report.lines().forEach(System.out::println);
    ModelArtifact a = ModelRepository.verify(report.directory());
    assertThat(a.card().preprocessing().path("type").asText()).isEqualTo("recurrent-step");
    assertThat(a.card().preprocessing().path("state"))
        .extracting(
            s ->
                s.path("input").asText()
                    + ">"
                    + s.path("output").asText()
                    + "@"
                    + s.path("batch_axis").asInt())
        .containsExactly("h0>hn@1", "c0>cn@1");
    try (OnnxModel mine = load(a);
        OnnxModel theirs = load(committed)) {
      StepForecaster m = new StepForecaster(mine);
      StepForecaster t = new StepForecaster(theirs);
      assertThat(m.signature()).isNotEqualTo(t.signature()); // another model's states
      JsonNode readings = TestRepository.reference(committed).path("readings");
      float[][] sm = null;
      float[][] st = null;
      for (int i = 0; i < 24; i++) {
        double[] r = new double[readings.get(i).size()];
        for (int k = 0; k < r.length; k++) {
          r[k] = readings.get(i).get(k).asDouble();
        }
        var gm = m.run(List.of(new StepForecaster.Step(new double[][] {r}, sm))).outcomes();
        var gt = t.run(List.of(new StepForecaster.Step(new double[][] {r}, st))).outcomes();
        assertThat(gm.get(0).value().steps()).isDeepEqualTo(gt.get(0).value().steps());
        sm = gm.get(0).value().state();
        st = gt.get(0).value().state();
      }
    }
  }
}
