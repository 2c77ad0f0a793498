package io.streaminfer.models.preprocess;

/**
 * An image as a producer sends it: encoded PNG/JPEG bytes, or raw interleaved uint8 pixels with
 * their width, height and channel count (1 grey, 3 RGB, 4 RGBA).
 *
 * @param encoding how {@code data} is encoded
 * @param data the bytes
 * @param width raw width (ignored for PNG/JPEG, may be 0)
 * @param height raw height (ignored for PNG/JPEG, may be 0)
 * @param channels raw channels (ignored for PNG/JPEG, may be 0)
 * @param maxDecodedBytes the most bytes a PNG/JPEG may decode to at full size, judged from its
 *     header before any pixel is decoded (IMAGE_DIMENSIONS beyond it)
 */
public record ImageInput(
    Encoding encoding, byte[] data, int width, int height, int channels, long maxDecodedBytes) {

  /** An image under the default decoded-size budget, {@link ImageDecoder#MAX_DECODED_BYTES}. */
  public ImageInput(Encoding encoding, byte[] data, int width, int height, int channels) {
    this(encoding, data, width, height, channels, ImageDecoder.MAX_DECODED_BYTES);
  }

  /** This image under another decoded-size budget. */
  public ImageInput withMaxDecodedBytes(long budget) {
    return new ImageInput(encoding, data, width, height, channels, budget);
  }

  /** How the pixels are encoded. */
  public enum Encoding {
    PNG,
    JPEG,
    RAW_UINT8
  }

  /** An encoded PNG or JPEG image. */
  public static ImageInput encoded(Encoding encoding, byte[] data) {
    return new ImageInput(encoding, data, 0, 0, 0);
  }
}
