package io.streaminfer.models.preprocess;

import static io.streaminfer.models.InferenceException.Reason.IMAGE_DIMENSIONS;
import static io.streaminfer.models.InferenceException.Reason.IMAGE_UNDECODABLE;

import io.streaminfer.models.InferenceException;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelCard;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * The card's {@code image} preprocessing: decode (PNG, JPEG, raw uint8) → grey (ITU-R BT.601, alpha
 * ignored) → bilinear resize with half-pixel centres → {@code (v / scale_divisor - mean) / std},
 * written as one {@code (1, H, W)} example into a float buffer. Stateless and thread-safe.
 */
public final class ImagePreprocessor {
  /** Largest accepted width or height of an input image, before resizing. */
  public static final int MAX_SIDE = 4096;

  private final String model;
  private final int height;
  private final int width;
  private final double divisor;
  private final double mean;
  private final double std;

  /** Reads the preprocessing from a card with {@code preprocessing.type = image}. */
  public ImagePreprocessor(ModelCard card) {
    if (!"image".equals(card.preprocessing().path("type").asText()) || card.pre("channels") != 1) {
      throw new ModelLoadException(card.id() + ": preprocessing is not a 1-channel image");
    }
    this.model = card.id();
    this.height = (int) card.pre("height");
    this.width = (int) card.pre("width");
    this.divisor = card.pre("scale_divisor");
    this.mean = card.pre("mean");
    this.std = card.pre("std");
  }

  /** Floats one example occupies: {@code height * width}. */
  public int elements() {
    return height * width;
  }

  /** Decodes, converts, resizes and normalises {@code input} into {@code dst} at its position. */
  public void write(ImageInput input, FloatBuffer dst) {
    double[][] grey = resize(grey(input), height, width);
    for (double[] row : grey) {
      for (double v : row) {
        dst.put((float) ((v / divisor - mean) / std));
      }
    }
  }

  /** The input as grey 0..255 values (H × W), before resizing. */
  public double[][] grey(ImageInput input) {
    if (input.data() == null || input.data().length == 0) {
      throw new InferenceException(IMAGE_UNDECODABLE, model, "image has no bytes");
    }
    return switch (input.encoding()) {
      case RAW_UINT8 -> raw(input);
      case PNG, JPEG -> decoded(input);
    };
  }

  private double[][] raw(ImageInput in) {
    int w = in.width();
    int h = in.height();
    int c = in.channels();
    checkSize(w, h);
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
    double[][] out = new double[h][w];
    byte[] d = in.data();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = (y * w + x) * c;
        out[y][x] = c == 1 ? d[i] & 0xFF : bt601(d[i] & 0xFF, d[i + 1] & 0xFF, d[i + 2] & 0xFF);
      }
    }
    return out;
  }

  private double[][] decoded(ImageInput in) {
    BufferedImage img;
    // in memory: ImageIO's default stream for an InputStream caches through a temporary file
    try (ImageInputStream stream =
        new MemoryCacheImageInputStream(new ByteArrayInputStream(in.data()))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(stream);
      if (!readers.hasNext()) {
        throw new InferenceException(IMAGE_UNDECODABLE, model, "bytes are not a PNG or JPEG image");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(stream, true, true);
        checkSize(reader.getWidth(0), reader.getHeight(0)); // before pixels are allocated
        img = reader.read(0);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof InferenceException ie) {
        throw ie;
      }
      throw new InferenceException(
          IMAGE_UNDECODABLE, model, "cannot decode image: " + e.getMessage(), e);
    }
    int w = img.getWidth();
    int h = img.getHeight();
    double[][] out = new double[h][w];
    Raster r = img.getRaster();
    boolean indexed = img.getColorModel() instanceof IndexColorModel;
    int bands = r.getNumBands();
    if (r.getSampleModel().getSampleSize(0) != 8 && !indexed) {
      throw new InferenceException(IMAGE_UNDECODABLE, model, "only 8-bit images are accepted");
    }
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (indexed) {
          int rgb = img.getRGB(x, y);
          out[y][x] = bt601((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF);
        } else if (bands <= 2) {
          out[y][x] = r.getSample(x, y, 0);
        } else {
          out[y][x] = bt601(r.getSample(x, y, 0), r.getSample(x, y, 1), r.getSample(x, y, 2));
        }
      }
    }
    return out;
  }

  private void checkSize(int w, int h) {
    if (w < 1 || h < 1 || w > MAX_SIDE || h > MAX_SIDE) {
      throw new InferenceException(
          IMAGE_DIMENSIONS,
          model,
          "image is " + w + "x" + h + "; accepted 1.." + MAX_SIDE + " per side");
    }
  }

  private static double bt601(int r, int g, int b) {
    return 0.299 * r + 0.587 * g + 0.114 * b;
  }

  /** Bilinear resize, half-pixel centres, clamped edges, no antialiasing (identity when equal). */
  public static double[][] resize(double[][] img, int outH, int outW) {
    int inH = img.length;
    int inW = img[0].length;
    if (inH == outH && inW == outW) {
      return img;
    }
    double[][] out = new double[outH][outW];
    for (int y = 0; y < outH; y++) {
      double sy = clamp((y + 0.5) * ((double) inH / outH) - 0.5, inH - 1);
      int y0 = (int) Math.floor(sy);
      int y1 = Math.min(y0 + 1, inH - 1);
      double wy = sy - y0;
      for (int x = 0; x < outW; x++) {
        double sx = clamp((x + 0.5) * ((double) inW / outW) - 0.5, inW - 1);
        int x0 = (int) Math.floor(sx);
        int x1 = Math.min(x0 + 1, inW - 1);
        double wx = sx - x0;
        double top = img[y0][x0] * (1 - wx) + img[y0][x1] * wx;
        double bottom = img[y1][x0] * (1 - wx) + img[y1][x1] * wx;
        out[y][x] = top * (1 - wy) + bottom * wy;
      }
    }
    return out;
  }

  private static double clamp(double v, double hi) {
    return Math.max(0.0, Math.min(v, hi));
  }
}
