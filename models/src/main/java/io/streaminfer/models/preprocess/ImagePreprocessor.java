package io.streaminfer.models.preprocess;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelCard;
import io.streaminfer.models.card.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * The card's {@code image} preprocessing, for whatever image model a user brings: decode ({@link
 * ImageDecoder}: PNG, JPEG, raw uint8; EXIF orientation; alpha composited on {@code background}) →
 * the model's colour ({@code grey-bt601}, {@code rgb}, {@code bgr}; grey expanded to RGB, RGB
 * reduced to BT.601 grey) → geometry ({@code resize}: {@code exact} / {@code bilinear-half-pixel}
 * to height × width, {@code shorter-side-center-crop} as torchvision's {@code Resize(resize_size)}
 * + {@code CenterCrop(height, width)}, {@code letterbox}: aspect kept, padded with {@code pad}; all
 * bilinear, {@code antialias} widening the filter when reducing) → values ({@code float32}: {@code
 * (v / scale_divisor - mean[c]) / std[c]}, mean and std one number or one per channel; {@code
 * uint8}: the rounded 0..255 value, the model normalising itself) written in the input's {@code
 * layout} ({@code NCHW} or {@code NHWC}). Stateless and thread-safe.
 */
public final class ImagePreprocessor {
  /** How the image is brought to the model's size. */
  public enum Resize {
    /** Bilinear to exactly height × width (aspect not kept). */
    EXACT,
    /** Shorter side to {@code resize_size}, then the centre height × width. */
    SHORTER_SIDE_CENTER_CROP,
    /** Aspect kept, fitted inside height × width, the rest {@code pad}. */
    LETTERBOX
  }

  private final String model;
  private final int channels;
  private final boolean bgr;
  private final boolean nhwc;
  private final boolean uint8;
  private final int height;
  private final int width;
  private final Resize resize;
  private final int resizeSize;
  private final boolean antialias;
  private final double divisor;
  private final double[] mean;
  private final double[] std;
  private final double[] background;
  private final double[] pad;
  private final boolean exif;

  /** Reads the preprocessing of a card with {@code preprocessing.type = image} for its input. */
  public ImagePreprocessor(ModelCard card) {
    this(card, card.inputs().get(0));
  }

  /**
   * Reads the preprocessing of a card with {@code preprocessing.type = image} for {@code input};
   * throws {@link ModelLoadException} naming the key that is missing or wrong, or the tensor that
   * disagrees with it.
   */
  public ImagePreprocessor(ModelCard card, TensorSpec input) {
    JsonNode p = card.preprocessing();
    this.model = card.id();
    if (!"image".equals(p.path("type").asText())) {
      throw bad("type", "is not 'image'");
    }
    this.channels = (int) card.pre("channels");
    String color = p.path("color").asText(channels == 1 ? "grey-bt601" : "rgb");
    if (channels == 1
        ? !color.equals("grey-bt601")
        : !color.equals("rgb") && !color.equals("bgr")) {
      throw bad(
          "color",
          "is '"
              + color
              + "'; a "
              + channels
              + "-channel model takes "
              + (channels == 1 ? "grey-bt601" : "rgb or bgr"));
    }
    if (channels != 1 && channels != 3) {
      throw bad("channels", "is " + channels + "; image models take 1 or 3 channels");
    }
    this.bgr = color.equals("bgr");
    String layout = p.path("layout").asText("NCHW");
    if (!layout.equals("NCHW") && !layout.equals("NHWC")) {
      throw bad("layout", "is '" + layout + "'; expected NCHW or NHWC");
    }
    this.nhwc = layout.equals("NHWC");
    this.height = positive(card, "height");
    this.width = positive(card, "width");
    String r = p.path("resize").asText("exact");
    this.resize =
        switch (r) {
          case "exact", "bilinear-half-pixel" -> Resize.EXACT;
          case "shorter-side-center-crop" -> Resize.SHORTER_SIDE_CENTER_CROP;
          case "letterbox" -> Resize.LETTERBOX;
          default ->
              throw bad(
                  "resize",
                  "is '" + r + "'; expected exact, shorter-side-center-crop or letterbox");
        };
    this.resizeSize = resize == Resize.SHORTER_SIDE_CENTER_CROP ? positive(card, "resize_size") : 0;
    if (resize == Resize.SHORTER_SIDE_CENTER_CROP && resizeSize < Math.min(height, width)) {
      throw bad(
          "resize_size", "is " + resizeSize + ", smaller than the crop " + height + "x" + width);
    }
    this.antialias = p.path("antialias").asBoolean(false);
    this.uint8 = input.dtype().equals("uint8");
    if (uint8) {
      for (String k : new String[] {"mean", "std", "scale_divisor"}) {
        if (p.has(k)) {
          throw bad(k, "is set but input '" + input.name() + "' is uint8 (the model normalises)");
        }
      }
      this.divisor = 1;
      this.mean = new double[] {0, 0, 0};
      this.std = new double[] {1, 1, 1};
    } else if (input.dtype().equals("float32")) {
      this.divisor = card.pre("scale_divisor");
      this.mean = perChannel(p, "mean", null);
      this.std = perChannel(p, "std", null);
      for (double s : std) {
        if (!(s > 0)) {
          throw bad("std", "must be positive, is " + s);
        }
      }
    } else {
      throw new ModelLoadException(
          model
              + ": image input '"
              + input.name()
              + "' is "
              + input.dtype()
              + "; image models take float32 or uint8");
    }
    this.background = perChannel(p, "background", 0.0, 3);
    this.pad = perChannel(p, "pad", 0.0, 3);
    String orient = p.path("exif_orientation").asText("apply");
    if (!orient.equals("apply") && !orient.equals("ignore")) {
      throw bad("exif_orientation", "is '" + orient + "'; expected apply or ignore");
    }
    this.exif = orient.equals("apply");
    checkShape(input);
  }

