package io.streaminfer.models.task;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.card.TensorSpec;
import io.streaminfer.models.postprocess.ClassScores;
import io.streaminfer.models.preprocess.HfTokenizer;
import io.streaminfer.models.preprocess.TextPreprocessor;
import io.streaminfer.models.preprocess.TokenizedText;
import io.streaminfer.models.runtime.OnnxModel;
import java.nio.Buffer;
import java.nio.LongBuffer;
import java.util.Map;

/**
 * Text classification: tokens → model → labels, as the card's postprocessing says ({@link
 * ClassScores}: softmax, probabilities or sigmoid multi-label). The tokens are the card's {@code
 * byte-tokens} (one fixed-length input) or a Hugging Face {@code hf-tokenizer} ({@link
 * TokenizedText}: ids, attention mask and type ids as the graph takes them, each batch tokenised in
 * parallel and padded to its longest text).
 */
public final class TextClassifier extends BatchTask<String, Void, ClassScores.Classified> {
  private final TextPreprocessor bytes;
  private final TokenizedText tokenized;
  private final String input;
  private final ClassScores scores;

  /** Builds the task from a text-classification model. */
  public TextClassifier(OnnxModel model) {
    super(model);
    Tasks.require(model, Task.TEXT_CLASSIFICATION);
    boolean hf = "hf-tokenizer".equals(model.card().preprocessing().path("type").asText());
    this.scores = new ClassScores(model.card());
    this.input = model.card().inputs().get(0).name();
    if (!hf) {
      Tasks.requireInputs(model, 1);
    }
    this.bytes = hf ? null : new TextPreprocessor(model.card());
    this.tokenized = hf ? new TokenizedText(model.artifact()) : null; // last: it owns a tokenizer
  }

  @Override
  protected Void prepare(String text, int row, Map<String, Buffer> buffers) {
    LongBuffer b = (LongBuffer) buffers.get(input);
    b.position(row * bytes.elements());
    bytes.write(text, b);
    return null;
  }

  @Override
  protected boolean parallelStage() {
    return tokenized != null;
  }

  @Override
  protected Object stage(String text) {
    return tokenized.tokenize(text);
  }

  @Override
  protected int groupLength(Object staged) {
    return tokenized.groupLength(staged);
  }

  @Override
  protected long[] exampleShape(TensorSpec spec, Object[] staged) {
    return tokenized == null
        ? exampleShape(spec)
        : new long[] {staged == null ? 1 : tokenized.length(staged)};
  }

  @Override
  protected Void prepare(String text, Object staged, int row, Map<String, Buffer> buffers) {
    tokenized.write((HfTokenizer.Tokens) staged, buffers);
    return null;
  }

  @Override
  protected String outputName() {
    return scores.output();
  }

  @Override
  protected ClassScores.Classified finish(float[] output, int row, Void context) {
    return scores.scores(output, row);
  }

  @Override
  public void close() {
    if (tokenized != null) {
      tokenized.close();
    }
  }
}
