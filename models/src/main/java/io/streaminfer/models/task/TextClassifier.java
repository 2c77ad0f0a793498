package io.streaminfer.models.task;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.postprocess.TopK;
import io.streaminfer.models.preprocess.TextPreprocessor;
import io.streaminfer.models.runtime.OnnxModel;
import java.nio.Buffer;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;

/** Text classification: byte tokens → model → softmax top-k labels. */
public final class TextClassifier extends BatchTask<String, Void, List<TopK.Scored>> {
  private final TextPreprocessor pre;
  private final String input;
  private final int topK;

  /** Builds the task from a text-classification model. */
  public TextClassifier(OnnxModel model) {
    super(model);
    Tasks.require(model, Task.TEXT_CLASSIFICATION);
    this.pre = new TextPreprocessor(model.card());
    this.input = model.card().inputs().get(0).name();
    this.topK = (int) model.card().post("top_k");
  }

  @Override
  protected Void prepare(String text, int row, Map<String, Buffer> buffers) {
    LongBuffer b = (LongBuffer) buffers.get(input);
    b.position(row * pre.elements());
    pre.write(text, b);
    return null;
  }

  @Override
  protected List<TopK.Scored> finish(float[] output, int row, Void context) {
    return TopK.topK(output, row, model.card().labels(), topK);
  }
}
