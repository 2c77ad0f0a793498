package io.streaminfer.models.task;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.postprocess.TopK;
import io.streaminfer.models.preprocess.ImageInput;
import io.streaminfer.models.preprocess.ImagePreprocessor;
import io.streaminfer.models.runtime.OnnxModel;
import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

/** Image classification: card preprocessing → model → softmax top-k labels. */
public final class ImageClassifier extends BatchTask<ImageInput, Void, List<TopK.Scored>> {
  private final ImagePreprocessor pre;
  private final String input;
  private final int topK;

  /** Builds the task from an image-classification model. */
  public ImageClassifier(OnnxModel model) {
    super(model);
    Tasks.require(model, Task.IMAGE_CLASSIFICATION);
    this.pre = new ImagePreprocessor(model.card());
    this.input = model.card().inputs().get(0).name();
    this.topK = (int) model.card().post("top_k");
  }

  @Override
  protected Void prepare(ImageInput in, int row, Map<String, Buffer> buffers) {
    FloatBuffer b = (FloatBuffer) buffers.get(input);
    b.position(row * pre.elements());
    pre.write(in, b);
    return null;
  }

  @Override
  protected List<TopK.Scored> finish(float[] output, int row, Void context) {
    return TopK.topK(output, row, model.card().labels(), topK);
  }
}