  /** The per-example shape the input takes: {@code [C, H, W]} or {@code [H, W, C]}. */
  public long[] exampleShape() {
    return nhwc ? new long[] {height, width, channels} : new long[] {channels, height, width};
  }

  /** Values one example occupies: {@code channels * height * width}. */
  public int elements() {
    return channels * height * width;
  }

  /** Whether the model takes uint8 pixels (else float32). */
  public boolean uint8() {
    return uint8;
  }

  /** Decodes, converts, resizes and normalises {@code input} into {@code dst} at its position. */
  public void write(ImageInput input, FloatBuffer dst) {
    write(stage(input), dst);
  }

  /** As {@link #write(ImageInput, FloatBuffer)} for a uint8 input: rounded 0..255 values. */
  public void write(ImageInput input, ByteBuffer dst) {
    write(stage(input), dst);
  }

  /**
   * An image decoded, in the model's colour and resized horizontally: the part of preprocessing a
   * batch may do for its images in parallel; {@link #write(Staged, FloatBuffer)} does the rest
   * (vertical pass, normalisation) straight into the tensor, row by row, so that the whole resized
   * image is never held (a 224 × 224 × 3 image in doubles would be a 1.2 MB allocation).
   */
  public static final class Staged {
    private final Resampler.Staged image;
    private final int top;
    private final int left;

    private Staged(Resampler.Staged image, int top, int left) {
      this.image = image;
      this.top = top;
      this.left = left;
    }
  }

  /** Decoded sides kept per resized side when a large image is decoded subsampled. */
  static final int SUBSAMPLE_MARGIN = 4;

  /** Images of up to this many pixels are always decoded in full. */
  static final long SUBSAMPLE_ABOVE_PIXELS = 1L << 20;

  /**
   * The decoding step of an {@code ih} x {@code iw} image: 1 (in full) up to {@link
   * #SUBSAMPLE_ABOVE_PIXELS}; above, the largest k that keeps the image's shorter side at least
   * {@link #SUBSAMPLE_MARGIN} x the side it is resized to (an antialiasing resize then still
   * averages 4 or more decoded pixels per output pixel per axis).
   */
  int subsampling(int ih, int iw) {
    if ((long) ih * iw <= SUBSAMPLE_ABOVE_PIXELS) {
      return 1;
    }
    int resized = resize == Resize.SHORTER_SIDE_CENTER_CROP ? resizeSize : Math.max(height, width);
    return Math.max(1, Math.min(ih, iw) / (SUBSAMPLE_MARGIN * resized));
  }

