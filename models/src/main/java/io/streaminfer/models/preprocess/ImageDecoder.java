package io.streaminfer.models.preprocess;

import static io.streaminfer.models.InferenceException.Reason.IMAGE_DIMENSIONS;
import static io.streaminfer.models.InferenceException.Reason.IMAGE_UNDECODABLE;

import com.twelvemonkeys.imageio.metadata.Directory;
import com.twelvemonkeys.imageio.metadata.Entry;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEG;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegment;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegmentUtil;
import com.twelvemonkeys.imageio.metadata.tiff.TIFF;
import com.twelvemonkeys.imageio.metadata.tiff.TIFFReader;
import io.streaminfer.models.InferenceException;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Producer-side image bytes to pixels, decoded the way Pillow decodes them: PNG (1-16 bits, grey,
 * RGB, palette, with or without alpha or {@code tRNS} transparency) through the JDK's reader, JPEG
 * (grey, YCbCr, CMYK and YCCK, Adobe APP14) through TwelveMonkeys ImageIO, and raw interleaved
 * uint8. The JPEG EXIF orientation is applied when asked; alpha is composited on a background;
 * samples of more than 8 bits are scaled to 0..255 ({@code v * 255 / (2^bits - 1)}). The declared
 * encoding must match the bytes' signature. Only the first frame of a PNG is read (an animated
 * PNG's later frames are ignored; GIF is refused by its signature).
 *
 * <p>Cost bound: the header is read first, and an image over {@link #MAX_SIDE} per side is refused
 * before any pixel is allocated. A caller that resizes afterwards passes a {@link Subsampling}: a
 * large image is then decoded keeping every k-th row and column only (ImageIO's source
 * subsampling), so the pixels held are bounded by what the resize needs, not by the image's
 * declared size. Stateless and thread-safe.
 */
public final class ImageDecoder {
  /** Largest accepted width or height of an input image, before resizing. */
  public static final int MAX_SIDE = 4096;

  /**
   * Largest decoded size of an accepted PNG or JPEG, in bytes of its samples as stored (width x
   * height x bands x bytes per sample), read from its header: 64 MiB, e.g. 4096 x 4096 RGB at 8
   * bits (48 MiB) or a 12-megapixel photo (36 MB), but not 4096 x 4096 RGBA at 16 bits (128 MiB).
   * Decoding still reads every stored sample even when it keeps only some, so this bounds the work
   * of one image.
   */
  public static final long MAX_DECODED_BYTES = 64L << 20;

  private static final byte[] PNG_MAGIC = io.streaminfer.models.postprocess.PngEncoder.SIGNATURE;
  private static final ImageReaderSpi PNG = provider("png", "com.sun.imageio");
  private static final ImageReaderSpi JPEG_READER = provider("jpeg", "com.twelvemonkeys");

  private ImageDecoder() {}

  /** How coarsely to decode an image of a given size. */
  @FunctionalInterface
  public interface Subsampling {
    /** Every image in full. */
    Subsampling NONE = (h, w) -> 1;

    /** The step k >= 1 for an image of {@code height} x {@code width}: every k-th row, column. */
    int step(int height, int width);
  }

  /**
   * Decoded pixels: {@code planes[c][y * width + x]} in 0..255 (not rounded), one plane for grey or
   * three for R, G, B, alpha already composited.
   */
  public record Pixels(int height, int width, double[][] planes) {
    /** Number of planes: 1 (grey) or 3 (R, G, B). */
    public int channels() {
      return planes.length;
    }
  }

  /**
   * Decodes {@code in}; alpha is composited on {@code background} (R, G, B in 0..255) and the EXIF
   * orientation applied when {@code exif}. Throws {@link InferenceException} (IMAGE_UNDECODABLE,
   * IMAGE_DIMENSIONS) naming {@code model}.
   */
  public static Pixels decode(ImageInput in, double[] background, boolean exif, String model) {
    return decode(in, background, exif, model, Subsampling.NONE);
  }

  /**
   * As {@link #decode(ImageInput, double[], boolean, String)}, a PNG or JPEG decoded every {@code
   * subsampling.step(height, width)}-th row and column (raw images are already in memory and are
   * not subsampled).
   */
  public static Pixels decode(
      ImageInput in, double[] background, boolean exif, String model, Subsampling subsampling) {
    if (in.data() == null || in.data().length == 0) {
      throw new InferenceException(IMAGE_UNDECODABLE, model, "image has no bytes");
    }
    return switch (in.encoding()) {
      case RAW_UINT8 -> raw(in, background, model);
      case PNG, JPEG -> encoded(in, background, exif, model, subsampling);
    };
  }

  private static Pixels raw(ImageInput in, double[] background, String model) {
    int w = in.width();
    int h = in.height();
    int c = in.channels();
    checkSize(w, h, model);
    if (c != 1 && c != 3 && c != 4) {
      throw new InferenceException(
          IMAGE_DIMENSIONS, model, "raw image has " + c + " channels; expected 1, 3 or 4");
    }
    if ((long) w * h * c != in.data().length) {
      throw new InferenceException(
          IMAGE_UNDECODABLE,
          model,
          "raw image of "
              + w
              + "x"
              + h
              + "x"
              + c
              + " needs "
              + ((long) w * h * c)
              + " bytes, got "
              + in.data().length);
    }
    byte[] d = in.data();
    int n = w * h;
    double[][] bands = new double[c][n];
    for (int i = 0; i < n; i++) {
      for (int b = 0; b < c; b++) {
        bands[b][i] = d[i * c + b] & 0xFF;
      }
    }
    return composite(bands, c == 4, background, h, w);
  }

  private static Pixels encoded(
      ImageInput in, double[] background, boolean exif, String model, Subsampling subsampling) {
    String actual = signature(in.data());
    String declared = in.encoding().name();
    if (!declared.equals(actual)) {
      throw new InferenceException(
          IMAGE_UNDECODABLE,
          model,
          "the event says "
              + declared
              + " but the bytes are "
              + (actual == null ? "neither PNG nor JPEG" : "a " + actual + " image")
              + "; encoding must describe the data");
    }
    ImageReaderSpi spi = in.encoding() == ImageInput.Encoding.PNG ? PNG : JPEG_READER;
    BufferedImage img;
    int orientation = 1;
    // in memory: ImageIO's default stream for an InputStream caches through a temporary file
    try (ImageInputStream stream =
        new MemoryCacheImageInputStream(new ByteArrayInputStream(in.data()))) {
      ImageReader reader = spi.createReaderInstance();
      try {
        reader.setInput(stream, true, true);
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        checkSize(w, h, model); // from the header, before any pixel is allocated
        checkDecodedBytes(w, h, reader.getRawImageType(0), in.maxDecodedBytes(), model);
        ImageReadParam param = reader.getDefaultReadParam();
        int k = Math.max(1, subsampling.step(h, w));
        if (k > 1) {
          param.setSourceSubsampling(k, k, 0, 0);
        }
        img = reader.read(0, param);
      } finally {
        reader.dispose();
      }
      if (exif && in.encoding() == ImageInput.Encoding.JPEG) {
        stream.seek(0);
        orientation = orientation(stream);
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof InferenceException ie) {
        throw ie;
      }
      throw new InferenceException(
          IMAGE_UNDECODABLE, model, "cannot decode image: " + e.getMessage(), e);
    }
    Pixels px = pixels(img, background, model);
    return orientation == 1 ? px : orient(px, orientation);
  }

  /** "PNG" or "JPEG" by the bytes' signature, else null; producers name the encoding with it. */
  public static String signature(byte[] d) {
    if (d.length >= PNG_MAGIC.length
        && java.util.Arrays.equals(d, 0, PNG_MAGIC.length, PNG_MAGIC, 0, PNG_MAGIC.length)) {
      return "PNG";
    }
    if (d.length >= 3 && (d[0] & 0xFF) == 0xFF && (d[1] & 0xFF) == 0xD8 && (d[2] & 0xFF) == 0xFF) {
      return "JPEG";
    }
    return null;
  }

  private static Pixels pixels(BufferedImage img, double[] background, String model) {
    int w = img.getWidth();
    int h = img.getHeight();
    int n = w * h;
    ColorModel cm = img.getColorModel();
    Raster r = img.getRaster();
    if (cm instanceof IndexColorModel icm) { // palette (and PNG grey of 1, 2 or 4 bits)
      boolean alpha = icm.hasAlpha();
      double[][] bands = new double[alpha ? 4 : 3][n];
      int[] index = r.getSamples(0, 0, w, h, 0, (int[]) null);
      for (int i = 0; i < n; i++) {
        bands[0][i] = icm.getRed(index[i]);
        bands[1][i] = icm.getGreen(index[i]);
        bands[2][i] = icm.getBlue(index[i]);
        if (alpha) {
          bands[3][i] = icm.getAlpha(index[i]);
        }
      }
      return composite(bands, alpha, background, h, w);
    }
    int c = r.getNumBands();
    if (cm.getColorSpace().getNumComponents() != (cm.hasAlpha() ? c - 1 : c)
        || (c != 1 && c != 2 && c != 3 && c != 4)) {
      // a colour space the readers did not convert (the JPEG reader converts CMYK and YCCK)
      throw new InferenceException(
          IMAGE_UNDECODABLE,
          model,
          "unsupported image layout: " + c + " bands in colour space type " + cm.getColorSpace());
    }
    double[][] bands = new double[c][];
    for (int b = 0; b < c; b++) {
      int bits = r.getSampleModel().getSampleSize(b);
      double scale = bits == 8 ? 1.0 : 255.0 / ((1L << bits) - 1);
      bands[b] = r.getSamples(0, 0, w, h, b, new double[n]);
      if (scale != 1.0) {
        for (int i = 0; i < n; i++) {
          bands[b][i] *= scale;
        }
      }
    }
    return composite(bands, cm.hasAlpha(), background, h, w);
  }

  /**
   * Grey, grey + alpha, RGB or RGBA bands to grey or RGB planes: alpha a composited as {@code v * a
   * + bg * (1 - a)} (a = alpha / 255), grey expanded to RGB where the background is composited.
   */
  private static Pixels composite(
      double[][] bands, boolean alpha, double[] background, int h, int w) {
    int colour = alpha ? bands.length - 1 : bands.length;
    if (!alpha) {
      return new Pixels(
          h, w, colour == 1 ? new double[][] {bands[0]} : java.util.Arrays.copyOf(bands, 3));
    }
    int n = h * w;
    double[] a = bands[bands.length - 1];
    double[][] out = new double[3][n];
    for (int c = 0; c < 3; c++) {
      double[] src = bands[colour == 1 ? 0 : c];
      double bg = background[c];
      for (int i = 0; i < n; i++) {
        double k = a[i] / 255.0;
        out[c][i] = src[i] * k + bg * (1.0 - k);
      }
    }
    return new Pixels(h, w, out);
  }

  /** The EXIF orientation (1-8) of a JPEG, 1 when it has none. */
  private static int orientation(ImageInputStream stream) throws IOException {
    List<JPEGSegment> app1 = JPEGSegmentUtil.readSegments(stream, JPEG.APP1, "Exif");
    for (JPEGSegment s : app1) {
      byte[] tiff = s.data().readAllBytes();
      // the segment's data follows "Exif" and its NUL; the TIFF header starts after the pad byte
      int skip = tiff.length > 6 && tiff[0] == 'E' && tiff[1] == 'x' ? 6 : 0;
      while (skip < tiff.length && skip < 8 && tiff[skip] == 0) {
        skip++;
      }
      try (ImageInputStream t =
          new MemoryCacheImageInputStream(
              new ByteArrayInputStream(tiff, skip, tiff.length - skip))) {
        Directory dir = new TIFFReader().read(t);
        Entry e = dir.getEntryById(TIFF.TAG_ORIENTATION);
        if (e != null
            && e.getValue() instanceof Number v
            && v.intValue() >= 1
            && v.intValue() <= 8) {
          return v.intValue();
        }
      } catch (IOException | RuntimeException ignored) {
        // unreadable EXIF: the image is shown as stored, as viewers do
      }
    }
    return 1;
  }

  /**
   * The stored pixels turned as EXIF orientation {@code o} says they are to be viewed (Pillow's
   * {@code ImageOps.exif_transpose}).
   */
  static Pixels orient(Pixels p, int o) {
    int h = p.height();
    int w = p.width();
    boolean swap = o >= 5;
    int oh = swap ? w : h;
    int ow = swap ? h : w;
    double[][] out = new double[p.channels()][oh * ow];
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        int sy;
        int sx;
        switch (o) {
          case 2 -> {
            sy = y;
            sx = w - 1 - x;
          }
          case 3 -> {
            sy = h - 1 - y;
            sx = w - 1 - x;
          }
          case 4 -> {
            sy = h - 1 - y;
            sx = x;
          }
          case 5 -> {
            sy = x;
            sx = y;
          }
          case 6 -> {
            sy = h - 1 - x;
            sx = y;
          }
          case 7 -> {
            sy = h - 1 - x;
            sx = w - 1 - y;
          }
          case 8 -> {
            sy = x;
            sx = w - 1 - y;
          }
          default -> {
            sy = y;
            sx = x;
          }
        }
        for (int c = 0; c < out.length; c++) {
          out[c][y * ow + x] = p.planes()[c][sy * w + sx];
        }
      }
    }
    return new Pixels(oh, ow, out);
  }

  private static void checkDecodedBytes(
      int w, int h, javax.imageio.ImageTypeSpecifier type, long budget, String model) {
    if (type == null) {
      return; // a layout the reader cannot describe before decoding: refused after, by pixels()
    }
    var sm = type.getSampleModel(1, 1);
    long perPixel = 0;
    for (int b = 0; b < sm.getNumBands(); b++) {
      perPixel += (sm.getSampleSize(b) + 7) / 8;
    }
    long bytes = (long) w * h * perPixel;
    if (bytes > budget) {
      throw new InferenceException(
          IMAGE_DIMENSIONS,
          model,
          "image of "
              + w
              + "x"
              + h
              + " with "
              + sm.getNumBands()
              + " bands of "
              + sm.getSampleSize(0)
              + " bits decodes to "
              + (bytes >= 1 << 20 ? (bytes >> 20) + " MiB" : bytes + " bytes")
              + "; the route accepts up to "
              + budget
              + " bytes (max.decoded.bytes)");
    }
  }

  private static void checkSize(int w, int h, String model) {
    if (w < 1 || h < 1 || w > MAX_SIDE || h > MAX_SIDE) {
      throw new InferenceException(
          IMAGE_DIMENSIONS,
          model,
          "image is " + w + "x" + h + "; accepted 1.." + MAX_SIDE + " per side");
    }
  }

  /** The registered reader of {@code format} whose class lives under {@code vendorPackage}. */
  private static ImageReaderSpi provider(String format, String vendorPackage) {
    ImageIO.scanForPlugins();
    for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(format); it.hasNext(); ) {
      ImageReader r = it.next();
      try {
        if (r.getClass().getName().startsWith(vendorPackage)) {
          return r.getOriginatingProvider();
        }
      } finally {
        r.dispose();
      }
    }
    throw new IllegalStateException(
        "no " + format + " image reader from " + vendorPackage + " on the class path");
  }
}
