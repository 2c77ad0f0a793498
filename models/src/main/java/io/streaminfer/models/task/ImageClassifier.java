package io.streaminfer.models.task;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.card.TensorSpec;
import io.streaminfer.models.postprocess.ClassScores;
import io.streaminfer.models.preprocess.ImageInput;
import io.streaminfer.models.preprocess.ImagePreprocessor;
import io.streaminfer.models.runtime.OnnxModel;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Map;

/** Image classification: the card's image preprocessing → model → the card's class scores. */
public final class ImageClassifier extends BatchTask<ImageInput, Void, ClassScores.Classified> {
  private final ImagePreprocessor pre;
  private final String input;
  private final ClassScores scores;

  /** Builds the task from an image-classification model. */
  public ImageClassifier(OnnxModel model) {
    super(model);
    Tasks.require(model, Task.IMAGE_CLASSIFICATION);
    Tasks.requireInputs(model, 1);
    TensorSpec in = model.card().inputs().get(0);
    this.pre = new ImagePreprocessor(model.card(), in);
    this.input = in.name();
    this.scores = new ClassScores(model.card());
  }

  /** Not called: every batch goes through {@link #stage(ImageInput)}; kept for the contract. */
  @Override
  protected Void prepare(ImageInput in, int row, Map<String, Buffer> buffers) {
    Buffer b = buffers.get(input);
    b.position(row * pre.elements());
    return prepare(in, stage(in), row, buffers);
  }

  @Override
  protected boolean parallelStage() {
    return true;
  }

  /** Decoding, colour and the first pass of the resize ({@link ImagePreprocessor#stage}). */
  @Override
  protected Object stage(ImageInput in) {
    return pre.stage(in);
  }

  /** The rest of the resize and the normalisation, straight into the image's row. */
  @Override
  protected Void prepare(ImageInput in, Object staged, int row, Map<String, Buffer> buffers) {
    ImagePreprocessor.Staged image = (ImagePreprocessor.Staged) staged;
    Buffer b = buffers.get(input); // positioned at the row
    if (b instanceof ByteBuffer bytes) {
      pre.write(image, bytes);
    } else {
      pre.write(image, (FloatBuffer) b);
    }
    return null;
  }

  @Override
  protected long[] exampleShape(TensorSpec spec) {
    return pre.exampleShape();
  }

  @Override
  protected String outputName() {
    return scores.output();
  }

  @Override
  protected ClassScores.Classified finish(float[] output, int row, Void context) {
    return scores.scores(output, row);
  }
}
