package io.streaminfer.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.models.postprocess.ClassScores;
import io.streaminfer.models.preprocess.ImageDecoder;
import io.streaminfer.models.preprocess.ImageInput;
import io.streaminfer.models.preprocess.ImagePreprocessor;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.runtime.ProviderSelector;
import io.streaminfer.models.runtime.RuntimeSettings;
import io.streaminfer.models.task.BatchResult;
import io.streaminfer.models.task.ImageClassifier;
import io.streaminfer.models.task.ImageGenerator;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Users' kind of models, from their cards alone: torchvision's mobilenet_v3_small (RGB 224,
 * ImageNet normalisation, Resize(256) + CenterCrop(224)) fed every form of image a producer may
 * send, each decoded as Pillow decodes it and transformed as torchvision transforms it (the
 * references are made in Python from the same bytes), and an unconditional RGB generator whose
 * pixels Java reproduces exactly.
 */
class ColourModelParityTest {
  /** Variants whose bytes are decoded losslessly: Java's pixels equal Pillow's. */
  private static final List<String> LOSSLESS =
      List.of("rgb-png", "grey-png", "grey16-png", "palette-png", "rgba-png", "raw");

  private static OnnxModel load(String name) {
    return OnnxModel.load(
        TestRepository.newest(name), RuntimeSettings.cpuDefaults(), new ProviderSelector());
  }

  @Test
  void mobilenetMatchesPillowAndTorchvisionForEveryFormOfImage() {
    try (OnnxModel model = load("digits-mobilenet")) {
      JsonNode ref = TestRepository.reference(model.artifact());
      ImagePreprocessor pre = new ImagePreprocessor(model.card());
      double[] background = new double[3];
      for (int c = 0; c < 3; c++) {
        background[c] = model.card().preprocessing().path("background").get(c).asDouble();
      }
      List<ImageInput> inputs = new ArrayList<>();
      Map<String, Double> worstPixel = new LinkedHashMap<>();
      for (JsonNode ex : ref.path("examples")) {
        String variant = ex.path("variant").asText();
        ImageInput in = TestRepository.imageInput(ex.path("input"));
        inputs.add(in);
        // 1. decoding: the pixels Pillow gives (EXIF applied, alpha on the background, ...)
        ImageDecoder.Pixels px = ImageDecoder.decode(in, background, true, "test");
        JsonNode want = ex.path("pixels");
        assertThat(px.height()).as(variant).isEqualTo(want.path("height").asInt());
        assertThat(px.width()).as(variant).isEqualTo(want.path("width").asInt());
        double worst = 0;
        int n = px.height() * px.width();
        for (int i = 0; i < n; i++) {
          for (int c = 0; c < 3; c++) {
            double got = px.planes()[px.channels() == 1 ? 0 : c][i];
            worst = Math.max(worst, Math.abs(got - want.path("data").get(i * 3 + c).asDouble()));
          }
        }
        worstPixel.merge(variant, worst, Math::max);
        // 2. the tensor: torchvision's Resize + CenterCrop + Normalize on those pixels
        FloatBuffer t = FloatBuffer.allocate(pre.elements());
        pre.write(in, t);
        JsonNode sample = ex.path("tensor_sample");
        for (int k = 0; k < sample.path("at").size(); k++) {
          assertThat((double) t.get(sample.path("at").get(k).asInt()))
              .as("%s tensor value %d", variant, k)
              .isCloseTo(sample.path("data").get(k).asDouble(), within(1e-4));
        }
      }
      System.out.println("max |Java - Pillow| pixel difference per variant: " + worstPixel);
      for (String v : LOSSLESS) {
        assertThat(worstPixel.get(v)).as("%s pixels, Java - Pillow", v).isLessThanOrEqualTo(1e-6);
      }
      // JPEG: the JDK's decoder (TwelveMonkeys delegates to it) and Pillow's libjpeg-turbo both
      // use libjpeg's integer IDCT and fancy upsampling; measured identical here, allowed a level
      for (String v : List.of("rgb-jpeg", "exif-jpeg", "cmyk-jpeg")) {
        assertThat(worstPixel.get(v)).as("%s pixels, Java - Pillow", v).isLessThanOrEqualTo(1.0);
      }
      // 3. the model: the whole reference set as one batch
      BatchResult<ClassScores.Classified> result = new ImageClassifier(model).run(inputs);
      assertThat(result.batchSize()).isEqualTo(inputs.size());
      int offset = 0;
      for (int i = 0; i < inputs.size(); i++) {
        JsonNode ex = ref.path("examples").get(i);
        String variant = ex.path("variant").asText();
        float[] logits = TestRepository.floats(ex.path("outputs").get(0));
        double tol = 1e-4;
        for (int k = 0; k < logits.length; k++) {
          assertThat((double) result.output()[offset + k])
              .as("%s logit %d", variant, k)
              .isCloseTo(logits[k], within(tol));
        }
        offset += logits.length;
        assertThat(result.outcomes().get(i).value().best().label())
            .as(variant)
            .isEqualTo(ex.path("expected").path("label").asText());
      }
    }
  }