  /** Decodes {@code input} and does the first part of its resize; throws as {@link #write}. */
  public Staged stage(ImageInput input) {
    ImageDecoder.Pixels px = ImageDecoder.decode(input, background, exif, model, this::subsampling);
    double[][] colour = colour(px);
    int ih = px.height();
    int iw = px.width();
    return switch (resize) {
      case EXACT ->
          new Staged(
              Resampler.stage(colour, ih, iw, height, width, 0, 0, height, width, antialias), 0, 0);
      case SHORTER_SIDE_CENTER_CROP -> {
        // torchvision: the shorter side becomes resize_size, the longer int(size * long / short)
        int rh = ih <= iw ? resizeSize : (int) ((long) resizeSize * ih / iw);
        int rw = ih <= iw ? (int) ((long) resizeSize * iw / ih) : resizeSize;
        int top = (int) Math.rint((rh - height) / 2.0);
        int left = (int) Math.rint((rw - width) / 2.0);
        yield new Staged(
            Resampler.stage(colour, ih, iw, rh, rw, top, left, height, width, antialias), 0, 0);
      }
      case LETTERBOX -> {
        double s = Math.min((double) height / ih, (double) width / iw);
        int rh = Math.max(1, Math.min(height, (int) Math.round(ih * s)));
        int rw = Math.max(1, Math.min(width, (int) Math.round(iw * s)));
        yield new Staged(
            Resampler.stage(colour, ih, iw, rh, rw, 0, 0, rh, rw, antialias),
            (height - rh) / 2,
            (width - rw) / 2);
      }
    };
  }

  /**
   * Row {@code y} of channel {@code c} of the model's input before normalisation, in 0..255: the
   * resized image's row, or the letterbox's {@code pad} outside it.
   */
  private void row(Staged s, int c, int y, double[] dst, double[] tmp) {
    Resampler.Staged im = s.image;
    int iy = y - s.top;
    double padding = pad[bgr ? 2 - c : c];
    if (iy < 0 || iy >= im.height()) {
      java.util.Arrays.fill(dst, 0, width, padding);
      return;
    }
    if (im.width() == width) {
      im.row(c, iy, dst);
      return;
    }
    im.row(c, iy, tmp);
    java.util.Arrays.fill(dst, 0, width, padding);
    System.arraycopy(tmp, 0, dst, s.left, im.width());
  }

  /** Finishes {@code s} (vertical resize, normalisation) into {@code dst} at its position. */
  public void write(Staged s, FloatBuffer dst) {
    // (v / divisor - mean) / std as one multiply-add per value, written in bulk
    double[] scale = new double[channels];
    double[] shift = new double[channels];
    for (int c = 0; c < channels; c++) {
      scale[c] = 1.0 / (divisor * std[c]);
      shift[c] = -mean[c] / std[c];
    }
    float[] out = new float[nhwc ? width * channels : width];
    rows(
        s,
        (v, c) -> {
          for (int i = 0; i < out.length; i++) {
            int k = c < 0 ? i % channels : c;
            out[i] = (float) (v[i] * scale[k] + shift[k]);
          }
          dst.put(out);
        });
  }

  /** As {@link #write(Staged, FloatBuffer)} for a uint8 input: rounded 0..255 values. */
  public void write(Staged s, ByteBuffer dst) {
    byte[] out = new byte[nhwc ? width * channels : width];
    rows(
        s,
        (v, c) -> {
          for (int i = 0; i < out.length; i++) {
            out[i] = pixel(v[i]);
          }
          dst.put(out);
        });
  }

  /** One row of the tensor in 0..255: of channel {@code c}, or (c = -1) interleaved NHWC. */
  private interface RowSink {
    void accept(double[] values, int channel);
  }

