package io.streaminfer.models.task;

import io.streaminfer.models.InferenceException;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.postprocess.PngEncoder;
import io.streaminfer.models.preprocess.LatentNoise;
import io.streaminfer.models.runtime.OnnxModel;
import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;

/** Conditional generation: seeded latent noise + class → model → pixels and PNG bytes. */
public final class ImageGenerator
    extends BatchTask<ImageGenerator.Sample, Void, ImageGenerator.Image> {
  private final LatentNoise noise;
  private final String noiseInput;
  private final String labelInput;
  private final int width;
  private final int height;
  private final double low;
  private final double high;

  /**
   * One sample of a request: sample {@code index} of a request with {@code seed} for {@code label}.
   */
  public record Sample(long seed, String label, int index) {}

  /** A generated image: row-major 8-bit pixels and the same as PNG. */
  public record Image(int[] pixels, int width, int height, byte[] png) {}

  /** Builds the task from an image-generation model. */
  public ImageGenerator(OnnxModel model) {
    super(model);
    Tasks.require(model, Task.IMAGE_GENERATION);
    var card = model.card();
    this.noise = new LatentNoise(card);
    this.noiseInput = card.preprocessing().path("noise_input").asText();
    this.labelInput = card.preprocessing().path("label_input").asText();
    card.input(noiseInput);
    card.input(labelInput);
    this.width = (int) card.post("width");
    this.height = (int) card.post("height");
    this.low = card.postprocessing().path("range").path(0).asDouble();
    this.high = card.postprocessing().path("range").path(1).asDouble();
  }

  /** The class index of {@code label}; throws {@code UNKNOWN_CLASS} naming the valid ones. */
  public int classIndex(String label) {
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
    ((LongBuffer) buffers.get(labelInput)).put(row, cls);
    return null;
  }

  @Override
  protected Image finish(float[] output, int row, Void context) {
    int n = width * height;
    int[] px = PngEncoder.toUint8(output, row * n, n, low, high);
    return new Image(px, width, height, PngEncoder.png(px, width, height));
  }
}
