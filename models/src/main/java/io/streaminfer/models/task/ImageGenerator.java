package io.streaminfer.models.task;

import io.streaminfer.models.InferenceException;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelCard;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.card.TensorSpec;
import io.streaminfer.models.postprocess.PngEncoder;
import io.streaminfer.models.preprocess.LatentNoise;
import io.streaminfer.models.runtime.OnnxModel;
import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;

/**
 * Generation: seeded latent noise (+ the class, for a conditional model) → model → pixels and PNG
 * bytes. The card says whether the model is conditional ({@code preprocessing.label_input}), the
 * latent size and distribution, and the output's channels (1 grey or 3 RGB), layout, size and value
 * range.
 */
public final class ImageGenerator
    extends BatchTask<ImageGenerator.Sample, Void, ImageGenerator.Image> {
  private final LatentNoise noise;
  private final String noiseInput;
  private final String labelInput; // null: unconditional
  private final String output;
  private final int width;
  private final int height;
  private final int channels;
  private final boolean nhwc;
  private final double low;
  private final double high;

  /**
   * One sample of a request: sample {@code index} of a request with {@code seed} for {@code label}
   * (empty for an unconditional model).
   */
  public record Sample(long seed, String label, int index) {}

  /**
   * A generated image: row-major 8-bit pixels (interleaved R, G, B for colour) and the same as PNG.
   */
  public record Image(int[] pixels, int width, int height, int channels, byte[] png) {}

  /** Builds the task from an image-generation model. */
  public ImageGenerator(OnnxModel model) {
    super(model);
    Tasks.require(model, Task.IMAGE_GENERATION);
    ModelCard card = model.card();
    this.noise = new LatentNoise(card);
    this.noiseInput = card.preprocessing().path("noise_input").asText();
    String label = card.preprocessing().path("label_input").asText("");
    this.labelInput = label.isEmpty() ? null : label;
    Tasks.requireInputs(model, labelInput == null ? 1 : 2);
    TensorSpec z = card.input(noiseInput);
    if (!z.dtype().equals("float32") || z.elementsPerExample() != noise.latent()) {
      throw new ModelLoadException(
          card.id()
              + ": noise input '"
              + noiseInput
              + "' is "
              + z
              + " but preprocessing.latent_dim is "
              + noise.latent()
              + " (float32)");
    }
    if (labelInput != null) {
      TensorSpec l = card.input(labelInput);
      if (!l.dtype().equals("int64") || l.elementsPerExample() != 1) {
        throw new ModelLoadException(
            card.id() + ": label input '" + labelInput + "' is " + l + "; expected int64 [batch]");
      }
      if (card.labels().isEmpty()) {
        throw new ModelLoadException(
            card.id() + ": a conditional generator needs 'labels' (or 'labels_file') in its card");
      }
    }
    this.output = card.postprocessing().path("output").asText(card.outputs().get(0).name());
    this.width = (int) card.post("width");
    this.height = (int) card.post("height");
    this.channels = card.postprocessing().has("channels") ? (int) card.post("channels") : 1;
    String layout = card.postprocessing().path("layout").asText("NCHW");
    this.nhwc = layout.equals("NHWC");
    if (!nhwc && !layout.equals("NCHW")) {
      throw new ModelLoadException(
          card.id()
              + ": model card key 'postprocessing.layout' is '"
              + layout
              + "'; expected NCHW or NHWC");
    }
    if (channels != 1 && channels != 3) {
      throw new ModelLoadException(
          card.id()
              + ": model card key 'postprocessing.channels' is "
              + channels
              + "; expected 1 or 3");
    }
    TensorSpec out = card.output(output);
    if (out.elementsPerExample() != width * height * channels) {
      throw new ModelLoadException(
          card.id()
              + ": output '"
              + output
              + "' is "
              + out
              + " but postprocessing says "
              + channels
              + "x"
              + height
              + "x"
              + width);
    }
    this.low = card.postprocessing().path("range").path(0).asDouble(-1.0);
    this.high = card.postprocessing().path("range").path(1).asDouble(1.0);
    if (!(high > low)) {
      throw new ModelLoadException(
          card.id()
              + ": model card key 'postprocessing.range' must be [low, high] with low < high");
    }
  }

  /** Whether requests name a class. */
  public boolean conditional() {
    return labelInput != null;
  }

  /**
   * The class index of {@code label} (0 for an unconditional model, whose requests carry an empty
   * label); throws {@code UNKNOWN_CLASS} naming the valid ones.
   */
  public int classIndex(String label) {
    if (labelInput == null) {
      if (label != null && !label.isEmpty()) {
        throw new InferenceException(
            InferenceException.Reason.UNKNOWN_CLASS,
            model.card().id(),
            "unconditional generator: requests carry an empty label, not '" + label + "'");
      }
      return 0;
    }
    int i = model.card().labels().indexOf(label);
    if (i < 0) {
      throw new InferenceException(
          InferenceException.Reason.UNKNOWN_CLASS,
          model.card().id(),
          "unknown class '" + label + "' (classes: " + model.card().labels() + ")");
    }
    return i;
  }

  @Override
  protected Void prepare(Sample s, int row, Map<String, Buffer> buffers) {
    int cls = classIndex(s.label());
    if (s.index() < 0) {
      throw new InferenceException(
          InferenceException.Reason.SAMPLE_COUNT,
          model.card().id(),
          "negative sample index " + s.index());
    }
    FloatBuffer z = (FloatBuffer) buffers.get(noiseInput);
    z.position(row * noise.latent());
    noise.write(s.seed(), s.index(), z);
    if (labelInput != null) {
      ((LongBuffer) buffers.get(labelInput)).put(row, cls);
    }
    return null;
  }

  @Override
  protected String outputName() {
    return output;
  }

  @Override
  protected Image finish(float[] values, int row, Void context) {
    int n = width * height;
    int per = n * channels;
    int[] px = PngEncoder.toUint8(values, row * per, per, low, high);
    if (channels == 3 && !nhwc) { // planes → interleaved R, G, B
      int[] inter = new int[per];
      for (int c = 0; c < 3; c++) {
        for (int i = 0; i < n; i++) {
          inter[i * 3 + c] = px[c * n + i];
        }
      }
      px = inter;
    }
    return new Image(px, width, height, channels, PngEncoder.png(px, width, height, channels));
  }
}
