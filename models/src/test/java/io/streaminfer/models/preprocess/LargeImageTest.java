package io.streaminfer.models.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.models.TestRepository;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * A large image is decoded subsampled toward the model's input size, read from its header first:
 * what is held is bounded by what the resize needs, and what is kept is exactly the full decode's
 * every k-th pixel. Small images are decoded in full (the parity tests' images among them).
 */
class LargeImageTest {
  private static final ImagePreprocessor MOBILENET =
      new ImagePreprocessor(
          TestRepository.newest("digits-mobilenet").card()); // resize 256, crop 224
  private static final ImagePreprocessor CNN =
      new ImagePreprocessor(TestRepository.newest("digits-cnn").card()); // exact 8 x 8

  @Test
  void shouldSubsampleOnlyImagesOverAMegapixelAndKeepFourTimesTheResizedSide() {
    assertThat(MOBILENET.subsampling(1024, 1024)).as("1 MP: in full").isEqualTo(1);
    assertThat(MOBILENET.subsampling(1500, 2000)).as("shorter side < 4 x 256").isEqualTo(1);
    assertThat(MOBILENET.subsampling(3000, 4000)).isEqualTo(2);
    assertThat(MOBILENET.subsampling(4096, 4096)).isEqualTo(4);
    assertThat(CNN.subsampling(4096, 4096)).as("an 8 x 8 model keeps 32 x 32").isEqualTo(128);
    assertThat(CNN.subsampling(64, 64)).as("small images in full for every model").isEqualTo(1);
  }

  @Test
  void shouldKeepExactlyEveryKthPixelOfTheFullDecodeAndFeedTheModel() throws Exception {
    int w = 4096;
    int h = 2048;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        row[x] = (x * 7 + y * 3 + (x ^ y)) & 0xFF; // fine detail: any misplaced sample shows
      }
      img.getRaster().setPixels(0, y, w, 1, row);
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(img, "png", png);
    ImageInput in = ImageInput.encoded(ImageInput.Encoding.PNG, png.toByteArray());
    double[] black = new double[3];

    int k = MOBILENET.subsampling(h, w);
    assertThat(k).isEqualTo(2);
    ImageDecoder.Pixels full = ImageDecoder.decode(in, black, false, "test");
    ImageDecoder.Pixels sub = ImageDecoder.decode(in, black, false, "test", MOBILENET::subsampling);
    assertThat(sub.height()).isEqualTo(h / k);
    assertThat(sub.width()).isEqualTo(w / k);
    for (int y = 0; y < sub.height(); y++) {
      for (int x = 0; x < sub.width(); x++) {
        assertThat(sub.planes()[0][y * sub.width() + x])
            .isEqualTo(full.planes()[0][(y * k) * w + x * k]);
      }
    }
    // the model's input is made from the subsampled decode
    java.nio.FloatBuffer tensor = java.nio.FloatBuffer.allocate(MOBILENET.elements());
    MOBILENET.write(in, tensor);
    assertThat(tensor.position()).isEqualTo(MOBILENET.elements());
  }
}
