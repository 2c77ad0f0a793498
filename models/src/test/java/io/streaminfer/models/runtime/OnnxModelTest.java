package io.streaminfer.models.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtException;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.TestRepository;
import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelCard;
import io.streaminfer.models.card.TensorSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class OnnxModelTest {

  private static ModelArtifact withInputs(ModelArtifact a, List<TensorSpec> inputs) {
    ModelCard c = a.card();
    return new ModelArtifact(
        a.directory(),
        new ModelCard(
            c.name(),
            c.version(),
            c.task(),
            c.sha256(),
            inputs,
            c.outputs(),
            c.labels(),
            c.preprocessing(),
            c.postprocessing(),
            c.metrics()));
  }

  @Test
  void shouldReportTheProviderActuallyUsed() {
    try (OnnxModel m =
        OnnxModel.load(
            TestRepository.newest("digits-cnn"),
            RuntimeSettings.cpuDefaults(),
            new ProviderSelector())) {
      assertThat(m.provider()).isEqualTo("CPU");
    }
  }

  @Test
  void shouldRefuseAModelWhoseInputNamesDisagreeWithItsCard() {
    ModelArtifact a =
        withInputs(
            TestRepository.newest("digits-cnn"),
            List.of(new TensorSpec("pixels", "float32", new long[] {-1, 1, 8, 8})));
    assertThatThrownBy(
            () -> OnnxModel.load(a, RuntimeSettings.cpuDefaults(), new ProviderSelector()))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("model.onnx inputs [image] disagree with its card [pixels");
  }

  @Test
  void shouldRefuseAModelWhoseInputShapeDisagreesWithItsCard() {
    ModelArtifact a =
        withInputs(
            TestRepository.newest("digits-cnn"),
            List.of(new TensorSpec("image", "float32", new long[] {-1, 1, 28, 28})));
    assertThatThrownBy(
            () -> OnnxModel.load(a, RuntimeSettings.cpuDefaults(), new ProviderSelector()))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(
            "input 'image' is FLOAT[-1, 1, 8, 8] but its card digits-cnn:1 says image:float32[-1, 1, 28, 28]");
  }

  @Test
  void closingTwiceIsSafe() {
    OnnxModel m =
        OnnxModel.load(
            TestRepository.newest("sensor-gru"),
            RuntimeSettings.cpuDefaults(),
            new ProviderSelector());
    m.close();
    m.close();
  }

  @Test
  void cudaWithTheCpuBuildFailsFastNamingTheSetting() {
    RuntimeSettings cuda = new RuntimeSettings(Device.parse("cuda"), 1, 1, false);
    assertThatThrownBy(
            () -> OnnxModel.load(TestRepository.newest("digits-cnn"), cuda, new ProviderSelector()))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("inference.device=cuda:0 but CUDA could not be loaded");
  }

  @Test
  void autoFallsBackToCpuWhenCudaCannotLoad() {
    RuntimeSettings auto = new RuntimeSettings(Device.parse("auto"), 1, 1, false);
    try (OnnxModel m =
        OnnxModel.load(TestRepository.newest("digits-cnn"), auto, new ProviderSelector())) {
      assertThat(m.provider()).isEqualTo("CPU");
    }
  }

  @Test
  void providerSelectionFollowsTheSetting() {
    ProviderSelector working = new ProviderSelector((o, d) -> {});
    ProviderSelector broken =
        new ProviderSelector(
            (o, d) -> {
              throw new OrtException("no libcudart.so.12");
            });
    try (var opts = new ai.onnxruntime.OrtSession.SessionOptions()) {
      assertThat(working.configure(opts, Device.parse("cuda:1"), "m")).isEqualTo("CUDA:1");
      assertThat(working.configure(opts, Device.parse("auto"), "m")).isEqualTo("CUDA:0");
      assertThat(working.configure(opts, Device.parse("cpu"), "m")).isEqualTo("CPU");
      assertThat(broken.configure(opts, Device.parse("auto"), "m")).isEqualTo("CPU");
      assertThatThrownBy(() -> broken.configure(opts, Device.parse("cuda"), "m"))
          .hasMessageContaining("no libcudart.so.12");
    }
  }

  @Test
  void deviceSettingIsParsedStrictly() {
    assertThat(Device.parse(" CUDA:2 ")).isEqualTo(new Device(Device.Mode.CUDA, 2));
    assertThat(Device.parse("auto").mode()).isEqualTo(Device.Mode.AUTO);
    for (String bad : List.of("gpu", "cuda:", "cuda:-1", "cuda:x", "")) {
      assertThatThrownBy(() -> Device.parse(bad))
          .hasMessageContaining("expected auto, cpu, cuda or cuda:N");
    }
  }
}
