package io.streaminfer.models.postprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The PNG writer's bytes read back by ImageIO's own PNG reader, pixel for pixel. */
class PngEncoderTest {

  @ParameterizedTest(name = "{0} x {1} x {2}")
  @CsvSource({
    "8, 8, 1",
    "1, 1, 1",
    "28, 28, 1",
    "257, 3, 1",
    "1, 1, 3",
    "64, 48, 3",
    "300, 200, 3"
  })
  void shouldDecodeToExactlyThePixelsWritten(int width, int height, int channels) throws Exception {
    int[] px = new int[width * height * channels];
    Random rnd = new Random(width * 31L + height + channels);
    for (int i = 0; i < px.length; i++) {
      px[i] = i % 7 == 0 ? 255 : rnd.nextInt(256); // noise with runs: both deflate paths
    }
    byte[] png = PngEncoder.png(px, width, height, channels);

    BufferedImage back = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(back).as("a PNG ImageIO reads").isNotNull();
    assertThat(back.getWidth()).isEqualTo(width);
    assertThat(back.getHeight()).isEqualTo(height);
    assertThat(back.getRaster().getNumBands()).isEqualTo(channels);
    assertThat(back.getColorModel().getComponentSize(0)).isEqualTo(8);
    assertThat(back.getRaster().getPixels(0, 0, width, height, (int[]) null)).isEqualTo(px);
  }

  @Test
  void shouldCompressAnImageOfOneGreyToAFewBytes() {
    byte[] png = PngEncoder.png(new int[256 * 256], 256, 256, 1);
    assertThat(png.length).isLessThan(400); // 65,792 bytes of samples and filter bytes
  }

  @Test
  void shouldRefuseValuesThatDoNotMatchTheShape() {
    assertThatThrownBy(() -> PngEncoder.png(new int[10], 3, 3, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3 x 3 x 1 does not match 10 values");
    assertThatThrownBy(() -> PngEncoder.png(new int[8], 2, 2, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("channels must be 1 or 3");
  }
}
