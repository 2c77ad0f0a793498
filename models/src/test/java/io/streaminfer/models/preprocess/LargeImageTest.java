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

  @Test
  void shouldHoldAnImageToItsRoutesBudgetToTheByte() throws Exception {
    // 64 x 64 grey at 8 bits decodes to exactly 4,096 bytes
    BufferedImage grey = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(grey, "png", png);
    ImageInput in = ImageInput.encoded(ImageInput.Encoding.PNG, png.toByteArray());

    CNN.write(in.withMaxDecodedBytes(4096), java.nio.FloatBuffer.allocate(64));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> CNN.write(in.withMaxDecodedBytes(4095), java.nio.FloatBuffer.allocate(64)))
        .isInstanceOf(io.streaminfer.models.InferenceException.class)
        .hasMessageContaining(
            "64x64 with 1 bands of 8 bits decodes to 4096 bytes; the route accepts up to 4095 bytes")
        .hasMessageContaining("max.decoded.bytes");
  }

  @Test
  void shouldRefuseFromItsHeaderAnImageThatDecodesToMoreThanTheBudget() throws Exception {
    // 4096 x 4096 RGBA at 16 bits (128 MiB decoded) of zeros: 130 KB on the wire
    java.io.ByteArrayOutputStream idat = new java.io.ByteArrayOutputStream();
    try (var z = new java.util.zip.DeflaterOutputStream(idat, new java.util.zip.Deflater(9))) {
      byte[] row = new byte[1 + 4096 * 8];
      for (int y = 0; y < 4096; y++) {
        z.write(row);
      }
    }
    java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
    png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    io.streaminfer.models.postprocess.PngEncoder.chunk(
        png,
        "IHDR",
        java.nio.ByteBuffer.allocate(13)
            .putInt(4096)
            .putInt(4096)
            .put((byte) 16)
            .put((byte) 6)
            .array());
    io.streaminfer.models.postprocess.PngEncoder.chunk(png, "IDAT", idat.toByteArray());
    io.streaminfer.models.postprocess.PngEncoder.chunk(png, "IEND", new byte[0]);
    ImageInput in = ImageInput.encoded(ImageInput.Encoding.PNG, png.toByteArray());
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> MOBILENET.write(in, java.nio.FloatBuffer.allocate(MOBILENET.elements())))
        .isInstanceOf(io.streaminfer.models.InferenceException.class)
        .hasMessageContaining("4096x4096 with 4 bands of 16 bits decodes to 128 MiB")
        .satisfies(
            e ->
                assertThat(((io.streaminfer.models.InferenceException) e).reason())
                    .isEqualTo(io.streaminfer.models.InferenceException.Reason.IMAGE_DIMENSIONS));
  }
}
