package io.streaminfer.models.postprocess;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Generator output to pixels and PNG bytes, as the card's {@code image} postprocessing says. */
public final class PngEncoder {
  private PngEncoder() {}

  /** {@code round((v - low) / (high - low) * 255)} clamped to 0..255, for n values from offset. */
  public static int[] toUint8(float[] values, int offset, int n, double low, double high) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      double v = (values[offset + i] - low) / (high - low) * 255.0;
      out[i] = (int) Math.max(0, Math.min(255, Math.floor(v + 0.5)));
    }
    return out;
  }

  /** 8-bit greyscale PNG of {@code pixels} (row-major, width × height). */
  public static byte[] png(int[] pixels, int width, int height) {
    return png(pixels, width, height, 1);
  }

  /**
   * 8-bit PNG of {@code pixels}: row-major, width × height, one grey value or interleaved R, G, B
   * per pixel ({@code channels} 1 or 3).
   */
  public static byte[] png(int[] pixels, int width, int height, int channels) {
    BufferedImage img =
        new BufferedImage(
            width,
            height,
            channels == 3 ? BufferedImage.TYPE_3BYTE_BGR : BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setPixels(0, 0, width, height, pixels);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