  /**
   * A batch's images are prepared in parallel: broken images between good ones fail alone, and
   * every good one keeps its row and its logits.
   */
  @Test
  void brokenImagesInABatchFailAloneAndTheRestKeepTheirLogits() {
    try (OnnxModel model = load("digits-mobilenet")) {
      JsonNode ref = TestRepository.reference(model.artifact());
      ImageInput broken =
          new ImageInput(ImageInput.Encoding.PNG, new byte[] {(byte) 0x89, 'P', 'N', 'G'}, 0, 0, 0);
      List<ImageInput> inputs = new ArrayList<>();
      List<Integer> exampleOf = new ArrayList<>();
      inputs.add(broken);
      exampleOf.add(-1);
      for (int e = 0; e < ref.path("examples").size(); e++) {
        inputs.add(TestRepository.imageInput(ref.path("examples").get(e).path("input")));
        exampleOf.add(e);
        if (e % 5 == 2) {
          inputs.add(broken);
          exampleOf.add(-1);
        }
      }
      BatchResult<ClassScores.Classified> result = new ImageClassifier(model).run(inputs);
      assertThat(result.batchSize()).isEqualTo(ref.path("examples").size());
      assertThat(result.runMicros()).isPositive().isLessThanOrEqualTo(result.inferenceMicros());
      int row = 0;
      for (int i = 0; i < inputs.size(); i++) {
        var outcome = result.outcomes().get(i);
        if (exampleOf.get(i) < 0) {
          assertThat(outcome.ok()).as("input %d", i).isFalse();
          assertThat(outcome.error().reason())
              .isEqualTo(InferenceException.Reason.IMAGE_UNDECODABLE);
          continue;
        }
        JsonNode ex = ref.path("examples").get(exampleOf.get(i));
        float[] logits = TestRepository.floats(ex.path("outputs").get(0));
        for (int k = 0; k < logits.length; k++) {
          assertThat((double) result.output()[row * logits.length + k])
              .as("%s logit %d", ex.path("variant").asText(), k)
              .isCloseTo(logits[k], within(1e-4));
        }
        assertThat(outcome.value().best().label())
            .isEqualTo(ex.path("expected").path("label").asText());
        row++;
      }
    }
  }

  @Test
  void unconditionalColourGeneratorReproducesPyTorchsPixels() {
    try (OnnxModel model = load("digits-dcgan")) {
      JsonNode ref = TestRepository.reference(model.artifact());
      ImageGenerator gen = new ImageGenerator(model);
      assertThat(gen.conditional()).isFalse();
      List<ImageGenerator.Sample> samples = TestRepository.samples(ref);
      var result = gen.run(samples);
      for (int i = 0; i < samples.size(); i++) {
        JsonNode want = ref.path("examples").get(i).path("expected");
        ImageGenerator.Image img = result.outcomes().get(i).value();
        assertThat(img.channels()).isEqualTo(3);
        assertThat(img.width()).isEqualTo(want.path("width").asInt());
        assertThat(img.pixels())
            .as("sample %d", i)
            .containsExactly(TestRepository.ints(want.path("pixels")));
      }
      assertThat(gen.run(List.of(new ImageGenerator.Sample(1, "7", 0))).outcomes().get(0).error())
          .as("a label on an unconditional generator is refused")
          .isNotNull();
    }
  }
}