  /** The tensor's rows of {@code s} in the input's layout, in order. */
  private void rows(Staged s, RowSink sink) {
    double[] v = new double[width];
    double[] tmp = new double[width];
    if (!nhwc) {
      for (int c = 0; c < channels; c++) {
        for (int y = 0; y < height; y++) {
          row(s, c, y, v, tmp);
          sink.accept(v, c);
        }
      }
      return;
    }
    double[][] planes = new double[channels][width];
    double[] interleaved = new double[width * channels];
    for (int y = 0; y < height; y++) {
      for (int c = 0; c < channels; c++) {
        row(s, c, y, planes[c], tmp);
      }
      for (int x = 0; x < width; x++) {
        for (int c = 0; c < channels; c++) {
          interleaved[x * channels + c] = planes[c][x];
        }
      }
      sink.accept(interleaved, -1);
    }
  }

  private static byte pixel(double v) {
    return (byte) Math.max(0, Math.min(255, Math.round(v)));
  }

  /**
   * The model's input planes before normalisation: {@code channels} planes of height × width in
   * 0..255, in the model's channel order.
   */
  public double[][] planes(ImageInput input) {
    Staged s = stage(input);
    double[][] out = new double[channels][height * width];
    double[] v = new double[width];
    double[] tmp = new double[width];
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < height; y++) {
        row(s, c, y, v, tmp);
        System.arraycopy(v, 0, out[c], y * width, width);
      }
    }
    return out;
  }

  /** Decoded planes in the model's colour: grey (BT.601), RGB or BGR. */
  private double[][] colour(ImageDecoder.Pixels px) {
    double[][] p = px.planes();
    if (channels == 1) {
      if (p.length == 1) {
        return p;
      }
      int n = p[0].length;
      double[] grey = new double[n];
      for (int i = 0; i < n; i++) {
        grey[i] = 0.299 * p[0][i] + 0.587 * p[1][i] + 0.114 * p[2][i];
      }
      return new double[][] {grey};
    }
    if (p.length == 1) {
      return new double[][] {p[0], p[0], p[0]};
    }
    return bgr ? new double[][] {p[2], p[1], p[0]} : p;
  }

  private void checkShape(TensorSpec input) {
    long[] want = exampleShape();
    long[] s = input.shape();
    boolean ok = s.length == 4;
    for (int i = 0; ok && i < 3; i++) {
      ok = s[i + 1] == -1 || s[i + 1] == want[i];
    }
    if (!ok) {
      throw new ModelLoadException(
          model
              + ": input '"
              + input.name()
              + "' has shape "
              + java.util.Arrays.toString(s)
              + " but the card's preprocessing gives "
              + (nhwc ? "NHWC " : "NCHW ")
              + java.util.Arrays.toString(want)
              + " per image (check preprocessing.layout, channels, height and width)");
    }
  }

  private double[] perChannel(JsonNode p, String key, Double fallback) {
    return perChannel(p, key, fallback, channels);
  }

  private double[] perChannel(JsonNode p, String key, Double fallback, int n) {
    JsonNode v = p.path(key);
    double[] out = new double[n];
    if (v.isMissingNode() && fallback != null) {
      java.util.Arrays.fill(out, fallback);
    } else if (v.isNumber()) {
      java.util.Arrays.fill(out, v.asDouble());
    } else if (v.isArray() && v.size() == n) {
      for (int i = 0; i < n; i++) {
        if (!v.get(i).isNumber()) {
          throw bad(key, "has a non-number at " + i);
        }
        out[i] = v.get(i).asDouble();
      }
    } else {
      throw bad(key, "must be a number or " + n + " numbers (one per channel)");
    }
    return out;
  }

  private int positive(ModelCard card, String key) {
    double v = card.pre(key);
    if (v < 1 || v > ImageDecoder.MAX_SIDE || v != Math.rint(v)) {
      throw bad(key, "must be a whole number in 1.." + ImageDecoder.MAX_SIDE + ", is " + v);
    }
    return (int) v;
  }

  private ModelLoadException bad(String key, String what) {
    return new ModelLoadException(model + ": model card key 'preprocessing." + key + "' " + what);
  }
}
