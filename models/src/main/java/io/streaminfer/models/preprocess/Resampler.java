package io.streaminfer.models.preprocess;

/**
 * Separable bilinear resampling of one plane, in double precision, as PyTorch's {@code
 * interpolate(mode="bilinear", align_corners=False)} computes it: half-pixel centres, edges
 * clamped; with {@code antialias} the triangle filter is widened by the reduction factor and its
 * weights normalised over the part inside the image (PyTorch's {@code _upsample_bilinear2d_aa}, the
 * kernel torchvision's {@code Resize} uses on tensors, and Pillow's when it reduces).
 *
 * <p>An output window can be asked for (a centre crop of the resized image), so only the pixels
 * kept are computed. Stateless and thread-safe.
 */
public final class Resampler {
  private Resampler() {}

  /** The input taps and weights of each output index along one axis. */
  record Axis(int[] first, int[] count, double[][] weights) {}

  /**
   * Weights of output indices {@code from .. from + n} of an axis resized from {@code in} to {@code
   * out} samples.
   */
  static Axis axis(int in, int out, int from, int n, boolean antialias) {
    int[] first = new int[n];
    int[] count = new int[n];
    double[][] weights = new double[n][];
    double scale = (double) in / out;
    for (int k = 0; k < n; k++) {
      int i = from + k;
      if (!antialias) {
        double src = Math.max(0.0, (i + 0.5) * scale - 0.5);
        int x0 = Math.min((int) Math.floor(src), in - 1);
        int x1 = Math.min(x0 + 1, in - 1);
        double l = Math.min(src - x0, 1.0);
        first[k] = x0;
        count[k] = x1 > x0 ? 2 : 1;
        weights[k] = x1 > x0 ? new double[] {1.0 - l, l} : new double[] {1.0};
        continue;
      }
      double support = scale >= 1.0 ? scale : 1.0;
      double invScale = scale >= 1.0 ? 1.0 / scale : 1.0;
      double center = scale * (i + 0.5);
      int xmin = Math.max((int) (center - support + 0.5), 0);
      int xsize = Math.min((int) (center + support + 0.5), in) - xmin;
      double[] w = new double[Math.max(xsize, 0)];
      double total = 0;
      for (int j = 0; j < w.length; j++) {
        double t = Math.abs((j + xmin - center + 0.5) * invScale);
        w[j] = t < 1.0 ? 1.0 - t : 0.0;
        total += w[j];
      }
      if (total != 0) {
        for (int j = 0; j < w.length; j++) {
          w[j] /= total;
        }
      }
      first[k] = xmin;
      count[k] = w.length;
      weights[k] = w;
    }
    return new Axis(first, count, weights);
  }

  /**
   * Resizes {@code src} (row-major {@code inH × inW}) to {@code outH × outW} and returns the window
   * of {@code winH × winW} starting at ({@code top}, {@code left}) of the resized image.
   */
  public static double[] resize(
      double[] src,
      int inH,
      int inW,
      int outH,
      int outW,
      int top,
      int left,
      int winH,
      int winW,
      boolean antialias) {
    Staged s = stage(new double[][] {src}, inH, inW, outH, outW, top, left, winH, winW, antialias);
    double[] out = new double[winH * winW];
    double[] row = new double[winW];
    for (int y = 0; y < winH; y++) {
      s.row(0, y, row);
      System.arraycopy(row, 0, out, y * winW, winW);
    }
    return out;
  }

  /**
   * The horizontal pass of {@link #resize(double[], int, int, int, int, int, int, int, int,
   * boolean)} for every plane of one image (the filter weights computed once for all of them), the
   * vertical one left to {@link Staged#row}: a caller writing the window row by row into a tensor
   * never holds the whole resized image.
   */
  public static Staged stage(
      double[][] planes,
      int inH,
      int inW,
      int outH,
      int outW,
      int top,
      int left,
      int winH,
      int winW,
      boolean antialias) {
    Axis xs = inW == outW ? identity(left, winW) : axis(inW, outW, left, winW, antialias);
    Axis ys = inH == outH ? identity(top, winH) : axis(inH, outH, top, winH, antialias);
    // the input rows the window needs
    int rowFrom = ys.first()[0];
    int rowTo = 0;
    for (int k = 0; k < winH; k++) {
      rowFrom = Math.min(rowFrom, ys.first()[k]);
      rowTo = Math.max(rowTo, ys.first()[k] + ys.count()[k]);
    }
    double[][] mid = new double[planes.length][];
    for (int c = 0; c < planes.length; c++) {
      mid[c] = horizontal(planes[c], inW, xs, rowFrom, rowTo, winW);
    }
    return new Staged(mid, ys, rowFrom, winW, winH);
  }

  /** Output index k of an axis taken as input index {@code from + k} (no resize along it). */
  private static Axis identity(int from, int n) {
    int[] first = new int[n];
    int[] count = new int[n];
    double[][] weights = new double[n][];
    double[] one = {1.0};
    for (int k = 0; k < n; k++) {
      first[k] = from + k;
      count[k] = 1;
      weights[k] = one;
    }
    return new Axis(first, count, weights);
  }

  /** The horizontal pass over rows {@code rowFrom .. rowTo} of {@code src}. */
  private static double[] horizontal(
      double[] src, int inW, Axis xs, int rowFrom, int rowTo, int winW) {
    double[] mid = new double[(rowTo - rowFrom) * winW];
    for (int y = rowFrom; y < rowTo; y++) {
      int base = y * inW;
      int o = (y - rowFrom) * winW;
      for (int x = 0; x < winW; x++) {
        double[] w = xs.weights()[x];
        int f = xs.first()[x];
        double v = 0;
        for (int j = 0; j < w.length; j++) {
          v += src[base + f + j] * w[j];
        }
        mid[o + x] = v;
      }
    }
    return mid;
  }

  /**
   * An image resized horizontally: the rows of each plane the window needs, at the window's width.
   * Immutable once made, so one may be made on any thread and read on another.
   */
  public static final class Staged {
    private final double[][] mid;
    private final Axis ys;
    private final int rowFrom;
    private final int width;
    private final int height;

    private Staged(double[][] mid, Axis ys, int rowFrom, int width, int height) {
      this.mid = mid;
      this.ys = ys;
      this.rowFrom = rowFrom;
      this.width = width;
      this.height = height;
    }

    /** Width of the window. */
    public int width() {
      return width;
    }

    /** Height of the window. */
    public int height() {
      return height;
    }

    /**
     * Row {@code y} of plane {@code c} of the window (the vertical pass) into {@code
     * dst[0..width)}.
     */
    public void row(int c, int y, double[] dst) {
      double[] m = mid[c];
      double[] w = ys.weights()[y];
      int f = ys.first()[y] - rowFrom;
      java.util.Arrays.fill(dst, 0, width, 0.0);
      for (int j = 0; j < w.length; j++) {
        int base = (f + j) * width;
        double wj = w[j];
        for (int x = 0; x < width; x++) {
          dst[x] += m[base + x] * wj;
        }
      }
    }
  }
}
