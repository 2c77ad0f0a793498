package io.streaminfer.models.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.streaminfer.models.InferenceException;
import io.streaminfer.models.TestRepository;
import io.streaminfer.models.postprocess.PngEncoder;
import io.streaminfer.models.postprocess.TopK;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreprocessingTest {
  private final ImagePreprocessor image =
      new ImagePreprocessor(TestRepository.newest("digits-cnn").card());
  private final TextPreprocessor text =
      new TextPreprocessor(TestRepository.newest("langid-transformer").card());

  @Test
  void splitMix64MatchesThePublishedSequence() {
    var rng = new LatentNoise.SplitMix64(0);
    assertThat(rng.nextLong()).isEqualTo(0xE220A8397B1DCDAFL);
    assertThat(rng.nextLong()).isEqualTo(0x6E789E6AA1B965F4L);
    assertThat(rng.nextLong()).isEqualTo(0x06C45D188009454FL);
  }

  @Test
  void noiseRowsArePrefixesOfTheSameStream() {
    float[] three = LatentNoise.noise(123, 3 * 32);
    float[] one = LatentNoise.noise(123, 32);
    for (int i = 0; i < 32; i++) {
      assertThat(three[i]).isEqualTo(one[i]);
    }
  }

  @Test
  void aNoiseRowIsDrawnWithoutTheRowsBeforeItYetEqualsThatSliceOfTheStream() {
    for (int latent : new int[] {32, 33, 1}) { // odd widths start rows mid Box-Muller pair
      for (long seed : new long[] {0, 123, -7, Long.MAX_VALUE}) {
        float[] stream = LatentNoise.noise(seed, 20L * latent);
        for (int index = 0; index < 20; index++) {
          assertThat(LatentNoise.row(seed, index, latent))
              .as("seed %d latent %d row %d", seed, latent, index)
              .containsExactly(
                  java.util.Arrays.copyOfRange(stream, index * latent, (index + 1) * latent));
        }
      }
    }
  }

  @Test
  void halvingResizeAveragesBlocks() {
    double[] img = new double[16];
    for (int i = 0; i < 16; i++) {
      img[i] = i;
    }
    assertThat(Resampler.resize(img, 4, 4, 2, 2, 0, 0, 2, 2, false))
        .containsExactly(new double[] {2.5, 4.5, 10.5, 12.5}, within(1e-12));
  }

  @Test
  void antialiasedResizeEqualsPyTorchsInterpolate() {
    // torch.nn.functional.interpolate(arange, mode="bilinear", align_corners=False,
    // antialias=True) in float64: a 4x4 halved, and a 3x4 enlarged to 5x7 (first 8 values)
    double[] img = new double[16];
    for (int i = 0; i < 16; i++) {
      img[i] = i;
    }
    assertThat(Resampler.resize(img, 4, 4, 2, 2, 0, 0, 2, 2, true))
        .containsExactly(
            new double[] {
              3.5714285714285707, 5.142857142857142, 9.857142857142856, 11.428571428571427
            },
            within(1e-12));
    double[] up = Resampler.resize(java.util.Arrays.copyOf(img, 12), 3, 4, 5, 7, 0, 0, 5, 7, true);
    assertThat(java.util.Arrays.copyOf(up, 8))
        .containsExactly(
            new double[] {
              0.0,
              0.3571428571428571,
              0.9285714285714284,
              1.5,
              2.071428571428571,
              2.642857142857143,
              3.0,
              1.5999999999999996
            },
            within(1e-12));
    // a window of the resized image is that part of the whole
    double[] whole = Resampler.resize(img, 4, 4, 9, 9, 0, 0, 9, 9, true);
    double[] part = Resampler.resize(img, 4, 4, 9, 9, 2, 3, 4, 5, true);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 5; x++) {
        assertThat(part[y * 5 + x]).isCloseTo(whole[(y + 2) * 9 + x + 3], within(1e-12));
      }
    }
  }

  @Test
  void rawPixelsMustMatchTheirDeclaredSize() {
    ImageInput bad = new ImageInput(ImageInput.Encoding.RAW_UINT8, new byte[63], 8, 8, 1);
    assertThatThrownBy(() -> image.write(bad, FloatBuffer.allocate(64)))
        .isInstanceOfSatisfying(
            InferenceException.class,
            e -> assertThat(e.reason()).isEqualTo(InferenceException.Reason.IMAGE_UNDECODABLE))
        .hasMessageContaining("needs 64 bytes, got 63");
  }

  @Test
  void corruptAndOversizedImagesAreRejectedWithTheirReason() {
    byte[] png = PngEncoder.png(new int[64], 8, 8);
    byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2);
    assertThatThrownBy(
            () ->
                image.write(
                    ImageInput.encoded(ImageInput.Encoding.PNG, truncated),
                    FloatBuffer.allocate(64)))
        .isInstanceOfSatisfying(
            InferenceException.class,
            e -> assertThat(e.reason()).isEqualTo(InferenceException.Reason.IMAGE_UNDECODABLE));
    assertThatThrownBy(
            () ->
                image.write(
                    ImageInput.encoded(ImageInput.Encoding.PNG, "not an image".getBytes()),
                    FloatBuffer.allocate(64)))
        .hasMessageContaining("neither PNG nor JPEG");
    ImageInput huge = new ImageInput(ImageInput.Encoding.RAW_UINT8, new byte[1], 5000, 1, 1);
    assertThatThrownBy(() -> image.write(huge, FloatBuffer.allocate(64)))
        .isInstanceOfSatisfying(
            InferenceException.class,
            e -> assertThat(e.reason()).isEqualTo(InferenceException.Reason.IMAGE_DIMENSIONS));
  }

  @Test
  void jpegDecodesToTheSameGreyLevelsWithinJpegLoss() throws Exception {
    int[] px = new int[16 * 16];
    for (int i = 0; i < px.length; i++) {
      px[i] = (i % 16) * 16; // a smooth horizontal ramp survives JPEG well
    }
    var img = new java.awt.image.BufferedImage(16, 16, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setPixels(0, 0, 16, 16, px);
    var bytes = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(img, "jpg", bytes);
    ImageDecoder.Pixels grey =
        ImageDecoder.decode(
            ImageInput.encoded(ImageInput.Encoding.JPEG, bytes.toByteArray()),
            new double[3],
            true,
            "test");
    assertThat(grey.channels()).isEqualTo(1);
    assertThat(grey.height()).isEqualTo(16);
    assertThat(grey.width()).isEqualTo(16);
    for (int i = 0; i < px.length; i++) {
      assertThat(grey.planes()[0][i]).isCloseTo(px[i], within(24.0));
    }
  }

  @Test
  void textIsNormalisedBeforeTokenising() {
    assertThat(TextPreprocessor.normalise("  e\u0301\t\tb \n")).isEqualTo("\u00e9 b");
    LongBuffer ids = LongBuffer.allocate(text.elements());
    text.write("ab", ids);
    assertThat(ids.get(0)).isEqualTo('a' + 1);
    assertThat(ids.get(1)).isEqualTo('b' + 1);
    assertThat(ids.get(2)).isZero();
  }

  @Test
  void whitespaceOnlyTextIsRejected() {
    assertThatThrownBy(() -> text.write(" \t\n ", LongBuffer.allocate(text.elements())))
        .isInstanceOfSatisfying(
            InferenceException.class,
            e -> assertThat(e.reason()).isEqualTo(InferenceException.Reason.TEXT_EMPTY));
  }

  @Test
  void topKSortsBySoftmaxProbability() {
    List<TopK.Scored> top = TopK.topK(new float[] {0f, 2f, 1f}, 0, List.of("a", "b", "c"), 2);
    assertThat(top).extracting(TopK.Scored::label).containsExactly("b", "c");
    double e0 = 1, e1 = Math.exp(2), e2 = Math.exp(1);
    assertThat((double) top.get(0).score()).isCloseTo(e1 / (e0 + e1 + e2), within(1e-6));
  }

  @Test
  void generatedValuesRoundHalfUpAndClamp() {
    assertThat(PngEncoder.toUint8(new float[] {-1f, 1f, 0f, 2f, -3f}, 0, 5, -1, 1))
        .containsExactly(0, 255, 128, 255, 0);
  }
}
