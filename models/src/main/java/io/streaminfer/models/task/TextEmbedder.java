package io.streaminfer.models.task;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.models.InferenceException;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelCard;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.card.TensorSpec;
import io.streaminfer.models.preprocess.HfTokenizer;
import io.streaminfer.models.preprocess.TokenizedText;
import io.streaminfer.models.runtime.OnnxModel;
import java.nio.Buffer;
import java.util.Map;

/**
 * Text embedding: a Hugging Face tokenizer ({@link TokenizedText}) → encoder → one float vector per
 * text. The card's {@code postprocessing} ({@code type: embedding}) names the output read and its
 * {@code pooling}: {@code cls} (the first token's vector), {@code mean} or {@code max} over the
 * tokens the attention mask keeps (of a {@code [batch, sequence, dim]} output such as {@code
 * last_hidden_state}), or {@code none} (a {@code [batch, dim]} output, pooled in the graph); {@code
 * normalize: true} scales each vector to unit L2 norm. Padding never reaches a vector: each row
 * pools over its own tokens, so a text's embedding does not depend on its batch.
 */
public final class TextEmbedder extends BatchTask<String, TextEmbedder.Row, TextEmbedder.Vector> {
  /** How token vectors become one vector. */
  public enum Pooling {
    /** The first token's vector ([CLS]). */
    CLS,
    /** The mean over the tokens the attention mask keeps. */
    MEAN,
    /** The element-wise maximum over the tokens the attention mask keeps. */
    MAX,
    /** The output is one vector per text already. */
    NONE
  }

  /**
   * One text's embedding.
   *
   * @param values the vector, {@link #dimensions()} long
   * @param tokens the tokens the model saw (special tokens included, after truncation)
   */
  public record Vector(float[] values, int tokens) {}

  /** What a row remembers for pooling: its own token count and the batch's padded length. */
  record Row(int tokens, int paddedLength) {}

  private final Pooling pooling;
  private final boolean normalize;
  private final String output;
  private final int dim;
  private final String ids;
  private final TokenizedText tokenized;

  /** Builds the task from a text-embedding model; throws naming the card key or tensor. */
  public TextEmbedder(OnnxModel model) {
    super(model);
    Tasks.require(model, Task.TEXT_EMBEDDING);
    ModelCard card = model.card();
    JsonNode p = card.postprocessing();
    if (!"embedding".equals(p.path("type").asText())) {
      throw new ModelLoadException(
          card.id()
              + ": model card key 'postprocessing.type' is '"
              + p.path("type").asText()
              + "'; a text-embedding model takes 'embedding'");
    }
    String pool = p.path("pooling").asText("");
    this.pooling =
        switch (pool) {
          case "cls" -> Pooling.CLS;
          case "mean" -> Pooling.MEAN;
          case "max" -> Pooling.MAX;
          case "none" -> Pooling.NONE;
          default ->
              throw new ModelLoadException(
                  card.id()
                      + ": model card key 'postprocessing.pooling' is '"
                      + pool
                      + "'; expected cls, mean, max or none");
        };
    this.normalize = p.path("normalize").asBoolean(false);
    this.output = p.path("output").asText(card.outputs().get(0).name());
    TensorSpec out = card.output(output);
    long[] shape = out.shape();
    int rank = pooling == Pooling.NONE ? 2 : 3;
    if (shape.length != rank || shape[rank - 1] <= 0) {
      throw new ModelLoadException(
          card.id()
              + ": output '"
              + output
              + "' is "
              + java.util.Arrays.toString(shape)
              + "; pooling "
              + pool
              + " takes "
              + (rank == 2 ? "[batch, dim]" : "[batch, sequence, dim]")
              + " with a fixed dim");
    }
    this.dim = Math.toIntExact(shape[rank - 1]);
    if (!"hf-tokenizer".equals(card.preprocessing().path("type").asText())) {
      throw new ModelLoadException(
          card.id()
              + ": model card key 'preprocessing.type' is '"
              + card.preprocessing().path("type").asText()
              + "'; a text-embedding model takes 'hf-tokenizer'");
    }
    this.ids = card.preprocessing().path("inputs").path("input_ids").asText();
    this.tokenized = new TokenizedText(model.artifact()); // last: it owns a tokenizer
  }

  /** The length of every vector. */
  public int dimensions() {
    return dim;
  }

  /** How token vectors are pooled. */
  public Pooling pooling() {
    return pooling;
  }

  /** Whether vectors have unit L2 norm. */
  public boolean normalized() {
    return normalize;
  }

  @Override
  protected boolean parallelStage() {
    return true;
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
    return new long[] {staged == null ? 1 : tokenized.length(staged)};
  }

  @Override
  protected Row prepare(String text, int row, Map<String, Buffer> buffers) {
    throw new UnsupportedOperationException("rows are written from their tokens");
  }

  @Override
  protected Row prepare(String text, Object staged, int row, Map<String, Buffer> buffers) {
    HfTokenizer.Tokens t = (HfTokenizer.Tokens) staged;
    int padded = buffers.get(ids).remaining(); // the row's view: its start to its end
    tokenized.write(t, buffers);
    return new Row(t.length(), padded);
  }

  @Override
  protected String outputName() {
    return output;
  }

  @Override
  protected Vector finish(float[] out, int row, Row r) {
    long perRow = pooling == Pooling.NONE ? dim : (long) r.paddedLength() * dim;
    if (out.length % perRow != 0 || out.length / perRow <= row) {
      throw new InferenceException(
          InferenceException.Reason.RUNTIME,
          model.card().id(),
          "output '"
              + output
              + "' has "
              + out.length
              + " values, not "
              + perRow
              + " per text (its sequence axis must follow the input's)");
    }
    float[] v = new float[dim];
    if (pooling == Pooling.NONE) {
      System.arraycopy(out, row * dim, v, 0, dim);
    } else {
      int base = row * r.paddedLength() * dim; // token 0 of this row
      switch (pooling) {
        case CLS -> System.arraycopy(out, base, v, 0, dim);
        case MEAN -> {
          double[] sum = new double[dim];
          for (int t = 0; t < r.tokens(); t++) {
            for (int d = 0; d < dim; d++) {
              sum[d] += out[base + t * dim + d];
            }
          }
          for (int d = 0; d < dim; d++) {
            v[d] = (float) (sum[d] / r.tokens());
          }
        }
        case MAX -> {
          java.util.Arrays.fill(v, Float.NEGATIVE_INFINITY);
          for (int t = 0; t < r.tokens(); t++) {
            for (int d = 0; d < dim; d++) {
              v[d] = Math.max(v[d], out[base + t * dim + d]);
            }
          }
        }
        default -> throw new IllegalStateException("pooling " + pooling);
      }
    }
    double norm = 0;
    for (float x : v) {
      if (!Float.isFinite(x)) {
        throw new InferenceException(
            InferenceException.Reason.RUNTIME,
            model.card().id(),
            "the model's output '" + output + "' is not finite for this text");
      }
      norm += (double) x * x;
    }
    if (normalize) {
      if (norm == 0) {
        throw new InferenceException(
            InferenceException.Reason.RUNTIME,
            model.card().id(),
            "the text's vector is zero and cannot be normalised");
      }
      double scale = 1 / Math.sqrt(norm);
      for (int d = 0; d < dim; d++) {
        v[d] = (float) (v[d] * scale);
      }
    }
    return new Vector(v, r.tokens());
  }

  @Override
  public void close() {
    tokenized.close();
  }
}
