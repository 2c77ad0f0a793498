package io.streaminfer.models.importer;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * The layout, channels, height and width of a rank-4 image tensor, as a card states them: read from
 * the graph's fixed axes, from what the card already holds, or from a preset's size for dynamic
 * spatial axes.
 *
 * @param layout {@code NCHW} or {@code NHWC}
 * @param channels 1 or 3
 * @param height pixels
 * @param width pixels
 */
record ImageAxes(String layout, int channels, int height, int width) {
  private static final JsonNodeFactory J = JsonNodeFactory.instance;

  /** Whether {@code v} could be an image: rank 4 with 1 or 3 channels on axis 1 or 3. */
  static boolean isImage(OnnxGraph.Value v) {
    long[] d = v.dims();
    return d.length == 4 && (d[1] == 1 || d[1] == 3 || d[3] == 1 || d[3] == 3);
  }

  /**
   * Fills {@code section.layout/channels/height/width} of the draft for tensor {@code v} (the input
   * of a classifier, {@code section = preprocessing}; the output of a generator, {@code
   * postprocessing}); {@code presetSize} (0 for none) fills dynamic spatial axes. Returns null when
   * a key could not be filled (recorded as missing).
   */
  static ImageAxes fill(OnnxGraph.Value v, CardDraft d, String section, int presetSize) {
    long[] dims = v.dims();
    if (dims.length != 4) {
      throw new ImportRefusedException(
          "tensor '"
              + v.name()
              + "' is "
              + v.describe()
              + "; an image tensor has 4 axes, [batch, channels, height, width] or [batch, height,"
              + " width, channels]");
    }
    String layoutKey = section + ".layout";
    if (!d.has(layoutKey)) {
      boolean nchw = dims[1] == 1 || dims[1] == 3;
      boolean nhwc = dims[3] == 1 || dims[3] == 3;
      if (nchw == nhwc) {
        d.missing(
            layoutKey,
            "tensor '"
                + v.name()
                + "' is "
                + v.describe()
                + ": the channel axis could be "
                + (nchw ? "axis 1 or axis 3" : "neither axis 1 nor axis 3 (1 or 3 channels)")
                + "; set NCHW or NHWC");
        return null;
      }
      d.infer(
          layoutKey,
          J.textNode(nchw ? "NCHW" : "NHWC"),
          "tensor '"
              + v.name()
              + "' has "
              + (nchw ? dims[1] : dims[3])
              + ((nchw ? dims[1] : dims[3]) == 1 ? " channel" : " channels")
              + " on axis "
              + (nchw ? 1 : 3));
    }
    String layout = d.get(layoutKey).asText();
    if (!layout.equals("NCHW") && !layout.equals("NHWC")) {
      throw new ImportRefusedException(layoutKey + " is '" + layout + "'; expected NCHW or NHWC");
    }
    boolean nhwc = layout.equals("NHWC");
    int c = axis(v, d, section + ".channels", dims[nhwc ? 3 : 1], "channel", 0);
    int h = axis(v, d, section + ".height", dims[nhwc ? 1 : 2], "height", presetSize);
    int w = axis(v, d, section + ".width", dims[nhwc ? 2 : 3], "width", presetSize);
    if (c < 0 || h < 0 || w < 0) {
      return null;
    }
    if (c != 1 && c != 3) {
      throw new ImportRefusedException(
          "tensor '"
              + v.name()
              + "' has "
              + c
              + " channels ("
              + v.describe()
              + "); image models take 1 (grey) or 3 (colour)");
    }
    return new ImageAxes(layout, c, h, w);
  }

  private static int axis(
      OnnxGraph.Value v, CardDraft d, String key, long size, String what, int presetSize) {
    if (size > 0) {
      if (d.has(key) && d.get(key).asLong() != size) {
        throw new ImportRefusedException(
            key
                + " is "
                + d.get(key)
                + " but tensor '"
                + v.name()
                + "' has a fixed "
                + what
                + " of "
                + size
                + " ("
                + v.describe()
                + ")");
      }
      d.infer(key, J.numberNode((int) size), "tensor '" + v.name() + "'");
    } else if (presetSize > 0) {
      d.assume(
          key,
          J.numberNode(presetSize),
          "tensor '" + v.name() + "' has a dynamic " + what + " axis; the preset's size is fed");
    } else if (!d.has(key)) {
      d.missing(
          key,
          "tensor '"
              + v.name()
              + "' has a dynamic "
              + what
              + " axis ("
              + v.describe()
              + "); set the size to feed");
      return -1;
    }
    if (!d.get(key).canConvertToInt() || d.get(key).asInt() < 1) {
      throw new ImportRefusedException(key + " is " + d.get(key) + "; expected a positive size");
    }
    return d.get(key).asInt();
  }
}
